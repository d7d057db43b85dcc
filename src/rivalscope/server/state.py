"""The server's hold on a DuckDB store: a snapshot in memory for reads, one writer for writes.

(A PostgreSQL store is read directly instead: :mod:`rivalscope.server.pgstate`. Both offer the
routes what :class:`State` names.)

DuckDB lets one process write a file, and a process that has the file open read-write locks
every other process out, readers too. A server that kept the store open would stop every
``rivalscope ingest`` the analyst runs; one that opened it read-only would stop them too. So:

* **Reads** come from a snapshot: an in-memory DuckDB database holding a copy of every table
  (events sorted by date and id, so pages are cheap). Each request reads on its own cursor inside
  one transaction, so reads run concurrently and a request never sees a refresh half-done.
* **Refresh**: a watcher thread asks every few seconds, without taking it, whether another
  process holds the file's write lock (:mod:`rivalscope.server.lockprobe`). When none does and
  the file changed, the file (and its WAL) is copied byte for byte to a private temporary file,
  the copy is checked to be whole (same size and time before and after, still no writer), opened
  and migrated there, and its tables replace the snapshot's in one transaction. The store file
  itself is never locked by the server for a read.
* **Writes** go through one writer: a lock serializes them; each opens the file read-write,
  writes through the library (:meth:`Store.write_rows`, :func:`rivalscope.review.decide`),
  closes it and refreshes the tables it touched.
* **Busy**: while another process holds the write lock, reads keep answering from the last
  snapshot and say so (``busy`` in ``/api/info``, the ``X-Rivalscope-Busy`` header); writes fail
  with :class:`StoreBusy` (HTTP 503 with ``Retry-After``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rivalscope.errors import StoreError
from rivalscope.server.cache import ResultCache
from rivalscope.server.lockprobe import lock_holder
from rivalscope.store import Store
from rivalscope.store import open as open_store
from rivalscope.store.duckdb import DuckDBStore
from rivalscope.store.snapshot import Snapshot

log = logging.getLogger("rivalscope.server")
T = TypeVar("T")

RETRY_AFTER_SECONDS = 5


class StoreBusy(StoreError):
    """Another process holds the store's write lock (or no snapshot could be taken yet)."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Reader:
    """A store to read from during one request, and the snapshot version it sees."""

    store: Store
    version: int


class State(Protocol):
    """What the routes need from the server's hold on a store, whatever its backend.

    Attributes:
        cache: results computed from the store, keyed by the version they were computed on.
        version: moves on whenever the data served changes (the cache is cleared then).
        warmed_version: the last version the cache warmer finished (see
            :mod:`rivalscope.server.warm`); warm_seconds: how long it took.
    """

    cache: ResultCache
    version: int
    warmed_version: int
    warm_seconds: float | None

    @property
    def path(self) -> Path | str:
        """The store (a file, or a URL with its password masked)."""

    @property
    def busy(self) -> bool:
        """Whether reads come from an older snapshot because another process is writing."""

    @property
    def ready(self) -> bool:
        """Whether the store can be read."""

    def start(self) -> None:
        """Start watching the store for changes made by other processes."""

    def stop(self) -> None:
        """Stop watching and close every connection."""

    def poll(self) -> bool:
        """Look for changes once; whether the version moved on."""

    def reader(self) -> AbstractContextManager[Reader]:
        """A store to read from during one request."""

    def write(self, operation: Callable[[Store], T], *, tables: set[str]) -> T:
        """Run ``operation`` on the store opened for writing, as the only writer."""

    def status(self) -> dict[str, Any]:
        """The server's view of the store, for ``/api/info``."""


@dataclass(frozen=True)
class Signature:
    """What tells a changed store file from an unchanged one: size, time and inode of the file
    and of its write-ahead log."""

    files: tuple[tuple[int, int, int] | None, ...]

    @classmethod
    def of(cls, path: Path) -> Signature:
        """The signature of ``path`` and ``path.wal`` now."""
        found: list[tuple[int, int, int] | None] = []
        for file in (path, Path(f"{path}.wal")):
            try:
                info = file.stat()
            except FileNotFoundError:
                found.append(None)
            else:
                found.append((info.st_size, info.st_mtime_ns, info.st_ino))
        return cls(tuple(found))


def _is_lock_error(exc: BaseException) -> bool:
    return "lock" in str(exc).lower()


class Watched:
    """What both store states share: a watcher thread that calls :meth:`poll` every
    ``refresh_seconds`` until :meth:`stop`, and a queue of idle readers to close then.

    Subclasses set ``refresh_seconds``, ``last_error``, ``_idle``, ``_stop`` and ``_watcher`` in
    their ``__init__`` and define :meth:`poll` and :meth:`_close`.
    """

    refresh_seconds: float
    last_error: str | None
    version: int
    taken: dt.datetime | None
    cache: ResultCache
    _idle: queue.SimpleQueue[Any] | queue.LifoQueue[Any]
    _stop: threading.Event
    _watcher: threading.Thread | None
    _watch_name: str = "rivalscope-store-watcher"
    _watch_failure: str = "refreshing the snapshot failed"
    warmed_version: int = 0
    """The last version whose home page dyads were warmed (see :mod:`rivalscope.server.warm`)."""
    warm_seconds: float | None = None
    """How long warming that version took."""

    def poll(self) -> bool:
        """Look at the store once; return whether what is served moved on."""
        raise NotImplementedError

    def _close(self) -> None:
        """Close what the state holds besides its idle readers."""
        raise NotImplementedError

    def start(self) -> None:
        """Look at the store once and start watching it."""
        self.poll()
        if self._watcher is None:
            self._stop.clear()
            self._watcher = threading.Thread(
                target=self._watch_loop, name=self._watch_name, daemon=True
            )
            self._watcher.start()

    def stop(self) -> None:
        """Stop the watcher and close every reader and connection."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
            self._watcher = None
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        self._close()

    def _served(self) -> dict[str, Any]:
        """What ``/api/info`` says of the version served and the result cache, on any store."""
        return {
            "snapshot_version": self.version,
            "snapshot_taken": self.taken.isoformat() if self.taken else None,
            "last_error": self.last_error,
            "cache_entries": len(self.cache),
            "cache_hits": self.cache.hits,
            "cache_misses": self.cache.misses,
            "warmed_version": self.warmed_version,
            "warm_seconds": None if self.warm_seconds is None else round(self.warm_seconds, 3),
            "pid": os.getpid(),
        }

    def _watch_loop(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.poll()
            except Exception as exc:  # the watcher must outlive any one failed look
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception(self._watch_failure)


class StoreState(Watched):
    """The snapshot, the writer and the watcher of one store file.

    Args:
        path: the DuckDB file (it must exist).
        refresh_seconds: how often the watcher looks at the file.
        cache_entries: results kept per snapshot (see :class:`ResultCache`).
    """

    def __init__(
        self, path: str | Path, *, refresh_seconds: float = 2.0, cache_entries: int = 256
    ) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise StoreError(
                f"no store at {path}: ingest data first (rivalscope ingest ... --db {path})"
            )
        self.refresh_seconds = refresh_seconds
        self.cache = ResultCache(cache_entries)
        self._snapshot = Snapshot(str(self.path))
        self._file_lock = threading.Lock()
        self.load_lock = threading.Lock()
        """Held while the snapshot's tables are replaced, and by the cache warmer while it
        reads: DuckDB (1.5) was seen to abort the process when a load met the warmer's reads."""
        self._idle: queue.SimpleQueue[DuckDBStore] = queue.SimpleQueue()
        self._signature: Signature | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.version = 0
        self.taken: dt.datetime | None = None
        self.busy_pid: int | None = None
        self.busy_since: dt.datetime | None = None
        self.last_error: str | None = None

    # --- status -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether another process holds the store's write lock (as last seen)."""
        return self.busy_pid is not None

    @property
    def ready(self) -> bool:
        """Whether a snapshot has been taken."""
        return self.version > 0

    def _mark_busy(self, pid: int | None) -> None:
        if self.busy_pid is None:
            self.busy_since = dt.datetime.now(dt.UTC)
        self.busy_pid = pid if pid is not None else -1

    def _mark_free(self) -> None:
        self.busy_pid = None
        self.busy_since = None

    # --- lifecycle ----------------------------------------------------------------------------
    def _close(self) -> None:
        self._snapshot.close()

    def poll(self) -> bool:
        """Look at the file once: note whether it is busy, refresh if it changed.

        Returns:
            Whether the snapshot was refreshed.
        """
        with self._file_lock:
            holder = lock_holder(self.path)
            if holder is not None and holder.write:
                self._mark_busy(holder.pid)
                return False
            if self.ready and Signature.of(self.path) == self._signature:
                self._mark_free()
                return False
            try:
                self._refresh(None)
            except StoreBusy:
                return False
            return True

    # --- reading ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A store over the snapshot for one request, inside one read transaction.

        Raises:
            StoreBusy: no snapshot has been taken yet (another process held the store since
                the server started).
        """
        if not self.ready:
            raise StoreBusy(
                "the store has been busy since the server started (another process is "
                "writing it); no snapshot yet"
            )
        try:
            store = self._idle.get_nowait()
        except queue.Empty:
            store = self._snapshot.reader()
        healthy = False
        try:
            with store.reading():
                version = Snapshot.version(store)
                healthy = True
                yield Reader(store, version)
        except StoreError:
            healthy = False
            raise
        finally:
            if healthy:
                self._idle.put(store)
            else:
                store.close()

    # --- writing ------------------------------------------------------------------------------
    def write(self, operation: Callable[[Store], T], *, tables: set[str]) -> T:
        """Run ``operation`` on the store opened read-write, as the only writer.

        Args:
            operation: what to do with the open store (one library call).
            tables: the tables ``operation`` changes; only these are refreshed afterwards
                (all of them when the file had also changed in the meantime).

        Raises:
            StoreBusy: another process holds the store.
        """
        with self._file_lock:
            holder = lock_holder(self.path)
            if holder is not None:
                if holder.write:
                    self._mark_busy(holder.pid)
                    raise StoreBusy(
                        f"the store is busy: process {holder.pid} is writing it; try again later"
                    )
                raise StoreBusy(
                    f"the store is open in process {holder.pid} (read-only); try again later",
                    retry_after=2,
                )
            unseen = Signature.of(self.path) != self._signature
            try:
                store = open_store(self.path)
            except StoreError as exc:
                if _is_lock_error(exc):
                    self._mark_busy(None)
                    raise StoreBusy(
                        "the store is busy: another process holds it; try again later"
                    ) from exc
                raise
            try:
                result = operation(store)
            finally:
                store.close()
            self._mark_free()
            try:
                self._refresh(None if unseen else tables)
            except StoreBusy:
                log.warning("written, but the snapshot waits: another process took the store")
            return result

    # --- refreshing ---------------------------------------------------------------------------
    def _refresh(self, tables: set[str] | None) -> None:
        """Copy the file and replace the snapshot's tables (all, or ``tables``) from the copy.

        The caller holds the file lock.
        """
        with tempfile.TemporaryDirectory(prefix="rivalscope-serve-") as folder:
            copy = Path(folder) / "snapshot.duckdb"
            signature = self._copy(copy)
            # Migrate and seed the private copy, so the snapshot has the current schema even
            # when the file was written by an older version; this also folds its WAL in.
            open_store(copy).close()
            self._load(copy, tables)
        self._signature = signature
        self._mark_free()
        self.last_error = None

    def _copy(self, target: Path) -> Signature:
        before = Signature.of(self.path)
        holder = lock_holder(self.path)
        if holder is not None and holder.write:
            self._mark_busy(holder.pid)
            raise StoreBusy(f"the store is busy: process {holder.pid} is writing it")
        shutil.copyfile(self.path, target)
        wal = Path(f"{self.path}.wal")
        if wal.exists():
            with contextlib.suppress(FileNotFoundError):
                shutil.copyfile(wal, Path(f"{target}.wal"))
        holder = lock_holder(self.path)
        if holder is not None and holder.write:
            self._mark_busy(holder.pid)
            raise StoreBusy(f"the store is busy: process {holder.pid} is writing it")
        if Signature.of(self.path) != before:
            raise StoreBusy("the store changed while it was being copied; trying again later")
        return before

    def _load(self, copy: Path, tables: set[str] | None) -> None:
        with self.load_lock:
            taken = self._snapshot.load(copy, tables)
        self.version += 1
        self.taken = taken.replace(tzinfo=dt.UTC)
        self.cache.clear()

    # --- helpers for the routes ---------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """The server's view of the store, for ``/api/info``."""
        return {
            "db": str(self.path),
            "backend": "duckdb",
            "busy": self.busy,
            "busy_pid": self.busy_pid if self.busy_pid and self.busy_pid > 0 else None,
            "busy_since": self.busy_since.isoformat() if self.busy_since else None,
            **self._served(),
        }
