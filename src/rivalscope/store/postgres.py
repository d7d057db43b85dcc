"""PostgreSQL stores: one store on a server that a team shares.

The tables are those of :mod:`rivalscope.schema`, with DuckDB's types translated
(:func:`pg_ddl`). A batch is read, checked and resolved in an in-process DuckDB store (the
staging store, composed, not inherited), against a mirror of the server's actor registry and
gazetteer, exactly as for a DuckDB store; :meth:`PostgresStore.staged` then brings its rows to
the server with ``COPY``, and the one upsert (:mod:`rivalscope.store.upsert`) runs there in one
PostgreSQL transaction that holds the store's write lock. Reads and analyses are Ibis
expressions on the server, through a reader connection of their own.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from rivalscope.errors import StoreError
from rivalscope.store.base import Store, bind_markers
from rivalscope.store.duckdb import DuckDBStore, first_line
from rivalscope.store.urls import parse

if TYPE_CHECKING:
    import psycopg

_TYPES = (
    (re.compile(r"\bVARCHAR\[\]"), "TEXT[]"),
    (re.compile(r"\bVARCHAR\b"), "TEXT"),
    (re.compile(r"\bDOUBLE\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
)
_KEYS = {"events": "event_id", "defections": "defection_id", "displacement": "displacement_id"}
_MIRRORED = ("actors", "actor_aliases", "place_aliases")
_LOCK = 7_263_411
"""The advisory lock that serializes schema changes and ingest writes between clients."""
_COPY_BLOCK = 1 << 20


def pg_ddl(statement: str) -> str:
    """A DuckDB statement of :data:`rivalscope.schema.MIGRATIONS` in PostgreSQL's types."""
    for pattern, replacement in _TYPES:
        statement = pattern.sub(replacement, statement)
    return statement


def _connect(url: str) -> psycopg.Connection[Any]:
    import psycopg

    return psycopg.connect(url, autocommit=True, client_encoding="utf8")


def pg_params(statement: str) -> str:
    """A statement with ``?`` parameters in psycopg's ``%s`` style (``%`` doubled)."""
    return bind_markers(statement, lambda _number: "%s", percent="%%")


def _pg_literal_select(duck: duckdb.DuckDBPyConnection, query: str) -> tuple[str, list[str]]:
    """Wrap a DuckDB query so its CSV is what PostgreSQL's COPY reads (arrays, bytea)."""
    relation = duck.sql(query)
    items = []
    for name, kind in zip(relation.columns, relation.dtypes, strict=True):
        quoted = f'"{name}"'
        text = str(kind)
        if text.endswith("[]"):
            element = (
                "CASE WHEN x IS NULL THEN 'NULL' ELSE "
                "'\"' || replace(replace(x, '\\', '\\\\'), '\"', '\\\"') || '\"' END"
            )
            items.append(
                f"CASE WHEN {quoted} IS NULL THEN NULL ELSE '{{' || array_to_string("
                f"list_transform({quoted}, lambda x: {element}), ',') || '}}' END AS {quoted}"
            )
        elif text == "BLOB":
            items.append(f"'\\x' || hex({quoted}) AS {quoted}")
        elif text == "JSON":
            items.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
        else:
            items.append(quoted)
    return f"SELECT {', '.join(items)} FROM ({query})", list(relation.columns)


def copy_to_postgres(
    duck: duckdb.DuckDBPyConnection,
    query: str,
    cursor: psycopg.Cursor[Any],
    table: str,
) -> None:
    """``COPY`` the rows of a DuckDB query into a PostgreSQL table, matching columns by name.

    DuckDB writes the rows as CSV (arrays and bytes as PostgreSQL literals) to a temporary
    file, which is streamed to ``COPY ... FROM STDIN``: no row passes through Python.
    """
    from psycopg import sql

    select, columns = _pg_literal_select(duck, query)
    with tempfile.TemporaryDirectory(prefix="rivalscope-copy-") as tmp:
        path = Path(tmp) / "rows.csv"
        duck.execute(f"COPY ({select}) TO '{path}' (FORMAT csv, HEADER false)")
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with cursor.copy(statement) as copy, path.open("rb") as handle:
            while block := handle.read(_COPY_BLOCK):
                copy.write(block)


class PostgresStore(Store):
    """A store on a PostgreSQL server (``postgresql://user:password@host:port/db``).

    Args:
        db: the server's URL.
        read_only: do not migrate or seed the schema; writes raise :class:`StoreError`.
    """

    backend = "postgres"

    def __init__(self, db: str | Path | None = None, *, read_only: bool = False) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError(
                "PostgreSQL stores need psycopg: pip install 'rivalscope[postgres]'"
            ) from exc

        target = parse(db)
        self.url = target.location
        self.path = target.shown
        self.read_only = read_only
        self._ibis: Any = None
        self._reader: psycopg.Connection[Any] | None = None
        self._staging: DuckDBStore | None = None
        try:
            self._pg = _connect(self.url)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {first_line(exc)}") from exc
        try:
            if not read_only:
                self.prepare()
        except (psycopg.Error, StoreError) as exc:
            self.close()
            cause = exc.__cause__ if isinstance(exc.__cause__, psycopg.Error) else exc
            raise StoreError(f"cannot prepare store {self.path}: {first_line(cause)}") from exc

    # --- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the server connections and the staging database."""
        if self._reader is not None:
            self._reader.close()
        self._pg.close()
        if self._staging is not None:
            self._staging.close()

    def connected(self) -> bool:
        """Whether the store's connections are open, usable and outside any transaction."""
        from psycopg.pq import TransactionStatus

        return all(
            not con.closed
            and not con.broken
            and con.info.transaction_status == TransactionStatus.IDLE
            for con in (self._pg, self._reader)
            if con is not None
        )

    # --- primitives ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one PostgreSQL transaction, holding the store's write lock (which
        serializes it with every other client's ingests and writes).

        Raises:
            StoreError: the server refused a statement; nothing of the block is stored then.
        """
        import psycopg

        try:
            with self._pg.transaction():
                self._pg.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
                yield
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: the rows were not stored: {first_line(exc)}") from exc

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (not a query) with ``?`` parameters on the server.

        Returns:
            The number of rows an INSERT, UPDATE, DELETE or CREATE TABLE ... AS touched.
        """
        return max(self._pg.execute(pg_params(statement), list(params)).rowcount, 0)

    def query(
        self, sql: str, params: Sequence[Any] = (), *, schema: pa.Schema | None = None
    ) -> pa.Table:
        """The rows of a query with ``?`` parameters (on the writer's connection inside a
        transaction, else on the reader's), as Arrow typed by ``schema`` or by inference."""
        import psycopg

        try:
            con = self._pg if self._in_transaction() else self._read_connection()
            cursor = con.execute(pg_params(sql), list(params))
            names = [d.name for d in cursor.description or []]
            rows = cursor.fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"cannot read store {self.path}: {first_line(exc)}") from exc
        if schema is None:
            return pa.Table.from_arrays(
                [pa.array([r[i] for r in rows]) for i in range(len(names))], names=names
            )
        return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows], schema)

    def stream(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, batch_rows: int = 50_000
    ) -> pa.RecordBatchReader:
        """The rows of a query, fetched by a server-side cursor inside a read transaction of the
        reader's connection, batch by batch."""
        con = self._read_connection()
        statement = pg_params(sql)

        def batches() -> Iterator[pa.RecordBatch]:
            with con.transaction(), con.cursor(name=f"rs_stream_{uuid.uuid4().hex}") as cursor:
                cursor.execute(statement, list(params))
                names = [d.name for d in cursor.description or []]
                while rows := cursor.fetchmany(batch_rows):
                    yield from pa.Table.from_pylist(
                        [dict(zip(names, r, strict=True)) for r in rows], schema
                    ).to_batches()

        return pa.RecordBatchReader.from_batches(schema, batches())

    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The in-process DuckDB where batches are staged (mirroring the registry)."""
        return self._stage.con

    @contextmanager
    def staged(self, query: str) -> Iterator[str]:
        """Copy the rows of ``query``, run on the staging DuckDB, into a new temporary table on
        the server (its columns typed as in DuckDB, translated); dropped after the block."""
        name = f"rs_staged_{uuid.uuid4().hex[:12]}"
        relation = self.staging.sql(query)
        columns = ", ".join(
            f'"{column}" {pg_ddl(str(kind))}'
            for column, kind in zip(relation.columns, relation.dtypes, strict=True)
        )
        self._pg.execute(f"CREATE TEMP TABLE {name} ({columns})")
        try:
            with self._pg.cursor() as cursor:
                copy_to_postgres(self.staging, query, cursor, name)
            yield name
        finally:
            if not self._pg.closed and not self._pg.broken:
                import psycopg

                status = self._pg.info.transaction_status
                if status != psycopg.pq.TransactionStatus.INERROR:
                    self._pg.execute(f"DROP TABLE IF EXISTS {name}")

    def ibis(self) -> Any:
        """The Ibis PostgreSQL backend over this store (its own autocommit connection)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.postgres.from_connection(self._read_connection())
        return self._ibis

    # --- refinements --------------------------------------------------------------------------
    def ddl(self, statement: str) -> str:
        """A statement of the schema in PostgreSQL's types."""
        return pg_ddl(statement)

    def after_migrate(self) -> None:
        """Index the key of every table the upsert writes by key."""
        with self.transaction():
            for table, key in _KEYS.items():
                self.execute(f"CREATE INDEX IF NOT EXISTS {table}_{key}_idx ON {table} ({key})")

    def refresh_staging(self) -> None:
        """Copy the server's registry and gazetteer into the staging DuckDB."""
        stage = self._stage
        for table in _MIRRORED:
            schema = stage.query(f"SELECT * FROM {table} LIMIT 0").schema
            rows = self.query(f"SELECT {', '.join(schema.names)} FROM {table}", schema=schema)
            with stage.transaction(), stage.staged_rows(rows) as mirrored:
                stage.execute(f"DELETE FROM {table}")
                stage.execute(f"INSERT INTO {table} SELECT * FROM {mirrored}")

    # --- helpers ------------------------------------------------------------------------------
    @property
    def _stage(self) -> DuckDBStore:
        """The in-process DuckDB store (made on first use: a reader never needs it)."""
        if self._staging is None:
            self._staging = DuckDBStore(None)
        return self._staging

    def _in_transaction(self) -> bool:
        import psycopg

        return bool(self._pg.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    def _read_connection(self) -> psycopg.Connection[Any]:
        if self._reader is None:
            self._reader = _connect(self.url)
        return self._reader
