"""Network: who stands with each side (allies) and who acts near it (any relation).

Two tables per side, never to be read as one:

``allies``: actors named on the same side of an event as the side: actor1 with its
``assoc_actors``, actor2 with its ``assoc_actors2`` (ACLED's associated actors; the secondary
parties of a UCDP side, stored the same way), counted once per event. An actor recorded fighting
the side in the window (on the other side of any event with it, as actor or as an associated
actor) is never an ally, whatever else the data say; nor is the other side of the dyad.

``nearby``: the number of a side's events (as actor1 or actor2: UCDP's side A is not always
the side that acted) with at least one event of the other actor (as actor1 or actor2) within
``days`` days and ``km`` km of it: any relation, ally, enemy or bystander. A side's event
against that actor, or that actor's event against the side, is a fight, not a presence nearby,
and is left out of this count; the fights are counted apart (``fights``, events with the two on
opposite sides, associated actors included) so that no reader takes a neighbour for an ally.
Counting a side's events rather than pairs of events keeps the count bounded by the side's own
activity: a dense cluster of the other's events near one attack counts once.

Civilians, unidentified groups and actors of the registry kinds ``civilians`` and ``ambiguous``
(an attribution the source could not make) are in neither table, nor is the other side of the
dyad (they fight each other, so their events always lie together).

Co-location is computed per distinct point, not per pair of events: the placed events come back
grouped by (actor, target, day, point); each other actor's days at each point are a row of bits,
widened by the window and OR-ed over the points within ``km`` (a ball tree on the sphere finds
them). Its cost grows with the pairs of nearby points and the days, so it suits data geocoded to
named places, as UCDP and ACLED are. When the points are too many for rows of bits
(:data:`MAX_PLACE_DAYS`), the backend joins the pairs of events instead, with the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import csr_matrix
from sklearn.neighbors import BallTree

from rivalscope.analysis.hotspots import EARTH_RADIUS_KM
from rivalscope.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    import ibis.expr.types as ir
    from numpy.typing import NDArray

    from rivalscope.analysis.context import Dyad

NEVER = ("CIVILIANS", "UNIDENTIFIED")
"""Actor ids that are never allies nor neighbours: victims and the unattributed."""
NEVER_KINDS = ("civilians", "ambiguous")
"""Nor are actors of these registry kinds (``TALIBAN_OR_ISKP``: the source could not tell)."""
NEARBY_LABEL = "nearby (any relation: ally, enemy or bystander)"
"""How a reader should see the ``nearby`` table labelled."""

EDGE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_name", pa.string()),
        ("target", pa.string()),
        ("target_name", pa.string()),
        ("kind", pa.string()),
        ("weight", pa.int64()),
    ]
)
ALLY_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("side_name", pa.string()),
        ("ally", pa.string()),
        ("ally_name", pa.string()),
        ("events", pa.int64()),
        ("rank", pa.int64()),
    ]
)
NEARBY_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("side_name", pa.string()),
        ("neighbour", pa.string()),
        ("neighbour_name", pa.string()),
        ("near", pa.int64()),
        ("fought", pa.bool_()),
        ("fights", pa.int64()),
        ("rank", pa.int64()),
    ]
)
_KM_PER_DEGREE = EARTH_RADIUS_KM * np.pi / 180
MAX_PLACE_DAYS = 200_000_000
"""Co-location keeps one bit-row of days per distinct point while places x days stays under
this; beyond it (points many and scattered) the pairs of events are joined in the backend."""


@dataclass(frozen=True)
class Network:
    """Who stands with each side, and who acts near it.

    Attributes:
        summary: two sentences, one per side (display names): its recorded allies, then the
            actors most often active near its events, each with how often it fought the side.
        edges: ``source`` (a side's id), ``target`` (the other actor's id), each with its
            display name (``source_name``, ``target_name``), ``kind`` (``ally``:
            ``weight`` events naming both on the same side; ``nearby``: ``weight`` of the
            side's events with the other acting near them, any relation) for every ally and
            every neighbour, not only the ``top``; ordered by kind, weight (highest first),
            source and target.
        allies: per side (actor, then rival), its ``top`` allies: ``side``, ``side_name``,
            ``ally``, ``ally_name``, ``events`` (events naming both on the same side) and
            ``rank`` (1 = most events; ties by ally id). Never an actor that fought the side in
            the window, the other side, civilians, unidentified groups or ambiguous
            attributions.
        nearby: per side, the ``top`` actors most often active near its events, whatever their
            relation (:data:`NEARBY_LABEL`): ``side``, ``side_name``, ``neighbour``,
            ``neighbour_name``, ``near`` (the side's events with one of the neighbour's within
            ``days`` and ``km``), ``fought`` (whether the two fought in the window), ``fights``
            (events with the two on opposite sides) and ``rank`` (1 = most events near; ties by
            neighbour id). Never the other side, civilians, unidentified or ambiguous actors.
        days: the co-location window in days (either way).
        km: the co-location distance in km.
        top: the most allies, and the most neighbours, kept per side.
    """

    summary: str
    edges: pa.Table
    allies: pa.Table
    nearby: pa.Table
    days: int
    km: float
    top: int


def compute(dyad: Dyad, *, days: int = 3, km: float = 25.0, top: int = 10) -> Network:
    """The allies and the neighbours of both sides.

    Args:
        dyad: the frame.
        days: co-located events start at most this many days apart (>= 0).
        km: and lie at most this far apart (> 0).
        top: allies, and neighbours, kept per side (>= 1).

    Raises:
        InputError: an argument is out of range.
    """
    if days < 0:
        raise InputError(f"network: days must not be negative, not {days!r}")
    if not km > 0:
        raise InputError(f"network: km must be positive, not {km!r}")
    if top < 1:
        raise InputError(f"network: top must be at least 1, not {top!r}")
    excluded = _never(dyad)
    together, fights = _same_and_opposite(dyad)
    rival_of = {dyad.actor: dyad.rival, dyad.rival: dyad.actor}
    allied = {
        (side, ally): n
        for (side, ally), n in together.items()
        if ally != rival_of[side] and ally not in excluded and (side, ally) not in fights
    }
    near = {
        key: n
        for key, n in _colocated(dyad, excluded, days, km).items()
        if n and key[1] not in (dyad.actor, dyad.rival)
    }
    allies = _ranked(dyad, allied, top, ALLY_SCHEMA, lambda side, ally, n: {"events": n})
    nearby = _ranked(
        dyad,
        near,
        top,
        NEARBY_SCHEMA,
        lambda side, other, n: {
            "near": n,
            "fought": bool(fights.get((side, other))),
            "fights": fights.get((side, other), 0),
        },
    )
    edges = _edges(dyad, {"ally": allied, "nearby": near})
    summary = " ".join(
        _sentence(dyad, side, sum(s == side for s, _ in allied), allies, nearby, days, km)
        for side in (dyad.actor, dyad.rival)
    )
    return Network(summary, edges, allies, nearby, int(days), float(km), int(top))


def _never(dyad: Dyad) -> list[str]:
    actors = dyad.store.table("actors")
    kinds = actors.filter(actors.kind.isin(NEVER_KINDS)).select("actor_id").to_pyarrow()
    return sorted({*NEVER, *kinds["actor_id"].to_pylist()})


def _same_and_opposite(
    dyad: Dyad,
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Per (side, other actor): the events naming both on the same side, and the events naming
    them on opposite sides (as actor or associated actor: a fight).

    The backend counts the events of each way of naming the two sides of an event (few: most
    events name no associates); each way is then read once here.
    """
    t = dyad.events()
    a, r = dyad.actor, dyad.rival
    involved = t.filter(
        t.actor1.isin([a, r])
        | t.actor2.isin([a, r])
        | t.assoc_actors.contains(a)
        | t.assoc_actors.contains(r)
        | t.assoc_actors2.contains(a)
        | t.assoc_actors2.contains(r)
    )
    named = involved.group_by(["actor1", "assoc_actors", "actor2", "assoc_actors2"]).aggregate(
        n=involved.event_id.nunique().cast("int64")
    )
    together: dict[tuple[str, str], int] = defaultdict(int)
    fights: dict[tuple[str, str], int] = defaultdict(int)
    for row in named.to_pyarrow().to_pylist():
        first = {row["actor1"], *(row["assoc_actors"] or ())} - {None}
        second = {row["actor2"], *(row["assoc_actors2"] or ())} - {None}
        for side in (a, r):
            same: set[str] = set()
            opposite: set[str] = set()
            for mine, theirs in ((first, second), (second, first)):
                if side in mine:
                    same |= mine
                    opposite |= theirs
            for other in same - {side}:
                together[(side, other)] += row["n"]
            for other in opposite - {side}:
                fights[(side, other)] += row["n"]
    return dict(together), dict(fights)


def _colocated(dyad: Dyad, excluded: list[str], days: int, km: float) -> dict[tuple[str, str], int]:
    """Per (side, other actor): the side's events with one of the other's near them."""
    sides = [dyad.actor, dyad.rival]
    t = dyad.events()
    t = t.filter(t.latitude.notnull(), t.longitude.notnull(), t.date_start.notnull())
    # One pass over the events: each (actor1, actor2, point) with its days, read both ways.
    grouped = t.group_by(
        actor1=t.actor1.fill_null(""),
        actor2=t.actor2.fill_null(""),
        lat=t.latitude,
        lon=t.longitude,
    ).aggregate(days=t.date_start.epoch_days().cast("int32").collect())
    rows = grouped.to_pyarrow()
    if rows.num_rows == 0:
        return {}
    first, last = pc.min_max(pc.list_flatten(rows["days"])).values()
    places = rows.select(["lat", "lon"]).group_by(["lat", "lon"]).aggregate([]).num_rows
    if places * (last.as_py() - first.as_py() + 1) <= MAX_PLACE_DAYS:
        acts = _Acts.of(_both_ways(rows, excluded), sides)
        return acts.colocated(days, km) if acts is not None else {}
    # An other actor's target matters only when it is a side (a fight, left out): any other
    # target reads "", so that fewer pairs are joined.
    halves = [
        t.select(
            actor=t[mine],
            target=ibis.ifelse(
                t[mine].isin(sides) | t[theirs].isin(sides), t[theirs].fill_null(""), ""
            ),
            date_start=t.date_start,
            latitude=t.latitude,
            longitude=t.longitude,
        )
        for mine, theirs in (("actor1", "actor2"), ("actor2", "actor1"))
    ]
    placed = ibis.union(*halves, distinct=False)
    placed = placed.filter(placed.actor.notnull(), ~placed.actor.isin(excluded))
    return _colocated_by_pairs(placed, sides, days, km)


def _both_ways(rows: pa.Table, excluded: list[str]) -> pa.Table:
    """``actor``, ``target``, ``lat``, ``lon``, ``days``: each row of ``rows`` once as actor1's
    (target actor2) and once as actor2's (target actor1), where that actor is named and not
    ``excluded``."""
    never = pa.array(["", *excluded], pa.string())
    halves = []
    for mine, theirs in (("actor1", "actor2"), ("actor2", "actor1")):
        half = pa.table(
            {
                "actor": rows[mine],
                "target": rows[theirs],
                "lat": rows["lat"],
                "lon": rows["lon"],
                "days": rows["days"],
            }
        )
        halves.append(half.filter(pc.invert(pc.is_in(half["actor"], value_set=never))))
    return pa.concat_tables(halves)


def _colocated_by_pairs(
    placed: ir.Table, sides: list[str], days: int, km: float
) -> dict[tuple[str, str], int]:
    """:meth:`_Acts.colocated` in the backend, for points too many and scattered for rows of
    bits: the events of a side meet the others' on one equal key, the day (a side's event
    shifted by each offset in the window) and the grid cell (the others', in each of the 3 x 3
    cells around it); only then is the great-circle distance checked."""
    mine = placed.filter(placed.actor.isin(sides))
    mine = mine.group_by(
        l_side=mine.actor,
        l_target=mine.target,
        l_date=mine.date_start,
        l_lat=mine.latitude,
        l_lon=mine.longitude,
    ).aggregate(n_l=mine.count())
    mine = mine.mutate(gid=ibis.row_number())
    theirs = placed.filter(~placed.actor.isin(sides))
    theirs = theirs.select(
        r_actor=theirs.actor,
        r_target=theirs.target,
        r_date=theirs.date_start,
        r_lat=theirs.latitude,
        r_lon=theirs.longitude,
    ).distinct()
    lat_cell = km / _KM_PER_DEGREE
    widest = theirs.r_lat.abs().max().to_pyarrow().as_py() or 0.0
    lon_cell = lat_cell / max(float(np.cos(np.radians(min(abs(widest), 89.0)))), 0.01)
    shifted = mine.mutate(k=ibis.literal(list(range(-days, days + 1))).unnest())
    mine = shifted.mutate(
        day=shifted.l_date + shifted.k.as_interval("D"),
        cy=(shifted.l_lat / lat_cell).floor(),
        cx=(shifted.l_lon / lon_cell).floor(),
    )
    spread = theirs.mutate(dy=ibis.literal([-1, 0, 1]).unnest()).mutate(
        dx=ibis.literal([-1, 0, 1]).unnest()
    )
    theirs = spread.mutate(
        cy=(spread.r_lat / lat_cell).floor() + spread.dy,
        cx=(spread.r_lon / lon_cell).floor() + spread.dx,
    )
    pairs = mine.join(
        theirs,
        [mine.day == theirs.r_date, mine.cy == theirs.cy, mine.cx == theirs.cx],
    )
    pairs = pairs.filter(pairs.l_target != pairs.r_actor, pairs.r_target != pairs.l_side)
    p1, p2 = pairs.l_lat.radians(), pairs.r_lat.radians()
    h = ((p2 - p1) / 2).sin() ** 2 + p1.cos() * p2.cos() * (
        (pairs.r_lon - pairs.l_lon).radians() / 2
    ).sin() ** 2
    distance = 2 * EARTH_RADIUS_KM * ibis.least(ibis.greatest(h, 0.0), 1.0).sqrt().asin()
    near = pairs.filter(distance <= km).select("gid", "l_side", "r_actor", "n_l").distinct()
    counted = near.group_by(["l_side", "r_actor"]).aggregate(found=near.n_l.sum()).to_pyarrow()
    return {(r["l_side"], r["r_actor"]): int(r["found"]) for r in counted.to_pylist()}


@dataclass(frozen=True)
class _Acts:
    """The placed events of the window as integer arrays: one row per (actor, target, point),
    rows sorted by actor, and the days of the row's events (one per event) in
    ``days[starts[i]:starts[i + 1]]``; ``places`` holds each distinct point once."""

    names: list[str]
    sides: tuple[int, int]
    actor: NDArray[np.int64]
    target: NDArray[np.int64]
    place: NDArray[np.int64]
    starts: NDArray[np.int64]
    days: NDArray[np.int64]
    places: NDArray[np.float64]
    span: int
    """Days from the first event to the last, both included."""

    @classmethod
    def of(cls, rows: pa.Table, sides: list[str]) -> _Acts | None:
        if rows.num_rows == 0:
            return None
        names = sorted({*rows["actor"].to_pylist(), *rows["target"].to_pylist(), *sides})
        code = {name: i for i, name in enumerate(names)}
        actor = np.array([code[v] for v in rows["actor"].to_pylist()], np.int64)
        order = np.argsort(actor, kind="stable")
        rows = rows.take(pa.array(order))
        lists = rows["days"].combine_chunks()
        days = pc.list_flatten(lists).to_numpy(zero_copy_only=False).astype(np.int64)
        coords = np.column_stack(
            [rows["lat"].to_numpy().astype(np.float64), rows["lon"].to_numpy().astype(np.float64)]
        )
        places, place = np.unique(coords, axis=0, return_inverse=True)
        lengths = pc.list_value_length(lists).to_numpy().astype(np.int64)
        return cls(
            names=names,
            sides=(code[sides[0]], code[sides[1]]),
            actor=actor[order],
            target=np.array([code[v] for v in rows["target"].to_pylist()], np.int64),
            place=place.reshape(-1).astype(np.int64),
            starts=np.concatenate([[0], np.cumsum(lengths)]),
            days=days - int(days.min()),
            places=places,
            span=int(days.max() - days.min()) + 1,
        )

    def colocated(self, days: int, km: float) -> dict[tuple[str, str], int]:
        """Per (side, other actor): the side's events with one of the other's events near them.

        Each other actor's days at each point become one row of bits, widened by ``days`` either
        way; the rows of the points within ``km`` of a side's point are OR-ed together, and a
        side's event counts when its day's bit is set there. The cost grows with the pairs of
        nearby points and the days, not with the pairs of events.
        """
        bounds = np.searchsorted(self.actor, np.arange(len(self.names) + 1))
        own = [np.arange(bounds[side], bounds[side + 1]) for side in self.sides]
        queried = np.unique(self.place[np.concatenate(own)])
        counted: dict[tuple[str, str], int] = {}
        if not len(queried):
            return counted
        # Only the sides' points are asked for their neighbours: the rows of other points stay
        # empty, as no side's event lies there.
        tree = BallTree(np.radians(self.places), metric="haversine")
        near_lists = tree.query_radius(np.radians(self.places[queried]), r=km / EARTH_RADIUS_KM)
        lengths = np.zeros(len(self.places), np.int64)
        lengths[queried] = [len(n) for n in near_lists]
        near = csr_matrix(
            (
                np.ones(int(lengths.sum()), np.bool_),
                np.concatenate(near_lists).astype(np.int64),
                np.concatenate([[0], np.cumsum(lengths)]),
            ),
            shape=(len(self.places), len(self.places)),
        )
        for side, mine in zip(self.sides, own, strict=True):
            if not len(mine):
                continue
            my_days, my_places = self._events(mine)
            # The points near one of the side's: an event elsewhere is near none of its events.
            reach = np.zeros(len(self.places), np.bool_)
            reach[near[np.unique(self.place[mine])].indices] = True
            for other in range(len(self.names)):
                rows = np.arange(bounds[other], bounds[other + 1])
                rows = rows[(self.target[rows] != side) & reach[self.place[rows]]]
                if other in self.sides or not len(rows):
                    continue
                hit = _near(near, *self._events(rows), my_days, my_places, self.span, days)
                per_row = np.add.reduceat(
                    hit.astype(np.int64), self.starts[mine] - self.starts[mine[0]]
                )
                found = int(per_row[self.target[mine] != other].sum())
                counted[(self.names[side], self.names[other])] = found
        return counted

    def _events(self, rows: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The day and the point of each event of ``rows``."""
        lengths = self.starts[rows + 1] - self.starts[rows]
        first = np.repeat(
            self.starts[rows] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths
        )
        return self.days[first + np.arange(int(lengths.sum()))], np.repeat(
            self.place[rows], lengths
        )


def _near(
    near: csr_matrix,
    their_days: NDArray[np.int64],
    their_places: NDArray[np.int64],
    my_days: NDArray[np.int64],
    my_places: NDArray[np.int64],
    span: int,
    days: int,
) -> NDArray[np.bool_]:
    """Whether each of my events has one of theirs within ``days`` days and ``near`` it."""
    size = near.shape[0]
    their_ids, their_rows = _compact(their_places, size)
    active = np.zeros((len(their_ids), span), np.bool_)
    active[their_rows, their_days] = True
    packed = np.packbits(_widen(active, days), axis=1, bitorder="little")
    my_ids, my_rows = _compact(my_places, size)
    links = near[my_ids][:, their_ids].tocsr()
    around = np.zeros((len(my_ids), packed.shape[1]), np.uint8)
    counts = np.diff(links.indptr)
    for k in range(int(counts.max(initial=0))):
        rows = np.flatnonzero(counts > k)
        around[rows] |= packed[links.indices[links.indptr[rows] + k]]
    bits = around[my_rows, my_days >> 3] >> (my_days & 7).astype(np.uint8)
    return (bits & 1).astype(np.bool_)


def _compact(values: NDArray[np.int64], size: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct ``values`` (all in ``range(size)``), sorted, and each value's index there."""
    present = np.zeros(size, np.bool_)
    present[values] = True
    index = np.cumsum(present) - 1
    return np.flatnonzero(present), index[values]


def _widen(active: NDArray[np.bool_], days: int) -> NDArray[np.bool_]:
    """``active`` with each set day spread ``days`` days either way (an OR over the window)."""
    reach = np.zeros((active.shape[0], active.shape[1] + days), np.bool_)
    reach[:, days:] = active
    covered = 1
    while covered < 2 * days + 1:
        step = min(covered, 2 * days + 1 - covered)
        reach[:, :-step] |= reach[:, step:]
        covered += step
    return reach[:, : active.shape[1]]


def _ranked(
    dyad: Dyad,
    counted: dict[tuple[str, str], int],
    top: int,
    schema: pa.Schema,
    values: Callable[[str, str, int], dict[str, object]],
) -> pa.Table:
    """The ``top`` of ``counted`` per side (actor, then rival), highest first, ties by id."""
    kind = schema.names[2]
    rows = []
    for side in (dyad.actor, dyad.rival):
        ranked = sorted(
            ((other, n) for (s, other), n in counted.items() if s == side),
            key=lambda item: (-item[1], item[0]),
        )
        for rank, (other, n) in enumerate(ranked[:top], start=1):
            rows.append(
                {
                    "side": side,
                    "side_name": dyad.name(side),
                    kind: other,
                    f"{kind}_name": dyad.name(other),
                    **values(side, other, n),
                    "rank": rank,
                }
            )
    return pa.Table.from_pylist(rows, schema=schema)


def _edges(dyad: Dyad, kinds: dict[str, dict[tuple[str, str], int]]) -> pa.Table:
    ordered = [
        (side, other, kind, n)
        for kind, counted in kinds.items()
        for (side, other), n in sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    ]
    return pa.table(
        {
            "source": [row[0] for row in ordered],
            "source_name": [dyad.name(row[0]) for row in ordered],
            "target": [row[1] for row in ordered],
            "target_name": [dyad.name(row[1]) for row in ordered],
            "kind": [row[2] for row in ordered],
            "weight": [row[3] for row in ordered],
        },
        schema=EDGE_SCHEMA,
    )


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def _sentence(
    dyad: Dyad,
    side: str,
    allied: int,
    allies: pa.Table,
    nearby: pa.Table,
    days: int,
    km: float,
) -> str:
    """One side's sentence; ``allied``: how many allies it has, the ``top`` kept or not."""
    name = dyad.name(side)
    window = f"{days} day{'s' if days != 1 else ''} and {km:g} km"
    friends = allies.filter(pc.equal(allies["side"], side)).to_pylist()[:3]
    if friends:
        shown = [
            f"{row['ally_name']} ({row['events']:,} event{'s' if row['events'] != 1 else ''})"
            for row in friends
        ]
        what = "(named on its side of an event, never fighting it)"
        if allied > len(shown):
            first = f"{name}'s {allied:,} recorded allies {what} include {_listed(shown)}"
        elif len(shown) > 1:
            first = f"{name}'s recorded allies {what} are {_listed(shown)}"
        else:
            first = f"{name}'s recorded ally {what} is {shown[0]}"
    else:
        first = f"{name} has no recorded ally in the window"
    near = nearby.filter(pc.equal(nearby["side"], side)).to_pylist()[:3]
    if not near:
        return f"{first}; no other actor was active within {window} of its events."
    shown = [
        f"{row['neighbour_name']} (near {row['near']:,} of its events; "
        + (f"fought it {_times(row['fights'])})" if row["fought"] else "never fought it)")
        for row in near
    ]
    several = len(shown) > 1
    return (
        f"{first}; the actor{'s' if several else ''} most often active within {window} of its "
        f"events (any relation) {'are' if several else 'is'} {_listed(shown)}."
    )
