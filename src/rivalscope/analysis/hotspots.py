"""Hotspots: where each side's attacks bunch together (DBSCAN on great-circle distance).

A side's **attacks** are the events of type ``attack`` whose source names the side as the one
that acted (``initiator``, see :mod:`rivalscope.roles`): ``initiator = 'actor1'`` with the side
as actor1, or ``initiator = 'actor2'`` with the side as actor2.

**Which points are used** (``precision``, one rule for the whole project:
:mod:`rivalscope.precision`). A point that the source places only at a district's, province's
or country's centre (UCDP ``where_prec`` 3-7, ACLED ``geo_precision`` 3, any source's
precision 3 or more) is not where the attack happened: dozens of attacks "in Kabul province"
stacked on the province centre would make a hotspot of 0 km that no one saw. By default
(``precision="precise"``) such coarse points are left out and counted. A UCDP or ACLED record
that states no precision (the column was lost, as in the public GED subsets) is used and
counted in the sentence: dropping it would empty the analysis of any file without the column
(so is a fused event that states no precision).
``precision="strict"`` leaves those out too (the rule the record linkage uses);
``precision="all"`` uses every located point. Attacks without coordinates are always left out
and counted.

**Clustering** is ``sklearn.cluster.DBSCAN`` (haversine metric, ball tree) on the points in
radians, with ``eps = eps_km / 6371.0088`` and ``min_samples = min_events``. It is fitted on the
distinct points, each weighted by the number of attacks recorded there, which gives exactly the
labels of DBSCAN on every attack (a point's weighted neighbourhood count is the number of attacks
within ``eps_km``, and identical points always share a label). ``snap_km > 0`` first snaps the
points to a grid of that step: an opt-in approximation that moves a point by up to
``snap_km / sqrt(2)`` and can judge pairs near the ``eps_km`` boundary differently (see
``benchmarks/hotspots.py`` for what it saves). Every statistic of a cluster is computed on its
members' own coordinates: a centre is the mean of the members' unit vectors turned back into
latitude and longitude (correct across the antimeridian).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rivalscope.errors import InputError
from rivalscope.precision import STATING_SOURCES, point_class

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from numpy.typing import ArrayLike, NDArray

    from rivalscope.analysis.context import Dyad

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG) used for every great-circle distance here."""
KM_PER_DEGREE = EARTH_RADIUS_KM * np.pi / 180
"""Kilometres per degree of latitude (and of longitude at the equator)."""
STACKED_KM = 0.1
"""A cluster whose members all lie within this of its centre is reported as one recorded point."""

PRECISIONS: Final = ("precise", "strict", "all")
"""Values of ``precision``: which located points are clustered (see the module docstring)."""
USED_CLASSES: Final = {
    "precise": ("precise", "unstated"),
    "strict": ("precise",),
    "all": ("precise", "unstated", "coarse"),
}
"""The point classes (:data:`rivalscope.precision.POINT_CLASSES`) each ``precision`` uses."""
LEFT_OUT_REASONS: Final = ("coarse", "unstated", "unlocated")
"""Why an attack can be left out: its point is a district's, province's or country's centre
(``coarse``), its source states no precision (``unstated``, only with ``precision="strict"``),
or it has no coordinates (``unlocated``)."""

CLUSTER_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("side_name", pa.string()),
        ("cluster", pa.int64()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("radius_km", pa.float64()),
        ("points", pa.int64()),
        ("events", pa.int64()),
        ("deaths", pa.int64()),
        ("first", pa.date32()),
        ("last", pa.date32()),
        ("admin1_code", pa.string()),
        ("location", pa.string()),
    ]
)
NOISE_SCHEMA = pa.schema(
    [("side", pa.string()), ("side_name", pa.string()), ("events", pa.int64())]
)
USED_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("side_name", pa.string()),
        ("events", pa.int64()),
        ("unstated", pa.int64()),
        ("coarse", pa.int64()),
    ]
)
LEFT_OUT_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("side_name", pa.string()),
        ("reason", pa.string()),
        ("events", pa.int64()),
    ]
)
POINT_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("events", pa.int64()),
        ("cluster", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Hotspots:
    """Each side's clusters of attacks.

    Attributes:
        summary: one passage per side (actor, then rival): attacks used, hotspots, the largest
            one, and what was left out or has no stated precision.
        clusters: one row per cluster: ``side`` (actor id), ``side_name`` (display name),
            ``cluster`` (1.. within the side, most events first), ``latitude``/``longitude``
            (centre: mean of the members' unit vectors), ``radius_km`` (farthest member from
            the centre, to the metre), ``points`` (distinct recorded points), ``events``,
            ``deaths`` (sum of fatalities_best, missing as 0), ``first``/``last`` (dates),
            ``admin1_code`` (the members' most common province; ties to the first code
            alphabetically), ``location`` (the members' most common place name as the source
            wrote it; None when no source names one).
        eps_km: the DBSCAN neighbourhood radius in kilometres.
        min_events: the fewest attacks within ``eps_km`` of a point that make it a core point
            (the point itself included).
        noise: one row per side (actor, then rival): ``side``, ``side_name`` and ``events``,
            its attacks used that fall in no cluster (0 when it has none).
        used: one row per side: ``side``, ``side_name``, ``events`` (the attacks clustered),
            ``unstated`` (of them, those whose UCDP or ACLED source states no precision) and
            ``coarse`` (of them, those placed only at a district's or province's centre: only
            with ``precision="all"``).
        left_out: one row per side and reason (:data:`LEFT_OUT_REASONS`, in that order):
            ``side``, ``side_name``, ``reason``, ``events`` (0 when none).
        points: one row per side and distinct point used: ``side``, ``latitude``,
            ``longitude``, ``events`` and ``cluster`` (None: noise), sorted by side (actor
            first), latitude, longitude.
        precision: which points were used (:data:`PRECISIONS`).
        snap_km: the grid step the points were snapped to before clustering (0: exact).
    """

    summary: str
    clusters: pa.Table
    eps_km: float
    min_events: int
    noise: pa.Table
    used: pa.Table
    left_out: pa.Table
    points: pa.Table
    precision: str = "precise"
    snap_km: float = 0.0


def great_circle_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle (haversine) distances in km between points given in degrees; broadcasts."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), float)


def spherical_centre(
    lat: ArrayLike, lon: ArrayLike, weights: NDArray[np.int64] | None = None
) -> tuple[float, float]:
    """The (weighted) mean of the points' unit vectors, as (latitude, longitude) in degrees."""
    phi, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    x = float(np.average(np.cos(phi) * np.cos(lam), weights=weights))
    y = float(np.average(np.cos(phi) * np.sin(lam), weights=weights))
    z = float(np.average(np.sin(phi), weights=weights))
    return float(np.degrees(np.arctan2(z, np.hypot(x, y)))), float(np.degrees(np.arctan2(y, x)))


def dbscan_labels(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    eps_km: float,
    min_events: int,
    weights: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """DBSCAN cluster labels (-1: noise) of points in degrees, eps in km on the sphere.

    ``weights`` counts the events at each point (default: one each). The fit is on the distinct
    points weighted by their events: the same labels as DBSCAN on every event.
    """
    from sklearn.cluster import DBSCAN

    if lat.size == 0:
        return np.empty(0, np.int64)
    points = np.radians(np.column_stack([lat, lon]))
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse, weights=weights, minlength=len(unique))
    model = DBSCAN(
        eps=eps_km / EARTH_RADIUS_KM,
        min_samples=min_events,
        metric="haversine",
        algorithm="ball_tree",
    )
    model.fit(unique, sample_weight=counts)
    return np.asarray(model.labels_, np.int64)[inverse]


def snapped_labels(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    eps_km: float,
    min_events: int,
    snap_km: float,
    weights: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """:func:`dbscan_labels` of the points snapped to a grid of ``snap_km`` (0: exact)."""
    if snap_km <= 0 or lat.size == 0:
        return dbscan_labels(lat, lon, eps_km, min_events, weights)
    step = snap_km / KM_PER_DEGREE
    grid, inverse = np.unique(
        np.round(np.column_stack([lat, lon]) / step), axis=0, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    counts = np.bincount(
        inverse, weights=None if weights is None else weights, minlength=len(grid)
    ).astype(np.int64)
    labels = dbscan_labels(grid[:, 0] * step, grid[:, 1] * step, eps_km, min_events, counts)
    return labels[inverse]


def attacks(dyad: Dyad) -> ir.Table:
    """The dyad's attacks by either side, with ``side`` (the side that acted) and ``point``
    (:func:`rivalscope.precision.point_class`) added. A fused event (``source`` ``fused``)
    with no precision counts as ``unstated``: the fused record states none."""
    t = dyad.events()
    sides = [dyad.actor, dyad.rival]
    t = t.filter(
        t.event_type == "attack",
        ((t.initiator == "actor1") & t.actor1.isin(sides))
        | ((t.initiator == "actor2") & t.actor2.isin(sides)),
    )
    return t.mutate(
        side=ibis.cases((t.initiator == "actor1", t.actor1), else_=t.actor2),
        point=point_class(t, (*STATING_SOURCES, "fused")),
    )


def compute(
    dyad: Dyad,
    *,
    eps_km: float = 10.0,
    min_events: int = 5,
    precision: str = "precise",
    snap_km: float = 0.0,
) -> Hotspots:
    """Cluster each side's attacks.

    Args:
        dyad: the frame.
        eps_km: DBSCAN neighbourhood radius in km (> 0).
        min_events: attacks within ``eps_km`` that make a core point (>= 1).
        precision: ``precise`` (default: leave out points placed only at a district's or
            province's centre), ``strict`` (also leave out UCDP and ACLED points that state no
            precision) or ``all`` (every located point).
        snap_km: grid step the coordinates are snapped to before clustering, an approximation;
            0 (default) clusters the exact coordinates.

    Raises:
        InputError: ``eps_km`` is not positive, ``snap_km`` is negative, ``min_events`` is
            below 1 or ``precision`` is not one of :data:`PRECISIONS`.
    """
    if not eps_km > 0:
        raise InputError(f"hotspots: eps_km must be positive, not {eps_km!r}")
    if not snap_km >= 0:
        raise InputError(f"hotspots: snap_km must not be negative, not {snap_km!r}")
    if min_events < 1:
        raise InputError(f"hotspots: min_events must be at least 1, not {min_events!r}")
    if precision not in PRECISIONS:
        raise InputError(
            f"hotspots: precision must be one of {', '.join(PRECISIONS)}, not {precision!r}"
        )
    sides = (dyad.actor, dyad.rival)
    names = {side: dyad.name(side) for side in sides}
    t = attacks(dyad)
    rows = (
        t.group_by(
            side=t.side,
            point=t.point,
            latitude=t.latitude.cast("float64"),
            longitude=t.longitude.cast("float64"),
            admin1_code=t.admin1_code,
            location=t.location,
        )
        .aggregate(
            events=t.count(),
            deaths=t.fatalities_best.fill_null(0).cast("int64").sum(),
            first=t.date_start.min(),
            last=t.date_start.max(),
        )
        .order_by(["side", "latitude", "longitude", "point", "admin1_code", "location"])
        .to_pyarrow()
    )
    rows = rows.append_column(
        "use", pc.is_in(rows["point"], pa.array(USED_CLASSES[precision], pa.string()))
    )
    found: list[_Cluster] = []
    noise: dict[str, int] = {}
    used: dict[str, dict[str, int]] = {}
    left: dict[str, dict[str, int]] = {}
    point_tables = []
    for side in sides:
        mine = rows.filter(pc.equal(rows["side"], side))
        by_class = _sum_by(mine, "point")
        chosen = mine.filter(mine["use"])
        used[side] = {
            "events": int(pc.sum(chosen["events"]).as_py() or 0),
            "unstated": by_class.get("unstated", 0) if precision != "strict" else 0,
            "coarse": by_class.get("coarse", 0) if precision == "all" else 0,
        }
        left[side] = {
            "coarse": by_class.get("coarse", 0) if precision != "all" else 0,
            "unstated": by_class.get("unstated", 0) if precision == "strict" else 0,
            "unlocated": by_class.get("unlocated", 0),
        }
        side_clusters, noise[side], side_points = _side_clusters(
            side, names[side], chosen, eps_km, min_events, snap_km
        )
        found.extend(side_clusters)
        point_tables.append(side_points)
    clusters = pa.Table.from_pylist([dataclasses.asdict(c) for c in found], schema=CLUSTER_SCHEMA)
    noise_table = pa.table(
        {
            "side": list(sides),
            "side_name": [names[s] for s in sides],
            "events": [noise[s] for s in sides],
        },
        schema=NOISE_SCHEMA,
    )
    used_table = pa.Table.from_pylist(
        [{"side": s, "side_name": names[s], **used[s]} for s in sides], schema=USED_SCHEMA
    )
    left_table = pa.Table.from_pylist(
        [
            {"side": s, "side_name": names[s], "reason": reason, "events": left[s][reason]}
            for s in sides
            for reason in LEFT_OUT_REASONS
        ],
        schema=LEFT_OUT_SCHEMA,
    )
    provinces = _province_names(dyad) if found else {}
    summary = " ".join(
        _passage(
            names[side],
            used[side],
            left[side],
            [c for c in found if c.side == side],
            eps_km,
            min_events,
            precision,
            provinces,
        )
        for side in sides
    )
    return Hotspots(
        summary,
        clusters,
        float(eps_km),
        int(min_events),
        noise_table,
        used_table,
        left_table,
        pa.concat_tables(point_tables),
        precision,
        float(snap_km),
    )


@dataclass
class _Cluster:
    side: str
    side_name: str
    cluster: int
    latitude: float
    longitude: float
    radius_km: float
    points: int
    events: int
    deaths: int
    first: dt.date
    last: dt.date
    admin1_code: str | None
    location: str | None


def _sum_by(rows: pa.Table, column: str) -> dict[str, int]:
    if rows.num_rows == 0:
        return {}
    summed = rows.group_by(column).aggregate([("events", "sum")])
    return dict(zip(summed[column].to_pylist(), summed["events_sum"].to_pylist(), strict=True))


def _most_common(counted: Counter[str]) -> str | None:
    return min(counted, key=lambda key: (-counted[key], key)) if counted else None


def _side_clusters(
    side: str,
    name: str,
    places: pa.Table,
    eps_km: float,
    min_events: int,
    snap_km: float,
) -> tuple[list[_Cluster], int, pa.Table]:
    """Cluster one side's attack places (one row per point, class, province and location,
    with its counts): the clusters, the events in none, and the table of distinct points."""
    lat = places["latitude"].to_numpy().astype(float)
    lon = places["longitude"].to_numpy().astype(float)
    events = places["events"].to_numpy().astype(np.int64)
    labels = snapped_labels(lat, lon, eps_km, min_events, snap_km, weights=events)
    deaths = places["deaths"].to_numpy().astype(np.int64)
    firsts: list[dt.date] = places["first"].to_pylist()
    lasts: list[dt.date] = places["last"].to_pylist()
    provinces: list[str | None] = places["admin1_code"].to_pylist()
    locations: list[str | None] = places["location"].to_pylist()
    found: list[tuple[_Cluster, int]] = []
    for label in sorted(set(labels.tolist()) - {-1}):
        members = np.flatnonzero(labels == label)
        c_lat, c_lon = spherical_centre(lat[members], lon[members], events[members])
        counted: Counter[str] = Counter()
        named: Counter[str] = Counter()
        for i in members:
            province, location = provinces[i], locations[i]
            if province is not None:
                counted[province] += int(events[i])
            if location:
                named[location] += int(events[i])
        cluster = _Cluster(
            side=side,
            side_name=name,
            cluster=0,
            latitude=c_lat,
            longitude=c_lon,
            radius_km=round(
                float(np.max(great_circle_km(c_lat, c_lon, lat[members], lon[members]))), 3
            ),
            points=len(np.unique(np.column_stack([lat[members], lon[members]]), axis=0)),
            events=int(events[members].sum()),
            deaths=int(deaths[members].sum()),
            first=min(firsts[i] for i in members),
            last=max(lasts[i] for i in members),
            admin1_code=_most_common(counted),
            location=_most_common(named),
        )
        found.append((cluster, label))
    found.sort(
        key=lambda pair: (
            -pair[0].events,
            -pair[0].deaths,
            pair[0].first,
            pair[0].latitude,
            pair[0].longitude,
        )
    )
    rank = np.zeros(len(found) + 1, np.int64)
    for number, (cluster, label) in enumerate(found, start=1):
        cluster.cluster = number
        rank[label] = number
    return (
        [cluster for cluster, _ in found],
        int(events[labels == -1].sum()),
        _points(side, lat, lon, events, labels, rank),
    )


def _points(
    side: str,
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    events: NDArray[np.int64],
    labels: NDArray[np.int64],
    rank: NDArray[np.int64],
) -> pa.Table:
    """One row per distinct point (the rows come sorted by latitude and longitude)."""
    if lat.size == 0:
        return POINT_SCHEMA.empty_table()
    keys = np.column_stack([lat, lon])
    unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    label = labels[first]
    cluster = [int(rank[x]) if x >= 0 else None for x in label.tolist()]
    return pa.table(
        {
            "side": [side] * len(unique),
            "latitude": unique[:, 0],
            "longitude": unique[:, 1],
            "events": np.bincount(inverse, weights=events, minlength=len(unique)).astype(np.int64),
            "cluster": pa.array(cluster, pa.int64()),
        },
        schema=POINT_SCHEMA,
    )


def _province_names(dyad: Dyad) -> dict[str, str]:
    places = dyad.provinces()
    return dict(zip(places["code"].to_pylist(), places["name"].to_pylist(), strict=True))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _passage(
    name: str,
    used: dict[str, int],
    left: dict[str, int],
    clusters: list[_Cluster],
    eps_km: float,
    min_events: int,
    precision: str,
    provinces: dict[str, str],
) -> str:
    """The sentences about one side: its hotspots, then what was used and left out."""
    total = used["events"]
    # "precisely" only when every point used says so
    kind = "located" if precision == "all" or used["unstated"] else "precisely located"
    rule = f"at least {_plural(min_events, 'attack')} within {eps_km:g} km"
    if total == 0:
        if precision == "all" or not (left["coarse"] or left["unstated"]):
            head = f"{name} has no attacks with known coordinates in the window."
        else:
            head = f"{name} has no {kind} attacks in the window."
    elif not clusters:
        head = (
            f"{name}'s {total} {kind} attack{'s' if total != 1 else ''} form no hotspot ({rule})."
        )
    else:
        top = clusters[0]
        where = provinces.get(top.admin1_code, top.admin1_code) if top.admin1_code else None
        covered = sum(c.events for c in clusters)
        head = (
            f"{name}'s {total} {kind} attack{'s' if total != 1 else ''} form "
            f"{_plural(len(clusters), 'hotspot')} ({rule}) holding {covered} of them; the "
            f"largest{_largest(top, where)}."
        )
    notes = []
    if used["unstated"]:
        some = "all" if used["unstated"] == total else f"{used['unstated']} of the"
        notes.append(
            f"For {some} {total} attacks used the source states no geographic precision; "
            "they are taken as precise."
        )
    if used["coarse"]:
        notes.append(
            f"{used['coarse']} of the {total} are placed only at a district or province centre."
        )
    gone = [
        f"{_plural(left[reason], 'attack')} {words}"
        for reason, words in (
            ("coarse", "placed only at a district or province centre"),
            ("unstated", "whose source states no precision"),
            ("unlocated", "without coordinates"),
        )
        if left[reason]
    ]
    if gone:
        notes.append(f"Left out: {', '.join(gone)}.")
    return " ".join([head, *notes])


def _largest(top: _Cluster, where: str | None) -> str:
    """What follows "the largest": its province, place, size and dates."""
    counts = f"{_plural(top.events, 'attack')} and {_plural(top.deaths, 'death')}"
    dates = f"from {top.first} to {top.last}"
    point = f"{top.latitude:.2f}, {top.longitude:.2f}"
    if top.radius_km < STACKED_KM:
        at = "at one point" if top.points == 1 else f"within {STACKED_KM * 1000:.0f} m of one point"
        named = f", named {top.location}" if top.location else ""
        within = f", in {where}," if where else ""
        return (
            f"{within} has {counts} {dates}, all recorded {at} ({point}{named}): the place "
            "the sources name, such as a city or district centre, not each attack's own site"
        )
    within = f" in {where}" if where else ""
    return f"{within} (centre {point}, radius {top.radius_km:.1f} km) has {counts} {dates}"
