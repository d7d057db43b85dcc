"""Ensembles: a scenario run many times, over posterior draws, with common random numbers.

Run ``r`` of every scenario uses the same seed and the same posterior draw (both follow from the
ensemble's seed and ``r`` alone), so differences between scenarios run with one seed are paired
run by run and show the effect of the levers, not of chance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.simulate.calibrate import Posterior, load_posterior
from rivalscope.simulate.model import METRICS, PROVINCES, STOCKS, RunResult, add_months, simulate
from rivalscope.simulate.scenario import Scenario

DEFAULT_MONTHS: Final = 60
DEFAULT_RUNS: Final = 200


@dataclass(frozen=True)
class Ensemble:
    """Many runs of one scenario.

    Attributes:
        scenario: what was run.
        months: months per run.
        seed: the ensemble's seed.
        seeds: each run's seed.
        draws: each run's calibrated parameter values (empty dicts without a posterior).
        series: ``{metric: array (runs, months, provinces)}``.
        start: ``{"taliban_fighters", "iskp_fighters": array (runs, provinces)}``.
        posterior: the posterior file or label the draws came from (None: none).
        calibration: what the posterior says of itself (None without one): ``shrinkage`` per
            parameter, ``weak`` (the weakly identified parameters), ``ppc`` (its posterior
            predictive check, None if it has none), ``statistics`` fitted and ``sentences``.
    """

    scenario: Scenario
    months: int
    seed: int
    seeds: np.ndarray
    draws: list[dict[str, float]]
    series: dict[str, np.ndarray]
    start: dict[str, np.ndarray]
    posterior: str | None
    calibration: dict[str, Any] | None = None

    @property
    def runs(self) -> int:
        """How many runs."""
        return len(self.seeds)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    def _check(self, metric: str, month: int | None) -> int:
        if metric not in self.series:
            raise InputError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")
        month = self.months if month is None else month
        if not 1 <= month <= self.months:
            raise InputError(f"month {month} is outside the run (1..{self.months})")
        return month

    def totals(self, metric: str) -> np.ndarray:
        """Country totals per run and month, shape (runs, months)."""
        self._check(metric, None)
        return self.series[metric].sum(axis=2, dtype=np.int64)

    def by_province(self, metric: str, month: int | None = None) -> np.ndarray:
        """Per run and province after ``month`` months: the level for fighters, else the sum."""
        month = self._check(metric, month)
        values = self.series[metric]
        if metric in STOCKS:
            return values[:, month - 1, :].astype(np.int64)
        return values[:, :month, :].sum(axis=1, dtype=np.int64)

    def value(self, metric: str, month: int | None = None) -> np.ndarray:
        """Per run, after ``month`` months (default all): fighters at that month's end, other
        metrics summed over months 1..``month``."""
        return self.by_province(metric, month).sum(axis=1)

    def summary(self, month: int | None = None, level: float = 0.95) -> list[dict[str, Any]]:
        """Every metric after ``month`` months: mean, median and the central ``level`` interval
        over runs."""
        month = self.months if month is None else month
        tail = (1 - level) / 2
        rows = []
        for metric, meaning in METRICS.items():
            values = self.value(metric, month)
            low, median, high = np.quantile(values, [tail, 0.5, 1 - tail])
            rows.append(
                {
                    "metric": metric,
                    "meaning": meaning,
                    "month": month,
                    "mean": float(values.mean()),
                    "median": float(median),
                    "low": float(low),
                    "high": float(high),
                    "level": level,
                }
            )
        return rows

    def run(self, index: int) -> RunResult:
        """Run ``index`` as a :class:`RunResult` (for its event stream)."""
        if not 0 <= index < self.runs:
            raise InputError(f"run {index} is outside the ensemble (0..{self.runs - 1})")
        scenario = self.scenario
        return RunResult(
            series={k: v[index].astype(np.int64) for k, v in self.series.items()},
            start={k: v[index] for k, v in self.start.items()},
            start_date=scenario.start,
            seed=int(self.seeds[index]),
            label=run_label(scenario, self.seed, index),
            population=scenario.population,
            policy=scenario.policy,
            params=scenario.params.replace(**self.draws[index]),
        )

    def to_table(self) -> pa.Table:
        """Every run's series as a long Arrow table: run, month, date, admin1_code, metrics."""
        runs, months, provinces = self.runs, self.months, len(PROVINCES)
        rows = runs * months * provinces
        dates = np.array(
            [add_months(self.scenario.start, m) for m in range(months)], dtype="datetime64[D]"
        )
        columns: dict[str, Any] = {
            "scenario": pa.array([self.name] * rows, pa.string()),
            "run": pa.array(np.repeat(np.arange(runs), months * provinces), pa.int32()),
            "month": pa.array(np.tile(np.repeat(np.arange(months), provinces), runs), pa.int32()),
            "date": pa.array(np.tile(np.repeat(dates, provinces), runs), pa.date32()),
            "admin1_code": pa.array(np.tile(PROVINCES, runs * months), pa.string()),
        }
        for metric in METRICS:
            columns[metric] = pa.array(self.series[metric].reshape(-1), pa.int64())
        return pa.table(columns)


def run_label(scenario: Scenario, seed: int, index: int) -> str:
    """The label of one run, used in its simulated event ids."""
    return f"{scenario.name}-s{seed}-r{index}"


def resolve_posterior(
    scenario: Scenario, posterior: Posterior | str | Path | None
) -> tuple[Posterior | None, str | None]:
    """The posterior to run over: the one given, else the scenario's file, else none."""
    if isinstance(posterior, Posterior):
        return posterior, str(posterior.info.get("path", "given"))
    path = Path(posterior) if posterior is not None else scenario.posterior
    if path is None:
        return None, None
    return load_posterior(path), str(path)


def run_ensemble(
    scenario: Scenario,
    *,
    runs: int = DEFAULT_RUNS,
    months: int | None = None,
    seed: int = 0,
    posterior: Posterior | str | Path | None = None,
    on_run: Callable[[int], None] | None = None,
) -> Ensemble:
    """Run a scenario ``runs`` times.

    Args:
        scenario: what to run.
        runs: how many runs.
        months: months per run (default: the scenario's, else 60).
        seed: the ensemble's seed (run seeds and posterior draws follow from it).
        posterior: a :class:`Posterior` or posterior file to draw the calibrated parameters
            from (default: the scenario's ``posterior``; none: the scenario's parameters).
        on_run: called with the number of runs done, after each.
    """
    if runs < 1:
        raise InputError(f"runs: {runs} must be at least 1")
    length = months if months is not None else (scenario.months or DEFAULT_MONTHS)
    if length < 1:
        raise InputError(f"months: {length} must be at least 1")
    chosen, source = resolve_posterior(scenario, posterior)
    seeds = np.random.SeedSequence(seed).generate_state(runs).astype(np.int64)
    draws = (
        chosen.sample(runs, np.random.default_rng([seed, 1]))
        if chosen is not None
        else [{} for _ in range(runs)]
    )
    series = {m: np.zeros((runs, length, len(PROVINCES)), dtype=np.int32) for m in METRICS}
    start = {m: np.zeros((runs, len(PROVINCES)), dtype=np.int64) for m in STOCKS}
    for r in range(runs):
        result = simulate(
            scenario.population,
            scenario.policy,
            scenario.params.replace(**draws[r]),
            months=length,
            seed=int(seeds[r]),
            label=run_label(scenario, seed, r),
            start_date=scenario.start,
        )
        for metric in METRICS:
            series[metric][r] = result.series[metric]
        for metric in STOCKS:
            start[metric][r] = result.start[metric]
        if on_run is not None:
            on_run(r + 1)
    return Ensemble(
        scenario=scenario,
        months=length,
        seed=seed,
        seeds=seeds,
        draws=draws,
        series=series,
        start=start,
        posterior=source,
        calibration=calibration_of(chosen),
    )


def calibration_of(posterior: Posterior | None) -> dict[str, Any] | None:
    """What a posterior says of itself: shrinkage, weak parameters, its check and sentences."""
    if posterior is None:
        return None
    return {
        "shrinkage": posterior.shrinkage(),
        "weak": posterior.weak(),
        "ppc": posterior.ppc,
        "statistics": list(posterior.statistics),
        "observed": posterior.observed,
        "sentences": posterior.sentences(),
    }
