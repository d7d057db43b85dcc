"""Two sources side by side: where both cover the dyad's country, each section's figures as each
source records them, and whether they disagree beyond reporting noise.

For each pair of dataset sources (coded text and simulations are not systematic, so they are left
out) the window is the days both cover in the country (their coverage, :mod:`rivalscope.fusion.
coverage`) within the dyad's window. In it each measure is counted per source and month.

The test: given each month's total of the two sources, the first source's share is binomial
with p = 1/2 when the two record the same rate. Months vary more than a binomial allows (deaths
above all), so the dispersion ``phi`` is estimated from the months (Pearson's statistic about the
pooled share over its degrees of freedom, at least 1) and the score statistic is scaled by it
(a quasi-binomial score test). With ``phi`` at 1 the exact binomial test is used. A measure
disagrees beyond noise when p < 0.01 (several measures are compared at once).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from rivalscope.analysis.context import Dyad

ALPHA = 0.01
"""The level below which two sources disagree beyond noise."""

NOT_SYSTEMATIC = ("text", "sim")
"""Sources that do not try to record every event of their window: never triangulated."""

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Measure:
    """One figure a section reports, counted from a source's events.

    Attributes:
        section: the profile section it belongs to.
        key: a stable name.
        label: what it counts, for people (actor ids filled in).
        value: the figure from the dyad's events of one source (``rows``).
        tested: whether it is a count or a sum the monthly test applies to.
    """

    section: str
    key: str
    label: str
    value: Callable[[Rows], float]
    tested: bool = True


def _measures(a: str, r: str, names: tuple[str, str] | None = None) -> list[Measure]:
    """The measures compared between sources; ``a`` and ``r`` are ids, ``names`` how the
    labels name them (default: the ids)."""
    na, nr = names or (a, r)

    def between(row: dict[str, Any]) -> bool:
        return {row["actor1"], row["actor2"]} == {a, r}

    def clash(row: dict[str, Any]) -> bool:
        return between(row) and row["event_type"] == "clash"

    def involves(actor: str) -> Callable[[dict[str, Any]], bool]:
        return lambda row: actor in (row["actor1"], row["actor2"])

    def deaths(rows: Rows) -> float:
        return float(sum(row["fatalities_best"] or 0 for row in rows))

    return [
        Measure(
            "timeline",
            "clashes",
            f"clashes between {na} and {nr}",
            lambda rows: float(sum(1 for x in rows if clash(x))),
        ),
        Measure(
            "timeline",
            "clash_deaths",
            f"deaths in clashes between {na} and {nr}",
            lambda rows: deaths([x for x in rows if clash(x)]),
        ),
        Measure(
            "spread",
            "clash_provinces",
            f"provinces where {na} and {nr} clashed",
            lambda rows: float(
                len({x["admin1_code"] for x in rows if clash(x) and x["admin1_code"]})
            ),
            tested=False,
        ),
        Measure(
            "targets",
            "events_actor",
            f"events involving {na}",
            lambda rows: float(sum(1 for x in rows if involves(a)(x))),
        ),
        Measure(
            "targets",
            "events_rival",
            f"events involving {nr}",
            lambda rows: float(sum(1 for x in rows if involves(r)(x))),
        ),
        Measure("harm", "deaths", f"deaths in events involving {na} or {nr}", deaths),
        Measure(
            "harm",
            "civilian_attacks",
            f"attacks on civilians by {na} or {nr}",
            lambda rows: float(
                sum(
                    1
                    for x in rows
                    if x["event_type"] == "attack" and x["target_type"] == "civilians"
                )
            ),
        ),
        Measure(
            "phases",
            "clash_months",
            f"months with clashes between {na} and {nr}",
            lambda rows: float(len({x["date_start"].replace(day=1) for x in rows if clash(x)})),
            tested=False,
        ),
    ]


@dataclass(frozen=True)
class Triangulation:
    """The side-by-side figures of each pair of overlapping sources.

    Attributes:
        pairs: one entry per pair: ``sources`` (two names), ``first`` and ``last`` (the window
            both cover), and ``measures``: rows of ``section``, ``key``, ``label``, ``values``
            (source -> figure), ``p_value`` (None when untested), ``disagree`` and ``sentence``.
        summary: one plain sentence.
    """

    pairs: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    summary: str = "Only one source covers this dyad's country and window: nothing to compare."

    def rows(self, section: str) -> Rows:
        """Every pair's measures of one section, with the pair's sources and window."""
        return [
            {**m, "sources": pair["sources"], "first": pair["first"], "last": pair["last"]}
            for pair in self.pairs
            for m in pair["measures"]
            if m["section"] == section
        ]

    def disagreements(self) -> list[str]:
        """The sentence of every measure on which two sources disagree beyond noise."""
        return [m["sentence"] for pair in self.pairs for m in pair["measures"] if m["disagree"]]


def compute(dyad: Dyad, windows: dict[str, tuple[dt.date, dt.date]]) -> Triangulation:
    """Compare the dyad's figures across each pair of sources in ``windows`` (source ->
    coverage window in the dyad's country) where their windows overlap."""
    names = sorted(s for s in windows if s not in NOT_SYSTEMATIC)
    pairs = []
    for i, first_source in enumerate(names):
        for second_source in names[i + 1 :]:
            first = max(windows[first_source][0], windows[second_source][0])
            last = min(windows[first_source][1], windows[second_source][1])
            if dyad.since is not None:
                first = max(first, dyad.since)
            if dyad.until is not None:
                last = min(last, dyad.until)
            if first > last:
                continue
            pairs.append(_pair(dyad, (first_source, second_source), first, last))
    if not pairs:
        return Triangulation()
    disagree = sum(m["disagree"] for p in pairs for m in p["measures"])
    compared = ", ".join(
        f"{p['sources'][0].upper()} and {p['sources'][1].upper()} "
        f"({p['first']:%Y-%m-%d} to {p['last']:%Y-%m-%d})"
        for p in pairs
    )
    verdict = (
        f"they disagree beyond reporting noise on {disagree} figure{'s' if disagree != 1 else ''}"
        if disagree
        else "no figure differs beyond reporting noise"
    )
    return Triangulation(tuple(pairs), f"Where both cover the country, {compared}: {verdict}.")


def _pair(dyad: Dyad, sources: tuple[str, str], first: dt.date, last: dt.date) -> dict[str, Any]:
    import rivalscope.fusion as fusion

    per_source: dict[str, Rows] = {}
    for name in sources:
        t = fusion.view(dyad.store, name, dyad.country)
        if dyad.country is not None:
            t = t.filter(t.country_iso3 == dyad.country)
        t = t.filter(
            (t.date_start >= first)
            & (t.date_start <= last)
            & (t.actor1.isin([dyad.actor, dyad.rival]) | t.actor2.isin([dyad.actor, dyad.rival]))
        )
        per_source[name] = (
            t.select(
                "date_start",
                "event_type",
                "actor1",
                "actor2",
                "admin1_code",
                "fatalities_best",
                "target_type",
            )
            .to_pyarrow()
            .to_pylist()
        )
    months = _months(first, last)
    by_month: dict[str, dict[dt.date, Rows]] = {name: {} for name in per_source}
    for name, rows in per_source.items():
        for row in rows:
            by_month[name].setdefault(_month(row["date_start"]), []).append(row)
    measures = []
    named = (dyad.name(dyad.actor), dyad.name(dyad.rival))
    for measure in _measures(dyad.actor, dyad.rival, named):
        values = {name: measure.value(rows) for name, rows in per_source.items()}
        p_value = None
        if measure.tested:
            series = [
                [measure.value(by_month[name].get(m, [])) for m in months] for name in sources
            ]
            p_value = disagreement_p(series[0], series[1])
        disagree = p_value is not None and p_value < ALPHA
        measures.append(
            {
                "section": measure.section,
                "key": measure.key,
                "label": measure.label,
                "values": values,
                "p_value": p_value,
                "disagree": disagree,
                "sentence": _sentence(measure.label, values, sources, first, last, p_value),
            }
        )
    return {"sources": list(sources), "first": first, "last": last, "measures": measures}


def disagreement_p(first: list[float], second: list[float]) -> float | None:
    """The p-value of the quasi-binomial score test that two monthly series record one rate
    (see the module); None when neither records anything."""
    from scipy import stats

    pairs = [(x, y) for x, y in zip(first, second, strict=True) if x + y > 0]
    total_first = sum(x for x, _ in pairs)
    total = sum(x + y for x, y in pairs)
    if total <= 0:
        return None
    share = total_first / total
    phi = 1.0
    if len(pairs) > 1 and 0 < share < 1:
        pearson = sum(
            (x - (x + y) * share) ** 2 / ((x + y) * share * (1 - share)) for x, y in pairs
        )
        phi = max(1.0, pearson / (len(pairs) - 1))
    if phi == 1.0 and all(float(v).is_integer() for pair in pairs for v in pair):
        return float(stats.binomtest(int(total_first), int(total), 0.5).pvalue)
    z = (total_first - total / 2) / math.sqrt(phi * total / 4)
    return float(2 * stats.norm.sf(abs(z)))


def _sentence(
    label: str,
    values: dict[str, float],
    sources: tuple[str, str],
    first: dt.date,
    last: dt.date,
    p_value: float | None,
) -> str:
    a, b = sources
    figures = f"{a.upper()} records {_number(values[a])} {label}, {b.upper()} {_number(values[b])}"
    window = f"From {first:%Y-%m-%d} to {last:%Y-%m-%d}, when both cover the country"
    if p_value is None:
        return f"{window}, {figures}."
    if p_value < ALPHA:
        shown = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
        return f"{window}, {figures}: they disagree beyond reporting noise ({shown})."
    return f"{window}, {figures}: within reporting noise (p = {p_value:.2f})."


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, current = [], _month(first)
    while current <= last:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


def as_table(triangulation: Triangulation) -> pa.Table:
    """Every compared measure as one flat table (for CSV and the dashboard)."""
    rows = [
        {
            "sources": " / ".join(pair["sources"]),
            "first": pair["first"],
            "last": pair["last"],
            "section": m["section"],
            "measure": m["label"],
            **{f"value_{i + 1}": m["values"][s] for i, s in enumerate(pair["sources"])},
            "p_value": m["p_value"],
            "disagree": m["disagree"],
        }
        for pair in triangulation.pairs
        for m in pair["measures"]
    ]
    return pa.Table.from_pylist(rows)
