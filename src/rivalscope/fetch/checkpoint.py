"""Fetch runs and their checkpoints, kept in the store beside the data they describe.

A run is one query against one API (its ``params``, hashed into ``job_key``). After each page is
ingested, one transaction records the page, the ids it held and the cursor of the next page.
Starting a query whose last run did not finish resumes that run at its cursor; the pages it had
stored are not fetched again. A page ingested just before a kill, whose checkpoint never
committed, is fetched again and ingested again: the ingest counts its rows as unchanged, so the
store still holds each event once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from rivalscope.store import IngestResult, Store


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class PageProgress:
    """What a fetch has done so far, reported after each page.

    Attributes:
        label: what is being fetched (``ucdp ged 25.1``).
        pages: pages done in this run (resumed pages included).
        pages_total: pages the API says there are, when it says.
        rows: rows read so far in this run.
        rows_total: rows the API says there are, when it says.
    """

    label: str
    pages: int
    pages_total: int | None
    rows: int
    rows_total: int | None


OnPage = Callable[[PageProgress], None]


@dataclass
class FetchResult:
    """What one fetch run did, over all its sessions if it was resumed.

    ``rows_read == rows_stored + rows_quarantined + rows_unchanged`` for event pages.
    """

    source: str
    kind: str
    run_id: str
    params: dict[str, Any]
    resumed_at_page: int | None
    pages: int
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    rows_unchanged: int
    rows_deleted: int
    cache_dir: str
    message: str | None = None
    empty: bool = False
    batches: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The result as the plain dict ``--json`` prints."""
        return asdict(self)


@dataclass
class Run:
    """One fetch run's state, as stored in ``fetch_runs``."""

    run_id: str
    source: str
    kind: str
    job_key: str
    params: dict[str, Any]
    cursor: str | None
    pages_done: int
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    rows_unchanged: int
    rows_deleted: int
    max_timestamp: int | None
    resumed_from: int | None
    """The pages already done when this session resumed the run (None: a new run)."""

    def result(self, cache_dir: Path, batches: Sequence[str] = ()) -> FetchResult:
        return FetchResult(
            source=self.source,
            kind=self.kind,
            run_id=self.run_id,
            params=self.params,
            resumed_at_page=self.resumed_from,
            pages=self.pages_done,
            rows_read=self.rows_read,
            rows_stored=self.rows_stored,
            rows_quarantined=self.rows_quarantined,
            rows_unchanged=self.rows_unchanged,
            rows_deleted=self.rows_deleted,
            cache_dir=str(cache_dir),
            batches=list(batches),
        )


_RUN_COLUMNS = (
    "run_id",
    "source",
    "kind",
    "job_key",
    "params",
    "cursor",
    "pages_done",
    "rows_read",
    "rows_stored",
    "rows_quarantined",
    "rows_unchanged",
    "rows_deleted",
    "max_timestamp",
)


def job_key(source: str, kind: str, params: dict[str, Any]) -> str:
    """A stable key of one query: the same query resumes the same unfinished run."""
    text = json.dumps([source, kind, params], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _run_row(row: dict[str, Any]) -> Run:
    return Run(
        run_id=row["run_id"],
        source=row["source"],
        kind=row["kind"],
        job_key=row["job_key"],
        params=json.loads(row["params"]),
        cursor=row["cursor"],
        pages_done=row["pages_done"],
        rows_read=row["rows_read"],
        rows_stored=row["rows_stored"],
        rows_quarantined=row["rows_quarantined"],
        rows_unchanged=row["rows_unchanged"],
        rows_deleted=row["rows_deleted"],
        max_timestamp=row["max_timestamp"],
        resumed_from=row["pages_done"] if row["pages_done"] > 0 else None,
    )


def start_or_resume(store: Store, source: str, kind: str, params: dict[str, Any]) -> Run:
    """The unfinished run of this query, or a new one (recorded at once)."""
    import ibis

    key = job_key(source, kind, params)
    t = store.table("fetch_runs")
    unfinished = (
        t.filter((t.job_key == key) & t.finished.isnull())
        .order_by(ibis.desc("started"))
        .limit(1)
        .select(*_RUN_COLUMNS)
        .to_pyarrow()
        .to_pylist()
    )
    if unfinished:
        return _run_row(unfinished[0])
    run = Run(
        run_id=f"{source}-{kind}-{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        source=source,
        kind=kind,
        job_key=key,
        params=params,
        cursor=None,
        pages_done=0,
        rows_read=0,
        rows_stored=0,
        rows_quarantined=0,
        rows_unchanged=0,
        rows_deleted=0,
        max_timestamp=None,
        resumed_from=None,
    )
    now = _now()
    store.execute(
        """INSERT INTO fetch_runs (run_id, source, kind, job_key, params, started, updated,
           finished, cursor, pages_done, rows_read, rows_stored, rows_quarantined,
           rows_unchanged, rows_deleted, max_timestamp)
           VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL)""",
        [run.run_id, source, kind, key, json.dumps(params, sort_keys=True), now, now],
    )
    return run


def record_page(
    store: Store,
    run: Run,
    *,
    page: int,
    cursor: str | None,
    rows: int,
    ingest: IngestResult | None = None,
    deleted: int = 0,
    event_ids: Iterable[str] = (),
    max_timestamp: int | None = None,
    raw_file: Path | None = None,
    in_transaction: bool = False,
) -> None:
    """Checkpoint one page: its counts, its ids, and where the next page starts.

    Args:
        in_transaction: the caller already holds a transaction (deletions apply and
            checkpoint in one).
    """
    run.cursor = cursor
    run.pages_done = page
    run.rows_read += rows if ingest is None else ingest.rows_read
    if ingest is not None:
        run.rows_stored += ingest.rows_stored
        run.rows_quarantined += ingest.rows_quarantined
        run.rows_unchanged += ingest.rows_unchanged
    run.rows_deleted += deleted
    if max_timestamp is not None:
        run.max_timestamp = max(run.max_timestamp or max_timestamp, max_timestamp)
    ids = list(event_ids)

    def write() -> None:
        store.execute(
            "INSERT INTO fetch_pages (run_id, page, batch_id, rows, raw_file, fetched) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                page,
                ingest.batch_id if ingest else None,
                rows,
                str(raw_file) if raw_file else None,
                _now(),
            ],
        )
        if ids:
            with store.staged_rows(pa.table({"event_id": pa.array(ids, pa.string())})) as seen:
                store.execute(
                    f"""INSERT INTO fetch_seen (run_id, event_id)
                    SELECT DISTINCT CAST(? AS VARCHAR), event_id FROM {seen}""",
                    [run.run_id],
                )
        store.execute(
            """UPDATE fetch_runs SET cursor = ?, pages_done = ?, rows_read = ?, rows_stored = ?,
               rows_quarantined = ?, rows_unchanged = ?, rows_deleted = ?, max_timestamp = ?,
               updated = ? WHERE run_id = ?""",
            [
                run.cursor,
                run.pages_done,
                run.rows_read,
                run.rows_stored,
                run.rows_quarantined,
                run.rows_unchanged,
                run.rows_deleted,
                run.max_timestamp,
                _now(),
                run.run_id,
            ],
        )

    if in_transaction:
        write()
    else:
        with store.transaction():
            write()


def finish(store: Store, run: Run, *, max_timestamp: int | None = None) -> None:
    """Mark the run finished; older finished runs of the same query forget their ids."""
    if max_timestamp is not None:
        run.max_timestamp = max(run.max_timestamp or max_timestamp, max_timestamp)
    with store.transaction():
        store.execute(
            """UPDATE fetch_runs SET finished = ?, updated = ?, cursor = NULL,
               max_timestamp = ? WHERE run_id = ?""",
            [_now(), _now(), run.max_timestamp, run.run_id],
        )
        store.execute(
            """DELETE FROM fetch_seen WHERE run_id IN (
                 SELECT run_id FROM fetch_runs WHERE job_key = ? AND run_id <> ?
                   AND finished IS NOT NULL)""",
            [run.job_key, run.run_id],
        )


def run_batches(store: Store, run_id: str) -> list[str]:
    """The ingest batches of a run's pages, in page order."""
    t = store.table("fetch_pages")
    pages = (
        t.filter((t.run_id == run_id) & t.batch_id.notnull())
        .order_by("page")
        .select("batch_id")
        .to_pyarrow()
    )
    return [str(batch) for batch in pages.column("batch_id").to_pylist()]


def runs(store: Store, source: str | None = None) -> list[dict[str, Any]]:
    """Every fetch run (newest first), as plain dicts."""
    import ibis

    t = store.table("fetch_runs")
    if source is not None:
        t = t.filter(t.source == source)
    found: list[dict[str, Any]] = (
        t.order_by(ibis.desc("started"))
        .select(*_RUN_COLUMNS, "started", "finished")
        .to_pyarrow()
        .to_pylist()
    )
    for row in found:
        row["params"] = json.loads(row["params"])
    return found
