"""The rivalry phase by phase: counts per named period and, at each boundary, whether the
monthly rates changed, each side's series apart, with the data's over-dispersion estimated and
the boundaries tested together.

Each measure is a monthly count over the months of two consecutive phases inside the data
window. Its rate ratio (after / before) comes from a negative binomial regression (NB2, the
dispersion ``alpha`` estimated by maximum likelihood: ``statsmodels``' ``NegativeBinomial``) of
the count on an indicator of the later phase; where the counts are no more dispersed than a
Poisson count (Pearson dispersion of the Poisson fit at most :data:`POISSON_DISPERSION`) a
Poisson regression gives it instead. Monthly conflict counts are rarely Poisson: on the real
UCDP Afghanistan data the monthly deaths' variance is 24-35 times their mean, and a Poisson
interval there is several times too narrow. P-values are Holm-corrected across the boundaries
of each measure; a change is "clear" only when it survives that correction, and the sharpest
change is never one at the edge of a source's coverage.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa

from rivalscope.analysis.context import Dyad, Phase
from rivalscope.analysis.timeline import monthly_counts

MEASURES: Final = ("clashes", "clash_deaths", "attacks_by_actor", "attacks_by_rival")
"""The monthly counts compared: clashes between the two and their deaths (best estimates,
unknown as 0), and the attacks the sources name each side as carrying out."""
LEVEL: Final = 0.05
"""The family-wise error rate of the Holm correction (and 1 - the intervals' level)."""
POISSON_DISPERSION: Final = 1.2
"""At or below this Pearson dispersion of the Poisson fit, counts are treated as Poisson."""
PERIODS_SCHEMA = pa.schema(
    [
        ("phase", pa.string()),
        ("start", pa.date32()),
        ("end", pa.date32()),
        ("months", pa.int64()),
        *((name, pa.int64()) for name in MEASURES),
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
        ("dispersion", pa.float64()),
        ("alpha", pa.float64()),
        ("model", pa.string()),
        ("p_value", pa.float64()),
        ("p_holm", pa.float64()),
        ("clear", pa.bool_()),
        ("coverage_edge", pa.string()),
        ("reading", pa.string()),
    ]
)
_WORDS: Final = {
    "clashes": "the clash rate",
    "clash_deaths": "deaths in their clashes",
}


@dataclass(frozen=True)
class Phases:
    """The phases of the rivalry and the change at each boundary between them.

    Attributes:
        summary: sentences for an analyst.
        periods: one row per phase, in order: ``phase``, ``start``, ``end`` (exclusive; null:
            open), ``months`` (the calendar months of the phase inside the data window, i.e.
            from the later of the phase start and the first event's month to the earlier of
            the phase's last day and the last event's month, partial months counted whole; 0
            for a phase the data does not reach), the measures (:data:`MEASURES`) summed over
            the phase, and
            ``provinces`` (distinct provinces with a clash between the two). The data window is
            the first to the last event of any actor in the dyad's window.
        boundaries: for each pair of consecutive phases that both overlap the data window, one
            row per measure: ``boundary`` (the later phase's start), ``before``, ``after``,
            ``measure``, ``rate_before`` and ``rate_after`` (per month), ``rate_ratio`` (after /
            before) with its 95% Wald interval ``ci_low``, ``ci_high`` from the ``model``
            (``negative binomial`` or ``poisson``, see the module), ``dispersion`` (Pearson
            chi-square over residual degrees of freedom of the Poisson fit: 1 for Poisson
            counts), ``alpha`` (the NB2 dispersion; None for a Poisson model), ``p_value`` (Wald
            test of no change), ``p_holm`` (Holm-corrected across the measure's boundaries),
            ``clear`` (``p_holm`` below :data:`LEVEL`) and ``coverage_edge`` (the sources whose
            coverage starts or ends within a month of the boundary; a change there may be the
            data's, not the rivalry's) and ``reading``, the row in words: ``clear change``,
            ``clear change, at a coverage edge``, ``too thin to conclude`` (the corrected test
            does not reject no change) or ``none in one phase``. When a measure is zero
            throughout either phase no model is fitted: ``model`` is ``none``, the ratio and
            interval are None.
    """

    summary: str
    periods: pa.Table
    boundaries: pa.Table


def compute(dyad: Dyad) -> Phases:
    """The phases of ``dyad`` and the rate changes at their boundaries."""
    if not dyad.phases:
        return Phases(
            f"No phases are defined for {dyad.name(dyad.actor)} and {dyad.name(dyad.rival)}, "
            "so there is nothing to compare. Pass a phases file to split the window into named "
            "periods.",
            PERIODS_SCHEMA.empty_table(),
            BOUNDARIES_SCHEMA.empty_table(),
        )
    t = dyad.events()
    window = t.aggregate(first=t.date_start.min(), last=t.date_start.max()).to_pyarrow()
    first, last = window.column("first")[0].as_py(), window.column("last")[0].as_py()
    series, provinces = _monthly(dyad)
    rows = []
    for phase in dyad.phases:
        months = _phase_months(phase, first, last)
        rows.append(
            {
                "phase": phase.name,
                "start": phase.start,
                "end": phase.end,
                "months": len(months),
                **{m: sum(series.get((m, k), 0) for k in months) for m in MEASURES},
                "provinces": len(provinces.get(phase.name, ())),
            }
        )
    periods = pa.Table.from_pylist(rows, schema=PERIODS_SCHEMA)
    covered = [
        phase for phase in dyad.phases if first is not None and _overlaps(phase, first, last)
    ]
    edges = dyad.coverage_edges()
    compared = []
    for earlier, later in itertools.pairwise(covered):
        before = _phase_months(earlier, first, last)
        after = _phase_months(later, first, last)
        for measure in MEASURES:
            y0 = [series.get((measure, k), 0) for k in before]
            y1 = [series.get((measure, k), 0) for k in after]
            compared.append(
                {
                    "boundary": later.start,
                    "before": earlier.name,
                    "after": later.name,
                    "measure": measure,
                    **change(y0, y1),
                    "coverage_edge": _edge(later.start, edges),
                }
            )
    _holm(compared)
    boundaries = pa.Table.from_pylist(compared, schema=BOUNDARIES_SCHEMA)
    return Phases(_summary(dyad, periods, boundaries, first is not None), periods, boundaries)


def change(before: list[int], after: list[int]) -> dict[str, Any]:
    """The change from the monthly counts ``before`` to those ``after``: the fields of a
    boundary row from ``rate_before`` to ``p_value`` (see :class:`Phases`)."""
    y = np.asarray([*before, *after], float)
    later = np.r_[np.zeros(len(before)), np.ones(len(after))]
    found: dict[str, Any] = {
        "rate_before": float(np.mean(before)) if before else 0.0,
        "rate_after": float(np.mean(after)) if after else 0.0,
        "rate_ratio": None,
        "ci_low": None,
        "ci_high": None,
        "dispersion": None,
        "alpha": None,
        "model": "none",
        "p_value": None,
    }
    if not before or not after or sum(before) == 0 or sum(after) == 0:
        return found
    fit = fit_change(y, later)
    found.update(fit)
    return found


def fit_change(y: np.ndarray[Any, Any], later: np.ndarray[Any, Any]) -> dict[str, Any]:
    """Fit the count ``y`` on the indicator ``later`` (see the module): the model's name, the
    rate ratio with its 95% interval and p-value, the Poisson fit's Pearson dispersion and, for
    a negative binomial, its ``alpha``."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    x = sm.add_constant(later, has_constant="add")
    poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    dispersion = float(poisson.pearson_chi2 / poisson.df_resid) if poisson.df_resid else 1.0
    fitted: Any = poisson
    model, alpha = "poisson", None
    if dispersion > POISSON_DISPERSION:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            nb = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0, maxiter=500)
        fitted, model, alpha = nb, "negative binomial", float(nb.params[-1])
    beta, se = float(fitted.params[1]), float(fitted.bse[1])
    z = 1.959963984540054
    return {
        "rate_ratio": math.exp(beta),
        "ci_low": math.exp(beta - z * se),
        "ci_high": math.exp(beta + z * se),
        "dispersion": dispersion,
        "alpha": alpha,
        "model": model,
        "p_value": float(fitted.pvalues[1]),
    }


def _holm(rows: list[dict[str, Any]]) -> None:
    """Set ``p_holm`` and ``clear`` on each row: Holm's step-down correction across the
    boundaries of each measure."""
    for measure in MEASURES:
        tested = [r for r in rows if r["measure"] == measure and r["p_value"] is not None]
        ordered = sorted(tested, key=lambda r: r["p_value"])
        running = 0.0
        for rank, row in enumerate(ordered):
            running = max(running, min(1.0, (len(ordered) - rank) * row["p_value"]))
            row["p_holm"] = running
        for row in rows:
            if row["measure"] == measure:
                row.setdefault("p_holm", None)
                row["clear"] = row["p_holm"] is not None and row["p_holm"] < LEVEL
                row["reading"] = (
                    "none in one phase"
                    if row["p_holm"] is None
                    else "too thin to conclude"
                    if not row["clear"]
                    else "clear change, at a coverage edge"
                    if row["coverage_edge"]
                    else "clear change"
                )


def _monthly(dyad: Dyad) -> tuple[dict[tuple[str, int], int], dict[str, set[str]]]:
    """Each measure's count per month number (year * 12 + month - 1), from the timeline's
    monthly table, and per phase the provinces with a clash between the two."""
    series = {
        (measure, _month_number(row["month"])): int(row[measure])
        for row in monthly_counts(dyad).to_pylist()
        for measure in MEASURES
    }
    provinces: dict[str, set[str]] = {}
    for row in dyad.side_rows:
        clash = row["event_type"] == "clash" and row["relation"] == "rival"
        if clash and row["side"] == dyad.actor and row["phase"] and row["admin1_code"]:
            provinces.setdefault(row["phase"], set()).add(row["admin1_code"])
    return series, provinces


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _overlaps(phase: Phase, first: dt.date, last: dt.date) -> bool:
    return phase.start <= last and (phase.end is None or phase.end > first)


def _phase_months(phase: Phase, first: dt.date | None, last: dt.date | None) -> list[int]:
    """The month numbers of ``phase`` inside the data window (partial months whole)."""
    if first is None or last is None or not _overlaps(phase, first, last):
        return []
    start = max(phase.start, first)
    end = last if phase.end is None else min(phase.end - dt.timedelta(days=1), last)
    return list(range(_month_number(start), _month_number(end) + 1))


EDGE_DAYS = 31
"""A boundary this close to where a source's coverage starts or ends sits on its edge."""


def _edge(boundary: dt.date, edges: list[tuple[dt.date, str]]) -> str | None:
    """The source whose coverage starts or ends at ``boundary`` (within :data:`EDGE_DAYS`)."""
    near = [source for day, source in edges if abs((day - boundary).days) <= EDGE_DAYS]
    return ", ".join(sorted(set(near))) or None


def _summary(dyad: Dyad, periods: pa.Table, boundaries: pa.Table, any_events: bool) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    if not any_events:
        return (
            f"No events are recorded in the window, so the {periods.num_rows} phases are empty. "
            "There are no rates to compare."
        )
    rows = periods.to_pylist()
    reached = [row for row in rows if row["months"]]
    outside = [row["phase"] for row in rows if not row["months"]]
    if not reached:
        return (
            f"The data in the window reach none of the {len(rows)} phases: there is nothing to "
            "compare."
        )
    busiest = max(reached, key=lambda row: row["clashes"] / row["months"])
    if outside:
        opening_note = (
            f" The data do not reach the phase{'s' if len(outside) > 1 else ''} "
            + ", ".join(f'"{name}"' for name in outside)
            + ": nothing is said of "
            + ("them." if len(outside) > 1 else "it.")
        )
    else:
        opening_note = ""
    if busiest["clashes"] == 0:
        opening = f"{a} and {r} are not recorded clashing in any of the {len(rows)} phases."
    else:
        opening = (
            f"Across {len(rows)} phases, {a} and {r} clashed most often in the phase "
            f'"{busiest["phase"]}" ({busiest["clashes"] / busiest["months"]:.1f} a month).'
        )
    tested = boundaries.to_pylist()
    edges = sorted(
        {(row["boundary"], row["coverage_edge"]) for row in tested if row["coverage_edge"]}
    )
    caveat = "".join(
        f" The boundary of {day:%Y-%m-%d} falls where {source.upper()}'s coverage starts or "
        "ends, so a change there is not read as a change of the rivalry."
        for day, source in edges
    )
    if not tested:
        return (
            f"{opening} Fewer than two phases fall inside the data, so no boundary can be "
            f"compared.{opening_note}{caveat}"
        )
    count = len({row["boundary"] for row in tested})
    sentences = [opening, _clearest(tested, "clashes", "the clash rate", count)]
    for measure, side in (("attacks_by_actor", a), ("attacks_by_rival", r)):
        sentences.append(
            _clearest(
                tested, measure, f"the attacks the sources name {side} as carrying out", count
            )
        )
    return " ".join(sentences) + opening_note + caveat


def _clearest(rows: list[dict[str, Any]], measure: str, what: str, count: int) -> str:
    clear = [
        row
        for row in rows
        if row["measure"] == measure and row["clear"] and not row["coverage_edge"]
    ]
    tested = f"{count} boundar{'y' if count == 1 else 'ies'}"
    if not clear:
        return (
            f"No change in {what} between consecutive phases survives the correction for "
            f"testing {tested} (Holm, 5%): too thin to conclude that it changed at any of them."
        )
    sharpest = max(clear, key=lambda row: abs(math.log(row["rate_ratio"])))
    return (
        f"The sharpest clear change in {what} came on {sharpest['boundary']:%Y-%m-%d} "
        f'("{sharpest["before"]}" to "{sharpest["after"]}"): from '
        f"{sharpest['rate_before']:.1f} to {sharpest['rate_after']:.1f} a month (rate ratio "
        f"{sharpest['rate_ratio']:.2f}, 95% CI {sharpest['ci_low']:.2f}-"
        f"{sharpest['ci_high']:.2f}, {sharpest['model']}; Holm-corrected p "
        f"{_p(sharpest['p_holm'])})."
    )


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
