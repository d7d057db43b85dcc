"""Defections: who left whom, where and when; and whether clashes change after defections.

The claim tested: after a defection between the two (either direction) in a province, clashes
between them in that province are more frequent than before, beyond the change seen over the
same months in the provinces without such a defection.

* Exposure. A province-month is *active* when any event of either side (with any counterpart,
  :attr:`Dyad.sides`) is recorded in that province that month, within the months both sides
  are on record (from the later of their first events to the earlier of their last: before
  one exists no clash between them is possible). Rates are clashes between the two per active
  province-month, so a province the sources rarely record anything in weighs little, and one
  they record every month cannot win the test by its activity alone.
* Time order. Each province with a defection between the two is split at the month of its
  first such defection: its active months before that month against its active months after
  (the defection month itself is left out: the order of events within it is unknown). A
  province enters the comparison only with at least one active month on each side; a
  defection recorded after the province's last activity therefore cannot support the claim.
* Comparison. The provinces with no defection between the two, over the same calendar months
  (before and after each compared province's split, stacked), give the change to expect
  without one. The estimate is the ratio of the two rate ratios (after/before in the
  provinces with defections over after/before in the others); without other provinces it is
  the within-province ratio alone. 0.5 is added to each of the four clash counts when any of
  them is zero.
* Interval. The wider of two 95% intervals (their union): a percentile bootstrap over
  provinces (those compared and the others each resampled with replacement: the variation
  between provinces) and a log-scale Poisson Wald interval on the four clash counts (the
  counting noise, which a bootstrap over a few provinces cannot see). The within-province
  ratio has an exact conditional (binomial) Poisson interval.
* Randomisation. The one-sided p-value redraws each compared province's split month at random
  from that province's own active months (and the observed month) that leave an active month
  on each side, keeping the province, its activity and its clashes fixed:
  ``p = (1 + #draws with a log ratio >= the observed one) / (1 + n_perm)``. Only the timing
  is under test, so a busy province is compared with itself, never with quieter ones.

Clashes, events and defections without a province are left out. Only a province's first
defection between the two is used. Nothing here says why clashes changed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
CLAIM_PROVINCE_SCHEMA: Final = pa.schema(
    [
        ("admin1_code", pa.string()),
        ("first_defection", pa.date32()),
        ("active_months_before", pa.int64()),
        ("clashes_before", pa.int64()),
        ("active_months_after", pa.int64()),
        ("clashes_after", pa.int64()),
        ("compared", pa.bool_()),
    ]
)
CONFIDENCE: Final = 0.95
_HINT: Final = "rivalscope ingest defections FILE"
_TOLERANCE: Final = 1e-9
_BEFORE, _EXPOSED_BEFORE, _AFTER, _EXPOSED_AFTER = range(4)


@dataclass(frozen=True)
class DefectionClaim:
    """The test of the claim that clashes between the two are more frequent after a defection
    between them in a province than before (see the module's docstring for the method).

    Rates are clashes between the two per active province-month (a month with any event of
    either side recorded in the province). Ratios are NaN where not defined.

    Attributes:
        provinces_with: provinces with at least one recorded defection between the two.
        provinces_compared: of those, the provinces with an active month both before and after
            the month of their first defection between the two (the ones the test uses).
        provinces_without: provinces with an active month and no defection between the two:
            the comparison group.
        clashes_before: clashes in the compared provinces before their first defection month.
        clashes_after: clashes there after it.
        months_before: active province-months of the compared provinces before.
        months_after: active province-months after.
        rate_before: ``clashes_before / months_before``.
        rate_after: ``clashes_after / months_after``.
        within_ratio: ``rate_after / rate_before`` (0.5 added to both clash counts when
            either is zero).
        within_ci_low: exact conditional Poisson 95% interval of ``within_ratio``, low end.
        within_ci_high: its high end (infinite when no clash came before).
        control_rate_before: clashes per active province-month in the other provinces over
            the months before each compared province's split (stacked over compared
            provinces).
        control_rate_after: the same over the months after.
        control_ratio: ``control_rate_after / control_rate_before`` (NaN without a comparison).
        rate_ratio: the estimate: ``within_ratio / control_ratio`` (``within_ratio`` when no
            other province has active months on both sides).
        ci_low: 95% interval of ``rate_ratio``, low end: the lower of the percentile
            bootstrap over provinces and the Poisson Wald interval.
        ci_high: its high end (the higher of the two).
        p_value: one-sided randomisation p-value of ``rate_ratio`` being this large with the
            split months drawn from each province's own active months; NaN when not testable.
        n_perm: random split draws (0 when not testable).
        n_boot: bootstrap resamples (0 when not testable).
        testable: at least one province is compared.
        conclusive: testable, enough provinces compared (``min_provinces``), other provinces
            to compare with, and an interval that excludes no change.
        reasons: why the data is too thin to conclude (empty when conclusive).
    """

    provinces_with: int
    provinces_compared: int
    provinces_without: int
    clashes_before: int
    clashes_after: int
    months_before: int
    months_after: int
    rate_before: float
    rate_after: float
    within_ratio: float
    within_ci_low: float
    within_ci_high: float
    control_rate_before: float
    control_rate_after: float
    control_ratio: float
    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n_perm: int
    n_boot: int
    testable: bool
    conclusive: bool
    reasons: tuple[str, ...]


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
        claim: the test of whether clashes between the two are more frequent after defections.
        claim_provinces: one row per province with a defection between the two:
            ``admin1_code``, ``first_defection`` (date), ``active_months_before``,
            ``clashes_before``, ``active_months_after``, ``clashes_after`` (the defection's
            month left out), ``compared`` (whether it enters the test); by code.
    """

    summary: str
    flows: pa.Table
    by_province_month: pa.Table
    records: pa.Table
    claim: DefectionClaim
    claim_provinces: pa.Table


def compute(
    dyad: Dyad,
    *,
    n_perm: int = 10_000,
    seed: int = 0,
    n_boot: int = 1000,
    min_provinces: int = 5,
) -> Defections:
    """Tabulate defections involving either side and test the defections-clashes claim.

    Args:
        dyad: the question's frame.
        n_perm: random draws of the split months for the claim's p-value.
        seed: seed of ``numpy.random.default_rng`` for the draws and the bootstrap.
        n_boot: bootstrap resamples for the interval.
        min_provinces: compared provinces needed before the test can conclude.

    Raises:
        InputError: ``n_perm``, ``n_boot`` or ``min_provinces`` is below 1.
    """
    for name, value in (("n_perm", n_perm), ("n_boot", n_boot), ("min_provinces", min_provinces)):
        if value < 1:
            raise InputError(f"{name} must be at least 1, not {value}")
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
    claim, provinces = _claim(dyad, n_perm, n_boot, seed, min_provinces)
    loaded = dyad.store.table("defections").count().to_pyarrow().as_py() > 0
    return Defections(
        _summary(dyad, flows, claim, loaded),
        flows,
        by_province_month,
        records,
        claim,
        provinces,
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


# --- The panel of active province-months --------------------------------------------------------


def _month_numbers(dates: pa.Array | pa.ChunkedArray) -> NDArray[np.int64]:
    """Months since year 0 (``year * 12 + month - 1``) of a date column."""
    if len(dates) == 0:
        return np.empty(0, np.int64)
    years = pc.year(dates).to_numpy(zero_copy_only=False).astype(np.int64)
    months = pc.month(dates).to_numpy(zero_copy_only=False).astype(np.int64)
    return years * 12 + months - 1


@dataclass(frozen=True)
class _Panel:
    """Province-months from the first to the last month seen: which are active and the clashes
    between the two in each; and each province's first defection month (index into months)."""

    provinces: list[str]
    active: NDArray[np.bool_]
    clashes: NDArray[np.int64]
    first_defection: dict[str, dt.date]
    split: dict[str, int]


def _panel(dyad: Dyad) -> _Panel:
    s = dyad.sides
    every = _month_numbers(s["date_start"])
    sides = np.array(s["side"].to_pylist(), dtype=object)
    mine, theirs = every[sides == dyad.actor], every[sides == dyad.rival]
    if mine.size and theirs.size:  # the months both are on record: clashes are possible
        first, last = max(mine.min(), theirs.min()), min(mine.max(), theirs.max())
    else:
        first, last = 0, -1
    keep = pc.and_(
        pc.is_valid(s["admin1_code"]), pa.array((every >= first) & (every <= last), pa.bool_())
    )
    located = s.filter(keep)
    codes = np.array(located["admin1_code"].to_pylist(), dtype=object)
    months = _month_numbers(located["date_start"])
    side = np.array(located["side"].to_pylist(), dtype=object)
    other = np.array(located["counterpart"].to_pylist(), dtype=object)
    kind = np.array(located["event_type"].to_pylist(), dtype=object)
    is_clash = (side == dyad.actor) & (other == dyad.rival) & (kind == "clash")

    a, r = dyad.actor, dyad.rival
    d = dyad.defections()
    d = d.filter(
        ((d.from_actor == a) & (d.to_actor == r)) | ((d.from_actor == r) & (d.to_actor == a))
    )
    d = d.filter(d.admin1_code.notnull())
    firsts = (
        d.group_by("admin1_code").aggregate(first=d.date.min()).order_by("admin1_code").to_pyarrow()
    )
    first_codes = firsts.column("admin1_code").to_pylist()
    first_dates = firsts.column("first").cast(pa.date32())
    first_defection = dict(zip(first_codes, first_dates.to_pylist(), strict=True))
    first_months = _month_numbers(first_dates)

    provinces = sorted(set(codes.tolist()) | set(first_codes))
    every_month = np.concatenate([months, first_months])
    if not provinces or every_month.size == 0:
        empty = np.zeros((0, 0), np.int64)
        return _Panel([], empty.astype(bool), empty, first_defection, {})
    lo = int(every_month.min())
    n_months = int(every_month.max()) - lo + 1
    index = {code: i for i, code in enumerate(provinces)}
    rows = np.array([index[c] for c in codes.tolist()], dtype=np.int64)
    active = np.zeros((len(provinces), n_months), bool)
    active[rows, months - lo] = True
    clashes = np.zeros((len(provinces), n_months), np.int64)
    np.add.at(clashes, (rows[is_clash], months[is_clash] - lo), 1)
    split = {
        code: int(month) - lo
        for code, month in zip(first_codes, first_months.tolist(), strict=True)
    }
    return _Panel(provinces, active, clashes, first_defection, split)


def _windows(active: NDArray[np.bool_], clashes: NDArray[np.int64]) -> NDArray[np.float64]:
    """For rows of province-months, and each split month k: clashes and active months before k
    and after k (k itself left out). Shape ``(rows, months, 4)``."""
    n = active.shape[-1]
    out = np.zeros((*active.shape, 4), np.float64)
    for slot, values in ((_BEFORE, clashes), (_EXPOSED_BEFORE, active)):
        cum = np.concatenate(
            [np.zeros((*values.shape[:-1], 1)), np.cumsum(values, axis=-1, dtype=np.float64)],
            axis=-1,
        )
        out[..., slot] = cum[..., :n]
        out[..., slot + 2] = cum[..., n:] - cum[..., 1:]
    return out


# --- The estimate, its interval and the randomisation --------------------------------------------


def _log_ratio(
    treated: NDArray[np.float64],
    control: NDArray[np.float64] | None,
    half: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    """log(after/before rate ratio of ``treated``) minus the same of ``control`` (last axis:
    the four window sums; ``half`` is added to the clash counts); the control term is 0 where
    it has no active month on a side."""
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.log((treated[..., _AFTER] + half) / treated[..., _EXPOSED_AFTER]) - np.log(
            (treated[..., _BEFORE] + half) / treated[..., _EXPOSED_BEFORE]
        )
        if control is None:
            return np.asarray(within, np.float64)
        defined = (control[..., _EXPOSED_BEFORE] > 0) & (control[..., _EXPOSED_AFTER] > 0)
        change = np.log((control[..., _AFTER] + half) / control[..., _EXPOSED_AFTER]) - np.log(
            (control[..., _BEFORE] + half) / control[..., _EXPOSED_BEFORE]
        )
    return np.asarray(within - np.where(defined, change, 0.0), np.float64)


def _exact_interval(
    after: int, before: int, exposed_after: float, exposed_before: float
) -> tuple[float, float]:
    """Exact 95% interval of a Poisson rate ratio: conditional on the total, the clashes after
    are binomial with ``p = R t1 / (R t1 + t0)`` (Clopper-Pearson on ``p``)."""
    from scipy.stats import beta

    n = after + before
    if n == 0:
        return math.nan, math.nan
    alpha = 1 - CONFIDENCE
    low_p = 0.0 if after == 0 else float(beta.ppf(alpha / 2, after, n - after + 1))
    high_p = 1.0 if after == n else float(beta.ppf(1 - alpha / 2, after + 1, n - after))

    def ratio(p: float) -> float:
        return math.inf if p >= 1 else p * exposed_before / ((1 - p) * exposed_after)

    return ratio(low_p), ratio(high_p)


def _claim(
    dyad: Dyad, n_perm: int, n_boot: int, seed: int, min_provinces: int
) -> tuple[DefectionClaim, pa.Table]:
    panel = _panel(dyad)
    treated = [p for p in panel.provinces if p in panel.split]
    rows = {code: i for i, code in enumerate(panel.provinces)}
    windows = _windows(panel.active, panel.clashes)
    observed = {p: windows[rows[p], panel.split[p]] for p in treated}
    compared = [
        p for p in treated if observed[p][_EXPOSED_BEFORE] > 0 and observed[p][_EXPOSED_AFTER] > 0
    ]
    controls = [p for p in panel.provinces if p not in panel.split and panel.active[rows[p]].any()]
    table = pa.table(
        {
            "admin1_code": treated,
            "first_defection": [panel.first_defection[p] for p in treated],
            "active_months_before": [int(observed[p][_EXPOSED_BEFORE]) for p in treated],
            "clashes_before": [int(observed[p][_BEFORE]) for p in treated],
            "active_months_after": [int(observed[p][_EXPOSED_AFTER]) for p in treated],
            "clashes_after": [int(observed[p][_AFTER]) for p in treated],
            "compared": [p in compared for p in treated],
        },
        schema=CLAIM_PROVINCE_SCHEMA,
    )
    n_with, n_without = len(treated), len(controls)
    if not compared:
        nan = math.nan
        claim = DefectionClaim(
            n_with, 0, n_without, 0, 0, 0, 0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan,
            nan, nan, 0, 0, False, False, (),
        )  # fmt: skip
        return claim, table

    t_rows = np.array([rows[p] for p in compared])
    splits = np.array([panel.split[p] for p in compared])
    own = windows[t_rows, splits]  # (compared, 4)
    # Each control province's sums at each compared province's split: (controls, compared, 4).
    c_rows = np.array([rows[p] for p in controls], dtype=np.int64)
    per_control = windows[c_rows][:, splits] if controls else np.zeros((0, len(compared), 4))
    pooled_control = per_control.sum(axis=0)  # (compared, 4)
    total, control_total = own.sum(axis=0), pooled_control.sum(axis=0)
    has_control = bool(control_total[_EXPOSED_BEFORE] > 0 and control_total[_EXPOSED_AFTER] > 0)
    counts = [total[_BEFORE], total[_AFTER]]
    if has_control:
        counts += [control_total[_BEFORE], control_total[_AFTER]]
    half = 0.5 if min(counts) == 0 else 0.0
    control = control_total if has_control else None
    estimate = float(_log_ratio(total, control, half))
    within = float(_log_ratio(total, None, half))
    control_ratio = math.exp(within - estimate) if has_control else math.nan

    rng = np.random.default_rng(seed)
    p_value = _randomisation_p(
        panel, rows, compared, controls if has_control else [], windows, estimate, half, n_perm,
        rng,
    )  # fmt: skip
    boot = _bootstrap(own, per_control if has_control else None, half, n_boot, rng)
    wald = _wald(total, control, half, estimate)
    ci_low, ci_high = float(np.nanmin([boot[0], wald[0]])), float(np.nanmax([boot[1], wald[1]]))
    w_low, w_high = _exact_interval(
        int(total[_AFTER]), int(total[_BEFORE]), total[_EXPOSED_AFTER], total[_EXPOSED_BEFORE]
    )

    def rate(clashes: float, months: float) -> float:
        return float(clashes / months) if months else math.nan

    reasons = []
    if len(compared) < min_provinces:
        reasons.append(
            f"only {_provinces(len(compared))} with a defection between them "
            f"{'has' if len(compared) == 1 else 'have'} activity both before and after it "
            f"(at least {min_provinces} are needed)"
        )
    if not has_control:
        reasons.append("no province without a defection has activity on both sides to compare")
    if ci_low <= 1 <= ci_high:
        reasons.append(
            f"the 95% interval ({_number(ci_low)} to {_number(ci_high)}) includes no change"
        )
    claim = DefectionClaim(
        provinces_with=n_with,
        provinces_compared=len(compared),
        provinces_without=n_without,
        clashes_before=int(total[_BEFORE]),
        clashes_after=int(total[_AFTER]),
        months_before=int(total[_EXPOSED_BEFORE]),
        months_after=int(total[_EXPOSED_AFTER]),
        rate_before=rate(total[_BEFORE], total[_EXPOSED_BEFORE]),
        rate_after=rate(total[_AFTER], total[_EXPOSED_AFTER]),
        within_ratio=math.exp(within),
        within_ci_low=float(w_low),
        within_ci_high=float(w_high),
        control_rate_before=rate(control_total[_BEFORE], control_total[_EXPOSED_BEFORE]),
        control_rate_after=rate(control_total[_AFTER], control_total[_EXPOSED_AFTER]),
        control_ratio=control_ratio,
        rate_ratio=math.exp(estimate),
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        n_perm=n_perm,
        n_boot=n_boot,
        testable=True,
        conclusive=not reasons,
        reasons=tuple(reasons),
    )
    return claim, table


def _randomisation_p(
    panel: _Panel,
    rows: dict[str, int],
    compared: list[str],
    controls: list[str],
    windows: NDArray[np.float64],
    observed: float,
    half: float,
    n_perm: int,
    rng: np.random.Generator,
) -> float:
    """Draw each compared province's split month from its own candidates (its active months
    and its observed month, with an active month on each side); the share of draws whose log
    ratio is at least the observed one."""
    c_rows = np.array([rows[p] for p in controls], dtype=np.int64)
    control_windows = windows[c_rows].sum(axis=0) if controls else None  # (months, 4)
    treated_sum = np.zeros((n_perm, 4))
    control_sum = np.zeros((n_perm, 4))
    for p in compared:
        i, k = rows[p], panel.split[p]
        own = windows[i]
        candidate = panel.active[i].copy()
        candidate[k] = True
        candidate &= (own[:, _EXPOSED_BEFORE] > 0) & (own[:, _EXPOSED_AFTER] > 0)
        months = np.flatnonzero(candidate)
        drawn = months[rng.integers(0, len(months), size=n_perm)]
        treated_sum += own[drawn]
        if control_windows is not None:
            control_sum += control_windows[drawn]
    stats = _log_ratio(treated_sum, control_sum if controls else None, half)
    at_least = int((stats >= observed - _TOLERANCE).sum())
    return (1 + at_least) / (1 + n_perm)


def _bootstrap(
    own: NDArray[np.float64],
    per_control: NDArray[np.float64] | None,
    half: float,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """95% percentile interval of the ratio, compared and control provinces each resampled
    with replacement."""
    n_treated = own.shape[0]
    weights = _resample_counts(rng, n_boot, n_treated)  # (boot, compared)
    treated = weights @ own
    control = None
    if per_control is not None:
        n_controls = per_control.shape[0]
        picks = _resample_counts(rng, n_boot, n_controls)  # (boot, controls)
        flat = picks @ per_control.reshape(n_controls, -1)
        control = np.einsum("bp,bpj->bj", weights, flat.reshape(n_boot, n_treated, 4))
    # A resample with no clash on a side takes the 0.5 correction, as the estimate would.
    zero = (treated[:, _BEFORE] == 0) | (treated[:, _AFTER] == 0)
    if control is not None:
        defined = (control[:, _EXPOSED_BEFORE] > 0) & (control[:, _EXPOSED_AFTER] > 0)
        zero |= defined & ((control[:, _BEFORE] == 0) | (control[:, _AFTER] == 0))
    stats = _log_ratio(treated, control, np.where(zero, 0.5, half))
    stats = stats[np.isfinite(stats)]
    if stats.size == 0:
        return math.nan, math.nan
    alpha = 1 - CONFIDENCE
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return math.exp(float(low)), math.exp(float(high))


def _wald(
    total: NDArray[np.float64], control: NDArray[np.float64] | None, half: float, estimate: float
) -> tuple[float, float]:
    """95% log-scale Wald interval from the clash counts alone (Poisson): the counting noise,
    which a bootstrap over a few provinces cannot see."""
    from scipy.stats import norm

    counts = [total[_BEFORE], total[_AFTER]]
    if control is not None:
        counts += [control[_BEFORE], control[_AFTER]]
    se = math.sqrt(sum(1 / (c + half) for c in counts))
    z = float(norm.ppf(0.5 + CONFIDENCE / 2))
    return math.exp(estimate - z * se), math.exp(estimate + z * se)


def _resample_counts(rng: np.random.Generator, n_boot: int, n: int) -> NDArray[np.float64]:
    """How often each of ``n`` units is drawn in each of ``n_boot`` resamples."""
    picks = rng.integers(0, n, size=(n_boot, n))
    counts = np.zeros((n_boot, n))
    np.add.at(counts, (np.arange(n_boot)[:, None], picks), 1)
    return counts


# --- Sentences -----------------------------------------------------------------------------------


def _records_of(flows: pa.Table, involves: str) -> int:
    rows = [
        records
        for kind, records in zip(
            flows.column("involves").to_pylist(), flows.column("records").to_pylist(), strict=True
        )
        if kind == involves
    ]
    return int(sum(rows))


def _provinces(n: int) -> str:
    return f"{n} province{'' if n == 1 else 's'}"


def _rate(value: float) -> str:
    return f"{value:.2f}" if value >= 0.1 or value == 0 else f"{value:.2g}"


def _number(value: float) -> str:
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "unbounded"
    return f"{value:.0f}" if value >= 10 else f"{value:.2f}"


def _summary(dyad: Dyad, flows: pa.Table, claim: DefectionClaim, loaded: bool) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    if not loaded:
        return (
            "No defection records are loaded, so there are no flows to show and the claim that "
            f"clashes between {a} and {r} are more frequent after defections cannot be tested "
            f"({_HINT})."
        )
    total = int(sum(flows.column("records").to_pylist()))
    if total == 0:
        return (
            f"No defection record involves {a} or {r} in the window, so the claim that clashes "
            "between them are more frequent after defections cannot be tested."
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
    name = "The claim that clashes are more frequent after defections"
    if not claim.testable:
        if claim.provinces_with == 0:
            why = f"no defection between {a} and {r} is recorded in a known province"
        else:
            why = (
                f"none of the {_provinces(claim.provinces_with)} with a defection between {a} "
                f"and {r} has activity of either (an event in a month) both before and after "
                "the month of its first one, and a defection recorded after the activity cannot "
                "support it"
            )
        return f"{name} cannot be tested: {why}."
    k = claim.provinces_compared
    where = (
        f"In the {_provinces(k)} with a recorded defection between {a} and {r} and activity "
        "before and after it"
        if k > 1
        else f"In the one province with a recorded defection between {a} and {r} and activity "
        "before and after it"
    )
    within = (
        f"{where}, clashes between them ran at {_rate(claim.rate_after)} per active "
        f"province-month after the first defection against {_rate(claim.rate_before)} before "
        f"({claim.clashes_after} clashes in {claim.months_after} active months after, "
        f"{claim.clashes_before} in {claim.months_before} before)"
    )
    if math.isnan(claim.control_ratio):
        comparison = "; no other province had activity on both sides to compare."
        what = "The ratio after to before is"
    else:
        comparison = (
            f"; over the same months the provinces without one went from "
            f"{_rate(claim.control_rate_before)} to {_rate(claim.control_rate_after)}."
        )
        what = "Relative to them, the ratio after to before is"
    figures = (
        f"{what} {_number(claim.rate_ratio)} (95% interval {_number(claim.ci_low)} to "
        f"{_number(claim.ci_high)}; p = {claim.p_value:.2g} against defection months drawn at "
        "random from each province's own active months)."
    )
    if not claim.conclusive:
        verdict = (
            "The data is too thin to conclude whether clashes are more frequent after "
            f"defections: {'; '.join(claim.reasons)}."
        )
    elif claim.rate_ratio > 1:
        verdict = (
            "Clashes between them were more frequent after defections than before, beyond the "
            "change elsewhere over the same months; this is a pattern in time, not a measure "
            "of what defections do."
        )
    else:
        verdict = (
            "Clashes between them were less frequent after defections than before, relative "
            "to the provinces without one: the data does not support the claim."
        )
    return f"{within}{comparison} {figures} {verdict}"
