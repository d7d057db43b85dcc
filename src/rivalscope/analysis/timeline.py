"""When the two fought: clashes and deaths per month and year, each side's fights with the state
and attacks, the state operations against each, and how many events each source records for
each side.

Each side's events count on either side of an event (:mod:`rivalscope.roles`): a fight with the
state is any clash with the government of the day, whichever side the source lists first; an
attack counts for the side only where the source names it as the one that acted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from rivalscope.analysis.context import Dyad
from rivalscope.analysis.targets import listed

MONTHLY_MEASURES = (
    "clashes",
    "clash_deaths",
    "attacks_by_actor",
    "attacks_by_rival",
    "state_fights_actor",
    "state_fights_rival",
    "state_ops_on_actor",
    "state_ops_on_rival",
)
MONTHLY_SCHEMA = pa.schema(
    [("month", pa.date32()), *((name, pa.int64()) for name in MONTHLY_MEASURES)]
)
YEARLY_SCHEMA = pa.schema(
    [("year", pa.int64()), ("clashes", pa.int64()), ("clash_deaths", pa.int64())]
)
BY_SOURCE_SCHEMA = pa.schema(
    [("actor", pa.string()), ("source", pa.string()), ("events", pa.int64())]
)
STATE_OPERATION_SOURCES = ("acled", "text", "sim")
"""Sources that tell a state operation (air or drone strike, raid, arrest) from other fighting;
UCDP records such operations as state-based conflict, among the fights with the state."""


@dataclass(frozen=True)
class Timeline:
    """The rivalry over time.

    Attributes:
        summary: two sentences for an analyst.
        monthly: one row per month (``month`` is its first day) from the first to the last month
            with any measure non-zero, zero-filled: ``clashes`` between the two and their
            ``clash_deaths`` (best estimates; unknown counts as 0); ``attacks_by_actor`` /
            ``attacks_by_rival`` (attacks the sources name the side as carrying out, on any
            target); ``state_fights_actor`` / ``state_fights_rival`` (clashes of the side with
            the government of the day, either listed first, the rival included while it is
            the government: the Taliban from 2021-08-15); ``state_ops_on_actor`` /
            ``state_ops_on_rival`` (state operations aimed at the side: the source names the
            other side as the one that acted, or names no one and the other side is a state).
        yearly: ``year``, ``clashes``, ``clash_deaths`` for every year from the first to the
            last with a clash between the two (none when they never clashed).
        by_source: ``actor`` (id), ``source``, ``events``: every event in the window with that
            actor on either side, per source (zero where a source has none for that actor).
    """

    summary: str
    monthly: pa.Table
    yearly: pa.Table
    by_source: pa.Table


def compute(dyad: Dyad) -> Timeline:
    """The timeline of ``dyad``."""
    monthly = monthly_counts(dyad)
    yearly = _yearly(monthly)
    by_source = _by_source(dyad)
    return Timeline(_summary(dyad, monthly, yearly), monthly, yearly, by_source)


def _measures(row: dict[str, object], actor: str) -> dict[str, bool]:
    """Which monthly measures one row of the working set (one event, one side) counts in."""
    kind, acted, mine = (
        row["event_type"],
        row["acted"],
        "actor" if row["side"] == actor else "rival",
    )
    state = bool(row["state"])
    by_a_state = state or row["relation"] == "foreign"
    return {
        "clashes": kind == "clash" and row["relation"] == "rival" and mine == "actor",
        f"attacks_by_{mine}": kind == "attack" and acted == "side",
        f"state_fights_{mine}": kind == "clash" and state,
        f"state_ops_on_{mine}": kind == "state_operation"
        and (acted == "other" or (acted is None and by_a_state)),
    }


def monthly_counts(dyad: Dyad) -> pa.Table:
    """The ``monthly`` table of :class:`Timeline` (phases reads its measures too)."""
    rows: dict[dt.date, dict[str, int]] = {}
    for row in dyad.side_rows:
        measures = [name for name, counts in _measures(row, dyad.actor).items() if counts]
        if not measures:
            continue
        month = row["date_start"].replace(day=1)
        cell = rows.setdefault(month, dict.fromkeys(MONTHLY_MEASURES, 0))
        for name in measures:
            cell[name] += 1
        if "clashes" in measures:
            cell["clash_deaths"] += int(row["fatalities_best"] or 0)
    if not rows:
        return MONTHLY_SCHEMA.empty_table()
    months = _month_range(min(rows), max(rows))
    columns: dict[str, list[object]] = {"month": list(months)}
    for name in MONTHLY_MEASURES:
        columns[name] = [rows[m][name] if m in rows else 0 for m in months]
    return pa.table(columns, schema=MONTHLY_SCHEMA)


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _yearly(monthly: pa.Table) -> pa.Table:
    totals: dict[int, list[int]] = {}
    for row in monthly.to_pylist():
        year = totals.setdefault(row["month"].year, [0, 0])
        year[0] += row["clashes"]
        year[1] += row["clash_deaths"]
    clashed = [y for y, (n, _) in totals.items() if n]
    years = list(range(min(clashed), max(clashed) + 1)) if clashed else []
    return pa.table(
        {
            "year": years,
            "clashes": [totals[y][0] for y in years],
            "clash_deaths": [totals[y][1] for y in years],
        },
        schema=YEARLY_SCHEMA,
    )


def _by_source(dyad: Dyad) -> pa.Table:
    """Each side's events per source, from the working set (an event once per side)."""
    seen = {(row["side"], row["source"], row["event_id"]) for row in dyad.side_rows}
    counts: dict[tuple[str, str], int] = {}
    for side, source, _ in seen:
        counts[(side, source)] = counts.get((side, source), 0) + 1
    sources = sorted({source for _, source, _ in seen})
    rows = [
        {"actor": side, "source": source, "events": counts.get((side, source), 0)}
        for side in (dyad.actor, dyad.rival)
        for source in sources
    ]
    return pa.Table.from_pylist(rows, schema=BY_SOURCE_SCHEMA)


def _summary(dyad: Dyad, monthly: pa.Table, yearly: pa.Table) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    if monthly.num_rows == 0:
        return (
            f"No clashes between {a} and {r}, fights of either with the state, attacks by either "
            "or state operations against either are recorded in the window. There is nothing "
            "to put on a timeline."
        )
    total = {name: sum(monthly.column(name).to_pylist()) for name in MONTHLY_MEASURES}
    clash_months = [row["month"] for row in monthly.to_pylist() if row["clashes"] > 0]
    if clash_months:
        busiest = max(yearly.to_pylist(), key=lambda row: (row["clashes"], -row["year"]))
        first = clash_months[0].strftime("%B %Y")
        last = clash_months[-1].strftime("%B %Y")
        span = f"in {first}" if first == last else f"from {first} to {last}"
        opening = (
            f"{a} and {r} clashed {_times(total['clashes'])} {span}, with "
            f"{total['clash_deaths']:,} deaths (best estimates); the busiest year was "
            f"{busiest['year']} with {_noun(busiest['clashes'], 'clash')}."
        )
    else:
        opening = f"No clashes between {a} and {r} are recorded in the window."
    fights = (
        f"In the window {a} fought the state {_times(total['state_fights_actor'])} and {r} "
        f"{_times(total['state_fights_rival'])}"
    )
    attacks = (
        f"the sources name {a} as the attacker in {_noun(total['attacks_by_actor'], 'attack')} "
        f"and {r} in {total['attacks_by_rival']:,}"
    )
    typed = [s for s in dyad.read_sources if s in STATE_OPERATION_SOURCES]
    if total["state_ops_on_actor"] or total["state_ops_on_rival"]:
        ops = (
            f"state operations (air and drone strikes, raids, arrests) were aimed at {a} "
            f"{_times(total['state_ops_on_actor'])} and at {r} "
            f"{_times(total['state_ops_on_rival'])}."
        )
    elif typed:
        ops = (
            "no state operation (air or drone strike, raid, arrest) against either is "
            "recorded apart from those fights."
        )
    else:
        untyped = listed([s.upper() for s in dyad.read_sources]) or "The sources"
        ops = (
            f"{untyped} {'does' if len(dyad.read_sources) == 1 else 'do'} not tell state "
            "operations (air and drone strikes, raids) from other fighting, so any are among "
            "the fights with the state."
        )
    return f"{opening} {fights}; {attacks}; {ops}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n:,} times"


def _noun(n: int, word: str) -> str:
    plural = word + ("es" if word.endswith(("s", "sh", "ch")) else "s")
    return f"{n:,} {word if n == 1 else plural}"
