"""Tests for the SYNTHETIC data generator, :mod:`rivalscope.synth`."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from rivalscope import synth
from rivalscope.synth import SynthFiles, generate, write_acled, write_ged

GED_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,"
    "source_date,source_headline,source_original,where_prec,where_coordinates,where_description,"
    "adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,event_clarity,"
    "date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,"
    "low,gwnoa,gwnob"
)
ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,"
    "country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,"
    "notes,fatalities,tags,timestamp"
)
TAKEOVER = dt.date(2021, 8, 15)
GED_ROWS = 5_000
ACLED_ROWS = 4_000


def read_rows(path: Path) -> list[dict[str, str]]:
    """Read a CSV file with Python's csv module."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def acled_date(text: str) -> dt.date:
    """Parse ACLED's ``dd Month yyyy`` date."""
    return dt.datetime.strptime(text, "%d %B %Y").date()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> SynthFiles:
    """A small synthetic data set, written once for the module."""
    return generate(tmp_path_factory.mktemp("synth"), ged_rows=GED_ROWS, acled_rows=ACLED_ROWS)


@pytest.fixture(scope="module")
def ged(files: SynthFiles) -> list[dict[str, str]]:
    """The GED rows."""
    return read_rows(files.ged_csv)


@pytest.fixture(scope="module")
def acled(files: SynthFiles) -> list[dict[str, str]]:
    """The ACLED rows."""
    return read_rows(files.acled_csv)


@pytest.fixture(scope="module")
def default_ged(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    """GED rows at the default size (20,000)."""
    return read_rows(generate(tmp_path_factory.mktemp("default")).ged_csv)


# --- layout ---------------------------------------------------------------------------------------


def test_generate_writes_synthetic_file_names_and_counts(files: SynthFiles) -> None:
    assert files.ged_csv.name == "synthetic_ged.csv"
    assert files.acled_csv.name == "synthetic_acled.csv"
    assert (files.ged_rows, files.acled_rows) == (GED_ROWS, ACLED_ROWS)


def test_headers_match_the_real_layouts_exactly(files: SynthFiles) -> None:
    assert files.ged_csv.read_text().splitlines()[0] == GED_HEADER
    assert files.acled_csv.read_text().splitlines()[0] == ACLED_HEADER
    assert ",".join(synth.GED_COLUMNS) == GED_HEADER
    assert ",".join(synth.ACLED_COLUMNS) == ACLED_HEADER


def test_row_counts_match(
    ged: list[dict[str, str]], acled: list[dict[str, str]], files: SynthFiles
) -> None:
    assert len(ged) == GED_ROWS
    assert len(acled) == ACLED_ROWS
    assert all(len(r) == len(synth.GED_COLUMNS) and None not in r for r in ged)
    assert all(len(r) == len(synth.ACLED_COLUMNS) and None not in r for r in acled)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=7, ged_rows=500, acled_rows=500)
    b = generate(tmp_path / "b", seed=7, ged_rows=500, acled_rows=500)
    c = generate(tmp_path / "c", seed=8, ged_rows=500, acled_rows=500)
    assert a.ged_csv.read_bytes() == b.ged_csv.read_bytes()
    assert a.acled_csv.read_bytes() == b.acled_csv.read_bytes()
    assert a.ged_csv.read_bytes() != c.ged_csv.read_bytes()
    assert a.acled_csv.read_bytes() != c.acled_csv.read_bytes()


def test_rows_span_several_chunks_seamlessly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth, "_CHUNK_ROWS", 7)
    assert write_ged(tmp_path / "g.csv", 30, start_id=100) == 30
    assert write_acled(tmp_path / "a.csv", 30) == 30
    ged = read_rows(tmp_path / "g.csv")
    acled = read_rows(tmp_path / "a.csv")
    assert [int(r["id"]) for r in ged] == list(range(100, 130))
    assert [r["event_id_cnty"] for r in acled] == [f"AFG{i}" for i in range(1, 31)]


def test_zero_rows_writes_only_the_header_and_negative_rows_fail(tmp_path: Path) -> None:
    assert write_ged(tmp_path / "g.csv", 0) == 0
    assert (tmp_path / "g.csv").read_text() == GED_HEADER + "\n"
    with pytest.raises(ValueError, match="rows"):
        write_acled(tmp_path / "a.csv", -1)


def test_data_is_marked_synthetic(ged: list[dict[str, str]], acled: list[dict[str, str]]) -> None:
    assert all(r["source_original"] == "SYNTHETIC" for r in ged)
    assert all(r["source_headline"] == "SYNTHETIC" for r in ged)
    assert all(r["source"].startswith("SYNTHETIC") for r in acled)
    assert "SYNTHETIC" in (synth.__doc__ or "")
    assert "SYNTHETIC" in (generate.__doc__ or "")


# --- UCDP GED values ------------------------------------------------------------------------------


def test_ged_dates_parse_and_lie_in_2015_to_2023(ged: list[dict[str, str]]) -> None:
    for r in ged:
        start = dt.date.fromisoformat(r["date_start"])
        assert dt.date(2015, 1, 1) <= start <= dt.date(2023, 12, 31)
        assert dt.date.fromisoformat(r["date_end"]) >= start
        assert int(r["year"]) == start.year
        assert r["relid"].startswith(f"AFG-{start.year}-{r['type_of_violence']}-")


def test_ged_deaths_add_up_and_low_best_high_are_ordered(ged: list[dict[str, str]]) -> None:
    for r in ged:
        parts = [int(r[c]) for c in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")]
        assert min(parts) >= 0
        best = int(r["best"])
        assert sum(parts) == best
        assert 0 <= int(r["low"]) <= best <= int(r["high"])


def test_ged_actors_and_names_are_consistent(ged: list[dict[str, str]]) -> None:
    sides = {r["side_a"] for r in ged} | {r["side_b"] for r in ged}
    assert {"Government of Afghanistan", "Taleban", "IS", "Civilians"} <= sides
    for r in ged:
        assert r["dyad_name"] == f"{r['side_a']} - {r['side_b']}"
        assert r["type_of_violence"] in {"1", "2", "3"}
        if r["type_of_violence"] == "3":
            assert r["side_b"] == "Civilians"
        assert r["adm_1"].endswith(" province")
        assert r["adm_2"] == "" or r["adm_2"].endswith(" district")
        assert r["geom_wkt"] == f"POINT ({r['longitude']} {r['latitude']})"
        assert 29 < float(r["latitude"]) < 39 and 60 < float(r["longitude"]) < 75
        assert (r["country"], r["country_id"], r["region"]) == ("Afghanistan", "700", "Asia")
    assert len({r["adm_1"] for r in ged}) == 34
    assert "Ghanzi province" in {r["adm_1"] for r in ged}  # GED 21.1's spelling of Ghazni


def test_no_government_vs_taleban_after_the_takeover(ged: list[dict[str, str]]) -> None:
    after = [r for r in ged if dt.date.fromisoformat(r["date_start"]) >= TAKEOVER]
    assert after
    assert not [
        r for r in after if {r["side_a"], r["side_b"]} == {"Government of Afghanistan", "Taleban"}
    ]
    state_based = {(r["side_a"], r["side_b"]) for r in after if r["type_of_violence"] == "1"}
    assert ("Government of Afghanistan", "IS") in state_based


def test_isk_taliban_clashes_fall_in_10_to_16_provinces_mostly_nangarhar(
    default_ged: list[dict[str, str]],
) -> None:
    clashes = [r for r in default_ged if (r["side_a"], r["side_b"]) == ("IS", "Taleban")]
    assert all(r["type_of_violence"] == "2" for r in clashes)
    provinces = Counter(r["adm_1"] for r in clashes)
    assert 10 <= len(provinces) <= 16
    assert provinces.most_common(1)[0][0] == "Nangarhar province"
    years = Counter(int(r["year"]) for r in clashes)
    assert sum(n for y, n in years.items() if y <= 2019) > 0.8 * len(clashes)


def test_isk_is_concentrated_in_its_strongholds(default_ged: list[dict[str, str]]) -> None:
    isk = Counter(r["adm_1"] for r in default_ged if "IS" in (r["side_a"], r["side_b"]))
    top = {name for name, _ in isk.most_common(4)}
    assert top == {"Nangarhar province", "Kunar province", "Kabul province", "Jowzjan province"}


def test_us_strikes_is_in_nangarhar_2016_to_2020(default_ged: list[dict[str, str]]) -> None:
    us = [
        r
        for r in default_ged
        if (r["side_a"], r["side_b"]) == ("Government of United States of America", "IS")
    ]
    assert us
    assert all(2016 <= int(r["year"]) <= 2020 for r in us)
    assert Counter(r["adm_1"] for r in us).most_common(1)[0][0] == "Nangarhar province"


# --- ACLED values ---------------------------------------------------------------------------------


def test_acled_dates_parse_and_lie_in_range(acled: list[dict[str, str]]) -> None:
    for r in acled:
        day = acled_date(r["event_date"])
        assert dt.date(2015, 1, 1) <= day <= dt.date(2023, 12, 31)
        assert int(r["year"]) == day.year
        assert r["notes"].startswith(f"On {day.day} {day:%B} {day.year}, ")
        assert int(r["timestamp"]) > int(
            dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
        )


def test_acled_iso_dates(tmp_path: Path) -> None:
    files = generate(tmp_path, ged_rows=10, acled_rows=200, acled_iso_dates=True)
    rows = read_rows(files.acled_csv)
    for r in rows:
        assert int(r["year"]) == dt.date.fromisoformat(r["event_date"]).year
        assert len(r["event_date"]) == 10


def test_acled_state_forces_switch_on_the_takeover(acled: list[dict[str, str]]) -> None:
    seen = Counter[str]()
    for r in acled:
        day = acled_date(r["event_date"])
        for col in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
            name = r[col]
            if name.endswith("(2021-)"):
                assert day >= TAKEOVER, r
                seen["new"] += 1
            elif name.endswith("(2004-2021)"):
                assert day < TAKEOVER, r
                seen["old"] += 1
    assert seen["new"] and seen["old"]


def test_acled_actor_names_follow_the_calendar(acled: list[dict[str, str]]) -> None:
    names = Counter[str]()
    for r in acled:
        day = acled_date(r["event_date"])
        for name in (r["actor1"], r["actor2"]):
            names[name] += 1
            if name == "Islamic State (Afghanistan)":
                assert day < dt.date(2022, 1, 1)
            if name == "Islamic State Khorasan Province":
                assert day >= dt.date(2022, 1, 1)
            if name == "Military Forces of the United States (2017-2021)":
                assert day < dt.date(2021, 9, 1)
    assert names["Taliban and/or Islamic State (Afghanistan)"] > 0
    assert names["Islamic State Khorasan Province"] > 0


def test_acled_codes_are_consistent(acled: list[dict[str, str]]) -> None:
    pairs = Counter[tuple[str, str]]()
    for r in acled:
        pairs[(r["event_type"], r["sub_event_type"])] += 1
        assert r["fatalities"].isdigit()
        assert (r["iso"], r["region"], r["country"]) == ("4", "Caspian", "Afghanistan")
        inter1, inter2 = int(r["inter1"]), int(r["inter2"])
        if r["actor2"]:
            assert int(r["interaction"]) == 10 * min(inter1, inter2) + max(inter1, inter2)
        else:
            assert (inter2, int(r["interaction"])) == (0, 10 * inter1)
        civilians = r["actor2"] == "Civilians (Afghanistan)"
        assert r["civilian_targeting"] == ("Civilian targeting" if civilians else "")
    assert set(pairs) == {
        ("Battles", "Armed clash"),
        ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
        ("Explosions/Remote violence", "Suicide bomb"),
        ("Explosions/Remote violence", "Air/drone strike"),
        ("Violence against civilians", "Attack"),
        ("Strategic developments", "Change to group/activity"),
    }


def test_acled_notes_round_trip_through_csv_and_duckdb(
    files: SynthFiles, acled: list[dict[str, str]]
) -> None:
    assert any("," in r["notes"] for r in acled)
    assert any('"' in r["notes"] for r in acled)
    rel = duckdb.read_csv(str(files.acled_csv), all_varchar=True)
    assert rel.columns == list(synth.ACLED_COLUMNS)
    notes = [n for (n,) in rel.project("notes").fetchall()]
    assert len(notes) == len(acled) == ACLED_ROWS
    assert notes == [r["notes"] for r in acled]


def test_ged_reads_the_same_through_duckdb(files: SynthFiles, ged: list[dict[str, str]]) -> None:
    rel = duckdb.read_csv(str(files.ged_csv), all_varchar=True)
    assert rel.columns == list(synth.GED_COLUMNS)
    rows = rel.project("id, dyad_name, adm_1").fetchall()
    assert rows == [(r["id"], r["dyad_name"], r["adm_1"]) for r in ged]
