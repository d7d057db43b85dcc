"""The rivalry profile as one self-contained HTML file: plotly.js inlined, no CDN, no tiles.

Text from the data is escaped by Jinja2's autoescaping; figure data travels as JSON in
``<script type="application/json">`` blocks (with ``<`` and ``>`` escaped), read by one small
script. The Content-Security-Policy allows exactly the two inline scripts we wrote (by their
SHA-256 hashes), so even markup that slipped through could not run a script.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pyarrow as pa
from plotly.offline import get_plotlyjs

import rivalscope
from rivalscope.analysis.profile import SECTIONS
from rivalscope.report import charts

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
MAX_ROWS = 60

LOADER_JS = """
var blocks = document.querySelectorAll('script[type="application/json"][id^="figure-"]');
blocks.forEach(function (node) {
  var name = node.id.slice("figure-".length);
  var figure = JSON.parse(node.textContent);
  var layout = Object.assign({}, figure.layout || {}, { autosize: true });
  Plotly.newPlot("chart-" + name, figure.data || [], layout,
                 { displaylogo: false, responsive: true });
});
"""
"""Draws every figure from its JSON block; the only script of ours in the page."""


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rivalscope.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
)


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


def _table(title: str, table: pa.Table) -> dict[str, Any]:
    rows = table.slice(0, MAX_ROWS).to_pylist()
    return {
        "title": title,
        "columns": table.column_names,
        "rows": [[_cell(row[c], c) for c in table.column_names] for row in rows],
        "more": max(0, table.num_rows - MAX_ROWS),
    }


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
            found.append(_table(label, value))
        elif is_dataclass(value) and not isinstance(value, type):
            found.append(_facts(label, value))
    if name == "timeline":
        found.sort(key=lambda table: table["title"] != "yearly")
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
    return [_table("deadliest clashes", deadliest)]


def _figure_json(figure: Any) -> str:
    return str(figure.to_json()).replace("<", "\\u003c").replace(">", "\\u003e")


def render_report(profile: Profile, *, redact: bool = False) -> str:
    """The report as an HTML string.

    Args:
        profile: the computed profile.
        redact: replace defectors' names with stable pseudonyms.
    """
    if redact:
        profile = profile.redacted()
    plotly_js = get_plotlyjs()
    dyad = profile.dyad
    sections = []
    for name in SECTIONS:
        section = getattr(profile, name)
        sections.append(
            {
                "name": name,
                "title": TITLES[name],
                "summary": section.summary,
                "figure": _figure_json(charts.FIGURES[name](profile)),
                "tables": _tables(name, section) + _extra_tables(name, profile),
            }
        )
    window = (
        " to ".join(str(d) for d in (dyad.since, dyad.until) if d is not None)
        or "all dates in the store"
    )
    return _ENV.get_template("report.html.j2").render(
        title=f"{dyad.actor} vs {dyad.rival}",
        actor=dyad.actor,
        rival=dyad.rival,
        country=dyad.country or "all countries",
        window=window,
        phases=dyad.phases,
        sections=sections,
        redacted=redact,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=rivalscope.__version__,
        plotly_js=plotly_js,
        loader_js=LOADER_JS,
        script_hashes=f"{_csp_hash(plotly_js)} {_csp_hash(LOADER_JS)}",
    )


def write_report(profile: Profile, path: str | Path, *, redact: bool = False) -> Path:
    """Write the report atomically (a temporary file renamed into place)."""
    target = Path(path)
    html = render_report(profile, redact=redact)
    handle, temporary = tempfile.mkstemp(dir=target.parent or Path("."), suffix=".html.part")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(html)
    os.replace(temporary, target)
    return target
