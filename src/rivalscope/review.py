"""Analyst review of rows written for review (text-coded events and defections).

A row written with ``for_review=True`` (see :meth:`rivalscope.Store.write_rows`) starts
``pending``; it counts in analyses only once an analyst accepts it. Rejected rows stay in the
store (so re-coding the same text does not bring them back) but never count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from rivalscope.errors import InputError, NotFoundError
from rivalscope.schema import REVIEW_KINDS, REVIEW_STATUSES

if TYPE_CHECKING:
    from rivalscope.store import Store

_ITEMS = """
SELECT v.item_kind, v.item_id, v.status, v.confidence, v.passage, v.evidence, v.created,
       v.decided, v.reviewer, e.event_type, e.date_start AS date, e.actor1, e.actor2,
       e.admin1_code, e.admin2, e.fatalities_best AS fatalities, NULL::INTEGER AS fighters
FROM reviews v JOIN events e ON v.item_kind = 'event' AND e.event_id = v.item_id
UNION ALL BY NAME
SELECT v.item_kind, v.item_id, v.status, v.confidence, v.passage, v.evidence, v.created,
       v.decided, v.reviewer, 'defection' AS event_type, d.date, d.from_actor AS actor1,
       d.to_actor AS actor2, d.admin1_code, d.admin2, NULL::INTEGER AS fatalities, d.fighters
FROM reviews v JOIN defections d ON v.item_kind = 'defection' AND d.defection_id = v.item_id
"""


def items(store: Store, *, status: str | None = "pending", kind: str | None = None) -> pa.Table:
    """Review items with a summary of the row each refers to, oldest first.

    Args:
        store: the store.
        status: ``pending``, ``accepted``, ``rejected``, or ``None`` for all.
        kind: ``event``, ``defection``, or ``None`` for both.

    Columns: item_kind, item_id, status, confidence, passage, evidence (JSON: field -> [start,
    end] character span), created, decided, reviewer, event_type, date, actor1, actor2 (for a
    defection: from and to), admin1_code, admin2, fatalities, fighters.
    """
    _check(status, kind)
    store.check_supported("reviewing coded rows")
    return store.con.execute(
        f"""SELECT * FROM ({_ITEMS})
        WHERE (CAST(? AS VARCHAR) IS NULL OR status = ?)
          AND (CAST(? AS VARCHAR) IS NULL OR item_kind = ?)
        ORDER BY created, item_kind, item_id""",
        [status, status, kind, kind],
    ).to_arrow_table()


def decide(
    store: Store,
    item_ids: Sequence[str],
    status: str,
    *,
    kind: str = "event",
    reviewer: str | None = None,
) -> int:
    """Set the review status of items (all or none: an unknown id changes nothing).

    Returns:
        The number of items whose status changed.

    Raises:
        NotFoundError: an id is not a review item of that kind.
    """
    _check(status, kind)
    if status == "pending":
        raise InputError("decide accepts accepted or rejected, not pending")
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return 0
    store._writable()
    store.check_supported("reviewing coded rows")
    known = {
        row[0]
        for row in store.con.execute(
            "SELECT item_id FROM reviews WHERE item_kind = ? AND list_contains(?, item_id)",
            [kind, ids],
        ).fetchall()
    }
    missing = [i for i in ids if i not in known]
    if missing:
        raise NotFoundError(f"no {kind} under review has the id {missing[0]!r}")
    with store.transaction():
        changed = store.con.execute(
            """SELECT count(*) FROM reviews
            WHERE item_kind = ? AND list_contains(?, item_id) AND status <> ?""",
            [kind, ids, status],
        ).fetchone()[0]  # type: ignore[index]
        store.con.execute(
            """UPDATE reviews SET status = ?, decided = ?, reviewer = ?
            WHERE item_kind = ? AND list_contains(?, item_id)""",
            [status, dt.datetime.now(dt.UTC).replace(tzinfo=None), reviewer, kind, ids],
        )
    return int(changed)


def _check(status: str | None, kind: str | None) -> None:
    if status is not None and status not in REVIEW_STATUSES:
        raise InputError(f"unknown review status {status!r}: use {', '.join(REVIEW_STATUSES)}")
    if kind is not None and kind not in REVIEW_KINDS:
        raise InputError(f"unknown review kind {kind!r}: use {', '.join(REVIEW_KINDS)}")
