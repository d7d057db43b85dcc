"""Analyst review of rows written for review (text-coded events and defections).

A row written with ``for_review=True`` (see :meth:`rivalscope.Store.write_rows`) starts
``pending``; it counts in analyses only once an analyst accepts it. Rejected rows stay in the
store (so re-coding the same text does not bring them back) but never count.

Reads are Ibis expressions and the decision one parameterized statement pair, so review works on
every store that takes writes (DuckDB and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

import rivalscope.fusion as fusion
from rivalscope.errors import InputError, NotFoundError
from rivalscope.schema import REVIEW_KINDS, REVIEW_STATUSES

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from rivalscope.store import Store

_REVIEW_FIELDS = (
    "item_kind",
    "item_id",
    "status",
    "confidence",
    "passage",
    "evidence",
    "created",
    "decided",
    "reviewer",
)


def _events_under_review(store: Store, reviews: ir.Table) -> ir.Table:
    import ibis

    e = store.table("events")
    joined = reviews.filter(reviews.item_kind == "event").inner_join(
        e, reviews.item_id == e.event_id
    )
    return joined.select(
        *_REVIEW_FIELDS,
        event_type=joined.event_type,
        date=joined.date_start,
        actor1=joined.actor1,
        actor2=joined.actor2,
        admin1_code=joined.admin1_code,
        admin2=joined.admin2,
        fatalities=joined.fatalities_best,
        fighters=ibis.null("int32"),
    )


def _defections_under_review(store: Store, reviews: ir.Table) -> ir.Table:
    import ibis

    d = store.table("defections")
    joined = reviews.filter(reviews.item_kind == "defection").inner_join(
        d, reviews.item_id == d.defection_id
    )
    return joined.select(
        *_REVIEW_FIELDS,
        event_type=ibis.literal("defection"),
        date=joined.date,
        actor1=joined.from_actor,
        actor2=joined.to_actor,
        admin1_code=joined.admin1_code,
        admin2=joined.admin2,
        fatalities=ibis.null("int32"),
        fighters=joined.fighters,
    )


def items(
    store: Store,
    *,
    status: str | None = "pending",
    kind: str | None = None,
    redact: bool = False,
) -> pa.Table:
    """Review items with a summary of the row each refers to, oldest first.

    Args:
        store: the store.
        status: ``pending``, ``accepted``, ``rejected``, or ``None`` for all.
        kind: ``event``, ``defection``, or ``None`` for both.
        redact: replace names of individuals in the passages by the store's pseudonyms (the
            evidence spans move with them).

    Columns: item_kind, item_id, status, confidence, passage, evidence (JSON: field -> [start,
    end] character span), created, decided, reviewer, event_type, date, actor1, actor2 (for a
    defection: from and to), admin1_code, admin2, fatalities, fighters.
    """
    _check(status, kind)
    reviews = store.table("reviews")
    if status is not None:
        reviews = reviews.filter(reviews.status == status)
    if kind is not None:
        reviews = reviews.filter(reviews.item_kind == kind)
    both = _events_under_review(store, reviews).union(
        _defections_under_review(store, reviews), distinct=False
    )
    table: pa.Table = both.order_by(["created", "item_kind", "item_id"]).to_pyarrow()
    if redact:
        from rivalscope.redact import redactor

        table = redactor(store).table(table)
    return table


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
    store.require_writable()
    reviews = store.table("reviews")
    found = reviews.filter((reviews.item_kind == kind) & reviews.item_id.isin(ids))
    known = set(found.select("item_id").to_pyarrow().column(0).to_pylist())
    missing = [i for i in ids if i not in known]
    if missing:
        raise NotFoundError(f"no {kind} under review has the id {missing[0]!r}")
    decided = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    update = (
        "UPDATE reviews SET status = ?, decided = ?, reviewer = ? "
        "WHERE item_kind = ? AND item_id = ANY(?) AND status {} ?"
    )
    params = [status, decided, reviewer, kind, ids, status]
    with store.transaction():
        changed = store.execute(update.format("<>"), params)
        store.execute(update.format("="), params)
        if changed and kind == "event":
            countries = store.query(
                "SELECT DISTINCT country_iso3 FROM events WHERE event_id = ANY(?)", [ids]
            ).column(0)
            fusion.refresh(store, countries.to_pylist())
    return changed


def _check(status: str | None, kind: str | None) -> None:
    if status is not None and status not in REVIEW_STATUSES:
        raise InputError(f"unknown review status {status!r}: use {', '.join(REVIEW_STATUSES)}")
    if kind is not None and kind not in REVIEW_KINDS:
        raise InputError(f"unknown review kind {kind!r}: use {', '.join(REVIEW_KINDS)}")
