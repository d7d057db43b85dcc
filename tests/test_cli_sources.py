"""Several sources, one truth, as users run it: every analysis takes ``--source``, ingest records
coverage, ``info`` shows it, ``links`` lists and relinks records of one event.

One SYNTHETIC world (:func:`rivalscope.synth_world.generate_world`) is reported by both a UCDP
GED file and an ACLED export; the expected counts are computed from those raw CSVs with pandas.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import rivalscope as rs
import rivalscope.fusion as fusion
from rivalscope.synth_world import generate_world
from tests.test_cli import run

TAKEOVER = pd.Timestamp("2021-08-15")
"""From this day UCDP's ``Government of Afghanistan`` and ACLED's ``(2021-)`` forces are the
Taliban."""
ISKP_ACLED = {"Islamic State (Afghanistan)", "Islamic State Khorasan Province"}
TALIBAN_ACLED = {
    "Taliban",
    "Military Forces of Afghanistan (2021-)",
    "Police Forces of Afghanistan (2021-)",
}
ACLED_WINDOW = "2017-01-01..2023-12-31"


@dataclass(frozen=True)
class World:
    db: Path
    ged: pd.DataFrame
    acled: pd.DataFrame

    def clashes(self, source: str) -> int:
        """Clashes between ISKP and the Taliban in a source's raw file."""
        if source == "ucdp":
            g = self.ged
            before = (g.side_a == "IS") & (g.side_b == "Taleban")
            after = (g.side_a == "Government of Afghanistan") & (g.side_b == "IS")
            return int((before | (after & (g.date_start >= TAKEOVER))).sum())
        a = self.acled
        iskp = a.actor1.isin(ISKP_ACLED) | a.actor2.isin(ISKP_ACLED)
        taliban = a.actor1.isin(TALIBAN_ACLED) | a.actor2.isin(TALIBAN_ACLED)
        return int(((a.event_type == "Battles") & iskp & taliban).sum())

    def taliban_events(self, source: str) -> int:
        """Events with the Taliban on either side in a source's raw file."""
        if source == "ucdp":
            g = self.ged
            state = (g.side_a == "Government of Afghanistan") & (g.date_start >= TAKEOVER)
            return int(((g.side_a == "Taleban") | (g.side_b == "Taleban") | state).sum())
        a = self.acled
        return int((a.actor1.isin(TALIBAN_ACLED) | a.actor2.isin(TALIBAN_ACLED)).sum())

    def rows(self, source: str) -> int:
        return len(self.ged if source == "ucdp" else self.acled)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("sources")
    files = generate_world(folder / "world", 800)
    db = folder / "two.duckdb"
    ucdp = json.loads(
        run(
            "ingest", "ucdp", str(files.ged_csv), "--version", "21.1", "--db", str(db), "--json"
        ).stdout
    )
    acled = json.loads(
        run(
            "ingest", "acled", str(files.acled_csv), "--coverage", ACLED_WINDOW,
            "--version", "2024-01-31", "--db", str(db), "--json",
        ).stdout
    )  # fmt: skip
    assert ucdp["rows_stored"] == files.ged_rows and acled["rows_stored"] == files.acled_rows
    return World(
        db,
        pd.read_csv(files.ged_csv, parse_dates=["date_start", "date_end"]),
        pd.read_csv(files.acled_csv, parse_dates=["event_date"]),
    )


def printed(*args: str) -> Any:
    return json.loads(run(*args).stdout)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- coverage ---------------------------------------------------------------------------------
def test_ingest_records_the_declared_window_and_info_shows_coverage(world: World) -> None:
    with rs.open(world.db, read_only=True) as store:
        covered = {row["source"]: row for row in fusion.coverage(store).to_pylist()}
    acled, ucdp = covered["acled"], covered["ucdp"]
    assert acled["declared"] and (acled["first_date"], acled["last_date"]) == (
        dt.date(2017, 1, 1),
        dt.date(2023, 12, 31),
    )
    assert (acled["versions"], acled["events"], acled["batches"]) == (
        "2024-01-31",
        world.rows("acled"),
        1,
    )
    first_year = int(world.ged.date_start.dt.year.min())
    last_year = int(world.ged.date_end.dt.year.max())
    assert not ucdp["declared"], "GED 21.1 is an annual release: whole years, not declared"
    assert (ucdp["first_date"], ucdp["last_date"]) == (
        dt.date(first_year, 1, 1),
        dt.date(last_year, 12, 31),
    )
    assert (ucdp["versions"], ucdp["events"]) == ("21.1", world.rows("ucdp"))
    info = printed("info", "--db", str(world.db), "--json")
    assert [(c["source"], c["country_iso3"], c["first_date"], c["versions"]) for c in info[
        "coverage"
    ]] == [
        ("acled", "AFG", "2017-01-01", "2024-01-31"),
        ("ucdp", "AFG", f"{first_year}-01-01", "21.1"),
    ]  # fmt: skip
    shown = run("info", "--db", str(world.db)).stdout
    assert "Coverage" in shown and "2024-01-31" in shown and "21.1" in shown


@pytest.mark.parametrize(
    "window", ["2019-04-01", "2019-09-28..2019-04-01", "2019-02-30..2019-03-01", "x..y"]
)
def test_a_bad_coverage_window_names_the_flag(world: World, tmp_path: Path, window: str) -> None:
    db = tmp_path / "bad.duckdb"
    file = tmp_path / "a.csv"
    file.write_text("event_id_cnty\n", encoding="utf-8")
    done = run("ingest", "acled", str(file), "--coverage", window, "--db", str(db), check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --coverage: "), done.stderr
    assert "Traceback" not in done.stderr
    assert not db.exists(), "nothing is opened or written before the input is checked"


# --- profile ----------------------------------------------------------------------------------
def test_profile_reads_both_sources_fused_and_warns(world: World) -> None:
    result = printed("profile", "ISKP", "TALIBAN", "--db", str(world.db), "--json")
    assert result["source"] == "fused"
    read = {entry["source"]: entry for entry in result["sources"]}
    assert list(read) == ["acled", "ucdp"]
    assert {name: entry["events"] for name, entry in read.items()} == {
        "acled": world.rows("acled"),
        "ucdp": world.rows("ucdp"),
    }
    assert (read["acled"]["version"], read["ucdp"]["version"]) == ("2024-01-31", "21.1")
    assert result["warnings"] and all(isinstance(w, str) and w for w in result["warnings"])
    assert {c["source"] for c in result["citations"]} == {"acled", "ucdp"}
    assert any("21.1" in c["citation"] for c in result["citations"])
    fused = sum(y["clashes"] for y in result["timeline"]["yearly"])
    listed = run(
        "events", "--db", str(world.db), "--actor", "ISKP", "--rival", "TALIBAN",
        "--type", "clash", "--format", "json",
    )  # fmt: skip
    assert fused == len(json_lines(listed.stdout)), "the profile reads the view events lists"
    assert fused < world.clashes("ucdp") + world.clashes("acled"), "linked clashes count once"


@pytest.mark.parametrize(("source", "other"), [("ucdp", "ACLED"), ("acled", "UCDP")])
def test_profile_of_one_source_counts_its_own_events(world: World, source: str, other: str) -> None:
    result = printed(
        "profile", "ISKP", "TALIBAN", "--db", str(world.db), "--source", source, "--json"
    )
    assert result["source"] == source
    assert [(s["source"], s["events"]) for s in result["sources"]] == [(source, world.rows(source))]
    assert sum(y["clashes"] for y in result["timeline"]["yearly"]) == world.clashes(source)
    assert any(f"{other} also holds" in w for w in result["warnings"]), result["warnings"]
    assert [c["source"] for c in result["citations"]] == [source]


@pytest.mark.parametrize(
    "command",
    [
        ["profile", "ISKP", "TALIBAN"],
        ["events"],
        ["forecast", "--actor", "TALIBAN", "--evaluate", "0", "--model", "glm"],
        ["forecast", "backtest", "--actor", "TALIBAN"],
        ["simulate", "calibrate", "--draws", "4"],
    ],
    ids=["profile", "events", "forecast", "backtest", "calibrate"],
)
def test_an_unknown_source_exits_2_naming_the_flag(world: World, command: list[str]) -> None:
    done = run(*command, "--db", str(world.db), "--source", "nonsense", check=False)
    assert done.returncode == 2, done.stderr
    said = done.stderr.strip()  # (a command with a progress display leaves a blank line)
    assert said.startswith("error: --source: no events from source 'nonsense'"), said
    assert "\n" not in said, "one line, no traceback"
    assert "acled, ucdp, fused" in done.stderr


# --- events and links -------------------------------------------------------------------------
def test_events_fused_lists_each_event_once_with_its_sources(world: World) -> None:
    db = str(world.db)
    fused = json_lines(run("events", "--db", db, "--source", "fused", "--format", "json").stdout)
    links = printed("links", "--db", db, "--json")
    total = world.rows("ucdp") + world.rows("acled")
    assert links["clusters"] > 0
    assert len(fused) == total - len(links["links"]) + links["clusters"] < total
    assert len(json_lines(run("events", "--db", db, "--format", "json").stdout)) == len(fused)
    merged = [row for row in fused if len(row["linked_ids"]) > 1]
    assert len(merged) == links["clusters"]
    assert all(row["sources"] == ["acled", "ucdp"] for row in merged)
    assert sum(len(row["linked_ids"]) for row in merged) == len(links["links"])
    lone = [row for row in fused if len(row["linked_ids"]) == 1]
    assert all(row["linked_ids"] == [row["event_id"]] for row in lone)
    csv_text = run("events", "--db", db, "--source", "fused").stdout
    header = csv_text.splitlines()[0]
    assert header.endswith('"sources","linked_ids"')
    assert '"acled;ucdp"' in csv_text, "lists are joined by ; in CSV"
    for source in ("ucdp", "acled"):
        rows = json_lines(run("events", "--db", db, "--source", source, "--format", "json").stdout)
        assert len(rows) == world.rows(source)
        assert {row["source"] for row in rows} == {source} and "linked_ids" not in rows[0]


def test_links_lists_clusters_of_records_from_different_sources(world: World) -> None:
    db = str(world.db)
    found = printed("links", "--db", db, "--country", "Afghanistan", "--json")["links"]
    clusters: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        clusters.setdefault(row["cluster_id"], []).append(row)
    for records in clusters.values():
        assert len(records) >= 2 and len({r["source"] for r in records}) == 2
        assert all(0 < r["score"] <= 1 for r in records)
    first = next(iter(clusters.values()))
    one = printed("links", first[-1]["event_id"], "--db", db, "--json")
    assert one["clusters"] == 1 and one["links"] == first
    shown = run("links", "--db", db, "--limit", "1")
    assert f"Linked records: {len(clusters):,} events" in shown.stdout
    assert first[0]["event_id"] in shown.stdout
    assert sum(r["event_id"] in shown.stdout for r in found) == len(first)
    if len(clusters) > 1:
        assert f"{len(clusters) - 1:,} more events not shown" in shown.stderr
    nothing = printed("links", "ucdp:no-such-event", "--db", db, "--json")
    assert nothing == {"links": [], "clusters": 0}


def test_relink_with_tighter_settings_links_fewer(world: World, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(world.db, db)
    before = printed("links", "--db", str(db), "--json")
    counts = printed("links", "--relink", "--days", "0", "--km", "2", "--db", str(db), "--json")
    assert counts["settings"] == {"days": 0, "km": 2.0}
    assert counts["countries"] == 1
    assert 0 < counts["clusters"] < before["clusters"]
    after = printed("links", "--db", str(db), "--json")
    assert (after["clusters"], len(after["links"])) == (counts["clusters"], counts["linked"])
    fused = json_lines(run("events", "--db", str(db), "--format", "json").stdout)
    total = world.rows("ucdp") + world.rows("acled")
    assert len(fused) == total - counts["linked"] + counts["clusters"]
    told = run("links", "--relink", "--db", str(db))
    assert "relinked (within 0 days and 2 km)" in told.stderr, "the settings are kept"
    refused = run("links", "--relink", "--km", "900", "--db", str(db), check=False)
    assert refused.returncode == 2 and refused.stderr.startswith("error: --km: ")
    alone = run("links", "--days", "3", "--db", str(db), check=False)
    assert alone.returncode == 2 and "--relink" in alone.stderr


# --- forecast and calibration -----------------------------------------------------------------
@pytest.mark.parametrize("source", ["ucdp", "acled"])
def test_forecast_reads_the_source_chosen(world: World, source: str) -> None:
    result = printed(
        "forecast", "--db", str(world.db), "--actor", "TALIBAN", "--source", source,
        "--evaluate", "0", "--model", "glm", "--json",
    )  # fmt: skip
    assert result["spec"]["source"] == source
    assert f"events involving Taliban ({source} events)" in result["summary"]
    panel = result["panel"]
    assert panel["events"] + panel["events_outside_units"] == world.taliban_events(source)


def test_forecast_defaults_to_fused_and_backtest_takes_the_source(world: World) -> None:
    result = printed(
        "forecast", "--db", str(world.db), "--actor", "TALIBAN", "--evaluate", "0",
        "--model", "glm", "--json",
    )  # fmt: skip
    assert result["spec"]["source"] == "fused"
    assert result["panel"]["events"] < world.taliban_events("ucdp") + world.taliban_events("acled")
    checked = printed(
        "forecast", "backtest", "--db", str(world.db), "--actor", "TALIBAN", "--source",
        "acled", "--start", "2023-10", "--model", "glm", "--json",
    )  # fmt: skip
    assert checked["spec"]["source"] == "acled"
    assert "(acled events)" in checked["summary"]


@pytest.mark.parametrize("source", ["ucdp", "acled"])
def test_calibrate_reads_the_source_chosen(world: World, tmp_path: Path, source: str) -> None:
    out = tmp_path / "posterior.json"
    result = printed(
        "simulate", "calibrate", "--db", str(world.db), "--source", source, "--draws", "6",
        "--accept", "0.5", "--months", "12", "--out", str(out), "--json",
    )  # fmt: skip
    window = result["info"]["window"]
    assert window["source"] == source and window["country"] == "AFG"
    years = result["info"]["years"]
    assert years[-1] == 2023
    assert result["observed"]["clashes_per_year"] == pytest.approx(
        world.clashes(source) / len(years)
    )
    assert json.loads(out.read_text("utf-8"))["info"]["window"]["source"] == source
