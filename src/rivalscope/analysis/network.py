"""Network: the actors that appear with each side, as allies or nearby in space and time.

Two kinds of tie. ``assoc``: two actors named on the same side of one event (actor1 with
``assoc_actors``, actor2 with ``assoc_actors2``: ACLED's associated actors, and the further
governments of a UCDP side that lists several), counted once per event. ``colocated``: the
number of a side's events (as actor1) with at least one event by the other actor (as actor1)
within ``days`` days and ``km`` km of it. A side's event against that actor, or that actor's
event against the side, is a fight, not a tie, and is left out. Civilians, unidentified groups
and actors of the registry kinds ``civilians`` and ``ambiguous`` (an attribution the source
could not make) are never partners, nor is the other side of the dyad: they fight each other,
so their events always lie together.

Counting a side's events rather than pairs of events keeps a partner's weight bounded by the
side's own activity: a dense cluster of the other's events near one attack counts once.

Co-location is computed per distinct point, not per pair of events: the placed events come back
grouped by (actor, target, day, point); each partner's days at each point are a row of bits,
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
    import ibis.expr.types as ir
    from numpy.typing import NDArray

    from rivalscope.analysis.context import Dyad

NOT_PARTNERS = ("CIVILIANS", "UNIDENTIFIED")
"""Actor ids that are never partners: victims and the unattributed."""
NOT_PARTNER_KINDS = ("civilians", "ambiguous")
"""Nor are actors of these registry kinds (``TALIBAN_OR_ISKP``: the source could not tell)."""

EDGE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("target", pa.string()),
        ("kind", pa.string()),
        ("weight", pa.int64()),
    ]
)
PARTNER_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("partner", pa.string()),
        ("assoc", pa.int64()),
        ("colocated", pa.int64()),
        ("weight", pa.int64()),
        ("rank", pa.int64()),
    ]
)
_KM_PER_DEGREE = EARTH_RADIUS_KM * np.pi / 180
MAX_PLACE_DAYS = 200_000_000
"""Co-location keeps one bit-row of days per distinct point while places x days stays under
this; beyond it (points many and scattered) the pairs of events are joined in the backend."""


@dataclass(frozen=True)
class Network:
    """Who appears with each side.

    Attributes:
        summary: two sentences, one per side, naming its strongest partners.
        edges: ``source``, ``target`` (actor ids, ``source < target``), ``kind`` (``assoc`` or
            ``colocated``, see the module) and ``weight`` (events naming both; or the side's
            events with the other near them). Assoc edges come from every event where a side
            is in a group, so pairs of its partners named together appear too; colocated edges
            always touch a side.
        partners: per side (actor, then rival), its ``top`` strongest partners: ``side``,
            ``partner``, ``assoc`` and ``colocated`` weights, ``weight`` (their sum) and
            ``rank`` (1 = strongest; ties by assoc weight, then partner id). Never the other
            side, civilians, unidentified groups or ambiguous attributions.
        days: the co-location window in days (either way).
        km: the co-location distance in km.
        top: the most partners kept per side.
    """

    summary: str
    edges: pa.Table
    partners: pa.Table
    days: int
    km: float
    top: int


def compute(dyad: Dyad, *, days: int = 3, km: float = 25.0, top: int = 10) -> Network:
    """The ties of both sides.

    Args:
        dyad: the frame.
        days: co-located events start at most this many days apart (>= 0).
        km: and lie at most this far apart (> 0).
        top: partners kept per side (>= 1).

    Raises:
        InputError: an argument is out of range.
    """
    if days < 0:
        raise InputError(f"network: days must not be negative, not {days!r}")
    if not km > 0:
        raise InputError(f"network: km must be positive, not {km!r}")
    if top < 1:
        raise InputError(f"network: top must be at least 1, not {top!r}")
    excluded = _never_partners(dyad)
    edges = pa.concat_tables(
        [_assoc_edges(dyad, excluded), _colocated_edges(dyad, excluded, days, km)]
    )
    partners = _partners(dyad, edges, excluded, top)
    summary = " ".join(_sentence(side, partners, days, km) for side in (dyad.actor, dyad.rival))
    return Network(summary, edges, partners, int(days), float(km), int(top))


def _never_partners(dyad: Dyad) -> list[str]:
    actors = dyad.store.table("actors")
    kinds = actors.filter(actors.kind.isin(NOT_PARTNER_KINDS)).select("actor_id").to_pyarrow()
    return sorted({*NOT_PARTNERS, *kinds["actor_id"].to_pylist()})


def _with_allies(actor: ir.StringValue, allies: ir.ArrayValue) -> ir.ArrayValue:
    """``[actor, *allies]`` (no empty array literal: PostgreSQL cannot type one)."""
    alone = ibis.array([actor])
    return ibis.ifelse(allies.isnull(), alone, alone.concat(allies))


def _assoc_edges(dyad: Dyad, excluded: list[str]) -> pa.Table:
    t = dyad.events()
    sides = [dyad.actor, dyad.rival]

    def group(number: int, actor: ir.StringValue, allies: ir.ArrayValue) -> ir.Table:
        with_allies = t.filter(allies.notnull(), allies.length() > 0)
        return with_allies.select(
            eid=with_allies.event_id,
            group=ibis.literal(number),
            members=_with_allies(with_allies[actor.get_name()], with_allies[allies.get_name()]),
        )

    groups = group(1, t.actor1, t.assoc_actors).union(group(2, t.actor2, t.assoc_actors2))
    groups = groups.filter(groups.members.contains(sides[0]) | groups.members.contains(sides[1]))
    members = groups.select("eid", "group", member=groups.members.unnest())
    members = members.filter(members.member.notnull(), ~members.member.isin(excluded)).distinct()
    other = members.view()
    pairs = members.join(
        other,
        [
            members.eid == other.eid,
            members.group == other.group,
            members.member < other.member,
        ],
    ).select(eid=members.eid, source=members.member, target=other.member)
    counted = (
        pairs.group_by(["source", "target"])
        .aggregate(weight=pairs.eid.nunique().cast("int64"))
        .order_by([ibis.desc("weight"), "source", "target"])
        .to_pyarrow()
    )
    return pa.table(
        {
            "source": counted["source"],
            "target": counted["target"],
            "kind": pa.array(["assoc"] * counted.num_rows, pa.string()),
            "weight": counted["weight"],
        },
        schema=EDGE_SCHEMA,
    )


def _colocated_edges(dyad: Dyad, excluded: list[str], days: int, km: float) -> pa.Table:
    sides = [dyad.actor, dyad.rival]
    placed = dyad.events()
    placed = placed.filter(
        placed.latitude.notnull(),
        placed.longitude.notnull(),
        placed.date_start.notnull(),
        placed.actor1.notnull(),
        ~placed.actor1.isin(excluded),
    )
    grouped = placed.group_by(
        actor=placed.actor1,
        target=placed.actor2.fill_null(""),
        lat=placed.latitude,
        lon=placed.longitude,
    ).aggregate(days=placed.date_start.epoch_days().cast("int32").collect())
    acts = _Acts.of(grouped.to_pyarrow(), sides)
    if acts is None:
        counted: dict[tuple[str, str], int] = {}
    elif len(acts.places) * acts.span <= MAX_PLACE_DAYS:
        counted = acts.colocated(days, km)
    else:
        counted = _colocated_by_pairs(placed, sides, days, km)
    ordered = sorted(
        ((min(side, other), max(side, other), n) for (side, other), n in counted.items() if n),
        key=lambda row: (-row[2], row[0], row[1]),
    )
    return pa.table(
        {
            "source": [row[0] for row in ordered],
            "target": [row[1] for row in ordered],
            "kind": ["colocated"] * len(ordered),
            "weight": [row[2] for row in ordered],
        },
        schema=EDGE_SCHEMA,
    )


def _colocated_by_pairs(
    placed: ir.Table, sides: list[str], days: int, km: float
) -> dict[tuple[str, str], int]:
    """:meth:`_Acts.colocated` in the backend, for points too many and scattered for rows of
    bits: the events of a side meet the others' on one equal key, the day (a side's event
    shifted by each offset in the window) and the grid cell (the others', in each of the 3 x 3
    cells around it); only then is the great-circle distance checked."""
    mine = placed.filter(placed.actor1.isin(sides))
    mine = mine.group_by(
        l_side=mine.actor1,
        l_target=mine.actor2.fill_null(""),
        l_date=mine.date_start,
        l_lat=mine.latitude,
        l_lon=mine.longitude,
    ).aggregate(n_l=mine.count())
    mine = mine.mutate(gid=ibis.row_number())
    theirs = placed.filter(~placed.actor1.isin(sides))
    theirs = theirs.select(
        r_actor=theirs.actor1,
        r_target=theirs.actor2.fill_null(""),
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
        """Per (side, partner): the side's events with a partner's event near them.

        Each partner's days at each point become one row of bits, widened by ``days`` either
        way; the rows of the points within ``km`` of a side's point are OR-ed together, and a
        side's event counts when its day's bit is set there. The cost grows with the pairs of
        nearby points and the days, not with the pairs of events.
        """
        tree = BallTree(np.radians(self.places), metric="haversine")
        near_lists = tree.query_radius(np.radians(self.places), r=km / EARTH_RADIUS_KM)
        lengths = np.fromiter((len(n) for n in near_lists), np.int64, len(near_lists))
        near = csr_matrix(
            (
                np.ones(int(lengths.sum()), np.bool_),
                np.concatenate(near_lists).astype(np.int64),
                np.concatenate([[0], np.cumsum(lengths)]),
            ),
            shape=(len(near_lists), len(near_lists)),
        )
        bounds = np.searchsorted(self.actor, np.arange(len(self.names) + 1))
        counted: dict[tuple[str, str], int] = {}
        for side in self.sides:
            mine = np.arange(bounds[side], bounds[side + 1])
            if not len(mine):
                continue
            my_days, my_places = self._events(mine)
            for partner in range(len(self.names)):
                rows = np.arange(bounds[partner], bounds[partner + 1])
                rows = rows[self.target[rows] != side]
                if partner in self.sides or not len(rows):
                    continue
                hit = _near(near, *self._events(rows), my_days, my_places, self.span, days)
                per_row = np.add.reduceat(
                    hit.astype(np.int64), self.starts[mine] - self.starts[mine[0]]
                )
                found = int(per_row[self.target[mine] != partner].sum())
                counted[(self.names[side], self.names[partner])] = found
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


def _partners(dyad: Dyad, edges: pa.Table, excluded: list[str], top: int) -> pa.Table:
    rows = []
    for side, other in ((dyad.actor, dyad.rival), (dyad.rival, dyad.actor)):
        weights: dict[str, dict[str, int]] = defaultdict(lambda: {"assoc": 0, "colocated": 0})
        for edge in edges.to_pylist():
            if side not in (edge["source"], edge["target"]):
                continue
            partner = edge["target"] if edge["source"] == side else edge["source"]
            if partner == other or partner in excluded:
                continue
            weights[partner][edge["kind"]] += edge["weight"]
        ranked = sorted(
            weights.items(),
            key=lambda item: (
                -(item[1]["assoc"] + item[1]["colocated"]),
                -item[1]["assoc"],
                item[0],
            ),
        )
        for rank, (partner, w) in enumerate(ranked[:top], start=1):
            rows.append(
                {
                    "side": side,
                    "partner": partner,
                    "assoc": w["assoc"],
                    "colocated": w["colocated"],
                    "weight": w["assoc"] + w["colocated"],
                    "rank": rank,
                }
            )
    return pa.Table.from_pylist(rows, schema=PARTNER_SCHEMA)


def _sentence(side: str, partners: pa.Table, days: int, km: float) -> str:
    mine = partners.filter(pc.equal(partners["side"], side)).to_pylist()
    window = f"{days} day{'s' if days != 1 else ''} and {km:g} km"
    if not mine:
        return (
            f"{side} has no partners in the window: no ally named with it in an event and no "
            f"other actor acting within {window} of it."
        )
    shown = []
    explained = False
    for row in mine[:3]:
        ties = []
        if row["assoc"]:
            ties.append(f"ally in {row['assoc']} event{'s' if row['assoc'] != 1 else ''}")
        if row["colocated"]:
            tie = f"near {row['colocated']} of its events"
            ties.append(tie if explained else f"{tie}: within {window}")
            explained = True
        shown.append(f"{row['partner']} ({', '.join(ties)})")
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    verb = "s are" if len(shown) > 1 else " is"
    return f"{side}'s strongest partner{verb} {listed}."
