"""A PostgreSQL store keeps the DuckDB store's ingest guarantees: quarantine, idempotency, one
transaction per batch; its schema is the canonical one, translated."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

import rivalscope as rs
from rivalscope.errors import StoreError
from rivalscope.schema import EVENT_COLUMN_NAMES, MIGRATIONS
from rivalscope.store.postgres import PostgresStore, pg_ddl
from tests.backends.conftest import Inputs

pytestmark = pytest.mark.slow


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as con:
        row = con.execute(query).fetchone()  # type: ignore[arg-type]
        assert row is not None
        return int(row[0])


def test_open_dispatches_to_postgres(pg_url: str) -> None:
    with rs.open(pg_url) as store:
        assert isinstance(store, PostgresStore)
        assert isinstance(rs.open(pg_url), PostgresStore)
        assert store.actor_id("Taleban") == "TALIBAN"


def test_schema_is_the_canonical_one(pg_url: str) -> None:
    rs.open(pg_url).close()
    with psycopg.connect(pg_url) as con:
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'events' ORDER BY ordinal_position"
            ).fetchall()
        ]
        kinds = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'events'"
            ).fetchall()
        )
        version = con.execute("SELECT max(version) FROM schema_version").fetchone()
    assert tuple(columns) == EVENT_COLUMN_NAMES
    assert kinds["assoc_actors"] == "ARRAY"
    assert kinds["latitude"] == "double precision"
    assert kinds["date_start"] == "date"
    assert version == (len(MIGRATIONS),)


def test_translation_of_types() -> None:
    assert pg_ddl("a VARCHAR[], b VARCHAR, c DOUBLE, d BLOB, e DATE") == (
        "a TEXT[], b TEXT, c DOUBLE PRECISION, d BYTEA, e DATE"
    )


def test_ingest_is_idempotent_and_quarantines(pg_url: str, inputs: Inputs) -> None:
    with rs.open(pg_url) as store, rs.open() as duck:
        first = store.ingest("ucdp", inputs.synth.ged_csv)
        again = store.ingest("ucdp", inputs.synth.ged_csv)
        bad = store.ingest("defections", inputs.defections)
        expected = duck.ingest("ucdp", inputs.synth.ged_csv)
        assert (first.rows_read, first.rows_stored, first.rows_quarantined) == (
            expected.rows_read,
            expected.rows_stored,
            expected.rows_quarantined,
        )
        assert again.rows_stored == 0
        assert again.rows_unchanged == first.rows_stored
        assert (bad.rows_stored, bad.rows_quarantined) == (5, 1)
        assert store.quarantine(bad.batch_id).column("row_number").to_pylist() == [6]
    assert _count(pg_url, "SELECT count(*) FROM events") == first.rows_stored
    assert _count(pg_url, "SELECT count(*) FROM ingest_batches") == 3


def test_changed_rows_replace_the_stored_ones(pg_url: str, inputs: Inputs, tmp_path: Path) -> None:
    lines = inputs.synth.ged_csv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    best = header.index("best")
    edited = lines[1].split(",")
    edited[best] = str(int(edited[best]) + 100)
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join([lines[0], ",".join(edited)]) + "\n", encoding="utf-8")
    with rs.open(pg_url) as store:
        store.ingest("ucdp", inputs.synth.ged_csv)
        result = store.ingest("ucdp", changed)
        assert (result.rows_stored, result.rows_unchanged) == (1, 0)
        total = store.table("events").count().to_pyarrow().as_py()
        event_id = f"ucdp:{edited[header.index('id')]}"
    assert total == _count(pg_url, "SELECT count(DISTINCT event_id) FROM events")
    with psycopg.connect(pg_url) as con:
        stored = con.execute(
            "SELECT fatalities_best FROM events WHERE event_id = %s", [event_id]
        ).fetchone()
    assert stored == (int(edited[best]),)


def test_a_failed_batch_leaves_nothing(pg_url: str, inputs: Inputs) -> None:
    with rs.open(pg_url) as store:
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute("ALTER TABLE events ADD CONSTRAINT no_big CHECK (fatalities_best < 0)")
        with pytest.raises(StoreError, match="not stored"):
            store.ingest("ucdp", inputs.synth.ged_csv)
    for table in ("events", "quarantine", "ingest_batches"):
        assert _count(pg_url, f"SELECT count(*) FROM {table}") == 0
    assert _count(pg_url, "SELECT count(*) FROM actors WHERE NOT registered") == 0


def test_unregistered_actors_are_listed(pg_url: str, inputs: Inputs) -> None:
    with rs.open(pg_url) as store, rs.open() as duck:
        store.ingest("acled", inputs.synth.acled_csv)
        duck.ingest("acled", inputs.synth.acled_csv)
        assert store.info()["unregistered_actors"] == duck.info()["unregistered_actors"]


def test_a_second_client_sees_the_same_store(pg_url: str, inputs: Inputs) -> None:
    with rs.open(pg_url) as writer:
        writer.ingest("acled", inputs.synth.acled_csv)
        with rs.open(pg_url, read_only=True) as reader:
            assert reader.info()["events"] == writer.info()["events"] > 0


def test_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open store"):
        rs.open("postgresql://nobody:secret@127.0.0.1:1/none")


def test_export_from_postgres_matches_duckdb(
    pg_store_url: str, duckdb_path: Path, tmp_path: Path
) -> None:
    import pyarrow.dataset as ds

    from rivalscope.store.parquet import export_parquet

    def exported(db: str | Path, out: Path) -> list[tuple[str, str, int]]:
        with rs.open(db, read_only=True) as store:
            export_parquet(store, out)
        table = ds.dataset(out / "events", partitioning="hive").to_table()
        rows = zip(
            table.column("event_id").to_pylist(),
            table.column("country_iso3").to_pylist(),
            table.column("year").to_pylist(),
            strict=True,
        )
        return sorted(rows)

    assert exported(pg_store_url, tmp_path / "pg") == exported(duckdb_path, tmp_path / "duck")
