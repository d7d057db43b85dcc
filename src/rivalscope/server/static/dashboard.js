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

  var PAGE_SIZE = 50;
  var TYPE_COLORS = ["#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#35978f",
                     "#8c510a", "#c51b7d", "#4d4d4d", "#5aae61", "#fdb863"];
  var SORTS = ["date", "type", "province", "deaths", "source", "source_id"];

  var state = {
    summary: null,
    boundaries: null,
    version: null,
    request: 0,
    sourcing: 0,
    events: 0,
    hotspotsSource: null,
    view: null
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

  function shadeIndex(value, top) {
    var t = 0.15 + 0.85 * value / Math.max(top, 1);
    return Math.min(REDS.length - 1, Math.round(t * (REDS.length - 1)));
  }

  function shade(value, top) {
    return value ? REDS[shadeIndex(value, top)] : "#f7f7f7";
  }

  function inkOn(value, top) {
    // Text on a shade with a contrast of 4.5:1 or more: black on the light reds, white on the
    // dark ones.
    return value && shadeIndex(value, top) >= 6 ? "#fff" : "#000";
  }

  // --- the view: every filter, the table's order and page, kept in the URL ----------------
  // The view is the one truth: the controls show it, the requests read it, and the address bar
  // holds it (a link or a reload reproduces the view; back and forward step through views).
  var DEFAULT_TYPES = ["clash"];

  function viewFromURL() {
    var params = new URLSearchParams(window.location.search);
    var types = params.getAll("type").filter(Boolean);
    var sort = params.get("sort") || "date";
    var page = parseInt(params.get("page") || "1", 10);
    return {
      since: params.get("since") || "",
      until: params.get("until") || "",
      types: types.length ? types : DEFAULT_TYPES.slice(),
      source: params.get("source") || "",
      admin1: params.getAll("admin1").filter(Boolean),
      phase: params.get("phase") || "",
      sort: SORTS.indexOf(sort.replace(/^-/, "")) >= 0 ? sort : "date",
      page: page > 0 ? page : 1,
      unstated: params.get("unstated") === "1"
    };
  }

  function allTypes(types) {
    return types.indexOf("all") >= 0 || types.length === 0 ||
      types.length === typeBoxes().length;
  }

  function viewQuery(view) {
    // The page's own query string for a view (defaults left out, so links stay short).
    var types = allTypes(view.types) ? ["all"] : view.types;
    var sameTypes = types.join(",") === DEFAULT_TYPES.join(",");
    return query({
      country: body.dataset.country || "",
      since: view.since, until: view.until, type: sameTypes ? [] : types,
      source: view.source, admin1: view.admin1, phase: view.phase,
      sort: view.sort === "date" ? "" : view.sort, page: view.page > 1 ? view.page : "",
      unstated: view.unstated ? "1" : ""
    });
  }

  function typeBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#f-types input[name=type]"));
  }

  function viewFromControls() {
    var ticked = typeBoxes().filter(function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    var chosen = Array.prototype.filter.call($("f-admin1").options, function (o) {
      return o.selected;
    }).map(function (o) { return o.value; });
    var old = state.view || viewFromURL();
    var changed = {
      since: $("f-since").value,
      until: $("f-until").value,
      types: ticked.length ? ticked : ["all"],
      source: $("f-source").value,
      admin1: $("f-admin1").options.length ? chosen : old.admin1,
      phase: $("f-phase").value,
      sort: old.sort,
      page: 1,
      unstated: old.unstated
    };
    return changed;
  }

  function ensureOption(select, value) {
    // A value the address names before the server has listed the choices.
    if (!value) { return; }
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (!known) {
      var option = el("option", value);
      option.value = value;
      select.appendChild(option);
    }
  }

  function showView(view) {
    // Put a view on the controls.
    $("f-since").value = view.since;
    $("f-until").value = view.until;
    var all = allTypes(view.types);
    typeBoxes().forEach(function (box) {
      box.checked = !all && view.types.indexOf(box.value) >= 0;
    });
    ensureOption($("f-source"), view.source);
    $("f-source").value = view.source;
    ensureOption($("f-phase"), view.phase);
    $("f-phase").value = view.phase;
    Array.prototype.forEach.call($("f-admin1").options, function (o) {
      o.selected = view.admin1.indexOf(o.value) >= 0;
    });
    $("f-clear-admin1").disabled = view.admin1.length === 0;
    $("f-unstated").checked = Boolean(view.unstated);
    document.querySelectorAll("#events-table th[data-sort]").forEach(function (th) {
      var key = th.dataset.sort;
      th.setAttribute("aria-sort", view.sort === key ? "ascending"
        : view.sort === "-" + key ? "descending" : "none");
    });
  }

  function go(view, replace) {
    // Show a view: the address first (a new history entry unless replacing), then the page.
    state.view = view;
    var url = window.location.pathname + viewQuery(view);
    if (replace) {
      window.history.replaceState(null, "", url);
    } else if (url !== window.location.pathname + window.location.search) {
      window.history.pushState(null, "", url);
    }
    showView(view);
    return refresh();
  }

  function filters() {
    var view = state.view || viewFromURL();
    return {
      since: view.since, until: view.until, source: view.source, phase: view.phase,
      type: allTypes(view.types) ? ["all"] : view.types, admin1: view.admin1
    };
  }

  function fillSelect(select, values, labels) {
    var chosen = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
      .map(function (o) { return o.value; });
    var keep = select.multiple ? 0 : 1;
    while (select.options.length > keep) { select.remove(keep); }
    values.forEach(function (value, index) {
      var option = el("option", labels ? labels[index] : value);
      option.value = value;
      option.selected = chosen.indexOf(value) >= 0;
      select.appendChild(option);
    });
    if (!select.multiple && values.indexOf(select.value) < 0) { select.value = ""; }
  }

  // --- the maps ------------------------------------------------------------------------
  var COLORSCALE = REDS.map(function (color, index) { return [index / (REDS.length - 1), color]; });

  function eventsLabel(summary) {
    return summary.event_type === "all" ? "events"
      : summary.event_types.join(" + ").replace(/_/g, " ") + " events";
  }

  function provinceHover(p, label) {
    return plotText(p.name + " (" + p.code + "): " + number(p.events) + " " + label +
                    (p.deaths ? ", " + number(p.deaths) + " deaths" : ""));
  }

  function outlines(features, byCode, chosen, fill) {
    // One closed, filled trace per polygon of each province, hovered on its fill.
    var traces = [];
    features.forEach(function (feature) {
      var code = feature.properties.code;
      var p = byCode[code] || { events: 0, deaths: 0, name: feature.properties.name, code: code };
      var polygons = feature.geometry.type === "MultiPolygon"
        ? feature.geometry.coordinates : [feature.geometry.coordinates];
      var picked = chosen.indexOf(code) >= 0;
      polygons.forEach(function (polygon) {
        var ring = polygon[0];
        traces.push({
          type: "scatter", mode: "lines", fill: "toself", hoveron: "fills",
          x: ring.map(function (c) { return c[0]; }),
          y: ring.map(function (c) { return c[1]; }),
          fillcolor: fill(p), showlegend: false,
          line: { color: picked ? "#111" : "#8a8a8a", width: picked ? 3 : 1 },
          name: code, customdata: [code], hoverinfo: "text", text: fill.hover(p)
        });
      });
    });
    return traces;
  }

  function colorbarTrace(top, label, x, y) {
    // An invisible point whose colour scale is the map's legend.
    return {
      type: "scatter", mode: "markers", x: [x], y: [y], hoverinfo: "skip", showlegend: false,
      name: "legend",
      marker: { size: 0.1, opacity: 0, color: [0, top], cmin: 0, cmax: Math.max(top, 1),
                colorscale: COLORSCALE, showscale: true,
                colorbar: Object.assign({
                  title: { text: plotText(label) + "<br>per province", side: "right" },
                  thickness: 12, len: 0.8, outlinewidth: 0
                }, wholeTicks([top])) }
    };
  }

  function drawMap(summary) {
    var provinces = summary.provinces;
    var top = Math.max.apply(null, provinces.map(function (p) { return p.events; }).concat([1]));
    var byCode = {};
    provinces.forEach(function (p) { byCode[p.code] = p; });
    var label = eventsLabel(summary);
    var chosen = summary.admin1 || [];
    var layout = Object.assign({}, BASE_LAYOUT, {
      height: 440,
      margin: { l: 10, r: 10, t: 10, b: 10 },
      showlegend: false,
      hovermode: "closest",
      xaxis: { visible: false },
      yaxis: { visible: false, scaleanchor: "x" }
    });
    var traces = [];
    var features = state.boundaries ? state.boundaries.features : [];
    if (features.length) {
      var fill = function (p) { return shade(p.events, top); };
      fill.hover = function (p) { return provinceHover(p, label); };
      traces = outlines(features, byCode, chosen, fill);
      var first = features[0].geometry.coordinates;
      while (Array.isArray(first[0])) { first = first[0]; }
      traces.push(colorbarTrace(top, label, first[0], first[1]));
    } else {
      layout.yaxis.autorange = "reversed";
      layout.shapes = provinces.map(function (p) {
        var picked = chosen.indexOf(p.code) >= 0;
        return {
          type: "rect", x0: p.col, x1: p.col + 0.95, y0: p.row, y1: p.row + 0.95,
          fillcolor: shade(p.events, top), layer: "below",
          line: { color: picked ? "#111" : "#999", width: picked ? 3 : 1 }
        };
      });
      traces.push({
        type: "scatter", mode: "text+markers", name: "provinces",
        x: provinces.map(function (p) { return p.col + 0.475; }),
        y: provinces.map(function (p) { return p.row + 0.475; }),
        marker: { size: 30, symbol: "square", opacity: 0 },
        text: provinces.map(function (p) {
          return plotText(p.code.split("-").pop()) + "<br>" + p.events;
        }),
        customdata: provinces.map(function (p) { return p.code; }),
        hovertext: provinces.map(function (p) { return provinceHover(p, label); }),
        hoverinfo: "text",
        textfont: {
          size: 10,
          color: provinces.map(function (p) { return inkOn(p.events, top); })
        }
      });
      if (provinces.length) {
        traces.push(colorbarTrace(top, label, provinces[0].col + 0.475,
                                  provinces[0].row + 0.475));
      }
    }
    Plotly.react("map", traces, layout, PLOT_CONFIG);
    var placed = summary.events - summary.unplaced;
    var reached = provinces.filter(function (p) { return p.events > 0; }).length;
    var where = summary.country_name || "the map";
    $("map-summary").textContent = summary.events.toLocaleString("en") + " " + label + " between " +
      nameOf(summary.actor) + " and " + nameOf(summary.rival) + " in " + reached + " of " +
      where + "'s " + provinces.length + " provinces" +
      (summary.unplaced ? " (" + summary.unplaced + " without a province)" : "") + "." +
      (chosen.length ? " Only " + chosen.map(function (code) {
        return byCode[code] ? byCode[code].name : code;
      }).join(", ") + "." : "") +
      (placed ? "" : " Nothing to map under these filters.");
  }

  function drawPoints(summary) {
    var unstated = summary.points.filter(function (p) { return p.point === "unstated"; });
    var withUnstated = Boolean(state.view.unstated) && unstated.length > 0;
    var points = summary.points.filter(function (p) { return p.point === "precise"; });
    var classes = summary.point_classes;
    var label = eventsLabel(summary);
    var byCode = {};
    summary.provinces.forEach(function (p) { byCode[p.code] = p; });
    var chosen = summary.admin1 || [];
    var traces = [];
    var features = state.boundaries ? state.boundaries.features : [];
    if (features.length) {
      var fill = function () { return "#f3f3f3"; };
      fill.hover = function (p) { return provinceHover(p, label); };
      traces = outlines(features, byCode, chosen, fill);
      traces.forEach(function (t, index) {
        t.showlegend = index === 0;
        t.legendgroup = "provinces";
        t.name = index === 0 ? "province outlines" : t.name;
      });
    } else {
      var centred = summary.provinces.filter(function (p) { return p.latitude !== null; });
      traces.push({
        type: "scatter", mode: "markers+text", name: "province centres",
        x: centred.map(function (p) { return p.longitude; }),
        y: centred.map(function (p) { return p.latitude; }),
        text: centred.map(function (p) { return plotText(p.name); }),
        textposition: "top center", textfont: { size: 9, color: "#555" },
        marker: { symbol: "cross-thin-open", size: 7, color: "#777", line: { width: 1 } },
        customdata: centred.map(function (p) { return p.code; }),
        hovertext: centred.map(function (p) { return provinceHover(p, label); }),
        hoverinfo: "text"
      });
    }
    var types = [];
    points.forEach(function (p) { if (types.indexOf(p.event_type) < 0) { types.push(p.event_type); } });
    types.sort();
    types.forEach(function (type, index) {
      var mine = points.filter(function (p) { return p.event_type === type; });
      traces.push({
        type: "scatter", mode: "markers",
        name: plotText(type.replace(/_/g, " ") + " (" + number(mine.length) + ")"),
        x: mine.map(function (p) { return p.longitude; }),
        y: mine.map(function (p) { return p.latitude; }),
        marker: { size: 7, opacity: 0.75, color: TYPE_COLORS[index % TYPE_COLORS.length],
                  line: { color: "#fff", width: 0.5 } },
        customdata: mine.map(function (p) { return p.admin1_code; }),
        ids: mine.map(function (p) { return p.event_id; }),
        hoverinfo: "text",
        hovertext: mine.map(function (p) {
          return plotText(p.date + " · " + type.replace(/_/g, " ") + " · " +
                          (p.admin1 || p.admin1_code || "no province") + " · " +
                          (p.fatalities_best === null ? "deaths unknown"
                            : number(p.fatalities_best) + " deaths") +
                          " · " + upper(p.source) + " " + (p.source_id || p.event_id));
        })
      });
    });
    if (withUnstated) {
      traces.push({
        type: "scatter", mode: "markers",
        name: plotText("precision not stated (" + number(unstated.length) + ")"),
        x: unstated.map(function (p) { return p.longitude; }),
        y: unstated.map(function (p) { return p.latitude; }),
        marker: { size: 7, symbol: "circle-open", color: "#333", line: { width: 1.2 } },
        customdata: unstated.map(function (p) { return p.admin1_code; }),
        ids: unstated.map(function (p) { return p.event_id; }),
        hoverinfo: "text",
        hovertext: unstated.map(function (p) {
          return plotText(p.date + " · " + p.event_type.replace(/_/g, " ") + " · " +
                          (p.admin1 || p.admin1_code || "no province") + " · precision not " +
                          "stated · " + upper(p.source) + " " + (p.source_id || p.event_id));
        })
      });
    }
    $("unstated-choice").hidden = unstated.length === 0;
    $("unstated-label").textContent = "also draw the " + number(classes.unstated) +
      " points whose source does not state their precision (hollow circles)";
    Plotly.react("points", traces, Object.assign({}, BASE_LAYOUT, {
      height: 440,
      margin: { l: 10, r: 10, t: 10, b: 10 },
      hovermode: "closest",
      legend: { orientation: "h", y: -0.02, yanchor: "top", title: { text: "Legend: " } },
      xaxis: { visible: false },
      yaxis: { visible: false, scaleanchor: "x" }
    }), PLOT_CONFIG);
    var left = classes.coarse + classes.unstated + classes.unlocated;
    var parts = [];
    if (classes.coarse) { parts.push(number(classes.coarse) + " coarse (a district's, province's or country's centre)"); }
    if (classes.unstated) { parts.push(number(classes.unstated) + " whose source does not state its precision"); }
    if (classes.unlocated) { parts.push(number(classes.unlocated) + " without coordinates"); }
    if (withUnstated) {
      left -= classes.unstated;
      parts = parts.filter(function (part) { return part.indexOf("does not state") < 0; });
    }
    $("points-summary").textContent = number(classes.precise) + " " + label +
      " with a precise point (within about 25 km)" +
      (points.length < classes.precise ? ", the latest " + number(points.length) + " drawn" : "") +
      (withUnstated ? ", and " + number(unstated.length) + " of unstated precision (hollow)" : "") +
      "; " + (left ? number(left) + " left out: " + parts.join(", ") : "none left out") + ".";
    body.dataset.points = String(points.length);
  }

  function toggleProvince(code) {
    if (!code) { return; }
    var view = Object.assign({}, state.view);
    view.admin1 = view.admin1.indexOf(code) >= 0
      ? view.admin1.filter(function (c) { return c !== code; })
      : view.admin1.concat([code]);
    view.page = 1;
    go(view);
  }

  function clickedProvince(event) {
    var point = event && event.points && event.points[0];
    if (!point) { return null; }
    var data = point.data || {};
    if (point.customdata !== undefined && point.customdata !== null) {
      return Array.isArray(point.customdata) ? point.customdata[0] : point.customdata;
    }
    return data.customdata ? data.customdata[0] : null;
  }

  // --- the timeline ----------------------------------------------------------------------
  function wholeTicks(values) {
    // An axis of counts: whole numbers only (no 5.7 deaths), about six ticks.
    var top = Math.max.apply(null, values.concat([1]));
    var step = Math.pow(10, Math.floor(Math.log10(top / 6 || 1)));
    [1, 2, 5, 10].some(function (m) {
      if (top / (step * m) <= 7) { step = step * m; return true; }
      return false;
    });
    return { tick0: 0, dtick: Math.max(1, Math.round(step)), tickformat: ",d" };
  }

  function drawTimeline(summary) {
    var months = summary.months.map(function (m) { return m.month; });
    var label = eventsLabel(summary);
    var traces = [
      { type: "bar", name: label + " per month", x: months, marker: { color: "#444" },
        width: months.map(function () { return 26 * 864e5; }),
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
      if (!months.length || end < months[0] || phase.start > last) { return; }
      // The label where the phase enters the chart, kept inside it near the right edge.
      var from = phase.start < months[0] ? months[0] : phase.start;
      var span = Date.parse(last) - Date.parse(months[0]) || 1;
      var right = (Date.parse(from) - Date.parse(months[0])) / span > 0.8;
      annotations.push({
        x: from, y: 1, xref: "x", yref: "paper", text: plotText(phase.name.slice(0, 28)),
        showarrow: false, xanchor: right ? "right" : "left", yanchor: "bottom",
        textangle: right ? 0 : -20, font: { size: 10, color: "#444" }
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
      margin: { l: 60, r: 60, t: 80, b: 40 },
      legend: { orientation: "h", y: -0.15 },
      xaxis: months.length ? { type: "date", range: [shiftDays(months[0], -20),
                                                       shiftDays(last, 45)] } : { type: "date" },
      yaxis: Object.assign({ title: { text: label }, rangemode: "tozero",
                             domain: [windows.length ? strip + 0.1 : 0, 1] },
                           wholeTicks(summary.months.map(function (m) { return m.events; }))),
      yaxis3: { domain: [0, strip], anchor: "x", type: "category", categoryorder: "array",
                categoryarray: labels.slice().reverse(), showgrid: false, fixedrange: true,
                visible: windows.length > 0, automargin: true, tickfont: { size: 10 } },
      yaxis2: Object.assign({ title: { text: "deaths" }, overlaying: "y", side: "right",
                              showgrid: false, rangemode: "tozero" },
                            wholeTicks(summary.months.map(function (m) { return m.deaths; }))),
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
  function eventParams(summary) {
    // The API's filters for exactly the events of the view (the phase is in since/until).
    return {
      actor: actor, rival: rival, country: summary.country,
      type: summary.event_type === "all" ? [] : summary.event_types,
      admin1: summary.admin1, since: summary.since, until: summary.until,
      source: filters().source
    };
  }

  function citationCell(e) {
    // The source's dataset and version, with a link to the source's own record when given.
    var td = el("td");
    var read = (state.summary.read || []);
    var names = e.sources && e.sources.length ? e.sources : [e.source];
    td.appendChild(document.createTextNode(names.map(function (name) {
      var found = read.filter(function (r) { return r.source === name; })[0];
      return upper(name) + (found && found.version ? " " + found.version : "");
    }).join(" + ")));
    if (e.source_url && /^https?:\/\//.test(e.source_url)) {
      td.appendChild(document.createTextNode(" · "));
      var link = el("a", "record");
      link.href = e.source_url;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      td.appendChild(link);
    }
    return td;
  }

  function loadEvents() {
    var summary = state.summary;
    if (!summary) { return Promise.resolve(); }
    var view = state.view;
    var request = ++state.events;
    var total = summary.events;
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    var page = Math.min(view.page, pages);
    var params = Object.assign(eventParams(summary), {
      sort: view.sort, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE
    });
    return getJSON("/api/events" + query(params)).then(function (data) {
      if (request !== state.events) { return; }
      var tbody = $("events-table").tBodies[0];
      fillRows(tbody, data.events, function (e) {
        var tr = rowOf([
          e.date_start, e.event_type, named(e.actor1), named(e.actor2),
          [e.admin1_code, e.admin1].filter(Boolean).join(" "),
          number(e.fatalities_best), e.sources ? e.sources.join(" + ") : e.source,
          e.linked_ids ? e.linked_ids.join(" ") : (e.source_id || e.event_id)
        ]);
        tr.appendChild(citationCell(e));
        tr.appendChild(el("td", e.notes || "", "notes"));
        return tr;
      });
      var first = total ? (page - 1) * PAGE_SIZE + 1 : 0;
      var last = Math.min(total, page * PAGE_SIZE);
      $("events-range").textContent = total
        ? "Events " + number(first) + " to " + number(last) + " of " + number(total) + "."
        : "No events under these filters.";
      $("events-page").textContent = "Page " + page + " of " + pages;
      $("events-prev").disabled = page <= 1;
      $("events-next").disabled = page >= pages;
      body.dataset.eventsPage = String(page);
    });
  }

  function sortBy(key) {
    var view = Object.assign({}, state.view);
    view.sort = view.sort === key ? "-" + key : key;
    view.page = 1;
    go(view);
  }

  function turnPage(step) {
    var view = Object.assign({}, state.view);
    view.page = Math.max(1, view.page + step);
    // Only the table changes: a new entry in the history, no redraw of the charts.
    state.view = view;
    window.history.pushState(null, "", window.location.pathname + viewQuery(view));
    return loadEvents().then(function () { body.dataset.turned = String(view.page); });
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
    var frame = { country: summary.country, since: summary.since, until: summary.until,
                  source: f.source };
    var events = eventParams(summary);
    ["csv", "jsonl", "parquet", "geojson"].forEach(function (format) {
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
      phase: f.phase, admin1: f.admin1
    });
    return getJSON(url).then(function (summary) {
      if (request !== state.request) { return null; }
      state.summary = summary;
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
      var byName = summary.provinces.slice().sort(function (a, b) {
        return a.name.localeCompare(b.name, "en");
      });
      fillSelect($("f-admin1"), byName.map(function (p) { return p.code; }),
                 byName.map(function (p) { return p.name + " (" + p.code + ")"; }));
      showView(state.view);
      describeView(summary);
      var needsShapes = summary.provinces.some(function (p) { return p.has_boundary; });
      var shapes = needsShapes && !state.boundaries
        ? getJSON("/api/boundaries" + query({ country: summary.country }))
            .then(function (b) { state.boundaries = b; })
        : Promise.resolve();
      return shapes.then(function () {
        drawMap(summary);
        drawPoints(summary);
        drawTimeline(summary);
        body.dataset.version = String(summary.snapshot_version);
        return loadEvents().then(function () {
          if (request === state.request) { body.dataset.drawn = String(request); }
        });
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
  function describeView(summary) {
    // The view in one sentence, for people and screen readers.
    var parts = [eventsLabel(summary)];
    parts.push(summary.since || summary.until
      ? "from " + (summary.since || "the start") + " to " + (summary.until || "the end")
      : "over the whole window");
    if (summary.phase) { parts.push("in the phase " + summary.phase); }
    if (summary.admin1.length) {
      var byCode = {};
      summary.provinces.forEach(function (p) { byCode[p.code] = p.name; });
      parts.push("in " + summary.admin1.map(function (code) {
        return byCode[code] ? byCode[code] + " (" + code + ")" : code;
      }).join(", "));
    }
    parts.push("read from " + (summary.source === "fused" ? "the fused view"
      : upper(summary.source || "the default source")));
    $("view-summary").textContent = "Showing " + parts.join(", ") + ": " +
      number(summary.events) + " events.";
  }

  function loadHotspots() {
    var source = filters().source;
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
  $("filters").addEventListener("change", function () { go(viewFromControls()); });
  $("filters").addEventListener("submit", function (event) {
    event.preventDefault();
    go(viewFromControls());
  });
  $("f-reset").addEventListener("click", function (event) {
    event.preventDefault();
    go({ since: "", until: "", types: DEFAULT_TYPES.slice(), source: "", admin1: [], phase: "",
         sort: "date", page: 1, unstated: false });
  });
  $("f-clear-admin1").addEventListener("click", function () {
    var view = Object.assign({}, state.view, { admin1: [], page: 1 });
    go(view);
  });
  $("f-copy").addEventListener("click", function () {
    var link = window.location.href;
    var done = function () { say("filter-message", "Link copied: " + link, true); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(done, function () {
        say("filter-message", "Copy this link: " + link, true);
      });
    } else {
      say("filter-message", "Copy this link: " + link, true);
    }
  });
  document.querySelectorAll("#events-table th[data-sort] button").forEach(function (button) {
    button.addEventListener("click", function () { sortBy(button.parentNode.dataset.sort); });
  });
  $("f-unstated").addEventListener("change", function () {
    var view = Object.assign({}, state.view, { unstated: $("f-unstated").checked });
    state.view = view;
    window.history.pushState(null, "", window.location.pathname + viewQuery(view));
    if (state.summary) { drawPoints(state.summary); }
  });
  $("events-prev").addEventListener("click", function () { turnPage(-1); });
  $("events-next").addEventListener("click", function () { turnPage(1); });
  window.addEventListener("popstate", function () {
    state.view = viewFromURL();
    showView(state.view);
    refresh();
  });
  $("defection-form").addEventListener("submit", addDefection);
  if ($("access-form")) {
    $("access-form").addEventListener("submit", function (event) { event.preventDefault(); });
  }
  if (!writes) {
    Array.prototype.forEach.call($("defection-form").elements, function (field) {
      field.disabled = true;
    });
  }

  state.view = viewFromURL();
  showView(state.view);
  ["map", "points"].forEach(function (id) {
    var node = $(id);
    Plotly.newPlot(node, [], Object.assign({}, BASE_LAYOUT, {
      xaxis: { visible: false }, yaxis: { visible: false }
    }), PLOT_CONFIG).then(function () {
      node.on("plotly_click", function (event) { toggleProvince(clickedProvince(event)); });
    });
  });

  Promise.all([refresh(), loadDefections(), loadReview(), loadActors(), checkStatus()])
    .then(function () {
      body.dataset.ready = "yes";
      return loadHotspots();
    })
    .then(function () { body.dataset.hotspots = "yes"; });
  window.setInterval(checkStatus, 10000);
})();
