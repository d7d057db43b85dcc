"""Text from the data never reaches the terminal raw: control characters (ESC and OSC sequences,
BEL, C1 controls) in actor names, notes or ids are shown as visible escapes in every human output,
while CSV and JSON outputs keep the data as it is."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rivalscope.cli.common import shown, visible
from rivalscope.synth import ACLED_COLUMNS, GED_COLUMNS

ENV = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}

LINK = "\x1b]8;;http://evil\x07"
CLEAR = "\x1b[2J"
EVIL_ACTOR = f"Evil{LINK}Front{CLEAR} [red]of[/] Kunar\x9b2J"
EVIL_NOTES = f"notes {LINK}click{CLEAR}\x07\x08\x0b\x85 end"
EVIL_ID = f"AFG{CLEAR}1"
RAW = ("\x1b", "\x07", "\x9b", "\x08", "\x0b", "\x85")
"""Bytes that must not reach a terminal from the data."""


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rivalscope.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        check=check,
        timeout=300,
    )


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    for name, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        raw = [ch for ch in RAW if ch in text]
        assert not raw, f"{name} of {done.args[3:]} holds raw {raw!r}: {text!r}"


def write_acled(path: Path) -> Path:
    rows = [
        (EVIL_ID, EVIL_ACTOR, "Taliban", EVIL_NOTES),
        ("AFG2", "Taliban", EVIL_ACTOR, "plain"),
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ACLED_COLUMNS, restval="")
        writer.writeheader()
        for event_id, actor1, actor2, notes in rows:
            writer.writerow(
                {
                    "event_id_cnty": event_id,
                    "event_date": "2022-06-01",
                    "year": "2022",
                    "time_precision": "1",
                    "disorder_type": "Political violence",
                    "event_type": "Battles",
                    "sub_event_type": "Armed clash",
                    "actor1": actor1,
                    "actor2": actor2,
                    "iso": "4",
                    "country": "Afghanistan",
                    "admin1": "Kunar",
                    "admin2": "Asadabad",
                    "location": "Asadabad",
                    "latitude": "34.87",
                    "longitude": "71.15",
                    "geo_precision": "1",
                    "fatalities": "3",
                    "notes": notes,
                }
            )
    return path


def write_ged(path: Path) -> Path:
    """One UCDP record of the first ACLED event, so that ``links`` has a cluster to show."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, GED_COLUMNS, restval="")
        writer.writeheader()
        writer.writerow(
            {
                "id": "900001",
                "year": "2022",
                "type_of_violence": "2",
                "side_a": EVIL_ACTOR,
                "side_b": "Taliban",
                "where_prec": "1",
                "adm_1": "Kunar province",
                "latitude": "34.87",
                "longitude": "71.15",
                "country": "Afghanistan",
                "date_prec": "1",
                "date_start": "2022-06-01",
                "date_end": "2022-06-01",
                "best": "3",
                "low": "3",
                "high": "3",
            }
        )
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("terminal")
    path = folder / "evil.duckdb"
    done = run("ingest", "acled", str(write_acled(folder / "acled.csv")), "--db", str(path))
    assert_clean(done)
    done = run("ingest", "ucdp", str(write_ged(folder / "ged.csv")), "--db", str(path))
    assert_clean(done)
    return path


def test_shown_makes_controls_visible_and_escapes_markup() -> None:
    assert visible(LINK) == "\\x1b]8;;http://evil\\x07"
    assert visible("a\tb\nc\rd\x00\x7f\x9b\u202e") == "a\\tb\\nc\\rd\\x00\\x7f\\x9b\\u202e"
    assert visible("Ḥaqqānī ‌network [x]") == "Ḥaqqānī ‌network [x]"
    assert shown("[red]of[/]") == "\\[red]of\\[/]"
    assert shown(None) == "None"


def test_human_outputs_hold_no_raw_controls(db: Path) -> None:
    info = run("info", "--db", str(db))
    assert_clean(info)
    assert "\\x1b]8;;http://evil\\x07" in info.stdout
    assert "[red]of[/]" in info.stdout  # markup in data is text, not a style
    actors = run("actors", "--db", str(db))
    assert_clean(actors)
    assert "\\x1b[2J" in actors.stdout
    assert_clean(run("info", "--quarantine", "--db", str(db)))
    listed = json.loads(run("actors", "--db", str(db), "--json").stdout)["actors"]
    evil = next(a["actor_id"] for a in listed if a["name"] == EVIL_ACTOR)
    assert_clean(run("profile", evil, "TALIBAN", "--db", str(db), "--source", "acled"))
    assert_clean(run("profile", EVIL_ACTOR, "TALIBAN", "--db", str(db), check=False))
    links = run("links", "--db", str(db))
    assert_clean(links)
    assert "acled:AFG\\x1b[2J1" in links.stdout
    assert_clean(run("links", f"acled:{EVIL_ID}", "--db", str(db), "--country", "AFG"))
    assert_clean(run("links", "--relink", "--db", str(db)))


def test_data_outputs_stay_faithful(db: Path) -> None:
    table = run("events", "--db", str(db), "--source", "acled", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table.stdout, newline="")))
    assert {row["source_id"] for row in rows} == {EVIL_ID, "AFG2"}
    assert EVIL_NOTES in {row["notes"] for row in rows}
    lines = run("events", "--db", str(db), "--source", "acled", "--format", "json").stdout
    assert "\x1b" not in lines  # JSON escapes control characters
    notes = {json.loads(line)["notes"] for line in lines.rstrip("\n").split("\n")}
    assert EVIL_NOTES in notes
    info = json.loads(run("info", "--db", str(db), "--json").stdout)
    names = {row["name"] for row in info["unregistered_actors"]}
    assert EVIL_ACTOR in names
