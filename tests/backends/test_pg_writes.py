"""Rows written by code (``Store.write_rows``) and their review, on DuckDB and on a real
PostgreSQL: the same stored rows, fingerprints, batches and review entries; a bad row stores
nothing; ``code --store`` and ``review`` on a PostgreSQL URL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import rivalscope as rs
from rivalscope import review
from rivalscope.analysis.context import Dyad
from rivalscope.cli import app
from tests.test_review import BAD_EVENT_ROWS

pytestmark = pytest.mark.slow

WRITABLE = ("duckdb", "postgres")


def _events(*ids: str, fatalities: int = 3) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "event_id": list(ids),
            "date_start": [dt.date(2020, 5, 1)] * n,
            "event_type": ["clash"] * n,
            "actor1": ["ISKP"] * n,
            "actor2": ["TALIBAN"] * n,
            "assoc_actors": [["Local militia", 'A "quoted", {braced} ally']] * n,
            "country_iso3": ["AFG"] * n,
            "admin1_code": ["AF-NAN"] * n,
            "latitude": [34.25] * n,
            "fatalities_best": [fatalities] * n,
            "notes": ["50% of the post; a back\\slash and a\nnew line"] * n,
        }
    )


def _details(*ids: str) -> pa.Table:
    return pa.table(
        {
            "item_id": list(ids),
            "confidence": [0.9 - 0.1 * i for i in range(len(ids))],
            "passage": [f"ISKP fighters clashed with the Taliban ({i})." for i in ids],
            "evidence": [json.dumps({"actor1": [0, 4]})] * len(ids),
        }
    )


def _defections() -> pa.Table:
    return pa.table(
        {
            "defection_id": ["text:d1", "text:d2"],
            "date": [dt.date(2019, 3, 1), dt.date(2019, 4, 1)],
            "person": ["Mullah Example", None],
            "from_actor": ["TALIBAN", "ISKP"],
            "to_actor": ["ISKP", "TALIBAN"],
            "fighters": [40, None],
            "country_iso3": ["AFG", "AFG"],
            "admin1_code": ["AF-NAN", None],
        }
    )


@pytest.fixture(params=WRITABLE)
def store(request: pytest.FixtureRequest) -> Iterator[rs.Store]:
    """An empty store: DuckDB in memory, or a new PostgreSQL database."""
    db = None if request.param == "duckdb" else request.getfixturevalue("pg_url")
    with rs.open(db) as opened:
        yield opened


def _scenario(store: rs.Store) -> dict[str, Any]:
    """Write, re-write, change and decide; everything stored but the batch ids and clocks."""
    results = [
        store.write_rows("events", _events("sim:1", "sim:2"), source="sim", file="run-1"),
        store.write_rows(
            "events",
            _events("text:a", "text:b", "text:c"),
            source="text",
            for_review=True,
            review_details=_details("text:a", "text:b"),
        ),
        store.write_rows("defections", _defections(), source="text", for_review=True),
    ]
    review.decide(store, ["text:a"], "accepted", reviewer="analyst")
    review.decide(store, ["text:b"], "rejected")
    results += [
        store.write_rows("events", _events("text:a", "text:b"), source="text", for_review=True),
        store.write_rows("events", _events("text:b", fatalities=9), source="text", for_review=True),
        store.write_rows("events", _events("sim:1", "sim:2"), source="sim"),
    ]

    def rows(name: str, order: str, *drop: str) -> list[dict[str, Any]]:
        table = store.table(name).order_by(order).to_pyarrow()
        return table.drop_columns(list(drop)).to_pylist()

    batches = store.table("ingest_batches").order_by("started").to_pyarrow()
    return {
        "results": [(r.rows_read, r.rows_stored, r.rows_unchanged, r.file) for r in results],
        "events": rows("events", "event_id", "batch_id"),
        "defections": rows("defections", "defection_id", "batch_id"),
        "reviews": rows("reviews", "item_id", "created", "decided"),
        "batches": batches.drop_columns(["batch_id", "started", "finished"]).to_pylist(),
        "counted": store.counted("events").order_by("event_id").event_id.to_pyarrow().to_pylist(),
        "items": review.items(store, status=None).drop_columns(["created", "decided"]).to_pylist(),
    }


def test_postgres_stores_what_duckdb_stores(pg_url: str) -> None:
    with rs.open() as duck, rs.open(pg_url) as pg:
        expected = _scenario(duck)
        got = _scenario(pg)
    assert got == expected
    assert expected["results"] == [
        (2, 2, 0, "run-1"),
        (3, 3, 0, ""),
        (2, 2, 0, ""),
        (2, 0, 2, ""),
        (1, 1, 0, ""),
        (2, 0, 2, ""),
    ]
    statuses = {r["item_id"]: r["status"] for r in expected["reviews"]}
    assert statuses == {
        "text:a": "accepted",
        "text:b": "pending",
        "text:c": "pending",
        "text:d1": "pending",
        "text:d2": "pending",
    }
    assert expected["counted"] == ["sim:1", "sim:2", "text:a"]
    assert len({r["row_hash"] for r in expected["events"]}) == 5
    assert expected["events"][0]["assoc_actors"] == ["Local militia", 'A "quoted", {braced} ally']


@pytest.mark.parametrize(("rows", "message"), BAD_EVENT_ROWS)
def test_a_bad_row_is_named_and_nothing_is_stored(
    store: rs.Store, rows: pa.Table, message: str
) -> None:
    store.write_rows("events", _events("ok:1"), source="sim")
    with pytest.raises(rs.InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        store.write_rows("events", rows, source="sim", for_review=True)
    assert store.table("events").event_id.to_pyarrow().to_pylist() == ["ok:1"]
    assert store.table("ingest_batches").count().to_pyarrow().as_py() == 1
    assert store.table("reviews").count().to_pyarrow().as_py() == 0


def test_rewriting_is_idempotent_and_keeps_decisions(store: rs.Store) -> None:
    first = store.write_rows(
        "defections", _defections(), source="text", for_review=True, file="notes.txt"
    )
    assert (first.rows_stored, first.rows_unchanged) == (2, 0)
    assert review.decide(store, ["text:d1"], "accepted", kind="defection") == 1
    again = store.write_rows("defections", _defections(), source="text", for_review=True)
    assert (again.rows_read, again.rows_stored, again.rows_unchanged) == (2, 0, 2)
    items = review.items(store, status=None, kind="defection")
    assert items.column("status").to_pylist() == ["accepted", "pending"]
    dyad = Dyad.of(store, "ISKP", "TALIBAN")
    assert dyad.defections().count().to_pyarrow().as_py() == 1
    assert store.table("defections").count().to_pyarrow().as_py() == 2


def test_decide_is_all_or_nothing(store: rs.Store) -> None:
    store.write_rows("events", _events("text:a", "text:b"), source="text", for_review=True)
    with pytest.raises(rs.NotFoundError, match="'text:zzz'"):
        review.decide(store, ["text:a", "text:zzz"], "accepted")
    assert review.items(store).column("status").to_pylist() == ["pending", "pending"]
    assert review.decide(store, ["text:a", "text:b"], "rejected", reviewer="x") == 2
    assert review.decide(store, ["text:a"], "rejected", reviewer="y") == 0
    decided = review.items(store, status="rejected").to_pylist()
    assert [(r["item_id"], r["reviewer"]) for r in decided] == [("text:a", "y"), ("text:b", "x")]
    assert store.events().num_rows == 0


def test_a_refused_write_leaves_postgres_as_it_was(pg_url: str) -> None:
    with rs.open(pg_url) as store:
        store.write_rows("events", _events("ok:1"), source="sim")
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute("ALTER TABLE events ADD CONSTRAINT few CHECK (fatalities_best < 5)")
        with pytest.raises(rs.StoreError, match="the rows were not stored"):
            store.write_rows(
                "events",
                _events("text:x", fatalities=7),
                source="text",
                for_review=True,
                review_details=_details("text:x"),
            )
        assert store.table("events").event_id.to_pyarrow().to_pylist() == ["ok:1"]
        assert store.table("ingest_batches").count().to_pyarrow().as_py() == 1
        assert store.table("reviews").count().to_pyarrow().as_py() == 0
        again = store.write_rows("events", _events("text:y"), source="text", for_review=True)
        assert again.rows_stored == 1
    with rs.open(pg_url, read_only=True) as reader:
        with pytest.raises(rs.StoreError, match="read-only"):
            reader.write_rows("events", _events("text:z"), source="text")
        with pytest.raises(rs.StoreError, match="read-only"):
            review.decide(reader, ["text:y"], "accepted")


def test_code_store_and_review_on_postgres(pg_url: str, tmp_path: Path) -> None:
    report = tmp_path / "jalalabad.txt"
    report.write_text(
        "JALALABAD, Afghanistan, Oct 8 (Reuters) - Islamic State militants attacked a Taliban "
        "checkpoint in the Achin district of eastern Nangarhar province on Thursday, killing "
        "three Taliban fighters, a Taliban spokesman said.\n",
        encoding="utf-8",
    )
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    code = ("code", str(report), "--report-date", "2021-10-08", "--store", "--db", pg_url)
    first = run(*code, "--json")
    assert first["stored"]["events"]["rows_stored"] == 1
    again = run(*code, "--json")
    assert again["stored"]["events"]["rows_unchanged"] == 1
    items = run("review", "--db", pg_url, "--json")["items"]
    assert [(i["event_type"], i["actor1"], i["actor2"]) for i in items] == [
        ("clash", "ISKP", "TALIBAN")
    ]
    assert json.loads(items[0]["evidence"])["actor1"]
    decided = run("review", "accept", items[0]["item_id"], "--db", pg_url, "--json")
    assert decided == {"status": "accepted", "items": 1, "changed": 1}
    with rs.open(pg_url, read_only=True) as store:
        counted = store.events(source="text").to_pylist()
    assert [e["event_id"] for e in counted] == [items[0]["item_id"]]
