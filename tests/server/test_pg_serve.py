"""A real `rivalscope serve --db postgresql://...` on loopback: the same answers as the server
of the same data in a DuckDB file, writes with the token, changes made by other clients, many
requests at once on a small pool of connections."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rivalscope as rs
from rivalscope.redact import pseudonym, store_secret
from rivalscope.synth import SynthFiles
from tests.backends import pgserver
from tests.server.conftest import (
    DEFECTOR,
    REVIEW_IDS,
    Server,
    build_store,
    copy_store,
    serve_command,
    start_server,
)

pytestmark = pytest.mark.slow

VOLATILE = {
    "batch_id",
    "started",
    "finished",
    "created",
    "decided",
    "snapshot_version",
    "db",
    "file",
}
"""What differs between two stores built from the same files: batch ids, clocks, and the
folder the stores were built in."""


def _batch_ids(key: str, value: Any) -> bool:
    """A list of batch ids (a source read's ``batches``): volatile but for its length."""
    return key == "batches" and isinstance(value, list) and all(isinstance(v, str) for v in value)


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: len(v) if _batch_ids(k, v) else _stable(v)
            for k, v in value.items()
            if k not in VOLATILE
        }
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _new_store(databases: pgserver.Databases, folder: Path, synth_files: SynthFiles) -> str:
    url = databases.create(f"rs_serve_{uuid.uuid4().hex[:10]}")
    folder.mkdir(parents=True, exist_ok=True)
    build_store(folder / "unused.duckdb", synth_files, boundaries=True, db=url)
    return url


@pytest.fixture(scope="module")
def pg_served(
    tmp_path_factory: pytest.TempPathFactory,
    synth_files: SynthFiles,
    pg_database: pgserver.Databases,
) -> Iterator[Server]:
    """A server on a PostgreSQL store holding what the DuckDB servers' store holds (reads
    only: the tests that write have their own)."""
    folder = tmp_path_factory.mktemp("pg-serve")
    running = start_server(_new_store(pg_database, folder, synth_files), folder=folder)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def duck_served(
    tmp_path_factory: pytest.TempPathFactory, template_store_with_boundaries: Path
) -> Iterator[Server]:
    db = copy_store(template_store_with_boundaries, tmp_path_factory.mktemp("duck-serve"))
    running = start_server(db)
    yield running
    running.stop()


@pytest.fixture
def pg_writable(
    tmp_path: Path, synth_files: SynthFiles, pg_database: pgserver.Databases
) -> Iterator[Server]:
    url = _new_store(pg_database, tmp_path, synth_files)
    running = start_server(url, folder=tmp_path)
    yield running
    running.stop()


def _walk(client: httpx.Client, **params: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get(
            "/api/events", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        found += page.json()["events"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


def test_info_names_the_backend(pg_served: Server, duck_served: Server) -> None:
    pg = pg_served.client(auth=True).get("/api/info")
    duck = duck_served.client().get("/api/info")
    assert pg.status_code == 200
    server = pg.json()["server"]
    assert (server["backend"], server["busy"], server["pool_size"]) == ("postgres", False, 4)
    assert server["db"] == pg_served.db
    assert duck.json()["server"]["backend"] == "duckdb"
    assert pg.headers["x-rivalscope-busy"] == "0"
    assert pg.json()["store"]["events"] > 1000
    assert _stable(pg.json()["store"]) == _stable(duck.json()["store"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/actors",
        "/api/places?country=AFG",
        "/api/boundaries?country=AFG",
        "/api/profile/ISKP/TALIBAN?country=AFG",
        "/api/dyad/ISKP/TALIBAN",
        "/api/dyad/ISIS-K/Taliban?type=all&since=2018-01-01&phase=Hafiz Saeed Khan",
        "/api/defections?involving=ISKP",
        "/api/review?status=all",
    ],
)
def test_reads_match_the_duckdb_server(pg_served: Server, duck_served: Server, path: str) -> None:
    pg = pg_served.client().get(path)
    duck = duck_served.client().get(path)
    assert pg.status_code == duck.status_code == 200, pg.text
    assert _stable(pg.json()) == _stable(duck.json())


def test_event_pages_and_downloads_match(pg_served: Server, duck_served: Server) -> None:
    pg, duck = pg_served.client(), duck_served.client()
    for filters in (
        {"limit": 1000},
        {"actor": "ISIS-K", "limit": 77},
        {"actor": "ISKP", "rival": "Taliban", "type": "clash", "since": "2017-01-01"},
        {"admin1": "Nangarhar", "source": "acled", "until": "2020-12-31", "limit": 10},
    ):
        walked = _stable(_walk(pg, **filters))
        assert walked == _stable(_walk(duck, **filters)), filters
        assert walked
    params = {"actor": "ISKP", "rival": "TALIBAN"}

    def csv_rows(client: httpx.Client) -> list[dict[str, str]]:
        response = client.get("/api/events", params={**params, "format": "csv"})
        assert response.status_code == 200
        return [_stable(r) for r in csv.DictReader(io.StringIO(response.text))]

    assert csv_rows(pg) == csv_rows(duck)

    def parquet(client: httpx.Client) -> pa.Table:
        response = client.get("/api/events", params={**params, "format": "parquet"})
        return pq.read_table(io.BytesIO(response.content)).drop_columns(["batch_id"])

    assert parquet(pg).equals(parquet(duck))
    jsonl = pg.get("/api/events", params={**params, "format": "jsonl"}).text.splitlines()
    assert len(jsonl) == parquet(duck).num_rows > 10


def test_many_requests_at_once_on_four_connections(pg_served: Server) -> None:
    expected = _walk(pg_served.client(), actor="TALIBAN", limit=1000)[:16]

    def page(n: int) -> list[str]:
        with httpx.Client(base_url=pg_served.url, timeout=120) as client:
            response = client.get("/api/events", params={"actor": "TALIBAN", "limit": n})
            assert response.status_code == 200, response.text
            return [e["event_id"] for e in response.json()["events"]]

    with ThreadPoolExecutor(16) as pool:
        pages = list(pool.map(page, range(1, 17)))
    assert pages == [[e["event_id"] for e in expected[:n]] for n in range(1, 17)]
    assert pg_served.client().get("/api/dyad/ISKP/TALIBAN").status_code == 200


def test_writes_with_the_token_and_changes_from_other_clients(pg_writable: Server) -> None:
    writer, reader = pg_writable.client(auth=True), pg_writable.client()
    assert _walk(reader, source="text") == []
    before = reader.get("/api/info").json()["server"]["snapshot_version"]
    added = writer.post(
        "/api/defections",
        json={
            "date": "2019-03-01",
            "from_actor": "Taleban",
            "to_actor": "ISIS-K",
            "person": "Qari Test",
            "fighters": 12,
            "admin1": "Nangarhar",
        },
    )
    assert added.status_code == 201, added.text
    row = added.json()["defection"]
    assert (row["from_actor"], row["to_actor"], row["admin1_code"]) == ("TALIBAN", "ISKP", "AF-NAN")
    listed = reader.get("/api/defections", params={"involving": ["ISKP"]}).json()["defections"]
    assert {d["defection_id"]: d["fighters"] for d in listed}[row["defection_id"]] == 12
    assert reader.get("/api/info").json()["server"]["snapshot_version"] > before
    corrected = writer.patch(f"/api/defections/{row['defection_id']}", json={"fighters": 30})
    assert corrected.status_code == 200 and corrected.json()["changed"] is True

    decided = writer.post("/api/review", json={"ids": [REVIEW_IDS[0]], "decision": "accepted"})
    assert decided.status_code == 200 and decided.json()["changed"] == 1
    assert [e["event_id"] for e in _walk(reader, source="text")] == [REVIEW_IDS[0]]
    pending = reader.get("/api/review").json()["items"]
    assert [i["item_id"] for i in pending] == [REVIEW_IDS[1]]
    unknown = writer.post("/api/review", json={"ids": ["text:no"], "decision": "rejected"})
    assert unknown.status_code == 404
    anonymous = reader.post("/api/review", json={"ids": [REVIEW_IDS[1]], "decision": "rejected"})
    assert anonymous.status_code == 401

    with rs.open(pg_writable.db, read_only=True) as store:
        stored = store.table("defections").to_pyarrow().to_pylist()
        assert {d["defection_id"]: d["fighters"] for d in stored}[row["defection_id"]] == 30
        events = store.info()["events"]
    with rs.open(pg_writable.db) as other:
        other.write_rows(
            "events",
            pa.table(
                {
                    "event_id": ["other:1"],
                    "date_start": [dt.date(2019, 4, 14)],
                    "event_type": ["clash"],
                    "actor1": ["ISKP"],
                    "actor2": ["TALIBAN"],
                }
            ),
            source="other",
        )
    seen = pg_writable.wait_for(
        lambda info: info["store"]["events"] == events + 1, "another client's write"
    )
    assert seen["server"]["busy"] is False
    assert [e["event_id"] for e in _walk(reader, source="other")] == ["other:1"]


def test_redacting_server_on_postgres(
    tmp_path: Path, synth_files: SynthFiles, pg_database: pgserver.Databases
) -> None:
    url = _new_store(pg_database, tmp_path, synth_files)
    running = start_server(url, token=False, redact=True, folder=tmp_path)
    try:
        listed = running.client().get("/api/defections").json()["defections"]
    finally:
        running.stop()
    with rs.open(url, read_only=True) as store:
        secret = store_secret(store)
    assert [d["person"] for d in listed if d["person"]] == [pseudonym(DEFECTOR, secret)]


def test_serve_refuses_what_it_cannot_serve(
    pg_database: pgserver.Databases, tmp_path: Path
) -> None:
    empty = pg_database.create(f"rs_empty_{uuid.uuid4().hex[:10]}")
    for db, words in (
        (empty, "no store at"),
        (f"spark:local[1]?data={tmp_path}", "cannot serve"),
    ):
        done = subprocess.run(
            serve_command(db, "--port", "1"), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, done.stderr
        assert words in done.stderr
