"""Removing events from the store, keeping each removed row in ``deleted_events``.

Two things remove events: ACLED's deletions endpoint (an event ACLED withdrew) and a UCDP GED
release superseding the Candidate rows it covers. The row as it was is kept as JSON, with the
reason, the source's own deletion time when it gives one, and the fetch run that removed it.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

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
    store.con.register("rs_delete_ids", ids.select(["event_id", "source_deleted_at"]))
    try:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        store.con.execute(
            """CREATE OR REPLACE TEMP TABLE rs_deleting AS
               SELECT e.event_id, any_value(d.source_deleted_at) AS source_deleted_at
               FROM events e JOIN rs_delete_ids d ON d.event_id = e.event_id
               GROUP BY e.event_id"""
        )
        count = store.con.execute("SELECT count(*) FROM rs_deleting").fetchone()
        removed = int(count[0]) if count else 0
        if removed:
            store.con.execute(
                """INSERT INTO deleted_events (event_id, source, reason, source_deleted_at,
                   deleted, run_id, event)
                   SELECT e.event_id, e.source, ?, d.source_deleted_at, ?, ?,
                          CAST(to_json(e) AS VARCHAR)
                   FROM events e JOIN rs_deleting d USING (event_id)""",
                [reason, now, run_id],
            )
            store.con.execute(
                "DELETE FROM events WHERE event_id IN (SELECT event_id FROM rs_deleting)"
            )
        store.con.execute("DROP TABLE rs_deleting")
    finally:
        store.con.unregister("rs_delete_ids")
    return removed


def deleted_events(store: Store, source: str | None = None) -> pa.Table:
    """The audit of removed events (newest first)."""
    return store.con.execute(
        """SELECT event_id, source, reason, source_deleted_at, deleted, run_id, event
           FROM deleted_events WHERE ? IS NULL OR source = ?
           ORDER BY deleted DESC, event_id""",
        [source, source],
    ).to_arrow_table()
