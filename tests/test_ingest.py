"""How UCDP and ACLED rows map onto the canonical events, on SYNTHETIC files and small rows."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.coding.influence import influence_type
from rivalscope.synth import SynthFiles, write_acled


def test_ucdp_mapping(store: rs.Store, synth_files: SynthFiles) -> None:
    result = store.ingest_ucdp(synth_files.ged_csv)
    assert result.rows_read == result.rows_stored == synth_files.ged_rows
    rows = store.con.execute(
        "SELECT source_event_type, event_type, count(*) FROM events GROUP BY ALL"
    ).fetchall()
    mapping = {(kind, event_type) for kind, event_type, _ in rows}
    assert mapping <= {("state-based", "clash"), ("non-state", "clash"), ("one-sided", "attack")}
    unresolved = store.con.execute(
        "SELECT count(*) FROM events WHERE admin1_code IS NULL OR country_iso3 <> 'AFG'"
    ).fetchone()
    assert unresolved == (0,)
    one_sided = store.con.execute(
        "SELECT DISTINCT target_type, actor2 FROM events WHERE source_event_type = 'one-sided'"
    ).fetchall()
    assert one_sided == [("civilians", "CIVILIANS")]


def test_ucdp_every_field_of_one_row(store: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text(
        "id,relid,year,type_of_violence,conflict_name,side_a,side_b,adm_1,adm_2,"
        "where_coordinates,where_prec,latitude,longitude,country,date_prec,date_start,date_end,"
        "deaths_civilians,best,high,low,source_headline\n"
        "244657,AFG-2017-2-1,2017,2,IS - Taleban,IS,Taleban,Nangarhar province,Achin district,"
        "Achin town,1,34.1,70.7,Afghanistan,1,2017-07-31 00:00:00.000,2017-08-02 00:00:00.000,"
        '2,9,12,6,"Clash in Achin, Nangarhar"\n',
        encoding="utf-8",
    )
    store.ingest_ucdp(path)
    row = store.events().to_pylist()[0]
    assert {
        k: row[k]
        for k in (
            "event_id",
            "source",
            "source_id",
            "event_type",
            "actor1",
            "actor2",
            "actor1_raw",
            "admin1_code",
            "admin1",
            "admin2",
            "location",
            "geo_precision",
            "fatalities_best",
            "fatalities_low",
            "fatalities_high",
            "civilian_deaths",
            "notes",
            "date_precision",
            "country_iso3",
            "target_type",
            "source_sub_event_type",
        )
    } == {
        "event_id": "ucdp:244657",
        "source": "ucdp",
        "source_id": "244657",
        "event_type": "clash",
        "actor1": "ISKP",
        "actor2": "TALIBAN",
        "actor1_raw": "IS",
        "admin1_code": "AF-NAN",
        "admin1": "Nangarhar",
        "admin2": "Achin",
        "location": "Achin town",
        "geo_precision": 1,
        "fatalities_best": 9,
        "fatalities_low": 6,
        "fatalities_high": 12,
        "civilian_deaths": 2,
        "notes": "Clash in Achin, Nangarhar",
        "date_precision": "day",
        "country_iso3": "AFG",
        "target_type": "group_personnel",
        "source_sub_event_type": "IS - Taleban",
    }
    assert (str(row["date_start"]), str(row["date_end"])) == ("2017-07-31", "2017-08-02")


def test_ucdp_joint_side_keeps_allies(store: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "joint.csv"
    path.write_text(
        "id,type_of_violence,side_a,side_b,country,date_start,best,latitude,longitude\n"
        '1,1,Government of Afghanistan,"Government of United Kingdom, Government of United '
        'States of America",Afghanistan,2001-10-20,5,34.5,69.2\n',
        encoding="utf-8",
    )
    store.ingest_ucdp(path)
    row = store.events().to_pylist()[0]
    assert (row["actor1"], row["actor2"], row["assoc_actors2"]) == ("TALIBAN", "GBR", ["US"])
    assert row["target_type"] == "foreign"


def test_acled_mapping(store: rs.Store, synth_files: SynthFiles) -> None:
    result = store.ingest_acled(synth_files.acled_csv)
    assert result.rows_stored == synth_files.acled_rows
    with synth_files.acled_csv.open(encoding="utf-8", newline="") as handle:
        source = {row["event_id_cnty"]: row for row in csv.DictReader(handle)}
    events = {row["source_id"]: row for row in store.events(source="acled").to_pylist()}
    assert events.keys() == source.keys()
    expected_type = {"Battles": "clash", "Violence against civilians": "attack"}
    for key, raw in source.items():
        event = events[key]
        if raw["event_type"] == "Strategic developments":
            # a shadow governor or an appointment is governance; the rest stays other
            assert event["event_type"] == (influence_type(raw["notes"]) or "other"), key
        elif raw["event_type"] in expected_type:
            assert event["event_type"] == expected_type[raw["event_type"]], key
        elif raw["sub_event_type"] == "Air/drone strike" and raw["inter1"] in ("1", "8"):
            assert event["event_type"] == "state_operation", key
        else:
            assert event["event_type"] == "attack", key
        assert event["fatalities_best"] == int(raw["fatalities"])
        assert (event["latitude"], event["longitude"]) == (
            float(raw["latitude"]),
            float(raw["longitude"]),
        )
        if raw["civilian_targeting"]:
            assert event["target_type"] == "civilians"
    assert Counter(e["country_iso3"] for e in events.values()) == {"AFG": len(events)}
    assert all(e["admin1_code"] for e in events.values())


def test_acled_state_after_august_2021_is_taliban(store: rs.Store, synth_files: SynthFiles) -> None:
    store.ingest_acled(synth_files.acled_csv)
    rows = store.con.execute(
        """SELECT DISTINCT raw, actor FROM (
             SELECT actor1_raw AS raw, actor1 AS actor FROM events UNION ALL
             SELECT actor2_raw, actor2 FROM events)
           WHERE raw LIKE '%Forces of Afghanistan%' ORDER BY 1"""
    ).fetchall()
    assert dict(rows) == {
        "Military Forces of Afghanistan (2004-2021)": "AFG_REPUBLIC",
        "Military Forces of Afghanistan (2021-)": "TALIBAN",
        "Police Forces of Afghanistan (2004-2021)": "AFG_REPUBLIC",
        "Police Forces of Afghanistan (2021-)": "TALIBAN",
    }
    attacked_state = store.con.execute(
        "SELECT DISTINCT target_type FROM events WHERE actor2_raw LIKE '%(2021-)'"
        " AND event_type = 'attack'"
    ).fetchall()
    assert attacked_state == [("state_security",)]


def test_acled_both_date_forms_give_the_same_store(tmp_path: Path) -> None:
    written, iso = tmp_path / "written.csv", tmp_path / "iso.csv"
    write_acled(written, 500, seed=3)
    write_acled(iso, 500, seed=3, iso_dates=True)
    first, second = rs.open(), rs.open()
    first.ingest_acled(written)
    second.ingest_acled(iso)
    columns = ["event_id", "date_start", "event_type", "actor1", "actor2", "admin1_code"]
    assert first.events().select(columns).equals(second.events().select(columns))


def test_acled_allies_resolve(store: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "allies.csv"
    header = (
        "event_id_cnty,event_date,event_type,sub_event_type,actor1,assoc_actor_1,actor2,"
        "assoc_actor_2,country,iso,admin1,latitude,longitude,fatalities\n"
    )
    path.write_text(
        header + "AFG1,02 March 2019,Battles,Armed clash,Taliban,Haqqani Network; Al Qaeda,"
        "Islamic State (Afghanistan),Lashkar-e-Islam,Afghanistan,4,Nangarhar,34.3,70.5,4\n",
        encoding="utf-8",
    )
    store.ingest_acled(path)
    row = store.events().to_pylist()[0]
    assert (row["actor1"], row["assoc_actors"], row["actor2"], row["assoc_actors2"]) == (
        "TALIBAN",
        ["HAQQANI", "AQ"],
        "ISKP",
        ["LI"],
    )


def test_defections(store: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "defections.csv"
    path.write_text(
        "date,from_actor,to_actor,person,role,fighters,admin1,admin2,source,notes\n"
        "2015-01-10,Taliban,ISIS-K,Commander A,commander,40,Nangarhar,Achin,report 1,\n"
        "2015-02-03,TTP,Daesh,,fighter,,AF-KNR,,report 2,\n"
        "2015-13-01,Taliban,ISKP,,,,,,,bad date\n"
        "2015-03-01,Taliban,Taleban,,,,,,,same actor\n"
        "2015-04-01,Taliban,ISKP,,,5,AF-NAN,,,\n"
        "2015-04-02,Taliban,ISKP,,,6,Nangarhar,,,\n",
        encoding="utf-8",
    )
    result = store.ingest_defections(path)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (6, 4, 2)
    rows = store.con.execute(
        "SELECT from_actor, to_actor, fighters, admin1_code, person FROM defections ORDER BY date"
    ).fetchall()
    assert rows == [
        ("TALIBAN", "ISKP", 40, "AF-NAN", "Commander A"),
        ("TTP", "ISKP", None, "AF-KNR", None),
        ("TALIBAN", "ISKP", 5, "AF-NAN", None),
        ("TALIBAN", "ISKP", 6, "AF-NAN", None),
    ]
    reasons = store.quarantine().column("reason").to_pylist()
    assert reasons == [
        "column date: '2015-13-01' is not a valid YYYY-MM-DD date",
        "from_actor and to_actor are one actor",
    ]
    again = store.ingest_defections(path)
    assert (again.rows_stored, again.rows_unchanged, again.rows_quarantined) == (0, 4, 2)


def test_defections_missing_columns(store: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("date,person\n2015-01-01,x\n", encoding="utf-8")
    with pytest.raises(rs.InputError, match="from_actor, to_actor"):
        store.ingest_defections(path)


def test_events_filters(store: rs.Store, synth_files: SynthFiles) -> None:
    store.ingest_ucdp(synth_files.ged_csv)
    store.ingest_acled(synth_files.acled_csv)
    clashes = store.events(
        actor="ISKP",
        rival="TALIBAN",
        event_type="clash",
        admin1="Nangarhar",
        since="2017-01-01",
        until="2019-12-31",
        source="ucdp",
    )
    assert clashes.num_rows > 0
    for row in clashes.to_pylist():
        assert {row["actor1"], row["actor2"]} == {"ISKP", "TALIBAN"}
        assert row["admin1_code"] == "AF-NAN"
        assert "2017-01-01" <= str(row["date_start"]) <= "2019-12-31"
    dates = [str(d) for d in clashes.column("date_start").to_pylist()]
    assert dates == sorted(dates)
    total = store.con.execute(
        """SELECT count(*) FROM events WHERE event_type = 'clash' AND admin1_code = 'AF-NAN'
           AND date_start BETWEEN '2017-01-01' AND '2019-12-31'
           AND ((actor1 = 'ISKP' AND actor2 = 'TALIBAN') OR (actor1 = 'TALIBAN'
                AND actor2 = 'ISKP')) AND source = 'ucdp'"""
    ).fetchone()
    assert total == (clashes.num_rows,)
    linked = store.con.execute(
        "SELECT count(*) - count(DISTINCT cluster_id) FROM event_links WHERE country_iso3 = 'AFG'"
    ).fetchone()
    assert linked is not None
    fused = store.events(country="AFG")
    assert fused.num_rows == synth_files.ged_rows + synth_files.acled_rows - linked[0]
    assert store.events(source="acled").num_rows == synth_files.acled_rows
    with pytest.raises(rs.InputError, match="unknown event type"):
        store.events(event_type="battle")
    with pytest.raises(rs.InputError, match="needs an actor"):
        store.events(rival="ISKP")


def test_ibis_table(store: rs.Store, synth_files: SynthFiles) -> None:
    store.ingest_ucdp(synth_files.ged_csv)
    events = store.table("events")
    per_type = events.group_by("event_type").aggregate(n=events.count()).to_pyarrow()
    assert sum(per_type.column("n").to_pylist()) == synth_files.ged_rows
    with pytest.raises(rs.NotFoundError):
        store.table("nope")


def test_file_store_persists_and_reads_only(tmp_path: Path, synth_files: SynthFiles) -> None:
    path = tmp_path / "s.duckdb"
    with rs.open(path) as store:
        store.ingest_ucdp(synth_files.ged_csv)
    with rs.open(path, read_only=True) as reader:
        assert reader.events().num_rows == synth_files.ged_rows
        with pytest.raises(rs.StoreError, match="read-only"):
            reader.ingest_ucdp(synth_files.ged_csv)


def test_csv_export_round_trip(store: rs.Store, synth_files: SynthFiles) -> None:
    store.ingest_ucdp(synth_files.ged_csv)
    table = store.events(actor="ISKP")
    buffer = io.StringIO()
    import pyarrow.csv as pacsv

    sink = io.BytesIO()
    pacsv.write_csv(table.drop_columns(["assoc_actors", "assoc_actors2"]), sink)
    buffer.write(sink.getvalue().decode())
    assert len(buffer.getvalue().splitlines()) == table.num_rows + 1


def test_displacement(store: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "idps.csv"
    path.write_text(
        "admin1,month,idps\nNangarhar,2017-03,1200\nAF-KAB,2017-04-01,300\nAtlantis,2017-03,5\n"
        "Kunar,2017-13,5\nNangarhar,2017-03,99\n",
        encoding="utf-8",
    )
    result = store.ingest_displacement(path)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (5, 2, 3)
    rows = store.con.execute(
        "SELECT admin1_code, CAST(month AS VARCHAR), idps FROM displacement ORDER BY month"
    ).fetchall()
    assert rows == [("AF-NAN", "2017-03-01", 1200), ("AF-KAB", "2017-04-01", 300)]
    assert store.quarantine().column("reason").to_pylist() == [
        "column admin1: 'Atlantis' is not a known province",
        "column month: '2017-13' is not a YYYY-MM month",
        "duplicate displacement_id AFG:AF-NAN:2017-03-01 (first at row 1)",
    ]


UNRESOLVED_GED = (
    "id,relid,year,type_of_violence,conflict_name,side_a,side_b,adm_1,country,date_start,"
    "date_end,best,latitude,longitude\n"
    "9001,X-1,2017,2,IS - Forces of Nobody,IS,Forces of Nobody,Nangarhar province,Afghanistan,"
    "2017-07-31,2017-07-31,3,34.1,70.7\n"
    "9002,X-2,2017,2,IS - Forces of Nobody,IS,Forces of Nobody,Atlantis province,Afghanistan,"
    "2017-08-01,2017-08-01,1,34.2,70.8\n"
    "9003,X-3,2017,2,Forces of Somebody - Taleban,Forces of Somebody,Taleban,Atlantis province,"
    "Afghanistan,2017-08-02,2017-08-02,0,34.3,70.9\n"
)


def test_ingest_lists_the_names_it_could_not_resolve(store: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "unresolved.csv"
    path.write_text(UNRESOLVED_GED, encoding="utf-8")
    result = store.ingest_ucdp(path)
    assert list(result.unresolved_actors) == [
        {"name": "Forces of Nobody", "rows": 2},
        {"name": "Forces of Somebody", "rows": 1},
    ]
    assert list(result.unresolved_places) == [
        {"country_iso3": "AFG", "admin1": "Atlantis", "rows": 2}
    ]
    assert result.to_dict()["unresolved_actors"][0]["name"] == "Forces of Nobody"
    again = store.ingest_ucdp(path)
    assert again.rows_unchanged == 3 and again.unresolved_actors == ()


def test_ingest_cli_names_the_command_that_resolves(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from rivalscope.cli import app

    path = tmp_path / "unresolved.csv"
    path.write_text(UNRESOLVED_GED, encoding="utf-8")
    db = str(tmp_path / "store.duckdb")
    shown = CliRunner().invoke(app, ["ingest", "ucdp", str(path), "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "Forces of Nobody (2)" in shown.output
    assert "rivalscope actors load" in shown.output
    assert "Atlantis [AFG] (2)" in shown.output
    assert "rivalscope places load-boundaries" in shown.output
    db2 = str(tmp_path / "other.duckdb")
    data = json.loads(
        CliRunner().invoke(app, ["ingest", "ucdp", str(path), "--db", db2, "--json"]).stdout
    )
    assert data["unresolved_places"] == [{"country_iso3": "AFG", "admin1": "Atlantis", "rows": 2}]


def test_a_quote_inside_a_value_does_not_hide_blank_lines(store: rs.Store, tmp_path: Path) -> None:
    """Regression (found by the structural-garbage property test): a quote inside an unquoted
    value is a character for DuckDB, not the start of a quoted field, so a blank line after it
    still shifts DuckDB's line numbers and every quarantined row keeps its own record number."""
    header = "id,type_of_violence,side_a,side_b,country,date_start,best,latitude,longitude"
    good = "7,2,IS,Taleban,Afghanistan,2017-07-31,3,34.1,70.7"
    path = tmp_path / "quote.csv"
    path.write_text(f'{header}\nx"\n\n{good},extra\n{good.replace("7,", "8,", 1)}\n')
    result = store.ingest_ucdp(path)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (3, 1, 2)
    numbers = sorted(r["row_number"] for r in store.quarantine().to_pylist())
    assert numbers == [1, 2]
