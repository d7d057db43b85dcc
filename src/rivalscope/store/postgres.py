"""PostgreSQL stores: one store on a server that a team shares.

The tables are those of :mod:`rivalscope.schema`, with DuckDB's types translated
(:func:`pg_ddl`). An ingest stages and checks the file in an in-process DuckDB exactly as for a
DuckDB store (:mod:`rivalscope.ingest`), against a mirror of the server's actor registry and
gazetteer; then the quarantine, the new and changed rows (the same ``row_hash`` fingerprint
upsert) and the batch record go to PostgreSQL with ``COPY``, in one PostgreSQL transaction.
Rows written by code (:meth:`Store.write_rows`) are typed and checked the same way in the
staging DuckDB, then upserted by :mod:`rivalscope.rows` in one PostgreSQL transaction. Reads and
analyses are Ibis expressions on the server.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pyarrow as pa

from rivalscope import actors as actor_registry
from rivalscope import places as gazetteer
from rivalscope.backends import urls
from rivalscope.errors import StoreError
from rivalscope.ingest import IngestResult
from rivalscope.schema import MIGRATIONS
from rivalscope.store import (
    REMAP_NAMES,
    Store,
    locate_points,
    remap_statements,
    seed_fingerprint,
)

if TYPE_CHECKING:
    import psycopg

    from rivalscope.ingest import Ingest

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


def _pg_params(statement: str) -> str:
    """A statement with ``?`` parameters in psycopg's ``%s`` style."""
    return statement.replace("%", "%%").replace("?", "%s")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


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

    def __init__(self, db: str | Path | None = None, *, read_only: bool = False) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError(
                "PostgreSQL stores need psycopg: pip install 'rivalscope[postgres]'"
            ) from exc

        target = urls.parse(db)
        self.url = target.location
        self.path = target.shown
        self.read_only = read_only
        self._ibis: Any = None
        self._reader: psycopg.Connection[Any] | None = None
        try:
            self.pg = _connect(self.url)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {_first_line(exc)}") from exc
        self.con = self.pg  # type: ignore[assignment]
        self._staged: Store | None = None
        try:
            if not read_only:
                self._pg_migrate()
                self._pg_seed()
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"cannot prepare store {self.path}: {_first_line(exc)}") from exc

    # --- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the server connections and the staging database."""
        if self._reader is not None:
            self._reader.close()
        self.pg.close()
        if self._staged is not None:
            self._staged.close()

    def connected(self) -> bool:
        """Whether the store's connections are open, usable and outside any transaction."""
        from psycopg.pq import TransactionStatus

        return all(
            not con.closed
            and not con.broken
            and con.info.transaction_status == TransactionStatus.IDLE
            for con in (self.pg, self._reader)
            if con is not None
        )

    @property
    def _stage(self) -> Store:
        """The in-process DuckDB store (made on first use: a reader never needs it)."""
        if self._staged is None:
            self._staged = Store(None)
        return self._staged

    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The in-process DuckDB an ingest stages files in (mirroring the registry)."""
        return self._stage.con

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one PostgreSQL transaction, holding the store's write lock (which
        serializes it with every other client's ingests and writes)."""
        with self.pg.transaction():
            self.pg.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            yield

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (not a query) with ``?`` parameters on the server.

        Returns:
            The number of rows an INSERT, UPDATE, DELETE or CREATE TABLE ... AS touched.
        """
        return max(self.pg.execute(_pg_params(statement), list(params)).rowcount, 0)

    def stage_table(self, name: str, query: str) -> None:
        """Copy the rows of ``query``, run on the staging DuckDB, into a new temporary table
        ``name`` on the server (its columns typed as in DuckDB, translated)."""
        relation = self.staging.sql(query)
        columns = ", ".join(
            f'"{column}" {pg_ddl(str(kind))}'
            for column, kind in zip(relation.columns, relation.dtypes, strict=True)
        )
        self.pg.execute(f"CREATE TEMP TABLE {name} ({columns})")
        with self.pg.cursor() as cursor:
            copy_to_postgres(self.staging, query, cursor, name)

    def _scalar(self, query: str, params: Sequence[Any] = ()) -> Any:
        row = self.pg.execute(_pg_params(query), list(params)).fetchone()
        return row[0] if row else None

    def _pg_migrate(self) -> None:
        with self.pg.transaction():
            self.pg.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            self.pg.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            applied = self._scalar("SELECT max(version) FROM schema_version") or 0
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version <= applied:
                    continue
                for statement in statements:
                    self.pg.execute(pg_ddl(statement))
                self.pg.execute("INSERT INTO schema_version VALUES (%s)", [version])
            for table, key in _KEYS.items():
                self.pg.execute(f"CREATE INDEX IF NOT EXISTS {table}_{key}_idx ON {table} ({key})")

    def _pg_seed(self) -> None:
        """Copy the built-in registry and gazetteer (seeded in the staging DuckDB) to the server."""
        fingerprint = seed_fingerprint(actor_registry.builtin_registry())
        if self._scalar("SELECT value FROM meta WHERE key = 'seed'") == fingerprint:
            return
        stage = self.staging
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            if self._scalar("SELECT value FROM meta WHERE key = 'seed'") == fingerprint:
                return
            cur.execute("DELETE FROM actors WHERE builtin")
            cur.execute("DELETE FROM actor_aliases WHERE builtin")
            cur.execute("DELETE FROM place_aliases")
            copy_to_postgres(stage, "SELECT * FROM actors WHERE builtin", cur, "actors")
            copy_to_postgres(
                stage, "SELECT * FROM actor_aliases WHERE builtin", cur, "actor_aliases"
            )
            copy_to_postgres(stage, "SELECT * FROM place_aliases", cur, "place_aliases")
            cur.execute("CREATE TEMP TABLE rs_seed_places (LIKE places) ON COMMIT DROP")
            copy_to_postgres(stage, "SELECT * FROM places", cur, "rs_seed_places")
            cur.execute(
                "INSERT INTO places SELECT * FROM rs_seed_places s "
                "WHERE NOT EXISTS (SELECT 1 FROM places p WHERE p.code = s.code)"
            )
            cur.execute(
                "INSERT INTO meta VALUES ('seed', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [fingerprint],
            )

    # --- ingest -------------------------------------------------------------------------------
    def _mirror(self, tables: Sequence[str] = _MIRRORED) -> None:
        """Refresh the staging DuckDB's registry and gazetteer (or ``tables``) from the server."""
        stage = self.staging
        for table in tables:
            schema = stage.execute(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
            cursor = self.pg.execute(f"SELECT {', '.join(schema.names)} FROM {table}")
            rows = cursor.fetchall()
            columns = {
                name: pa.array([r[i] for r in rows], schema.field(name).type)
                for i, name in enumerate(schema.names)
            }
            stage.register("rs_mirror", pa.table(columns, schema=schema))
            with self._stage.transaction():
                stage.execute(f"DELETE FROM {table}")
                stage.execute(f"INSERT INTO {table} SELECT * FROM rs_mirror")
            stage.unregister("rs_mirror")

    def _ingest(self, spec: Any, path: str | Path, encoding: str, on_step: Any) -> IngestResult:
        self._writable()
        self._mirror()
        return super()._ingest(spec, path, encoding, on_step)

    def unregistered_ids(self, names: Sequence[str], keys: Sequence[str]) -> list[str]:
        """Stable ids for unmatched names (see :meth:`Store.unregistered_ids`), from the mirror."""
        return self._stage.unregistered_ids(names, keys)

    def write_batch(self, job: Ingest, sha256: str, started: dt.datetime) -> IngestResult:
        """Write a staged batch to the server: ``COPY`` and the fingerprint upsert, one transaction.

        Raises:
            StoreError: the server refused the write; nothing of the batch is stored then.
        """
        import psycopg

        target, key = job.spec.target, job.key
        stage = self.staging
        rejected = job.scalar("SELECT count(*) FROM rs_rejected")
        invalid, good = job.sql(
            "SELECT count(*) FILTER (WHERE _reason IS NOT NULL), "
            "count(*) FILTER (WHERE _reason IS NULL) FROM rs_final"
        ).fetchone() or (0, 0)
        quarantined = "SELECT _row AS row_number, raw, reason FROM rs_rejected"
        if invalid:
            quarantined += (
                " UNION ALL SELECT f._row, CAST(r.raw AS VARCHAR), f._reason FROM rs_final f "
                "LEFT JOIN rs_invalid_raw r ON r._row = f._row WHERE f._reason IS NOT NULL"
            )
        columns = ", ".join(job.columns)
        unregistered: list[tuple[Any, ...]] = []
        if target != "displacement":
            unregistered = stage.execute(
                "SELECT actor_id, min(raw) FROM rs_lookup WHERE unregistered GROUP BY actor_id"
            ).fetchall()
        try:
            with self.pg.transaction(), self.pg.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
                cur.execute(
                    "CREATE TEMP TABLE rs_quarantine (row_number BIGINT, raw TEXT, reason TEXT) "
                    "ON COMMIT DROP"
                )
                copy_to_postgres(stage, quarantined, cur, "rs_quarantine")
                cur.execute(
                    "INSERT INTO quarantine SELECT %s, row_number, raw, reason "
                    "FROM rs_quarantine ORDER BY row_number",
                    [job.batch_id],
                )
                cur.execute(f"CREATE TEMP TABLE rs_incoming (LIKE {target}) ON COMMIT DROP")
                copy_to_postgres(
                    stage,
                    f"SELECT {columns} FROM rs_final WHERE _reason IS NULL ORDER BY _row",
                    cur,
                    "rs_incoming",
                )
                cur.execute(
                    f"""CREATE TEMP TABLE rs_changed ON COMMIT DROP AS
                    SELECT f.{key}, t.{key} IS NOT NULL AS existed FROM rs_incoming f
                    LEFT JOIN {target} t ON t.{key} = f.{key}
                    WHERE t.row_hash IS DISTINCT FROM f.row_hash"""
                )
                stored = self._count_rows(cur, "SELECT count(*) FROM rs_changed")
                cur.execute(
                    f"DELETE FROM {target} t USING rs_changed c "
                    f"WHERE c.existed AND t.{key} = c.{key}"
                )
                cur.execute(
                    f"INSERT INTO {target} ({columns}) SELECT f.* FROM rs_incoming f "
                    f"WHERE EXISTS (SELECT 1 FROM rs_changed c WHERE c.{key} = f.{key})"
                )
                cur.executemany(
                    """INSERT INTO actors (actor_id, name, kind, parent, country_iso3,
                       registered, builtin, description)
                       SELECT %s, %s, 'unregistered', NULL, NULL, false, false, NULL
                       WHERE NOT EXISTS (SELECT 1 FROM actors WHERE actor_id = %s)""",
                    [(actor_id, name, actor_id) for actor_id, name in unregistered],
                )
                result = job.result(rejected, invalid, good, stored)
                cur.execute(
                    "INSERT INTO ingest_batches VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    job.batch_row(result, sha256, started),
                )
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: the batch was not stored: {_first_line(exc)}") from exc
        return result

    @staticmethod
    def _count_rows(cur: psycopg.Cursor[Any], query: str) -> int:
        row = cur.execute(query).fetchone()
        return int(row[0]) if row else 0

    def write_rows(
        self,
        target: Literal["events", "defections"],
        rows: pa.Table,
        *,
        source: str,
        file: str | None = None,
        for_review: bool = False,
        review_details: pa.Table | None = None,
    ) -> IngestResult:
        """Upsert canonical rows made by code as one batch, as :meth:`Store.write_rows` does.

        The rows are typed, fingerprinted and checked in the staging DuckDB against a fresh
        mirror of the server's actors; the upsert, the review entries and the batch record are
        one PostgreSQL transaction.

        Raises:
            InputError: naming the row (0-based) and column of the first bad value.
            StoreError: the server refused the write. Nothing is written in either case.
        """
        import psycopg

        self._writable()
        self._mirror(("actors",))
        try:
            return super().write_rows(
                target,
                rows,
                source=source,
                file=file,
                for_review=for_review,
                review_details=review_details,
            )
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: the rows were not stored: {_first_line(exc)}") from exc

    # --- registry and gazetteer ---------------------------------------------------------------
    def load_actors(self, path: str | Path) -> dict[str, int]:
        """Extend the registry with a user TOML file and re-map stored events' actor names.

        The registry is merged in the staging DuckDB exactly as in a DuckDB store, then the
        server's ``actors`` and ``actor_aliases`` are replaced by the result and the stored
        events and defections re-resolved, in one PostgreSQL transaction.

        Returns:
            ``{"actors": n, "aliases": n, "events_remapped": n}``.
        """
        from rivalscope.ingest import actor_name_key

        self._writable()
        self._mirror()
        loaded = self._stage.load_actors(path)
        stage = self.staging
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            cur.execute("DELETE FROM actor_aliases")
            cur.execute("DELETE FROM actors")
            copy_to_postgres(stage, "SELECT * FROM actors", cur, "actors")
            copy_to_postgres(stage, "SELECT * FROM actor_aliases", cur, "actor_aliases")
            names = [r[0] for r in cur.execute(REMAP_NAMES).fetchall()]
            cur.execute("CREATE TEMP TABLE rs_remap_names (raw TEXT, key TEXT) ON COMMIT DROP")
            if names:
                cur.executemany(
                    "INSERT INTO rs_remap_names VALUES (%s, %s)",
                    [(name, actor_name_key(name)) for name in names],
                )
            changed = 0
            for _table, count_sql, update_sql in remap_statements():
                changed += self._count_rows(cur, count_sql)
                cur.execute(update_sql)
        return {**loaded, "events_remapped": changed}

    def load_boundaries(self, path: str | Path) -> dict[str, int]:
        """Load province polygons from GeoJSON and place events that lack a province.

        Returns:
            ``{"provinces": n, "events_placed": n}``.
        """
        self._writable()
        aliases = self.table("place_aliases").select("alias_key", "code", "country_iso3")
        resolve = {
            (row["country_iso3"], row["alias_key"]): row["code"]
            for row in aliases.to_pyarrow().to_pylist()
        }
        boundaries = gazetteer.read_boundaries(path, resolve)
        stage = self.staging
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            cur.execute(
                "CREATE TEMP TABLE rs_bounds (code TEXT, geometry BYTEA, "
                "latitude DOUBLE PRECISION, longitude DOUBLE PRECISION) ON COMMIT DROP"
            )
            stage.register("rs_bounds", gazetteer.boundaries_table(boundaries))
            try:
                copy_to_postgres(stage, "SELECT * FROM rs_bounds", cur, "rs_bounds")
            finally:
                stage.unregister("rs_bounds")
            cur.execute(
                "UPDATE places SET geometry = b.geometry, latitude = b.latitude, "
                "longitude = b.longitude FROM rs_bounds b WHERE places.code = b.code"
            )
            placed = self._place_by_point(cur)
        return {"provinces": len(boundaries), "events_placed": placed}

    def assign_provinces_by_point(self, *, in_transaction: bool = False) -> int:
        """Give events with coordinates but no resolvable province one by point-in-polygon."""
        if in_transaction:
            with self.pg.cursor() as cur:
                return self._place_by_point(cur)
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            return self._place_by_point(cur)

    def _place_by_point(self, cur: psycopg.Cursor[Any]) -> int:
        polygons = cur.execute(
            "SELECT code, country_iso3, geometry FROM places WHERE geometry IS NOT NULL"
        ).fetchall()
        if not polygons:
            return 0
        rows = cur.execute(
            """SELECT event_id, longitude, latitude FROM events
               WHERE admin1_code IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL
                 AND (country_iso3 IS NULL OR country_iso3 = ANY(%s))""",
            [sorted({p[1] for p in polygons})],
        ).fetchall()
        if not rows:
            return 0
        todo = pa.table(
            {
                "event_id": pa.array([r[0] for r in rows], pa.string()),
                "longitude": pa.array([r[1] for r in rows], pa.float64()),
                "latitude": pa.array([r[2] for r in rows], pa.float64()),
            }
        )
        located = locate_points([(p[0], p[1], bytes(p[2])) for p in polygons], todo)
        stage = self.staging
        cur.execute("CREATE TEMP TABLE rs_pip (event_id TEXT, code TEXT) ON COMMIT DROP")
        stage.register("rs_pip", located)
        try:
            copy_to_postgres(stage, "SELECT * FROM rs_pip", cur, "rs_pip")
        finally:
            stage.unregister("rs_pip")
        cur.execute(
            "UPDATE events SET admin1_code = p.code FROM rs_pip p "
            "WHERE events.event_id = p.event_id"
        )
        return located.num_rows

    # --- reading ------------------------------------------------------------------------------
    def ibis(self) -> Any:
        """The Ibis PostgreSQL backend over this store (its own autocommit connection)."""
        if self._ibis is None:
            import ibis

            self._reader = _connect(self.url)
            self._ibis = ibis.postgres.from_connection(self._reader)
        return self._ibis
