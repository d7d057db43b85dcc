"""Plotly figures of the profile's sections. Maps are drawn on plain axes (no geo base layer,
no tiles), so every figure renders offline from the inlined plotly.js alone. Actors appear by
their display names (:func:`actor_name`), never by their ids."""

from __future__ import annotations

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


def timeline(profile: Profile) -> go.Figure:
    """Monthly clashes (bars), clash deaths (line) and each side's attacks, with phase bands."""
    dyad, monthly = profile.dyad, profile.timeline.monthly.to_pydict()
    windows = coverage_windows(profile)
    strip = min(0.3, 0.07 * len(windows))
    figure = new_figure(
        height=LAYOUT["height"] + 26 * len(windows),
        yaxis={"title": "events per month", "domain": [strip + 0.06 if windows else 0, 1]},
        yaxis2={"title": "deaths", "overlaying": "y", "side": "right"},
    )
    months = monthly.get("month", [])
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
        y=monthly.get("clash_deaths", []),
        mode="lines",
        yaxis="y2",
        name="deaths in clashes",
        line={"color": "#999", "dash": "dot"},
    )
    for index, phase in enumerate(dyad.phases):
        if index % 2 == 0 and months:
            end = phase.end or max(months)
            figure.add_vrect(
                x0=phase.start,
                x1=end,
                fillcolor=COLORS["band"],
                opacity=0.6,
                layer="below",
                line_width=0,
            )
        figure.add_annotation(
            x=phase.start,
            y=1.0,
            yref="paper",
            text=phase.name[:28],
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"size": 9, "color": "#666"},
            textangle=-20,
        )
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


def spread_map(profile: Profile) -> go.Figure:
    """A choropleth of clashes per province when boundaries are loaded, else the tile grid."""
    spread = profile.spread
    if spread.geojson:
        return _choropleth(spread.geojson)
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


def phases(profile: Profile) -> go.Figure:
    """Rate ratios (after / before) with 95% intervals at each phase boundary, per measure."""
    rows = profile.phases.boundaries.to_pylist()
    figure = new_figure(xaxis={"title": "rate ratio, after / before (log scale)", "type": "log"})

    def label(row: dict[str, Any]) -> str:
        edge = row.get("coverage_edge")
        marked = f" ⚠ {plot_text(str(edge).upper())} coverage edge" if edge else ""
        return f"{plot_text(row['after'][:30])} ({row['boundary']}){marked}"

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
            name=plot_text(name),
        )
    if any(r.get("coverage_edge") and r["rate_ratio"] for r in rows):
        figure.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "circle-open", "size": 9, "color": "#555"},
            name="open: on a source's coverage edge (⚠)",
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


def hotspots(profile: Profile) -> go.Figure:
    """Cluster centres of each side's attacks on plain lon/lat axes, sized by events."""
    rows = profile.hotspots.clusters.to_pylist()
    figure = new_figure(
        height=420, xaxis={"title": "longitude"}, yaxis={"title": "latitude", "scaleanchor": "x"}
    )
    for side, color in (
        (profile.dyad.actor, COLORS["actor"]),
        (profile.dyad.rival, COLORS["rival"]),
    ):
        picked = [r for r in rows if r["side"] == side]
        shown = actor_name(profile, side)
        figure.add_scatter(
            x=[r["longitude"] for r in picked],
            y=[r["latitude"] for r in picked],
            mode="markers",
            name=f"{shown} attack clusters",
            marker={
                "size": [8 + min(40, r["events"]) for r in picked],
                "color": color,
                "opacity": 0.6,
            },
            hovertext=[
                f"{shown} #{r['cluster']}: {r['events']} attacks, {r['deaths']} deaths, "
                f"{r['radius_km']:.1f} km"
                for r in picked
            ],
            hoverinfo="text",
        )
    return figure


def network(profile: Profile) -> go.Figure:
    """Each side's allies (events naming them on its side), then apart the actors most often
    active near it, any relation, those it fought marked."""
    d = profile.dyad
    allies = profile.network.allies.to_pylist()
    nearby = profile.network.nearby.to_pylist()
    figure = new_figure(barmode="group", xaxis={"title": "events"})
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


def _empty(figure: go.Figure, message: str) -> go.Figure:
    """Say so on the chart when a section has nothing to draw."""

    def has_data(trace: Any) -> bool:
        if isinstance(trace, go.Sankey):
            return bool(trace.node.label)
        return bool(len(trace.x or ()))

    if any(has_data(trace) for trace in figure.data):
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


FIGURES = {
    "timeline": timeline,
    "spread": spread_map,
    "targets": _with_empty_note(targets, "No attacks by either side in the window."),
    "phases": _with_empty_note(phases, "No phase boundary falls inside the data."),
    "harm": _with_empty_note(harm, "No province can be compared before and after a clash."),
    "defections": _with_empty_note(defections, "No defection records involve either side."),
    "hotspots": _with_empty_note(hotspots, "No cluster of attacks at these settings."),
    "network": _with_empty_note(network, "No ally and no actor active nearby for either side."),
}
"""The chart of each section, by section name."""
