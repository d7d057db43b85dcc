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
from rivalscope.forecast import metrics
from rivalscope.forecast.models import (
    BASELINES,
    LEARNERS,
    FittedModel,
    Prediction,
    fit,
)
from rivalscope.forecast.models import climatology as climatology_baseline
from rivalscope.forecast.models import persistence as persistence_baseline
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
        ("forecasts", pa.int64()),
        ("events", pa.int64()),
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
        return cls(units, months, y, np.nan_to_num(x, nan=0.0))

    def training(self, origin: int, horizon: int) -> tuple[Any, Any, Any]:
        """Rows whose target month is at most ``origin``: features, target counts, target month."""
        last = origin - horizon
        features = self.x[:, : last + 1].reshape(-1, self.x.shape[2])
        targets = self.y[:, horizon : origin + 1].reshape(-1)
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
        metrics: one row per model (learned candidates, then the baselines): ``brier``,
            ``roc_auc``, ``average_precision`` (null when no event fell in the window),
            ``calibration_error`` (the reliability table's weighted gap), ``mse_log`` (on
            ``log(1 + count)``), ``crps`` (of a Poisson forecast with the expected count as
            mean), ``forecasts`` and ``events`` (unit-months with at least one event).
        reliability: per model and probability bin: ``n``, ``mean_probability``, ``observed``.
        monthly: per target month and model: expected units with an event (sum of
            probabilities), expected events, and what was observed.
        origins: per target month: its origin, the last target month the models trained on,
            and the training rows.
        predictions: every forecast: ``month``, ``unit``, ``model``, ``probability``,
            ``expected``, ``observed``.
        summary: two sentences for an analyst.
    """

    spec: ForecastSpec
    start: dt.date
    end: dt.date
    units: int
    refit_every: int
    chosen: str
    metrics: pa.Table
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
    probability = {name: np.zeros((m1 - m0 + 1, len(data.units))) for name in names}
    expected = {name: np.zeros((m1 - m0 + 1, len(data.units))) for name in names}
    origins: list[dict[str, Any]] = []
    fitted: dict[str, FittedModel] = {}
    classifiers: dict[str, dict[int, Any]] = {name: {} for name in learners}
    trained_through = -1
    train_rows = 0
    total = m1 - m0 + 1
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
            trained_through = int(target_months.max())
            train_rows = len(counts)
        forecasts: dict[str, Prediction] = {
            name: model.predict(data.x[:, origin]) for name, model in fitted.items()
        }
        forecasts["persistence"] = persistence_baseline(data.y[:, origin])
        forecasts["climatology"] = climatology_baseline(data.y[:, : origin + 1])
        for name, forecast in forecasts.items():
            probability[name][step] = forecast.probability
            expected[name][step] = forecast.expected
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
    scores = {name: _scores(probability[name], expected[name], observed) for name in names}
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
    months = data.months[m0 : m1 + 1]
    return Backtest(
        spec=spec,
        start=first,
        end=last,
        units=len(data.units),
        refit_every=refit_every,
        chosen=chosen,
        metrics=table,
        reliability=_reliability(names, probability, observed),
        monthly=_monthly(names, months, probability, expected, observed),
        origins=pa.Table.from_pylist(origins, schema=ORIGINS_SCHEMA),
        predictions=_predictions(names, months, data.units, probability, expected, observed),
        summary=_summary(spec, first, last, len(data.units), table, chosen),
    )


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


def _scores(probability: Any, expected: Any, observed: Any) -> dict[str, Any]:
    event = (observed > 0).astype(float)
    return {
        "brier": metrics.brier(probability, event),
        "roc_auc": metrics.roc_auc(probability, event),
        "average_precision": metrics.average_precision(probability, event),
        "calibration_error": metrics.calibration_error(probability, event),
        "mse_log": metrics.mse_log(expected, observed),
        "crps": metrics.crps_poisson(expected, observed),
        "forecasts": int(event.size),
        "events": int(event.sum()),
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
    probability: dict[str, Any],
    expected: dict[str, Any],
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
                    pa.array(probability[name].reshape(-1)),
                    pa.array(expected[name].reshape(-1)),
                    observed_column,
                ],
                schema=PREDICTIONS_SCHEMA,
            )
            for name in names
        ]
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


def _summary(
    spec: ForecastSpec,
    first: dt.date,
    last: dt.date,
    units: int,
    table: pa.Table,
    chosen: str,
) -> str:
    rows = {row["model"]: row for row in table.to_pylist()}
    model, persistence, climatology = rows[chosen], rows["persistence"], rows["climatology"]
    months = months_between(first, last) + 1
    scope = (
        f"Over {first:%Y-%m}..{last:%Y-%m} ({months} months x {units} {spec.unit} units, "
        f"{model['events']} unit-months with {spec.describe()}), the learned model ({chosen}) "
        f"scored Brier {_fmt(model['brier'])} against {_fmt(persistence['brier'])} for "
        f"persistence and {_fmt(climatology['brier'])} for climatology; average precision "
        f"{_fmt(model['average_precision'])} against {_fmt(persistence['average_precision'])} "
        f"and {_fmt(climatology['average_precision'])}."
    )
    if model["events"] == 0:
        return scope + " No event fell in the window, so only the Brier score can be compared."
    beaten = [
        name
        for name in ("persistence", "climatology")
        if model["brier"] < rows[name]["brier"]
        and (model["average_precision"] or 0) > (rows[name]["average_precision"] or 0)
    ]
    if len(beaten) == 2:
        verdict = "It beats both baselines on Brier score and average precision."
    elif beaten:
        other = "climatology" if beaten == ["persistence"] else "persistence"
        verdict = (
            f"It beats {beaten[0]} on both scores but not {other}: trust it no more than that "
            "baseline."
        )
    else:
        verdict = (
            "It does not beat the baselines on both scores: treat its probabilities as no "
            "better than the province's own history."
        )
    return f"{scope} {verdict}"
