"""The forecast and the backtest as one self-contained HTML page, like the profile report:
plotly.js inlined, figures as JSON blocks drawn by the report's one loader script, and a
Content-Security-Policy that allows exactly those two scripts by their hashes."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any, Final

import jinja2
import plotly.graph_objects as go
import pyarrow as pa
from plotly.colors import sample_colorscale
from plotly.offline import get_plotlyjs

import rivalscope
from rivalscope.forecast.backtest import Backtest
from rivalscope.forecast.predict import Forecast
from rivalscope.report.charts import COLORS, LAYOUT
from rivalscope.report.html import LOADER_JS, _csp_hash, _figure_json

MAX_ROWS: Final = 60
HEADERS: Final = {
    "expected_count": "expected",
    "last_count": "last month",
    "events_12m": "last 12 months",
    "climatology": "history",
    "average_precision": "avg precision",
    "calibration_error": "calibration error",
    "mse_log": "MSE log",
    "crps": "CRPS",
    "roc_auc": "ROC AUC",
}
SCALE: Final = "Reds"
MODEL_COLORS: Final = {
    "hgb": COLORS["actor"],
    "glm": "#e08214",
    "persistence": COLORS["rival"],
    "climatology": COLORS["other"],
}

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rivalscope.forecast", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
)


def _figure(**layout: Any) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(**{**LAYOUT, **layout})
    return figure


def _color(probability: float) -> str:
    return str(sample_colorscale(SCALE, [0.05 + 0.95 * min(max(probability, 0.0), 1.0)])[0])


def _colorscale() -> list[list[Any]]:
    return [[step / 10, _color(step / 10)] for step in range(11)]


def _colorbar(figure: go.Figure, x: float, y: float) -> None:
    """An invisible point that carries the probability colour bar (shapes have none)."""
    figure.add_scatter(
        x=[x],
        y=[y],
        mode="markers",
        hoverinfo="skip",
        showlegend=False,
        marker={
            "size": 0.1,
            "opacity": 0,
            "color": [0.0],
            "cmin": 0,
            "cmax": 1,
            "colorscale": _colorscale(),
            "colorbar": {"title": {"text": "probability"}, "tickformat": ".0%", "len": 0.8},
            "showscale": True,
        },
    )


def _label(row: dict[str, Any]) -> str:
    return f"{row['name']}: {row['probability']:.0%} ({row['expected_count']:.1f} expected)"


def map_figure(forecast: Forecast) -> go.Figure:
    """Probability per unit: province polygons, a tile grid, or district points."""
    shown = forecast.map
    figure = _figure(
        height=480,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    if shown["kind"] == "choropleth":
        for feature in shown["geojson"]["features"]:
            props, geometry = feature["properties"], feature["geometry"]
            polygons = (
                geometry["coordinates"]
                if geometry["type"] == "MultiPolygon"
                else [geometry["coordinates"]]
            )
            for polygon in polygons:
                ring = polygon[0]
                figure.add_scatter(
                    x=[p[0] for p in ring],
                    y=[p[1] for p in ring],
                    mode="lines",
                    fill="toself",
                    fillcolor=_color(props["probability"]),
                    line={"color": "#888", "width": 1},
                    hoverinfo="text",
                    hovertext=_label(props),
                    name=str(props["code"]),
                )
        xs = [p[0] for f in shown["geojson"]["features"] for p in _points(f["geometry"])]
        ys = [p[1] for f in shown["geojson"]["features"] for p in _points(f["geometry"])]
        if xs:
            _colorbar(figure, min(xs), min(ys))
        return figure
    if shown["kind"] == "tiles":
        tiles = shown["tiles"]
        figure.update_layout(yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})
        for tile in tiles:
            x, y = tile["col"], tile["row"]
            figure.add_shape(
                type="rect",
                x0=x,
                x1=x + 0.95,
                y0=y,
                y1=y + 0.95,
                fillcolor=_color(tile["probability"]),
                line={"color": "#999", "width": 1},
                layer="below",
            )
        figure.add_scatter(
            x=[t["col"] + 0.475 for t in tiles],
            y=[t["row"] + 0.475 for t in tiles],
            mode="text",
            text=[f"{t['unit'].split('-')[-1]}<br>{t['probability']:.0%}" for t in tiles],
            hovertext=[_label(t) for t in tiles],
            hoverinfo="text",
            textfont={
                "size": 10,
                "color": ["white" if t["probability"] > 0.5 else "#333" for t in tiles],
            },
        )
        if tiles:
            _colorbar(figure, tiles[0]["col"], tiles[0]["row"])
        return figure
    points = shown["points"]
    figure.update_layout(
        xaxis={"visible": True, "title": "longitude"},
        yaxis={"visible": True, "title": "latitude", "scaleanchor": "x"},
    )
    figure.add_scatter(
        x=[p["longitude"] for p in points],
        y=[p["latitude"] for p in points],
        mode="markers",
        hovertext=[_label(p) for p in points],
        hoverinfo="text",
        marker={
            "size": [6 + min(24.0, 4 * p["expected_count"]) for p in points],
            "color": [p["probability"] for p in points],
            "cmin": 0,
            "cmax": 1,
            "colorscale": _colorscale(),
            "colorbar": {"title": {"text": "probability"}, "tickformat": ".0%"},
            "line": {"color": "#666", "width": 0.5},
        },
    )
    return figure


def _points(geometry: dict[str, Any]) -> list[Any]:
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    return [point for polygon in polygons for point in polygon[0]]


def reliability_figure(backtest: Backtest) -> go.Figure:
    """Observed share of events against the forecast probability, per model and bin."""
    rows = backtest.reliability.to_pylist()
    figure = _figure(
        height=380,
        xaxis={"title": "forecast probability", "range": [0, 1], "tickformat": ".0%"},
        yaxis={"title": "observed share with an event", "range": [0, 1], "tickformat": ".0%"},
    )
    figure.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        line={"color": "#bbb", "dash": "dash"},
        name="perfectly calibrated",
        hoverinfo="skip",
    )
    for model in backtest.metrics.column("model").to_pylist():
        picked = [r for r in rows if r["model"] == model]
        figure.add_scatter(
            x=[r["mean_probability"] for r in picked],
            y=[r["observed"] for r in picked],
            mode="lines+markers",
            name=model + (" (chosen)" if model == backtest.chosen else ""),
            line={"color": MODEL_COLORS.get(model, "#444")},
            marker={"size": [5 + min(15, r["n"] ** 0.5) for r in picked]},
            hovertext=[
                f"{model}: {r['n']} forecasts at {r['mean_probability']:.0%}, "
                f"{r['observed']:.0%} had an event"
                for r in picked
            ],
            hoverinfo="text",
        )
    return figure


def monthly_figure(backtest: Backtest) -> go.Figure:
    """Units with an event per target month: observed (bars) and expected by each model."""
    rows = backtest.monthly.to_pylist()
    months = len({r["month"] for r in rows})
    step = next((s for s in (1, 3, 6, 12) if months / s <= 20), 24)
    figure = _figure(
        height=360,
        yaxis={"title": "units with an event"},
        xaxis={"title": "target month", "dtick": f"M{step}", "tickformat": "%Y-%m"},
    )
    chosen = [r for r in rows if r["model"] == backtest.chosen]
    figure.add_bar(
        x=[r["month"] for r in chosen],
        y=[r["observed_units"] for r in chosen],
        name="observed",
        marker_color="#cfcfcf",
    )
    for model in (backtest.chosen, "persistence", "climatology"):
        picked = [r for r in rows if r["model"] == model]
        figure.add_scatter(
            x=[r["month"] for r in picked],
            y=[r["expected_units"] for r in picked],
            mode="lines",
            name=f"{model} (sum of probabilities)",
            line={"color": MODEL_COLORS.get(model, "#444")},
        )
    return figure


def _number(value: Any, column: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if column in ("probability", "climatology") and isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.3f}" if column != "expected_count" else f"{value:.2f}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}"
    if isinstance(value, int):
        return f"{value:,}" if column not in ("rank", "row", "col") else str(value)
    return str(value)


def _table(title: str, table: pa.Table, limit: int = MAX_ROWS) -> dict[str, Any]:
    rows = table.slice(0, limit).to_pylist()
    return {
        "title": title,
        "columns": [HEADERS.get(c, c.replace("_", " ")) for c in table.column_names],
        "rows": [[_number(row[c], c) for c in table.column_names] for row in rows],
        "more": max(0, table.num_rows - limit),
    }


def _backtest_section(backtest: Backtest) -> dict[str, Any]:
    return {
        "summary": backtest.summary,
        "metrics": _table("scores", backtest.metrics),
        "figures": [
            ("reliability", _figure_json(reliability_figure(backtest))),
            ("monthly", _figure_json(monthly_figure(backtest))),
        ],
        "tables": [
            _table("reliability table", backtest.reliability, limit=200),
            _table("origins (the last month each forecast's models trained on)", backtest.origins),
        ],
        "window": f"{backtest.start:%Y-%m} to {backtest.end:%Y-%m}",
        "refit_every": backtest.refit_every,
    }


def _page(**context: Any) -> str:
    plotly_js = get_plotlyjs()
    return _ENV.get_template("forecast.html.j2").render(
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=rivalscope.__version__,
        plotly_js=plotly_js,
        loader_js=LOADER_JS,
        script_hashes=f"{_csp_hash(plotly_js)} {_csp_hash(LOADER_JS)}",
        **context,
    )


def render_forecast(forecast: Forecast) -> str:
    """The forecast page: summary, map, ranked table, backtest, and how it was made."""
    spec = forecast.spec
    return _page(
        title=f"{spec.describe()} in {spec.target_month:%Y-%m}",
        spec=spec,
        heading=f"Forecast for {spec.target_month:%Y-%m}",
        summary=forecast.summary,
        forecast={
            "map": _figure_json(map_figure(forecast)),
            "map_kind": forecast.map["kind"],
            "table": _table("ranked units", forecast.table),
            "model": forecast.model,
            "calibrated": forecast.calibrated,
        },
        backtest=_backtest_section(forecast.backtest) if forecast.backtest else None,
        panel=forecast.panel,
    )


def render_backtest(backtest: Backtest) -> str:
    """The backtest page: scores of every model, reliability, and forecasts month by month."""
    spec = backtest.spec
    return _page(
        title=f"backtest of {spec.describe()}",
        spec=spec,
        heading=f"Backtest {backtest.start:%Y-%m} to {backtest.end:%Y-%m}",
        summary=backtest.summary,
        forecast=None,
        backtest=_backtest_section(backtest),
        panel=None,
    )


def write_html(result: Forecast | Backtest, path: str | Path) -> Path:
    """Write the page of a forecast or a backtest atomically (a temporary file renamed)."""
    target = Path(path)
    html = render_forecast(result) if isinstance(result, Forecast) else render_backtest(result)
    handle, temporary = tempfile.mkstemp(dir=target.parent or Path("."), suffix=".html.part")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(html)
    os.replace(temporary, target)
    return target
