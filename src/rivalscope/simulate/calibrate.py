"""Calibration by approximate Bayesian computation (rejection ABC) to the store's data.

Four summary statistics are read from the store (through Ibis over the rows that count, so rows
pending review are left out) for one country, window and source choice (one source's events,
or the fused view counting each real-world event once: :func:`rivalscope.fusion.choose`):

* ``clashes_per_year``: clashes between ISKP and the Taliban, per calendar year of the window;
* ``provinces_clashed_per_year``: provinces with at least one such clash, averaged over years;
* ``defections_per_year``: fighters who defected between the two, either way, per year (a
  record without a ``fighters`` count is one fighter); left out when the store holds no
  defection record for the country at all (not recorded is not zero);
* ``attacks_per_year``: attacks with ISKP as the acting side, per year.

The model computes the same statistics from a run (12-month blocks stand for calendar years).
Rejection ABC draws the free parameters (:data:`rivalscope.simulate.model.FREE_PARAMETERS`) from
their priors, runs the model once per draw, and keeps the draws whose statistics are closest to
the observed ones: distance is the Euclidean distance between ``log1p`` statistics, each divided
by its median absolute deviation over all draws. The kept draws are the posterior sample.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from rivalscope.errors import InputError
from rivalscope.simulate.model import FREE_PARAMETERS, Params, RunResult, simulate
from rivalscope.simulate.scenario import Scenario

if TYPE_CHECKING:
    from rivalscope.store import Store

STATISTICS: Final[tuple[str, ...]] = (
    "clashes_per_year",
    "provinces_clashed_per_year",
    "defections_per_year",
    "attacks_per_year",
)
FORMAT: Final = "rivalscope-posterior/1"


@dataclass(frozen=True)
class Prior:
    """A uniform prior on ``[low, high]``, or log-uniform when ``log``."""

    low: float
    high: float
    log: bool = False

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws."""
        if self.log:
            return np.exp(rng.uniform(math.log(self.low), math.log(self.high), size))
        return rng.uniform(self.low, self.high, size)


PRIORS: Final[dict[str, Prior]] = {
    "clash_rate": Prior(0.02, 5.0, log=True),
    "attack_rate": Prior(0.02, 5.0, log=True),
    "defect_base": Prior(1e-5, 1e-2, log=True),
    "isk_spread": Prior(0.0, 1.0),
}
"""Priors of the free parameters: wide, log-uniform for rates (assumed)."""


@dataclass(frozen=True)
class Observed:
    """Summary statistics read from a store.

    Attributes:
        values: ``{statistic: value}``; None where the store cannot say (see ``notes``).
        years: the calendar years the rates are taken over.
        notes: why a statistic is missing.
        window: ``{"country", "since", "until", "actor", "rival", "db", "source"}``.
    """

    values: dict[str, float | None]
    years: list[int]
    notes: list[str]
    window: dict[str, Any]


def observed_statistics(
    store: Store,
    *,
    actor: str = "ISKP",
    rival: str = "TALIBAN",
    country: str = "AFG",
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
    source: str | None = None,
) -> Observed:
    """The four calibration statistics from the store's counted rows.

    Args:
        store: an open store.
        actor: the group the model calls ISKP (id or alias).
        rival: the group the model calls the Taliban.
        country: ISO3 code or name.
        since: first day of the window (default: ``actor``'s first event in the country).
        until: last day of the window (default: the last event in the country).
        source: the events read: a source (``ucdp``, ``acled``, ...) or ``fused``; default
            ``fused`` where two sources or more hold events in the country.

    Raises:
        InputError: the window holds no event in the country, or the source none at all.
    """
    import rivalscope.fusion as fusion
    from rivalscope.places import country_iso3

    iso3 = country_iso3(country)
    if iso3 is None:
        raise InputError(f"no country is called {country!r}")
    a, r = store.actor_id(actor), store.actor_id(rival)
    first, last = _day(since, "since"), _day(until, "until")
    chosen = fusion.choose(store, source, iso3)
    ev = fusion.view(store, chosen, iso3)
    ev = ev.filter(ev.country_iso3 == iso3)
    if first is not None:
        ev = ev.filter(ev.date_start >= first)
    if last is not None:
        ev = ev.filter(ev.date_start <= last)
    involved = ev.filter((ev.actor1 == a) | (ev.actor2 == a))
    span = ev.aggregate(hi=ev.date_start.max()).to_pyarrow()
    started = involved.aggregate(lo=involved.date_start.min()).to_pyarrow()
    lo, hi = started.column("lo")[0].as_py(), span.column("hi")[0].as_py()
    if hi is None:
        raise InputError(
            f"the store has no events in {iso3} in the window: nothing to calibrate to"
        )
    if lo is None and first is None:
        raise InputError(
            f"the store has no {a} events in {iso3} in the window: give the first day to "
            "calibrate from",
            parameter="since",
        )
    years = list(range((first or lo).year, (last or hi).year + 1))
    dyad = ((ev.actor1 == a) & (ev.actor2 == r)) | ((ev.actor1 == r) & (ev.actor2 == a))
    clashes = ev.filter((ev.event_type == "clash") & dyad)
    per_year = (
        clashes.group_by(year=clashes.date_start.year())
        .aggregate(n=clashes.count(), provinces=clashes.admin1_code.nunique())
        .to_pyarrow()
    )
    attacks = ev.filter((ev.event_type == "attack") & (ev.actor1 == a)).count().to_pyarrow()
    n_years = len(years)
    values: dict[str, float | None] = {
        "clashes_per_year": sum(per_year.column("n").to_pylist()) / n_years,
        "provinces_clashed_per_year": sum(per_year.column("provinces").to_pylist()) / n_years,
        "attacks_per_year": float(attacks.as_py()) / n_years,
    }
    d = store.counted("defections")
    d = d.filter(d.country_iso3 == iso3)
    if first is not None:
        d = d.filter(d.date >= first)
    if last is not None:
        d = d.filter(d.date <= last)
    notes = []
    recorded = d.count().to_pyarrow().as_py()
    if recorded == 0:
        values["defections_per_year"] = None
        notes.append(
            f"defections_per_year: the store holds no defection record for {iso3} in the "
            "window (not recorded is not zero), so calibration does not use it"
        )
    else:
        pair = ((d.from_actor == a) & (d.to_actor == r)) | ((d.from_actor == r) & (d.to_actor == a))
        moved = d.filter(pair).aggregate(n=d.fighters.fill_null(1).sum()).to_pyarrow()
        values["defections_per_year"] = float(moved.column("n")[0].as_py() or 0) / n_years
    window = {
        "db": store.path,
        "country": iso3,
        "actor": a,
        "rival": r,
        "since": (first or lo).isoformat(),
        "until": (last or hi).isoformat(),
        "source": chosen,
    }
    return Observed(values, years, notes, window)


def _day(value: dt.date | str | None, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{value!r} is not a YYYY-MM-DD date", parameter=name) from exc


def run_statistics(run: RunResult) -> dict[str, float]:
    """The calibration statistics of one run (12-month blocks stand for calendar years)."""
    years = run.months / 12.0
    clashes = run.series["clashes"]
    blocks = [clashes[i : i + 12] for i in range(0, run.months, 12)]
    provinces = [int((block.sum(axis=0) > 0).sum()) for block in blocks]
    defections = run.series["defections_to_iskp"].sum() + run.series["defections_to_taliban"].sum()
    attacks = run.series["attacks"].sum() + run.series["informants_killed"].sum()
    return {
        "clashes_per_year": float(clashes.sum()) / years,
        "provinces_clashed_per_year": float(np.mean(provinces)),
        "defections_per_year": float(defections) / years,
        "attacks_per_year": float(attacks) / years,
    }


@dataclass(frozen=True)
class Posterior:
    """The accepted parameter draws of a calibration, with how they were obtained.

    Attributes:
        samples: ``{parameter: array}`` of accepted draws (equal weights).
        distances: each accepted draw's distance to the observed statistics.
        epsilon: the largest accepted distance.
        observed: the statistics calibrated to (None where not used).
        statistics: the statistics used.
        draws: how many prior draws were simulated.
        priors: ``{parameter: {"low", "high", "log"}}``.
        info: where it came from: store, window, scenario, months, seed, method, created.
    """

    samples: dict[str, np.ndarray]
    distances: np.ndarray
    epsilon: float
    observed: dict[str, float | None]
    statistics: tuple[str, ...]
    draws: int
    priors: dict[str, dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The calibrated parameters."""
        return tuple(self.samples)

    @property
    def size(self) -> int:
        """How many draws were accepted."""
        return len(self.distances)

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """The central ``level`` interval of one parameter's posterior."""
        values = self._values(name)
        tail = (1 - level) / 2
        low, high = np.quantile(values, [tail, 1 - tail])
        return float(low), float(high)

    def median(self, name: str) -> float:
        """The posterior median of one parameter."""
        return float(np.median(self._values(name)))

    def _values(self, name: str) -> np.ndarray:
        if name not in self.samples:
            raise InputError(f"the posterior has no parameter {name!r}: {', '.join(self.samples)}")
        return self.samples[name]

    def sample(self, n: int, rng: np.random.Generator) -> list[dict[str, float]]:
        """``n`` draws (with replacement) as parameter dicts."""
        picks = rng.integers(0, self.size, size=n)
        return [{k: float(v[i]) for k, v in self.samples.items()} for i in picks]

    def params(self, base: Params, draw: Mapping[str, float]) -> Params:
        """``base`` with one draw's values."""
        return base.replace(**dict(draw))

    def summary(self, level: float = 0.9) -> list[dict[str, Any]]:
        """Per parameter: prior bounds, posterior median and central interval."""
        rows = []
        for name in self.samples:
            low, high = self.interval(name, level)
            rows.append(
                {
                    "parameter": name,
                    "median": self.median(name),
                    "low": low,
                    "high": high,
                    "level": level,
                    "prior_low": self.priors[name]["low"],
                    "prior_high": self.priors[name]["high"],
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The posterior as JSON-ready data (what :meth:`save` writes)."""
        return {
            "format": FORMAT,
            "method": "rejection-abc",
            "info": self.info,
            "observed": self.observed,
            "statistics": list(self.statistics),
            "draws": self.draws,
            "accepted": self.size,
            "epsilon": self.epsilon,
            "priors": self.priors,
            "summary": self.summary(),
            "samples": {k: v.tolist() for k, v in self.samples.items()},
            "distances": self.distances.tolist(),
        }

    def save(self, path: str | Path) -> Path:
        """Write the posterior as JSON, atomically."""
        target = Path(path)
        text = json.dumps(self.to_dict(), indent=1, default=str)
        handle, temporary = tempfile.mkstemp(dir=target.parent or Path("."), suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.replace(temporary, target)
        return target


def load_posterior(path: str | Path) -> Posterior:
    """Read a posterior written by :meth:`Posterior.save`.

    Raises:
        InputError: the file is unreadable or not a Rivalscope posterior.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(
            f"{path}: no such posterior file (run `rivalscope simulate calibrate`)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the posterior: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path}: not a Rivalscope posterior (format {FORMAT})")
    try:
        samples = {k: np.asarray(v, dtype=float) for k, v in data["samples"].items()}
        known = {f.name for f in dataclasses.fields(Params)}
        unknown = sorted(set(samples) - known)
        if unknown:
            raise InputError(f"{path}: samples: unknown parameter {unknown[0]!r}")
        sizes = {len(v) for v in samples.values()}
        if len(sizes) != 1 or 0 in sizes:
            raise InputError(f"{path}: samples: every parameter needs the same, non-zero count")
        return Posterior(
            samples=samples,
            distances=np.asarray(data["distances"], dtype=float),
            epsilon=float(data["epsilon"]),
            observed=dict(data["observed"]),
            statistics=tuple(data["statistics"]),
            draws=int(data["draws"]),
            priors=dict(data["priors"]),
            info=dict(data.get("info", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: malformed posterior: {exc!r}") from exc


def abc(
    observed: Mapping[str, float | None],
    *,
    scenario: Scenario | None = None,
    months: int = 36,
    draws: int = 1000,
    accept: float = 0.05,
    seed: int = 0,
    priors: Mapping[str, Prior] | None = None,
    on_draw: Callable[[int], None] | None = None,
) -> Posterior:
    """Rejection ABC against given statistics.

    Args:
        observed: ``{statistic: value}``; None values are not used.
        scenario: the world simulated (population, policy, fixed parameters); default baseline.
        months: months per simulated run (a multiple of 12 matches calendar years).
        draws: how many prior draws to simulate.
        accept: the share of draws kept (at least 2 are kept).
        seed: seed of the prior draws and of the runs.
        priors: priors of the parameters to fit (default :data:`PRIORS`).
        on_draw: called with the number of draws done, after each.
    """
    scenario = scenario or Scenario()
    priors = dict(priors or PRIORS)
    unknown = sorted(
        set(priors) - set(FREE_PARAMETERS) - {f.name for f in dataclasses.fields(Params)}
    )
    if unknown:
        raise InputError(f"unknown parameter {unknown[0]!r} in priors")
    used = tuple(s for s in STATISTICS if observed.get(s) is not None)
    if not used:
        raise InputError("no observed statistic to calibrate to")
    if draws < 2 or not 0 < accept <= 1:
        raise InputError("draws must be >= 2 and accept in (0, 1]")
    rng = np.random.default_rng(seed)
    theta = {name: prior.draw(rng, draws) for name, prior in priors.items()}
    seeds = np.random.SeedSequence(seed).generate_state(draws)
    simulated = np.empty((draws, len(used)))
    for i in range(draws):
        params = scenario.params.replace(**{k: float(v[i]) for k, v in theta.items()})
        run = simulate(
            scenario.population, scenario.policy, params, months=months, seed=int(seeds[i])
        )
        stats = run_statistics(run)
        simulated[i] = [stats[s] for s in used]
        if on_draw is not None:
            on_draw(i + 1)
    target = np.log1p(np.array([float(observed[s]) for s in used]))  # type: ignore[arg-type]
    logged = np.log1p(simulated)
    spread = np.median(np.abs(logged - np.median(logged, axis=0)), axis=0)
    spread = np.where(spread > 0, spread, np.maximum(logged.std(axis=0), 1e-9))
    distance = np.sqrt((((logged - target) / spread) ** 2).sum(axis=1))
    keep = max(2, round(accept * draws))
    order = np.argsort(distance, kind="stable")[:keep]
    return Posterior(
        samples={name: values[order] for name, values in theta.items()},
        distances=distance[order],
        epsilon=float(distance[order[-1]]),
        observed={s: (None if observed.get(s) is None else float(observed[s])) for s in STATISTICS},  # type: ignore[arg-type]
        statistics=used,
        draws=draws,
        priors={k: dataclasses.asdict(p) for k, p in priors.items()},
        info={
            "method": "rejection-abc",
            "accept": accept,
            "months": months,
            "seed": seed,
            "scenario": scenario.name,
            "scenario_path": str(scenario.path) if scenario.path else None,
            "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )


def calibrate(
    store: Store,
    *,
    scenario: Scenario | None = None,
    draws: int = 1000,
    accept: float = 0.05,
    months: int | None = None,
    seed: int = 0,
    country: str = "AFG",
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
    on_draw: Callable[[int], None] | None = None,
    source: str | None = None,
) -> Posterior:
    """Fit the free parameters to the store's summary statistics by rejection ABC.

    Args:
        store: an open store.
        scenario: the world simulated (default baseline).
        draws: prior draws to simulate.
        accept: share of draws kept.
        months: months per run (default: 12 per calendar year of the window, at most 120).
        seed: seed of the draws and runs.
        country: ISO3 code or name of the data.
        since: first day of the data window.
        until: last day of the data window.
        on_draw: progress callback.
        source: the events read: a source or ``fused`` (see :func:`observed_statistics`).
    """
    observed = observed_statistics(store, country=country, since=since, until=until, source=source)
    length = months if months is not None else min(120, 12 * len(observed.years))
    posterior = abc(
        observed.values,
        scenario=scenario,
        months=length,
        draws=draws,
        accept=accept,
        seed=seed,
        on_draw=on_draw,
    )
    info = {**posterior.info, "window": observed.window, "years": observed.years}
    info["notes"] = observed.notes
    return dataclasses.replace(posterior, info=info)
