"""When the two fought: clashes and deaths per month and year, each side's attacks, the state
operations against each, and how many events each source records for each side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from rivalscope.analysis.context import Dyad, month_start

MONTHLY_MEASURES = (
    "clashes",
    "clash_deaths",
    "attacks_by_actor",
    "attacks_by_rival",
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


@dataclass(frozen=True)
class Timeline:
    """The rivalry over time.

    Attributes:
        summary: two sentences for an analyst.
        monthly: one row per month (``month`` is its first day) from the first to the last month
            with any clash, attack or state operation counted here, zero-filled: ``clashes``
            between the two and their ``clash_deaths`` (best estimates; unknown counts as 0),
            ``attacks_by_actor`` / ``attacks_by_rival`` (attacks the side carried out, on any
            target), ``state_ops_on_actor`` / ``state_ops_on_rival`` (state operations aimed at
            the side).
        yearly: ``year``, ``clashes``, ``clash_deaths`` for every year the monthly table spans.
        by_source: ``actor`` (id), ``source``, ``events``: every event in the window with that
            actor on either side, per source (zero where a source has none for that actor).
    """

    summary: str
    monthly: pa.Table
    yearly: pa.Table
    by_source: pa.Table


def compute(dyad: Dyad) -> Timeline:
    """The timeline of ``dyad``."""
    monthly = _monthly(dyad)
    yearly = _yearly(monthly)
    by_source = _by_source(dyad)
    return Timeline(_summary(dyad, monthly, yearly), monthly, yearly, by_source)


def _monthly(dyad: Dyad) -> pa.Table:
    """Counted per (month, event type, actor1, actor2) in the backend, a plain group-by with no
    per-row expression to evaluate; the few thousand groups are sorted into measures here."""
    t = dyad.events()
    a, r = dyad.actor, dyad.rival
    t = t.filter(t.event_type.isin(["clash", "attack", "state_operation"]))
    groups = (
        t.group_by(
            month=month_start(t.date_start),
            event_type=t.event_type,
            actor1=t.actor1,
            actor2=t.actor2,
        )
        .aggregate(events=t.count(), deaths=t.fatalities_best.sum())
        .to_pyarrow()
        .to_pylist()
    )
    rows: dict[dt.date, dict[str, int]] = {}
    for group in groups:
        kind, actor1, actor2 = group["event_type"], group["actor1"], group["actor2"]
        measures = {
            "clashes": kind == "clash" and {actor1, actor2} == {a, r},
            "attacks_by_actor": kind == "attack" and actor1 == a,
            "attacks_by_rival": kind == "attack" and actor1 == r,
            "state_ops_on_actor": kind == "state_operation" and actor2 == a,
            "state_ops_on_rival": kind == "state_operation" and actor2 == r,
        }
        if not any(measures.values()):
            continue
        row = rows.setdefault(group["month"], dict.fromkeys(MONTHLY_MEASURES, 0))
        for name, counts in measures.items():
            if counts:
                row[name] += int(group["events"])
        if measures["clashes"]:
            row["clash_deaths"] += int(group["deaths"] or 0)
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
    years = sorted(totals)
    return pa.table(
        {
            "year": years,
            "clashes": [totals[y][0] for y in years],
            "clash_deaths": [totals[y][1] for y in years],
        },
        schema=YEARLY_SCHEMA,
    )


def _by_source(dyad: Dyad) -> pa.Table:
    t = dyad.events()
    sides = (dyad.actor, dyad.rival)
    t = t.filter(t.actor1.isin(sides) | t.actor2.isin(sides))
    groups = (
        t.group_by(["source", "actor1", "actor2"]).aggregate(events=t.count()).to_pyarrow()
    ).to_pylist()
    counts: dict[tuple[str, str], int] = {}
    for group in groups:
        for side in sides:
            if side in (group["actor1"], group["actor2"]):
                key = (side, group["source"])
                counts[key] = counts.get(key, 0) + int(group["events"])
    sources = sorted({group["source"] for group in groups})
    rows = [
        {"actor": side, "source": source, "events": counts.get((side, source), 0)}
        for side in sides
        for source in sources
    ]
    return pa.Table.from_pylist(rows, schema=BY_SOURCE_SCHEMA)


def _summary(dyad: Dyad, monthly: pa.Table, yearly: pa.Table) -> str:
    a, r = dyad.actor, dyad.rival
    if monthly.num_rows == 0:
        return (
            f"No clashes between {a} and {r}, attacks by either, or state operations against "
            f"either are recorded in the window. There is nothing to put on a timeline."
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
            f"{total['clash_deaths']} deaths (best estimates); the busiest year was "
            f"{busiest['year']} with {_noun(busiest['clashes'], 'clash')}."
        )
    else:
        opening = f"No clashes between {a} and {r} are recorded in the window."
    attacks = (
        f"In the window {a} carried out {_noun(total['attacks_by_actor'], 'attack')} and {r} "
        f"{total['attacks_by_rival']}"
    )
    if total["state_ops_on_actor"] or total["state_ops_on_rival"]:
        closing = (
            f"{attacks}; state operations targeted {a} {_times(total['state_ops_on_actor'])} "
            f"and {r} {_times(total['state_ops_on_rival'])}."
        )
    else:
        closing = f"{attacks}; no state operation against either is recorded."
    return f"{opening} {closing}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _noun(n: int, word: str) -> str:
    plural = word + ("es" if word.endswith(("s", "sh", "ch")) else "s")
    return f"{n} {word if n == 1 else plural}"
