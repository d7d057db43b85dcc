"""Civilian harm around clashes: a difference-in-differences on province-months.

A province is *treated* from the month of its first clash between the two (event time 0) and
is compared over event times -6..12 with the provinces that never saw such a clash, taken over
the same calendar months. Outcomes are civilian deaths from every event in the province (any
actors) and, when a displacement table is loaded for the country, newly displaced people.

Civilian deaths per province-month are the sum of ``civilian_deaths`` over the events there: an
event whose source gave no civilian death count (NULL) adds 0, and a month without events is 0.
Months outside the data are not zeros: the grid runs from 6 months before the first clash to 12
months after the last first clash, clipped to the dyad's ``since``/``until`` and to the months
the events (for deaths) or the displacement rows (for IDPs) cover; months outside are left out.
Clashes and events without a province are left out.

Estimate, per outcome: (treated post mean - treated pre mean) - (control post mean - control
pre mean), means per province-month, pre = event times -6..-1, post = 0..12. The control means
are taken over the calendar months of the treated province-months, one match per treated
province-month (each weighted like it). Only treated provinces with at least one pre and one
post month in the grid enter the estimate. The 95% interval is a percentile bootstrap over
provinces: treated and control provinces are each resampled with replacement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa

from rivalscope.analysis.context import month_start
from rivalscope.errors import InputError, NotFoundError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from numpy.typing import NDArray

    from rivalscope.analysis.context import Dyad

PRE: Final = range(-6, 0)
POST: Final = range(0, 13)
OFFSETS: Final = range(PRE.start, POST.stop)
CONFIDENCE: Final = 0.95

EVENT_TIME_SCHEMA: Final = pa.schema(
    [
        ("month_offset", pa.int64()),
        ("outcome", pa.string()),
        ("treated_mean", pa.float64()),
        ("control_mean", pa.float64()),
        ("treated_provinces", pa.int64()),
    ]
)
DID_SCHEMA: Final = pa.schema(
    [
        ("outcome", pa.string()),
        ("estimate", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("treated_provinces", pa.int64()),
        ("control_provinces", pa.int64()),
        ("conclusive", pa.bool_()),
    ]
)
_IDP_HINT: Final = "rivalscope ingest displacement FILE"


@dataclass(frozen=True)
class Harm:
    """Civilian harm in provinces before and after the two first clashed there.

    Attributes:
        summary: the verdict on civilian deaths (and displacement) in plain words, saying
            plainly when the data is too thin to conclude and why.
        event_time: one row per outcome and event time: ``month_offset`` (-6..12, months since
            the province's first clash), ``outcome`` (``civilian_deaths`` or ``idps``),
            ``treated_mean`` (mean per treated province-month at that offset), ``control_mean``
            (mean over never-clashed provinces in the same calendar months), and
            ``treated_provinces`` (treated provinces with that month in the grid). Means are
            NULL where no province contributes. No ``idps`` rows when no displacement is loaded.
        did: one row per outcome: ``estimate`` (the difference-in-differences, per
            province-month), ``ci_low``/``ci_high`` (95% percentile bootstrap over provinces),
            ``treated_provinces`` (with months both before and after their first clash),
            ``control_provinces``, and ``conclusive`` (enough provinces on both sides and an
            interval that excludes 0). Numbers are NULL when there are no control provinces.
        conclusive: whether the civilian-deaths estimate is conclusive (the primary outcome;
            displacement's verdict is its own row of ``did``).
        min_treated: the fewest treated provinces a conclusive estimate needs.
    """

    summary: str
    event_time: pa.Table
    did: pa.Table
    conclusive: bool
    min_treated: int = 5


@dataclass(frozen=True)
class _Estimate:
    outcome: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    treated: int
    control: int
    reasons: tuple[str, ...]

    @property
    def conclusive(self) -> bool:
        return not self.reasons


def compute(dyad: Dyad, *, n_boot: int = 1000, seed: int = 0, min_treated: int = 5) -> Harm:
    """Compare civilian harm around the two's first clash in each province with other provinces.

    Args:
        dyad: the question's frame.
        n_boot: bootstrap resamples for the interval.
        seed: seed of ``numpy.random.default_rng`` for the bootstrap.
        min_treated: the fewest treated provinces a conclusive estimate needs.

    Raises:
        InputError: ``n_boot`` is below 1.
    """
    if n_boot < 1:
        raise InputError(f"n_boot must be at least 1, not {n_boot}")
    firsts = _first_clash_months(dyad)
    displacement = _displacement(dyad)
    if not firsts:
        summary = (
            f"{dyad.name(dyad.actor)} and {dyad.name(dyad.rival)} never clashed in a province the data names, so "
            "there is no clash to measure civilian harm around: the data is too thin to "
            f"conclude. {_idp_note(dyad, displacement is not None)}"
        ).rstrip()
        return Harm(
            summary, EVENT_TIME_SCHEMA.empty_table(), DID_SCHEMA.empty_table(), False, min_treated
        )

    treated = sorted(firsts)
    controls = sorted(_province_universe(dyad) - set(treated))
    provinces = treated + controls
    lo, hi = _grid(dyad, firsts)
    first_index = np.array([firsts[p] - lo for p in treated], dtype=np.int64)
    panels = [("civilian_deaths", *_deaths_panel(dyad, provinces, lo, hi))]
    if displacement is not None:
        panels.append(("idps", *_idps_panel(dyad, displacement, provinces, lo, hi)))

    rng = np.random.default_rng(seed)
    event_rows: list[dict[str, object]] = []
    estimates: list[_Estimate] = []
    for outcome, values, observed in panels:
        event_rows += _event_time(outcome, values, observed, first_index, len(treated))
        estimates.append(
            _did(outcome, values, observed, first_index, len(treated), rng, n_boot, min_treated)
        )
    event_time = pa.Table.from_pylist(event_rows, schema=EVENT_TIME_SCHEMA)
    did = pa.Table.from_pylist(
        [
            {
                "outcome": e.outcome,
                "estimate": e.estimate,
                "ci_low": e.ci_low,
                "ci_high": e.ci_high,
                "treated_provinces": e.treated,
                "control_provinces": e.control,
                "conclusive": e.conclusive,
            }
            for e in estimates
        ],
        schema=DID_SCHEMA,
    )
    summary = _summary(dyad, estimates[0], estimates[1] if len(estimates) > 1 else None)
    return Harm(summary, event_time, did, estimates[0].conclusive, min_treated)


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_date(number: int) -> dt.date:
    return dt.date(number // 12, number % 12 + 1, 1)


def _first_clash_months(dyad: Dyad) -> dict[str, int]:
    c = dyad.clashes()
    c = c.filter(c.admin1_code.notnull())
    rows = c.group_by("admin1_code").aggregate(first=month_start(c.date_start).min()).to_pyarrow()
    return {
        code: _month_number(first)
        for code, first in zip(
            rows.column("admin1_code").to_pylist(), rows.column("first").to_pylist(), strict=True
        )
    }


def _province_universe(dyad: Dyad) -> set[str]:
    if dyad.country is not None:
        return set(dyad.provinces().column("code").to_pylist())
    e = dyad.events()
    e = e.filter(e.admin1_code.notnull())
    return set(e.select("admin1_code").distinct().to_pyarrow().column(0).to_pylist())


def _grid(dyad: Dyad, firsts: dict[str, int]) -> tuple[int, int]:
    lo = min(firsts.values()) + PRE.start
    hi = max(firsts.values()) + POST.stop - 1
    if dyad.since is not None:
        lo = max(lo, _month_number(dyad.since))
    if dyad.until is not None:
        hi = min(hi, _month_number(dyad.until))
    return lo, hi


def _window(lo: int, hi: int) -> tuple[dt.date, dt.date]:
    """The first day of month ``lo`` and the first day after month ``hi``."""
    return _month_date(lo), _month_date(hi + 1)


def _coverage(first: dt.date | None, last: dt.date | None, lo: int, hi: int) -> NDArray[np.bool_]:
    months = np.arange(lo, hi + 1)
    if first is None or last is None:
        return np.zeros(len(months), dtype=bool)
    return (months >= _month_number(first)) & (months <= _month_number(last))


def _fill(
    rows: pa.Table, value: str, provinces: list[str], lo: int, hi: int
) -> NDArray[np.float64]:
    index = {code: i for i, code in enumerate(provinces)}
    grid = np.zeros((len(provinces), hi - lo + 1))
    for code, month, amount in zip(
        rows.column("admin1_code").to_pylist(),
        rows.column("month").to_pylist(),
        rows.column(value).to_pylist(),
        strict=True,
    ):
        row = index.get(code)
        if row is not None and amount is not None:
            grid[row, _month_number(month) - lo] += amount
    return grid


def _deaths_panel(
    dyad: Dyad, provinces: list[str], lo: int, hi: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    e = dyad.events()
    span = e.aggregate(first=e.date_start.min(), last=e.date_start.max()).to_pyarrow()
    observed = _coverage(span.column("first")[0].as_py(), span.column("last")[0].as_py(), lo, hi)
    start, stop = _window(lo, hi)
    e = e.filter(e.admin1_code.notnull() & (e.date_start >= start) & (e.date_start < stop))
    rows = (
        e.group_by([e.admin1_code, month_start(e.date_start).name("month")])
        .aggregate(deaths=e.civilian_deaths.sum())
        .to_pyarrow()
    )
    return _fill(rows, "deaths", provinces, lo, hi), observed


def _displacement(dyad: Dyad) -> ir.Table | None:
    """The displacement rows of the dyad's country, or None when it has none."""
    try:
        d = dyad.store.table("displacement")
    except NotFoundError:
        return None
    if dyad.country is not None:
        d = d.filter(d.country_iso3 == dyad.country)
    if d.count().to_pyarrow().as_py() == 0:
        return None
    return d


def _idps_panel(
    dyad: Dyad, d: ir.Table, provinces: list[str], lo: int, hi: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    if dyad.since is not None:
        d = d.filter(d.month >= _month_date(_month_number(dyad.since)))
    if dyad.until is not None:
        d = d.filter(d.month <= dyad.until)
    span = d.aggregate(first=d.month.min(), last=d.month.max()).to_pyarrow()
    observed = _coverage(span.column("first")[0].as_py(), span.column("last")[0].as_py(), lo, hi)
    start, stop = _window(lo, hi)
    d = d.filter(d.admin1_code.notnull() & (d.month >= start) & (d.month < stop))
    rows = d.group_by(["admin1_code", "month"]).aggregate(idps=d.idps.sum()).to_pyarrow()
    return _fill(rows, "idps", provinces, lo, hi), observed


def _valid(months: NDArray[np.int64], observed: NDArray[np.bool_]) -> NDArray[np.bool_]:
    inside = (months >= 0) & (months < len(observed))
    return inside & observed[np.clip(months, 0, len(observed) - 1)]


def _event_time(
    outcome: str,
    values: NDArray[np.float64],
    observed: NDArray[np.bool_],
    first_index: NDArray[np.int64],
    n_treated: int,
) -> list[dict[str, object]]:
    treated, controls = values[:n_treated], values[n_treated:]
    rows: list[dict[str, object]] = []
    for offset in OFFSETS:
        months = first_index + offset
        ok = _valid(months, observed)
        count = int(ok.sum())
        treated_mean = control_mean = None
        if count:
            treated_mean = float(treated[np.flatnonzero(ok), months[ok]].mean())
            if len(controls):
                control_mean = float(controls[:, months[ok]].mean())
        rows.append(
            {
                "month_offset": offset,
                "outcome": outcome,
                "treated_mean": treated_mean,
                "control_mean": control_mean,
                "treated_provinces": count,
            }
        )
    return rows


def _did(
    outcome: str,
    values: NDArray[np.float64],
    observed: NDArray[np.bool_],
    first_index: NDArray[np.int64],
    n_treated: int,
    rng: np.random.Generator,
    n_boot: int,
    min_treated: int,
) -> _Estimate:
    months = np.arange(values.shape[1])
    relative = months[None, :] - first_index[:, None]
    pre = (relative >= PRE.start) & (relative < PRE.stop) & observed[None, :]
    post = (relative >= POST.start) & (relative < POST.stop) & observed[None, :]
    keep = pre.any(axis=1) & post.any(axis=1)
    pre, post = pre[keep].astype(float), post[keep].astype(float)
    treated, controls = values[:n_treated][keep], values[n_treated:]
    n_t, n_c = len(treated), len(controls)
    reasons = []
    if n_t == 0:
        reasons.append("no province has months both before and after its first clash in the data")
    elif n_t < min_treated:
        reasons.append(
            f"only {n_t} {_provinces(n_t)} saw a first clash with months before and after it "
            f"in the data (at least {min_treated} are needed)"
        )
    if n_c < 2:
        reasons.append(
            f"only {n_c} {_provinces(n_c)} never saw such a clash (at least 2 are needed)"
        )
    if n_t == 0 or n_c == 0:
        return _Estimate(outcome, None, None, None, n_t, n_c, tuple(reasons))

    parts = (
        (pre * treated).sum(axis=1),
        pre.sum(axis=1),
        (post * treated).sum(axis=1),
        post.sum(axis=1),
        pre @ controls.T,
        post @ controls.T,
    )
    estimate = float(_did_of(np.ones((1, n_t)), np.full((1, n_c), 1 / n_c), *parts)[0])
    treated_weights = _resample_counts(rng, n_boot, n_t)
    control_weights = _resample_counts(rng, n_boot, n_c) / n_c
    boot = _did_of(treated_weights, control_weights, *parts)
    tail = (1 - CONFIDENCE) / 2 * 100
    ci_low, ci_high = (float(v) for v in np.percentile(boot, [tail, 100 - tail]))
    if ci_low <= 0 <= ci_high:
        reasons.append(f"the estimate's {CONFIDENCE:.0%} interval includes no change")
    return _Estimate(outcome, estimate, ci_low, ci_high, n_t, n_c, tuple(reasons))


def _resample_counts(rng: np.random.Generator, n_boot: int, n: int) -> NDArray[np.float64]:
    """How often each of ``n`` units is drawn in each of ``n_boot`` resamples of size ``n``."""
    draws = rng.integers(0, n, size=(n_boot, n))
    counts = np.zeros((n_boot, n))
    np.add.at(counts, (np.arange(n_boot)[:, None], draws), 1.0)
    return counts


def _did_of(
    u: NDArray[np.float64],
    w: NDArray[np.float64],
    sum_pre: NDArray[np.float64],
    n_pre: NDArray[np.float64],
    sum_post: NDArray[np.float64],
    n_post: NDArray[np.float64],
    control_pre: NDArray[np.float64],
    control_post: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The estimate for treated weights ``u`` (resamples x treated) and control weights ``w``.

    ``w`` rows sum to 1; ``control_pre[t, c]`` sums control ``c`` over treated ``t``'s pre
    months (likewise ``control_post``).
    """
    pre_months, post_months = u @ n_pre, u @ n_post
    treated_change = (u @ sum_post) / post_months - (u @ sum_pre) / pre_months
    control_change = (
        np.einsum("bt,tc,bc->b", u, control_post, w) / post_months
        - np.einsum("bt,tc,bc->b", u, control_pre, w) / pre_months
    )
    result: NDArray[np.float64] = treated_change - control_change
    return result


def _provinces(n: int) -> str:
    return "province" if n == 1 else "provinces"


def _signed(value: float) -> str:
    return f"{value:+,.1f}"


def _change(value: float, unit: str) -> str:
    return f"{'rose' if value > 0 else 'fell'} by {abs(value):,.1f} {unit}"


def _idp_note(dyad: Dyad, loaded: bool) -> str:
    if loaded:
        return ""
    where = f" for {dyad.country}" if dyad.country else ""
    return f"No displacement table is loaded{where}, so displacement is not compared ({_IDP_HINT})."


def _interval(e: _Estimate) -> str:
    return f"{CONFIDENCE:.0%} CI {_signed(e.ci_low or 0.0)} to {_signed(e.ci_high or 0.0)}"


def _summary(dyad: Dyad, deaths: _Estimate, idps: _Estimate | None) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    if deaths.conclusive and deaths.estimate is not None:
        first = (
            f"After {a} and {r} first clashed in a province, civilian deaths there "
            f"{_change(deaths.estimate, 'a month per province')} in months 0 to 12 against the "
            f"6 months before, beyond the change in provinces without such a clash "
            f"(difference-in-differences over {deaths.treated} clash and {deaths.control} other "
            f"provinces, {_interval(deaths)})."
        )
    else:
        first = (
            f"The data is too thin to conclude whether clashes between {a} and {r} changed "
            f"civilian deaths: {'; '.join(deaths.reasons)}."
        )
        if deaths.estimate is not None:
            first += (
                f" The point estimate, not to be relied on, is {_signed(deaths.estimate)} "
                f"civilian deaths a month per province (difference-in-differences over "
                f"{deaths.treated} clash and {deaths.control} other provinces, "
                f"{_interval(deaths)})."
            )
    if idps is None:
        second = _idp_note(dyad, False)
    elif idps.conclusive and idps.estimate is not None:
        second = (
            f"Newly displaced people {_change(idps.estimate, 'a month per province')} in the "
            f"same comparison ({_interval(idps)})."
        )
    else:
        second = f"For displacement the data is too thin to conclude: {'; '.join(idps.reasons)}."
    return f"{first} {second}"
