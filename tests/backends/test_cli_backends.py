"""``--db`` takes a PostgreSQL URL or a Spark master everywhere; ``export --parquet`` writes what
Spark reads. Run in-process (Typer's runner) so the run's Spark session is reused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from rivalscope.cli import app
from rivalscope.store import spark as spark_backend
from tests.backends.conftest import Inputs

pytestmark = pytest.mark.slow


def _run(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if code == 0 and "--json" in args else result


def _profile(db: str) -> dict[str, Any]:
    """The profile's JSON, with each source's batch ids counted (each store made its own)."""
    data: dict[str, Any] = _run(
        "profile", "ISKP", "TALIBAN", "--country", "AFG", "--db", db, "--json"
    )
    for entry in data["sources"]:
        entry["batches"] = len(entry["batches"])
    return data


def test_ingest_and_profile_on_postgres(pg_url: str, inputs: Inputs, duckdb_path: Path) -> None:
    first = _run("ingest", "ucdp", str(inputs.synth.ged_csv), "--db", pg_url, "--json")
    _run("ingest", "acled", str(inputs.synth.acled_csv), "--db", pg_url, "--json")
    _run("ingest", "defections", str(inputs.defections), "--db", pg_url, "--json")
    again = _run("ingest", "ucdp", str(inputs.synth.ged_csv), "--db", pg_url, "--json")
    assert again["rows_unchanged"] == first["rows_stored"] > 0
    assert _profile(pg_url) == _profile(str(duckdb_path))
    info = _run("info", "--db", pg_url, "--json")
    assert info["events"] == _run("info", "--db", str(duckdb_path), "--json")["events"]


def test_export_partitions_by_country_and_year(duckdb_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = _run("export", "--parquet", str(out), "--db", str(duckdb_path), "--json")
    events = ds.dataset(out / "events", format="parquet", partitioning="hive")
    assert events.count_rows() == result["rows"]["events"] > 0
    years = sorted({p.name for p in (out / "events" / "country_iso3=AFG").iterdir()})
    assert years[0] == "year=2015" and years[-1] == "year=2023"
    assert (out / "actors.parquet").exists()
    again = _run("export", "--parquet", str(out), "--db", str(duckdb_path), code=2)
    assert "already holds an export" in again.output


def test_events_on_spark_with_conf(
    spark_session: object, export_dir: Path, duckdb_path: Path
) -> None:
    def lines(db: str, *options: str) -> list[str]:
        args = [*options, "events", "--actor", "ISKP", "--rival", "Taliban", "--since"]
        result = _run(*args, "2022-01-01", "--country", "AFG", "--format", "csv", "--db", db)
        return [line for line in result.stdout.splitlines() if line]

    db = f"spark:local[2]?data={export_dir}"
    try:
        got = lines(db, "--spark-conf", "spark.sql.shuffle.partitions=3")
        conf = spark_backend._configured.copy()
    finally:
        spark_backend.configure({})
    assert conf == {"spark.sql.shuffle.partitions": "3"}
    expected = lines(str(duckdb_path))
    assert len(expected) > 2
    assert got == expected


def test_spark_store_is_read_only(spark_session: object, export_dir: Path, inputs: Inputs) -> None:
    db = f"spark:local[2]?data={export_dir}"
    result = _run("ingest", "ucdp", str(inputs.synth.ged_csv), "--db", db, code=2)
    assert "read-only" in result.output


def test_bad_spark_urls(tmp_path: Path) -> None:
    assert "name the Parquet export" in _run("info", "--db", "spark:local[2]", code=2).output
    missing = _run("info", "--db", f"spark:local[2]?data={tmp_path}", code=2).output
    assert "no Rivalscope export" in missing
    bad_conf = _run("--spark-conf", "novalue", "info", "--db", "x.duckdb", code=2).output
    assert "key=value" in bad_conf


def _small_scenario(folder: Path) -> Path:
    scenario = folder / "small.toml"
    scenario.write_text('name = "small"\n[population]\nscale = 50\n', encoding="utf-8")
    return scenario


def test_simulate_calibrate_reads_a_postgres_store(
    pg_url: str, inputs: Inputs, tmp_path: Path
) -> None:
    _run("ingest", "acled", str(inputs.synth.acled_csv), "--db", pg_url, "--json")
    posterior = tmp_path / "posterior.json"
    result = _run(
        "simulate", "calibrate", "--db", pg_url, "--scenario", str(_small_scenario(tmp_path)),
        "--since", "2022-01-01", "--draws", "10", "--accept", "0.3", "--out", str(posterior),
        "--json",
    )  # fmt: skip
    assert (result["draws"], result["accepted"]) == (10, 3)
    assert result["info"]["window"]["since"] == "2022-01-01"
    assert posterior.exists()


def test_simulate_run_into_postgres_warns_of_real_events(
    pg_url: str, inputs: Inputs, tmp_path: Path
) -> None:
    _run("ingest", "acled", str(inputs.synth.acled_csv), "--db", pg_url, "--json")
    args = ["simulate", "run", str(_small_scenario(tmp_path)), "--runs", "1", "--months", "6"]
    done = _run(*args, "--db", pg_url)
    assert "events from real sources" in done.output
    assert "written to" in done.output
