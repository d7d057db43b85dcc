"""A SYNTHETIC store with the awkward rows a server must handle, and `rivalscope serve` run as a
real process on loopback over a copy of it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

import rivalscope as rs
from rivalscope.synth import SynthFiles
from tests.backends.conftest import pg_database, pg_server  # noqa: F401 (PostgreSQL fixtures)

TOKEN = "serve-test-token-0123456789abcdef"
HOSTILE = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"
DEFECTOR = "Mullah Example Akhund"
REVIEW_IDS = ("text:r1", "text:r2")


def _hostile_events() -> pa.Table:
    return pa.table(
        {
            "event_id": ["notes:hostile"],
            "date_start": [dt.date(2019, 6, 3)],
            "date_end": [dt.date(2019, 6, 3)],
            "event_type": ["clash"],
            "actor1": ["ISKP"],
            "actor2": ["TALIBAN"],
            "country_iso3": ["AFG"],
            "admin1_code": ["AF-NAN"],
            "admin1": ["Nangarhar"],
            "latitude": [34.2],
            "longitude": [70.5],
            "fatalities_best": [7],
            "notes": [HOSTILE],
        }
    )


def _review_events() -> tuple[pa.Table, pa.Table]:
    rows = pa.table(
        {
            "event_id": list(REVIEW_IDS),
            "date_start": [dt.date(2020, 5, 1), dt.date(2020, 5, 2)],
            "event_type": ["clash", "clash"],
            "actor1": ["ISKP", "TALIBAN"],
            "actor2": ["TALIBAN", "ISKP"],
            "country_iso3": ["AFG", "AFG"],
            "admin1_code": ["AF-KNR", "AF-KNR"],
            "fatalities_best": [4, 2],
            "notes": ["coded from a report", "coded from a report"],
        }
    )
    details = pa.table(
        {
            "item_id": list(REVIEW_IDS),
            "confidence": [0.9, 0.35],
            "passage": [
                "ISKP fighters attacked a Taliban checkpoint in Kunar.",
                f"Clashes reported {HOSTILE} near Asadabad.",
            ],
            "evidence": [json.dumps({"actor1": [0, 4]}), None],
        }
    )
    return rows, details


def squares_geojson(store: rs.Store, path: Path, half: float = 0.3) -> Path:
    """A boundary file with a square around each Afghan province's centre (geoBoundaries
    properties), so tests can load boundaries without the real file."""
    features = []
    for place in store.places("AFG").to_pylist():
        lat, lon = place["latitude"], place["longitude"]
        ring = [
            [lon - half, lat - half],
            [lon + half, lat - half],
            [lon + half, lat + half],
            [lon - half, lat + half],
            [lon - half, lat - half],
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"shapeName": place["name"], "shapeISO": place["code"]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def build_store(
    path: Path, synth_files: SynthFiles, *, boundaries: bool = False, db: str | None = None
) -> Path:
    """The SYNTHETIC world, one clash whose notes are hostile markup, a named defector, two
    text-coded events waiting for review and (optionally) square province boundaries; in the
    DuckDB file ``path``, or in the store ``db`` names (files go next to ``path`` then)."""
    defections = path.parent / "defections.csv"
    defections.write_text(
        "date,from_actor,to_actor,person,role,fighters,admin1,notes\n"
        f"2016-01-10,Taliban,ISKP,{DEFECTOR},commander,40,Nangarhar,switched with his men\n"
        "2018-04-02,ISKP,Taliban,,fighter,3,Jowzjan,\n",
        encoding="utf-8",
    )
    with rs.open(db or path) as store:
        store.ingest_ucdp(synth_files.ged_csv)
        store.ingest_acled(synth_files.acled_csv)
        store.ingest_defections(defections)
        store.write_rows("events", _hostile_events(), source="notes")
        rows, details = _review_events()
        store.write_rows("events", rows, source="text", for_review=True, review_details=details)
        if boundaries:
            store.load_boundaries(squares_geojson(store, path.parent / "squares.geojson"))
    return path


ACLED_FROM = dt.date(2019, 4, 1)
"""The world store's ACLED file starts here (UCDP covers 2017-2023): a coverage edge on the
phase boundary of Afghanistan's ISKP phases."""
EVIL_SOURCE = "<b>evil</b><img src=x onerror=\"document.title='PWNED'\">"


def build_world_store(folder: Path, events: int = 800) -> Path:
    """One SYNTHETIC world reported by UCDP (GED 21.1, 2017-2023) and ACLED (from
    :data:`ACLED_FROM`), ingested into ``folder/world.duckdb``."""
    import csv

    from rivalscope.synth_world import generate_world

    folder.mkdir(parents=True, exist_ok=True)
    files = generate_world(folder / "world", events=events)
    ged = folder / "world" / "GEDEvent_v21_1.csv"
    shutil.copyfile(files.ged_csv, ged)
    acled = folder / "world" / "acled_from_2019.csv"
    with (
        files.acled_csv.open(newline="", encoding="utf-8") as source,
        acled.open("w", newline="", encoding="utf-8") as target,
    ):
        reader = csv.DictReader(source)
        writer = csv.DictWriter(target, reader.fieldnames or [])
        writer.writeheader()
        for row in reader:
            if dt.datetime.strptime(row["event_date"], "%d %B %Y").date() >= ACLED_FROM:
                writer.writerow(row)
    db = folder / "world.duckdb"
    with rs.open(db) as store:
        for name, path in (("ucdp", ged), ("acled", acled)):
            result = store.ingest(name, path)
            assert result.rows_quarantined == 0
    return db


def add_evil_source(db: Path) -> None:
    """Two clashes from a source whose name is markup, one with hostile notes."""
    rows = pa.table(
        {
            "event_id": ["evil:1", "evil:2"],
            "date_start": [dt.date(2022, 3, 3), dt.date(2020, 3, 3)],
            "event_type": ["clash", "clash"],
            "actor1": ["ISKP", "TALIBAN"],
            "actor2": ["TALIBAN", "ISKP"],
            "country_iso3": ["AFG", "AFG"],
            "admin1_code": ["AF-NAN", "AF-KNR"],
            "fatalities_best": [400, 3],
            "notes": [HOSTILE, "an ordinary note"],
        }
    )
    with rs.open(db) as store:
        store.write_rows("events", rows, source=EVIL_SOURCE)


@pytest.fixture(scope="session")
def world_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SYNTHETIC world of :func:`build_world_store`, built once; copy it to change it."""
    return build_world_store(tmp_path_factory.mktemp("world-store"))


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory, synth_files: SynthFiles) -> Path:
    """Built once; each server works on its own copy."""
    return build_store(tmp_path_factory.mktemp("serve-template") / "t.duckdb", synth_files)


@pytest.fixture(scope="session")
def template_store_with_boundaries(
    tmp_path_factory: pytest.TempPathFactory, synth_files: SynthFiles
) -> Path:
    folder = tmp_path_factory.mktemp("serve-template-b")
    return build_store(folder / "t.duckdb", synth_files, boundaries=True)


def copy_store(template: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "store.duckdb"
    shutil.copyfile(template, target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(db: Path | str, *args: str) -> list[str]:
    return [sys.executable, "-m", "rivalscope.cli", "serve", "--db", str(db), *args]


@dataclass
class Server:
    """A `rivalscope serve` process and how to reach it."""

    url: str
    db: Path | str
    token: str | None
    process: subprocess.Popen[bytes]
    log: Path
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, *, auth: bool = False) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        made = httpx.Client(base_url=self.url, headers=headers, timeout=120)
        self.clients.append(made)
        return made

    def stop(self) -> None:
        for made in self.clients:
            made.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def wait_for(
        self, check: Callable[[dict[str, Any]], bool], what: str, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Poll /api/info (with the token, if any: paths and process ids included) until
        ``check(info)`` holds; that info."""
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with httpx.Client(base_url=self.url, timeout=30, headers=headers) as client:
            while True:
                info: dict[str, Any] = client.get("/api/info").json()
                if check(info):
                    return info
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out waiting for {what}: {info['server']}")
                time.sleep(0.2)


def start_server(
    db: Path | str,
    *,
    token: bool = True,
    redact: bool = False,
    timeout: float = 90.0,
    folder: Path | None = None,
) -> Server:
    """Run ``rivalscope serve`` on a free loopback port and wait until it answers (``folder``
    holds the token and the log; default: the store file's folder)."""
    where = folder if folder is not None else Path(db).parent
    port = free_port()
    args = ["--port", str(port), "--refresh", "0.3"]
    if token:
        token_file = where / "token.txt"
        token_file.write_text(TOKEN + "\n", encoding="utf-8")
        token_file.chmod(0o600)
        args += ["--token-file", str(token_file)]
    if redact:
        args.append("--redact")
    log = where / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            serve_command(db, *args), stdout=sink, stderr=subprocess.STDOUT, cwd=where
        )
    server = Server(f"http://127.0.0.1:{port}", db, TOKEN if token else None, process, log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {log.read_text(errors='replace')}")
        try:
            status = httpx.get(f"{server.url}/api/info", timeout=5).status_code
        except httpx.TransportError:
            status = 0
        if status == 200:
            return server
        if status >= 500:
            server.stop()
            raise AssertionError(f"the server fails: {log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"the server did not start: {log.read_text(errors='replace')}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, template_store_with_boundaries: Path
) -> Iterator[Server]:
    """A server with a token over a copy of the store with boundaries (one per test module)."""
    db = copy_store(template_store_with_boundaries, tmp_path_factory.mktemp("serve"))
    running = start_server(db)
    yield running
    running.stop()
