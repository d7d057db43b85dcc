"""What an ingest could not resolve: the actor and province names no alias knows.

An analyst fixes these once (an alias file, a boundaries file) and re-runs the ingest; the
lists say which names matter most, by the rows they touch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rivalscope.store.base import Store

LISTED = 10
"""How many names of each kind an ingest lists."""

RESOLVE_ACTORS = "rivalscope actors load ALIASES.toml"
"""The command that gives unknown actor names an actor (see docs/data-sources.md)."""

RESOLVE_PLACES = "rivalscope places load-boundaries ADMIN1.geojson"
"""The command that places events with coordinates in a province whatever its name."""


def unresolved_actors(store: Store, batch_id: str, limit: int = LISTED) -> list[dict[str, Any]]:
    """The actor names of the batch's stored events that no alias knows, most rows first."""
    import ibis

    events = store.table("events").filter(lambda t: t.batch_id == batch_id)
    actors = store.table("actors").filter(lambda t: ~t.registered).select("actor_id")
    sides = ibis.union(
        events.select(actor=events.actor1, name=events.actor1_raw),
        events.select(actor=events.actor2, name=events.actor2_raw),
        distinct=False,
    )
    named = sides.inner_join(actors, sides.actor == actors.actor_id)
    counted = (
        named.group_by("name")
        .aggregate(rows=named.count())
        .order_by([ibis.desc("rows"), "name"])
        .limit(limit)
    )
    return [{"name": r["name"], "rows": int(r["rows"])} for r in counted.to_pyarrow().to_pylist()]


def unresolved_places(store: Store, batch_id: str, limit: int = LISTED) -> list[dict[str, Any]]:
    """The province names of the batch's stored events that got no province code (by name, nor
    by coordinates when boundaries are loaded), most rows first."""
    import ibis

    events = store.table("events")
    missing = events.filter(
        (events.batch_id == batch_id) & events.admin1_code.isnull() & events.admin1.notnull()
    )
    counted = (
        missing.group_by(["country_iso3", "admin1"])
        .aggregate(rows=missing.count())
        .order_by([ibis.desc("rows"), "country_iso3", "admin1"])
        .limit(limit)
    )
    return [
        {"country_iso3": r["country_iso3"], "admin1": r["admin1"], "rows": int(r["rows"])}
        for r in counted.to_pyarrow().to_pylist()
    ]
