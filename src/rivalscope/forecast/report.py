"""The forecast and the backtest as one self-contained HTML page, rendered like every offline
page by :mod:`rivalscope.report.page` (plotly.js inlined, figures as JSON blocks, a
Content-Security-Policy that allows exactly the page's scripts by their hashes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import plotly.graph_objects as go
import pyarrow as pa
from plotly.colors import sample_colorscale

from rivalscope.forecast.backtesting import Backtest
from rivalscope.forecast.prediction import Forecast
from rivalscope.report.charts import COLORS, new_figure, outer_rings
from rivalscope.report.page import MAX_ROWS, figure_json, render, table, write

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
    "coverage_80": "80% coverage",
    "width_80": "80% width",
    "recall_at_k": "recall at top k",
    "count_low": "count 10%",
    "count_high": "count 90%",
    "expected_deaths": "deaths",
    "deaths_low": "deaths 10%",
    "deaths_high": "deaths 90%",
    "best_baseline": "best baseline",
    "baseline_value": "baseline score",
    "model_value": "model score",
    "better_when": "better when",
    "low": "95% low",
    "high": "95% high",
}
SCALE: Final = "Reds"
MODEL_COLORS: Final = {
    "hgb": COLORS["actor"],
    "glm": "#e08214",
    "persistence": COLORS["rival"],
    "climatology": COLORS["other"],
    "rolling_12": "#1a9850",
    "rolling_36": "#66bd63",
    "views_last12": "#7570b3",
    "logit_lags": "#e7298a",
}


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
    figure = new_figure(
        height=480,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    if shown["kind"] == "choropleth":
        for feature in shown["geojson"]["features"]:
            props = feature["properties"]
            for ring in outer_rings(feature["geometry"]):
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
    return [point for ring in outer_rings(geometry) for point in ring]


def _shown_models(backtest: Backtest) -> list[str]:
    """The chosen model and the baselines that are best on some score (persistence always)."""
    best = backtest.comparisons.column("best_baseline").to_pylist()
    names = [backtest.chosen, "persistence"]
    return names + [n for n in dict.fromkeys(best) if n is not None and n not in names]


def reliability_figure(backtest: Backtest) -> go.Figure:
    """Observed share of events against the forecast probability, per model and bin."""
    rows = backtest.reliability.to_pylist()
    figure = new_figure(
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
    for model in _shown_models(backtest):
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
    figure = new_figure(
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
    for model in _shown_models(backtest):
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
    if column == "coverage_80" and isinstance(value, float):
        return f"{value:.0%}"
    if column in ("count_low", "count_high", "deaths_low", "deaths_high") and isinstance(
        value, float
    ):
        return f"{value:.0f}"
    if isinstance(value, float):
        if column in ("difference", "low", "high"):
            return f"{value:+.4f}"
        return (
            f"{value:.3f}"
            if column not in ("expected_count", "expected_deaths")
            else f"{value:.2f}"
        )
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}"
    if isinstance(value, int):
        return f"{value:,}" if column not in ("rank", "row", "col") else str(value)
    return str(value)


def _table(title: str, rows: pa.Table, limit: int = MAX_ROWS) -> dict[str, Any]:
    return table(
        title, rows, _number, limit=limit, header=lambda c: HEADERS.get(c, c.replace("_", " "))
    )


def _backtest_section(backtest: Backtest) -> dict[str, Any]:
    onset = backtest.onset
    deaths = backtest.fatalities
    return {
        "summary": backtest.summary,
        "metrics": _table("scores", backtest.metrics),
        "comparisons": _table("the model against the best baseline", backtest.comparisons),
        "onset": {
            "facts": (
                f"{onset['forecasts']:,} forecasts for units with no event in the 12 months up "
                f"to the origin; {onset['events']:,} of them had an event (base rate "
                + ("n/a" if onset["base_rate"] is None else f"{onset['base_rate']:.1%}")
                + f"). Recall at top k: the share of onsets among the {onset['top_k']} most "
                "probable quiet units of their month (ties shared)."
            ),
            "metrics": _table("onset scores", onset["metrics"]),
            "comparisons": _table(
                "onsets: the model against the best baseline", onset["comparisons"]
            ),
        },
        "fatalities": {
            "metrics": _table("deaths: scores", deaths["metrics"]),
            "comparisons": _table(
                "deaths: nb_glm against the best baseline", deaths["comparisons"]
            ),
        },
        "figures": [
            ("reliability", figure_json(reliability_figure(backtest))),
            ("monthly", figure_json(monthly_figure(backtest))),
        ],
        "tables": [
            _table("reliability table", backtest.reliability, limit=200),
            _table("origins (the last month each forecast's models trained on)", backtest.origins),
        ],
        "window": f"{backtest.start:%Y-%m} to {backtest.end:%Y-%m}",
        "refit_every": backtest.refit_every,
    }


def _page(**context: Any) -> str:
    return render("rivalscope.forecast", "forecast.html.j2", **context).html


def render_forecast(forecast: Forecast) -> str:
    """The forecast page: summary, map, ranked table, backtest, and how it was made."""
    spec = forecast.spec
    return _page(
        title=f"{spec.describe()} in {spec.target_month:%Y-%m}",
        spec=spec,
        heading=f"Forecast for {spec.target_month:%Y-%m}",
        summary=forecast.summary,
        staleness=forecast.staleness,
        forecast={
            "map": figure_json(map_figure(forecast)),
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
        staleness=None,
        forecast=None,
        backtest=_backtest_section(backtest),
        panel=None,
    )


def write_html(result: Forecast | Backtest, path: str | Path) -> Path:
    """Write the page of a forecast or a backtest atomically (a temporary file renamed)."""
    html = render_forecast(result) if isinstance(result, Forecast) else render_backtest(result)
    return write(html, path)
