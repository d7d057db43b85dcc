"""Influence: how each side works without fighting (propaganda, proselytization, extortion,
governance, recruitment), where and when, and whether its influence in a province comes before
its violence there.

An influence activity is an event of one of :data:`rivalscope.schema.INFLUENCE_TYPES` that the
sources name the side as carrying out (ACLED strategic developments classed by their notes,
coded reports). Violence is the side's clashes (either side of the event) and the attacks the
sources name it as carrying out.

The time-ordered test: in each province where a side is recorded both influencing and fighting,
did its first influence activity come before its first violence? If the two kinds of event were
ordered at random within a province, the first of its events would be an influence activity with
probability ``n_influence / (n_influence + n_violence)``; the number of provinces where influence
came first is then a sum of independent Bernoulli draws (a Poisson-binomial count). The section
reports the observed count against that expectation, the exact one-sided p-value and a 95%
Clopper-Pearson interval for the share of provinces where influence came first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pyarrow as pa

from rivalscope.analysis.context import Dyad
from rivalscope.analysis.targets import listed, share
from rivalscope.schema import INFLUENCE_TYPES

ALL: Final = "all"
VIOLENT: Final = ("clash", "attack")
MIN_PROVINCES: Final = 5
"""Fewer provinces with both influence and violence than this, and the test is too thin."""
LEVEL: Final = 0.05
_WORDS: Final = {
    "propaganda": "propaganda",
    "proselytization": "proselytization",
    "extortion": "extortion",
    "governance": "governance (courts, taxes, administration)",
    "recruitment": "recruitment",
}
COUNTS_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("phase", pa.string()),
        ("event_type", pa.string()),
        ("events", pa.int64()),
    ]
)
PROVINCES_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("admin1_code", pa.string()),
        ("influence", pa.int64()),
        ("violence", pa.int64()),
        ("first_influence", pa.date32()),
        ("first_violence", pa.date32()),
        ("influence_first", pa.bool_()),
        ("expected", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Precedence:
    """Whether a side's influence in a province comes before its violence there.

    Attributes:
        side: the actor id.
        provinces: provinces where the side is recorded both influencing and fighting (a tie
            on the first day counts as neither first and is left out).
        influence_first: of them, those where its first influence activity came first.
        expected: how many that would be if the two kinds were ordered at random.
        share: ``influence_first / provinces`` (None without provinces).
        ci_low: 95% Clopper-Pearson interval of that share.
        ci_high: see ``ci_low``.
        p_value: the exact one-sided probability of at least ``influence_first`` under random
            order (Poisson-binomial); None without provinces.
        conclusive: at least :data:`MIN_PROVINCES` provinces and ``p_value`` below 0.05.
    """

    side: str
    provinces: int
    influence_first: int
    expected: float
    share: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    conclusive: bool


@dataclass(frozen=True)
class Influence:
    """Each side's influence activities.

    Attributes:
        summary: sentences for an analyst.
        counts: ``side``, ``phase`` (``all``, then each phase), ``event_type`` (an influence
            type) and ``events``; only non-zero rows.
        provinces: per side and province with influence or violence: ``influence`` and
            ``violence`` (events), the first date of each, ``influence_first`` (None unless
            both are recorded and their first days differ) and ``expected`` (the chance that
            influence comes first under random order).
        precedence: the time-ordered test, one :class:`Precedence` per side (actor, rival).
    """

    summary: str
    counts: pa.Table
    provinces: pa.Table
    precedence: list[Precedence] = field(default_factory=list)


def compute(dyad: Dyad) -> Influence:
    """The influence activities of each side of ``dyad``."""
    rows = dyad.side_rows
    counts: dict[tuple[str, str, str], int] = {}
    places: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        side, kind = row["side"], row["event_type"]
        influence = kind in INFLUENCE_TYPES and row["acted"] == "side"
        violence = kind == "clash" or (kind == "attack" and row["acted"] == "side")
        if influence:
            for phase in (ALL, row["phase"]):
                if phase is not None:
                    counts[(side, phase, kind)] = counts.get((side, phase, kind), 0) + 1
        if not (influence or violence) or row["admin1_code"] is None:
            continue
        place = places.setdefault(
            (side, row["admin1_code"]),
            {"influence": 0, "violence": 0, "first_influence": None, "first_violence": None},
        )
        what = "influence" if influence else "violence"
        place[what] += 1
        first = place[f"first_{what}"]
        if first is None or row["date_start"] < first:
            place[f"first_{what}"] = row["date_start"]
    phases = [ALL, *(p.name for p in dyad.phases)]
    count_rows = [
        {"side": side, "phase": phase, "event_type": kind, "events": counts[(side, phase, kind)]}
        for side in (dyad.actor, dyad.rival)
        for phase in phases
        for kind in INFLUENCE_TYPES
        if (side, phase, kind) in counts
    ]
    province_rows = []
    for (side, code), place in sorted(places.items()):
        both = place["influence"] and place["violence"]
        order = None
        if both and place["first_influence"] != place["first_violence"]:
            order = bool(place["first_influence"] < place["first_violence"])
        province_rows.append(
            {
                "side": side,
                "admin1_code": code,
                **place,
                "influence_first": order,
                "expected": place["influence"] / (place["influence"] + place["violence"])
                if both
                else None,
            }
        )
    provinces = pa.Table.from_pylist(province_rows, schema=PROVINCES_SCHEMA)
    precedence = [_precedence(side, province_rows) for side in (dyad.actor, dyad.rival)]
    counted = pa.Table.from_pylist(count_rows, schema=COUNTS_SCHEMA)
    return Influence(_summary(dyad, counted, precedence), counted, provinces, precedence)


def poisson_binomial_tail(probabilities: list[float], k: int) -> float:
    """P(X >= k) for X a sum of independent Bernoulli draws with these ``probabilities``."""
    dist = np.zeros(len(probabilities) + 1)
    dist[0] = 1.0
    for p in probabilities:
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(min(1.0, dist[k:].sum()))


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    """The exact 95% interval of a binomial proportion ``k / n``."""
    from scipy.stats import beta

    low = 0.0 if k == 0 else float(beta.ppf(LEVEL / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - LEVEL / 2, k + 1, n - k))
    return low, high


def _precedence(side: str, rows: list[dict[str, Any]]) -> Precedence:
    mine = [r for r in rows if r["side"] == side and r["influence_first"] is not None]
    n = len(mine)
    first = sum(1 for r in mine if r["influence_first"])
    expected = float(sum(r["expected"] for r in mine))
    if n == 0:
        return Precedence(side, 0, 0, 0.0, None, None, None, None, False)
    low, high = clopper_pearson(first, n)
    p = poisson_binomial_tail([r["expected"] for r in mine], first)
    return Precedence(
        side, n, first, expected, first / n, low, high, p, n >= MIN_PROVINCES and p < LEVEL
    )


def _summary(dyad: Dyad, counts: pa.Table, precedence: list[Precedence]) -> str:
    overall = [r for r in counts.to_pylist() if r["phase"] == ALL]
    if not overall:
        read = [s.upper() for s in dyad.read_sources]
        return (
            f"No influence activity (propaganda, proselytization, extortion, governance, "
            f"recruitment) by {dyad.name(dyad.actor)} or {dyad.name(dyad.rival)} is recorded "
            f"in the window ({listed(read) or 'no source'} read). UCDP records only violence; "
            "load ACLED (its strategic developments) or coded reports (rivalscope code) to see "
            "these activities."
        )
    sentences = []
    for test in precedence:
        name = dyad.name(test.side)
        mine = sorted(
            (r for r in overall if r["side"] == test.side),
            key=lambda r: (-r["events"], r["event_type"]),
        )
        total = sum(r["events"] for r in mine)
        if not total:
            sentences.append(f"No influence activity of {name} is recorded in the window.")
            continue
        parts = [
            f"{r['events']:,} {_WORDS[r['event_type']]} ({share(r['events'], total)})" for r in mine
        ]
        sentences.append(
            f"{name} is recorded in {total:,} influence activit{'y' if total == 1 else 'ies'}: "
            f"{listed(parts)}."
        )
        sentences.append(_order(name, test))
    return " ".join(sentences)


def _order(name: str, test: Precedence) -> str:
    if test.provinces == 0:
        return (
            f"No province records both influence and violence by {name} on different first "
            "days, so whether its influence comes before its violence cannot be tested."
        )
    assert test.ci_low is not None and test.ci_high is not None and test.p_value is not None
    said = (
        f"In {test.influence_first} of the {test.provinces} province"
        f"{'s' if test.provinces != 1 else ''} where {name} is recorded both influencing and "
        f"fighting, its first influence activity came before its first violence "
        f"({test.influence_first / test.provinces:.0%}, 95% CI {test.ci_low:.0%}-"
        f"{test.ci_high:.0%}); in random order {test.expected:.1f} would be expected "
        f"(p = {test.p_value:.3f})."
    )
    if test.conclusive:
        return (
            f"{said} Its influence tends to come before its violence there: an order in time, "
            "not proof that one leads to the other."
        )
    why = (
        f"fewer than {MIN_PROVINCES} provinces"
        if test.provinces < MIN_PROVINCES
        else "the order is within what chance gives"
    )
    return f"{said} Too thin to conclude that its influence comes first ({why})."
