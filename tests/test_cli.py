"""The command line as users run it: a real process, a real DuckDB file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from rivalscope.synth import SynthFiles

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rivalscope.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        check=check,
        timeout=300,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, synth_files: SynthFiles) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cli.duckdb"
    for source, file in (("ucdp", synth_files.ged_csv), ("acled", synth_files.acled_csv)):
        done = run("ingest", source, str(file), "--db", str(path), "--json")
        printed = json.loads(done.stdout)
        assert printed["rows_read"] == printed["rows_stored"]
        assert printed["source"] == source
    return path


def test_ingest_human_summary(tmp_path: Path, synth_files: SynthFiles) -> None:
    done = run("ingest", "ucdp", str(synth_files.ged_csv), "--db", str(tmp_path / "h.duckdb"))
    assert done.stdout == ""
    assert f"{synth_files.ged_rows:,} rows read" in done.stderr
    assert f"{synth_files.ged_rows:,} stored" in done.stderr


def test_events_csv_json_parquet(db: Path, tmp_path: Path) -> None:
    filters = [
        "--actor",
        "ISKP",
        "--rival",
        "Taliban",
        "--type",
        "clash",
        "--since",
        "2016-01-01",
        "--until",
        "2018-12-31",
    ]
    as_csv = list(csv.DictReader(io.StringIO(run("events", "--db", str(db), *filters).stdout)))
    assert as_csv
    assert {frozenset((r["actor1"], r["actor2"])) for r in as_csv} == {
        frozenset(("ISKP", "TALIBAN"))
    }
    assert all("2016-01-01" <= r["date_start"] <= "2018-12-31" for r in as_csv)
    as_json = [
        json.loads(line)
        for line in run("events", "--db", str(db), *filters, "--format", "json").stdout.splitlines()
    ]
    assert [r["event_id"] for r in as_json] == [r["event_id"] for r in as_csv]
    out = tmp_path / "e.parquet"
    run("events", "--db", str(db), *filters, "--format", "parquet", "--out", str(out))
    assert pq.read_table(out).column("event_id").to_pylist() == [r["event_id"] for r in as_csv]


def test_events_by_province(db: Path) -> None:
    rows = list(
        csv.DictReader(io.StringIO(run("events", "--db", str(db), "--admin1", "Ningarhar").stdout))
    )
    assert rows and {r["admin1_code"] for r in rows} == {"AF-NAN"}


def test_actors_and_places(db: Path) -> None:
    actors = json.loads(run("actors", "--db", str(db), "--json").stdout)["actors"]
    by_id = {a["actor_id"]: a for a in actors}
    assert "Taleban" in by_id["TALIBAN"]["aliases"]
    assert by_id["ISKP"]["events"] > 0
    table = run("actors", "--db", str(db)).stdout
    assert "ISKP" in table and "TALIBAN_OR_ISKP" in table
    places = json.loads(run("places", "--db", str(db), "--json").stdout)["places"]
    assert len(places) == 34
    assert sum(p["events"] for p in places) > 0
    assert "AF-NAN" in run("places", "--db", str(db)).stdout


def test_info(db: Path, synth_files: SynthFiles) -> None:
    info = json.loads(run("info", "--db", str(db), "--json").stdout)
    assert info["events"] == synth_files.ged_rows + synth_files.acled_rows
    assert {s["source"] for s in info["sources"]} == {"ucdp", "acled"}
    assert [a["actor_id"] for a in info["ambiguous_actors"]] == ["TALIBAN_OR_ISKP"]
    text = run("info", "--db", str(db)).stdout
    assert "Ambiguous actors" in text


def test_quarantine_listing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "event_id_cnty,event_date,event_type,sub_event_type,actor1,actor2,country,admin1,"
        "latitude,longitude,fatalities\n"
        "AFG1,31 February 2019,Battles,Armed clash,Taliban,,Afghanistan,Kabul,34.5,69.2,1\n"
        "AFG2,01 March 2019,Battles,Armed clash,Taliban,,Afghanistan,Kabul,200,69.2,1\n",
        encoding="utf-8",
    )
    db = tmp_path / "q.duckdb"
    printed = json.loads(run("ingest", "acled", str(bad), "--db", str(db), "--json").stdout)
    assert (printed["rows_read"], printed["rows_quarantined"]) == (2, 2)
    info = json.loads(run("info", "--db", str(db), "--json", "--quarantine").stdout)
    reasons = {q["row_number"]: q["reason"] for q in info["quarantine"]}
    assert reasons == {
        1: "column event_date: '31 February 2019' is not a valid date "
        "(dd Month yyyy or yyyy-mm-dd)",
        2: "column latitude: '200' is not a number from -90 to 90",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "ucdp", "missing.csv"), "no such file"),
        (("events", "--type", "battle"), "unknown event type"),
        (("events", "--actor", "Nobody"), "no actor is called"),
        (("events", "--format", "xml"), "use csv, json or parquet"),
    ],
)
def test_bad_usage_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = run(*args, "--db", str(tmp_path / "u.duckdb"), check=False)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_synth_command(tmp_path: Path) -> None:
    printed = json.loads(
        run(
            "synth", "--out", str(tmp_path), "--ged-rows", "50", "--acled-rows", "40", "--json"
        ).stdout
    )
    assert printed["synthetic"] is True
    assert Path(printed["ged_csv"]).read_text().count("\n") == 51


def test_load_boundaries_and_actors_commands(tmp_path: Path) -> None:
    extra = tmp_path / "a.toml"
    extra.write_text(
        '[[actor]]\nid = "X1"\nname = "Group X"\nkind = "armed_group"\n', encoding="utf-8"
    )
    db = tmp_path / "r.duckdb"
    loaded = json.loads(run("actors", "load", str(extra), "--db", str(db), "--json").stdout)
    assert loaded["actors"] == 1
    bad = tmp_path / "b.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"properties": '
        '{"shapeName": "Atlantis", "shapeGroup": "AFG"}, "geometry": null}]}',
        encoding="utf-8",
    )
    done = run("places", "load-boundaries", str(bad), "--db", str(db), check=False)
    assert done.returncode == 2
    assert "matches no known province" in done.stderr
