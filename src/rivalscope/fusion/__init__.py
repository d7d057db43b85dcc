"""Several sources, one truth: coverage per source, links between records of one event, and
the fused view that counts each real-world event once.

* :mod:`~rivalscope.fusion.coverage`: what each source covers, per country.
* :mod:`~rivalscope.fusion.linking`: which records of different sources are one event.
* :mod:`~rivalscope.fusion.fused`: one row per event, each field from the source preferred for
  it.

The store keeps ``event_links`` and ``fused_events`` current: every write of events (ingest,
fetch, update, coded text), every review decision, every deletion and every re-resolution of
actors or provinces relinks the countries it touched (:func:`refresh`), in the same transaction.

>>> import rivalscope as rs
>>> import rivalscope.fusion as fusion
>>> store = rs.open()
>>> fusion.view(store, "fused").count().execute()
0
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.fusion.coverage import Coverage, coverage, parse_window, ucdp_version, windows
from rivalscope.fusion.fused import PRECEDENCE, fused_rows
from rivalscope.fusion.linking import (
    COUNTED,
    LinkSettings,
    anonymous_actors,
    link_country,
    stored_settings,
    to_json,
)
from rivalscope.schema import FUSED_COLUMN_NAMES, FUSED_COLUMNS

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from rivalscope.store.base import Store

FUSED = "fused"
"""The source name of the fused view."""

UNFUSED = ("sim",)
"""Sources never linked to others nor read by default: a simulation's events describe another
world (read them with ``source="sim"``)."""

_ARROW = {
    "VARCHAR": pa.string(),
    "VARCHAR[]": pa.list_(pa.string()),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}
"""The Arrow type of each SQL type of the fused table (rows read back from a server's database
lose the types of their all-NULL columns)."""

_LINK_COLUMNS = ("cluster_id", "event_id", "source", "source_id", "country_iso3", "score")


def refresh(store: Store, countries: Iterable[str | None] | None = None) -> dict[str, int]:
    """Relink ``countries`` (default: every country) inside the caller's transaction.

    Returns:
        ``{"countries": n, "clusters": n, "linked": n}``: countries with two sources or more,
        fused events made, and records linked.
    """
    if countries is None:
        wanted = store.query(
            "SELECT DISTINCT country_iso3 FROM events WHERE country_iso3 IS NOT NULL "
            "UNION SELECT DISTINCT country_iso3 FROM event_links"
        ).column(0)
        chosen = sorted(str(c) for c in wanted.to_pylist())
    else:
        chosen = sorted({c for c in countries if c})
    stats = {"countries": 0, "clusters": 0, "linked": 0}
    if not chosen:
        return stats
    several = store.query(
        "SELECT country_iso3 FROM events WHERE country_iso3 = ANY(?) AND NOT source = ANY(?) "
        "GROUP BY country_iso3 HAVING count(DISTINCT source) > 1 ORDER BY country_iso3",
        [chosen, list(UNFUSED)],
    ).column(0)
    multi = [str(c) for c in several.to_pylist()]
    stale = store.query(
        "SELECT DISTINCT country_iso3 FROM fused_events WHERE country_iso3 = ANY(?)", [chosen]
    ).column(0)
    touched = sorted({*multi, *(str(c) for c in stale.to_pylist())})
    if not touched:
        return stats
    for table in ("event_links", "fused_events"):
        store.execute(f"DELETE FROM {table} WHERE country_iso3 = ANY(?)", [touched])
    settings = stored_settings(store)
    anonymous = anonymous_actors(store)
    schema = pa.schema([(name, _ARROW[kind]) for name, kind in FUSED_COLUMNS])
    for country in multi:
        events, linked = link_country(store, country, settings, anonymous, UNFUSED)
        stats["countries"] += 1
        if linked:
            stats["clusters"], stats["linked"] = (
                stats["clusters"] + _write_clusters(store, events, linked, country, schema),
                stats["linked"] + len(linked),
            )
        columns = ", ".join(FUSED_COLUMN_NAMES[:-2])
        store.execute(
            f"""INSERT INTO fused_events ({columns}, sources, linked_ids)
            SELECT {columns}, ARRAY[e.source], ARRAY[e.event_id] FROM events e
            WHERE e.country_iso3 = ? AND NOT e.source = ANY(?) AND {COUNTED}
              AND NOT EXISTS (SELECT 1 FROM event_links l WHERE l.event_id = e.event_id)""",
            [country, list(UNFUSED)],
        )
    return stats


def _write_clusters(
    store: Store,
    events: pa.Table,
    linked: dict[str, tuple[str, float]],
    country: str,
    schema: pa.Schema,
) -> int:
    """Write a country's links and the fused event of each cluster; returns the clusters."""
    links = _links_table(events, linked, country)
    with store.staged_rows(links) as staged:
        columns = ", ".join(_LINK_COLUMNS)
        store.execute(f"INSERT INTO event_links ({columns}) SELECT {columns} FROM {staged}")
    fused = fused_rows(store, links).cast(schema)
    with store.staged_rows(fused) as staged:
        columns = ", ".join(FUSED_COLUMN_NAMES)
        store.execute(f"INSERT INTO fused_events ({columns}) SELECT {columns} FROM {staged}")
    return fused.num_rows


def _links_table(events: pa.Table, linked: dict[str, tuple[str, float]], country: str) -> pa.Table:
    ids = events.column("event_id").to_pylist()
    sources = events.column("source").to_pylist()
    source_ids = events.column("source_id").to_pylist()
    rows = sorted(
        (linked[i][0], i, s, sid, linked[i][1])
        for i, s, sid in zip(ids, sources, source_ids, strict=True)
        if i in linked
    )
    return pa.table(
        {
            "cluster_id": pa.array([r[0] for r in rows], pa.string()),
            "event_id": pa.array([r[1] for r in rows], pa.string()),
            "source": pa.array([r[2] for r in rows], pa.string()),
            "source_id": pa.array([r[3] for r in rows], pa.string()),
            "country_iso3": pa.array([country] * len(rows), pa.string()),
            "score": pa.array([r[4] for r in rows], pa.float64()),
        }
    )


def link(
    store: Store,
    *,
    countries: Iterable[str] | None = None,
    settings: LinkSettings | None = None,
) -> dict[str, int]:
    """Relink the store's events (all countries, or ``countries``) in one transaction.

    Args:
        store: an open, writable store.
        countries: ISO3 codes; default every country.
        settings: new link settings, kept by the store for every later write; default: the
            store's (:func:`~rivalscope.fusion.linking.stored_settings`).
    """
    store.require_writable()
    with store.transaction():
        if settings is not None:
            store.execute("DELETE FROM meta WHERE key = ?", ["link_settings"])
            store.execute("INSERT INTO meta VALUES (?, ?)", ["link_settings", to_json(settings)])
        return refresh(store, None if countries is None else list(countries))


def links(store: Store, *, country: str | None = None, event_id: str | None = None) -> pa.Table:
    """Linked records: ``cluster_id``, ``event_id``, ``source``, ``source_id``, ``country_iso3``,
    ``score`` (the best score that tied the record in), by cluster.

    Args:
        country: ISO3: only that country's clusters.
        event_id: only the cluster holding this event (a source's ``ucdp:123`` or a fused
            ``fused:...``).
    """
    t = store.table("event_links")
    if country is not None:
        t = t.filter(t.country_iso3 == country)
    if event_id is not None:
        cluster = event_id.removeprefix(f"{FUSED}:") if event_id.startswith(f"{FUSED}:") else None
        if cluster is not None:
            t = t.filter(t.cluster_id == cluster)
        else:
            held = t.filter(t.event_id == event_id).select("cluster_id")
            t = t.filter(t.cluster_id.isin(held.cluster_id))
    return t.select(*_LINK_COLUMNS).order_by(["cluster_id", "source", "event_id"]).to_pyarrow()


def stored_sources(store: Store, country: str | None = None, *, counted: bool = True) -> list[str]:
    """The sources with events in the store (in ``country``), sorted: those with events that
    count, or with ``counted=False`` also those whose every event awaits review."""
    e = store.counted("events") if counted else store.table("events")
    if country is not None:
        e = e.filter(e.country_iso3 == country)
    return sorted(str(s) for s in e.select("source").distinct().to_pyarrow().column(0).to_pylist())


def _fused_countries(store: Store, country: str | None) -> list[str]:
    t = store.table("fused_events")
    if country is not None:
        t = t.filter(t.country_iso3 == country)
    found = t.select("country_iso3").distinct().to_pyarrow().column(0).to_pylist()
    return sorted(str(c) for c in found)


def choose(store: Store, source: str | None, country: str | None = None) -> str:
    """The source an analysis reads: ``source`` checked, or by default ``fused`` where two
    sources or more hold events (in ``country``), else the one source there.

    Raises:
        InputError: ``source`` is neither ``fused`` nor a source with events in the store.
    """
    present = stored_sources(store, country)
    if source is None:
        real = [s for s in present if s not in UNFUSED]
        if len(real) == 1 or (not real and len(present) == 1):
            return (real or present)[0]
        return FUSED
    if source == FUSED or source in present:
        return source
    everywhere = stored_sources(store, counted=False)
    if source in everywhere:
        return source
    known = ", ".join([*everywhere, FUSED]) if everywhere else FUSED
    raise InputError(
        f"no events from source {source!r} in this store: use {known}", parameter="source"
    )


def view(store: Store, source: str, country: str | None = None) -> ir.Table:
    """The events an analysis reads for a source choice (:func:`choose`): one source's events
    that count, or the fused view, one row per real-world event with ``sources`` and
    ``linked_ids``."""
    e = store.counted("events")
    if source != FUSED:
        return e.filter(e.source == source)
    e = e.filter(~e.source.isin(UNFUSED))
    lone = e.mutate(sources=ibis.array([e.source]), linked_ids=ibis.array([e.event_id])).select(
        *FUSED_COLUMN_NAMES
    )
    fused_in = _fused_countries(store, country)
    if not fused_in:
        return lone
    fused = store.table("fused_events").select(*FUSED_COLUMN_NAMES)
    if country is not None:
        return fused.filter(fused.country_iso3 == country)
    rest = lone.filter(lone.country_iso3.isnull() | ~lone.country_iso3.isin(fused_in))
    return ibis.union(rest, fused, distinct=False)


def describe(store: Store, source: str, country: str | None) -> dict[str, Any]:
    """Plain data on a source choice, for outputs: the name and the sources behind it."""
    behind = (
        [s for s in stored_sources(store, country) if s not in UNFUSED]
        if source == FUSED
        else [source]
    )
    return {"source": source, "sources": behind}


__all__ = [
    "FUSED",
    "PRECEDENCE",
    "UNFUSED",
    "Coverage",
    "LinkSettings",
    "choose",
    "coverage",
    "describe",
    "link",
    "links",
    "parse_window",
    "refresh",
    "stored_sources",
    "ucdp_version",
    "view",
    "windows",
]
