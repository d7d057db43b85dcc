"""Civilian harm around clashes: a staggered-adoption event study (Callaway & Sant'Anna).

**Panel.** Provinces x calendar months of the dyad's country (every province the gazetteer
knows; without a country, every province with events). A province is *treated* from the month
of the first clash between the two there (its cohort ``g``); provinces with no such clash are
*never treated*. Months are used, not quarters: the estimator needs no per-cell variance, and
a quarterly panel would blur the first-clash month into three. The panel runs over the months
the data covers (first to last event of the country in the window), clipped to the dyad's
``since``/``until``, and trimmed to what the estimates use: from 13 months before the earliest
first clash (the base month of the 12-month placebo) to 12 months after the latest. A province
whose first clash falls in the panel's first month or before it (no month before it: a
``since`` after it) is left out, as CS do.
Clashes and events without a province are left out.

**Outcomes** (civilian deaths per province-month, by perpetrator: the side the source names
as the one that acted, ``events.initiator``, see :mod:`rivalscope.roles`):

* ``either_side`` (primary): deaths in events whose source names either of the two as the one
  that acted;
* ``actor`` / ``rival``: each side's own;
* ``others``: events whose source names another perpetrator;
* ``idps`` (when a displacement table is loaded): newly displaced people, on its own panel over
  the months the displacement rows cover.

Events whose source names no perpetrator (UCDP state-based and non-state conflict) belong to
none of the civilian-death outcomes. An event's civilian deaths are its ``civilian_deaths``;
where that is NULL the number is unknown, never 0: such events are left out of every outcome,
and their count and best-estimate deaths are reported (``unknown_civilian_deaths``).

**Estimator.** ATT(g,t) is the unconditional 2x2 difference-in-differences of means of CS
(2021) without covariates: the mean change from the base month ``b`` to ``t`` of cohort ``g``
minus that of the controls, which are the never-treated provinces (``control="never"``) or
those plus the provinces not yet treated by ``max(t, b)`` (``control="notyet"``). The base
month is *universal* by default (``b = g - 1`` for every ``t``, so event time -1 is 0 by
construction and pre-period estimates are comparable with post-period ones, as an event-study
plot needs); ``base_period="varying"`` uses ``b = t - 1`` before treatment (CS's default). Both
match :class:`differences.ATTgt` with the same ``base_period`` and ``control_group``. The
event-time effect ``theta(e)`` averages ATT(g, g+e) over the cohorts with that cell, weighted by
cohort size (CS's dynamic aggregation); the overall ATT is the mean of ``theta(e)`` over
e = 0..12.

**Inference.** A province-cluster bootstrap: treated and never-treated provinces are each
resampled with replacement (``n_boot`` times, ``numpy.random.default_rng(seed)``) and every
estimate is recomputed; intervals are 95% percentile intervals. The pre-trend test is a joint
test that the pre-period event-time effects (e = -12..-2 universal, -12..-1 varying) are all 0:
the largest ``|theta(e)| / se(e)`` against its bootstrap distribution (a sup-t test, the one
behind CS's uniform bands; a Wald test with the bootstrap covariance was tried and rejected:
with 9 treated provinces and 11 pre-periods that covariance is near-singular and the test
rejected true nulls almost always). With fewer than 10 treated provinces the sup-t test still
rejects too often (about 1 in 5 true nulls at the 5% level in simulations with 9 treated
provinces in 4 cohorts), so a detected pre-trend there is weak evidence. The
placebo moves each treated province's first clash 12 months earlier and estimates the mean
effect over the 12 fake post months, all before the real first clash. Leave-one-out drops, in
turn, the capital (AF-KAB in Afghanistan), each treated province and each control with at
least 5% of the controls' primary outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal

import ibis
import numpy as np
import pyarrow as pa

from rivalscope.analysis.context import month_start
from rivalscope.errors import InputError, NotFoundError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from numpy.typing import NDArray

    from rivalscope.analysis.context import Dyad

Control = Literal["never", "notyet"]
BasePeriod = Literal["universal", "varying"]

PRE: Final = 12
"""Pre-treatment months in the event-time table."""
POST: Final = 12
"""Post-treatment months in the event-time table; the overall ATT averages e = 0..POST."""
PLACEBO_SHIFT: Final = 12
"""Months the placebo moves each first clash earlier."""
LEAD: Final = PRE + 1
"""Months the panel starts before the earliest first clash (the placebo's base month)."""
CONFIDENCE: Final = 0.95
PRETREND_ALPHA: Final = 0.05
LARGE_CONTROL_SHARE: Final = 0.05
"""Controls with at least this share of the controls' primary outcome enter leave-one-out."""
CAPITALS: Final = {"AFG": "AF-KAB"}
"""The capital's province by country: dropped first in leave-one-out."""
NEVER: Final = -1
"""Cohort of a never-treated unit in :func:`att_gt`."""

PRIMARY: Final = "either_side"
DEATH_OUTCOMES: Final = ("either_side", "actor", "rival", "others")

EVENT_TIME_SCHEMA: Final = pa.schema(
    [
        ("e", pa.int64()),
        ("att", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("n_cohorts", pa.int64()),
        ("n_treated", pa.int64()),
    ]
)
ATT_GT_SCHEMA: Final = pa.schema(
    [
        ("g", pa.date32()),
        ("t", pa.date32()),
        ("e", pa.int64()),
        ("att", pa.float64()),
        ("n_treated", pa.int64()),
        ("n_controls", pa.int64()),
    ]
)
LEAVE_ONE_OUT_SCHEMA: Final = pa.schema(
    [
        ("dropped", pa.string()),
        ("province", pa.string()),
        ("role", pa.string()),
        ("capital", pa.bool_()),
        ("share", pa.float64()),
        ("att", pa.float64()),
    ]
)
OUTCOMES_SCHEMA: Final = pa.schema(
    [
        ("outcome", pa.string()),
        ("definition", pa.string()),
        ("att", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("pretrend_p", pa.float64()),
        ("placebo_att", pa.float64()),
        ("treated", pa.int64()),
        ("controls", pa.int64()),
        ("conclusive", pa.bool_()),
    ]
)
_IDP_HINT: Final = "rivalscope ingest displacement FILE"


@dataclass(frozen=True)
class Harm:
    """Civilian harm in provinces before and after the two first clashed there.

    Attributes:
        summary: the verdict in plain words: the primary outcome named, its overall effect with
            its interval (``too thin to conclude`` where the interval covers no change or the
            treated provinces are few), the pre-trend test, the placebo, the capital's
            leave-one-out estimate, the other perpetrators and displacement.
        outcome: the primary outcome's definition.
        att: the primary outcome's overall ATT (mean of the event-time effects e = 0..12, per
            province-month): ``estimate``, ``ci_low``, ``ci_high``, ``conclusive``.
        event_time: the primary outcome per event time e = -12..12 (months since the first
            clash): ``att`` (cohort-size weighted mean of ATT(g, g+e); 0 at e = -1 with a
            universal base), ``ci_low``/``ci_high`` (95% bootstrap), ``n_cohorts`` and
            ``n_treated`` (cohorts and provinces with that cell). NULL where no cohort has it.
        att_gt: the primary outcome's ATT(g,t) for e = -12..12: ``g`` (first clash month),
            ``t`` (month), ``e``, ``att``, ``n_treated`` (cohort size), ``n_controls``.
        pretrend: ``statistic`` (sup-t: the largest ``|theta(e)| / se``), ``df`` (pre-periods
            tested), ``p_value`` (bootstrap: the joint test that the pre-period event-time
            effects are all 0), ``periods`` (the event times tested) and ``verdict``.
        placebo: ``shift_months``, ``att``, ``ci_low``, ``ci_high``, ``cohorts`` (those with a
            base month in the panel) and ``verdict``.
        leave_one_out: the primary ATT with one province left out: ``dropped`` (code),
            ``province`` (name), ``role`` (``treated`` or ``control``), ``capital``, ``share``
            (its share of its group's primary outcome), ``att``. The capital first.
        outcomes: one row per outcome (the four perpetrator outcomes, and ``idps`` when
            displacement is loaded): ``definition``, ``att``, ``ci_low``, ``ci_high``,
            ``pretrend_p``, ``placebo_att``, ``treated``, ``controls``, ``conclusive``.
        treated: treated provinces in the primary estimate.
        controls: never-treated provinces.
        unknown_civilian_deaths: events in the panel's provinces and months whose civilian
            deaths are unknown (NULL), left out of every outcome: ``events``, ``deaths_best``
            (their best-estimate deaths, all victims) and ``by_perpetrator`` (events per
            perpetrator class: ``actor``, ``rival``, ``others``, ``unattributed``).
        design: the choices: ``unit``, ``first_month``, ``last_month``, ``control``,
            ``base_period``, ``n_boot``, ``seed``, ``min_treated``, ``excluded`` (provinces
            treated in the panel's first month).
        warnings: what weakens the estimate, in words (few treated provinces, pre-trends).
        conclusive: whether the primary estimate is conclusive: enough treated provinces, an
            interval that excludes 0 and no pre-trend detected.
    """

    summary: str
    outcome: str
    att: dict[str, Any]
    event_time: pa.Table
    att_gt: pa.Table
    pretrend: dict[str, Any]
    placebo: dict[str, Any]
    leave_one_out: pa.Table
    outcomes: pa.Table
    treated: int
    controls: int
    unknown_civilian_deaths: dict[str, Any]
    design: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    conclusive: bool = False


# --------------------------------------------------------------------------- the estimator


def att_gt(
    y: NDArray[np.float64],
    cohort: NDArray[np.int64],
    *,
    control: Control = "never",
    base_period: BasePeriod = "universal",
    weights: NDArray[np.float64] | None = None,
    eligible: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Callaway & Sant'Anna's ATT(g,t) for a balanced panel, without covariates.

    Args:
        y: outcomes, units x periods.
        cohort: each unit's first treated period (an index into the periods, at least 1), or
            :data:`NEVER`; any other negative value leaves the unit out of the treated groups.
        control: ``never`` (never-treated units) or ``notyet`` (also units not yet treated
            by ``max(t, base)``).
        base_period: ``universal`` (base ``g - 1``) or ``varying`` (``t - 1`` before ``g``).
        weights: unit weights, one row per replicate (replicates x units); default one row
            of ones. A bootstrap passes resample counts; leave-one-out a 0.
        eligible: the cohorts that decide who is a control (default ``cohort``); the placebo
            passes the real ones while ``cohort`` holds the shifted.

    Returns:
        ``(cohorts, att, n_treated, n_controls)``: the cohorts (sorted), ATT as replicates x
        cohorts x periods (NaN where undefined; 0 at a universal base), the weighted cohort
        sizes (replicates x cohorts), and the weighted control counts (replicates x cohorts x
        periods).
    """
    w = np.ones((1, len(cohort))) if weights is None else np.atleast_2d(weights)
    real = cohort if eligible is None else eligible
    cohorts = np.unique(cohort[cohort >= 1])
    n_periods = y.shape[1]
    times = np.arange(n_periods)
    att = np.full((w.shape[0], len(cohorts), n_periods), np.nan)
    sizes = np.zeros((w.shape[0], len(cohorts)))
    n_controls = np.zeros((w.shape[0], len(cohorts), n_periods))
    never = real == NEVER
    for k, g in enumerate(cohorts):
        if base_period == "universal":
            base = np.full(n_periods, g - 1)
        else:
            base = np.where(times < g, times - 1, g - 1)
        defined = base >= 0
        base = np.clip(base, 0, None)
        change = y - y[:, base]
        treated = cohort == g
        wt = w * treated
        sizes[:, k] = wt.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            treated_mean = (wt @ change) / sizes[:, k, None]
            if control == "never":
                wc = w * never
                n_c = np.repeat(wc.sum(axis=1)[:, None], n_periods, axis=1)
                control_mean = (wc @ change) / n_c
            else:
                later = np.maximum(times, base)
                mask = never[:, None] | ((~treated)[:, None] & (real[:, None] > later[None, :]))
                n_c = w @ mask
                control_mean = (w @ (mask * change)) / n_c
        value = treated_mean - control_mean
        value[:, ~defined] = np.nan
        value[(sizes[:, k] == 0)[:, None] | (n_c == 0)] = np.nan
        att[:, k, :] = value
        n_controls[:, k, :] = n_c
    return cohorts, att, sizes, n_controls


def dynamic(
    cohorts: NDArray[np.int64],
    att: NDArray[np.float64],
    sizes: NDArray[np.float64],
    events: range,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """CS's dynamic aggregation: per event time, ATT(g, g+e) averaged over cohorts weighted by
    cohort size.

    Args:
        cohorts, att, sizes: as :func:`att_gt` returns them.
        events: the event times.

    Returns:
        ``(theta, n_cohorts)``: replicates x event times (NaN where no cohort has the cell),
        and the cohorts with the cell in the first replicate.
    """
    n_rep, _, n_periods = att.shape
    theta = np.full((n_rep, len(events)), np.nan)
    counts = np.zeros(len(events), dtype=np.int64)
    for i, e in enumerate(events):
        t = cohorts + e
        inside = (t >= 0) & (t < n_periods)
        if not inside.any():
            continue
        cells = att[:, np.flatnonzero(inside), t[inside]]
        ok = np.isfinite(cells) & (sizes[:, inside] > 0)
        weight = np.where(ok, sizes[:, inside], 0.0)
        total = weight.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta[:, i] = (np.where(ok, cells, 0.0) * weight).sum(axis=1) / total
        theta[total == 0, i] = np.nan
        counts[i] = int(ok[0].sum())
    return theta, counts


def overall(theta: NDArray[np.float64], events: range, post: range) -> NDArray[np.float64]:
    """The mean of the event-time effects over ``post`` (per replicate; NaN where none)."""
    columns = [i for i, e in enumerate(events) if e in post]
    picked = theta[:, columns]
    count = np.isfinite(picked).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: NDArray[np.float64] = np.where(count > 0, np.nansum(picked, axis=1) / count, np.nan)
    return result


def _resample(
    rng: np.random.Generator, n_boot: int, groups: list[NDArray[np.int64]], n: int
) -> NDArray[np.float64]:
    """Resample counts (n_boot x n): each group of unit indices resampled with replacement."""
    counts = np.zeros((n_boot, n))
    rows = np.arange(n_boot)[:, None]
    for members in groups:
        if len(members) == 0:
            continue
        draws = members[rng.integers(0, len(members), size=(n_boot, len(members)))]
        np.add.at(counts, (rows, draws), 1.0)
    return counts


def _interval(values: NDArray[np.float64]) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None, None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _pre_events(base_period: BasePeriod) -> range:
    return range(-PRE, -1) if base_period == "universal" else range(-PRE, 0)


def sup_t(
    point: NDArray[np.float64], draws: NDArray[np.float64]
) -> tuple[float, int, float] | None:
    """A joint test that every coordinate of ``point`` is 0: the largest ``|point| / se`` against
    its bootstrap distribution (``draws``: rows of replicates), as CS's uniform bands do.

    Returns ``(statistic, df, p_value)`` (df: the coordinates tested, those whose bootstrap
    standard error is not 0; the p-value is at least ``1 / (1 + replicates)``; a coordinate off
    0 that no replicate moves makes the statistic infinite), or None when nothing can be tested.
    """
    draws = draws[np.isfinite(draws).all(axis=1)]
    if len(point) == 0 or len(draws) < 2:
        return None
    se = draws.std(axis=0, ddof=1)
    varies = se > 0
    if np.any(~varies & (np.abs(point) > 1e-12)):
        return float("inf"), len(point), 1 / (1 + len(draws))
    if not varies.any():
        return None
    point, draws, se = point[varies], draws[:, varies], se[varies]
    statistic = float(np.max(np.abs(point) / se))
    replicated = np.max(np.abs(draws - point) / se, axis=1)
    p_value = float((1 + np.sum(replicated >= statistic)) / (1 + len(replicated)))
    return statistic, int(varies.sum()), p_value


@dataclass(frozen=True)
class _Panel:
    """Units x months: ``values`` from month number ``lo``; ``cohort`` as :func:`att_gt`."""

    units: list[str]
    lo: int
    values: NDArray[np.float64]
    cohort: NDArray[np.int64]
    excluded: list[str]

    @property
    def treated(self) -> int:
        return int((self.cohort >= 1).sum())

    @property
    def controls(self) -> int:
        return int((self.cohort == NEVER).sum())


@dataclass(frozen=True)
class _Fit:
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    event_rows: list[dict[str, Any]]
    att_gt_rows: list[dict[str, Any]]
    pretrend: dict[str, Any]
    placebo: dict[str, Any]
    loo: list[float | None]
    treated: int
    controls: int


def _fit(
    panel: _Panel,
    *,
    control: Control,
    base_period: BasePeriod,
    n_boot: int,
    seed: int,
    loo_units: list[int],
) -> _Fit:
    n = len(panel.units)
    rng = np.random.default_rng(seed)
    treated = np.flatnonzero(panel.cohort >= 1)
    never = np.flatnonzero(panel.cohort == NEVER)
    boot = _resample(rng, n_boot, [treated, never], n)
    loo = np.ones((len(loo_units), n))
    loo[np.arange(len(loo_units)), loo_units] = 0.0
    weights = np.vstack([np.ones((1, n)), loo, boot])
    first_boot = 1 + len(loo_units)

    cohorts, att, sizes, n_controls = att_gt(
        panel.values, panel.cohort, control=control, base_period=base_period, weights=weights
    )
    events = range(-PRE, POST + 1)
    theta, counts = dynamic(cohorts, att, sizes, events)
    mean = overall(theta, events, range(0, POST + 1))
    low, high = _interval(mean[first_boot:])

    event_rows = []
    for i, e in enumerate(events):
        t = cohorts + e
        inside = (t >= 0) & (t < att.shape[2])
        with_cell = np.zeros(len(cohorts), dtype=bool)
        with_cell[inside] = np.isfinite(att[0, np.flatnonzero(inside), t[inside]])
        e_low, e_high = _interval(theta[first_boot:, i])
        event_rows.append(
            {
                "e": e,
                "att": _number(theta[0, i]),
                "ci_low": e_low,
                "ci_high": e_high,
                "n_cohorts": int(counts[i]),
                "n_treated": int(sizes[0, with_cell].sum()),
            }
        )

    att_gt_rows = []
    for k, g in enumerate(cohorts):
        for e in events:
            t = g + e
            if 0 <= t < att.shape[2] and np.isfinite(att[0, k, t]):
                att_gt_rows.append(
                    {
                        "g": _month_date(panel.lo + int(g)),
                        "t": _month_date(panel.lo + int(t)),
                        "e": e,
                        "att": float(att[0, k, t]),
                        "n_treated": int(sizes[0, k]),
                        "n_controls": int(n_controls[0, k, t]),
                    }
                )

    pre = _pre_events(base_period)
    columns = [i for i, e in enumerate(events) if e in pre and np.isfinite(theta[0, i])]
    tested = sup_t(theta[0, columns], theta[first_boot:][:, columns])
    pretrend: dict[str, Any] = {
        "statistic": None,
        "df": 0,
        "p_value": None,
        "periods": [events[i] for i in columns],
        "verdict": "untestable",
    }
    if tested is not None:
        statistic, df, p_value = tested
        pretrend |= {
            "statistic": statistic,
            "df": df,
            "p_value": p_value,
            "verdict": "pre-trend detected"
            if p_value < PRETREND_ALPHA
            else "no pre-trend detected",
        }

    return _Fit(
        estimate=_number(mean[0]),
        ci_low=low,
        ci_high=high,
        event_rows=event_rows,
        att_gt_rows=att_gt_rows,
        pretrend=pretrend,
        placebo=_placebo(panel, control, base_period, boot),
        loo=[_number(v) for v in mean[1:first_boot]],
        treated=panel.treated,
        controls=panel.controls,
    )


def _placebo(
    panel: _Panel, control: Control, base_period: BasePeriod, boot: NDArray[np.float64]
) -> dict[str, Any]:
    """Each first clash moved :data:`PLACEBO_SHIFT` months earlier, on months before the real
    one."""
    shifted = np.where(panel.cohort >= 1, panel.cohort - PLACEBO_SHIFT, panel.cohort)
    shifted = np.where((panel.cohort >= 1) & (shifted < 1), -2, shifted)
    weights = np.vstack([np.ones((1, len(panel.units))), boot])
    cohorts, att, sizes, _ = att_gt(
        panel.values,
        shifted,
        control=control,
        base_period=base_period,
        weights=weights,
        eligible=panel.cohort,
    )
    fake = range(0, PLACEBO_SHIFT)
    result: dict[str, Any] = {
        "shift_months": PLACEBO_SHIFT,
        "att": None,
        "ci_low": None,
        "ci_high": None,
        "cohorts": len(cohorts),
        "verdict": "untestable",
    }
    if len(cohorts) == 0:
        return result
    theta, _ = dynamic(cohorts, att, sizes, fake)
    mean = overall(theta, fake, fake)
    low, high = _interval(mean[1:])
    result |= {"att": _number(mean[0]), "ci_low": low, "ci_high": high}
    if low is not None and high is not None:
        result["verdict"] = "covers no change" if low <= 0 <= high else "excludes no change"
    return result


# --------------------------------------------------------------------------- the data


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_date(number: int) -> dt.date:
    return dt.date(number // 12, number % 12 + 1, 1)


def _first_clash_months(dyad: Dyad) -> dict[str, int]:
    """Each province's first clash between the two, before ``since`` too (a province first
    treated before the panel starts is left out, not given a later cohort)."""
    c = replace(dyad, since=None).clashes()
    c = c.filter(c.admin1_code.notnull())
    rows = c.group_by("admin1_code").aggregate(first=month_start(c.date_start).min()).to_pyarrow()
    return {
        code: _month_number(first)
        for code, first in zip(
            rows.column("admin1_code").to_pylist(), rows.column("first").to_pylist(), strict=True
        )
    }


def _province_universe(dyad: Dyad) -> dict[str, str]:
    """Province codes and names: the country's, or every province with events."""
    places = dyad.provinces()
    names = dict(
        zip(places.column("code").to_pylist(), places.column("name").to_pylist(), strict=True)
    )
    if dyad.country is not None:
        return names
    e = dyad.events()
    e = e.filter(e.admin1_code.notnull())
    codes = e.select("admin1_code").distinct().to_pyarrow().column(0).to_pylist()
    return {code: names.get(code, code) for code in codes}


def _span(first: dt.date | None, last: dt.date | None, dyad: Dyad) -> tuple[int, int] | None:
    if first is None or last is None:
        return None
    lo, hi = _month_number(first), _month_number(last)
    if dyad.since is not None:
        lo = max(lo, _month_number(dyad.since))
    if dyad.until is not None:
        hi = min(hi, _month_number(dyad.until))
    return (lo, hi) if lo <= hi else None


def _panel(
    units: list[str],
    firsts: dict[str, int],
    span: tuple[int, int],
    cells: dict[tuple[str, int], float],
) -> _Panel:
    """The panel over ``span`` trimmed to what the estimates use (see the module's doc)."""
    lo = max(span[0], min(firsts.values()) - LEAD)
    hi = max(lo, min(span[1], max(firsts.values()) + POST))
    excluded = sorted(c for c, g in firsts.items() if c in units and not lo < g <= hi)
    kept = [u for u in units if u not in excluded]
    values = np.zeros((len(kept), hi - lo + 1))
    index = {u: i for i, u in enumerate(kept)}
    for (code, month), amount in cells.items():
        if code in index and lo <= month <= hi:
            values[index[code], month - lo] += amount
    cohort = np.array([firsts[u] - lo if u in firsts else NEVER for u in kept], dtype=np.int64)
    return _Panel(kept, lo, values, cohort, excluded)


_CLASSES: Final = ("actor", "rival", "others", "unattributed")


def _death_cells(dyad: Dyad) -> tuple[pa.Table, tuple[dt.date | None, dt.date | None]]:
    """Per province, month and perpetrator class: known civilian deaths, and the events (and
    their best-estimate deaths) whose civilian deaths are unknown; and the data's first and
    last day."""
    e = dyad.events()
    span = e.aggregate(first=e.date_start.min(), last=e.date_start.max()).to_pyarrow()
    first, last = span.column("first")[0].as_py(), span.column("last")[0].as_py()
    e = e.filter(e.admin1_code.notnull())
    null = ibis.null().cast("string")
    perpetrator = ibis.cases(
        (e.initiator == "actor1", e.actor1), (e.initiator == "actor2", e.actor2), else_=null
    )
    kind = ibis.cases(
        (perpetrator.isnull(), "unattributed"),
        (perpetrator == dyad.actor, "actor"),
        (perpetrator == dyad.rival, "rival"),
        else_="others",
    )
    m = e.mutate(month=month_start(e.date_start), kind=kind, unknown=e.civilian_deaths.isnull())
    rows = (
        m.group_by(["admin1_code", "month", "kind"])
        .aggregate(
            deaths=m.civilian_deaths.sum(),
            unknown_events=ibis.cases((m.unknown, 1), else_=0).sum(),
            unknown_best=ibis.cases((m.unknown, m.fatalities_best), else_=0).sum(),
        )
        .to_pyarrow()
    )
    return rows, (first, last)


def _displacement(dyad: Dyad) -> ir.Table | None:
    """The displacement rows of the dyad's country in the window, or None when it has none."""
    try:
        d = dyad.store.table("displacement")
    except NotFoundError:
        return None
    if dyad.country is not None:
        d = d.filter(d.country_iso3 == dyad.country)
    if dyad.since is not None:
        d = d.filter(d.month >= _month_date(_month_number(dyad.since)))
    if dyad.until is not None:
        d = d.filter(d.month <= dyad.until)
    if d.count().to_pyarrow().as_py() == 0:
        return None
    return d


def _idp_cells(d: ir.Table) -> tuple[dict[tuple[str, int], float], tuple[dt.date, dt.date]]:
    span = d.aggregate(first=d.month.min(), last=d.month.max()).to_pyarrow()
    d = d.filter(d.admin1_code.notnull())
    rows = d.group_by(["admin1_code", "month"]).aggregate(idps=d.idps.sum()).to_pyarrow()
    cells: dict[tuple[str, int], float] = {}
    for code, month, idps in zip(
        rows.column("admin1_code").to_pylist(),
        rows.column("month").to_pylist(),
        rows.column("idps").to_pylist(),
        strict=True,
    ):
        if idps is not None:
            cells[(code, _month_number(month))] = float(idps)
    return cells, (span.column("first")[0].as_py(), span.column("last")[0].as_py())


def _definitions(dyad: Dyad) -> dict[str, str]:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    known = "civilian deaths per province-month (events with an unknown civilian count left out)"
    return {
        "either_side": f"{known} in events whose sources name {a} or {r} as the perpetrator",
        "actor": f"{known} in events whose sources name {a} as the perpetrator",
        "rival": f"{known} in events whose sources name {r} as the perpetrator",
        "others": f"{known} in events whose sources name another perpetrator than {a} or {r}",
        "idps": "newly displaced people per province-month",
    }


# --------------------------------------------------------------------------- the section


def compute(
    dyad: Dyad,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    min_treated: int = 10,
    control: Control = "never",
    base_period: BasePeriod = "universal",
) -> Harm:
    """Estimate civilian harm around the two's first clash in each province (an event study).

    Args:
        dyad: the question's frame.
        n_boot: province-cluster bootstrap resamples for the intervals and the pre-trend test.
        seed: seed of ``numpy.random.default_rng`` for the bootstrap.
        min_treated: the fewest treated provinces a conclusive estimate needs.
        control: ``never`` (never-clashed provinces) or ``notyet`` (also provinces whose first
            clash comes later).
        base_period: ``universal`` (every ATT(g,t) against month g-1) or ``varying``.

    Raises:
        InputError: ``n_boot`` is below 2, or ``control``/``base_period`` is unknown.
    """
    if n_boot < 2:
        raise InputError(f"n_boot must be at least 2, not {n_boot}")
    if control not in ("never", "notyet"):
        raise InputError(f"control must be 'never' or 'notyet', not {control!r}")
    if base_period not in ("universal", "varying"):
        raise InputError(f"base_period must be 'universal' or 'varying', not {base_period!r}")
    definitions = _definitions(dyad)
    design: dict[str, Any] = {
        "unit": "province-month",
        "first_month": None,
        "last_month": None,
        "control": control,
        "base_period": base_period,
        "n_boot": n_boot,
        "seed": seed,
        "min_treated": min_treated,
        "excluded": [],
    }
    names = _province_universe(dyad)
    firsts = _first_clash_months(dyad)
    for code in firsts:
        names.setdefault(code, code)
    rows, (first, last) = _death_cells(dyad)
    span = _span(first, last, dyad)
    displacement = _displacement(dyad)
    if not firsts or span is None:
        return _empty(dyad, definitions, design, displacement is not None)

    units = sorted(names)
    cells: dict[str, dict[tuple[str, int], float]] = {k: {} for k in _CLASSES}
    for code, month, kind, deaths in zip(
        rows.column("admin1_code").to_pylist(),
        rows.column("month").to_pylist(),
        rows.column("kind").to_pylist(),
        rows.column("deaths").to_pylist(),
        strict=True,
    ):
        if deaths is not None:
            cells[kind][(code, _month_number(month))] = float(deaths)
    outcome_cells = {
        "either_side": _merged(cells["actor"], cells["rival"]),
        "actor": cells["actor"],
        "rival": cells["rival"],
        "others": cells["others"],
    }
    panels = {k: _panel(units, firsts, span, v) for k, v in outcome_cells.items()}
    primary = panels[PRIMARY]
    design |= {
        "first_month": _month_date(primary.lo),
        "last_month": _month_date(primary.lo + primary.values.shape[1] - 1),
        "excluded": primary.excluded,
    }
    unknown = _unknown(rows, primary)
    capital = CAPITALS.get(dyad.country or "")
    loo_codes = _leave_one_out_units(primary, capital)
    index = {u: i for i, u in enumerate(primary.units)}
    fits = {
        k: _fit(
            panel,
            control=control,
            base_period=base_period,
            n_boot=n_boot,
            seed=seed,
            loo_units=[index[c] for c, _ in loo_codes] if k == PRIMARY else [],
        )
        for k, panel in panels.items()
    }
    if displacement is not None:
        idp_cells, idp_span = _idp_cells(displacement)
        window = _span(*idp_span, dyad)
        if window is not None:
            fits["idps"] = _fit(
                _panel(units, firsts, window, idp_cells),
                control=control,
                base_period=base_period,
                n_boot=n_boot,
                seed=seed,
                loo_units=[],
            )
    main = fits[PRIMARY]
    warnings = _warnings(main, min_treated)
    conclusive = _conclusive(main, min_treated)
    att = {
        "outcome": PRIMARY,
        "estimate": main.estimate,
        "ci_low": main.ci_low,
        "ci_high": main.ci_high,
        "months": f"0..{POST}",
        "conclusive": conclusive,
    }
    cohort_of = dict(zip(primary.units, primary.cohort.tolist(), strict=True))
    loo_rows = [
        {
            "dropped": code,
            "province": names.get(code, code),
            "role": "treated" if cohort_of[code] >= 1 else "control",
            "capital": code == capital,
            "share": share,
            "att": value,
        }
        for (code, share), value in zip(loo_codes, main.loo, strict=True)
    ]
    outcome_rows = [
        {
            "outcome": k,
            "definition": definitions[k],
            "att": f.estimate,
            "ci_low": f.ci_low,
            "ci_high": f.ci_high,
            "pretrend_p": f.pretrend["p_value"],
            "placebo_att": f.placebo["att"],
            "treated": f.treated,
            "controls": f.controls,
            "conclusive": _conclusive(f, min_treated),
        }
        for k, f in fits.items()
    ]
    result = Harm(
        summary="",
        outcome=definitions[PRIMARY],
        att=att,
        event_time=pa.Table.from_pylist(main.event_rows, schema=EVENT_TIME_SCHEMA),
        att_gt=pa.Table.from_pylist(main.att_gt_rows, schema=ATT_GT_SCHEMA),
        pretrend=main.pretrend,
        placebo=main.placebo,
        leave_one_out=pa.Table.from_pylist(loo_rows, schema=LEAVE_ONE_OUT_SCHEMA),
        outcomes=pa.Table.from_pylist(outcome_rows, schema=OUTCOMES_SCHEMA),
        treated=main.treated,
        controls=main.controls,
        unknown_civilian_deaths=unknown,
        design=design,
        warnings=warnings,
        conclusive=conclusive,
    )
    summary = _summary(dyad, result, fits, displacement is not None)
    return replace(result, summary=summary)


def _merged(*parts: dict[tuple[str, int], float]) -> dict[tuple[str, int], float]:
    merged: dict[tuple[str, int], float] = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = merged.get(key, 0.0) + value
    return merged


def _unknown(rows: pa.Table, panel: _Panel) -> dict[str, Any]:
    """The events of the panel's provinces and months whose civilian deaths are unknown."""
    hi = panel.lo + panel.values.shape[1] - 1
    units = set(panel.units)
    by_kind = dict.fromkeys(_CLASSES, 0)
    best = 0
    for code, month, kind, events, deaths in zip(
        rows.column("admin1_code").to_pylist(),
        rows.column("month").to_pylist(),
        rows.column("kind").to_pylist(),
        rows.column("unknown_events").to_pylist(),
        rows.column("unknown_best").to_pylist(),
        strict=True,
    ):
        if code in units and panel.lo <= _month_number(month) <= hi and events:
            by_kind[kind] += int(events)
            best += int(deaths or 0)
    return {"events": sum(by_kind.values()), "deaths_best": best, "by_perpetrator": by_kind}


def _leave_one_out_units(panel: _Panel, capital: str | None) -> list[tuple[str, float]]:
    """The provinces to drop in turn, with their share of their group's outcome: the
    capital, each treated province, and each control with a large share."""
    totals = panel.values.sum(axis=1)
    treated = panel.cohort >= 1
    never = panel.cohort == NEVER
    shares = np.zeros(len(panel.units))
    for group in (treated, never):
        total = totals[group].sum()
        if total > 0:
            shares[group] = totals[group] / total
    chosen: list[tuple[str, float]] = []
    if capital in panel.units:
        chosen.append((capital, float(shares[panel.units.index(capital)])))
    order = np.argsort(-shares, kind="stable")
    for i in order:
        code = panel.units[i]
        if code == capital:
            continue
        if treated[i] or (never[i] and shares[i] >= LARGE_CONTROL_SHARE):
            chosen.append((code, float(shares[i])))
    return chosen


def _conclusive(fit: _Fit, min_treated: int) -> bool:
    return (
        fit.ci_low is not None
        and fit.ci_high is not None
        and not fit.ci_low <= 0 <= fit.ci_high
        and fit.treated >= min_treated
        and fit.controls >= 2
        and fit.pretrend["verdict"] != "pre-trend detected"
    )


def _warnings(fit: _Fit, min_treated: int) -> list[str]:
    found = []
    if fit.treated < min_treated:
        found.append(
            f"only {fit.treated} {_provinces(fit.treated)} saw a first clash (fewer than "
            f"{min_treated}): a few provinces drive the estimate and the bootstrap interval"
        )
    if fit.controls < 2:
        found.append(f"only {fit.controls} {_provinces(fit.controls)} never saw such a clash")
    if fit.pretrend["verdict"] == "pre-trend detected":
        found.append(
            "the provinces already diverged before the first clash (pre-trend test "
            f"p = {fit.pretrend['p_value']:.3f}), so the comparison is not credible"
        )
    if fit.placebo["verdict"] == "excludes no change":
        found.append("the placebo finds an effect where there can be none")
    return found


def _empty(dyad: Dyad, definitions: dict[str, str], design: dict[str, Any], idps: bool) -> Harm:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    summary = (
        f"{a} and {r} never clashed in a province the data names, so there is no clash to "
        f"measure civilian harm around: the data is too thin to conclude. "
        f"{_idp_note(dyad, idps)}"
    ).rstrip()
    return Harm(
        summary=summary,
        outcome=definitions[PRIMARY],
        att={
            "outcome": PRIMARY,
            "estimate": None,
            "ci_low": None,
            "ci_high": None,
            "months": f"0..{POST}",
            "conclusive": False,
        },
        event_time=EVENT_TIME_SCHEMA.empty_table(),
        att_gt=ATT_GT_SCHEMA.empty_table(),
        pretrend={
            "statistic": None,
            "df": 0,
            "p_value": None,
            "periods": [],
            "verdict": "untestable",
        },
        placebo={
            "shift_months": PLACEBO_SHIFT,
            "att": None,
            "ci_low": None,
            "ci_high": None,
            "cohorts": 0,
            "verdict": "untestable",
        },
        leave_one_out=LEAVE_ONE_OUT_SCHEMA.empty_table(),
        outcomes=OUTCOMES_SCHEMA.empty_table(),
        treated=0,
        controls=0,
        unknown_civilian_deaths={
            "events": 0,
            "deaths_best": 0,
            "by_perpetrator": dict.fromkeys(_CLASSES, 0),
        },
        design=design,
        warnings=["no clash between the two in a province the data names"],
        conclusive=False,
    )


def _provinces(n: int) -> str:
    return "province" if n == 1 else "provinces"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+,.2f}"


def _ci(low: float | None, high: float | None) -> str:
    return f"{CONFIDENCE:.0%} CI {_signed(low)} to {_signed(high)}"


def _covers_zero(fit: _Fit) -> bool:
    return fit.ci_low is None or fit.ci_high is None or fit.ci_low <= 0 <= fit.ci_high


def _idp_note(dyad: Dyad, loaded: bool) -> str:
    if loaded:
        return ""
    where = f" for {dyad.country}" if dyad.country else ""
    return f"No displacement table is loaded{where}, so displacement is not compared ({_IDP_HINT})."


def _summary(dyad: Dyad, result: Harm, fits: dict[str, _Fit], idps_loaded: bool) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    main = fits[PRIMARY]
    what = f"civilian deaths in events whose sources name {a} or {r} as the perpetrator"
    method = (
        f"Callaway-Sant'Anna event study, months 0 to {POST} after the first clash, over "
        f"{main.treated} {_provinces(main.treated)} where the two clashed and {main.controls} "
        f"where they never did"
    )
    interval = _ci(main.ci_low, main.ci_high)
    sentences = []
    if main.estimate is None:
        sentences.append(
            f"The data is too thin to conclude anything about {what}: no cohort of provinces "
            "has both months before and after its first clash and a comparison province."
        )
    elif result.conclusive:
        direction = "higher" if main.estimate > 0 else "lower"
        sentences.append(
            f"In the {POST + 1} months from {a} and {r}'s first clash in a province, {what} "
            f"were {abs(main.estimate):,.2f} a month per province {direction} than the "
            f"provinces where they never clashed predict ({method}; {interval}). This is an "
            "association in the data, not proof that the clashes caused it."
        )
    else:
        reasons = []
        if _covers_zero(main):
            reasons.append(f"the estimate's {CONFIDENCE:.0%} interval covers no change")
        reasons += result.warnings
        thin = _covers_zero(main) or main.treated < result.design["min_treated"]
        verdict = "too thin to conclude" if thin else "not credible enough to conclude"
        sentences.append(
            f"The data is {verdict} whether {what} changed after {a} and {r} first clashed "
            f"in a province: {'; '.join(reasons)}. The estimate, not to be relied on, is "
            f"{_signed(main.estimate)} a month per province ({method}; {interval})."
        )
    sentences += [_pretrend_sentence(main), _placebo_sentence(main)]
    loo = [row for row in result.leave_one_out.to_pylist() if row["att"] is not None]
    if loo:
        values = [row["att"] for row in loo]
        text = (
            f"Leaving one province out ({len(loo)} tried) moves the estimate between "
            f"{_signed(min(values))} and {_signed(max(values))}"
        )
        capital = [row for row in loo if row["capital"]]
        if capital:
            row = capital[0]
            text += (
                f"; without {row['province']} (the capital, a {row['role']} province with "
                f"{row['share']:.0%} of its group's deaths) it is {_signed(row['att'])}"
            )
        sentences.append(text + ".")
    parts = []
    for key, label in (("actor", a), ("rival", r), ("others", "other perpetrators")):
        fit = fits[key]
        tail = ", too thin to conclude" if _covers_zero(fit) else ""
        parts.append(f"{label} {_signed(fit.estimate)} ({_ci(fit.ci_low, fit.ci_high)}{tail})")
    sentences.append(f"By perpetrator, per province-month: {'; '.join(parts)}.")
    unknown = result.unknown_civilian_deaths
    if unknown["events"]:
        named = unknown["by_perpetrator"]["actor"] + unknown["by_perpetrator"]["rival"]
        sentences.append(
            f"{unknown['events']:,} events in these provinces and months (best estimate "
            f"{unknown['deaths_best']:,} deaths, all victims) have no civilian death count: "
            f"they are left out, not counted as 0 ({named:,} of them name {a} or {r} as the "
            "perpetrator)."
        )
    else:
        sentences.append("Every event in these provinces and months has a civilian death count.")
    sentences.append(_idp_sentence(dyad, fits.get("idps"), idps_loaded))
    return " ".join(s for s in sentences if s)


def _pretrend_sentence(fit: _Fit) -> str:
    test = fit.pretrend
    if test["p_value"] is None:
        return (
            "The pre-trend test cannot be run: the months before the first clashes show no "
            "variation to test."
        )
    periods = test["periods"]
    found = test["p_value"] < PRETREND_ALPHA
    return (
        f"Pre-trend test (event months {min(periods)} to {max(periods)} jointly zero, "
        f"sup-t {test['statistic']:.2f} over {test['df']} months): p = {test['p_value']:.3f}: "
        + (
            "a pre-trend is detected, so the provinces already differed before the clashes."
            if found
            else "no pre-trend detected (which does not prove the trends would have stayed "
            "parallel)."
        )
    )


def _placebo_sentence(fit: _Fit) -> str:
    p = fit.placebo
    if p["att"] is None:
        return (
            f"The placebo (each first clash moved {p['shift_months']} months earlier) cannot be "
            "estimated: the data has too few months before the first clashes."
        )
    verdict = (
        "covering no change, as it should"
        if p["verdict"] == "covers no change"
        else "excluding no change: the provinces differed before any clash"
    )
    return (
        f"Placebo (each first clash moved {p['shift_months']} months earlier, on months before "
        f"the real one): {_signed(p['att'])} ({_ci(p['ci_low'], p['ci_high'])}), {verdict}."
    )


def _idp_sentence(dyad: Dyad, fit: _Fit | None, loaded: bool) -> str:
    if not loaded:
        return _idp_note(dyad, False)
    if fit is None or fit.estimate is None:
        return (
            "Newly displaced people cannot be compared: the displacement rows cover no month "
            "around the first clashes."
        )
    interval = _ci(fit.ci_low, fit.ci_high)
    if _conclusive(fit, 1):
        change = "rose" if fit.estimate > 0 else "fell"
        return (
            f"Newly displaced people {change} by {abs(fit.estimate):,.1f} a month per province "
            f"in the same design ({interval}; pre-trend p = {fit.pretrend['p_value'] or 0:.3f})."
        )
    return (
        f"Newly displaced people: the data is too thin to conclude whether they changed "
        f"({_signed(fit.estimate)} a month per province, {interval})."
    )
