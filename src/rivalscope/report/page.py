"""The one renderer of offline HTML pages: the profile report, the forecast and backtest pages,
the scenario comparison, and the report as the dashboard serves it.

A page is one self-contained file that works with no network: plotly.js is inlined once, each
figure travels as JSON in a ``<script type="application/json" id="figure-NAME">`` block (with
``<`` and ``>`` escaped) that :data:`LOADER_JS` draws into ``<div id="chart-NAME">``, and text
from the data is escaped by Jinja2's autoescaping. The page's Content-Security-Policy allows
exactly the inline scripts it carries, by their SHA-256 hashes, so even markup that slipped
through could not run a script; images only from ``data:`` and ``blob:`` URLs (the page's own:
Plotly draws a chart into a blob image to save it as a PNG).

A page's template lives in its own package's ``templates`` folder and extends ``page.html.j2``
(this package's), which writes the head with the policy, the shared styles, the footer and the
scripts; ``blocks.html.j2`` holds the chart and table macros.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
import pyarrow as pa

import rivalscope

LOADER_JS: Final = """
var blocks = document.querySelectorAll('script[type="application/json"][id^="figure-"]');
blocks.forEach(function (node) {
  var name = node.id.slice("figure-".length);
  var figure = JSON.parse(node.textContent);
  var layout = Object.assign({}, figure.layout || {}, { autosize: true });
  Plotly.newPlot("chart-" + name, figure.data || [], layout, {
    displaylogo: false, responsive: true, showSendToCloud: false, showEditInChartStudio: false,
    modeBarButtonsToRemove: ["sendDataToCloud"],
    toImageButtonOptions: { format: "png", filename: name, scale: 2 }
  });
});
"""
"""Draws every figure from its JSON block; the only script of ours in a page. Each chart's
modebar keeps Plotly's "Download plot as a png" button (the file named after the chart, at twice
the screen's resolution): it works offline, in the browser, with no image library. Plotly's
buttons that would send the data to Chart Studio are left out (a page sends nothing)."""

SERVED_DIRECTIVES: Final = "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
"""What a server adds to a page's policy: ``frame-ancestors`` works only in a header."""

MAX_ROWS: Final = 60
"""Rows of a table shown on a page (the JSON output has them all)."""

TEMPLATES: Final = "rivalscope.report"
"""The package whose ``templates`` folder holds ``page.html.j2`` and ``blocks.html.j2``."""


@functools.cache
def plotly_js() -> str:
    """plotly.js as the installed ``plotly`` package bundles it."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


@functools.lru_cache(maxsize=8)
def script_hash(script: str) -> str:
    """The policy's source expression that allows one inline script: ``'sha256-BASE64'``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def policy(scripts: Iterable[str], *, served: bool = False) -> str:
    """The Content-Security-Policy of a page that carries exactly ``scripts`` inline.

    Args:
        scripts: the page's inline scripts.
        served: add :data:`SERVED_DIRECTIVES`, for the header of a page a server sends.
    """
    hashes = " ".join(script_hash(script) for script in scripts)
    own = (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data: blob:; "
        "font-src data:"
    )
    return f"{own}; {SERVED_DIRECTIVES}" if served else own


def figure_json(figure: Any) -> str:
    """A Plotly figure as JSON that cannot end its ``<script>`` block (``<`` and ``>`` escaped)."""
    return str(figure.to_json()).replace("<", "\\u003c").replace(">", "\\u003e")


@functools.cache
def environment(package: str) -> jinja2.Environment:
    """The Jinja2 environment of ``package``'s ``templates`` folder (then this package's, for
    the shared templates): autoescaping on, an undefined name an error."""
    packages = dict.fromkeys((package, TEMPLATES))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader(name, "templates") for name in packages]),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )


@dataclass(frozen=True)
class Page:
    """A rendered page.

    Attributes:
        html: the page.
        scripts: the inline scripts it carries (plotly.js and the loader).
    """

    html: str
    scripts: tuple[str, ...]

    @property
    def served_policy(self) -> str:
        """The Content-Security-Policy header to send the page with."""
        return policy(self.scripts, served=True)


def render(package: str, template: str, **context: Any) -> Page:
    """Render one of ``package``'s page templates with plotly.js and the loader inlined.

    The template also gets ``policy``, ``scripts``, ``version`` and ``generated`` (the time,
    to the minute, in UTC).
    """
    scripts = (plotly_js(), LOADER_JS)
    html = (
        environment(package)
        .get_template(template)
        .render(
            policy=policy(scripts),
            scripts=scripts,
            version=rivalscope.__version__,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            **context,
        )
    )
    return Page(html, scripts)


def table(
    title: str,
    rows: pa.Table,
    cell: Callable[[Any, str], str],
    *,
    limit: int = MAX_ROWS,
    header: Callable[[str], str] = str,
) -> dict[str, Any]:
    """A table as the ``table`` macro of ``blocks.html.j2`` shows it: its first ``limit`` rows,
    each value formatted by ``cell(value, column)``, and the count of rows left out."""
    shown = rows.slice(0, limit).to_pylist()
    return {
        "title": title,
        "columns": [header(column) for column in rows.column_names],
        "rows": [[cell(row[c], c) for c in rows.column_names] for row in shown],
        "more": max(0, rows.num_rows - limit),
    }


def write(html: str, path: str | Path) -> Path:
    """Write a page atomically (a temporary file renamed into place)."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent or Path("."), suffix=".html.part")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(html)
    os.replace(temporary, target)
    return target
