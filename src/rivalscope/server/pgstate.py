"""The server's hold on a PostgreSQL store: direct reads from a pool, one writer for writes.

A DuckDB file locks other processes out, so the server reads a snapshot of it
(:mod:`rivalscope.server.state`). A PostgreSQL server has no such lock, so nothing is copied:

* **Reads** go straight to the database. Each request borrows a read-only
  :class:`~rivalscope.store.postgres.PostgresStore` from a small pool (a connection serves
  one thread at a time). At most ``pool_size`` requests read at once; the next ones wait for a
  store to come back, up to ``wait_seconds``, then get :class:`StoreBusy` (HTTP 503).
* **Changes** made by anyone (another server, ``rivalscope ingest --db postgresql://...``) are
  noticed by a watcher that asks the database every ``refresh_seconds`` for a cheap change
  signature (the ingest batches, the review entries and decisions, the registry, the loaded
  boundaries, the deletion audit, the store settings, the links between sources). When it
  differs, the version moves on and the result cache is cleared.
* **Writes** go through one read-write store, one at a time under a lock; the version moves on
  as soon as a write is done, so the writer's next read sees it.
* **Busy** never happens: other clients' writes do not block the server's reads or writes (the
  store's own write lock only queues writes a moment).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from rivalscope.errors import StoreError
from rivalscope.schema import MIGRATIONS
from rivalscope.server.cache import ResultCache
from rivalscope.server.state import Reader, StoreBusy, Watched

if TYPE_CHECKING:
    from rivalscope.store import Store
    from rivalscope.store.postgres import PostgresStore

log = logging.getLogger("rivalscope.server")
T = TypeVar("T")

POOL_SIZE = 4
WAIT_SECONDS = 30.0

_SIGNATURE = """SELECT
  (SELECT count(*) FROM ingest_batches), (SELECT max(finished) FROM ingest_batches),
  (SELECT count(*) FROM reviews), (SELECT max(created) FROM reviews),
  (SELECT max(decided) FROM reviews),
  (SELECT count(*) FROM actors), (SELECT max(xmin::text::bigint) FROM actors),
  (SELECT count(*) FROM actor_aliases), (SELECT max(xmin::text::bigint) FROM actor_aliases),
  (SELECT count(*) FROM places WHERE geometry IS NOT NULL),
  (SELECT max(xmin::text::bigint) FROM places),
  (SELECT count(*) FROM deleted_events), (SELECT count(*) FROM meta),
  (SELECT max(xmin::text::bigint) FROM meta),
  (SELECT count(*) FROM event_links), (SELECT max(xmin::text::bigint) FROM event_links)"""
"""What changes whenever the data served changes: every write through the library records a
batch, a review entry or decision, or rewrites the registry, the places or the settings; a
relink across sources (new link settings) rewrites the links."""


class PostgresState(Watched):
    """The reader pool, the writer and the watcher of one PostgreSQL store.

    Args:
        url: the store's ``postgresql://`` URL (its schema must exist: ingest data first).
        refresh_seconds: how often the watcher asks for the change signature.
        cache_entries: results kept per version (see :class:`ResultCache`).
        pool_size: read-only connections, the most requests that read at once.
        wait_seconds: how long a request waits for a free connection before a 503.

    Raises:
        StoreError: the server cannot be reached, or the database holds no store.
    """

    def __init__(
        self,
        url: str,
        *,
        refresh_seconds: float = 2.0,
        cache_entries: int = 256,
        pool_size: int = POOL_SIZE,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        if pool_size < 1:
            raise StoreError("the reader pool needs at least one connection")
        self.url = url
        self.refresh_seconds = refresh_seconds
        self.pool_size = pool_size
        self.wait_seconds = wait_seconds
        self.cache = ResultCache(cache_entries)
        self.version = 0
        self.taken: dt.datetime | None = None
        self.last_error: str | None = None
        self._slots = threading.BoundedSemaphore(pool_size)
        self._idle: queue.LifoQueue[PostgresStore] = queue.LifoQueue()
        self._write_lock = threading.Lock()
        self._watch_lock = threading.Lock()
        self._writer: PostgresStore | None = None
        self._signature: tuple[Any, ...] | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._watch = self._open(read_only=True)
        self.path = self._watch.path
        try:
            applied = self._applied_migrations()
            if applied < len(MIGRATIONS):
                self._writer = self._open(read_only=False)
        except BaseException:
            self._watch.close()
            raise

    def _open(self, *, read_only: bool) -> PostgresStore:
        from rivalscope.store.postgres import PostgresStore

        return PostgresStore(self.url, read_only=read_only)

    def _first_row(self, sql: str) -> tuple[Any, ...] | None:
        table = self._watch.query(sql)
        if not table.num_rows:
            return None
        return tuple(column[0].as_py() for column in table.columns)

    def _applied_migrations(self) -> int:
        row = self._first_row(
            "SELECT to_regclass('schema_version') IS NOT NULL, to_regclass('events') IS NOT NULL"
        )
        if not row or not all(row):
            raise StoreError(
                f"no store at {self.path}: ingest data first "
                f"(rivalscope ingest ... --db {self.path})"
            )
        applied = self._first_row("SELECT max(version) FROM schema_version")
        return int(applied[0] or 0) if applied else 0

    # --- status -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Never: other clients' writes do not hold the server's reads back."""
        return False

    @property
    def ready(self) -> bool:
        """Whether the change signature has been read once."""
        return self.version > 0

    # --- lifecycle ----------------------------------------------------------------------------
    _watch_name = "rivalscope-pg-watcher"
    _watch_failure = "reading the store's change signature failed"

    def _close(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        with self._watch_lock:
            self._watch.close()

    def poll(self) -> bool:
        """Read the change signature once; when it changed, move the version on.

        Returns:
            Whether the version moved on.
        """
        with self._watch_lock:
            try:
                if not self._watch.connected():
                    self._watch.close()
                    self._watch = self._open(read_only=True)
                signature = self._first_row(_SIGNATURE)
            except StoreError as exc:
                self.last_error = f"cannot read the store's change signature: {exc}"
                log.warning("%s", self.last_error)
                return False
            self.last_error = None
            if signature == self._signature:
                return False
            self._signature = signature
            self._advance()
            return True

    def _advance(self) -> None:
        self.version += 1
        self.taken = dt.datetime.now(dt.UTC)
        self.cache.clear()

    # --- reading ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A read-only store from the pool for one request (waiting for one when all are out).

        Raises:
            StoreBusy: no connection came free within ``wait_seconds``.
        """
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise StoreBusy(
                f"all {self.pool_size} connections to the store are in use; try again later",
                retry_after=2,
            )
        try:
            try:
                store = self._idle.get_nowait()
            except queue.Empty:
                store = self._open(read_only=True)
            try:
                yield Reader(store, self.version)
            finally:
                if store.connected():
                    self._idle.put(store)
                else:
                    store.close()
        finally:
            self._slots.release()

    # --- writing ------------------------------------------------------------------------------
    def write(self, operation: Callable[[Store], T], *, tables: set[str]) -> T:
        """Run ``operation`` on the read-write store, as this server's only writer; then move
        the version on (every cached result may depend on what was written, so ``tables`` is
        not needed to choose what to refresh)."""
        with self._write_lock:
            if self._writer is not None and not self._writer.connected():
                self._writer.close()
                self._writer = None
            if self._writer is None:
                self._writer = self._open(read_only=False)
            result = operation(self._writer)
        self._written()
        return result

    def _written(self) -> None:
        """Move the version on after this server's own write (and note the new signature)."""
        with self._watch_lock:
            try:
                self._signature = self._first_row(_SIGNATURE)
            except StoreError:
                self._signature = None
            self._advance()

    # --- helpers for the routes ---------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """The server's view of the store, for ``/api/info``."""
        return {
            "db": self.path,
            "backend": "postgres",
            "busy": False,
            "busy_pid": None,
            "busy_since": None,
            **self._served(),
            "pool_size": self.pool_size,
        }
