"""Plotly figures of the profile's sections. Maps are drawn on plain axes (no geo base layer,
no tiles), so every figure renders offline from the inlined plotly.js alone; each has a legend
(a color bar for the clash map, named traces for the hotspots over the province outlines).
Actors appear by their display names (:func:`actor_name`), never by their ids; counts on whole
number ticks (:func:`count_axis`); the timeline over the dyad's own window
(:func:`dyad_window`)."""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

if TYPE_CHECKING:
    from rivalscope.analysis.profile import Profile

COLORS = {"actor": "#b2182b", "rival": "#2166ac", "other": "#7f7f7f", "band": "#f0f0f0"}
SOURCE_COLORS = {"ucdp": "#1b9e77", "acled": "#d95f02", "text": "#7570b3", "sim": "#e7298a"}
"""Each known source's color where charts show its coverage."""
OTHER_SOURCE_COLORS = ("#66a61e", "#e6ab02", "#a6761d", "#666666")


def source_color(name: str, index: int) -> str:
    """The color of a source's coverage (a known source's own, else one of a few by order)."""
    return SOURCE_COLORS.get(name, OTHER_SOURCE_COLORS[index % len(OTHER_SOURCE_COLORS)])


def plot_text(value: object) -> str:
    """Text from the data as plotly.js shows it: its few tags (``<b>``, ``<a>``, ...) escaped."""
    return html.escape(str(value), quote=False)


def actor_name(profile: Profile, actor_id: str) -> str:
    """An actor as a chart shows it: its display name (escaped as :func:`plot_text` does)."""
    return plot_text(profile.dyad.name(actor_id))


LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "height": 360,
    "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
    "legend": {"orientation": "h", "y": -0.2},
    "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
}


def new_figure(**layout: Any) -> go.Figure:
    """An empty figure in the pages' style (:data:`LAYOUT`, updated by ``layout``)."""
    figure = go.Figure()
    figure.update_layout(**{**LAYOUT, **layout})
    return figure


WINDOW_PAD = dt.timedelta(days=16)
"""How far a time chart's x-range reaches past the dyad's first and last month (half a bar)."""


def dyad_window(profile: Profile) -> tuple[dt.date, dt.date] | None:
    """The dyad's own window: the first and the last month (their first days) in which the two
    have an event between them (None when they have none). Time charts are clipped to it."""
    between = profile.dyad.between()
    found = between.aggregate(
        first=between.date_start.min(), last=between.date_start.max()
    ).to_pyarrow()
    first, last = found.column("first")[0].as_py(), found.column("last")[0].as_py()
    if first is None or last is None:
        return None
    return first.replace(day=1), last.replace(day=1)


def x_range(window: tuple[dt.date, dt.date]) -> list[str]:
    """A time chart's x-range over ``window`` (months), padded by :data:`WINDOW_PAD`."""
    return [(window[0] - WINDOW_PAD).isoformat(), (window[1] + WINDOW_PAD).isoformat()]


def count_axis(top: float, **axis: Any) -> dict[str, Any]:
    """A y-axis of counts: whole-number ticks (1, 2, 5, 10, 20, 50, ... apart, at most about
    five), from zero."""
    step = 1
    while top / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 5:
                break
    return {
        "rangemode": "tozero",
        "tick0": 0,
        "dtick": step,
        "tickformat": ",d",
        "range": [0, max(1, top) * 1.08],
        **axis,
    }


def _in_window(
    monthly: dict[str, list[Any]], window: tuple[dt.date, dt.date] | None
) -> dict[str, list[Any]]:
    if window is None or not monthly.get("month"):
        return monthly
    keep = [i for i, month in enumerate(monthly["month"]) if window[0] <= month <= window[1]]
    return {column: [values[i] for i in keep] for column, values in monthly.items()}


def _phase_labels(figure: go.Figure, profile: Profile, window: tuple[dt.date, dt.date]) -> None:
    """Shade every other phase and name each phase that overlaps the window above the chart:
    numbered, on two staggered rows, its name cut to the room its band leaves (the full name
    and dates on hover)."""
    first, last = window[0] - WINDOW_PAD, window[1] + WINDOW_PAD
    span = max(1, (last - first).days)
    for number, phase in enumerate(profile.dyad.phases, start=1):
        start, end = phase.start, phase.end or last
        if end <= first or start >= last:
            continue
        start, end = max(start, first), min(end, last)
        if number % 2 == 1:
            figure.add_vrect(
                x0=start.isoformat(),
                x1=end.isoformat(),
                fillcolor=COLORS["band"],
                opacity=0.7,
                layer="below",
                line_width=0,
            )
        room = int(PLOT_WIDTH_CHARS * 2 * (end - start).days / span)
        name = plot_text(phase.name)
        text = f"{number}. {name}" if len(name) + 4 <= room else f"{number}. {name[: room - 5]}…"
        if room < 8:
            text = str(number)
        until = f" to {phase.end}" if phase.end else ""
        figure.add_annotation(
            x=(start + (end - start) / 2).isoformat(),
            y=1.0 if number % 2 else 1.075,
            yref="paper",
            text=text,
            hovertext=f"{number}. {name}: {phase.start}{until}",
            showarrow=False,
            xanchor="center",
            yanchor="bottom",
            font={"size": 10, "color": "#555"},
        )


PLOT_WIDTH_CHARS = 150
"""About how many 10px characters fit across a chart on the page (1000px wide)."""


def timeline(profile: Profile) -> go.Figure:
    """Monthly clashes (bars), clash deaths (line) and each side's attacks over the dyad's own
    window (:func:`dyad_window`), with phase bands and each source's coverage shaded."""
    dyad = profile.dyad
    window = dyad_window(profile)
    monthly = _in_window(profile.timeline.monthly.to_pydict(), window)
    windows = coverage_windows(profile)
    strip = min(0.3, 0.07 * len(windows))
    months = monthly.get("month", [])
    counts = [
        v
        for column in ("clashes", "attacks_by_actor", "attacks_by_rival")
        for v in monthly.get(column, [])
    ]
    deaths = monthly.get("clash_deaths", [])
    figure = new_figure(
        height=LAYOUT["height"] + 26 * len(windows) + 30,
        margin={**LAYOUT["margin"], "t": 64},
        yaxis=count_axis(
            max(counts, default=1),
            title="events per month",
            domain=[strip + 0.06 if windows else 0, 1],
        ),
        yaxis2=count_axis(
            max(deaths, default=1), title="deaths", overlaying="y", side="right", showgrid=False
        ),
        meta={"window": [d.isoformat() for d in window] if window else None},
    )
    if window is not None:
        figure.update_layout(xaxis={"range": x_range(window), "type": "date"})
    figure.add_bar(
        x=months, y=monthly.get("clashes", []), name="clashes between them", marker_color="#444"
    )
    figure.add_scatter(
        x=months,
        y=monthly.get("attacks_by_actor", []),
        mode="lines",
        name=f"attacks by {actor_name(profile, dyad.actor)}",
        line_color=COLORS["actor"],
    )
    figure.add_scatter(
        x=months,
        y=monthly.get("attacks_by_rival", []),
        mode="lines",
        name=f"attacks by {actor_name(profile, dyad.rival)}",
        line_color=COLORS["rival"],
    )
    figure.add_scatter(
        x=months,
        y=deaths,
        mode="lines",
        yaxis="y2",
        name="deaths in clashes (right axis)",
        line={"color": "#999", "dash": "dot"},
    )
    if window is not None:
        _phase_labels(figure, profile, window)
    _draw_coverage(figure, windows, strip)
    return figure


def coverage_windows(profile: Profile) -> list[dict[str, Any]]:
    """Each source read with a known window: ``source``, ``first``, ``last``, ``version``,
    ``color`` and ``label`` (``ACLED coverage``), in the profile's order."""
    return [
        {
            "source": entry["source"],
            "first": entry["first_date"],
            "last": entry["last_date"],
            "version": entry.get("version"),
            "color": source_color(str(entry["source"]), index),
            "label": f"{str(entry['source']).upper()} coverage",
        }
        for index, entry in enumerate(profile.sources)
        if entry.get("first_date") is not None and entry.get("last_date") is not None
    ]


def _draw_coverage(figure: go.Figure, windows: list[dict[str, Any]], strip: float) -> None:
    """Shade each source's coverage window over the chart, and draw it as a labelled bar in a
    strip under the chart (one row per source), so the eye sees where each starts and stops."""
    if not windows:
        return
    labels = [plot_text(w["label"]) for w in windows]
    figure.update_layout(
        yaxis3={
            "domain": [0, strip],
            "anchor": "x",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(reversed(labels)),
            "showgrid": False,
            "fixedrange": True,
            "tickfont": {"size": 10},
        },
    )
    for window, label in zip(windows, labels, strict=True):
        color, first, last = window["color"], window["first"], window["last"]
        figure.add_shape(
            type="rect",
            xref="x",
            yref="y domain",
            x0=first,
            x1=last,
            y0=0,
            y1=1,
            fillcolor=color,
            opacity=0.08,
            layer="below",
            line_width=0,
        )
        for edge in (first, last):
            figure.add_shape(
                type="line",
                xref="x",
                yref="y domain",
                x0=edge,
                x1=edge,
                y0=0,
                y1=1,
                line={"color": color, "width": 1, "dash": "dash"},
                opacity=0.7,
            )
        version = f", version {plot_text(window['version'])}" if window["version"] else ""
        figure.add_scatter(
            x=[first, last],
            y=[label, label],
            yaxis="y3",
            mode="lines",
            line={"color": color, "width": 12},
            name=label,
            legendgroup="coverage",
            hovertext=f"{label}: {first} to {last}{version}",
            hoverinfo="text",
        )


def _scale(values: list[float]) -> list[str]:
    top = max(values) if values and max(values) > 0 else 1
    return [
        "#f7f7f7" if not v else sample_colorscale("Reds", [0.15 + 0.85 * v / top])[0]
        for v in values
    ]


def _colorbar(figure: go.Figure, values: list[float], title: str) -> None:
    """The map's legend: a color bar from 0 to the largest value, in :func:`_scale`'s colors
    (an invisible trace carries it)."""
    top = max(values) if values and max(values) > 0 else 1
    steps = [0.0, 0.25, 0.5, 0.75, 1.0]
    scale = [[0.0, "#f7f7f7"], [0.001, sample_colorscale("Reds", [0.15])[0]]] + [
        [step, sample_colorscale("Reds", [0.15 + 0.85 * step])[0]] for step in steps[1:]
    ]
    figure.add_scatter(
        x=[None],
        y=[None],
        mode="markers",
        hoverinfo="skip",
        showlegend=False,
        name=title,
        marker={
            "color": [0],
            "colorscale": scale,
            "cmin": 0,
            "cmax": top,
            "showscale": True,
            "colorbar": {
                "title": {"text": title, "side": "right"},
                "thickness": 14,
                "len": 0.7,
                "tickformat": ",d",
                "dtick": count_axis(top)["dtick"],
            },
        },
    )


def spread_map(profile: Profile) -> go.Figure:
    """A choropleth of clashes per province when boundaries are loaded, else the tile grid."""
    spread = profile.spread
    if spread.geojson:
        figure = _choropleth(spread.geojson)
        values = [f["properties"].get("clashes", 0) for f in spread.geojson.get("features", [])]
        _colorbar(figure, values, "clashes between them")
        return figure
    tiles = spread.tiles.to_pylist()
    figure = new_figure(
        height=440,
        xaxis={"visible": False},
        yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"},
        showlegend=False,
    )
    colors = _scale([t["clashes"] for t in tiles])
    for tile, color in zip(tiles, colors, strict=True):
        x, y = tile["col"], tile["row"]
        figure.add_shape(
            type="rect",
            x0=x,
            x1=x + 0.95,
            y0=y,
            y1=y + 0.95,
            fillcolor=color,
            line={"color": "#999", "width": 1},
            layer="below",
        )
    figure.add_scatter(
        x=[t["col"] + 0.475 for t in tiles],
        y=[t["row"] + 0.475 for t in tiles],
        mode="text",
        text=[f"{t['code'].split('-')[-1]}<br>{t['clashes']}" for t in tiles],
        hovertext=[f"{t['name']}: {t['clashes']} clashes" for t in tiles],
        hoverinfo="text",
        textfont={
            "size": 10,
            "color": [
                "white" if t["clashes"] * 2 > max(u["clashes"] for u in tiles) else "#333"
                for t in tiles
            ],
        },
    )
    _colorbar(figure, [t["clashes"] for t in tiles], "clashes between them")
    return figure


def outer_rings(geometry: dict[str, Any]) -> list[list[Any]]:
    """The outer ring of each polygon of a GeoJSON Polygon or MultiPolygon (holes left out)."""
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    return [polygon[0] for polygon in polygons]


def _choropleth(geojson: dict[str, Any]) -> go.Figure:
    features = geojson.get("features", [])
    figure = new_figure(
        height=440,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        showlegend=False,
    )
    colors = _scale([f["properties"].get("clashes", 0) for f in features])
    for feature, color in zip(features, colors, strict=True):
        props = feature["properties"]
        label = f"{props.get('name')}: {props.get('clashes', 0)} clashes"
        for ring in outer_rings(feature["geometry"]):
            figure.add_scatter(
                x=[p[0] for p in ring],
                y=[p[1] for p in ring],
                mode="lines",
                fill="toself",
                fillcolor=color,
                line={"color": "#888", "width": 1},
                hoverinfo="text",
                hovertext=label,
                name=str(props.get("code")),
            )
    return figure


def targets(profile: Profile) -> go.Figure:
    """Whom each side fights over the whole window: stacked shares of its events by what the
    counterpart is to it (the rival, the state, foreign forces, other groups, civilians)."""
    from rivalscope.roles import RELATION_WORDS, RELATIONS

    rows = [r for r in profile.targets.table.to_pylist() if r["phase"] == "all"]
    figure = new_figure(
        barmode="stack", xaxis={"title": "share of the side's events", "range": [0, 1]}
    )
    for relation in RELATIONS:
        picked = [r for r in rows if r["relation"] == relation]
        if not picked:
            continue
        figure.add_bar(
            y=[plot_text(profile.dyad.name(r["side"])) for r in picked],
            x=[r["share"] for r in picked],
            orientation="h",
            name=RELATION_WORDS[relation],
        )
    return figure


def wrap(text: str, width: int = 30) -> str:
    """Text broken into lines of at most about ``width`` characters at spaces (``<br>``)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def influence(profile: Profile) -> go.Figure:
    """Each side's influence activities over the whole window, by kind (stacked events)."""
    rows = [r for r in profile.influence.counts.to_pylist() if r.get("phase") == "all"]
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["side"]] = totals.get(r["side"], 0) + r["events"]
    figure = new_figure(
        barmode="stack", xaxis=count_axis(max(totals.values(), default=1), title="events")
    )
    for kind in sorted({r["event_type"] for r in rows}):
        picked = [r for r in rows if r["event_type"] == kind]
        figure.add_bar(
            y=[plot_text(profile.dyad.name(r["side"])) for r in picked],
            x=[r["events"] for r in picked],
            orientation="h",
            name=plot_text(kind),
        )
    return figure


RATIO_TICKS = tuple(base * 10.0**power for power in range(-4, 4) for base in (1, 2, 5))
"""The rate-ratio axis's ticks: 1, 2 and 5 times each power of ten (0.0001 to 5,000)."""


def phases(profile: Profile) -> go.Figure:
    """Rate ratios (after / before) with 95% intervals at each phase boundary, per measure."""
    rows = profile.phases.boundaries.to_pylist()
    shown = {r["boundary"] for r in rows if r["rate_ratio"]}
    figure = new_figure(
        height=max(300, 150 + 80 * len(shown)),
        xaxis={
            "title": "rate ratio, after / before (log scale)",
            "type": "log",
            "tickvals": RATIO_TICKS,
            "ticktext": [f"{tick:g}" for tick in RATIO_TICKS],
        },
        yaxis={"automargin": True, "tickfont": {"size": 11}},
        margin={**LAYOUT["margin"], "l": 10},
        scattermode="group",
        scattergap=0.5,
    )

    def label(row: dict[str, Any]) -> str:
        edge = row.get("coverage_edge")
        marked = f" ⚠ {plot_text(str(edge).upper())} coverage edge" if edge else ""
        return f"{wrap(plot_text(row['after']))}<br>({row['boundary']}){marked}"

    d = profile.dyad
    named = {
        "clashes": "clashes",
        "clash_deaths": "deaths in clashes",
        "attacks_by_actor": f"attacks by {d.name(d.actor)}",
        "attacks_by_rival": f"attacks by {d.name(d.rival)}",
    }
    for measure, name in named.items():
        picked = [r for r in rows if r["measure"] == measure and r["rate_ratio"]]
        figure.add_scatter(
            x=[r["rate_ratio"] for r in picked],
            y=[label(r) for r in picked],
            marker={
                "symbol": ["circle-open" if r.get("coverage_edge") else "circle" for r in picked],
                "size": 9,
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r["ci_high"] - r["rate_ratio"] for r in picked],
                "arrayminus": [r["rate_ratio"] - r["ci_low"] for r in picked],
            },
            mode="markers",
            orientation="h",
            name=plot_text(name),
            offsetgroup=measure,
        )
    if any(r.get("coverage_edge") and r["rate_ratio"] for r in rows):
        figure.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "circle-open", "size": 9, "color": "#555"},
            name="open: on a source's coverage edge (⚠)",
        )
    ordered = dict.fromkeys(
        label(r) for r in sorted(rows, key=lambda r: r["boundary"]) if r["rate_ratio"]
    )
    figure.update_yaxes(
        type="category", categoryorder="array", categoryarray=list(reversed(ordered))
    )
    figure.add_vline(x=1, line={"color": "#999", "dash": "dash"})
    return figure


def harm(profile: Profile) -> go.Figure:
    """The event study: the change in the primary outcome per province-month by months since a
    province's first clash, against never-clashed provinces, with 95% intervals; month -1 is
    the reference (0 by construction), the overall effect over months 0 to 12 drawn as a band."""
    h = profile.harm
    rows = [r for r in h.event_time.to_pylist() if r["att"] is not None]
    figure = new_figure(
        xaxis={"title": "months since the province's first clash", "dtick": 3},
        yaxis={"title": "change per province-month"},
    )
    if not rows:
        return figure
    figure.add_scatter(
        x=[r["e"] for r in rows],
        y=[r["att"] for r in rows],
        mode="lines+markers",
        name="effect at each month (95% CI)",
        line={"color": COLORS["actor"]},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [(r["ci_high"] or r["att"]) - r["att"] for r in rows],
            "arrayminus": [r["att"] - (r["ci_low"] or r["att"]) for r in rows],
        },
        hovertext=[
            f"{r['n_treated']} province{'s' if r['n_treated'] != 1 else ''} in "
            f"{r['n_cohorts']} cohort{'s' if r['n_cohorts'] != 1 else ''}"
            for r in rows
        ],
    )
    overall = h.att
    if overall.get("estimate") is not None:
        low, high = overall.get("ci_low"), overall.get("ci_high")
        figure.add_scatter(
            x=[0, 12, 12, 0, 0],
            y=[low, low, high, high, low],
            fill="toself",
            mode="lines",
            line={"width": 0},
            fillcolor="rgba(120,120,120,0.18)",
            name=f"overall, months 0-12: {overall['estimate']:+.2f} [{low:+.2f}, {high:+.2f}]",
        )
    figure.add_hline(y=0, line={"color": "#999"})
    figure.add_vline(x=-0.5, line={"color": "#999", "dash": "dash"})
    return figure


def defections(profile: Profile) -> go.Figure:
    """Flows between groups as a Sankey diagram (width: records)."""
    rows = profile.defections.flows.to_pylist()
    names = sorted({r["from_actor"] for r in rows} | {r["to_actor"] for r in rows})
    sources = [f"{actor_name(profile, n)} (left)" for n in names]
    targets_ = [f"{actor_name(profile, n)} (joined)" for n in names]
    figure = new_figure(height=320)
    if rows:
        figure.add_trace(
            go.Sankey(
                node={"label": sources + targets_, "pad": 12},
                link={
                    "source": [names.index(r["from_actor"]) for r in rows],
                    "target": [len(names) + names.index(r["to_actor"]) for r in rows],
                    "value": [r["records"] for r in rows],
                },
            )
        )
    return figure


def _province_layer(profile: Profile) -> tuple[list[Any], list[Any], list[dict[str, Any]]]:
    """The provinces under a map: their outlines as one line path (``x``, ``y``, None between
    rings) when boundaries are loaded, and their centres (``name``, ``latitude``,
    ``longitude``)."""
    xs: list[Any] = []
    ys: list[Any] = []
    geojson = profile.spread.geojson or {}
    for feature in geojson.get("features", []):
        for ring in outer_rings(feature["geometry"]):
            xs += [point[0] for point in ring] + [None]
            ys += [point[1] for point in ring] + [None]
    centres = [
        row
        for row in profile.dyad.provinces().to_pylist()
        if row.get("latitude") is not None and row.get("longitude") is not None
    ]
    return xs, ys, centres


HOTSPOT_SYMBOLS = ("circle", "diamond")
"""Each side's marker on the hotspot map (actor, rival): told apart without color too."""


def hotspots(profile: Profile) -> go.Figure:
    """Each side's attack hotspots (cluster centres, sized by attacks) side by side, one panel
    per side over the province outlines (or, without boundaries, the province centres)."""
    from plotly.subplots import make_subplots

    rows = profile.hotspots.clusters.to_pylist()
    d = profile.dyad
    sides = ((d.actor, COLORS["actor"]), (d.rival, COLORS["rival"]))
    names = [actor_name(profile, side) for side, _ in sides]
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[f"{name}: attack hotspots" for name in names],
        horizontal_spacing=0.04,
    )
    figure.update_layout(
        **{**LAYOUT, "height": 460, "margin": {"l": 10, "r": 10, "t": 40, "b": 40}}
    )
    xs, ys, centres = _province_layer(profile)
    picked_all = [r for r in rows if r["side"] in (d.actor, d.rival)]
    if not picked_all:
        return figure
    largest = max(r["events"] for r in picked_all)
    for column, ((side, color), name, symbol) in enumerate(
        zip(sides, names, HOTSPOT_SYMBOLS, strict=True), start=1
    ):
        if xs:
            figure.add_scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "#b5b5b5", "width": 0.8},
                hoverinfo="skip",
                name="province outlines",
                legendgroup="provinces",
                showlegend=column == 1,
                row=1,
                col=column,
            )
        if centres:
            figure.add_scatter(
                x=[c["longitude"] for c in centres],
                y=[c["latitude"] for c in centres],
                mode="markers" if xs else "markers+text",
                text=[plot_text(c["name"]) for c in centres],
                textposition="bottom center",
                textfont={"size": 8, "color": "#888"},
                marker={"size": 3 if xs else 5, "color": "#aaa"},
                hovertext=[plot_text(c["name"]) for c in centres],
                hoverinfo="text",
                name="province centres",
                legendgroup="centres",
                showlegend=column == 1 and not xs,
                row=1,
                col=column,
            )
        picked = sorted(
            (r for r in rows if r["side"] == side), key=lambda r: r["events"], reverse=True
        )
        if not picked:
            figure.add_annotation(
                text=f"No hotspot of {name}'s attacks",
                showarrow=False,
                x=0.5,
                y=0.5,
                xref=f"x{column if column > 1 else ''} domain",
                yref=f"y{column if column > 1 else ''} domain",
                font={"color": "#777"},
            )
        figure.add_scatter(
            x=[r["longitude"] for r in picked],
            y=[r["latitude"] for r in picked],
            mode="markers",
            name=f"{name} attack hotspots (size: attacks, largest {largest:,})",
            marker={
                "size": [8 + 34 * (r["events"] / largest) ** 0.5 for r in picked],
                "color": color,
                "opacity": 0.65,
                "symbol": symbol,
                "line": {"color": "white", "width": 1},
            },
            hovertext=[
                f"{name} #{r['cluster']}: {r['events']:,} attacks, {r['deaths']:,} deaths, "
                f"radius {r['radius_km']:.1f} km, {plot_text(r.get('admin1_code') or '')}"
                for r in picked
            ],
            hoverinfo="text",
            row=1,
            col=column,
        )
    lons = [x for x in xs if x is not None] or [c["longitude"] for c in centres]
    lats = [y for y in ys if y is not None] or [c["latitude"] for c in centres]
    lons += [r["longitude"] for r in picked_all]
    lats += [r["latitude"] for r in picked_all]
    pad = 0.4
    for column in (1, 2):
        suffix = "" if column == 1 else str(column)
        figure.update_layout(
            {
                f"xaxis{suffix}": {
                    "visible": False,
                    "range": [min(lons) - pad, max(lons) + pad],
                },
                f"yaxis{suffix}": {
                    "visible": False,
                    "range": [min(lats) - pad, max(lats) + pad],
                    "scaleanchor": f"x{suffix}",
                },
            }
        )
    return figure


def network(profile: Profile) -> go.Figure:
    """Each side's allies (events naming them on its side), then apart the actors most often
    active near it, any relation, those it fought marked."""
    d = profile.dyad
    allies = profile.network.allies.to_pylist()
    nearby = profile.network.nearby.to_pylist()
    top = max([r["events"] for r in allies] + [r["near"] for r in nearby], default=1)
    figure = new_figure(barmode="group", xaxis=count_axis(top, title="events"))
    for side, color in ((d.actor, COLORS["actor"]), (d.rival, COLORS["rival"])):
        name = plot_text(d.name(side))
        mine = [r for r in allies if r["side"] == side]
        figure.add_bar(
            y=[f"ally: {plot_text(r['ally_name'])}" for r in mine],
            x=[r["events"] for r in mine],
            orientation="h",
            name=f"allies of {name} (events naming them on its side)",
            marker_color=color,
        )
        near = [r for r in nearby if r["side"] == side]
        figure.add_bar(
            y=[
                f"nearby: {plot_text(r['neighbour_name'])}"
                + (f" (fought it {r['fights']:,} times)" if r["fought"] else "")
                for r in near
            ],
            x=[r["near"] for r in near],
            orientation="h",
            name=f"active near {name} (any relation: events of it with them near)",
            marker={"color": color, "opacity": 0.45},
        )
    return figure


def has_data(trace: Any) -> bool:
    """Whether a trace draws anything (a Sankey its nodes, any other trace its x values; the
    invisible carrier of a color bar does not count)."""
    if isinstance(trace, go.Sankey):
        return bool(trace.node.label)
    return any(x is not None for x in (trace.x or ()))


def is_empty(figure: go.Figure) -> bool:
    """Whether a figure has nothing to draw (the report then says so in one sentence)."""
    return not any(has_data(trace) for trace in figure.data)


def _empty(figure: go.Figure, message: str) -> go.Figure:
    """Say so on the chart when a section has nothing to draw."""
    if not is_empty(figure):
        return figure
    figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, height=120)
    figure.add_annotation(
        text=message,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 14, "color": "#777"},
    )
    return figure


def _with_empty_note(draw: Any, message: str) -> Any:
    def drawn(profile: Profile) -> go.Figure:
        return _empty(draw(profile), message)

    drawn.__doc__ = draw.__doc__
    return drawn


EMPTY_NOTES = {
    "timeline": "No event between the two is recorded in the window.",
    "spread": "No clash between the two has a province.",
    "targets": "No attacks by either side in the window.",
    "influence": "No influence activity by either side is recorded.",
    "phases": "No phase boundary falls inside the data.",
    "harm": "No province can be compared before and after a clash.",
    "defections": "No defection records involve either side.",
    "hotspots": "No cluster of attacks at these settings.",
    "network": "No ally and no actor active nearby for either side.",
}
"""What a section says, in one sentence, when its chart has nothing to draw."""

DRAW = {
    "timeline": timeline,
    "spread": spread_map,
    "targets": targets,
    "influence": influence,
    "phases": phases,
    "harm": harm,
    "defections": defections,
    "hotspots": hotspots,
    "network": network,
}
"""The chart of each section, by section name, as drawn (empty when there is nothing to draw:
see :func:`is_empty`). A section with no entry has no chart."""

FIGURES = {
    name: draw if name in ("timeline", "spread") else _with_empty_note(draw, EMPTY_NOTES[name])
    for name, draw in DRAW.items()
}
"""The chart of each section, by section name; an empty one says so on the chart."""


def synthetic_mark(figure: go.Figure) -> go.Figure:
    """Mark a chart made from synthetic data across its middle, so that the chart, or a PNG of
    it, never passes for real."""
    figure.add_annotation(
        text="SYNTHETIC DATA",
        name="synthetic",
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        textangle=-12,
        font={"size": 44, "color": "rgba(178, 24, 43, 0.25)"},
    )
    return figure
