"""Defections: who left whom, where and when; and whether defections go with more clashes.

The claim tested: provinces with at least one recorded defection between the two (either
direction) see more clashes between them than the country's other provinces. The statistic is
the difference in mean clashes per province; its one-sided p-value comes from a permutation
test that shuffles the with/without labels over provinces (the number of provinces with
defections held fixed). Clashes and defections without a province are left out of the claim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import ibis
import numpy as np
import pyarrow as pa

from rivalscope.analysis.context import month_start
from rivalscope.errors import InputError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from rivalscope.analysis.context import Dyad

FLOW_SCHEMA: Final = pa.schema(
    [
        ("from_actor", pa.string()),
        ("to_actor", pa.string()),
        ("records", pa.int64()),
        ("fighters", pa.int64()),
        ("involves", pa.string()),
    ]
)
PROVINCE_MONTH_SCHEMA: Final = pa.schema(
    [
        ("admin1_code", pa.string()),
        ("month", pa.date32()),
        ("from_actor", pa.string()),
        ("to_actor", pa.string()),
        ("records", pa.int64()),
        ("fighters", pa.int64()),
    ]
)
RECORD_SCHEMA: Final = pa.schema(
    [
        ("defection_id", pa.string()),
        ("date", pa.date32()),
        ("person", pa.string()),
        ("role", pa.string()),
        ("fighters", pa.int64()),
        ("from_actor", pa.string()),
        ("to_actor", pa.string()),
        ("admin1_code", pa.string()),
        ("admin2", pa.string()),
        ("source", pa.string()),
        ("notes", pa.string()),
    ]
)
_HINT: Final = "rivalscope ingest defections FILE"
_PERM_CHUNK: Final = 4096
_TOLERANCE: Final = 1e-9


@dataclass(frozen=True)
class DefectionClaim:
    """The test of the claim that defections between the two go with more clashes.

    Attributes:
        provinces_with: provinces with at least one recorded defection between the two.
        provinces_without: the other provinces of the country (or, with no country, of the
            events in the window).
        clashes_with: clashes between the two in the provinces with defections.
        clashes_without: clashes between the two in the other provinces.
        rate_with: clashes per province with defections (NaN when there is none).
        rate_without: clashes per province without (NaN when there is none).
        rate_ratio: ``rate_with / rate_without`` (infinite when only the provinces with
            defections saw clashes, NaN when not testable or no province saw any).
        p_value: one-sided permutation p-value of the difference in mean clashes per province,
            ``(1 + #permutations >= observed) / (1 + n_perm)``; NaN when not testable.
        n_perm: permutations drawn (0 when not testable).
        testable: False when there is no defection between the two in a province, or no
            province on one side.
    """

    provinces_with: int
    provinces_without: int
    clashes_with: int
    clashes_without: int
    rate_with: float
    rate_without: float
    rate_ratio: float
    p_value: float
    n_perm: int
    testable: bool


@dataclass(frozen=True)
class Defections:
    """Defections between the two and to or from third groups, and the claim's test.

    Attributes:
        summary: the flows and the claim's result, in plain words.
        flows: one row per direction: ``from_actor``, ``to_actor``, ``records``, ``fighters``
            (sum, missing as 0), ``involves`` (``both`` between the two, ``actor`` or ``rival``
            when one of them and a third group); most records first.
        by_province_month: the same flows per ``admin1_code`` (NULL: no province) and
            ``month`` (first day).
        records: the defection rows involving either side, by date. ``person`` is sensitive:
            it is kept here and the report layer redacts it on request.
        claim: the test of whether provinces with defections between the two see more clashes.
    """

    summary: str
    flows: pa.Table
    by_province_month: pa.Table
    records: pa.Table
    claim: DefectionClaim


def compute(dyad: Dyad, *, n_perm: int = 10_000, seed: int = 0) -> Defections:
    """Tabulate defections involving either side and test the defections-clashes claim.

    Args:
        dyad: the question's frame.
        n_perm: permutations for the claim's p-value.
        seed: seed of ``numpy.random.default_rng`` for the permutations.

    Raises:
        InputError: ``n_perm`` is below 1.
    """
    if n_perm < 1:
        raise InputError(f"n_perm must be at least 1, not {n_perm}")
    a, r = dyad.actor, dyad.rival
    d = dyad.defections()
    d = d.filter(d.from_actor.isin([a, r]) | d.to_actor.isin([a, r]))
    fighters = d.fighters.cast("int64").fill_null(0)

    records = (
        d.mutate(fighters=d.fighters.cast("int64"))
        .select(*RECORD_SCHEMA.names)
        .order_by(["date", "defection_id"])
        .to_pyarrow()
        .cast(RECORD_SCHEMA)
    )
    flows = (
        d.group_by(["from_actor", "to_actor"])
        .aggregate(records=d.count(), fighters=fighters.sum())
        .order_by([ibis.desc("records"), "from_actor", "to_actor"])
        .to_pyarrow()
    )
    flows = _with_involves(flows, a, r)
    by_province_month = (
        d.group_by([d.admin1_code, month_start(d.date).name("month"), d.from_actor, d.to_actor])
        .aggregate(records=d.count(), fighters=fighters.sum())
        .order_by(["month", "admin1_code", "from_actor", "to_actor"])
        .to_pyarrow()
        .select(PROVINCE_MONTH_SCHEMA.names)
        .cast(PROVINCE_MONTH_SCHEMA)
    )
    claim = _claim(dyad, n_perm, seed)
    loaded = dyad.store.table("defections").count().to_pyarrow().as_py() > 0
    return Defections(
        _summary(dyad, flows, claim, loaded), flows, by_province_month, records, claim
    )


def _with_involves(flows: pa.Table, a: str, r: str) -> pa.Table:
    involves = []
    for source, target in zip(
        flows.column("from_actor").to_pylist(), flows.column("to_actor").to_pylist(), strict=True
    ):
        if {source, target} == {a, r}:
            involves.append("both")
        else:
            involves.append("actor" if a in (source, target) else "rival")
    kinds = pa.array(involves, pa.string())
    return flows.select(FLOW_SCHEMA.names[:-1]).append_column("involves", kinds).cast(FLOW_SCHEMA)


def _claim(dyad: Dyad, n_perm: int, seed: int) -> DefectionClaim:
    a, r = dyad.actor, dyad.rival
    d = dyad.defections()
    d = d.filter(
        ((d.from_actor == a) & (d.to_actor == r)) | ((d.from_actor == r) & (d.to_actor == a))
    )
    d = d.filter(d.admin1_code.notnull())
    with_codes = set(d.select("admin1_code").distinct().to_pyarrow().column(0).to_pylist())
    c = dyad.clashes()
    c = c.filter(c.admin1_code.notnull())
    counts_rows = c.group_by("admin1_code").aggregate(clashes=c.count()).to_pyarrow()
    clash_counts = dict(
        zip(
            counts_rows.column("admin1_code").to_pylist(),
            counts_rows.column("clashes").to_pylist(),
            strict=True,
        )
    )
    provinces = sorted(_province_universe(dyad) | with_codes | set(clash_counts))
    counts = np.array([clash_counts.get(p, 0) for p in provinces], dtype=np.int64)
    labels = np.array([p in with_codes for p in provinces], dtype=bool)
    n_with, n_without = int(labels.sum()), int((~labels).sum())
    clashes_with, clashes_without = int(counts[labels].sum()), int(counts[~labels].sum())
    rate_with = clashes_with / n_with if n_with else math.nan
    rate_without = clashes_without / n_without if n_without else math.nan
    testable = n_with > 0 and n_without > 0
    if not testable:
        return DefectionClaim(
            n_with,
            n_without,
            clashes_with,
            clashes_without,
            rate_with,
            rate_without,
            math.nan,
            math.nan,
            0,
            False,
        )
    return DefectionClaim(
        n_with,
        n_without,
        clashes_with,
        clashes_without,
        rate_with,
        rate_without,
        _ratio(rate_with, rate_without),
        permutation_p_value(counts, labels, n_perm=n_perm, seed=seed),
        n_perm,
        True,
    )


def _province_universe(dyad: Dyad) -> set[str]:
    if dyad.country is not None:
        return set(dyad.provinces().column("code").to_pylist())
    e = dyad.events()
    e = e.filter(e.admin1_code.notnull())
    return set(e.select("admin1_code").distinct().to_pyarrow().column(0).to_pylist())


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return math.inf if numerator > 0 else math.nan
    return numerator / denominator


def mean_difference(counts: NDArray[np.int64], labels: NDArray[np.bool_]) -> float:
    """Mean of ``counts`` where ``labels`` is True minus the mean where it is False."""
    return float(counts[labels].mean() - counts[~labels].mean())


def permutation_p_value(
    counts: NDArray[np.int64], labels: NDArray[np.bool_], *, n_perm: int, seed: int
) -> float:
    """One-sided permutation p-value of :func:`mean_difference` being this large by chance.

    The labels are shuffled over the units ``n_perm`` times (``numpy.random.default_rng(seed)``);
    ``p = (1 + #shuffles with a difference >= the observed one) / (1 + n_perm)``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    n, k = len(counts), int(labels.sum())
    observed = mean_difference(counts, labels)
    total = counts.sum()
    rng = np.random.default_rng(seed)
    at_least = 0
    for start in range(0, n_perm, _PERM_CHUNK):
        size = min(_PERM_CHUNK, n_perm - start)
        shuffled = rng.permuted(np.broadcast_to(labels, (size, n)), axis=1)
        with_sum = shuffled @ counts
        difference = with_sum / k - (total - with_sum) / (n - k)
        at_least += int((difference >= observed - _TOLERANCE).sum())
    return (1 + at_least) / (1 + n_perm)


def _records_of(flows: pa.Table, involves: str) -> int:
    rows = [
        records
        for kind, records in zip(
            flows.column("involves").to_pylist(), flows.column("records").to_pylist(), strict=True
        )
        if kind == involves
    ]
    return int(sum(rows))


def _summary(dyad: Dyad, flows: pa.Table, claim: DefectionClaim, loaded: bool) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    if not loaded:
        return (
            "No defection records are loaded, so there are no flows to show and the claim that "
            f"provinces with defections see more clashes between {a} and {r} cannot be tested "
            f"({_HINT})."
        )
    total = int(sum(flows.column("records").to_pylist()))
    if total == 0:
        return (
            f"No defection record involves {a} or {r} in the window, so the claim that provinces "
            "with defections see more clashes between them cannot be tested."
        )
    between = _records_of(flows, "both")
    fighters = int(sum(flows.column("fighters").to_pylist()))
    first = (
        f"{total} defection {'record involves' if total == 1 else 'records involve'} {a} or "
        f"{r}: {between} between the two, {_records_of(flows, 'actor')} between {a} and a third "
        f"group and {_records_of(flows, 'rival')} between {r} and a third group; they name "
        f"{fighters} fighters moving with them."
    )
    return f"{first} {_claim_sentence(a, r, claim)}"


def _claim_sentence(a: str, r: str, claim: DefectionClaim) -> str:
    if not claim.testable:
        if claim.provinces_with == 0:
            why = f"no defection between {a} and {r} is recorded in a known province"
        else:
            why = "every province has a recorded defection between them, leaving none to compare"
        return f"The claim that defections go with more clashes cannot be tested: {why}."
    p = f"p = {claim.p_value:.2g}, permutation test"
    verdict = "" if claim.p_value < 0.05 else ", which could well be chance"
    where = (
        f"Provinces with recorded defections between {a} and {r} "
        f"({claim.provinces_with} of {claim.provinces_with + claim.provinces_without})"
    )
    if math.isinf(claim.rate_ratio):
        return (
            f"{where} saw all {claim.clashes_with} clashes between them and the others none "
            f"({p}){verdict}."
        )
    if math.isnan(claim.rate_ratio):
        return f"{where} saw no clashes between them, nor did the others ({p})."
    return (
        f"{where} saw {claim.rate_ratio:.1f} times as many clashes per province as the others "
        f"({claim.rate_with:.1f} against {claim.rate_without:.1f}; {p}){verdict}."
    )
