"""The rivalry profile as one self-contained HTML file: plotly.js inlined, no CDN, no tiles.

One section per profile section: its summary, its chart and its tables. The page itself (the
inlined scripts, the Content-Security-Policy, escaping) is :mod:`rivalscope.report.page`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from rivalscope.analysis.profile import SECTIONS
from rivalscope.report.charts import FIGURES
from rivalscope.report.page import Page, figure_json, render, table, write

if TYPE_CHECKING:
    from rivalscope.analysis.profile import Profile

TITLES = {
    "timeline": "When they clash",
    "spread": "Where they clash",
    "targets": "Whom each side attacks",
    "phases": "Phases and turning points",
    "harm": "Civilian harm around clashes",
    "defections": "Defections",
    "hotspots": "Attack hotspots",
    "network": "Partners and allies",
}


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if column in ("year", "month_offset", "cluster", "rank"):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _facts(title: str, record: Any) -> dict[str, Any]:
    names = [f.name for f in fields(record) if f.name != "summary"]
    return {
        "title": title,
        "columns": ["measure", "value"],
        "rows": [[name, _cell(getattr(record, name))] for name in names],
        "more": 0,
    }


def _tables(name: str, section: Any) -> list[dict[str, Any]]:
    """Every Arrow table of a section (and its nested result records) for display."""
    found = []
    for field in fields(section):
        value = getattr(section, field.name)
        label = field.name.replace("_", " ")
        if isinstance(value, pa.Table):
            if name == "spread" and field.name == "tiles":
                continue
            found.append(table(label, value, _cell))
        elif is_dataclass(value) and not isinstance(value, type):
            found.append(_facts(label, value))
    if name == "timeline":
        found.sort(key=lambda shown: shown["title"] != "yearly")
    return found


def _extra_tables(name: str, profile: Profile) -> list[dict[str, Any]]:
    """The deadliest clashes, with their sources' own words, under the timeline."""
    if name != "timeline":
        return []
    clashes = profile.dyad.clashes()
    deadliest = (
        clashes.order_by([clashes.fatalities_best.desc(), clashes.date_start])
        .limit(15)
        .select("date_start", "admin1_code", "admin1", "fatalities_best", "source", "notes")
        .to_pyarrow()
    )
    return [table("deadliest clashes", deadliest, _cell)]


def report_page(profile: Profile, *, redact: bool = False) -> Page:
    """The report as a rendered page (its HTML and the scripts its policy allows).

    Args:
        profile: the computed profile.
        redact: replace defectors' names with stable pseudonyms.
    """
    if redact:
        profile = profile.redacted()
    dyad = profile.dyad
    sections = []
    for name in SECTIONS:
        section = getattr(profile, name)
        sections.append(
            {
                "name": name,
                "title": TITLES[name],
                "summary": section.summary,
                "figure": figure_json(FIGURES[name](profile)),
                "tables": _tables(name, section) + _extra_tables(name, profile),
            }
        )
    window = (
        " to ".join(str(d) for d in (dyad.since, dyad.until) if d is not None)
        or "all dates in the store"
    )
    return render(
        "rivalscope.report",
        "report.html.j2",
        title=f"{dyad.actor} vs {dyad.rival}",
        actor=dyad.actor,
        rival=dyad.rival,
        country=dyad.country or "all countries",
        window=window,
        phases=dyad.phases,
        sections=sections,
        redacted=redact,
    )


def render_report(profile: Profile, *, redact: bool = False) -> str:
    """The report as an HTML string (see :func:`report_page`)."""
    return report_page(profile, redact=redact).html


def write_report(profile: Profile, path: str | Path, *, redact: bool = False) -> Path:
    """Write the report atomically (a temporary file renamed into place)."""
    return write(render_report(profile, redact=redact), path)
