"""Reports: the offline HTML pages (:mod:`~rivalscope.report.page` renders them all), the report
of a rivalry profile (:mod:`~rivalscope.report.html`) and its charts
(:mod:`~rivalscope.report.charts`).

The names below load their module on first use, so importing a sibling such as
:mod:`rivalscope.report.page` does not load the profile and its charts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rivalscope.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("rivalscope.report.html"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
