"""`rivalscope code`, `code eval`, `review` and `places load-districts` as users run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rivalscope as rs
from rivalscope.cli import app
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
REPORT = (
    "JALALABAD, Afghanistan, Oct 8 (Reuters) - Islamic State militants attacked a Taliban "
    "checkpoint in the Achin district of eastern Nangarhar province on Thursday, killing three "
    "Taliban fighters and wounding two others, a Taliban spokesman said.\n"
)
CSV = (
    "id,date,text\n"
    'r1,2016-03-01,"A Taliban commander and 40 fighters pledged allegiance to ISKP in Achin."\n'
    'r2,2019-05-14,"The Taliban and ISKP have been rivals since 2015."\n'
    'r3,,"Gunmen shot dead a cleric in Kabul on Monday."\n'
)


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rivalscope.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        check=check,
        timeout=300,
    )


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    report = tmp_path / "jalalabad.txt"
    report.write_text(REPORT, encoding="utf-8")
    table = tmp_path / "reports.csv"
    table.write_text(CSV, encoding="utf-8")
    return report, table


def test_code_store_and_review(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    report, table = inputs
    db, out = tmp_path / "t.duckdb", tmp_path / "coded.jsonl"
    done = run(
        "code",
        str(report),
        str(table),
        "--report-date",
        "2021-10-08",
        "--store",
        "--db",
        str(db),
        "--out",
        str(out),
    )
    assert done.stdout == ""
    assert "4 reports from 2 file(s): 2 events, 1 defections" in done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["kind"], r["event_type"], r["input_id"]) for r in lines] == [
        ("event", "clash", "jalalabad"),
        ("defection", "defection", "r1"),
        ("event", "attack", "r3"),
    ]
    assert lines[2]["date_start"] == "2021-10-04"
    assert lines[1]["evidence"]["to_actor"] == [58, 62]
    runner = CliRunner()
    again = runner.invoke(
        app,
        [
            "code",
            str(report),
            str(table),
            "--report-date",
            "2021-10-08",
            "--store",
            "--db",
            str(db),
            "--json",
        ],
        env=ENV,
    )
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert summary["stored"]["events"]["rows_unchanged"] == 2
    assert summary["stored"]["events"]["rows_stored"] == 0
    assert summary["stored"]["defections"]["rows_unchanged"] == 1

    listed = runner.invoke(app, ["review", "--db", str(db), "--json"], env=ENV)
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)["items"]
    assert len(items) == 3 and {i["status"] for i in items} == {"pending"}
    clash = next(i for i in items if i["event_type"] == "clash")
    with rs.open(db) as store:
        assert store.events(source="text").num_rows == 0
    accepted = runner.invoke(app, ["review", "accept", clash["item_id"], "--db", str(db)], env=ENV)
    assert accepted.exit_code == 0, accepted.output
    rejected = runner.invoke(
        app,
        ["review", "reject", "--all-above", "0", "--kind", "defection", "--db", str(db), "--json"],
        env=ENV,
    )
    assert json.loads(rejected.stdout) == {"status": "rejected", "items": 1, "changed": 1}
    human = runner.invoke(app, ["review", "--db", str(db), "--status", "all"], env=ENV)
    assert "attack · UNIDENTIFIED -> CIVILIANS · AF-KAB" in human.stdout
    assert 'actor1: "Gunmen"' in human.stdout
    with rs.open(db) as store:
        counted = store.events(source="text").to_pylist()
        assert [(e["event_id"], e["actor1"], e["actor2"]) for e in counted] == [
            (clash["item_id"], "ISKP", "TALIBAN")
        ]
    unknown = runner.invoke(app, ["review", "accept", "text:nope", "--db", str(db)], env=ENV)
    assert unknown.exit_code == 2 and "no item under review has the id 'text:nope'" in (
        unknown.output
    )


def test_code_to_stdout_and_errors(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    report, _ = inputs
    runner = CliRunner()
    done = runner.invoke(app, ["code", str(report)], env=ENV)
    assert done.exit_code == 0, done.output
    [line] = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    assert (line["actor1"], line["date_start"]) == ("ISKP", None)
    bad = tmp_path / "bad.csv"
    bad.write_text("text,date\nok,yesterday-ish\n", encoding="utf-8")
    failed = runner.invoke(app, ["code", str(bad)], env=ENV)
    assert failed.exit_code == 2
    assert "bad.csv: row 1: column date: 'yesterday-ish' is not a date" in failed.output
    missing = runner.invoke(app, ["code", str(tmp_path / "none.txt")], env=ENV)
    assert missing.exit_code == 2 and "no such file" in missing.output
    undated = runner.invoke(
        app, ["code", str(report), "--store", "--db", str(tmp_path / "u.duckdb")], env=ENV
    )
    assert undated.exit_code == 0
    assert "1 records have no date" in undated.output


def test_code_eval_on_the_gold_file() -> None:
    runner = CliRunner()
    gold = ROOT / "tests" / "data" / "coder_gold.jsonl"
    done = runner.invoke(app, ["code", "eval", str(gold), "--split", "dev", "--json"], env=ENV)
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert set(result["headline"]) == {
        "event_type_macro_f1",
        "province_accuracy",
        "actor_micro_f1",
        "fatalities_exact",
        "negative_false_event_rate",
        "event_type_accuracy",
        "country_accuracy",
        "actor_found",
    }
    assert result["passages"] >= 100
    table = runner.invoke(app, ["code", "eval", str(gold)], env=ENV)
    assert "actors (micro)" in table.stdout and "event_type_macro_f1" in table.stdout


def test_code_eval_reports_each_notes_set() -> None:
    runner = CliRunner()
    notes = ROOT / "tests" / "data" / "coder_notes.jsonl"
    for split in ("dev", "holdout"):
        done = runner.invoke(app, ["code", "eval", str(notes), "--split", split, "--json"], env=ENV)
        assert done.exit_code == 0, done.output
        result = json.loads(done.stdout)
        assert result["passages"] == 50
        assert result["countries_counted"] >= 40
        assert {"country_iso3", "admin1_code", "event_type"} <= set(result["fields"])
        table = runner.invoke(app, ["code", "eval", str(notes), "--split", split], env=ENV)
        assert "country_iso3" in table.stdout and "country_accuracy" in table.stdout


def test_places_load_districts(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("province,district,district_id\nNangarhar,Acheen,810\n", encoding="utf-8")
    db = tmp_path / "p.duckdb"
    runner = CliRunner()
    done = runner.invoke(
        app, ["places", "load-districts", str(path), "--db", str(db), "--json"], env=ENV
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["districts"] == 1
    bad = runner.invoke(
        app, ["places", "load-districts", str(tmp_path / "no.csv"), "--db", str(db)], env=ENV
    )
    assert bad.exit_code == 2 and "no.csv" in bad.output


@pytest.mark.realdata
def test_load_the_real_district_list_then_code(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["places", "load-districts", str(shared_file("afg_districts_398.csv")), "--db", str(db)],
        env=ENV,
    )
    assert "398 districts in 34 provinces loaded" in done.output
    report = tmp_path / "r.txt"
    report.write_text(
        "Taliban and Daesh fighters clashed in Khogiani district on Monday, killing nine.",
        encoding="utf-8",
    )
    coded = runner.invoke(
        app, ["code", str(report), "--db", str(db), "--report-date", "2017-05-10"], env=ENV
    )
    [line] = [json.loads(x) for x in coded.stdout.splitlines() if x.startswith("{")]
    assert (line["admin1_code"], line["admin2"], line["fatalities"]) == ("AF-NAN", "Khogayani", 9)
    assert line["latitude"] == pytest.approx(34.21975)
