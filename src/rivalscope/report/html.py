"""The rivalry profile as one self-contained HTML file: plotly.js inlined, no CDN, no tiles.

A Sources block first (the sources read, their versions, windows and batches, and the
profile's warnings), then one section per profile section: its summary, where two sources cover
the dyad its figures side by side with a verdict, its chart and its tables; last, how to cite
each source. The page itself (the inlined scripts, the Content-Security-Policy, escaping) is
:mod:`rivalscope.report.page`'s.

Analysts read it as a finished document: the time charts span the dyad's own window (its first
to its last month with an event between the two, :func:`~rivalscope.report.charts.dyad_window`),
a section with nothing to draw is one sentence (its summary), tables wrap or scroll inside
their box under headers in words, and a profile made from synthetic data
(:attr:`Profile.synthetic`) says SYNTHETIC in a banner, on every section and across every chart.

People read actors by their display names (:meth:`rivalscope.analysis.context.Dyad.name`):
every table column that holds actor ids (:data:`~rivalscope.analysis.profile.ACTOR_COLUMNS`),
whatever the section, shows the name, with the id in the cell's tooltip; so do the heading,
the title and the charts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from markupsafe import Markup

from rivalscope.analysis.profile import ACTOR_COLUMNS, SECTIONS
from rivalscope.report.charts import DRAW, EMPTY_NOTES, dyad_window, is_empty, synthetic_mark
from rivalscope.report.page import Page, figure_json, render, table, write

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rivalscope.analysis.profile import Profile

TITLES = {
    "timeline": "When they clash",
    "spread": "Where they clash",
    "targets": "Whom each side fights",
    "influence": "Influence: propaganda, preaching, extortion, governance, recruitment",
    "phases": "Phases and turning points",
    "harm": "Civilian harm around clashes",
    "defections": "Defections",
    "hotspots": "Attack hotspots",
    "network": "Allies, and who is active nearby",
}


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if column in ("year", "e", "g", "cluster", "rank"):
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


def actor_label(actor_id: str, name: str) -> Markup:
    """An actor as a page shows it: its display name, with its id in the tooltip (both
    escaped)."""
    return Markup('<span class="actor-name" title="{}">{}</span>').format(actor_id, name)


def actor_columns(columns: Iterable[str]) -> frozenset[str]:
    """The columns of a table that hold actor ids: those of :data:`ACTOR_COLUMNS`, and any
    other with a ``<column>_name`` companion (``source`` beside ``source_name``)."""
    present = set(columns)
    return frozenset(c for c in present if c in ACTOR_COLUMNS or f"{c}_name" in present)


def actor_cells(
    names: Callable[[str], str], actors: Iterable[str] = ACTOR_COLUMNS
) -> Callable[[Any, str], str]:
    """A table's cell formatter where the columns ``actors`` show display names
    (``names(actor_id)``), with the id in the tooltip; other columns as :func:`_cell` has them."""
    named = frozenset(actors)

    def cell(value: Any, column: str = "") -> str:
        if column not in named or value is None:
            return _cell(value, column)
        if isinstance(value, str):
            return actor_label(value, names(value))
        if isinstance(value, list | tuple):
            return Markup(", ").join(
                actor_label(v, names(v)) if isinstance(v, str) else _cell(v) for v in value
            )
        return _cell(value, column)

    return cell


def column_header(column: str) -> str:
    """A column's name as a table's header reads it: words, not identifiers (``clash_deaths``
    is ``clash deaths``)."""
    return column.replace("_", " ")


def actor_table(
    title: str,
    rows: pa.Table,
    names: Callable[[str], str],
    header: Callable[[str], str] = column_header,
) -> dict[str, Any]:
    """A table as the page shows it (:func:`rivalscope.report.page.table`), its actor columns
    (:func:`actor_columns`) by display name with the id in the tooltip, their ``_name``
    companions left out (the name shows once), and its headers as words (``header``)."""
    actors = actor_columns(rows.column_names)
    companions = [f"{c}_name" for c in actors if f"{c}_name" in rows.column_names]
    return table(title, rows.drop_columns(companions), actor_cells(names, actors), header=header)


def _facts(title: str, record: Any, cell: Callable[[Any, str], str] = _cell) -> dict[str, Any]:
    names = [f.name for f in fields(record) if f.name != "summary"]
    return {
        "title": title,
        "columns": ["measure", "value"],
        "rows": [[column_header(name), cell(getattr(record, name), name)] for name in names],
        "more": 0,
        "facts": True,
    }


NOT_TABULATED = {("spread", "tiles"), ("harm", "att_gt"), ("hotspots", "points")}
"""Section tables for JSON users only: the tile grid (drawn as the map), every ATT(g,t) of the
event study (drawn by event time) and every attack point of the hotspots (drawn as clusters)."""


def _headers(profile: Profile) -> Callable[[str], str]:
    """Column headers as words, the dyad's sides by name (``attacks_by_actor`` is ``attacks by
    Islamic State Khorasan Province``)."""
    d = profile.dyad
    sides = {"actor": d.name(d.actor), "rival": d.name(d.rival)}

    def header(column: str) -> str:
        words = column.split("_")
        if len(words) > 1 and words[-1] in sides and words[-2] in ("by", "on", "fights"):
            words[-1] = sides[words[-1]]
        return " ".join(words)

    return header


def _clipped(rows: pa.Table, window: tuple[dt.date, dt.date] | None) -> pa.Table:
    """A monthly table cut to the dyad's window (the months between its first and last)."""
    if window is None or "month" not in rows.column_names:
        return rows
    import pyarrow.compute as pc

    month = rows.column("month")
    keep = pc.and_(pc.greater_equal(month, window[0]), pc.less_equal(month, window[1]))
    return rows.filter(keep)


def _tables(
    name: str,
    section: Any,
    names: Callable[[str], str],
    header: Callable[[str], str] = column_header,
    window: tuple[dt.date, dt.date] | None = None,
) -> list[dict[str, Any]]:
    """Every Arrow table of a section that has rows (and its nested result records) for
    display, actors by their display names (``names(actor_id)``); the timeline's monthly table
    cut to the dyad's ``window``."""
    found = []
    for field in fields(section):
        value = getattr(section, field.name)
        label = field.name.replace("_", " ")
        if isinstance(value, pa.Table):
            if (name, field.name) in NOT_TABULATED:
                continue
            if name == "timeline" and field.name == "monthly":
                value = _clipped(value, window)
                label = "monthly, over the dyad's window"
            if value.num_rows == 0:
                continue
            found.append(actor_table(label, value, names, header))
        elif is_dataclass(value) and not isinstance(value, type):
            found.append(_facts(label, value, actor_cells(names)))
    if name == "timeline":
        found.sort(key=lambda shown: shown["title"] != "yearly")
    return found


def _extra_tables(name: str, profile: Profile, *, redact: bool = False) -> list[dict[str, Any]]:
    """The deadliest clashes, with their sources' own words, under the timeline (a fused
    event names every source that recorded it); names found in the notes are replaced by
    pseudonyms when ``redact``."""
    if name != "timeline":
        return []
    clashes = profile.dyad.clashes()
    recorded_by = "sources" if "sources" in clashes.columns else "source"
    deadliest = (
        clashes.order_by([clashes.fatalities_best.desc(), clashes.date_start])
        .limit(15)
        .select("date_start", "admin1_code", "admin1", "fatalities_best", recorded_by, "notes")
        .to_pyarrow()
    )
    if redact:
        from rivalscope.redact import redactor

        deadliest = redactor(profile.dyad.store).table(deadliest)
    if deadliest.num_rows == 0:
        return []
    return [actor_table("deadliest clashes", deadliest, profile.dyad.name)]


def _window(first: Any, last: Any) -> str:
    if first is None and last is None:
        return "unknown"
    return f"{_cell(first) or '?'} to {_cell(last) or '?'}"


def _batches(batches: list[str]) -> str:
    shown = ", ".join(batches[:3])
    more = f" and {len(batches) - 3} more" if len(batches) > 3 else ""
    return f"{len(batches)}: {shown}{more}" if batches else "0"


def sources_table(profile: Profile) -> dict[str, Any]:
    """The sources read, as the Sources block shows them: source, version, window, events,
    batches."""
    return {
        "title": "sources read",
        "columns": ["source", "version", "window covered", "events in the profile", "batches"],
        "rows": [
            [
                str(entry["source"]).upper(),
                entry.get("version") or "not recorded",
                _window(entry.get("first_date"), entry.get("last_date")),
                _cell(entry.get("events", 0)),
                _batches(list(entry.get("batches") or [])),
            ]
            for entry in profile.sources
        ],
        "more": 0,
    }


def verdict(row: dict[str, Any]) -> str:
    """A compared measure's verdict: agree within noise or disagree beyond noise, with p."""
    p_value = row.get("p_value")
    if p_value is None:
        return "not tested (not a count of events)"
    shown = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    if row.get("disagree"):
        return f"disagree beyond noise ({shown})"
    return f"agree within noise ({shown})"


def _figure(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.1f}"


def compared(profile: Profile, section: str) -> list[dict[str, Any]]:
    """The section's figures side by side, one small table per pair of sources (none when
    only one source covers the dyad)."""
    pairs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in profile.triangulation.rows(section):
        pairs.setdefault((tuple(row["sources"]), row["first"], row["last"]), []).append(row)
    shown = []
    for (names, first, last), rows in pairs.items():
        upper = [str(n).upper() for n in names]
        shown.append(
            {
                "title": (
                    f"{' and '.join(upper)} side by side, {_window(first, last)} "
                    "(the days both cover)"
                ),
                "columns": ["measure", *upper, "verdict"],
                "rows": [
                    {
                        "cells": [
                            row["label"],
                            *(_figure(row["values"].get(n)) for n in names),
                            verdict(row),
                        ],
                        "disagree": bool(row.get("disagree")),
                    }
                    for row in rows
                ],
            }
        )
    return shown


def _citations(profile: Profile) -> list[dict[str, Any]]:
    return [
        {
            **entry,
            "source": str(entry.get("source", "")).upper(),
            "link": str(entry.get("url") or "").startswith(("https://", "http://")),
        }
        for entry in profile.citations
    ]


def read_line(profile: Profile) -> str:
    """What the profile reads, in one sentence."""
    source = profile.dyad.source
    names = [str(entry["source"]).upper() for entry in profile.sources]
    if source == "fused":
        behind = " and ".join(names) if names else "no source"
        return f"Events read: fused, each real-world event once, linked across {behind}."
    if source is None:
        return "Events read: every event that counts, whatever its source."
    return f"Events read: {str(source).upper()} only."


TABLES_WITHOUT_CHART = frozenset({"phases"})
"""Sections whose tables still say something when the chart has nothing to draw (the periods
of the phases, with no boundary to compare); any other section with an empty chart is its
summary alone (and its figures side by side, where two sources cover the dyad)."""


def _section(
    profile: Profile,
    name: str,
    *,
    redact: bool,
    synthetic: bool,
    window: tuple[dt.date, dt.date] | None,
) -> dict[str, Any]:
    """One section as the template shows it: its summary, its figures side by side, its chart
    (or, when the chart has nothing to draw, one sentence instead), its tables that have rows;
    ``bare`` when it has nothing but its summary to show."""
    section = getattr(profile, name)
    dyad = profile.dyad
    draw = DRAW.get(name)
    figure = draw(profile) if draw is not None else None
    drawn = figure is not None and not is_empty(figure)
    if drawn and synthetic:
        synthetic_mark(figure)
    tables = _tables(name, section, dyad.name, _headers(profile), window) + _extra_tables(
        name, profile, redact=redact
    )
    shown = compared(profile, name)
    if draw is not None and not drawn and name not in TABLES_WITHOUT_CHART:
        tables = []
    bare = not drawn and not shown and not any(not t.get("facts") for t in tables)
    return {
        "name": name,
        "title": TITLES.get(name, name.replace("_", " ").capitalize()),
        "summary": section.summary,
        "figure": figure_json(figure) if drawn else None,
        "empty": EMPTY_NOTES.get(name, "") if draw is not None and not drawn else "",
        "compared": shown,
        "tables": [] if bare else tables,
        "bare": bare,
    }


def report_page(profile: Profile, *, redact: bool = False) -> Page:
    """The report as a rendered page (its HTML and the scripts its policy allows).

    Args:
        profile: the computed profile.
        redact: replace defectors' names with stable pseudonyms.
    """
    if redact and not profile.is_redacted:
        profile = profile.redacted()
    redact = profile.is_redacted
    dyad = profile.dyad
    synthetic = profile.synthetic
    window = dyad_window(profile)
    sections = [
        _section(profile, name, redact=redact, synthetic=synthetic, window=window)
        for name in SECTIONS
    ]
    shown = (
        " to ".join(str(d) for d in (dyad.since, dyad.until) if d is not None)
        or "all dates in the store"
    )
    if window is not None:
        shown += f" · the two meet from {window[0]:%B %Y} to {window[1]:%B %Y}"
    return render(
        "rivalscope.report",
        "report.html.j2",
        title=f"{dyad.name(dyad.actor)} vs {dyad.name(dyad.rival)}",
        actor=dyad.actor,
        rival=dyad.rival,
        actor_name=dyad.name(dyad.actor),
        rival_name=dyad.name(dyad.rival),
        country=dyad.country or "all countries",
        window=shown,
        phases=dyad.phases,
        sections=sections,
        redacted=redact,
        synthetic=synthetic,
        read=read_line(profile),
        sources=sources_table(profile),
        warnings=list(profile.warnings),
        agreement=profile.triangulation.summary if profile.triangulation.pairs else "",
        citations=_citations(profile),
    )


def render_report(profile: Profile, *, redact: bool = False) -> str:
    """The report as an HTML string (see :func:`report_page`)."""
    return report_page(profile, redact=redact).html


def write_report(profile: Profile, path: str | Path, *, redact: bool = False) -> Path:
    """Write the report atomically (a temporary file renamed into place)."""
    return write(render_report(profile, redact=redact), path)
