"""An in-memory copy of a DuckDB store's tables that many threads read at once.

The server (:mod:`rivalscope.server.state`) keeps one: it copies the store file aside, then
:meth:`Snapshot.load` replaces the snapshot's tables from the copy in one transaction, and each
request reads through its own :meth:`Snapshot.reader` (a read-only store on its own cursor), in
one read transaction that never sees a load half done. Events are kept sorted by date and id,
so pages of them are cheap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb

from rivalscope.store.duckdb import DuckDBStore

_VERSION_TABLE = "rs_server.snapshot"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Snapshot:
    """The in-memory database and its version (how many loads it has seen).

    Args:
        shown: how readers name the store they read (the original file).
    """

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self._db = duckdb.connect(":memory:")
        self._db.execute("SET enable_progress_bar = false")
        self._db.execute("CREATE SCHEMA rs_server")
        self._db.execute(
            f"CREATE TABLE {_VERSION_TABLE} (version BIGINT NOT NULL, taken TIMESTAMP)"
        )
        self._db.execute(f"INSERT INTO {_VERSION_TABLE} VALUES (0, NULL)")

    def reader(self) -> DuckDBStore:
        """A read-only store over a new cursor of the snapshot (one per thread at a time)."""
        return DuckDBStore.over(self._db.cursor(), self.shown)

    @staticmethod
    def version(reader: DuckDBStore) -> int:
        """The version a reader sees (inside its :meth:`~DuckDBStore.reading` block)."""
        return int(reader.scalar(f"SELECT version FROM {_VERSION_TABLE}") or 0)

    def load(self, copy: Path, tables: set[str] | None) -> dt.datetime:
        """Replace the snapshot's tables (all, or ``tables``) by those of the DuckDB file
        ``copy``, in one transaction; tables the copy no longer has are dropped when all are
        loaded.

        Returns:
            When the load was taken (UTC, naive).
        """
        cursor = self._db.cursor()
        try:
            cursor.execute(f"ATTACH {_literal(str(copy))} AS rs_src (READ_ONLY)")
            try:
                names = self._tables(cursor, "rs_src")
                current = set(self._tables(cursor, "memory"))
                chosen = names if tables is None else [n for n in names if n in tables]
                taken = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                cursor.execute("BEGIN TRANSACTION")
                try:
                    for name in chosen:
                        order = " ORDER BY date_start, event_id" if name == "events" else ""
                        cursor.execute(
                            f"CREATE OR REPLACE TABLE memory.main.{_ident(name)} AS "
                            f"SELECT * FROM rs_src.main.{_ident(name)}{order}"
                        )
                    if tables is None:
                        for name in sorted(current - set(names)):
                            cursor.execute(f"DROP TABLE memory.main.{_ident(name)}")
                    cursor.execute(
                        f"UPDATE {_VERSION_TABLE} SET version = version + 1, taken = ?", [taken]
                    )
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
            finally:
                cursor.execute("DETACH rs_src")
        finally:
            cursor.close()
        return taken

    @staticmethod
    def _tables(cursor: duckdb.DuckDBPyConnection, database: str) -> list[str]:
        return [
            str(r[0])
            for r in cursor.execute(
                "SELECT table_name FROM duckdb_tables() "
                "WHERE database_name = ? AND schema_name = 'main'",
                [database],
            ).fetchall()
        ]

    def close(self) -> None:
        """Close the in-memory database."""
        with contextlib.suppress(duckdb.Error):
            self._db.close()
