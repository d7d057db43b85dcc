"""Early warning: province-month forecasts of the actor's violence, backtested against baselines.

>>> import rivalscope as rs
>>> from rivalscope import forecast
>>> store = rs.open("afg.duckdb")                                   # doctest: +SKIP
>>> result = forecast.predict(store, "ISKP", outcome="attack")      # doctest: +SKIP
>>> result.table                                     # ranked provinces  # doctest: +SKIP
>>> check = forecast.backtest(store, "TALIBAN", start="2016-01", end="2020-12")  # doctest: +SKIP
>>> check.metrics                                    # model vs baselines  # doctest: +SKIP

The names below load their modules (and scikit-learn) on first use, so importing this package
is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rivalscope.forecast.backtesting import Backtest, backtest, run_backtest
    from rivalscope.forecast.panel import Panel, build_panel
    from rivalscope.forecast.prediction import Forecast, predict
    from rivalscope.forecast.report import render_backtest, render_forecast, write_html
    from rivalscope.forecast.spec import OUTCOMES, ForecastSpec, resolve

_HOMES = {
    "Backtest": "backtesting",
    "backtest": "backtesting",
    "run_backtest": "backtesting",
    "Panel": "panel",
    "build_panel": "panel",
    "Forecast": "prediction",
    "predict": "prediction",
    "render_backtest": "report",
    "render_forecast": "report",
    "write_html": "report",
    "OUTCOMES": "spec",
    "ForecastSpec": "spec",
    "resolve": "spec",
}

__all__ = [
    "OUTCOMES",
    "Backtest",
    "Forecast",
    "ForecastSpec",
    "Panel",
    "backtest",
    "build_panel",
    "predict",
    "render_backtest",
    "render_forecast",
    "resolve",
    "run_backtest",
    "write_html",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
