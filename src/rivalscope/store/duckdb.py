"""DuckDB stores: one file (or memory) that an analyst owns; the default store.

DuckDB allows one writer per file: route writes through one :class:`DuckDBStore`. A file that
another process holds open cannot be opened (DuckDB locks it): :class:`DuckDBStore` may wait for
the lock (``wait``), trying again with backoff. The staging database of a DuckDB store is the
store itself, so a batch's checked rows reach its tables through views, with no copy.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from rivalscope.errors import StoreError
from rivalscope.store.base import Store


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (drivers add context lines users need not read)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def is_locked(exc: duckdb.Error) -> bool:
    """Whether opening a file failed because another process holds its lock."""
    return isinstance(exc, duckdb.IOException) and "Conflicting lock" in str(exc)


def connect(
    target: str,
    *,
    read_only: bool,
    wait: float = 0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Connect to a DuckDB file, waiting up to ``wait`` seconds while another process holds it.

    The open is tried again with backoff (0.05 s doubling to 1 s); ``on_wait`` is called once,
    with DuckDB's reason, when the first try finds the file locked.

    Raises:
        StoreError: the file cannot be opened; still locked after ``wait`` seconds, the error
            is about ``wait``.
    """
    deadline = time.monotonic() + max(wait, 0)
    delay = 0.05
    waited = False
    while True:
        try:
            return duckdb.connect(target, read_only=read_only)
        except duckdb.Error as exc:
            if not is_locked(exc):
                raise StoreError(f"cannot open store {target}: {first_line(exc)}") from exc
            left = deadline - time.monotonic()
            if left <= 0:
                held = f"still held after {wait:g} s" if waited else "held"
                raise StoreError(
                    f"store {target} is in use by another process ({held}): {first_line(exc)}",
                    parameter="wait",
                ) from exc
            if not waited and on_wait is not None:
                on_wait(first_line(exc))
            waited = True
            time.sleep(min(delay, left))
            delay = min(delay * 2, 1.0)


class DuckDBStore(Store):
    """A store in a DuckDB file, or in memory.

    Args:
        db: a DuckDB file path, or ``None`` / ``":memory:"`` for an in-memory store.
        read_only: open an existing file without writing (many readers may share it).
        wait: seconds to wait while another process holds the file (0: fail at once).
        on_wait: called once, with DuckDB's reason, when the open starts waiting.

    Attributes:
        con: the DuckDB connection (tests and the store's own code only).
    """

    backend = "duckdb"

    def __init__(
        self,
        db: str | Path | None = None,
        *,
        read_only: bool = False,
        wait: float = 0,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        target = ":memory:" if db is None else str(db)
        self.path = target
        self.read_only = read_only
        self.con = connect(target, read_only=read_only, wait=wait, on_wait=on_wait)
        with contextlib.suppress(duckdb.InvalidInputException):
            # in a Jupyter kernel without ipywidgets DuckDB refuses to touch its progress bar
            self.con.execute("SET enable_progress_bar = false")
        self._ibis: Any = None
        if not read_only:
            self.prepare()

    @classmethod
    def over(cls, con: duckdb.DuckDBPyConnection, path: str) -> DuckDBStore:
        """A read-only store reading through ``con``, a connection or cursor another part of
        the store layer holds (:mod:`rivalscope.store.snapshot`); ``path`` names it."""
        store = cls.__new__(cls)
        store.path = path
        store.read_only = True
        store.con = con
        store._ibis = None
        return store

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction: all of it is committed, or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Read in one transaction that sees one state of the database, then roll it back.

        Raises:
            StoreError: the transaction could not be opened or closed (the store is unusable).
        """
        try:
            self.con.execute("BEGIN TRANSACTION")
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: cannot read: {first_line(exc)}") from exc
        try:
            yield
        finally:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error as exc:
                raise StoreError(f"{self.path}: cannot end a read: {first_line(exc)}") from exc

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (not a query) with ``?`` parameters.

        Returns:
            The number of rows an INSERT, UPDATE, DELETE or CREATE TABLE ... AS touched.
        """
        row = self.con.execute(statement, list(params)).fetchone()
        return int(row[0]) if row else 0

    def query(
        self, sql: str, params: Sequence[Any] = (), *, schema: pa.Schema | None = None
    ) -> pa.Table:
        """The rows of a query with ``?`` parameters, as Arrow (cast to ``schema`` if given)."""
        table = self.con.execute(sql, list(params)).to_arrow_table()
        return table.cast(schema) if schema is not None else table

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first value of the first row of a query (None when it returns no row), without
        going through Arrow (opening a store asks a few of these)."""
        row = self.con.execute(sql, list(params)).fetchone()
        return row[0] if row else None

    def stream(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, batch_rows: int = 50_000
    ) -> pa.RecordBatchReader:
        """The rows of a query as a stream of Arrow batches."""
        reader = self.con.execute(sql, list(params)).fetch_record_batch(batch_rows)
        if reader.schema.equals(schema):
            return reader
        return pa.RecordBatchReader.from_batches(schema, (batch.cast(schema) for batch in reader))

    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The store's own connection: batches are staged in the store's database."""
        return self.con

    @contextmanager
    def staged(self, query: str) -> Iterator[str]:
        """A temporary view of ``query`` (staging is the store's own database: nothing moves)."""
        name = f"rs_staged_{uuid.uuid4().hex[:12]}"
        self.con.execute(f"CREATE TEMP VIEW {name} AS {query}")
        try:
            yield name
        finally:
            # in a transaction a failure aborted, the drop fails too; the rollback drops the view
            with contextlib.suppress(duckdb.Error):
                self.con.execute(f"DROP VIEW IF EXISTS {name}")

    def ibis(self) -> Any:
        """The Ibis backend over this store's connection."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis
