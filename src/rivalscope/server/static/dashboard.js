/* Rivalscope dashboard: one dyad's sources, map, timeline, events, defections, hotspots and
 * review.
 *
 * Every piece of data comes from the JSON API of the same server and reaches the page through
 * textContent (never innerHTML), so text from the data is shown, never run. Charts are drawn by
 * the plotly.js this server ships; nothing is fetched from anywhere else. The API speaks in actor
 * ids; people read display names (the page's data-names, by id), with the id in a tooltip.
 */
(function () {
  "use strict";

  var body = document.body;
  var actor = body.dataset.actor;
  var rival = body.dataset.rival;
  var country = body.dataset.country || "";
  var writes = body.dataset.writes === "yes";
  var names = JSON.parse(body.dataset.names || "{}");
  var SOURCE_COLORS = { ucdp: "#1b9e77", acled: "#d95f02", text: "#7570b3", sim: "#e7298a" };
  var OTHER_SOURCE_COLORS = ["#66a61e", "#e6ab02", "#a6761d", "#666666"];
  var ACTOR_COLOR = "#b2182b";
  var RIVAL_COLOR = "#2166ac";
  var REDS = ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d",
              "#a50f15", "#67000d"];
  var PLOT_CONFIG = { displaylogo: false, responsive: true };
  var BASE_LAYOUT = {
    margin: { l: 50, r: 20, t: 20, b: 40 },
    font: { family: "system-ui, -apple-system, Segoe UI, sans-serif", size: 12 },
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff"
  };

  var state = {
    summary: null,
    boundaries: null,
    eventsCursor: null,
    version: null,
    request: 0,
    sourcing: 0,
    hotspotsSource: null
  };

  // --- small helpers ---------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function nameOf(id) {
    // An actor's display name (its id where the page knows no name).
    if (id === null || id === undefined || id === "") { return ""; }
    return Object.prototype.hasOwnProperty.call(names, id) ? names[id] : String(id);
  }

  function named(id) {
    // A table cell that shows an actor by name, with its id in the tooltip (see rowOf).
    if (id === null || id === undefined || id === "") { return ""; }
    return { text: nameOf(id), title: String(id) };
  }

  function plotText(value) {
    // plotly.js reads a few tags in chart text; data must stay text.
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function query(params) {
    var search = new URLSearchParams();
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (Array.isArray(value)) {
        value.forEach(function (v) { search.append(key, v); });
      } else if (value !== undefined && value !== null && value !== "") {
        search.append(key, value);
      }
    });
    var text = search.toString();
    return text ? "?" + text : "";
  }

  function dyadPath() {
    return encodeURIComponent(actor) + "/" + encodeURIComponent(rival);
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.detail || response.statusText); }
        return data;
      });
    });
  }

  function send(method, url, payload) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    var input = $("token");
    var token = input ? input.value.trim() : "";
    if (token) { headers.Authorization = "Bearer " + token; }
    return fetch(url, { method: method, headers: headers, body: JSON.stringify(payload) })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var detail = data.detail || response.statusText;
            if (response.status === 401) { detail = "the token is missing or wrong (" + detail + ")"; }
            throw new Error(detail);
          }
          return data;
        });
      });
  }

  function say(id, text, ok) {
    var node = $(id);
    node.textContent = text;
    node.className = ok ? "ok" : (text ? "problem" : "");
  }

  function fillRows(tbody, rows, cells) {
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    rows.forEach(function (row) { tbody.appendChild(cells(row)); });
  }

  function rowOf(values, notesIndex) {
    // One table row; a value may be {text, title}: shown text with a tooltip (named()).
    var tr = document.createElement("tr");
    values.forEach(function (value, index) {
      var tooltip = value !== null && typeof value === "object" ? value : null;
      var td = el("td", tooltip ? tooltip.text : (value === null || value === undefined ? "" : value),
                  index === notesIndex ? "notes" : "");
      if (tooltip) { td.title = tooltip.title; }
      tr.appendChild(td);
    });
    return tr;
  }

  function number(value) {
    return value === null || value === undefined ? "" : Number(value).toLocaleString("en");
  }

  function shiftDays(isoDate, days) {
    var day = new Date(isoDate + "T00:00:00Z");
    day.setUTCDate(day.getUTCDate() + days);
    return day.toISOString().slice(0, 10);
  }

  function sourceColor(name, index) {
    return SOURCE_COLORS[name] || OTHER_SOURCE_COLORS[index % OTHER_SOURCE_COLORS.length];
  }

  function upper(name) { return String(name).toUpperCase(); }

  function windowText(first, last) {
    if (!first && !last) { return "unknown"; }
    return (first || "?") + " to " + (last || "?");
  }

  function shade(value, top) {
    if (!value) { return "#f7f7f7"; }
    var t = 0.15 + 0.85 * value / Math.max(top, 1);
    return REDS[Math.min(REDS.length - 1, Math.round(t * (REDS.length - 1)))];
  }

  // --- filters ---------------------------------------------------------------------------
  function filters() {
    return {
      since: $("f-since").value,
      until: $("f-until").value,
      type: $("f-type").value,
      source: $("f-source").value,
      phase: $("f-phase").value
    };
  }

  function fillSelect(select, values, labels) {
    var chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }
    values.forEach(function (value, index) {
      var option = el("option", labels ? labels[index] : value);
      option.value = value;
      select.appendChild(option);
    });
    select.value = values.indexOf(chosen) >= 0 ? chosen : "";
  }

  // --- the map ---------------------------------------------------------------------------
  function drawMap(summary) {
    var provinces = summary.provinces;
    var top = Math.max.apply(null, provinces.map(function (p) { return p.events; }).concat([1]));
    var byCode = {};
    provinces.forEach(function (p) { byCode[p.code] = p; });
    var label = summary.event_type === "all" ? "events" : summary.event_type + " events";
    var layout = Object.assign({}, BASE_LAYOUT, {
      height: 420,
      showlegend: false,
      hovermode: "closest",
      xaxis: { visible: false },
      yaxis: { visible: false, scaleanchor: "x" }
    });
    var traces = [];
    var features = state.boundaries ? state.boundaries.features : [];
    if (features.length) {
      features.forEach(function (feature) {
        var p = byCode[feature.properties.code] || { events: 0, name: feature.properties.name };
        var polygons = feature.geometry.type === "MultiPolygon"
          ? feature.geometry.coordinates : [feature.geometry.coordinates];
        polygons.forEach(function (polygon) {
          var ring = polygon[0];
          traces.push({
            type: "scatter", mode: "lines", fill: "toself",
            x: ring.map(function (c) { return c[0]; }),
            y: ring.map(function (c) { return c[1]; }),
            fillcolor: shade(p.events, top), line: { color: "#888", width: 1 },
            name: feature.properties.code, hoverinfo: "text",
            hovertext: plotText(p.name + ": " + p.events + " " + label)
          });
        });
      });
    } else {
      layout.yaxis.autorange = "reversed";
      layout.shapes = provinces.map(function (p) {
        return {
          type: "rect", x0: p.col, x1: p.col + 0.95, y0: p.row, y1: p.row + 0.95,
          fillcolor: shade(p.events, top), line: { color: "#999", width: 1 }, layer: "below"
        };
      });
      traces.push({
        type: "scatter", mode: "text", name: "provinces",
        x: provinces.map(function (p) { return p.col + 0.475; }),
        y: provinces.map(function (p) { return p.row + 0.475; }),
        text: provinces.map(function (p) {
          return plotText(p.code.split("-").pop()) + "<br>" + p.events;
        }),
        customdata: provinces.map(function (p) { return p.code; }),
        hovertext: provinces.map(function (p) { return plotText(p.name + ": " + p.events + " " + label); }),
        hoverinfo: "text",
        textfont: {
          size: 10,
          color: provinces.map(function (p) { return p.events * 2 > top ? "white" : "#333"; })
        }
      });
    }
    Plotly.react("map", traces, layout, PLOT_CONFIG);
    var placed = summary.events - summary.unplaced;
    var reached = provinces.filter(function (p) { return p.events > 0; }).length;
    var where = summary.country_name || "the map";
    $("map-summary").textContent = summary.events.toLocaleString("en") + " " + label + " between " +
      nameOf(summary.actor) + " and " + nameOf(summary.rival) + " in " + reached + " of " +
      where + "'s " + provinces.length + " provinces" +
      (summary.unplaced ? " (" + summary.unplaced + " without a province)" : "") + "." +
      (placed ? "" : " Nothing to map under these filters.");
  }

  // --- the timeline ----------------------------------------------------------------------
  function drawTimeline(summary) {
    var months = summary.months.map(function (m) { return m.month; });
    var label = summary.event_type === "all" ? "events" : summary.event_type + " events";
    var traces = [
      { type: "bar", name: label + " per month", x: months, marker: { color: "#444" },
        y: summary.months.map(function (m) { return m.events; }) },
      { type: "scatter", mode: "lines", name: "deaths", yaxis: "y2", x: months,
        y: summary.months.map(function (m) { return m.deaths; }),
        line: { color: "#999", dash: "dot" } }
    ];
    var shapes = [];
    var annotations = [];
    var last = months.length ? months[months.length - 1] : null;
    summary.phases.forEach(function (phase, index) {
      var end = phase.end || last || phase.start;
      shapes.push({
        type: "rect", xref: "x", yref: "y domain", x0: phase.start, x1: end, y0: 0, y1: 1,
        fillcolor: index % 2 ? "#e6eef7" : "#f0f0f0", opacity: 0.7, layer: "below", line: { width: 0 }
      });
      annotations.push({
        x: phase.start, y: 1, xref: "x", yref: "paper", text: plotText(phase.name.slice(0, 28)),
        showarrow: false, xanchor: "left", yanchor: "bottom", textangle: -20,
        font: { size: 9, color: "#666" }
      });
    });
    var windows = (summary.read || []).filter(function (r) { return r.first_date && r.last_date; });
    var strip = Math.min(0.3, 0.07 * windows.length);
    var labels = windows.map(function (r) { return plotText(upper(r.source) + " coverage"); });
    windows.forEach(function (r, index) {
      var color = sourceColor(r.source, index);
      shapes.push({
        type: "rect", xref: "x", yref: "y domain", x0: r.first_date, x1: r.last_date, y0: 0, y1: 1,
        fillcolor: color, opacity: 0.08, layer: "below", line: { width: 0 }
      });
      [r.first_date, r.last_date].forEach(function (edge) {
        shapes.push({
          type: "line", xref: "x", yref: "y domain", x0: edge, x1: edge, y0: 0, y1: 1,
          opacity: 0.7, line: { color: color, width: 1, dash: "dash" }
        });
      });
      traces.push({
        type: "scatter", mode: "lines", yaxis: "y3", name: labels[index],
        x: [r.first_date, r.last_date], y: [labels[index], labels[index]],
        line: { color: color, width: 12 }, hoverinfo: "text",
        hovertext: labels[index] + ": " + r.first_date + " to " + r.last_date +
          (r.version ? ", version " + plotText(r.version) : "")
      });
    });
    var layout = Object.assign({}, BASE_LAYOUT, {
      height: 420 + 26 * windows.length,
      margin: { l: 50, r: 50, t: 50, b: 40 },
      legend: { orientation: "h", y: -0.15 },
      xaxis: months.length ? { type: "date", range: [shiftDays(months[0], -20),
                                                       shiftDays(last, 45)] } : { type: "date" },
      yaxis: { title: { text: label }, rangemode: "tozero",
               domain: [windows.length ? strip + 0.06 : 0, 1] },
      yaxis3: { domain: [0, strip], anchor: "x", type: "category", categoryorder: "array",
                categoryarray: labels.slice().reverse(), showgrid: false, fixedrange: true,
                visible: windows.length > 0, automargin: true, tickfont: { size: 10 } },
      yaxis2: { title: { text: "deaths" }, overlaying: "y", side: "right", showgrid: false,
                rangemode: "tozero" },
      shapes: shapes,
      annotations: annotations
    });
    Plotly.react("timeline", traces, layout, PLOT_CONFIG);
    var peak = summary.months.reduce(function (best, m) { return m.events > best.events ? m : best; },
                                      { events: 0, month: null });
    $("timeline-summary").textContent = summary.months.length
      ? summary.deaths.toLocaleString("en") + " deaths in these events; the busiest month was " +
        peak.month.slice(0, 7) + " (" + peak.events + ")."
      : "No " + label + " between the two under these filters.";
  }

  // --- events ----------------------------------------------------------------------------
  function loadEvents(reset) {
    var summary = state.summary;
    if (!summary) { return Promise.resolve(); }
    var params = {
      actor: actor, rival: rival, country: summary.country,
      type: summary.event_type === "all" ? "" : summary.event_type,
      since: summary.since, until: summary.until, source: summary.source, limit: 50
    };
    if (!reset && state.eventsCursor) { params.cursor = state.eventsCursor; }
    return getJSON("/api/events" + query(params)).then(function (page) {
      var tbody = $("events-table").tBodies[0];
      if (reset) { fillRows(tbody, [], null); }
      page.events.forEach(function (e) {
        tbody.appendChild(rowOf([
          e.date_start, e.event_type, named(e.actor1), named(e.actor2),
          [e.admin1_code, e.admin1].filter(Boolean).join(" "),
          number(e.fatalities_best), e.sources ? e.sources.join(" + ") : e.source, e.notes
        ], 7));
      });
      state.eventsCursor = page.next_cursor;
      $("events-more").hidden = !page.next_cursor;
    });
  }

  // --- the sources read ------------------------------------------------------------------
  function drawSources(summary) {
    var names = summary.read.map(function (r) { return upper(r.source); });
    var text;
    if (summary.source === "fused") {
      text = "Events read: fused, each real-world event once, linked across " +
        (names.length ? names.join(" and ") : "no source") + ".";
    } else if (summary.source) {
      text = "Events read: " + upper(summary.source) + " only.";
    } else {
      text = "Events read: every event that counts.";
    }
    $("sources-read").textContent = text;
    fillRows($("sources-table").tBodies[0], summary.read, function (r) {
      var batches = r.batches || [];
      return rowOf([
        upper(r.source), r.version || "not recorded", windowText(r.first_date, r.last_date),
        number(r.events),
        batches.length + (batches.length ? ": " + batches.slice(0, 3).join(", ") +
          (batches.length > 3 ? " and " + (batches.length - 3) + " more" : "") : "")
      ]);
    });
  }

  function verdict(measure) {
    if (measure.p_value === null || measure.p_value === undefined) {
      return "not tested (not a count of events)";
    }
    var p = measure.p_value < 0.001 ? "p < 0.001" : "p = " + measure.p_value.toFixed(3);
    return (measure.disagree ? "disagree beyond noise (" : "agree within noise (") + p + ")";
  }

  function loadSourcing(summary) {
    var request = ++state.sourcing;
    var f = filters();
    var url = "/api/profile/" + dyadPath() + query({
      section: "timeline", country: summary.country, since: f.since, until: f.until,
      source: f.source
    });
    $("agreement").textContent = "Comparing the sources…";
    return getJSON(url).then(function (data) {
      if (request !== state.sourcing) { return; }
      var pairs = data.triangulation.pairs || [];
      $("agreement").textContent = pairs.length ? data.triangulation.summary : "";
      fillRows($("warnings"), data.warnings, function (w) { return el("li", w); });
      var rows = [];
      pairs.forEach(function (pair) {
        pair.measures.forEach(function (m) {
          rows.push({ pair: pair, measure: m });
        });
      });
      fillRows($("compared-table").tBodies[0], rows, function (row) {
        var figures = row.pair.sources.map(function (name) {
          return upper(name) + " " + number(row.measure.values[name]);
        }).join(", ");
        var tr = rowOf([row.measure.section, row.measure.label,
                        windowText(row.pair.first, row.pair.last), figures,
                        verdict(row.measure)]);
        if (row.measure.disagree) { tr.className = "disagree"; }
        return tr;
      });
      $("compared-details").hidden = rows.length === 0;
      var list = $("citations");
      while (list.firstChild) { list.removeChild(list.firstChild); }
      data.citations.forEach(function (c) {
        list.appendChild(el("dt", c.name + " (" + upper(c.source) + ")"));
        if (c.citation) { list.appendChild(el("dd", c.citation)); }
        if (c.terms) { list.appendChild(el("dd", c.terms, "terms")); }
        if (c.url) {
          var dd = el("dd");
          if (/^https?:\/\//.test(c.url)) {
            var link = el("a", c.url);
            link.href = c.url;
            link.rel = "noopener noreferrer";
            link.target = "_blank";
            dd.appendChild(link);
          } else {
            dd.textContent = c.url;
          }
          list.appendChild(dd);
        }
      });
      body.dataset.sourced = String(request);
    }).catch(function (error) {
      if (request !== state.sourcing) { return; }
      $("agreement").textContent = "The sources could not be compared: " + error.message;
    });
  }

  function setExports(summary) {
    var f = filters();
    var frame = { country: summary.country, since: f.since, until: f.until, source: f.source };
    var events = Object.assign({ actor: actor, rival: rival,
                                 type: summary.event_type === "all" ? "" : summary.event_type },
                               frame);
    ["csv", "jsonl", "parquet"].forEach(function (format) {
      $("export-" + format).href = "/api/events" +
        query(Object.assign({ format: format }, events));
    });
    $("export-profile").href = "/api/profile/" + dyadPath() + query(frame);
    $("report-link").href = "/report/" + dyadPath() + query(frame);
  }

  // --- refresh everything the filters drive ----------------------------------------------
  function refresh() {
    var f = filters();
    var request = ++state.request;
    say("filter-message", "");
    var url = "/api/dyad/" + dyadPath() + query({
      country: country, since: f.since, until: f.until, type: f.type, source: f.source,
      phase: f.phase
    });
    return getJSON(url).then(function (summary) {
      if (request !== state.request) { return null; }
      state.summary = summary;
      state.eventsCursor = null;
      if (!country && summary.country) { country = summary.country; }
      $("country-name").textContent = summary.country_name ? "· " + summary.country_name : "";
      fillSelect($("f-source"), summary.source_choices, summary.source_choices.map(function (s) {
        return s === "fused" ? "fused (each event once)" : upper(s);
      }));
      $("f-source").options[0].textContent = "default" +
        (f.source ? "" : " (" + (summary.source === "fused" ? "fused" : upper(summary.source)) + ")");
      drawSources(summary);
      setExports(summary);
      loadSourcing(summary);
      if (state.hotspotsSource !== null && state.hotspotsSource !== f.source) { loadHotspots(); }
      fillSelect($("f-phase"), summary.phases.map(function (p) { return p.name; }),
                 summary.phases.map(function (p) {
                   return p.name + " (" + p.start + " to " + (p.end || "now") + ")";
                 }));
      fillSelect($("d-admin1"), summary.provinces.map(function (p) { return p.code; }),
                 summary.provinces.map(function (p) { return p.name + " (" + p.code + ")"; }));
      var needsShapes = summary.provinces.some(function (p) { return p.has_boundary; });
      var shapes = needsShapes && !state.boundaries
        ? getJSON("/api/boundaries" + query({ country: summary.country }))
            .then(function (b) { state.boundaries = b; })
        : Promise.resolve();
      return shapes.then(function () {
        drawMap(summary);
        drawTimeline(summary);
        body.dataset.version = String(summary.snapshot_version);
        return loadEvents(true).then(function () { body.dataset.drawn = String(request); });
      });
    }).catch(function (error) {
      say("filter-message", error.message);
    });
  }

  // --- defections ------------------------------------------------------------------------
  function loadDefections() {
    return getJSON("/api/defections" + query({ involving: [actor, rival] })).then(function (data) {
      fillRows($("defections-table").tBodies[0], data.defections, function (d) {
        return rowOf([
          d.date, named(d.from_actor), named(d.to_actor), d.person, d.role, number(d.fighters),
          [d.admin1_code, d.admin1].filter(Boolean).join(" "), d.source, d.notes
        ], 8);
      });
    });
  }

  function addDefection(event) {
    event.preventDefault();
    var form = event.target;
    var payload = {};
    new FormData(form).forEach(function (value, key) {
      var text = String(value).trim();
      if (text) { payload[key] = key === "fighters" ? Number(text) : text; }
    });
    if (!payload.admin1 && country) { payload.country = country; }
    say("defection-message", "Saving…", true);
    return send("POST", "/api/defections", payload).then(function (written) {
      say("defection-message", "Added " + written.defection.defection_id + ".", true);
      ["person", "role", "fighters", "source", "notes"].forEach(function (name) {
        form.elements[name].value = "";
      });
      return loadDefections();
    }).catch(function (error) {
      say("defection-message", "Not added: " + error.message);
    });
  }

  // --- hotspots --------------------------------------------------------------------------
  function loadHotspots() {
    var source = $("f-source").value;
    state.hotspotsSource = source;
    var url = "/api/profile/" + dyadPath() + query({ section: "hotspots", country: country,
                                                      source: source });
    return getJSON(url).then(function (data) {
      var hotspots = data.sections.hotspots;
      $("hotspots-summary").textContent = hotspots.summary;
      var traces = [];
      [[data.actor, ACTOR_COLOR], [data.rival, RIVAL_COLOR]].forEach(function (side) {
        var picked = hotspots.clusters.filter(function (c) { return c.side === side[0]; });
        var shown = plotText(nameOf(side[0]));
        traces.push({
          type: "scatter", mode: "markers", name: shown + " attack clusters",
          x: picked.map(function (c) { return c.longitude; }),
          y: picked.map(function (c) { return c.latitude; }),
          marker: { color: side[1], opacity: 0.6,
                    size: picked.map(function (c) { return 8 + Math.min(40, c.events); }) },
          hoverinfo: "text",
          hovertext: picked.map(function (c) {
            return shown + plotText(" #" + c.cluster + ": " + c.events + " attacks, " +
                                    c.deaths + " deaths, " + c.radius_km.toFixed(1) + " km");
          })
        });
      });
      Plotly.react("hotspots", traces, Object.assign({}, BASE_LAYOUT, {
        height: 380, legend: { orientation: "h", y: -0.2 },
        xaxis: { title: { text: "longitude" } },
        yaxis: { title: { text: "latitude" }, scaleanchor: "x" }
      }), PLOT_CONFIG);
      fillRows($("hotspots-table").tBodies[0], hotspots.clusters, function (c) {
        return rowOf([named(c.side), c.cluster, number(c.events), number(c.deaths),
                      c.radius_km.toFixed(1), c.admin1_code, c.first, c.last]);
      });
    }).catch(function (error) {
      $("hotspots-summary").textContent = "Hotspots unavailable: " + error.message;
    });
  }

  // --- review ----------------------------------------------------------------------------
  function loadReview() {
    return getJSON("/api/review?status=pending").then(function (data) {
      fillRows($("review-table").tBodies[0], data.items, function (item) {
        var tr = rowOf([
          item.item_kind, item.date, item.actor1 || item.actor2 ? {
            text: [item.actor1, item.actor2].filter(Boolean).map(nameOf).join(" / "),
            title: [item.actor1, item.actor2].filter(Boolean).join(" / ")
          } : "",
          item.admin1_code, item.confidence === null ? "" : item.confidence.toFixed(2),
          item.passage
        ], 5);
        var cell = el("td");
        [["accepted", "Accept"], ["rejected", "Reject"]].forEach(function (choice) {
          var button = el("button", choice[1]);
          button.type = "button";
          button.disabled = !writes;
          button.addEventListener("click", function () {
            send("POST", "/api/review", { ids: [item.item_id], decision: choice[0],
                                          kind: item.item_kind })
              .then(function () {
                return Promise.all([loadReview(), refresh(), loadDefections()]);
              })
              .then(function () {
                say("review-message", item.item_id + " " + choice[0] + ".", true);
              })
              .catch(function (error) { say("review-message", error.message); });
          });
          cell.appendChild(button);
        });
        tr.appendChild(cell);
        return tr;
      });
      if (!data.items.length) { say("review-message", "Nothing waits for review.", true); }
    }).catch(function (error) { say("review-message", error.message); });
  }

  // --- the store's state -----------------------------------------------------------------
  function checkStatus() {
    return getJSON("/api/info").then(function (info) {
      var server = info.server;
      var node = $("store-status");
      var taken = server.snapshot_taken ? server.snapshot_taken.slice(0, 19).replace("T", " ") : "";
      if (server.busy) {
        node.textContent = "Store busy: another process is writing it; showing the snapshot of " +
          taken + " UTC.";
        node.className = "status busy";
      } else {
        node.textContent = "Snapshot of " + taken + " UTC" +
          (info.store ? " · " + Number(info.store.events).toLocaleString("en") + " events" : "");
        node.className = "status";
      }
      if (state.version !== null && state.version !== server.snapshot_version) {
        refresh();
        loadDefections();
        loadReview();
      }
      state.version = server.snapshot_version;
    }).catch(function () { /* the next check will tell */ });
  }

  function loadActors() {
    return getJSON("/api/actors").then(function (data) {
      var list = $("actor-ids");
      data.actors.filter(function (a) { return a.events > 0 || a.registered; })
        .forEach(function (a) {
          var option = el("option", nameOf(a.actor_id) || a.name);
          option.value = a.actor_id;
          list.appendChild(option);
        });
    });
  }

  // --- wiring ----------------------------------------------------------------------------
  $("filters").addEventListener("change", function () { refresh(); });
  $("filters").addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  $("f-reset").addEventListener("click", function () { window.setTimeout(refresh, 0); });
  $("events-more").addEventListener("click", function () { loadEvents(false); });
  $("defection-form").addEventListener("submit", addDefection);
  if ($("access-form")) {
    $("access-form").addEventListener("submit", function (event) { event.preventDefault(); });
  }
  if (!writes) {
    Array.prototype.forEach.call($("defection-form").elements, function (field) {
      field.disabled = true;
    });
  }

  Promise.all([refresh(), loadDefections(), loadReview(), loadActors(), checkStatus()])
    .then(function () {
      body.dataset.ready = "yes";
      return loadHotspots();
    })
    .then(function () { body.dataset.hotspots = "yes"; });
  window.setInterval(checkStatus, 10000);
})();
