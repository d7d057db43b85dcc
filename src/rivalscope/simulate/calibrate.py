"""Calibration by approximate Bayesian computation (rejection ABC) to the store's data.

Summary statistics are read from the store (through Ibis over the rows that count, so rows
pending review are left out) for one country, window and source choice (one source's events,
or the fused view counting each real-world event once: :func:`rivalscope.fusion.choose`):

* ``clashes_per_year``: clashes between ISKP and the Taliban, per calendar year of the window;
* ``clash_deaths_per_year``: deaths in those clashes (``fatalities_best``), per year;
* ``provinces_clashed_per_year``: provinces with at least one such clash, averaged over years;
* ``attacks_per_year``: attacks with ISKP as the acting side, per year;
* ``attack_deaths_per_year``: deaths in those attacks, per year;
* ``iskp_late_share``: ISKP's activity over time: of ISKP's events (its clashes with the
  Taliban and its attacks), the share in the later half of the window's years (the middle year
  of an odd count left out; 0.5 is steady, less is a decline); left out below two years;
* ``iskp_last_to_peak``: ISKP's events in the window's last year over those in its busiest
  year (1 is a peak at the end, near 0 a collapse); left out below two years; checked by the
  posterior predictive check, not fitted (:data:`CHECK_ONLY`);
* ``defections_per_year``: fighters who defected between the two, either way, per year (a
  record without a ``fighters`` count is one fighter); left out when the store holds no
  defection record for the country at all (not recorded is not zero).

The model has no Taliban violence outside its clashes with ISKP, so the Taliban's side is
measured by the clashes alone.

The model computes the same statistics from a run (12-month blocks stand for calendar years).
Rejection ABC draws the free parameters (:data:`rivalscope.simulate.model.FREE_PARAMETERS`) from
their priors, runs the model once per draw, and keeps the draws whose statistics are closest to
the observed ones: distance is the Euclidean distance between ``log1p`` statistics, each divided
by its median absolute deviation over all draws. The kept draws are the posterior sample. A
statistic that no parameter moves over the prior draws (rank correlation below
:data:`INFORMATIVE` in size with every parameter) is noise to the distance: it is left out of
the fit (``info["uninformative"]``) and still checked by the posterior predictive check.

Three checks say how much to trust it (:meth:`Posterior.shrinkage`, :func:`informativeness`,
:func:`posterior_predictive`):

* shrinkage per parameter: ``1 - (width of the posterior's central 90% interval) / (width of
  the prior's)``, both on the prior's scale (log for log-uniform priors): 0 means the data left
  the parameter as uncertain as the prior, 1 pinned it down. Below :data:`WEAK_SHRINKAGE` a
  parameter is *weakly identified*, and comparisons that hinge on it are marked as such;
* informativeness: the rank correlation of each statistic with each parameter over the prior
  draws (which statistic can tell us about which parameter at all);
* a posterior predictive check (PPC): fresh runs with parameters drawn from the posterior give
  each statistic's simulated 5%, 50% and 95% points; an observed value outside them means the
  model, even calibrated, does not reproduce that feature of the data.
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
    "clash_deaths_per_year",
    "provinces_clashed_per_year",
    "attacks_per_year",
    "attack_deaths_per_year",
    "iskp_late_share",
    "iskp_last_to_peak",
    "defections_per_year",
)
STATISTIC_LABELS: Final[dict[str, str]] = {
    "clashes_per_year": "clashes per year",
    "clash_deaths_per_year": "clash deaths per year",
    "provinces_clashed_per_year": "provinces with a clash per year",
    "attacks_per_year": "ISKP attacks per year",
    "attack_deaths_per_year": "deaths in ISKP attacks per year",
    "iskp_late_share": "share of ISKP's events in the later half",
    "iskp_last_to_peak": "ISKP's events in the last year / in its busiest year",
    "defections_per_year": "defecting fighters per year",
}
CHECK_ONLY: Final[tuple[str, ...]] = ("iskp_last_to_peak",)
"""Statistics the posterior predictive check tests but the fit does not use: one year's count
over the busiest year's is mostly chance at these counts, and a fit pulled toward the few runs
that match it by luck loses the rates (on UCDP GED 21.1 it erased the clash rate's shrinkage)."""
WEAK_SHRINKAGE: Final = 0.5
"""A parameter whose shrinkage is below this is weakly identified: its 90% posterior interval
is more than half as wide as the prior's."""
INFORMATIVE: Final = 0.3
"""A statistic informs a parameter when their rank correlation over the prior draws is at least
this large in size."""
PPC_RUNS: Final = 100
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
    """The calibration statistics (:data:`STATISTICS`) from the store's counted rows.

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
        .aggregate(
            n=clashes.count(),
            provinces=clashes.admin1_code.nunique(),
            deaths=clashes.fatalities_best.fill_null(0).sum(),
            unknown=clashes.fatalities_best.isnull().sum(),
        )
        .to_pyarrow()
        .to_pydict()
    )
    attacks = ev.filter((ev.event_type == "attack") & (ev.actor1 == a))
    attacks_per_year = (
        attacks.group_by(year=attacks.date_start.year())
        .aggregate(
            n=attacks.count(),
            deaths=attacks.fatalities_best.fill_null(0).sum(),
            unknown=attacks.fatalities_best.isnull().sum(),
        )
        .to_pyarrow()
        .to_pydict()
    )
    n_years = len(years)
    iskp_events = np.zeros(n_years)
    for table in (per_year, attacks_per_year):
        for year, n in zip(table["year"], table["n"], strict=True):
            iskp_events[years.index(int(year))] += int(n)
    values: dict[str, float | None] = {
        "clashes_per_year": sum(per_year["n"]) / n_years,
        "clash_deaths_per_year": float(sum(per_year["deaths"] or [0])) / n_years,
        "provinces_clashed_per_year": sum(per_year["provinces"]) / n_years,
        "attacks_per_year": sum(attacks_per_year["n"]) / n_years,
        "attack_deaths_per_year": float(sum(attacks_per_year["deaths"] or [0])) / n_years,
        **_trend(iskp_events),
    }
    notes = []
    for name, table in (("clash", per_year), ("attack", attacks_per_year)):
        unknown = int(sum(table["unknown"] or [0]))
        if unknown:
            notes.append(
                f"{name}_deaths_per_year: {unknown:,} {name} events have no death count and "
                "count as 0"
            )
    if n_years < 2:
        notes.append(
            "iskp_late_share, iskp_last_to_peak: the window holds fewer than two calendar "
            "years, so calibration does not use them"
        )
    d = store.counted("defections")
    d = d.filter(d.country_iso3 == iso3)
    if first is not None:
        d = d.filter(d.date >= first)
    if last is not None:
        d = d.filter(d.date <= last)
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


def _trend(events: np.ndarray) -> dict[str, float | None]:
    """ISKP's activity over time from its events per year: the later half's share and the last
    year against the busiest (None below two years, or without any event)."""
    n = len(events)
    half = n // 2
    total = float(events[:half].sum() + events[n - half :].sum())
    if half == 0 or total == 0:
        return {"iskp_late_share": None, "iskp_last_to_peak": None}
    return {
        "iskp_late_share": float(events[n - half :].sum()) / total,
        "iskp_last_to_peak": float(events[-1]) / float(events.max()),
    }


def run_statistics(run: RunResult) -> dict[str, float]:
    """The calibration statistics of one run (12-month blocks stand for calendar years).

    ``iskp_late_share`` and ``iskp_last_to_peak`` are NaN for a run shorter than two years or
    without any ISKP event.
    """
    years = run.months / 12.0
    s = run.series
    clashes = s["clashes"]
    blocks = range(0, run.months, 12)
    provinces = [int((clashes[i : i + 12].sum(axis=0) > 0).sum()) for i in blocks]
    defections = s["defections_to_iskp"].sum() + s["defections_to_taliban"].sum()
    informants = s["informants_killed"]
    attacks = s["attacks"].sum(axis=1) + informants.sum(axis=1)
    attack_deaths = (
        s["attack_deaths_taliban"].sum() + s["attack_civilian_deaths"].sum() + informants.sum()
    )
    monthly = clashes.sum(axis=1) + attacks
    trend = _trend(np.array([monthly[i : i + 12].sum() for i in blocks], dtype=float))
    return {
        "clashes_per_year": float(clashes.sum()) / years,
        "clash_deaths_per_year": float(s["clash_deaths"].sum()) / years,
        "provinces_clashed_per_year": float(np.mean(provinces)),
        "attacks_per_year": float(attacks.sum()) / years,
        "attack_deaths_per_year": float(attack_deaths) / years,
        **{k: (math.nan if v is None else v) for k, v in trend.items()},
        "defections_per_year": float(defections) / years,
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
        informs: ``{statistic: {parameter: rank correlation over all prior draws}}`` (see
            :func:`informativeness`); empty when not computed.
        ppc: the posterior predictive check (see :func:`posterior_predictive`); None when not
            run.
    """

    samples: dict[str, np.ndarray]
    distances: np.ndarray
    epsilon: float
    observed: dict[str, float | None]
    statistics: tuple[str, ...]
    draws: int
    priors: dict[str, dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)
    informs: dict[str, dict[str, float]] = field(default_factory=dict)
    ppc: dict[str, Any] | None = None

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

    def shrinkage(self, level: float = 0.9) -> dict[str, dict[str, Any]]:
        """How much the data narrowed each parameter, on the prior's scale (log for log priors).

        Per parameter: ``shrinkage`` = 1 - (width of the posterior's central ``level``
        interval) / (width of the prior's), ``variance_shrinkage`` = 1 - posterior variance /
        prior variance, ``weak`` (shrinkage below :data:`WEAK_SHRINKAGE`) and the statistics
        that inform it (:data:`INFORMATIVE`). Near 0: the posterior is as wide as the prior.
        """
        out: dict[str, dict[str, Any]] = {}
        for name, values in self.samples.items():
            prior = self.priors.get(name)
            if prior is None:
                continue
            log = bool(prior.get("log"))
            lo, hi = float(prior["low"]), float(prior["high"])
            scaled = np.log(values) if log else np.asarray(values, dtype=float)
            if log:
                lo, hi = math.log(lo), math.log(hi)
            tail = (1 - level) / 2
            q_low, q_high = np.quantile(scaled, [tail, 1 - tail])
            prior_width = level * (hi - lo)
            prior_var = (hi - lo) ** 2 / 12
            width = 1.0 - float(q_high - q_low) / prior_width if prior_width > 0 else 0.0
            var = 1.0 - float(np.var(scaled)) / prior_var if prior_var > 0 else 0.0
            informed = sorted(
                (stat for stat, row in self.informs.items() if stat in self.statistics
                 and abs(row.get(name, 0.0)) >= INFORMATIVE),
                key=lambda stat: -abs(self.informs[stat][name]),
            )  # fmt: skip
            out[name] = {
                "shrinkage": round(width, 4),
                "variance_shrinkage": round(var, 4),
                "weak": width < WEAK_SHRINKAGE,
                "scale": "log" if log else "linear",
                "level": level,
                "informed_by": informed,
            }
        return out

    def weak(self) -> list[str]:
        """The weakly identified parameters (shrinkage below :data:`WEAK_SHRINKAGE`)."""
        return [name for name, row in self.shrinkage().items() if row["weak"]]

    def sentences(self) -> list[str]:
        """Plain sentences on identification and on the posterior predictive check."""
        out = []
        shrink = self.shrinkage()
        weak = [name for name, row in shrink.items() if row["weak"]]
        fitted = len(self.statistics)
        informative = sum(
            1
            for stat in self.statistics
            if any(abs(v) >= INFORMATIVE for v in self.informs.get(stat, {}).values())
        )
        if self.informs:
            out.append(
                f"{len(self.samples)} parameters fitted on {fitted} summary statistics, "
                f"{informative} of them informative (rank correlation of at least "
                f"{INFORMATIVE:g} with a parameter over the prior draws)"
                + (
                    ": fewer informative statistics than parameters."
                    if informative < len(self.samples)
                    else "."
                )
            )
            blind = [name for name, row in shrink.items() if not row["informed_by"]]
            if blind:
                out.append(
                    f"No fitted statistic informs {', '.join(blind)}: the data cannot tell "
                    + ("its values" if len(blind) == 1 else "their values")
                    + " apart, whatever the number of statistics."
                )
        if weak:
            listed = ", ".join(f"{n} (shrinkage {shrink[n]['shrinkage']:.2f})" for n in weak)
            out.append(
                f"Weakly identified: {listed}: the data barely narrow their priors, so results "
                "that depend on them reflect the prior, not the data."
            )
        else:
            out.append(
                "Every parameter's 90% interval is at most half as wide as its prior's "
                f"(shrinkage >= {WEAK_SHRINKAGE:g})."
            )
        if self.ppc is not None:
            out.extend(self.ppc.get("sentences", []))
        return out

    def summary(self, level: float = 0.9) -> list[dict[str, Any]]:
        """Per parameter: prior bounds, posterior median, central interval and shrinkage."""
        rows = []
        shrink = self.shrinkage(level)
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
                    "shrinkage": shrink.get(name, {}).get("shrinkage"),
                    "weak": shrink.get(name, {}).get("weak"),
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
            "shrinkage": self.shrinkage(),
            "weak": self.weak(),
            "informs": self.informs,
            "ppc": self.ppc,
            "sentences": self.sentences(),
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
            informs={k: dict(v) for k, v in (data.get("informs") or {}).items()},
            ppc=data.get("ppc"),
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
    ppc_runs: int = 0,
    on_ppc: Callable[[int], None] | None = None,
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
        ppc_runs: fresh runs for the posterior predictive check (0: none).
        on_ppc: called with the number of check runs done, after each.
    """
    scenario = scenario or Scenario()
    priors = dict(priors or PRIORS)
    unknown = sorted(
        set(priors) - set(FREE_PARAMETERS) - {f.name for f in dataclasses.fields(Params)}
    )
    if unknown:
        raise InputError(f"unknown parameter {unknown[0]!r} in priors")
    trend = ("iskp_late_share", "iskp_last_to_peak")
    used = tuple(
        s
        for s in STATISTICS
        if observed.get(s) is not None and s not in CHECK_ONLY and not (s in trend and months < 24)
    )
    if not used:
        raise InputError("no observed statistic to calibrate to")
    if draws < 2 or not 0 < accept <= 1:
        raise InputError("draws must be >= 2 and accept in (0, 1]")
    rng = np.random.default_rng(seed)
    theta = {name: prior.draw(rng, draws) for name, prior in priors.items()}
    seeds = np.random.SeedSequence(seed).generate_state(draws)
    simulated = np.empty((draws, len(STATISTICS)))
    for i in range(draws):
        params = scenario.params.replace(**{k: float(v[i]) for k, v in theta.items()})
        run = simulate(
            scenario.population, scenario.policy, params, months=months, seed=int(seeds[i])
        )
        stats = run_statistics(run)
        simulated[i] = [stats[s] for s in STATISTICS]
        if on_draw is not None:
            on_draw(i + 1)
    informs = informativeness(theta, simulated, priors)
    # a statistic no parameter moves (over the prior draws) only adds noise to the distance:
    # it is left out of the fit, and still checked by the posterior predictive check
    uninformative = [
        s for s in used if max((abs(v) for v in informs[s].values()), default=0.0) < INFORMATIVE
    ]
    if len(uninformative) < len(used):
        used = tuple(s for s in used if s not in uninformative)
    else:
        uninformative = []
    columns = [STATISTICS.index(s) for s in used]
    target = np.log1p(np.array([float(observed[s]) for s in used]))  # type: ignore[arg-type]
    logged = np.log1p(simulated[:, columns])
    spread = np.nanmedian(np.abs(logged - np.nanmedian(logged, axis=0)), axis=0)
    fallback = np.nan_to_num(np.nanstd(logged, axis=0), nan=1.0)
    spread = np.where(spread > 0, spread, np.maximum(fallback, 1e-9))
    z = np.abs((logged - target) / spread)
    # a run without any ISKP event has no trend: as far as the farthest run
    worst = np.nan_to_num(np.nanmax(np.where(np.isnan(z), -np.inf, z), axis=0), neginf=1.0)
    z = np.where(np.isnan(z), worst, z)
    distance = np.sqrt((z**2).sum(axis=1))
    keep = max(2, round(accept * draws))
    order = np.argsort(distance, kind="stable")[:keep]
    posterior = Posterior(
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
            "uninformative": uninformative,
        },
        informs=informs,
    )
    if ppc_runs > 0:
        posterior = dataclasses.replace(
            posterior,
            ppc=posterior_predictive(
                posterior,
                scenario=scenario,
                months=months,
                runs=ppc_runs,
                seed=seed,
                on_run=on_ppc,
            ),
        )
    return posterior


def informativeness(
    theta: Mapping[str, np.ndarray], simulated: np.ndarray, priors: Mapping[str, Prior]
) -> dict[str, dict[str, float]]:
    """Spearman rank correlation of every statistic (columns of ``simulated``, in
    :data:`STATISTICS` order) with every parameter over the prior draws: a statistic can only
    inform a parameter it moves with. Runs where a statistic is undefined are left out."""
    out: dict[str, dict[str, float]] = {}
    for column, stat in enumerate(STATISTICS):
        values = simulated[:, column]
        usable = np.isfinite(values)
        row = {}
        for name in priors:
            x, y = theta[name][usable], values[usable]
            if len(x) < 3 or np.ptp(y) == 0 or np.ptp(x) == 0:
                row[name] = 0.0
                continue
            rx, ry = _ranks(x), _ranks(y)
            row[name] = round(float(np.corrcoef(rx, ry)[0, 1]), 4)
        out[stat] = row
    return out


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse])


def posterior_predictive(
    posterior: Posterior,
    *,
    scenario: Scenario | None = None,
    months: int | None = None,
    runs: int = PPC_RUNS,
    seed: int = 0,
    on_run: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The posterior predictive check: ``runs`` fresh runs, each with a posterior draw (and a
    seed no ABC draw used), against every observed statistic.

    Returns:
        ``{"runs", "months", "rows", "outside", "passes", "sentences"}``; each row holds a
        statistic's ``observed`` value, its simulated ``p05``, ``p50``, ``p95``, ``rank`` (the
        share of runs below the observed value, ties counting half), ``outside`` (observed
        below the 5% point or above the 95%) and ``fitted`` (whether ABC used it).
    """
    if runs < 1:
        raise InputError(f"ppc runs: {runs} must be at least 1")
    scenario = scenario or Scenario()
    length = int(months if months is not None else posterior.info.get("months", 36))
    draws = posterior.sample(runs, np.random.default_rng([seed, 0x99C]))
    seeds = np.random.SeedSequence([seed, 0x99C]).generate_state(runs)
    values = np.empty((runs, len(STATISTICS)))
    for i, draw in enumerate(draws):
        run = simulate(
            scenario.population,
            scenario.policy,
            posterior.params(scenario.params, draw),
            months=length,
            seed=int(seeds[i]),
        )
        stats = run_statistics(run)
        values[i] = [stats[s] for s in STATISTICS]
        if on_run is not None:
            on_run(i + 1)
    rows = []
    for column, stat in enumerate(STATISTICS):
        seen = posterior.observed.get(stat)
        simulated = values[:, column]
        simulated = simulated[np.isfinite(simulated)]
        if seen is None or len(simulated) == 0:
            continue
        p05, p50, p95 = (float(v) for v in np.quantile(simulated, [0.05, 0.5, 0.95]))
        rank = float(((simulated < seen).sum() + 0.5 * (simulated == seen).sum()) / len(simulated))
        rows.append(
            {
                "statistic": stat,
                "label": STATISTIC_LABELS[stat],
                "observed": float(seen),
                "p05": p05,
                "p50": p50,
                "p95": p95,
                "rank": rank,
                "outside": bool(seen < p05 or seen > p95),
                "fitted": stat in posterior.statistics,
                "runs": len(simulated),
            }
        )
    outside = [row["statistic"] for row in rows if row["outside"]]
    return {
        "runs": runs,
        "months": length,
        "seed": seed,
        "rows": rows,
        "outside": outside,
        "passes": not outside,
        "sentences": _ppc_sentences(rows, runs),
    }


def _ppc_sentences(rows: list[dict[str, Any]], runs: int) -> list[str]:
    bad = [row for row in rows if row["outside"]]
    if not bad:
        return [
            f"Posterior predictive check passed: every observed statistic lies within the 5-95% "
            f"range of {runs} runs drawn from the posterior (a check of fit to these "
            "statistics, not of the model's validity)."
        ]
    parts = []
    for row in bad:
        side = "above the 95th" if row["observed"] > row["p95"] else "below the 5th"
        parts.append(
            f"{row['label']} {_fmt(row['observed'])} is {side} percentile of simulated runs "
            f"(5/50/95%: {_fmt(row['p05'])}, {_fmt(row['p50'])}, {_fmt(row['p95'])}; "
            f"{row['rank']:.0%} of runs below it)"
        )
    return [
        f"The model FAILS the posterior predictive check on {len(bad)} of {len(rows)} "
        f"statistics ({runs} runs drawn from the posterior): " + "; ".join(parts) + ". "
        "Even calibrated, it does not reproduce these features of the data: read its scenario "
        "differences as what its rules imply, not as forecasts."
    ]


def _fmt(value: float) -> str:
    return (
        f"{value:,.0f}"
        if abs(value) >= 100
        else f"{value:,.2f}"
        if abs(value) < 10
        else f"{value:,.1f}"
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
    ppc_runs: int | None = None,
    on_ppc: Callable[[int], None] | None = None,
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
        ppc_runs: fresh runs from the posterior for the predictive check (0: none; default
            :data:`PPC_RUNS`, or ``draws`` if fewer: the check never costs more than the fit).
        on_ppc: progress callback of the check.
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
        ppc_runs=min(PPC_RUNS, draws) if ppc_runs is None else ppc_runs,
        on_ppc=on_ppc,
    )
    info = {**posterior.info, "window": observed.window, "years": observed.years}
    info["notes"] = observed.notes
    return dataclasses.replace(posterior, info=info)
