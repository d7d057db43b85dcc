"""The unit-month panel: one row per unit (province or district) and month, with the outcome's
count and the features a forecast made at the end of that month may use.

Everything about events is computed in the store's engine by two Ibis queries: one scan of the
events (and defections) counts them per unit and month; then, on a dense grid of unit numbers x
month numbers with those counts joined on, window functions give lags, rolling sums and the time
since the last event, a join over the neighbour pairs the spatial lags, a grouping by month the
national totals. Python touches only small tables: the units, their neighbour pairs, the months,
and the counts on their way from one query to the next.

Every feature of the row for month ``t`` is known at the end of month ``t``: the counts of
``t`` itself and of earlier months. A forecast for ``t + h`` reads the row of ``t``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rivalscope.analysis.context import Dyad
from rivalscope.errors import InputError
from rivalscope.forecast.spec import ForecastSpec, add_months, month_end, months_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from rivalscope.store import Store

LAGS: Final = (1, 2, 3, 6, 12)
"""Months back for the outcome's lag features ``y_lag1`` ... ``y_lag12``."""
WINDOWS: Final = (3, 6, 12)
"""Lengths of the rolling sums ``y_sum3`` ... (the month itself and the ones before it)."""
WARM_UP: Final = 12
"""Months before ``since`` the grid starts at, so lags and rolling sums of the first panel
month see real counts (or real zeros)."""
NEAREST: Final = 5
"""Without boundaries, a unit's neighbours are its 5 nearest units by the distance between
centres (and every unit that counts it among its own 5 nearest)."""
TOUCH_DEGREES: Final = 0.02
"""Two polygons closer than this (about 2 km) are adjacent: published boundaries are often
simplified and leave slivers between neighbours."""

UNITS_SCHEMA: Final = pa.schema(
    [
        ("unit", pa.string()),
        ("name", pa.string()),
        ("admin1_code", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
    ]
)
NEIGHBOURS_SCHEMA: Final = pa.schema([("unit", pa.string()), ("neighbour", pa.string())])


@dataclass(frozen=True)
class Panel:
    """The unit-month table and what it was built from.

    Attributes:
        spec: the question.
        table: one row per unit and month from ``spec.since`` to ``spec.until``, sorted by unit
            then month: ``unit``, ``month`` (first day), ``y`` (the outcome's count), the
            columns named in ``features``, and ``deaths`` (the best estimate of fatalities in
            the outcome's events, 0 where the source gives none; the second outcome, no
            feature).
        units: ``unit``, ``name``, ``admin1_code``, ``latitude``, ``longitude`` of every unit.
        neighbours: ``unit``, ``neighbour`` pairs (both directions).
        neighbour_method: ``adjacency`` (from loaded boundaries) or ``distance`` (nearest
            centres).
        features: the model's input columns, in order.
        phase_names: the phase of each ``phase_<n>`` feature, in order.
        events_outside: outcome events in the window that fall in no unit (no province, or a
            province of another country).
    """

    spec: ForecastSpec
    table: pa.Table
    units: pa.Table
    neighbours: pa.Table
    neighbour_method: str
    features: tuple[str, ...]
    phase_names: tuple[str, ...]
    events_outside: int

    @property
    def months(self) -> list[dt.date]:
        """The panel's months, in order."""
        first = self.spec.since
        return [add_months(first, i) for i in range(months_between(first, self.spec.until) + 1)]


def feature_names(spec: ForecastSpec) -> tuple[str, ...]:
    """The feature columns of a panel built for ``spec``, in order."""
    names = [
        "y",
        *(f"y_lag{k}" for k in LAGS),
        *(f"y_sum{k}" for k in WINDOWS),
        "months_since",
        "y_rate",
        "nb_y",
        "nb_sum3",
        "nb_sum12",
        "country_y",
        "country_sum3",
    ]
    if spec.outcome != "any":
        names += ["actor_events", "actor_sum3"]
    if spec.rival is not None:
        names += ["rival_events", "rival_sum3"]
    names += ["state_events", "state_sum3", "defections_sum12", "month_sin", "month_cos"]
    names += [f"phase_{i}" for i in range(1, len(spec.phases) + 1)]
    return tuple(names)


def build_panel(store: Store, spec: ForecastSpec) -> Panel:
    """Build the unit-month panel for ``spec`` from the store's counted events of
    ``spec.source``.

    Raises:
        InputError: the country has no units to forecast.
    """
    start = add_months(spec.since, -WARM_UP)
    months = _months(spec, start)
    counts = _counts(store, spec, _events(store, spec, start), start).to_pyarrow()
    units = _units(store, spec, counts)
    if units.num_rows == 0:
        raise InputError(
            f"no {spec.unit} units in {spec.country}"
            + (": admin2 needs events with district names" if spec.unit == "admin2" else "")
        )
    neighbours, method = _neighbours(store, spec, units)
    keyed, outside = _keyed(counts, units, spec, start)
    unit_ids = pa.table({"uid": pa.array(range(units.num_rows), pa.int64())})
    grid = ibis.memtable(unit_ids).cross_join(ibis.memtable(months.select(["midx"])))
    pairs = pa.table(
        {
            "uid": pc.index_in(neighbours.column("unit"), value_set=units.column("unit")),
            "nid": pc.index_in(neighbours.column("neighbour"), value_set=units.column("unit")),
        }
    ).cast(pa.schema([("uid", pa.int64()), ("nid", pa.int64())]))
    calendar = ibis.memtable(months.drop_columns(["month"]))
    expr = _features(spec, grid, ibis.memtable(keyed), ibis.memtable(pairs), calendar)
    found = expr.to_pyarrow().sort_by([("uid", "ascending"), ("midx", "ascending")])
    names = feature_names(spec)
    table = pa.table(
        {
            "unit": units.column("unit").take(found.column("uid")),
            "month": months.column("month").take(found.column("midx")),
            **{name: found.column(name) for name in names},
            "deaths": found.column("deaths"),
        }
    )
    return Panel(
        spec=spec,
        table=table,
        units=units,
        neighbours=neighbours,
        neighbour_method=method,
        features=names,
        phase_names=tuple(p.name for p in spec.phases),
        events_outside=outside,
    )


# --- units and neighbours ------------------------------------------------------------------
def _units(store: Store, spec: ForecastSpec, counts: pa.Table) -> pa.Table:
    """Provinces: the country's first-level places. Districts: those the counted events name,
    at the mean position of their events."""
    if spec.unit == "admin1":
        p = store.table("places")
        rows = (
            p.filter((p.level == 1) & (p.country_iso3 == spec.country))
            .select(
                unit=p.code,
                name=p.name,
                admin1_code=p.code,
                latitude=p.latitude,
                longitude=p.longitude,
            )
            .order_by("unit")
            .to_pyarrow()
        )
        return rows.cast(UNITS_SCHEMA)
    named = counts.filter(pc.is_valid(counts.column("unit")))
    sums = named.group_by("unit").aggregate(
        [("lat_sum", "sum"), ("lon_sum", "sum"), ("placed", "sum")]
    )
    sums = sums.sort_by("unit")
    parts = pc.split_pattern(sums.column("unit"), ":", max_splits=1)
    placed = pc.cast(sums.column("placed_sum"), pa.float64())
    nowhere = pc.equal(placed, 0.0)
    return pa.table(
        {
            "unit": sums.column("unit"),
            "name": pc.list_element(parts, 1),
            "admin1_code": pc.list_element(parts, 0),
            "latitude": pc.if_else(nowhere, None, pc.divide(sums.column("lat_sum_sum"), placed)),
            "longitude": pc.if_else(nowhere, None, pc.divide(sums.column("lon_sum_sum"), placed)),
        }
    ).cast(UNITS_SCHEMA)


def _neighbours(store: Store, spec: ForecastSpec, units: pa.Table) -> tuple[pa.Table, str]:
    if spec.unit == "admin1":
        p = store.table("places")
        shapes = (
            p.filter((p.level == 1) & (p.country_iso3 == spec.country) & p.geometry.notnull())
            .select("code", "geometry")
            .to_pyarrow()
        )
        if shapes.num_rows == units.num_rows:
            return adjacency(shapes), "adjacency"
    return nearest_neighbours(units, NEAREST), "distance"


def adjacency(shapes: pa.Table, tolerance: float = TOUCH_DEGREES) -> pa.Table:
    """Pairs of units whose polygons touch (or come within ``tolerance`` degrees).

    Args:
        shapes: ``code`` and ``geometry`` (WKB) columns.
    """
    import shapely

    codes = np.asarray(shapes.column("code").to_pylist(), dtype=object)
    geometries = shapely.from_wkb(shapes.column("geometry").to_pylist())
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="dwithin", distance=tolerance)
    keep = left != right
    return _pairs(codes[left[keep]], codes[right[keep]])


def nearest_neighbours(units: pa.Table, k: int = NEAREST) -> pa.Table:
    """Each unit's ``k`` nearest units by great-circle distance between centres, symmetrized.

    Units without a centre have no neighbours.
    """
    codes = np.asarray(units.column("unit").to_pylist(), dtype=object)
    lat = np.asarray(units.column("latitude").to_numpy(zero_copy_only=False), dtype=float)
    lon = np.asarray(units.column("longitude").to_numpy(zero_copy_only=False), dtype=float)
    placed = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    count = min(k, len(placed) - 1)
    if count < 1:
        return NEIGHBOURS_SCHEMA.empty_table()
    phi, lam = np.radians(lat[placed]), np.radians(lon[placed])
    across = np.cos(phi[:, None]) * np.cos(phi[None, :])
    half = (
        np.sin((phi[:, None] - phi[None, :]) / 2) ** 2
        + across * np.sin((lam[:, None] - lam[None, :]) / 2) ** 2
    )
    distance = 2 * np.arcsin(np.sqrt(np.clip(half, 0, 1)))
    np.fill_diagonal(distance, np.inf)
    order = np.argsort(distance, axis=1, kind="stable")[:, :count]
    left = np.repeat(placed, count)
    right = placed[order.ravel()]
    return _pairs(
        np.concatenate([codes[left], codes[right]]), np.concatenate([codes[right], codes[left]])
    )


def _pairs(left: np.ndarray[Any, Any], right: np.ndarray[Any, Any]) -> pa.Table:
    found = sorted(set(zip(left.tolist(), right.tolist(), strict=True)))
    return pa.Table.from_pylist(
        [{"unit": a, "neighbour": b} for a, b in found], schema=NEIGHBOURS_SCHEMA
    )


# --- months, events and counts ---------------------------------------------------------------
def _months(spec: ForecastSpec, start: dt.date) -> pa.Table:
    """The grid's months with their calendar and phase features (a few hundred rows)."""
    months = [add_months(start, i) for i in range(months_between(start, spec.until) + 1)]
    columns: dict[str, Any] = {
        "month": pa.array(months, pa.date32()),
        "midx": pa.array(range(len(months)), pa.int64()),
        "month_sin": [math.sin(2 * math.pi * (m.month - 1) / 12) for m in months],
        "month_cos": [math.cos(2 * math.pi * (m.month - 1) / 12) for m in months],
    }
    for number, phase in enumerate(spec.phases, start=1):
        columns[f"phase_{number}"] = pa.array(
            [int(phase.contains(m.replace(day=15))) for m in months], pa.int64()
        )
    return pa.table(columns)


def _frame(store: Store, spec: ForecastSpec, start: dt.date) -> Dyad:
    """The country, window and source as a :class:`Dyad`, whose readers apply the review filter
    (rows pending review do not count); its actors play no part here."""
    return Dyad(
        store,
        spec.actor,
        spec.rival or spec.actor,
        spec.country,
        start,
        month_end(spec.until),
        source=spec.source,
    )


def _events(store: Store, spec: ForecastSpec, start: dt.date) -> ir.Table:
    """The country's counted events in the grid's window, with their month."""
    e = _frame(store, spec, start).events()
    return e.mutate(month=e.date_start.truncate("M"))


def _unit_keys(spec: ForecastSpec) -> list[str]:
    return ["admin1_code"] if spec.unit == "admin1" else ["admin1_code", "admin2"]


def _unit(spec: ForecastSpec, t: ir.Table) -> ir.StringValue:
    """A unit's key from its grouped columns: ``AF-NAN``, or ``AF-NAN:Achin`` for a district."""
    return t.admin1_code if spec.unit == "admin1" else t.admin1_code + ":" + t.admin2


def outcome_filter(spec: ForecastSpec, e: ir.Table) -> ir.BooleanValue:
    """Whether an event counts towards the outcome (see :data:`.spec.OUTCOMES`)."""
    a, r = spec.actor, spec.rival
    if spec.outcome == "clash":
        return (e.event_type == "clash") & (
            ((e.actor1 == a) & (e.actor2 == r)) | ((e.actor1 == r) & (e.actor2 == a))
        )
    if spec.outcome == "attack":
        acted = ((e.initiator == "actor1") & (e.actor1 == a)) | (
            (e.initiator == "actor2") & (e.actor2 == a)
        )
        return acted & (e.event_type == "attack")
    return (e.actor1 == a) | (e.actor2 == a)


def state_spells(store: Store, country: str) -> list[tuple[str, dt.date | None, dt.date | None]]:
    """Who was the country's state when: ``(actor_id, from, to)``, ``to`` exclusive.

    A state spelling bounded in time (``Government of Afghanistan`` is the Republic until
    2021-08-15, the Taliban from then on) gives its actor the state's role for those dates; an
    actor of kind ``state`` belonging to the country that no bounded spelling names is the state
    at every date.
    """
    actors, aliases = store.table("actors"), store.table("actor_aliases")
    own = actors.filter(actors.country_iso3 == country).select("actor_id", "kind")
    bounded = (
        aliases.filter(
            aliases.kind == "state",
            aliases.valid_from.notnull() | aliases.valid_to.notnull(),
            aliases.actor_id.isin(own.actor_id),
        )
        .select("actor_id", "valid_from", "valid_to")
        .distinct()
        .to_pyarrow()
        .to_pylist()
    )
    named = {row["actor_id"] for row in bounded}
    always = own.filter(own.kind == "state").actor_id.to_pyarrow().to_pylist()
    rows = [(r["actor_id"], r["valid_from"], r["valid_to"]) for r in bounded] + [
        (actor_id, None, None) for actor_id in always if actor_id not in named
    ]
    rows.sort(key=lambda row: (row[0], row[1] is not None, row[1] or dt.date.min))
    return [(str(a), f, t) for a, f, t in rows]


def _state_filter(spells: list[tuple[str, Any, Any]], e: ir.Table) -> ir.BooleanValue:
    involved: ir.BooleanValue = ibis.literal(False)
    for actor_id, first, last in spells:
        term = (e.actor1 == actor_id) | (e.actor2 == actor_id)
        if first is not None:
            term &= e.date_start >= first
        if last is not None:
            term &= e.date_start < last
        involved |= term
    return involved


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.cases((condition, 1), else_=0)


def _counts(store: Store, spec: ForecastSpec, e: ir.Table, start: dt.date) -> ir.Table:
    """Per unit and month: the outcome, the actor's, the rival's, the state's events, defections."""
    a, r = spec.actor, spec.rival
    measures: dict[str, Any] = {
        "y": _flag(outcome_filter(spec, e)).sum(),
        "deaths": ibis.cases(
            (outcome_filter(spec, e), e.fatalities_best.fill_null(0)), else_=0
        ).sum(),
        "actor_events": _flag((e.actor1 == a) | (e.actor2 == a)).sum(),
        "state_events": _flag(_state_filter(state_spells(store, spec.country), e)).sum(),
    }
    if r is not None:
        measures["rival_events"] = _flag((e.actor1 == r) | (e.actor2 == r)).sum()
    positions: dict[str, Any] = {}
    if spec.unit == "admin2":
        placed = e.latitude.notnull() & e.longitude.notnull()
        positions = {
            "lat_sum": ibis.cases((placed, e.latitude), else_=0.0).sum(),
            "lon_sum": ibis.cases((placed, e.longitude), else_=0.0).sum(),
            "placed": _flag(placed).sum(),
        }
    keys = [*_unit_keys(spec), "month"]
    events = e.group_by(keys).aggregate(**measures, **positions)
    events = events.mutate(unit=_unit(spec, events))
    d = _frame(store, spec, start).defections()
    sides = [x for x in (a, r) if x is not None]
    d = d.filter(d.from_actor.isin(sides) | d.to_actor.isin(sides))
    d = d.mutate(month=d.date.truncate("M"))
    defections = d.group_by(keys).aggregate(defections=d.count())
    defections = defections.mutate(unit=_unit(spec, defections)).filter(
        _unit(spec, defections).notnull()
    )
    joined = events.outer_join(
        defections, [events.unit == defections.unit, events.month == defections.month]
    )
    columns = {
        "unit": ibis.coalesce(events.unit, defections.unit),
        "month": ibis.coalesce(events.month, defections.month),
        **{name: events[name].fill_null(0) for name in measures},
        "defections": defections.defections.fill_null(0),
        **{name: events[name].fill_null(0) for name in positions},
    }
    return joined.select(**columns)


def _keyed(
    counts: pa.Table, units: pa.Table, spec: ForecastSpec, start: dt.date
) -> tuple[pa.Table, int]:
    """The counts keyed by unit number and month number; and the outcome's events of the panel's
    months that fall in no unit."""
    uid = pc.index_in(counts.column("unit"), value_set=units.column("unit"))
    month = counts.column("month")
    midx = pc.subtract(
        pc.add(pc.multiply(pc.year(month), 12), pc.month(month)),
        start.year * 12 + start.month,
    )
    stray = pc.and_(pc.is_null(uid), pc.greater_equal(month, pa.scalar(spec.since, pa.date32())))
    outside = int(pc.sum(counts.column("y").filter(stray)).as_py() or 0)
    measures = [c for c in counts.column_names if c not in ("unit", "month")]
    keyed = pa.table(
        {
            "uid": pc.cast(uid, pa.int64()),
            "midx": pc.cast(midx, pa.int64()),
            **{
                name: pc.cast(counts.column(name), pa.int64())
                for name in measures
                if name not in ("lat_sum", "lon_sum", "placed")
            },
        }
    )
    return keyed.filter(pc.is_valid(keyed.column("uid"))), outside


# --- features --------------------------------------------------------------------------------
def _features(
    spec: ForecastSpec, grid: ir.Table, counts: ir.Table, pairs: ir.Table, calendar: ir.Table
) -> ir.Table:
    """The panel's features on the dense grid, keyed by unit number ``uid`` and month ``midx``.

    The month's own features (``calendar``: season, phases) join last, so the window functions
    sort only the counts.
    """
    measures = [c for c in counts.columns if c not in ("uid", "midx")]
    g = grid.left_join(counts, [grid.uid == counts.uid, grid.midx == counts.midx]).select(
        grid, **{name: counts[name].fill_null(0) for name in measures}
    )
    by_unit = ibis.window(group_by="uid", order_by="midx")
    cumulative = ibis.cumulative_window(group_by="uid", order_by="midx")

    def rolling(column: ir.IntegerColumn, months: int) -> ir.IntegerValue:
        return column.sum().over(
            ibis.window(group_by="uid", order_by="midx", preceding=months - 1, following=0)
        )

    last_event = ibis.cases((g.y > 0, g.midx), else_=ibis.null("int64")).max().over(cumulative)
    in_panel = ibis.cases((g.midx >= WARM_UP, g.y), else_=0).sum().over(cumulative)
    derived: dict[str, Any] = {
        **{f"y_lag{k}": g.y.lag(k, 0).over(by_unit) for k in LAGS},
        **{f"y_sum{k}": rolling(g.y, k) for k in WINDOWS},
        "months_since": ibis.coalesce(g.midx - last_event, g.midx + 1),
        "y_rate": in_panel.cast("float64") / (g.midx - (WARM_UP - 1)).nullif(0).cast("float64"),
        "actor_sum3": rolling(g.actor_events, 3),
        "state_sum3": rolling(g.state_events, 3),
        "defections_sum12": rolling(g.defections, 12),
    }
    if "rival_events" in measures:
        derived["rival_sum3"] = rolling(g.rival_events, 3)
    p = g.mutate(**derived)
    national = p.group_by("midx").aggregate(country_y=p.y.sum(), country_sum3=p.y_sum3.sum())
    active = p.filter(p.y_sum12 > 0)
    theirs = active.select(nid="uid", midx="midx", n_y="y", n_s3="y_sum3", n_s12="y_sum12")
    spatial = (
        pairs.join(theirs, "nid")
        .group_by(["uid", "midx"])
        .aggregate(nb_y=theirs.n_y.sum(), nb_sum3=theirs.n_s3.sum(), nb_sum12=theirs.n_s12.sum())
    )
    out = p.left_join(spatial, [p.uid == spatial.uid, p.midx == spatial.midx]).select(
        p,
        nb_y=spatial.nb_y.fill_null(0).cast("int64"),
        nb_sum3=spatial.nb_sum3.fill_null(0).cast("int64"),
        nb_sum12=spatial.nb_sum12.fill_null(0).cast("int64"),
    )
    out = out.filter(out.midx >= WARM_UP).join(national, "midx").join(calendar, "midx")
    return out.select("uid", "midx", *feature_names(spec), "deaths")
