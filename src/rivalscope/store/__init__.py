"""The store: where canonical tables live, on DuckDB (the default), PostgreSQL or Spark.

:func:`open` is the only code that reads a ``--db`` value and picks a backend
(:mod:`~rivalscope.store.urls` parses it). Every backend implements the one interface of
:class:`~rivalscope.store.base.Store`; every write of rows goes through
:func:`~rivalscope.store.upsert.upsert`.

>>> import rivalscope as rs
>>> store = rs.open()  # in memory
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import rivalscope.settings as settings
from rivalscope.store.base import Store
from rivalscope.store.upsert import IngestResult
from rivalscope.store.urls import parse

DEFAULT_DB = "rivalscope.duckdb"


def default_db() -> str:
    """The store used when none is named: ``$RIVALSCOPE_DB`` or ``rivalscope.duckdb``."""
    return settings.get("RIVALSCOPE_DB") or DEFAULT_DB


def open(
    db: str | Path | None = None,
    *,
    read_only: bool = False,
    spark_conf: dict[str, str] | None = None,
    wait: float = 0,
    on_wait: Callable[[str], None] | None = None,
) -> Store:
    """Open (creating if needed) a store: a DuckDB file path, or in memory when ``db`` is None.

    ``db`` may also be a ``postgresql://`` URL (a shared store on a server) or a ``spark:``
    master with the Parquet export to read (``spark:local[2]?data=DIR``); ``spark_conf`` adds
    Spark settings (``{"spark.executor.memory": "8g"}``). A Spark store is always read-only.

    DuckDB locks a file for the process that opens it: ``wait`` is how many seconds to wait
    while another process holds a DuckDB file (trying again with backoff), and ``on_wait`` is
    called once, with DuckDB's reason, when the open starts waiting. A PostgreSQL store
    serializes its writers itself, and a Spark store only reads: both ignore them.

    Raises:
        InputError: ``db`` is not a store location (a Spark URL without a master, ...).
        StoreError: the store cannot be opened, migrated or seeded; a DuckDB file still held by
            another process after ``wait`` seconds (the error is about ``wait``).
    """
    target = parse(db, spark_conf=spark_conf)
    if target.kind == "postgres":
        from rivalscope.store.postgres import PostgresStore

        return PostgresStore(target.location, read_only=read_only)
    if target.kind == "spark":
        from rivalscope.store.spark import SparkStore

        return SparkStore(db, spark_conf=spark_conf)
    from rivalscope.store.duckdb import DuckDBStore

    return DuckDBStore(
        None if db is None else target.location, read_only=read_only, wait=wait, on_wait=on_wait
    )


__all__ = ["DEFAULT_DB", "IngestResult", "Store", "default_db", "open"]
