"""THE upsert: how a checked batch of rows becomes part of a store, on every backend.

Every write of canonical rows ends here: an ingested file (:mod:`rivalscope.ingest.pipeline`)
and rows made by code (:mod:`rivalscope.ingest.rows`). The batch arrives as queries over the
store's staging DuckDB (:attr:`Store.staging`), already typed, checked and fingerprinted; in one
transaction of the store's database:

1. quarantined rows are recorded with their row number, raw text and reason;
2. rows whose key is new are inserted, rows whose fingerprint (``row_hash``) changed replace the
   stored row, identical rows are left alone and counted as unchanged;
3. actors that only this batch named are recorded as unregistered;
4. rows written for review get a ``pending`` entry (a changed row goes back to pending);
5. a batch of events records its coverage per country, and the countries it changed are
   relinked across sources (:func:`rivalscope.fusion.refresh`);
6. the batch is recorded in ``ingest_batches``.

``rows_read == rows_stored + rows_quarantined + rows_unchanged`` always holds. The SQL is what
DuckDB and PostgreSQL both run; the staged rows reach the store's database through
:meth:`Store.staged` (a view on DuckDB, a ``COPY`` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rivalscope.schema import REVIEW_KINDS

if TYPE_CHECKING:
    from rivalscope.fusion.coverage import Coverage
    from rivalscope.store.base import Store


@dataclass(frozen=True)
class IngestResult:
    """What one batch did. ``rows_read`` always equals the sum of the other three counts.

    Attributes:
        unresolved_actors: the most frequent actor names of the rows stored that no alias
            knows (``name``, ``rows``), at most 10, most rows first.
        unresolved_places: the most frequent province names of the rows stored that got no
            province code (``country_iso3``, ``admin1``, ``rows``), at most 10.
    """

    source: str
    file: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    rows_unchanged: int
    batch_id: str
    unresolved_actors: tuple[dict[str, Any], ...] = ()
    unresolved_places: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The result as the plain dict ``--json`` prints."""
        return asdict(self)


@dataclass(frozen=True)
class Batch:
    """A checked batch, as queries over the store's staging database.

    Attributes:
        batch_id: the batch's id (:func:`new_batch_id`).
        source: the source name recorded with the batch.
        file: where the rows came from (a path, or None for rows made by code).
        sha256: the file's hash (None for rows made by code).
        started: when the batch started (UTC, naive).
        target: the canonical table written (``events``, ``defections``, ``displacement``).
        key: its id column.
        columns: its columns, ``row_hash`` included.
        rows: a query of the good rows in those columns, in input order.
        good: how many rows ``rows`` returns.
        quarantine: a query of ``row_number``, ``raw`` (text) and ``reason`` of the bad rows.
        quarantined: how many rows ``quarantine`` returns.
        unregistered: a query of ``actor_id`` and ``name`` of actors no alias knows.
        reviews: a query of ``item_id``, ``confidence``, ``passage``, ``evidence`` for rows
            written for review (None: the rows count at once).
        coverage: what a batch of events covers (default: its events' dates, no version).
    """

    batch_id: str
    source: str
    file: str | None
    sha256: str | None
    started: dt.datetime
    target: str
    key: str
    columns: tuple[str, ...]
    rows: str
    good: int
    quarantine: str | None = None
    quarantined: int = 0
    unregistered: str | None = None
    reviews: str | None = None
    coverage: Coverage | None = None


def new_batch_id(source: str) -> str:
    """A unique, sortable batch id: ``<source>-<UTC time>-<random>``."""
    return f"{source}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def utc_now() -> dt.datetime:
    """Now in UTC, as the naive timestamp the store's tables hold."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def upsert(store: Store, batch: Batch) -> IngestResult:
    """Write ``batch`` to ``store`` in one transaction (see the module's steps).

    Raises:
        StoreError: the store refused the write; nothing of the batch is stored then.
    """
    store.require_writable()
    target, key = batch.target, batch.key
    columns = ", ".join(batch.columns)
    with store.transaction(), ExitStack() as staged:
        if batch.quarantine is not None and batch.quarantined:
            bad = staged.enter_context(store.staged(batch.quarantine))
            store.execute(
                f"INSERT INTO quarantine SELECT ?, row_number, raw, reason FROM {bad}",
                [batch.batch_id],
            )
        incoming = staged.enter_context(store.staged(batch.rows))
        stored = 0
        touched: set[str | None] = set()
        if batch.good:
            with _temporary(store) as changed:
                stored = store.execute(
                    f"""CREATE TEMP TABLE {changed} AS
                    SELECT f.{key}, t.{key} IS NOT NULL AS existed FROM {incoming} f
                    LEFT JOIN {target} t ON t.{key} = f.{key}
                    WHERE t.row_hash IS DISTINCT FROM f.row_hash"""
                )
                if target == "events" and stored:
                    touched = _countries(
                        store,
                        f"SELECT country_iso3 FROM {incoming} UNION SELECT country_iso3 "
                        f"FROM events WHERE event_id IN (SELECT event_id FROM {changed})",
                    )
                store.execute(
                    f"DELETE FROM {target} WHERE {key} IN "
                    f"(SELECT {key} FROM {changed} WHERE existed)"
                )
                only_changed = (
                    ""
                    if stored == batch.good
                    else f"WHERE EXISTS (SELECT 1 FROM {changed} c WHERE c.{key} = f.{key})"
                )
                store.execute(
                    f"INSERT INTO {target} ({columns}) "
                    f"SELECT {', '.join('f.' + c for c in batch.columns)} FROM {incoming} f "
                    f"{only_changed}"
                )
                if batch.reviews is not None:
                    reviews = staged.enter_context(store.staged(batch.reviews))
                    _write_reviews(store, target, changed, reviews, batch.started)
        if target == "events" and batch.good:
            from rivalscope.fusion import Coverage, refresh

            insert, params = (batch.coverage or Coverage()).sql(incoming)
            store.execute(insert, [batch.batch_id, batch.source, *params])
            if touched:
                refresh(store, touched)
        if batch.unregistered is not None:
            named = staged.enter_context(store.staged(batch.unregistered))
            store.execute(
                f"""INSERT INTO actors (actor_id, name, kind, parent, country_iso3, registered,
                    builtin, description)
                SELECT actor_id, name, 'unregistered', NULL, NULL, false, false, NULL
                FROM {named} u
                WHERE NOT EXISTS (SELECT 1 FROM actors a WHERE a.actor_id = u.actor_id)"""
            )
        result = IngestResult(
            source=batch.source,
            file=batch.file or "",
            rows_read=batch.good + batch.quarantined,
            rows_stored=stored,
            rows_quarantined=batch.quarantined,
            rows_unchanged=batch.good - stored,
            batch_id=batch.batch_id,
        )
        store.execute(
            "INSERT INTO ingest_batches (batch_id, source, file, sha256, started, finished, "
            "rows_read, rows_stored, rows_quarantined, rows_unchanged) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch.batch_id,
                batch.source,
                batch.file,
                batch.sha256,
                batch.started,
                utc_now(),
                result.rows_read,
                result.rows_stored,
                result.rows_quarantined,
                result.rows_unchanged,
            ],
        )
    return result


def _countries(store: Store, query: str) -> set[str | None]:
    return set(
        store.query(f"SELECT DISTINCT country_iso3 FROM ({query}) AS c").column(0).to_pylist()
    )


@contextmanager
def _temporary(store: Store) -> Iterator[str]:
    """A name for a temporary table of the store's database, dropped after the block (when the
    block fails, the transaction's rollback drops it)."""
    name = f"rs_changed_{uuid.uuid4().hex[:12]}"
    yield name
    store.execute(f"DROP TABLE IF EXISTS {name}")


def _write_reviews(
    store: Store, target: str, changed: str, reviews: str, started: dt.datetime
) -> None:
    """Every written row gets a review entry: new rows and changed rows are ``pending``
    (a changed row's earlier decision no longer holds); an unchanged row keeps its decision."""
    kind = "event" if target == "events" else "defection"
    key = REVIEW_KINDS[kind][1]
    store.execute(
        f"DELETE FROM reviews WHERE item_kind = ? AND item_id IN (SELECT {key} FROM {changed})",
        [kind],
    )
    store.execute(
        f"""INSERT INTO reviews (item_kind, item_id, status, confidence, passage, evidence,
                                 created)
        SELECT ?, r.item_id, 'pending', r.confidence, r.passage, r.evidence, ?
        FROM {reviews} r
        WHERE NOT EXISTS
          (SELECT 1 FROM reviews v WHERE v.item_kind = ? AND v.item_id = r.item_id)""",
        [kind, started, kind],
    )
