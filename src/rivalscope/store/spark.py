"""Spark stores: the analyses as Spark jobs, over a Parquet export of a store.

``rivalscope.open("spark:local[2]?data=DIR")`` (or ``spark://host:7077?data=DIR`` for a
standalone cluster; ``spark_conf`` / ``--spark-conf`` add settings) reads what
``rivalscope export --parquet DIR`` wrote. The events are partitioned by country and year, so
a filter on either prunes files. A Spark store is read-only: ingest into DuckDB or PostgreSQL,
then export.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pyarrow as pa

from rivalscope.errors import NotFoundError, StoreError
from rivalscope.schema import EVENT_COLUMN_NAMES
from rivalscope.store.base import Store, bind_markers
from rivalscope.store.parquet import TABLES
from rivalscope.store.urls import parse

if TYPE_CHECKING:
    import duckdb
    import ibis.expr.types as ir
    from pyspark.sql import SparkSession

DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
"""Settings every Rivalscope Spark session gets (``spark_conf`` overrides them)."""


_configured: dict[str, str] = {}


def configure(conf: dict[str, str]) -> None:
    """Settings for Spark stores opened without ``spark_conf`` (``--spark-conf``)."""
    _configured.clear()
    _configured.update(conf)


def session(master: str, conf: dict[str, str] | None = None) -> SparkSession:
    """The active Spark session, or a new one on ``master`` with :data:`DEFAULT_CONF`."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("rivalscope")
    for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkStore(Store):
    """A read-only store whose tables are a Parquet export, queried by Spark through Ibis.

    Args:
        db: ``spark:MASTER?data=DIR`` (see :mod:`rivalscope.store.urls`).
        read_only: ignored: a Spark store is always read-only.
        spark_conf: extra Spark settings for a new session.
    """

    backend = "pyspark"

    def __init__(
        self,
        db: str | Path | None = None,
        *,
        read_only: bool = True,
        spark_conf: dict[str, str] | None = None,
    ) -> None:
        import ibis

        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise StoreError("Spark stores need pyspark: pip install 'rivalscope[spark]'") from exc

        target = parse(db, spark_conf=spark_conf or dict(_configured))
        if target.kind != "spark":
            raise StoreError(f"{db!r} is not a spark: store")
        if target.data is None:
            raise StoreError(
                f"{db}: name the Parquet export to read, spark:MASTER?data=DIR "
                "(write one with `rivalscope export --parquet DIR`)"
            )
        data = Path(target.data)
        if not (data / "events").is_dir():
            raise StoreError(f"{data} holds no Rivalscope export (no events/ directory)")
        self.path = target.shown
        self.read_only = True
        self.data = data
        self._owns_session = SparkSession.getActiveSession() is None
        self.session = session(target.location, target.conf)
        self._ibis = ibis.pyspark.connect(self.session)
        self._views: dict[str, str] = {}
        prefix = f"rs_{uuid.uuid4().hex[:8]}"
        for name in TABLES:
            path = data / "events" if name == "events" else data / f"{name}.parquet"
            if path.exists():
                view = f"{prefix}_{name}"
                self._ibis.read_parquet(str(path), table_name=view)
                self._views[name] = view

    def close(self) -> None:
        """Drop this store's views; stop the Spark session if this store started it."""
        for view in self._views.values():
            self.session.catalog.dropTempView(view)
        self._views.clear()
        if self._owns_session:
            self.session.stop()

    def require_writable(self) -> NoReturn:
        """Always raise: a Spark store is read-only."""
        raise StoreError(
            f"store {self.path} reads a Parquet export and is read-only: ingest into a DuckDB "
            "or PostgreSQL store, then `rivalscope export --parquet DIR`"
        )

    def transaction(self) -> AbstractContextManager[None]:
        """Never: a Spark store takes no writes."""
        self.require_writable()

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Never: a Spark store takes no writes."""
        self.require_writable()

    def query(
        self, sql: str, params: Sequence[Any] = (), *, schema: pa.Schema | None = None
    ) -> pa.Table:
        """The rows of a Spark SQL query over the exported tables (``?`` parameters bound by
        Spark), as Arrow."""
        frame = self.session.sql(_named_markers(sql), args=_named_args(params))
        table = frame.toArrow()
        return table.cast(schema) if schema is not None else table

    def stream(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, batch_rows: int = 50_000
    ) -> pa.RecordBatchReader:
        """The rows of a Spark SQL query, collected to the driver, as batches."""
        table = self.query(sql, params, schema=schema)
        return pa.RecordBatchReader.from_batches(schema, table.to_batches(batch_rows))

    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        """Never: a Spark store stages no batches."""
        self.require_writable()

    def staged(self, query: str) -> AbstractContextManager[str]:
        """Never: a Spark store stages no batches."""
        self.require_writable()

    def meta(self, key: str) -> str | None:
        """A store setting, when the export holds a ``meta`` table (a Parquet export leaves the
        store's settings, its pseudonym secret among them, behind)."""
        if "meta" not in self._views:
            return None
        meta = self.table("meta")
        found = meta.filter(meta.key == key).select("value").limit(1).to_pyarrow()
        return None if not found.num_rows else str(found.column(0)[0].as_py())

    def ibis(self) -> Any:
        """The Ibis PySpark backend over this store's session."""
        return self._ibis

    def table(self, name: str) -> ir.Table:
        """An Ibis table over one exported table (``events`` without its ``year`` partition)."""
        if name not in self._views:
            raise NotFoundError(f"the store has no table {name!r}")
        table = self._ibis.table(self._views[name])
        if name == "events":
            return table.select(*EVENT_COLUMN_NAMES)
        return table


def _named_markers(sql: str) -> str:
    """``?`` parameters outside quotes as Spark's named markers ``:p0``, ``:p1``, ..."""
    return bind_markers(sql, lambda number: f":p{number}", quotes="'\"`")


def _named_args(params: Sequence[Any]) -> dict[str, Any]:
    return {f"p{i}": value for i, value in enumerate(params)}
