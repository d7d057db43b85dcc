"""Network: the actors that appear with each side, as allies or nearby in space and time.

Two kinds of tie. ``assoc``: two actors named on the same side of one event (actor1 with
``assoc_actors``, actor2 with ``assoc_actors2``: ACLED's associated actors, and the further
governments of a UCDP side that lists several), counted once per event. ``colocated``: an event
by a side (as actor1) and an event by another actor (as actor1) within ``days`` days and ``km``
km of each other, counted once per pair of events; a pair where either event is one of the two
acting on the other (a clash between them) is a fight, not a tie, and is left out. Civilians,
unidentified groups and actors of the registry kinds ``civilians`` and ``ambiguous`` (an
attribution the source could not make) are never partners, nor is the other side of the dyad:
they fight each other, so their events always lie together.

The co-location join runs in the backend with a date-range predicate and a coarse latitude and
longitude box; only the candidate pairs come back to have their great-circle distance checked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rivalscope.analysis.hotspots import EARTH_RADIUS_KM
from rivalscope.errors import InputError

if TYPE_CHECKING:
    import ibis.expr.types as ir

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
_BOX_MARGIN = 1.1
"""Widening of the coarse box: in longitude, ``km / cos(latitude)`` alone is slightly tight."""


@dataclass(frozen=True)
class Network:
    """Who appears with each side.

    Attributes:
        summary: two sentences, one per side, naming its strongest partners.
        edges: ``source``, ``target`` (actor ids, ``source < target``), ``kind`` (``assoc`` or
            ``colocated``, see the module) and ``weight`` (events, or pairs of events). Assoc
            edges come from every event where a side is in a group, so pairs of its partners
            named together appear too; colocated edges always touch a side.
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
    groups = t.select(
        eid=t.event_id,
        group=ibis.literal(1),
        members=_with_allies(t.actor1, t.assoc_actors),
    ).union(
        t.select(
            eid=t.event_id,
            group=ibis.literal(2),
            members=_with_allies(t.actor2, t.assoc_actors2),
        )
    )
    groups = groups.filter(
        groups.members.length() > 1,
        groups.members.contains(sides[0]) | groups.members.contains(sides[1]),
    )
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
    placed = placed.filter(placed.latitude.notnull(), placed.longitude.notnull())
    mine = placed.filter(placed.actor1.isin(sides)).select(
        l_side=placed.actor1,
        l_target=placed.actor2.fill_null(""),
        l_date=placed.date_start,
        l_lat=placed.latitude,
        l_lon=placed.longitude,
    )
    theirs = placed.filter(
        placed.actor1.notnull(), ~placed.actor1.isin([*sides, *excluded])
    ).select(
        r_actor=placed.actor1,
        r_target=placed.actor2.fill_null(""),
        r_date=placed.date_start,
        r_lat=placed.latitude,
        r_lon=placed.longitude,
    )
    mine = mine.group_by(mine.columns).aggregate(n_l=mine.count())
    theirs = theirs.group_by(theirs.columns).aggregate(n_r=theirs.count())
    lat_cell = km / _KM_PER_DEGREE
    widest = theirs.r_lat.abs().max().to_pyarrow().as_py() or 0.0
    lon_cell = lat_cell / max(float(np.cos(np.radians(min(abs(widest), 89.0)))), 0.01)
    # Each pair within `days` and `km` meets on one equal key: the day (mine, shifted by each
    # offset in the window) and the grid cell (theirs, in each of the 3 x 3 cells around it).
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
    near = pairs.filter(distance <= km)
    counted = (
        near.group_by(["l_side", "r_actor"])
        .aggregate(count_all=(near.n_l * near.n_r).sum())
        .to_pyarrow()
        .to_pylist()
    )
    rows = sorted(
        (
            (min(r["l_side"], r["r_actor"]), max(r["l_side"], r["r_actor"]), r["count_all"])
            for r in counted
        ),
        key=lambda row: (-row[2], row[0], row[1]),
    )
    return pa.table(
        {
            "source": [row[0] for row in rows],
            "target": [row[1] for row in rows],
            "kind": ["colocated"] * len(rows),
            "weight": [row[2] for row in rows],
        },
        schema=EDGE_SCHEMA,
    )


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
            plural = "s" if row["colocated"] != 1 else ""
            pairs = f"event pair{plural}"
            tie = f"co-located {pairs}" if explained else f"{pairs} within {window}"
            ties.append(f"{row['colocated']} {tie}")
            explained = True
        shown.append(f"{row['partner']} ({', '.join(ties)})")
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    verb = "s are" if len(shown) > 1 else " is"
    return f"{side}'s strongest partner{verb} {listed}."
