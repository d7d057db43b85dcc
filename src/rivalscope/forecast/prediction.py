"""The forecast itself: next month's (or ``horizon`` months ahead) probability of at least one
event and expected count per unit, ranked, with the map and the backtest behind the model."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.forecast.backtesting import (
    INTERVAL,
    Arrays,
    Backtest,
    OnOrigin,
    death_features,
    earliest_start,
    run_backtest,
    spec_dict,
)
from rivalscope.forecast.models import LEARNERS, fit, fit_counts
from rivalscope.forecast.models import climatology as climatology_baseline
from rivalscope.forecast.panel import Panel, build_panel
from rivalscope.forecast.spec import ForecastSpec, add_months, months_between
from rivalscope.forecast.spec import resolve as resolve_spec

if TYPE_CHECKING:
    from rivalscope.analysis.context import Phase
    from rivalscope.store import Store

MODELS: Final = ("auto", *LEARNERS)
DEFAULT_EVALUATE: Final = 24
STALE_MONTHS: Final = 3
"""A forecast is stale when its target month lies more than this many months after the last
month of a source it read, or when it is made more than this many months after the data end."""

RANKED_SCHEMA: Final = pa.schema(
    [
        ("rank", pa.int64()),
        ("unit", pa.string()),
        ("name", pa.string()),
        ("probability", pa.float64()),
        ("expected_count", pa.float64()),
        ("count_low", pa.float64()),
        ("count_high", pa.float64()),
        ("expected_deaths", pa.float64()),
        ("deaths_low", pa.float64()),
        ("deaths_high", pa.float64()),
        ("last_count", pa.int64()),
        ("events_12m", pa.int64()),
        ("climatology", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Forecast:
    """A forecast for one month, per unit.

    Attributes:
        spec: the question (``spec.target_month`` is the month forecast).
        model: the learned model used (``hgb`` or ``glm``).
        calibrated: whether its probabilities went through Platt scaling (False when the
            held-out months had no event or no quiet month).
        table: every unit, most likely first: ``rank``, ``unit``, ``name``, ``probability`` (of
            at least one event), ``expected_count``, ``count_low`` and ``count_high`` (the 80%
            prediction interval of the count's negative binomial), ``expected_deaths``,
            ``deaths_low`` and ``deaths_high`` (the same for deaths in the outcome's events, by
            the ``nb_glm`` model), ``last_count`` (the outcome in the last
            observed month), ``events_12m`` (in the last 12 months), ``climatology`` (the
            share of the unit's panel months with an event).
        map: ``kind`` ``choropleth`` (with ``geojson``: province polygons whose properties
            carry ``code``, ``name``, ``probability``, ``expected_count``), ``tiles`` (with
            ``tiles``: one cell per province, ``row`` 0 north, ``col`` 0 west) or ``points``
            (districts at the mean position of their events).
        backtest: the rolling-origin evaluation that chose the model and says how far to
            trust it (None when ``evaluate=0``).
        panel: what the panel was built from: units, months, neighbours, features.
        summary: a few sentences for an analyst.
        staleness: each source's last month, how far the target month and the day the
            forecast was made lie past the data, ``stale`` and a ``line`` that says so (see
            :func:`staleness`).
    """

    spec: ForecastSpec
    model: str
    calibrated: bool
    table: pa.Table
    map: dict[str, Any]
    backtest: Backtest | None
    panel: dict[str, Any]
    summary: str
    staleness: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """What ``rivalscope forecast --json`` prints."""
        from rivalscope.analysis.context import plain

        return {
            "spec": spec_dict(self.spec),
            "target_month": f"{self.spec.target_month:%Y-%m}",
            "staleness": self.staleness,
            "model": self.model,
            "calibrated": self.calibrated,
            "summary": self.summary,
            "forecast": plain(self.table),
            "map": self.map,
            "backtest": self.backtest.to_dict() if self.backtest is not None else None,
            "panel": self.panel,
        }


def predict(
    store: Store,
    actor: str,
    *,
    rival: str | None = None,
    outcome: str = "any",
    horizon: int = 1,
    unit: str = "admin1",
    country: str | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    phases: tuple[Phase, ...] | str | Path | None = None,
    model: str = "auto",
    evaluate: int = DEFAULT_EVALUATE,
    refit_every: int = 1,
    on_origin: OnOrigin | None = None,
    source: str | None = None,
    today: dt.date | None = None,
) -> Forecast:
    """Forecast ``horizon`` months after ``until`` for every unit of the country.

    Args:
        store: the store to read.
        actor, rival, outcome, horizon, unit, country, since, until, phases: the question (see
            :func:`rivalscope.forecast.spec.resolve`).
        model: ``auto`` (the learned candidate with the better backtest Brier score), ``hgb``
            or ``glm``.
        evaluate: target months of the rolling-origin backtest ending at ``until`` (fewer when
            the history is shorter); 0 skips it (then ``model`` must be named).
        refit_every: see :func:`rivalscope.forecast.backtesting.run_backtest`.
        on_origin: progress callback of the backtest.
        source: the events read: a source or ``fused`` (see
            :func:`rivalscope.forecast.spec.resolve`).
        today: the day the forecast is made, for its staleness (default: today).

    Raises:
        InputError: an option is out of range, or the history is too short.
    """
    if model not in MODELS:
        raise InputError(f"use one of {', '.join(MODELS)}, not {model!r}", parameter="model")
    if evaluate < 0:
        raise InputError("must be 0 or more months", parameter="evaluate")
    if evaluate == 0 and model == "auto":
        raise InputError(
            "auto needs the backtest that evaluate 0 skips: name hgb or glm", parameter="model"
        )
    spec = resolve_spec(
        store,
        actor,
        rival=rival,
        outcome=outcome,
        horizon=horizon,
        unit=unit,
        country=country,
        since=since,
        until=until,
        phases=phases,
        source=source,
    )
    panel = build_panel(store, spec)
    learners = LEARNERS if model == "auto" else (model,)
    evaluation = None
    if evaluate:
        first = max(add_months(spec.until, 1 - evaluate), earliest_start(panel))
        if first > spec.until:
            raise InputError(
                f"the panel {spec.since:%Y-%m}..{spec.until:%Y-%m} is too short to backtest; "
                "give 0 (and name the model) to forecast without a backtest",
                parameter="evaluate",
            )
        evaluation = run_backtest(
            panel,
            start=first,
            end=spec.until,
            learners=learners,
            refit_every=refit_every,
            on_origin=on_origin,
        )
    chosen = evaluation.chosen if evaluation is not None else model
    data = Arrays.of(panel)
    origin = len(data.months) - 1
    features, counts, target_months = data.training(origin, spec.horizon)
    fitted = fit(chosen, features, counts, target_months)
    forecast = fitted.predict(data.x[:, origin])
    death_x, _ = death_features(data)
    death_rows, death_counts, _ = data.training(
        origin, spec.horizon, target=data.deaths, features=death_x
    )
    deaths = fit_counts(death_rows, death_counts).predict(death_x[:, origin])
    columns = {
        "probability": forecast.probability,
        "expected_count": forecast.expected,
        "count_low": forecast.distribution.quantile(INTERVAL[0]),
        "count_high": forecast.distribution.quantile(INTERVAL[1]),
        "expected_deaths": deaths.expected,
        "deaths_low": deaths.distribution.quantile(INTERVAL[0]),
        "deaths_high": deaths.distribution.quantile(INTERVAL[1]),
    }
    table = _ranked(panel, data, columns)
    stale = staleness(store, spec, today)
    return Forecast(
        spec=spec,
        model=chosen,
        calibrated=fitted.platt is not None,
        table=table,
        map=forecast_map(store, panel, table),
        backtest=evaluation,
        panel=_panel_facts(panel),
        summary=_summary(spec, chosen, table, evaluation),
        staleness=stale,
    )


def staleness(store: Store, spec: ForecastSpec, today: dt.date | None = None) -> dict[str, Any]:
    """How fresh the data behind a forecast are.

    Returns:
        ``sources``: per source with events in the country, its ``last_month``, whether the
        forecast ``read`` it, and ``months_before_target`` (from its last month to the target
        month); ``data_end`` (the last month of the sources read); ``target_month``;
        ``made`` (the day) and ``months_since_data`` (from the data end to that day's month);
        ``stale``: a source read ends more than :data:`STALE_MONTHS` months before the target
        month, or the forecast is made more than that many months after the data end;
        ``reasons``; and ``line``, one sentence that says it.
    """
    made = today or dt.date.today()
    e = store.table("events")
    found = (
        e.filter(e.country_iso3 == spec.country)
        .group_by("source")
        .aggregate(last=e.date_start.max())
        .order_by("source")
        .to_pyarrow()
        .to_pylist()
    )
    target = spec.target_month
    sources = []
    for row in found:
        last = row["last"].replace(day=1)
        sources.append(
            {
                "source": row["source"],
                "last_month": f"{last:%Y-%m}",
                "read": spec.source in ("fused", row["source"]),
                "months_before_target": months_between(last, target),
            }
        )
    read = [s for s in sources if s["read"]] or sources
    end = max(dt.date.fromisoformat(s["last_month"] + "-01") for s in read)
    age = months_between(end, made.replace(day=1))
    reasons = [
        f"{s['source']} ends {s['last_month']}, {s['months_before_target']} months before "
        f"the target month {target:%Y-%m}"
        for s in read
        if s["months_before_target"] > STALE_MONTHS
    ]
    if age > STALE_MONTHS:
        reasons.append(
            f"made {made:%Y-%m-%d}, {age} months after the data end {end:%Y-%m}"
            + (": the target month is already past" if target < made.replace(day=1) else "")
        )
    listed = ", ".join(f"{s['source']} to {s['last_month']}" for s in read)
    if reasons:
        line = f"STALE: {'; '.join(reasons)} (data: {listed})."
    else:
        line = (
            f"Data: {listed}; the target month {target:%Y-%m} is "
            f"{months_between(end, target)} month(s) past the data end."
        )
    return {
        "sources": sources,
        "data_end": f"{end:%Y-%m}",
        "target_month": f"{target:%Y-%m}",
        "made": f"{made:%Y-%m-%d}",
        "months_since_data": age,
        "stale": bool(reasons),
        "reasons": reasons,
        "line": line,
    }


def _ranked(panel: Panel, data: Arrays, columns: dict[str, Any]) -> pa.Table:
    probability, expected = columns["probability"], columns["expected_count"]
    origin = len(data.months) - 1
    sum12 = panel.features.index("y_sum12")
    names = dict(
        zip(
            panel.units.column("unit").to_pylist(),
            panel.units.column("name").to_pylist(),
            strict=True,
        )
    )
    history = climatology_baseline(data.y[:, : origin + 1]).probability
    order = sorted(
        range(len(data.units)), key=lambda i: (-probability[i], -expected[i], data.units[i])
    )
    rows = [
        {
            "rank": rank,
            "unit": data.units[i],
            "name": names[data.units[i]] or data.units[i],
            **{name: float(values[i]) for name, values in columns.items()},
            "last_count": int(data.y[i, origin]),
            "events_12m": int(data.x[i, origin, sum12]),
            "climatology": float(history[i]),
        }
        for rank, i in enumerate(order, start=1)
    ]
    return pa.Table.from_pylist(rows, schema=RANKED_SCHEMA)


def forecast_map(store: Store, panel: Panel, table: pa.Table) -> dict[str, Any]:
    """The map of a ranked table: province polygons, a province tile grid, or district points."""
    values = {
        row["unit"]: {
            "probability": row["probability"],
            "expected_count": row["expected_count"],
        }
        for row in table.to_pylist()
    }
    units = panel.units.to_pylist()
    if panel.spec.unit == "admin2":
        return {
            "kind": "points",
            "points": [
                {
                    "unit": u["unit"],
                    "name": u["name"],
                    "latitude": u["latitude"],
                    "longitude": u["longitude"],
                    **values[u["unit"]],
                }
                for u in units
                if u["latitude"] is not None and u["longitude"] is not None
            ],
        }
    if panel.neighbour_method == "adjacency":
        import shapely
        from shapely.geometry import mapping

        p = store.table("places")
        shapes = (
            p.filter(p.code.isin([u["unit"] for u in units]) & p.geometry.notnull())
            .select("code", "name", "geometry")
            .order_by("code")
            .to_pyarrow()
            .to_pylist()
        )
        geometries = shapely.from_wkb([row["geometry"] for row in shapes])
        return {
            "kind": "choropleth",
            "geojson": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": mapping(geometry),
                        "properties": {
                            "code": row["code"],
                            "name": row["name"],
                            **values[row["code"]],
                        },
                    }
                    for row, geometry in zip(shapes, geometries, strict=True)
                ],
            },
        }
    from rivalscope.analysis.tiles import tile_layout

    layout = tile_layout(panel.units.rename_columns(["code", *panel.units.column_names[1:]]))
    return {
        "kind": "tiles",
        "tiles": sorted(
            (
                {
                    "unit": u["unit"],
                    "name": u["name"],
                    "row": layout[u["unit"]][0],
                    "col": layout[u["unit"]][1],
                    **values[u["unit"]],
                }
                for u in units
            ),
            key=lambda cell: (cell["row"], cell["col"]),
        ),
    }


def _panel_facts(panel: Panel) -> dict[str, Any]:
    table = panel.table
    return {
        "units": panel.units.num_rows,
        "months": months_between(panel.spec.since, panel.spec.until) + 1,
        "first_month": f"{panel.spec.since:%Y-%m}",
        "last_month": f"{panel.spec.until:%Y-%m}",
        "rows": table.num_rows,
        "unit_months_with_event": int(np.count_nonzero(table.column("y").to_numpy())),
        "events": int(np.sum(table.column("y").to_numpy())),
        "events_outside_units": panel.events_outside,
        "neighbours": panel.neighbour_method,
        "neighbour_pairs": panel.neighbours.num_rows // 2,
        "features": list(panel.features),
        "phases": list(panel.phase_names),
    }


def _summary(spec: ForecastSpec, model: str, table: pa.Table, evaluation: Backtest | None) -> str:
    top = table.slice(0, 3).to_pylist()
    lead = top[0]
    others = " and ".join(row["name"] for row in top[1:])
    first = (
        f"For {spec.target_month:%Y-%m}, the {model} model gives {lead['name']} the highest "
        f"probability of {spec.describe()}: {lead['probability']:.0%} "
        f"({lead['expected_count']:.1f} expected)" + (f", then {others}." if others else ".")
    )
    if evaluation is None:
        return first + " No backtest was run, so how far to trust it is unknown."
    return f"{first} {evaluation.summary}"
