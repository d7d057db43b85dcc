"""Rolling-origin evaluation: for every target month of the window, fit on the past only,
forecast that month, score every model on the same forecasts.

For a target month ``m`` and horizon ``h`` the origin is ``o = m - h``: the last month whose
events the forecaster knows. The learned models train on every (unit, month ``t``) row whose
target ``t + h`` is at most ``o``, predict from the row of ``o``, and are scored on ``m``. The
baselines read the outcome up to ``o`` only. Each origin records the last target month its
models trained on (``trained_through``), which is never later than the origin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.forecast import compare, metrics
from rivalscope.forecast import models as m
from rivalscope.forecast.models import BASELINES, LEARNERS, FittedModel, Prediction, fit
from rivalscope.forecast.panel import Panel, build_panel
from rivalscope.forecast.spec import ForecastSpec, add_months, months_between, parse_month
from rivalscope.forecast.spec import resolve as resolve_spec

if TYPE_CHECKING:
    from rivalscope.analysis.context import Phase
    from rivalscope.store import Store

MIN_TRAIN_MONTHS: Final = 6
"""An origin needs at least this many months of observed targets to train on."""
DEFAULT_WINDOW: Final = 24
"""Months evaluated when no start is given: the last 24 months up to the end."""
ONSET_MONTHS: Final = 12
"""An onset forecast is one for a unit with no event in the 12 months up to the origin."""
TOP_K: Final = 5
"""Recall at top k: the share of onsets among the k most probable quiet units of their month."""
INTERVAL: Final = (0.1, 0.9)
"""The prediction interval: from the 10% to the 90% quantile of the count distribution (80%)."""
DEATHS_LEARNER: Final = "nb_glm"
DEATHS_BASELINES: Final = (
    "persistence",
    "climatology",
    "rolling_12",
    "rolling_36",
    "views_last12",
    "nb_lags",
)
COMPARED: Final = ("brier", "average_precision", "roc_auc", "mse_log", "crps")
ONSET_COMPARED: Final = ("brier", "average_precision", "recall_at_k", "crps")
DEATHS_COMPARED: Final = ("mse_log", "crps")

OnOrigin = Callable[[int, int], None]
"""Progress callback: (origins done, origins in all)."""

METRICS_SCHEMA: Final = pa.schema(
    [
        ("model", pa.string()),
        ("kind", pa.string()),
        ("chosen", pa.bool_()),
        ("brier", pa.float64()),
        ("roc_auc", pa.float64()),
        ("average_precision", pa.float64()),
        ("calibration_error", pa.float64()),
        ("mse_log", pa.float64()),
        ("crps", pa.float64()),
        ("coverage_80", pa.float64()),
        ("width_80", pa.float64()),
        ("forecasts", pa.int64()),
        ("events", pa.int64()),
    ]
)
ONSET_SCHEMA: Final = pa.schema(
    [
        ("model", pa.string()),
        ("brier", pa.float64()),
        ("roc_auc", pa.float64()),
        ("average_precision", pa.float64()),
        ("recall_at_k", pa.float64()),
        ("mse_log", pa.float64()),
        ("crps", pa.float64()),
        ("forecasts", pa.int64()),
        ("events", pa.int64()),
    ]
)
DEATHS_SCHEMA: Final = pa.schema(
    [
        ("model", pa.string()),
        ("kind", pa.string()),
        ("mse_log", pa.float64()),
        ("crps", pa.float64()),
        ("mae", pa.float64()),
        ("coverage_80", pa.float64()),
        ("width_80", pa.float64()),
        ("forecasts", pa.int64()),
        ("deaths", pa.int64()),
    ]
)
RELIABILITY_SCHEMA: Final = pa.schema(
    [
        ("model", pa.string()),
        ("lower", pa.float64()),
        ("upper", pa.float64()),
        ("n", pa.int64()),
        ("mean_probability", pa.float64()),
        ("observed", pa.float64()),
    ]
)
MONTHLY_SCHEMA: Final = pa.schema(
    [
        ("month", pa.date32()),
        ("model", pa.string()),
        ("expected_units", pa.float64()),
        ("expected_events", pa.float64()),
        ("observed_units", pa.int64()),
        ("observed_events", pa.int64()),
    ]
)
ORIGINS_SCHEMA: Final = pa.schema(
    [
        ("target_month", pa.date32()),
        ("origin", pa.date32()),
        ("trained_through", pa.date32()),
        ("train_rows", pa.int64()),
    ]
)
PREDICTIONS_SCHEMA: Final = pa.schema(
    [
        ("month", pa.date32()),
        ("unit", pa.string()),
        ("model", pa.string()),
        ("probability", pa.float64()),
        ("expected", pa.float64()),
        ("low", pa.float64()),
        ("high", pa.float64()),
        ("observed", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Arrays:
    """A panel as dense arrays: ``y`` is (units x months), ``x`` (units x months x features)."""

    units: list[str]
    months: list[dt.date]
    y: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    deaths: npt.NDArray[np.float64]
    sum12: npt.NDArray[np.float64]

    @classmethod
    def of(cls, panel: Panel) -> Arrays:
        """Reshape the panel's sorted, dense table (it is one row per unit and month)."""
        table = panel.table
        months = panel.months
        units = panel.units.column("unit").to_pylist()
        if table.num_rows != len(units) * len(months):
            raise RuntimeError("the panel is not one row per unit and month")
        shape = (len(units), len(months))
        y = table.column("y").to_numpy(zero_copy_only=False).astype(float).reshape(shape)
        x = np.column_stack(
            [
                table.column(name).to_numpy(zero_copy_only=False).astype(float)
                for name in panel.features
            ]
        ).reshape((*shape, len(panel.features)))
        x = np.nan_to_num(x, nan=0.0)
        deaths = table.column("deaths").to_numpy(zero_copy_only=False).astype(float)
        sum12 = x[:, :, panel.features.index("y_sum12")]
        return cls(units, months, y, x, np.nan_to_num(deaths.reshape(shape), nan=0.0), sum12)

    def training(
        self, origin: int, horizon: int, target: Any = None, features: Any = None
    ) -> tuple[Any, Any, Any]:
        """Rows whose target month is at most ``origin``: features, target counts, target month
        (of the outcome and the panel's features, unless others are given)."""
        x = self.x if features is None else features
        y = self.y if target is None else target
        last = origin - horizon
        features = x[:, : last + 1].reshape(-1, x.shape[2])
        targets = y[:, horizon : origin + 1].reshape(-1)
        target_month = np.broadcast_to(
            np.arange(horizon, origin + 1), (len(self.units), last + 1)
        ).reshape(-1)
        return features, targets, target_month


@dataclass(frozen=True)
class Backtest:
    """The rolling-origin evaluation of every model over a window of target months.

    Attributes:
        spec: the question.
        start: first target month evaluated.
        end: last target month evaluated.
        units: how many units were forecast each month.
        refit_every: the learned models were refitted every this many origins.
        chosen: the learned candidate with the lowest Brier score (ties: higher average
            precision).
        metrics: one row per model (learned candidates, then the baselines of
            :data:`rivalscope.forecast.models.BASELINES`): ``brier``, ``roc_auc``,
            ``average_precision`` (null when no event fell in the window),
            ``calibration_error`` (the reliability table's weighted gap), ``mse_log`` (on
            ``log(1 + count)``), ``crps`` (of the model's count distribution), ``coverage_80``
            (the share of counts inside the 80% prediction interval) and ``width_80`` (its mean
            width), ``forecasts`` and ``events`` (unit-months with at least one event).
        comparisons: per score, the chosen model against the best baseline on that score, with
            the 95% paired bootstrap interval of the difference over target months and the
            verdict (:func:`rivalscope.forecast.compare.compare`).
        onset: the scores on onset forecasts (units with no event in the 12 months up to the
            origin): ``forecasts``, ``events``, ``base_rate``, ``top_k``, ``metrics`` (per
            model, with ``recall_at_k``) and ``comparisons``.
        fatalities: the second outcome, deaths in the outcome's events: ``metrics`` per count
            model (``nb_glm`` and the baselines) and ``comparisons``.
        reliability: per model and probability bin: ``n``, ``mean_probability``, ``observed``.
        monthly: per target month and model: expected units with an event (sum of
            probabilities), expected events, and what was observed.
        origins: per target month: its origin, the last target month the models trained on,
            and the training rows.
        predictions: every forecast: ``month``, ``unit``, ``model``, ``probability``,
            ``expected``, ``low`` and ``high`` (the 80% interval), ``observed``.
        summary: a few sentences for an analyst; a win is claimed only where the bootstrap
            interval shows it.
    """

    spec: ForecastSpec
    start: dt.date
    end: dt.date
    units: int
    refit_every: int
    chosen: str
    metrics: pa.Table
    comparisons: pa.Table
    onset: dict[str, Any]
    fatalities: dict[str, Any]
    reliability: pa.Table
    monthly: pa.Table
    origins: pa.Table
    predictions: pa.Table
    summary: str

    def scores(self, model: str) -> dict[str, Any]:
        """The metrics row of one model."""
        for row in self.metrics.to_pylist():
            if row["model"] == model:
                return dict(row)
        raise KeyError(model)

    def to_dict(self) -> dict[str, Any]:
        """What ``rivalscope forecast backtest --json`` prints (forecasts left out)."""
        from rivalscope.analysis.context import plain

        return {
            "spec": spec_dict(self.spec),
            "start": f"{self.start:%Y-%m}",
            "end": f"{self.end:%Y-%m}",
            "months": months_between(self.start, self.end) + 1,
            "units": self.units,
            "refit_every": self.refit_every,
            "chosen": self.chosen,
            "summary": self.summary,
            "metrics": plain(self.metrics),
            "comparisons": plain(self.comparisons),
            "onset": {
                key: plain(value) if isinstance(value, pa.Table) else value
                for key, value in self.onset.items()
            },
            "fatalities": {
                key: plain(value) if isinstance(value, pa.Table) else value
                for key, value in self.fatalities.items()
            },
            "reliability": plain(self.reliability),
            "monthly": plain(self.monthly),
            "origins": plain(self.origins),
        }


def spec_dict(spec: ForecastSpec) -> dict[str, Any]:
    """The question as plain data."""
    return {
        "actor": spec.actor,
        "rival": spec.rival,
        "outcome": spec.outcome,
        "horizon": spec.horizon,
        "unit": spec.unit,
        "country": spec.country,
        "since": f"{spec.since:%Y-%m}",
        "until": f"{spec.until:%Y-%m}",
        "phases": [p.name for p in spec.phases],
        "source": spec.source,
    }


def earliest_start(panel: Panel) -> dt.date:
    """The first target month with :data:`MIN_TRAIN_MONTHS` of training targets before it."""
    return add_months(panel.spec.since, 2 * panel.spec.horizon + MIN_TRAIN_MONTHS - 1)


def run_backtest(
    panel: Panel,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    learners: Sequence[str] = LEARNERS,
    refit_every: int = 1,
    on_origin: OnOrigin | None = None,
) -> Backtest:
    """Evaluate the learned candidates and the baselines on ``panel``.

    Args:
        panel: the unit-month panel.
        start: first target month (``YYYY-MM``); default: 24 months before the end.
        end: last target month; default: the panel's last month.
        learners: the learned candidates to evaluate (``hgb``, ``glm``).
        refit_every: refit the learned models every this many origins (1: at every origin);
            in between, the models of the latest refit forecast, so they still know only the
            past.
        on_origin: progress callback.

    Raises:
        InputError: the window lies outside the panel or leaves too little history.
    """
    spec = panel.spec
    h = spec.horizon
    last = parse_month(end, "end") if end is not None else spec.until
    first = (
        parse_month(start, "start")
        if start is not None
        else max(add_months(last, 1 - DEFAULT_WINDOW), earliest_start(panel))
    )
    if not learners or any(name not in LEARNERS for name in learners):
        raise InputError(f"use one of {', '.join(LEARNERS)}", parameter="learners")
    if refit_every < 1:
        raise InputError("must be at least 1", parameter="refit_every")
    if last > spec.until:
        raise InputError(
            f"{last:%Y-%m} is after the last observed month {spec.until:%Y-%m}", parameter="end"
        )
    if first > last:
        raise InputError(f"{first:%Y-%m} is after the end, {last:%Y-%m}", parameter="start")
    if first < earliest_start(panel):
        raise InputError(
            f"{first:%Y-%m} leaves under {MIN_TRAIN_MONTHS} months to train on: the panel "
            f"starts {spec.since:%Y-%m}, so start at {earliest_start(panel):%Y-%m} or later",
            parameter="start",
        )
    data = Arrays.of(panel)
    m0 = months_between(spec.since, first)
    m1 = months_between(spec.since, last)
    names = [*learners, *BASELINES]
    death_names = [DEATHS_LEARNER, *DEATHS_BASELINES]
    steps = total = m1 - m0 + 1
    shape = (steps, len(data.units))
    events = _Store(names, shape)
    deaths = _Store(death_names, shape)
    lag_x = m.lag_features(data.y)
    death_x, death_lags = death_features(data)
    origins: list[dict[str, Any]] = []
    fitted: dict[str, FittedModel] = {}
    lags: m.LagModel | None = None
    death_models: dict[str, Any] = {}
    classifiers: dict[str, dict[int, Any]] = {name: {} for name in learners}
    trained_through = -1
    train_rows = 0
    onset = np.zeros(shape, dtype=bool)
    for step, target in enumerate(range(m0, m1 + 1)):
        origin = target - h
        if step % refit_every == 0:
            features, counts, target_months = data.training(origin, h)
            if target_months.max() > origin:
                raise RuntimeError("a backtest origin would train on its future")
            fitted = {
                name: fit(name, features, counts, target_months, classifiers[name])
                for name in learners
            }
            for name, model in fitted.items():
                classifiers[name][model.trained_through] = model.classifier
            lags = m.fit_lags(data.training(origin, h, features=lag_x)[0], counts)
            death_counts = data.training(origin, h, target=data.deaths)[1]
            death_models = {
                DEATHS_LEARNER: m.fit_counts(
                    data.training(origin, h, features=death_x)[0], death_counts
                ),
                "nb_lags": m.fit_lags(
                    data.training(origin, h, features=death_lags)[0], death_counts, classify=False
                ),
            }
            trained_through = int(target_months.max())
            train_rows = len(counts)
        assert lags is not None
        forecasts: dict[str, Prediction] = {
            name: model.predict(data.x[:, origin]) for name, model in fitted.items()
        }
        forecasts |= _baselines(data.y[:, : origin + 1])
        forecasts["logit_lags"] = lags.predict(lag_x[:, origin])
        death_forecasts = _baselines(data.deaths[:, : origin + 1])
        death_forecasts[DEATHS_LEARNER] = death_models[DEATHS_LEARNER].predict(death_x[:, origin])
        death_forecasts["nb_lags"] = death_models["nb_lags"].predict(death_lags[:, origin])
        events.record(step, forecasts, data.y[:, target])
        deaths.record(step, death_forecasts, data.deaths[:, target])
        onset[step] = data.sum12[:, origin] == 0
        origins.append(
            {
                "target_month": data.months[target],
                "origin": data.months[origin],
                "trained_through": data.months[trained_through],
                "train_rows": train_rows,
            }
        )
        if on_origin is not None:
            on_origin(step + 1, total)
    observed = data.y[:, m0 : m1 + 1].T
    died = data.deaths[:, m0 : m1 + 1].T
    scored = events.scored()
    scores = {name: _scores(scored[name], observed) for name in names}
    chosen = min(
        learners,
        key=lambda n: (scores[n]["brier"], -(scores[n]["average_precision"] or 0.0)),
    )
    rows = [
        {"model": n, "kind": "learned" if n in learners else "baseline", "chosen": n == chosen}
        | scores[n]
        for n in names
    ]
    table = pa.Table.from_pylist(rows, schema=METRICS_SCHEMA)
    comparisons = compare.table(compare.compare(scored, observed, chosen, BASELINES, COMPARED))
    onsets = _onset(scored, observed, onset, chosen, names)
    fatalities = _fatalities(deaths.scored(), died, death_names)
    months = data.months[m0 : m1 + 1]
    probability = {name: scored[name].probability for name in names}
    expected = {name: scored[name].expected for name in names}
    return Backtest(
        spec=spec,
        start=first,
        end=last,
        units=len(data.units),
        refit_every=refit_every,
        chosen=chosen,
        metrics=table,
        comparisons=comparisons,
        onset=onsets,
        fatalities=fatalities,
        reliability=_reliability(names, probability, observed),
        monthly=_monthly(names, months, probability, expected, observed),
        origins=pa.Table.from_pylist(origins, schema=ORIGINS_SCHEMA),
        predictions=_predictions(names, months, data.units, scored, observed),
        summary=_summary(
            spec, first, last, len(data.units), table, comparisons, onsets, fatalities, chosen
        ),
    )


def death_features(data: Arrays) -> tuple[Any, Any]:
    """The features of the deaths models: ``nb_glm`` reads the panel's features with the
    month's deaths and the last 12 months' deaths; ``nb_lags`` the two lags of the deaths."""
    lags = m.lag_features(data.deaths)
    features = np.concatenate([data.x, data.deaths[:, :, None], np.expm1(lags[:, :, 1:])], 2)
    return features, lags


class _Store:
    """Each model's forecasts of a window, filled one target month at a time."""

    FIELDS: Final = ("probability", "expected", "crps", "low", "high")

    def __init__(self, names: Sequence[str], shape: tuple[int, int]) -> None:
        self.arrays = {name: {field: np.zeros(shape) for field in self.FIELDS} for name in names}

    def record(self, step: int, forecasts: dict[str, Prediction], observed: Any) -> None:
        for name, arrays in self.arrays.items():
            forecast = forecasts[name]
            distribution = forecast.distribution
            arrays["probability"][step] = forecast.probability
            arrays["expected"][step] = forecast.expected
            arrays["crps"][step] = distribution.crps(observed)
            arrays["low"][step] = distribution.quantile(INTERVAL[0])
            arrays["high"][step] = distribution.quantile(INTERVAL[1])

    def scored(self) -> dict[str, compare.Scored]:
        return {name: compare.Scored(**arrays) for name, arrays in self.arrays.items()}


def _baselines(history: Any) -> dict[str, Prediction]:
    """The baselines that read the series' own history only (all but ``logit_lags``)."""
    return {
        "persistence": m.persistence(history[:, -1]),
        "climatology": m.climatology(history),
        "rolling_12": m.rolling(history, 12),
        "rolling_36": m.rolling(history, 36),
        "views_last12": m.views_last12(history),
    }


def backtest(
    store: Store,
    actor: str,
    *,
    rival: str | None = None,
    outcome: str = "any",
    horizon: int = 1,
    unit: str = "admin1",
    country: str | None = None,
    since: str | dt.date | None = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    phases: tuple[Phase, ...] | str | Path | None = None,
    learners: Sequence[str] = LEARNERS,
    refit_every: int = 1,
    on_origin: OnOrigin | None = None,
    source: str | None = None,
) -> Backtest:
    """Build the panel up to ``end`` and run :func:`run_backtest` on it.

    Args are those of :func:`rivalscope.forecast.spec.resolve` (with ``end`` as the last
    observed month) and of :func:`run_backtest`.
    """
    spec = resolve_spec(
        store,
        actor,
        rival=rival,
        outcome=outcome,
        horizon=horizon,
        unit=unit,
        country=country,
        since=since,
        until=end,
        phases=phases,
        source=source,
    )
    panel = build_panel(store, spec)
    return run_backtest(
        panel,
        start=start,
        end=spec.until,
        learners=learners,
        refit_every=refit_every,
        on_origin=on_origin,
    )


def _scores(scored: compare.Scored, observed: Any) -> dict[str, Any]:
    event = (observed > 0).astype(float)
    probability = scored.probability
    return {
        "brier": metrics.brier(probability, event),
        "roc_auc": metrics.roc_auc(probability, event),
        "average_precision": metrics.average_precision(probability, event),
        "calibration_error": metrics.calibration_error(probability, event),
        "mse_log": metrics.mse_log(scored.expected, observed),
        "crps": float(np.mean(scored.crps)),
        "coverage_80": _coverage(scored, observed),
        "width_80": float(np.mean(scored.high - scored.low)),
        "forecasts": int(event.size),
        "events": int(event.sum()),
    }


def _coverage(scored: compare.Scored, observed: Any, mask: Any = None) -> float:
    inside = (scored.low <= observed) & (observed <= scored.high)
    return float(np.mean(inside if mask is None else inside[mask]))


def _onset(
    scored: dict[str, compare.Scored],
    observed: Any,
    mask: Any,
    chosen: str,
    names: list[str],
) -> dict[str, Any]:
    """The scores on onset forecasts: units with no event in the 12 months up to the origin."""
    event = observed > 0
    rows = []
    for name in names:
        s = scored[name]
        hits, found = compare.recall(s, observed, mask, TOP_K)
        p = s.probability[mask] if s.probability is not None else None
        rows.append(
            {
                "model": name,
                "brier": metrics.brier(p, event[mask]) if mask.any() else None,
                "roc_auc": metrics.roc_auc(p, event[mask]) if mask.any() else None,
                "average_precision": metrics.average_precision(p, event[mask])
                if mask.any()
                else None,
                "recall_at_k": float(hits.sum() / found.sum()) if found.sum() else None,
                "mse_log": metrics.mse_log(s.expected[mask], observed[mask])
                if mask.any()
                else None,
                "crps": float(np.mean(s.crps[mask])) if mask.any() else None,
                "forecasts": int(mask.sum()),
                "events": int(event[mask].sum()),
            }
        )
    count = int(mask.sum())
    onsets = int(event[mask].sum())
    return {
        "definition": (
            f"forecasts for units with no event in the {ONSET_MONTHS} months up to the origin"
        ),
        "forecasts": count,
        "events": onsets,
        "base_rate": onsets / count if count else None,
        "top_k": TOP_K,
        "metrics": pa.Table.from_pylist(rows, schema=ONSET_SCHEMA),
        "comparisons": compare.table(
            compare.compare(
                scored, observed, chosen, BASELINES, ONSET_COMPARED, mask=mask, top_k=TOP_K
            )
        ),
    }


def _fatalities(scored: dict[str, compare.Scored], died: Any, names: list[str]) -> dict[str, Any]:
    rows = [
        {
            "model": name,
            "kind": "learned" if name == DEATHS_LEARNER else "baseline",
            "mse_log": metrics.mse_log(scored[name].expected, died),
            "crps": float(np.mean(scored[name].crps)),
            "mae": float(np.mean(np.abs(scored[name].expected - died))),
            "coverage_80": _coverage(scored[name], died),
            "width_80": float(np.mean(scored[name].high - scored[name].low)),
            "forecasts": int(died.size),
            "deaths": int(died.sum()),
        }
        for name in names
    ]
    return {
        "outcome": "deaths (best estimate) in the outcome's events",
        "model": DEATHS_LEARNER,
        "metrics": pa.Table.from_pylist(rows, schema=DEATHS_SCHEMA),
        "comparisons": compare.table(
            compare.compare(scored, died, DEATHS_LEARNER, DEATHS_BASELINES, DEATHS_COMPARED)
        ),
    }


def _reliability(names: list[str], probability: dict[str, Any], observed: Any) -> pa.Table:
    rows = [
        {"model": name, **row}
        for name in names
        for row in metrics.reliability(probability[name], observed > 0)
    ]
    return pa.Table.from_pylist(rows, schema=RELIABILITY_SCHEMA)


def _monthly(
    names: list[str],
    months: list[dt.date],
    probability: dict[str, Any],
    expected: dict[str, Any],
    observed: Any,
) -> pa.Table:
    units = (observed > 0).sum(axis=1)
    events = observed.sum(axis=1)
    columns: dict[str, list[Any]] = {name: [] for name in MONTHLY_SCHEMA.names}
    for name in names:
        columns["month"] += months
        columns["model"] += [name] * len(months)
        columns["expected_units"] += probability[name].sum(axis=1).tolist()
        columns["expected_events"] += expected[name].sum(axis=1).tolist()
        columns["observed_units"] += units.astype(int).tolist()
        columns["observed_events"] += events.astype(int).tolist()
    return pa.table(columns, schema=MONTHLY_SCHEMA)


def _predictions(
    names: list[str],
    months: list[dt.date],
    units: list[str],
    scored: dict[str, compare.Scored],
    observed: Any,
) -> pa.Table:
    per_model = len(months) * len(units)
    month_column = pa.array(np.repeat(np.array(months, dtype="datetime64[D]"), len(units)))
    unit_column = pa.array(np.tile(np.array(units, dtype=object), len(months)), pa.string())
    observed_column = pa.array(observed.reshape(-1).astype(np.int64))
    return pa.concat_tables(
        [
            pa.table(
                [
                    month_column.cast(pa.date32()),
                    unit_column,
                    pa.array([name] * per_model, pa.string()),
                    pa.array(np.asarray(scored[name].probability).reshape(-1)),
                    pa.array(scored[name].expected.reshape(-1)),
                    pa.array(scored[name].low.reshape(-1)),
                    pa.array(scored[name].high.reshape(-1)),
                    observed_column,
                ],
                schema=PREDICTIONS_SCHEMA,
            )
            for name in names
        ]
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


NAMES: Final = {
    "brier": "Brier",
    "average_precision": "average precision",
    "roc_auc": "ROC AUC",
    "mse_log": "MSE of log counts",
    "crps": "CRPS",
    "recall_at_k": f"recall at top {TOP_K}",
}


def verdicts(rows: list[dict[str, Any]], metrics_named: Sequence[str] | None = None) -> str:
    """Comparison rows in words: per score, the model's value, the best baseline's (named) and
    the bootstrap verdict, e.g. ``Brier 0.038 vs 0.036 for climatology (no clear difference)``."""
    parts = []
    for row in rows:
        if metrics_named is not None and row["metric"] not in metrics_named:
            continue
        name = NAMES.get(row["metric"], row["metric"])
        if row["best_baseline"] is None or row["verdict"] == "n/a":
            parts.append(f"{name} {_fmt(row['model_value'])} (no baseline to compare)")
            continue
        parts.append(
            f"{name} {_fmt(row['model_value'])} vs {_fmt(row['baseline_value'])} for "
            f"{row['best_baseline']} ({row['verdict']})"
        )
    return ", ".join(parts)


def claim(rows: list[dict[str, Any]], lead: str = "It") -> str:
    """What the comparison rows allow one to claim: a win only on a score whose verdict is
    ``better`` (its bootstrap interval excludes 0), and every score where the model is worse."""
    better = [NAMES.get(r["metric"], r["metric"]) for r in rows if r["verdict"] == "better"]
    worse = [NAMES.get(r["metric"], r["metric"]) for r in rows if r["verdict"] == "worse"]
    if not better:
        text = f"{lead} beats the best baseline on no score: treat it as no better than them"
    elif len(better) == len(rows):
        text = f"{lead} beats the best baseline on every score"
    else:
        text = f"{lead} beats the best baseline on {', '.join(better)} only"
    if worse:
        text += f"; it is worse than the best baseline on {', '.join(worse)}"
    return text + "."


def _summary(
    spec: ForecastSpec,
    first: dt.date,
    last: dt.date,
    units: int,
    table: pa.Table,
    comparisons: pa.Table,
    onset: dict[str, Any],
    fatalities: dict[str, Any],
    chosen: str,
) -> str:
    rows = {row["model"]: row for row in table.to_pylist()}
    model = rows[chosen]
    months = months_between(first, last) + 1
    scope = (
        f"Over {first:%Y-%m}..{last:%Y-%m} ({months} months x {units} {spec.unit} units, "
        f"{model['events']} unit-months with {spec.describe()}), the learned model ({chosen}) "
        "against the best baseline per score (a win only where the 95% paired bootstrap "
        f"interval over the {months} target months excludes 0): "
    )
    if model["events"] == 0:
        return (
            scope.split(", the learned")[0]
            + f": no event fell in the window (Brier {_fmt(model['brier'])}), nothing to rank."
        )
    compared = comparisons.to_pylist()
    text = scope + verdicts(compared) + ". " + claim(compared)
    if onset["forecasts"] and onset["events"]:
        rows = onset["comparisons"].to_pylist()
        text += (
            f" Onsets ({onset['forecasts']} unit-months quiet for {ONSET_MONTHS} months, "
            f"{onset['events']} with an event, base rate {onset['base_rate']:.1%}): "
            + verdicts(rows, ("average_precision", "recall_at_k"))
            + ". "
            + claim(rows, "On onsets it")
        )
    deaths = {row["model"]: row for row in fatalities["metrics"].to_pylist()}[DEATHS_LEARNER]
    text += (
        f" The 80% prediction intervals held {model['coverage_80']:.0%} of the counts. "
        f"Deaths ({deaths['deaths']:,} in the window), {DEATHS_LEARNER}: "
        + verdicts(fatalities["comparisons"].to_pylist())
        + f"; its 80% intervals held {deaths['coverage_80']:.0%}."
    )
    return text
