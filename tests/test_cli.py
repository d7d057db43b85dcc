"""The command line as users run it: a real process, a real DuckDB file."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

import rivalscope
from rivalscope.cli import app
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
    rivalscope.open(tmp_path / "u.duckdb").close()
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


READ_COMMANDS = [
    ("info",),
    ("actors",),
    ("places",),
    ("links",),
    ("events", "--actor", "ISKP"),
    ("profile", "ISKP", "TALIBAN"),
    ("export", "--parquet", "PARQUET"),
    ("review",),
    ("serve",),
    ("forecast", "--actor", "ISKP"),
    ("forecast", "backtest", "--actor", "ISKP"),
    ("simulate", "calibrate"),
]
"""Commands that only read the store, as a user would mistype their --db."""


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda args: " ".join(args))
def test_read_commands_refuse_a_missing_store(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "mistyped.duckdb"
    args = tuple(str(tmp_path / "out") if a == "PARQUET" else a for a in args)
    done = CliRunner().invoke(app, [*args, "--db", str(missing)], env=ENV)
    assert done.exit_code == 2, done.output
    assert f"error: no store at {missing}: the file does not exist" in done.output
    assert "rivalscope ingest ucdp FILE --db" in done.output and "rivalscope synth" in done.output
    assert "Traceback" not in done.output
    assert not missing.exists()
    assert not (tmp_path / "out").exists()


def test_the_default_store_is_refused_too(tmp_path: Path) -> None:
    missing = tmp_path / "default.duckdb"
    done = CliRunner().invoke(app, ["events"], env={**ENV, "RIVALSCOPE_DB": str(missing)})
    assert done.exit_code == 2
    assert f"no store at {missing}" in done.output
    assert not missing.exists()


def test_write_commands_create_the_store(tmp_path: Path, synth_files: SynthFiles) -> None:
    extra = tmp_path / "a.toml"
    extra.write_text(
        '[[actor]]\nid = "X1"\nname = "Group X"\nkind = "armed_group"\n', encoding="utf-8"
    )
    for name, args in (
        ("ingested", ("ingest", "ucdp", str(synth_files.ged_csv))),
        ("loaded", ("actors", "load", str(extra))),
    ):
        db = tmp_path / f"{name}.duckdb"
        done = CliRunner().invoke(app, [*args, "--db", str(db), "--json"], env=ENV)
        assert done.exit_code == 0, done.output
        assert db.exists()


def test_memory_store_is_never_refused() -> None:
    done = CliRunner().invoke(app, ["info", "--db", ":memory:", "--json"], env=ENV)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["events"] == 0


def test_version() -> None:
    for args in (["--version"], ["version"]):
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 0
        assert done.stdout == f"rivalscope {rivalscope.__version__}\n"
    assert run("--version").stdout == f"rivalscope {rivalscope.__version__}\n"


def test_help_groups_commands_in_workflow_order() -> None:
    text = CliRunner().invoke(app, ["--help"], env={**ENV, "COLUMNS": "100"}).stdout
    panels = [line.split()[1] for line in text.splitlines() if line.startswith("╭─")]
    assert panels == ["Options", "Data", "Analyse", "Text", "Share"]
    listed = [
        line.split()[1]
        for line in text.splitlines()
        if line.startswith("│ ") and len(line.split()) > 1 and not line.split()[1].startswith("-")
    ]
    firsts = [name for name in listed if name.isalpha()]
    for before, after in (("ingest", "info"), ("info", "profile"), ("profile", "code")):
        assert firsts.index(before) < firsts.index(after), firsts
    assert firsts.index("code") < firsts.index("serve")
    assert "version" not in firsts  # --version says it


def _help(*path: str) -> str:
    done = CliRunner().invoke(app, [*path, "--help"], env={**ENV, "COLUMNS": "100"})
    assert done.exit_code == 0, done.output
    return done.stdout


def test_help_shows_flags_as_flags() -> None:
    for path in (("profile",), ("info",), ("code", "files"), ("ingest", "ucdp"), ()):
        text = _help(*path)
        assert "<bool>" not in text, path
        assert "--help  " in text
    assert re.search(r"--json\s+Print one JSON object", _help("info"))


def test_help_shows_toml_tables() -> None:
    assert "TOML file of [[phase]] tables" in _help("profile")
    assert "A TOML file of [[actor]] and [[alias]] tables." in _help("actors", "load")


def test_one_db_help_for_every_command() -> None:
    from rivalscope.cli.common import DB_HELP
    from rivalscope.cli.reference import _commands

    command = typer.main.get_command(app)
    differ = []
    for path in _commands(command, ()):
        found: Any = command
        for name in path:
            assert isinstance(found, TyperGroup)
            found = found.get_command(typer.Context(found), name)
        for param in found.params:
            if "--db" in getattr(param, "opts", ()) and param.help != DB_HELP:
                differ.append(" ".join(path))
    # simulate run writes a run into a store only when --db is given: its own owners keep it
    assert set(differ) <= {"simulate run"}, differ


def test_code_store_prints_a_summary(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text(
        "Islamic State Khorasan fighters clashed with the Taliban in Jalalabad, Nangarhar "
        "province, on 3 October 2021, killing five.",
        encoding="utf-8",
    )
    db = tmp_path / "coded.duckdb"
    done = run("code", str(report), "--report-date", "2021-10-08", "--store", "--db", str(db))
    assert done.stdout == ""
    assert "1 reports from 1 file(s): 1 events" in done.stderr
    assert "stored events: 1 new or changed" in done.stderr
    assert f"review them: rivalscope review --db {db}" in done.stderr
    assert "{" not in done.stderr
    as_json = json.loads(
        run(
            "code", str(report), "--report-date", "2021-10-08", "--store", "--db", str(db),
            "--json",
        ).stdout
    )  # fmt: skip
    assert as_json["stored"]["events"]["rows_unchanged"] == 1
