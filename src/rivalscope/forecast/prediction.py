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
    Arrays,
    Backtest,
    OnOrigin,
    earliest_start,
    run_backtest,
    spec_dict,
)
from rivalscope.forecast.models import LEARNERS, fit
from rivalscope.forecast.models import climatology as climatology_baseline
from rivalscope.forecast.panel import Panel, build_panel
from rivalscope.forecast.spec import ForecastSpec, add_months, months_between
from rivalscope.forecast.spec import resolve as resolve_spec

if TYPE_CHECKING:
    from rivalscope.analysis.context import Phase
    from rivalscope.store import Store

MODELS: Final = ("auto", *LEARNERS)
DEFAULT_EVALUATE: Final = 24

RANKED_SCHEMA: Final = pa.schema(
    [
        ("rank", pa.int64()),
        ("unit", pa.string()),
        ("name", pa.string()),
        ("probability", pa.float64()),
        ("expected_count", pa.float64()),
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
            at least one event), ``expected_count``, ``last_count`` (the outcome in the last
            observed month), ``events_12m`` (in the last 12 months), ``climatology`` (the
            share of the unit's panel months with an event).
        map: ``kind`` ``choropleth`` (with ``geojson``: province polygons whose properties
            carry ``code``, ``name``, ``probability``, ``expected_count``), ``tiles`` (with
            ``tiles``: one cell per province, ``row`` 0 north, ``col`` 0 west) or ``points``
            (districts at the mean position of their events).
        backtest: the rolling-origin evaluation that chose the model and says how far to
            trust it (None when ``evaluate=0``).
        panel: what the panel was built from: units, months, neighbours, features.
        summary: two sentences for an analyst.
    """

    spec: ForecastSpec
    model: str
    calibrated: bool
    table: pa.Table
    map: dict[str, Any]
    backtest: Backtest | None
    panel: dict[str, Any]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """What ``rivalscope forecast --json`` prints."""
        from rivalscope.analysis.context import plain

        return {
            "spec": spec_dict(self.spec),
            "target_month": f"{self.spec.target_month:%Y-%m}",
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
    table = _ranked(panel, data, forecast.probability, forecast.expected)
    return Forecast(
        spec=spec,
        model=chosen,
        calibrated=fitted.platt is not None,
        table=table,
        map=forecast_map(store, panel, table),
        backtest=evaluation,
        panel=_panel_facts(panel),
        summary=_summary(spec, chosen, table, evaluation),
    )


def _ranked(panel: Panel, data: Arrays, probability: Any, expected: Any) -> pa.Table:
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
            "probability": float(probability[i]),
            "expected_count": float(expected[i]),
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
