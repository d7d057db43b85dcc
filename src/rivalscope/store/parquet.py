"""Export a store to Parquet: what a Spark store (or any Parquet reader) reads.

``DIR/events/`` is a Hive-partitioned dataset, ``country_iso3=AFG/year=2021/part-0.parquet``
(a NULL country is ``country_iso3=__HIVE_DEFAULT_PARTITION__``); every other table is one file,
``DIR/<table>.parquet``. Rows stream from the store in batches (through Ibis), so an export
never needs a table to fit in memory. A redacted export replaces names of individuals by the
store's pseudonyms in every table (persons, notes, review passages, quarantined raw rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from rivalscope.errors import InputError

if TYPE_CHECKING:
    from rivalscope.store import Store

EVENTS_PARTITIONS = ("country_iso3", "year")
"""The Hive partition columns of ``events/`` (``year`` is the year of ``date_start``)."""

TABLES = (
    "events",
    "defections",
    "displacement",
    "actors",
    "actor_aliases",
    "places",
    "place_aliases",
    "reviews",
    "ingest_batches",
    "quarantine",
    "coverage",
    "event_links",
    "fused_events",
)
"""The tables an export holds (the store's working tables, fetch state, are left out)."""

_BATCH_ROWS = 250_000


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field.with_nullable(True) for field in schema])


def _conformed(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, *, year: bool = False
) -> Iterator[pa.RecordBatch]:
    """The batches with ``schema`` (all nullable), plus ``year`` of ``date_start`` if asked."""
    for batch in batches:
        columns = list(batch.columns)
        if year:
            dates = batch.column(batch.schema.get_field_index("date_start"))
            columns.append(pc.year(dates).cast(pa.int32()))
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def export_parquet(
    store: Store,
    directory: str | Path,
    *,
    on_table: Callable[[str, int], None] | None = None,
    redact: bool = False,
) -> dict[str, int]:
    """Write every table of ``store`` as Parquet under ``directory``.

    Args:
        store: any open store.
        directory: created if missing; it must not hold an export already.
        on_table: called with each table's name and row count as it is written.
        redact: replace names of individuals by the store's pseudonyms
            (:meth:`rivalscope.redact.Redactor.batches`).

    Returns:
        Rows written per table.

    Raises:
        InputError: ``directory`` already holds an export.
    """
    out = Path(directory)
    if (out / "events").exists() or any(out.glob("*.parquet")):
        raise InputError(f"{out} already holds an export: choose a new directory")
    out.mkdir(parents=True, exist_ok=True)
    scrub: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]] = iter
    if redact:
        from rivalscope.redact import redactor

        scrub = redactor(store).batches
    written: dict[str, int] = {}
    for name in TABLES:
        table = store.table(name)
        count = int(table.count().to_pyarrow().as_py())
        reader = table.to_pyarrow_batches(chunk_size=_BATCH_ROWS)
        if name == "events":
            schema = _nullable(reader.schema).append(pa.field("year", pa.int32()))
            if count == 0:
                (out / "events").mkdir()
                pq.write_table(schema.empty_table(), out / "events" / "part-0.parquet")
            else:
                ds.write_dataset(
                    pa.RecordBatchReader.from_batches(
                        schema, _conformed(scrub(iter(reader)), schema, year=True)
                    ),
                    out / "events",
                    format="parquet",
                    partitioning=list(EVENTS_PARTITIONS),
                    partitioning_flavor="hive",
                    basename_template="part-{i}.parquet",
                    existing_data_behavior="error",
                    max_rows_per_file=5_000_000,
                )
        else:
            schema = _nullable(reader.schema)
            with pq.ParquetWriter(out / f"{name}.parquet", schema) as writer:
                for batch in _conformed(scrub(iter(reader)), schema):
                    writer.write_batch(batch)
        written[name] = count
        if on_table is not None:
            on_table(name, count)
    return written
