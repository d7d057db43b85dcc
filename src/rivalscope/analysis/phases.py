"""The rivalry phase by phase: counts per named period and, at each boundary, whether the
monthly rates changed (Poisson rate ratios with 95% intervals)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa

from rivalscope.analysis.context import Dyad, Phase

MEASURES: Final = ("clashes", "attacks", "deaths", "spread")
Z95: Final = 1.96
PERIODS_SCHEMA = pa.schema(
    [
        ("phase", pa.string()),
        ("start", pa.date32()),
        ("end", pa.date32()),
        ("months", pa.int64()),
        ("clashes", pa.int64()),
        ("attacks", pa.int64()),
        ("deaths", pa.int64()),
        ("provinces", pa.int64()),
    ]
)
BOUNDARIES_SCHEMA = pa.schema(
    [
        ("boundary", pa.date32()),
        ("before", pa.string()),
        ("after", pa.string()),
        ("measure", pa.string()),
        ("rate_before", pa.float64()),
        ("rate_after", pa.float64()),
        ("rate_ratio", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("coverage_edge", pa.string()),
    ]
)
_COUNT_OF: Final = {
    "clashes": "clashes",
    "attacks": "attacks",
    "deaths": "deaths",
    "spread": "provinces",
}


@dataclass(frozen=True)
class Phases:
    """The phases of the rivalry and the change at each boundary between them.

    Attributes:
        summary: two sentences for an analyst.
        periods: one row per phase, in order: ``phase``, ``start``, ``end`` (exclusive; null:
            open), ``months`` (the calendar months of the phase inside the data window, i.e.
            from the later of the phase start and the first event's month to the earlier of
            the phase's last day and the last event's month, partial months counted whole;
            at least 1), ``clashes`` between the two, ``attacks`` by either side, ``deaths``
            (best estimates, unknown as 0, in those clashes and attacks) and ``provinces``
            (distinct provinces with a clash between the two). The data window is the first
            to the last event of any actor in the dyad's window.
        boundaries: for each pair of consecutive phases that both overlap the data window (a
            phase the data does not reach has nothing to compare), one row per measure:
            ``boundary`` (the later phase's start), ``before`` and ``after`` (phase names),
            ``measure`` (``clashes``, ``attacks``, ``deaths`` or ``spread``), ``rate_before``
            and ``rate_after`` (count per month), ``rate_ratio`` (after / before) and its 95%
            interval ``ci_low``, ``ci_high``. For ``spread`` the count is the number of
            distinct provinces with a clash in the phase, so its rate is provinces per month.
            The interval is the log-scale Wald interval
            ``exp(ln(RR) ± 1.96 * sqrt(1/x_after + 1/x_before))``; when either count is 0,
            0.5 is added to both counts for the ratio and its interval (the rates stay raw).
            ``coverage_edge`` names the sources whose coverage starts or ends within a month of
            the boundary (None elsewhere): a change there may be the data's, not the
            rivalry's, and the summary never calls it the sharpest change.
    """

    summary: str
    periods: pa.Table
    boundaries: pa.Table


def rate_ratio(
    before: float, months_before: float, after: float, months_after: float
) -> tuple[float, float, float]:
    """The Poisson rate ratio (after / before) with its 95% log-scale Wald interval.

    When either count is zero, 0.5 is added to both counts (the continuity correction).

    Returns:
        ``(ratio, low, high)``.
    """
    if before == 0 or after == 0:
        before, after = before + 0.5, after + 0.5
    ratio = (after / months_after) / (before / months_before)
    half_width = Z95 * math.sqrt(1 / after + 1 / before)
    return ratio, ratio * math.exp(-half_width), ratio * math.exp(half_width)


def compute(dyad: Dyad) -> Phases:
    """The phases of ``dyad`` and the rate changes at their boundaries."""
    if not dyad.phases:
        return Phases(
            f"No phases are defined for {dyad.name(dyad.actor)} and {dyad.name(dyad.rival)}, so there is nothing to "
            "compare. Pass a phases file to split the window into named periods.",
            PERIODS_SCHEMA.empty_table(),
            BOUNDARIES_SCHEMA.empty_table(),
        )
    t = dyad.events()
    window = t.aggregate(first=t.date_start.min(), last=t.date_start.max()).to_pyarrow()
    first, last = window.column("first")[0].as_py(), window.column("last")[0].as_py()
    counts = _counts(dyad)
    rows = []
    for phase in dyad.phases:
        found = counts.get(phase.name, {})
        rows.append(
            {
                "phase": phase.name,
                "start": phase.start,
                "end": phase.end,
                "months": _months(phase, first, last),
                **{name: int(found.get(name) or 0) for name in _COUNT_OF.values()},
            }
        )
    periods = pa.Table.from_pylist(rows, schema=PERIODS_SCHEMA)
    covered = [
        row
        for row, phase in zip(rows, dyad.phases, strict=True)
        if first is not None and _overlaps(phase, first, last)
    ]
    edges = dyad.coverage_edges()
    boundaries = pa.Table.from_pylist(
        [
            {**_compare(earlier, later, measure), "coverage_edge": _edge(phase_start(later), edges)}
            for earlier, later in itertools.pairwise(covered)
            for measure in MEASURES
        ],
        schema=BOUNDARIES_SCHEMA,
    )
    return Phases(_summary(dyad, periods, boundaries, first is not None), periods, boundaries)


def _counts(dyad: Dyad) -> dict[str, dict[str, int]]:
    """Per phase: clashes between the two, attacks by either, their deaths and the provinces
    with a clash; grouped in the backend by plain columns and summed up here."""
    t = dyad.events()
    a, r = dyad.actor, dyad.rival
    t = t.filter(t.event_type.isin(["clash", "attack"]), t.actor1.isin([a, r]))
    groups = (
        t.group_by(
            phase=dyad.phase_of(t.date_start),
            event_type=t.event_type,
            actor1=t.actor1,
            actor2=t.actor2,
            admin1_code=t.admin1_code,
        )
        .aggregate(events=t.count(), deaths=t.fatalities_best.sum())
        .to_pyarrow()
        .to_pylist()
    )
    counts: dict[str, dict[str, Any]] = {}
    provinces: dict[str, set[str]] = {}
    for group in groups:
        if group["phase"] is None:
            continue
        clash = group["event_type"] == "clash" and {group["actor1"], group["actor2"]} == {a, r}
        if not clash and group["event_type"] != "attack":
            continue
        row = counts.setdefault(
            group["phase"],
            {"phase": group["phase"], "clashes": 0, "attacks": 0, "deaths": 0, "provinces": 0},
        )
        row["clashes" if clash else "attacks"] += int(group["events"])
        row["deaths"] += int(group["deaths"] or 0)
        if clash and group["admin1_code"] is not None:
            provinces.setdefault(group["phase"], set()).add(group["admin1_code"])
    for phase, row in counts.items():
        row["provinces"] = len(provinces.get(phase, ()))
    return counts


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _overlaps(phase: Phase, first: dt.date, last: dt.date) -> bool:
    return phase.start <= last and (phase.end is None or phase.end > first)


def _months(phase: Phase, first: dt.date | None, last: dt.date | None) -> int:
    if first is None or last is None:
        return 1
    start = max(phase.start, first)
    end = last if phase.end is None else min(phase.end - dt.timedelta(days=1), last)
    return max(1, _month_number(end) - _month_number(start) + 1)


EDGE_DAYS = 31
"""A boundary this close to where a source's coverage starts or ends sits on its edge."""


def phase_start(row: dict[str, Any]) -> dt.date:
    """The start of a phase row of ``periods``."""
    start = row["start"]
    assert isinstance(start, dt.date)
    return start


def _edge(boundary: dt.date, edges: list[tuple[dt.date, str]]) -> str | None:
    """The source whose coverage starts or ends at ``boundary`` (within :data:`EDGE_DAYS`)."""
    near = [source for day, source in edges if abs((day - boundary).days) <= EDGE_DAYS]
    return ", ".join(sorted(set(near))) or None


def _compare(earlier: dict[str, Any], later: dict[str, Any], measure: str) -> dict[str, Any]:
    count = _COUNT_OF[measure]
    x0, x1 = int(earlier[count]), int(later[count])
    m0, m1 = int(earlier["months"]), int(later["months"])
    ratio, low, high = rate_ratio(x0, m0, x1, m1)
    return {
        "boundary": later["start"],
        "before": earlier["phase"],
        "after": later["phase"],
        "measure": measure,
        "rate_before": x0 / m0,
        "rate_after": x1 / m1,
        "rate_ratio": ratio,
        "ci_low": low,
        "ci_high": high,
    }


def _summary(dyad: Dyad, periods: pa.Table, boundaries: pa.Table, any_events: bool) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    if not any_events:
        return (
            f"No events are recorded in the window, so the {periods.num_rows} phases are empty. "
            "There are no rates to compare."
        )
    rows = periods.to_pylist()
    busiest = max(rows, key=lambda row: row["clashes"] / row["months"])
    if busiest["clashes"] == 0:
        opening = f"{a} and {r} are not recorded clashing in any of the {len(rows)} phases."
    else:
        opening = (
            f"Across {len(rows)} phases, {a} and {r} clashed most often in the phase "
            f'"{busiest["phase"]}" ({busiest["clashes"] / busiest["months"]:.1f} a month).'
        )
    clear = [
        row
        for row in boundaries.to_pylist()
        if row["measure"] == "clashes"
        and (row["ci_low"] > 1 or row["ci_high"] < 1)
        and not row["coverage_edge"]
    ]
    edges = sorted(
        {
            (row["boundary"], row["coverage_edge"])
            for row in boundaries.to_pylist()
            if row["coverage_edge"]
        }
    )
    caveat = "".join(
        f" The boundary of {day:%Y-%m-%d} falls where {source.upper()}'s coverage starts or "
        "ends, so a change there is not read as a change of the rivalry."
        for day, source in edges
    )
    if boundaries.num_rows == 0:
        closing = "Fewer than two phases fall inside the data, so no boundary can be compared."
    elif not clear:
        closing = "No change in the clash rate between consecutive phases is clear at 95%."
    else:
        sharpest = max(clear, key=lambda row: abs(math.log(row["rate_ratio"])))
        closing = (
            f"The sharpest clear change came on {sharpest['boundary']:%Y-%m-%d} "
            f'("{sharpest["before"]}" to "{sharpest["after"]}"): the clash rate went from '
            f"{sharpest['rate_before']:.1f} to {sharpest['rate_after']:.1f} a month (rate ratio "
            f"{sharpest['rate_ratio']:.2f}, 95% CI {sharpest['ci_low']:.2f}-"
            f"{sharpest['ci_high']:.2f})."
        )
    return f"{opening} {closing}{caveat}"
