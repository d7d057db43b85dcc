"""Global sensitivity analysis: which levers and parameters move the outcomes most (SALib).

Morris's elementary effects (default; cheap, ranks by ``mu_star``, the mean absolute effect of
moving a factor across its range) or Sobol's variance decomposition (ranks by the total-order
index ``ST``). Every run of one analysis uses the same seed, so the effects measured are those
of the factors, not of chance (common random numbers). Rates whose plausible range spans orders
of magnitude vary on a log10 scale.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.simulate.calibrate import PRIORS
from rivalscope.simulate.model import METRICS, Params, Policy, RunResult, simulate
from rivalscope.simulate.scenario import Scenario

Method = Literal["morris", "sobol"]


@dataclass(frozen=True)
class Factor:
    """One factor varied: a policy lever or a model parameter, over ``[low, high]``.

    ``log``: the range is of log10 values (the factor is ``10 ** x``).
    """

    name: str
    kind: Literal["policy", "parameter"]
    low: float
    high: float
    log: bool = False

    def value(self, x: float) -> float:
        """The factor's value at sample coordinate ``x``."""
        return float(10**x) if self.log else float(x)


def _around(name: str, spread: float = 0.5) -> Factor:
    default = float(getattr(Params(), name))
    return Factor(name, "parameter", default * (1 - spread), default * (1 + spread))


FACTORS: Final[tuple[Factor, ...]] = (
    Factor("cooperation", "policy", 0.0, 1.0),
    Factor("concession", "policy", 0.0, 1.0),
    Factor("crackdown", "policy", 0.0, 1.0),
    Factor("recruitment", "policy", 0.5, 1.5),
    Factor("attack_tempo", "policy", 0.5, 1.5),
    Factor("strike_tempo", "policy", 0.0, 4.0),
    Factor("error_rate", "policy", 0.0, 0.4),
    *(
        Factor(name, "parameter", math.log10(p.low), math.log10(p.high), log=True)
        if p.log
        else Factor(name, "parameter", p.low, p.high)
        for name, p in PRIORS.items()
    ),
    _around("beta_concession"),
    _around("beta_cooperation"),
    _around("beta_isk_local"),
    _around("beta_grievance"),
    _around("beta_loyalty"),
    _around("reverse_base"),
    _around("desert_base"),
    _around("recruit_isk"),
    _around("intel_share"),
    Factor("leak_probability", "parameter", 0.4, 1.0),
    _around("strike_hit_cooperation"),
    _around("strike_kills"),
    _around("informants_per_leak"),
)
"""The factors varied by default, with their ranges (free parameters over their priors)."""

OUTPUTS: Final[tuple[str, ...]] = (
    "iskp_fighters",
    "taliban_fighters",
    "defections_to_iskp",
    "civilian_deaths",
    "leaks",
)
"""Outcomes measured by default: fighters at the end, the others summed over the run."""


@dataclass(frozen=True)
class Sensitivity:
    """Factors ranked by their effect on each output.

    Attributes:
        method: ``morris`` or ``sobol``.
        table: one row per output and factor: ``output``, ``factor``, ``kind``, ``rank``
            (1 = largest effect), ``importance`` (``mu_star`` or ``ST``), ``conf`` (its
            confidence half-width) and the method's other measures (``mu``, ``sigma`` or
            ``S1``, ``S1_conf``).
        runs: how many model runs it took.
        months: months per run.
        scenario: the scenario analysed.
    """

    method: str
    table: pa.Table
    runs: int
    months: int
    scenario: str

    def ranking(self, output: str) -> list[str]:
        """The factors for one output, largest effect first."""
        rows = [r for r in self.table.to_pylist() if r["output"] == output]
        if not rows:
            raise InputError(f"no output {output!r} in this analysis")
        return [r["factor"] for r in sorted(rows, key=lambda r: r["rank"])]


def _outcome(run: RunResult, output: str) -> float:
    total = run.total(output)
    return float(total[-1] if output in ("iskp_fighters", "taliban_fighters") else total.sum())


def sensitivity(
    scenario: Scenario | None = None,
    *,
    method: Method = "morris",
    samples: int = 10,
    months: int = 36,
    seed: int = 0,
    outputs: tuple[str, ...] = OUTPUTS,
    factors: tuple[Factor, ...] = FACTORS,
    on_run: Callable[[int, int], None] | None = None,
) -> Sensitivity:
    """Rank factors by their effect on the outputs.

    Args:
        scenario: the world around which factors vary (default baseline).
        method: ``morris`` (``samples`` trajectories) or ``sobol`` (``samples`` base samples,
            rounded up to a power of two).
        samples: see ``method``.
        months: months per run.
        seed: the sample's seed and every run's seed.
        outputs: metrics to measure (names of :data:`rivalscope.simulate.model.METRICS`).
        factors: what to vary.
        on_run: called with (runs done, runs in all) after each run.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    scenario = scenario or Scenario()
    unknown = [o for o in outputs if o not in METRICS]
    if unknown:
        raise InputError(f"unknown output {unknown[0]!r}: use one of {', '.join(METRICS)}")
    if method not in ("morris", "sobol"):
        raise InputError(f"unknown method {method!r}: use morris or sobol")
    if samples < 2:
        raise InputError("samples must be at least 2")
    problem = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }
    if method == "morris":
        x = morris_sample.sample(problem, samples, num_levels=4, seed=seed)
    else:
        base = 2 ** math.ceil(math.log2(samples))
        x = sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)
    y = np.empty((len(x), len(outputs)))
    for i, row in enumerate(x):
        run = _run(scenario, factors, row, months, seed)
        y[i] = [_outcome(run, o) for o in outputs]
        if on_run is not None:
            on_run(i + 1, len(x))
    rows: list[dict[str, Any]] = []
    for j, output in enumerate(outputs):
        if method == "morris":
            result = morris_analyze.analyze(problem, x, y[:, j], num_levels=4, seed=seed)
            measures = {
                "importance": result["mu_star"],
                "conf": result["mu_star_conf"],
                "mu": result["mu"],
                "sigma": result["sigma"],
            }
        else:
            result = sobol_analyze.analyze(problem, y[:, j], calc_second_order=False, seed=seed)
            measures = {
                "importance": result["ST"],
                "conf": result["ST_conf"],
                "S1": result["S1"],
                "S1_conf": result["S1_conf"],
            }
        importance = np.nan_to_num(np.asarray(measures["importance"], dtype=float))
        ranks = np.empty(len(factors), dtype=np.int64)
        ranks[np.argsort(-importance, kind="stable")] = np.arange(1, len(factors) + 1)
        for k, factor in enumerate(factors):
            row_out: dict[str, Any] = {
                "output": output,
                "factor": factor.name,
                "kind": factor.kind,
                "scale": "log10" if factor.log else "linear",
                "low": factor.low,
                "high": factor.high,
                "rank": int(ranks[k]),
            }
            for name, values in measures.items():
                row_out[name] = _finite(values[k])
            rows.append(row_out)
    rows.sort(key=lambda r: (outputs.index(r["output"]), r["rank"]))
    return Sensitivity(method, pa.Table.from_pylist(rows), len(x), months, scenario.name)


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _run(
    scenario: Scenario, factors: tuple[Factor, ...], row: np.ndarray, months: int, seed: int
) -> RunResult:
    policy_changes: dict[str, Any] = {}
    param_changes: dict[str, float] = {}
    for factor, x in zip(factors, row, strict=True):
        value = factor.value(float(x))
        if factor.kind == "policy":
            if factor.name == "crackdown":
                policy_changes["crackdown"] = (value,) * len(scenario.policy.crackdown)
            else:
                policy_changes[factor.name] = value
        else:
            param_changes[factor.name] = value
    policy: Policy = dataclasses.replace(scenario.policy, **policy_changes)
    params = scenario.params.replace(**param_changes)
    return simulate(scenario.population, policy, params, months=months, seed=seed)
