"""The fused view: one row per real-world event, whichever sources recorded it.

A linked cluster (:mod:`rivalscope.fusion.linking`) becomes one fused event whose fields come,
group by group, from the member the precedence below prefers; a record no other source matched
is its own fused event. Each source's own values stay in ``events``; the fused row names its
``sources`` and ``linked_ids``, and ``event_links`` ties every member to its cluster.

Precedence (the first member by these rules gives the whole group, so a group's fields never mix
two records):

* who and what (event type, actors, target): ACLED, then UCDP, then any other source. ACLED's
  typology tells a battle from an air strike and from an attack on civilians.
* when: the finest date precision, then ACLED, then UCDP.
* where: the finest place (a point before a district before a province), then ACLED, then UCDP.
* deaths (best, low, high, civilian): UCDP, then ACLED. UCDP's best estimate weighs several
  reports and its low and high bound it.
* notes and link: the member with notes, ACLED first, then coded text, then UCDP.

Sources not named come after those named, in alphabetical order; the event id breaks ties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pyarrow as pa

from rivalscope.fusion.linking import place_rank_sql
from rivalscope.schema import FUSED_COLUMN_NAMES

if TYPE_CHECKING:
    from rivalscope.store.base import Store

PRECEDENCE: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "who": (
        (
            "event_type",
            "source_event_type",
            "source_sub_event_type",
            "actor1",
            "actor2",
            "actor1_raw",
            "actor2_raw",
            "assoc_actors",
            "assoc_actors2",
            "target_type",
            "initiator",
        ),
        ("acled", "ucdp"),
    ),
    "when": (("date_start", "date_end", "date_precision"), ("acled", "ucdp")),
    "where": (
        (
            "country_iso3",
            "admin1_code",
            "admin1",
            "admin2",
            "location",
            "latitude",
            "longitude",
            "geo_precision",
        ),
        ("acled", "ucdp"),
    ),
    "deaths": (
        ("fatalities_best", "fatalities_low", "fatalities_high", "civilian_deaths"),
        ("ucdp", "acled"),
    ),
    "notes": (("notes", "source_url"), ("acled", "text", "ucdp")),
}
"""Field groups of a fused event and the sources each prefers, first to last."""

_DATE_RANK = (
    "CASE date_precision WHEN 'day' THEN 0 WHEN 'week' THEN 1 WHEN 'month' THEN 2 ELSE 3 END"
)


def _source_rank(order: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(order))
    return f"CASE source {whens} ELSE {len(order)} END"


def _group_key(group: str) -> str:
    source = _source_rank(PRECEDENCE[group][1])
    first = {
        "when": _DATE_RANK,
        "where": place_rank_sql("source", "geo_precision", "latitude"),
        "notes": "CASE WHEN notes IS NULL OR notes = '' THEN 1 ELSE 0 END",
    }.get(group, "0")
    return f"({first}, {source}, source, event_id)"


def fused_rows(store: Store, members: pa.Table) -> pa.Table:
    """The fused event of each cluster of ``members`` (``cluster_id``, ``event_id``), in
    :data:`rivalscope.schema.FUSED_COLUMN_NAMES`."""
    ids = members.column("event_id").to_pylist()
    events = store.query("SELECT * FROM events WHERE event_id = ANY(?)", [ids])
    con = store.staging
    names = (f"rs_fuse_members_{id(members):x}", f"rs_fuse_events_{id(events):x}")
    con.register(names[0], members.select(["cluster_id", "event_id"]))
    con.register(names[1], events)
    try:
        picks = []
        for group, (columns, _order) in PRECEDENCE.items():
            fields = ", ".join(f"'{c}': {c}" for c in columns)
            picks.append(f"arg_min({{{fields}}}, {_group_key(group)}) AS pick_{group}")
        grouped = f"""SELECT m.cluster_id, {", ".join(picks)},
                          list(DISTINCT e.source ORDER BY e.source) AS sources,
                          list(e.event_id ORDER BY e.event_id) AS linked_ids
                   FROM {names[0]} m JOIN {names[1]} e USING (event_id)
                   GROUP BY m.cluster_id"""
        where_from = {c: group for group, (cols, _) in PRECEDENCE.items() for c in cols}
        select = []
        for column in FUSED_COLUMN_NAMES:
            if column == "event_id":
                select.append("'fused:' || cluster_id AS event_id")
            elif column == "source":
                select.append("'fused' AS source")
            elif column == "source_id":
                select.append("cluster_id AS source_id")
            elif column in ("batch_id", "row_hash"):
                select.append(f"NULL::VARCHAR AS {column}")
            elif column in where_from:
                select.append(f"pick_{where_from[column]}.{column} AS {column}")
            else:
                select.append(column)
        return con.execute(
            f"SELECT {', '.join(select)} FROM ({grouped}) AS g ORDER BY cluster_id"
        ).to_arrow_table()
    finally:
        for name in names:
            con.unregister(name)


__all__ = ["PRECEDENCE", "fused_rows"]
