"""Removing events from the store, keeping each removed row in ``deleted_events``.

Two things remove events: ACLED's deletions endpoint (an event ACLED withdrew) and a UCDP GED
release superseding the Candidate rows it covers. The row as it was is kept as JSON, with the
reason, the source's own deletion time when it gives one, and the fetch run that removed it.

The removal is portable SQL run through :meth:`Store.execute` (the ids brought in by
:meth:`Store.staged_rows`) and the audit is read through Ibis, so both work on every store that
takes writes (DuckDB and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pyarrow as pa

import rivalscope.fusion as fusion
from rivalscope.store import Store


def delete_events(
    store: Store,
    ids: pa.Table,
    *,
    reason: str,
    run_id: str | None,
) -> int:
    """Delete the stored events named in ``ids`` and audit each one; call inside a transaction.

    Args:
        ids: an Arrow table with ``event_id`` and, optionally, ``source_deleted_at``
            (a timestamp: when the source deleted it).
        reason: why, in words (``deleted by ACLED``).
        run_id: the fetch run that removes them.

    Returns:
        How many stored events were removed (ids the store does not hold are ignored).
    """
    if "source_deleted_at" not in ids.column_names:
        ids = ids.append_column("source_deleted_at", pa.nulls(ids.num_rows, pa.timestamp("us")))
    named = pa.table(
        {
            "event_id": ids.column("event_id").cast(pa.string()),
            "source_deleted_at": ids.column("source_deleted_at").cast(pa.timestamp("us")),
        }
    )
    deleting = f"rs_deleting_{uuid.uuid4().hex[:8]}"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.staged_rows(named) as given:
        removed = store.execute(
            f"""CREATE TEMP TABLE {deleting} AS
            SELECT e.event_id, max(d.source_deleted_at) AS source_deleted_at
            FROM events e JOIN {given} d ON d.event_id = e.event_id
            GROUP BY e.event_id"""
        )
    if removed:
        store.execute(
            f"""INSERT INTO deleted_events (event_id, source, reason, source_deleted_at,
               deleted, run_id, event)
            SELECT e.event_id, e.source, CAST(? AS VARCHAR), d.source_deleted_at,
                   CAST(? AS TIMESTAMP), CAST(? AS VARCHAR), CAST(to_json(e) AS VARCHAR)
            FROM events e JOIN {deleting} d ON d.event_id = e.event_id""",
            [reason, now, run_id],
        )
        countries = store.query(
            f"SELECT DISTINCT country_iso3 FROM events WHERE event_id IN "
            f"(SELECT event_id FROM {deleting})"
        ).column(0)
        store.execute(f"DELETE FROM events WHERE event_id IN (SELECT event_id FROM {deleting})")
        fusion.refresh(store, countries.to_pylist())
    store.execute(f"DROP TABLE {deleting}")
    return removed


def deleted_events(store: Store, source: str | None = None) -> pa.Table:
    """The audit of removed events (newest first)."""
    import ibis

    t = store.table("deleted_events")
    if source is not None:
        t = t.filter(t.source == source)
    table: pa.Table = (
        t.order_by([ibis.desc("deleted"), "event_id"])
        .select("event_id", "source", "reason", "source_deleted_at", "deleted", "run_id", "event")
        .to_pyarrow()
    )
    return table
