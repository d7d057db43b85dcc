"""The checks the foundation issue names, on the real UCDP GED 21.1 Afghanistan rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import rivalscope as rs
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

EXPECTED_PROVINCES = {
    "AF-NAN": 49,
    "AF-JOW": 10,
    "AF-SAR": 3,
    "AF-GHO": 3,
    "AF-LOG": 2,
    "AF-ZAB": 1,
    "AF-KNR": 1,
    "AF-URU": 1,
    "AF-BDS": 1,
}


@pytest.fixture(scope="module")
def afghan_store(tmp_path_factory: pytest.TempPathFactory) -> rs.Store:
    store = rs.open(tmp_path_factory.mktemp("real") / "afg.duckdb")
    result = store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (16038, 16038, 0)
    return store


def test_every_row_is_stored(afghan_store: rs.Store) -> None:
    info = afghan_store.info()
    assert info["events"] == 16038
    assert info["quarantined"] == 0
    assert info["unmatched_places"] == []


def test_iskp_taliban_clashes(afghan_store: rs.Store) -> None:
    events = afghan_store.events(actor="ISKP", rival="TALIBAN")
    assert events.num_rows == 71
    assert set(events.column("event_type").to_pylist()) == {"clash"}
    assert sum(events.column("fatalities_best").to_pylist()) == 538
    assert Counter(events.column("admin1_code").to_pylist()) == EXPECTED_PROVINCES


def test_aliases_reach_the_same_dyad(afghan_store: rs.Store) -> None:
    by_alias = afghan_store.events(actor="ISIS-K", rival="Taleban", event_type="clash")
    assert by_alias.num_rows == 71


def test_government_of_afghanistan_is_the_regime_of_the_day(afghan_store: rs.Store) -> None:
    rows = afghan_store.con.execute(
        """SELECT actor1, min(date_start), max(date_start) FROM events
           WHERE actor1_raw = 'Government of Afghanistan' GROUP BY actor1 ORDER BY 2"""
    ).fetchall()
    regimes = [row[0] for row in rows]
    assert regimes == ["AFG_DRA", "AFG_ISA", "TALIBAN", "AFG_REPUBLIC"]
    taliban_regime = rows[2]
    assert str(taliban_regime[1]) >= "1996-09-27"
    assert str(taliban_regime[2]) < "2001-12-22"


def test_is_outside_afghanistan_is_not_iskp(tmp_path: Path) -> None:
    store = rs.open()
    store.ingest_ucdp(shared_file("ucdp_ged211_world_precise.csv"))
    rows = dict(
        store.con.execute(
            "SELECT country_iso3, any_value(actor2) FROM events "
            "WHERE actor2_raw = 'IS' AND country_iso3 IN ('AFG', 'SYR', 'IRQ') GROUP BY 1"
        ).fetchall()
    )
    assert rows == {"AFG": "ISKP", "SYR": "IS", "IRQ": "IS"}
    unknown_countries = store.con.execute(
        "SELECT count(*) FROM events WHERE country_iso3 IS NULL"
    ).fetchone()
    assert unknown_countries == (0,)


def test_boundaries_place_events_by_point(tmp_path: Path) -> None:
    store = rs.open(tmp_path / "b.duckdb")
    loaded = store.load_boundaries(shared_file("geoBoundaries-AFG-ADM1.geojson"))
    assert loaded["provinces"] == 34
    places = store.places("AFG").to_pylist()
    assert len(places) == 34
    assert all(p["has_boundary"] for p in places)
    source = shared_file("ucdp_ged211_afghanistan.csv")
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("adm_1")
    import csv
    import io

    rows = list(csv.reader(io.StringIO("\n".join(lines[:201]))))
    for row in rows[1:]:
        row[column] = ""
    stripped = tmp_path / "no-adm1.csv"
    with stripped.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    store.ingest("ucdp", stripped)
    placed = store.con.execute(
        "SELECT count(*), count(admin1_code) FROM events WHERE admin1 IS NULL"
    ).fetchone()
    assert placed == (200, 200)
    full = rs.open()
    full.ingest_ucdp(source)
    truth = dict(full.con.execute("SELECT event_id, admin1_code FROM events").fetchall())
    guessed = dict(store.con.execute("SELECT event_id, admin1_code FROM events").fetchall())
    agree = sum(truth[k] == v for k, v in guessed.items())
    assert agree >= 195, f"point-in-polygon agrees with UCDP's adm_1 on {agree} of 200"


def test_cli_json_on_real_file(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    command = [
        sys.executable,
        "-m",
        "rivalscope.cli",
        "ingest",
        "ucdp",
        str(shared_file("ucdp_ged211_afghanistan.csv")),
        "--db",
        str(db),
        "--json",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "200"}
    )
    printed = json.loads(done.stdout)
    assert set(printed) == {
        "source",
        "file",
        "rows_read",
        "rows_stored",
        "rows_quarantined",
        "rows_unchanged",
        "batch_id",
        "unresolved_actors",
        "unresolved_places",
    }
    assert printed["unresolved_places"] == []
    raw = pd.read_csv(shared_file("ucdp_ged211_afghanistan.csv"), dtype=str)
    for listed in printed["unresolved_actors"]:
        rows = int(((raw.side_a == listed["name"]) | (raw.side_b == listed["name"])).sum())
        assert listed["rows"] == rows > 0, listed
    counts = [listed["rows"] for listed in printed["unresolved_actors"]]
    assert counts == sorted(counts, reverse=True) and len(counts) <= 10
    assert (printed["rows_read"], printed["rows_stored"], printed["rows_unchanged"]) == (
        16038,
        16038,
        0,
    )
    again = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    assert (again["rows_stored"], again["rows_unchanged"]) == (0, 16038)


def test_real_data_is_not_called_synthetic(afghan_store: rs.Store) -> None:
    assert not rs.profile(afghan_store, "ISKP", "TALIBAN", country="AFG").synthetic
