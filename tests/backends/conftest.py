"""Backend fixtures: the same data in DuckDB, in a throwaway PostgreSQL and in Spark.

PostgreSQL: the server named by ``$RIVALSCOPE_TEST_PG`` (a URL to a database the tests may
fill; each test run creates its own databases there), else a cluster started here with Debian's
``initdb``/``pg_ctl`` on a free loopback port (:mod:`tests.backends.pgserver`). Spark: one
``local[2]`` session for the whole run, reading a Parquet export of the DuckDB store.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.store.parquet import export_parquet
from rivalscope.synth import SynthFiles, generate
from tests.backends import pgserver

BACKENDS = ("duckdb", "postgres", "spark")

DEFECTIONS = (
    "date,from_actor,to_actor,person,role,fighters,country,admin1,admin2,source,notes",
    "2019-03-01,Taliban,ISKP,Person A,commander,10,Afghanistan,Nangarhar,Achin,report 1,",
    "2019-03-15,ISKP,Taliban,,fighter,,Afghanistan,Nangarhar,,report 2,returned",
    "2020-04-02,Taliban,ISIS-K,,fighter,5,Afghanistan,Herat,,report 3,",
    "2020-05-01,ISKP,Government of Afghanistan,,fighter,3,Afghanistan,Kabul,,report 5,",
    "2021-05-02,Government of Afghanistan,Taliban,,soldier,7,Afghanistan,Kunar,,report 6,",
    "not a date,Taliban,ISKP,,fighter,1,Afghanistan,Kunar,,report 7,",
)
"""Five good defection records and one the ingest must quarantine (its date)."""


@dataclass(frozen=True)
class Inputs:
    """The files every backend's store is built from."""

    synth: SynthFiles
    defections: Path

    def load(self, store: rs.Store) -> None:
        store.ingest("ucdp", self.synth.ged_csv)
        store.ingest("acled", self.synth.acled_csv)
        store.ingest("defections", self.defections)


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    folder = tmp_path_factory.mktemp("backend-inputs")
    synth = generate(folder, seed=11, ged_rows=1500, acled_rows=1000)
    defections = folder / "defections.csv"
    defections.write_text("\n".join(DEFECTIONS) + "\n", encoding="utf-8")
    return Inputs(synth, defections)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a server to create test databases on (``postgres`` database)."""
    given = os.environ.get("RIVALSCOPE_TEST_PG")
    if given:
        yield given
        return
    reason = pgserver.available()
    if reason is not None:
        pytest.fail(f"no PostgreSQL for the backend tests: {reason}; or set RIVALSCOPE_TEST_PG")
    cluster = pgserver.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server: str) -> pgserver.Databases:
    """Makes fresh, empty databases on the test server."""
    return pgserver.Databases(pg_server)


@pytest.fixture
def pg_url(pg_database: pgserver.Databases) -> str:
    """The URL of a new empty database (one per test)."""
    return pg_database.create(f"rs_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    """One local[2] Spark session for the whole run (stores opened in it do not stop it)."""
    from rivalscope.store.spark import session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = session(
        "local[2]",
        {"spark.ui.showConsoleProgress": "false", "spark.sql.shuffle.partitions": "2"},
    )
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def duckdb_path(inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backend-duckdb") / "store.duckdb"
    with rs.open(path) as store:
        inputs.load(store)
    return path


@pytest.fixture(scope="session")
def export_dir(duckdb_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("backend-export") / "export"
    with rs.open(duckdb_path, read_only=True) as store:
        export_parquet(store, out)
    return out


@pytest.fixture(scope="session")
def pg_store_url(inputs: Inputs, pg_database: pgserver.Databases) -> str:
    url = pg_database.create("rs_shared")
    with rs.open(url) as store:
        inputs.load(store)
    return url


@pytest.fixture(scope="session")
def stores() -> Iterator[dict[str, rs.Store]]:
    """Opened lazily per backend by :func:`backend_store`; closed at the end of the run."""
    opened: dict[str, rs.Store] = {}
    yield opened
    for store in opened.values():
        store.close()


@pytest.fixture(params=BACKENDS)
def backend_store(request: pytest.FixtureRequest, stores: dict[str, rs.Store]) -> rs.Store:
    """The same data, in each backend in turn."""
    name = request.param
    if name not in stores:
        if name == "duckdb":
            stores[name] = rs.open(request.getfixturevalue("duckdb_path"), read_only=True)
        elif name == "postgres":
            stores[name] = rs.open(request.getfixturevalue("pg_store_url"), read_only=True)
        else:
            request.getfixturevalue("spark_session")
            data = request.getfixturevalue("export_dir")
            stores[name] = rs.open(f"spark:local[2]?data={data}")
    return stores[name]


@pytest.fixture(scope="session")
def reference(duckdb_path: Path) -> Iterator[rs.Store]:
    """The DuckDB store every backend's answers are compared with."""
    with rs.open(duckdb_path, read_only=True) as store:
        yield store


@pytest.fixture(params=BACKENDS)
def backend_db(request: pytest.FixtureRequest) -> str:
    """The ``--db`` value of the same data in each backend in turn (for the CLI)."""
    name = request.param
    if name == "duckdb":
        # a copy: this process holds the shared file open read-only, and DuckDB refuses a
        # read-write connection (--redact writes the pseudonym secret) beside it
        copy = request.getfixturevalue("tmp_path") / "store.duckdb"
        shutil.copyfile(request.getfixturevalue("duckdb_path"), copy)
        return str(copy)
    if name == "postgres":
        return str(request.getfixturevalue("pg_store_url"))
    request.getfixturevalue("spark_session")
    return f"spark:local[2]?data={request.getfixturevalue('export_dir')}"
