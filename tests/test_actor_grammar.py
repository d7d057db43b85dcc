"""Who is who: ACLED's and UCDP's actor naming as a grammar, and a state for every country.

The fixtures are hand-made rows in each source's own layout and naming conventions: an ACLED
export of 2019 (Afghanistan only, numeric ``inter`` codes), an ACLED export of 2022 (several
countries) and UCDP GED rows (GED 21.1 columns, UCDP's country names).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import pycountry
import pytest

import rivalscope as rs
from rivalscope.actors import actor_name_key, actor_name_keys, builtin_registry


def header(line: str) -> list[str]:
    """The column names of a CSV header line."""
    return line.split(",")


ACLED_2019_COLUMNS = header(
    "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,"
    "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,"
    "country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,"
    "notes,fatalities,timestamp,iso3"
)
ACLED_2022_COLUMNS = header(
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,"
    "country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,"
    "notes,fatalities,tags,timestamp"
)
GED_COLUMNS = header(
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,"
    "source_date,source_headline,source_original,where_prec,where_coordinates,"
    "where_description,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,"
    "region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,"
    "deaths_unknown,best,high,low,gwnoa,gwnob"
)

REPUBLIC_ARMY = "Military Forces of Afghanistan (2014-)"
REPUBLIC_POLICE = "Police Forces of Afghanistan (2014-)"
TALIBAN_GDI = "Police Forces of Afghanistan (2021-) General Directorate of Intelligence"
ISKP_ACLED = "Islamic State (Afghanistan)"


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def acled_2019_row(
    number: int, date: str, kind: tuple[str, str], side1: tuple[str, str], side2: tuple[str, str]
) -> dict[str, str]:
    """An Afghan row of a 2019 ACLED export (``02 March 2019`` dates, numeric inter codes):
    ``kind`` is (event_type, sub_event_type), each side (actor, inter code)."""
    (actor1, inter1), (actor2, inter2) = side1, side2
    return {
        "data_id": str(6_100_000 + number),
        "iso": "4",
        "event_id_cnty": f"AFG{30_000 + number}",
        "event_id_no_cnty": str(30_000 + number),
        "event_date": date,
        "year": date[-4:],
        "time_precision": "1",
        "event_type": kind[0],
        "sub_event_type": kind[1],
        "actor1": actor1,
        "inter1": inter1,
        "actor2": actor2,
        "inter2": inter2,
        "interaction": "".join(sorted(inter1 + inter2)),
        "region": "South Asia",
        "country": "Afghanistan",
        "admin1": "Nangarhar",
        "admin2": "Achin",
        "location": "Achin",
        "latitude": "34.1253",
        "longitude": "70.6832",
        "geo_precision": "2",
        "source": "Pajhwok Afghan News",
        "source_scale": "National",
        "notes": f"On {date}, event {number}.",
        "fatalities": "3",
        "timestamp": "1556572851",
        "iso3": "AFG",
    }


BATTLE = ("Battles", "Armed clash")
TALIBAN_SIDE = ("Taliban", "2")
ACLED_2019_EVENTS = [
    ("02 March 2019", BATTLE, (REPUBLIC_ARMY, "1"), TALIBAN_SIDE, ("AFG_REPUBLIC", "TALIBAN")),
    (
        "05 March 2019",
        BATTLE,
        (f"{REPUBLIC_ARMY} Special Forces", "1"),
        TALIBAN_SIDE,
        ("AFG_REPUBLIC", "TALIBAN"),
    ),
    ("09 April 2019", BATTLE, TALIBAN_SIDE, (REPUBLIC_POLICE, "1"), ("TALIBAN", "AFG_REPUBLIC")),
    (
        "11 April 2019",
        BATTLE,
        (f"{REPUBLIC_POLICE} National Directorate of Security", "1"),
        (ISKP_ACLED, "2"),
        ("AFG_REPUBLIC", "ISKP"),
    ),
    (
        "20 May 2019",
        BATTLE,
        TALIBAN_SIDE,
        (f"{REPUBLIC_POLICE} Afghan Local Police", "1"),
        ("TALIBAN", "AFG_REPUBLIC"),
    ),
    (
        "01 June 2019",
        BATTLE,
        ("Militia (Pro-Government)", "3"),
        TALIBAN_SIDE,
        ("PRO_GOVERNMENT_MILITIA", "TALIBAN"),
    ),
    (
        "14 July 2019",
        BATTLE,
        ("Taliban - Red Unit", "2"),
        (REPUBLIC_POLICE, "1"),
        ("TALIBAN", "AFG_REPUBLIC"),
    ),
    (
        "30 July 2019",
        ("Explosions/Remote violence", "Air/drone strike"),
        ("Military Forces of the United States (2017-2021)", "8"),
        TALIBAN_SIDE,
        ("US", "TALIBAN"),
    ),
    (
        "02 August 2019",
        ("Violence against civilians", "Attack"),
        TALIBAN_SIDE,
        ("Civilians (Afghanistan)", "7"),
        ("TALIBAN", "CIVILIANS"),
    ),
]
"""(date, kind, side 1, side 2, the two actor ids they must resolve to)."""
ACLED_2019 = [acled_2019_row(n, *event[:4]) for n, event in enumerate(ACLED_2019_EVENTS, 1)]
ACLED_2019_EXPECTED = {f"AFG{30_000 + n}": event[4] for n, event in enumerate(ACLED_2019_EVENTS, 1)}


def acled_2022_row(
    event_id: str,
    date: str,
    where: tuple[str, str, str, str],
    kind: tuple[str, str, str],
    actors: tuple[str, str, str, str],
) -> dict[str, str]:
    """A row of a 2022 ACLED world export: ``where`` is (iso, country, region, admin1),
    ``kind`` (disorder_type, event_type, sub_event_type), ``actors`` (actor1, inter1, actor2,
    inter2)."""
    iso, country, region, admin1 = where
    disorder, event_type, sub = kind
    actor1, inter1, actor2, inter2 = actors
    return {
        "event_id_cnty": event_id,
        "event_date": date,
        "year": date[-4:],
        "time_precision": "1",
        "disorder_type": disorder,
        "event_type": event_type,
        "sub_event_type": sub,
        "actor1": actor1,
        "inter1": inter1,
        "actor2": actor2,
        "inter2": inter2,
        "interaction": "".join(sorted(inter1 + inter2)),
        "iso": iso,
        "region": region,
        "country": country,
        "admin1": admin1,
        "location": admin1,
        "latitude": "34.4",
        "longitude": "70.4",
        "geo_precision": "1",
        "source": "Local source",
        "source_scale": "National",
        "notes": f"On {date}, {actor1} and {actor2}.",
        "fatalities": "2",
        "timestamp": "1672700000",
    }


AFGHANISTAN = ("4", "Afghanistan", "Caucasus and Central Asia", "Nangarhar")
UKRAINE = ("804", "Ukraine", "Europe", "Donetsk")
MYANMAR = ("104", "Myanmar", "Southeast Asia", "Sagaing")
TURKMENISTAN = ("795", "Turkmenistan", "Caucasus and Central Asia", "Mary")
CLASH = ("Political violence", *BATTLE)
SHELLING = ("Political violence", "Explosions/Remote violence", "Shelling/artillery/missile attack")
EXCESSIVE_FORCE = ("Demonstrations", "Protests", "Excessive force against protesters")
MOB = ("Demonstrations", "Riots", "Mob violence")
RUSSIA = "Military Forces of Russia (2000-)"

ACLED_2022_EVENTS = [
    ("AFG60001", "10 March 2022", AFGHANISTAN, CLASH, (ISKP_ACLED, "2", TALIBAN_GDI, "1")),
    (
        "AFG60002",
        "22 April 2022",
        AFGHANISTAN,
        CLASH,
        ("Military Forces of Afghanistan (2021-)", "1", ISKP_ACLED, "2"),
    ),
    (
        "UKR10001",
        "05 May 2022",
        UKRAINE,
        SHELLING,
        (RUSSIA, "8", "Military Forces of Ukraine (2019-)", "1"),
    ),
    (
        "UKR10002",
        "06 May 2022",
        UKRAINE,
        CLASH,
        ("Military Forces of Ukraine (2019-) National Guard of Ukraine", "1", RUSSIA, "8"),
    ),
    (
        "MMR20001",
        "14 February 2022",
        MYANMAR,
        EXCESSIVE_FORCE,
        ("Military Forces of Myanmar (2021-)", "1", "Protesters (Myanmar)", "6"),
    ),
    (
        "TKM00001",
        "03 July 2022",
        TURKMENISTAN,
        MOB,
        ("Rioters (Turkmenistan)", "5", "Police Forces of Turkmenistan (2006-)", "1"),
    ),
]
ACLED_2022 = [acled_2022_row(*event) for event in ACLED_2022_EVENTS]
ACLED_2022_EXPECTED = {
    "AFG60001": ("ISKP", "TALIBAN"),
    "AFG60002": ("TALIBAN", "ISKP"),
    "UKR10001": ("RUS", "UKR"),
    "UKR10002": ("UKR", "RUS"),
    "MMR20001": ("MMR", "PROTESTERS"),
    "TKM00001": ("RIOTERS", "TKM"),
}


def ged_row(
    number: int, violence: int, side_a: str, side_b: str, country: str, date: str
) -> dict[str, str]:
    """A GED 21.1 row with UCDP's spellings of sides and country."""
    return {
        "id": str(number),
        "year": date[:4],
        "type_of_violence": str(violence),
        "conflict_name": f"{country}: Government",
        "dyad_name": f"{side_a} - {side_b}",
        "side_a": side_a,
        "side_b": side_b,
        "where_prec": "1",
        "latitude": "34.4",
        "longitude": "70.4",
        "geom_wkt": "POINT (70.4 34.4)",
        "country": country,
        "date_prec": "1",
        "date_start": f"{date} 00:00:00.000",
        "date_end": f"{date} 00:00:00.000",
        "best": "4",
        "high": "5",
        "low": "3",
    }


GED = [
    ged_row(1, 1, "Government of Russia (Soviet Union)", "Chechen Republic of Ichkeria",
            "Russia (Soviet Union)", "1995-01-10"),
    ged_row(2, 3, "Government of DR Congo (Zaire)", "Civilians", "DR Congo (Zaire)",
            "2012-06-01"),
    ged_row(3, 3, "Government of Myanmar (Burma)", "Civilians", "Myanmar (Burma)", "2017-08-30"),
    ged_row(4, 1, "Government of Yemen (North Yemen)", "IS", "Yemen (North Yemen)",
            "2016-05-15"),
    ged_row(5, 1, "Government of Syria", "Syrian insurgents", "Syria", "2014-02-01"),
    ged_row(6, 1, "Government of Australia, Government of United Kingdom, Government of United "
            "States of America", "IS", "Iraq", "2016-10-20"),
    ged_row(7, 1, "Government of Turkey", "PKK", "Turkey", "2016-03-03"),
    ged_row(8, 3, "Government of Serbia (Yugoslavia)", "Civilians", "Serbia (Yugoslavia)",
            "1999-04-01"),
    ged_row(9, 1, "Government of Bosnia-Herzegovina", "Serbian Republic of Bosnia-Herzegovina",
            "Bosnia-Herzegovina", "1993-05-05"),
    ged_row(10, 1, "Government of Afghanistan", "IS", "Afghanistan", "2021-08-14"),
    ged_row(11, 1, "Government of Afghanistan", "IS", "Afghanistan", "2021-08-15"),
    ged_row(12, 2, "Hizb-i Islami-yi Afghanistan - Khalis faction", "Taleban", "Afghanistan",
            "1995-02-02"),
    ged_row(13, 1, "Government of United States of America", "al-Qaida", "Pakistan",
            "2011-05-02"),
]  # fmt: skip
GED_EXPECTED = {
    "1": ("RUS", "ICHKERIA"),
    "2": ("COD", "CIVILIANS"),
    "3": ("MMR", "CIVILIANS"),
    "4": ("YEM", "IS"),
    "5": ("SYR", "SYRIAN_INSURGENTS"),
    "6": ("AUS", "IS"),
    "7": ("TUR", "PKK"),
    "8": ("SRB", "CIVILIANS"),
    "9": ("BIH", "REPUBLIKA_SRPSKA"),
    "10": ("AFG_REPUBLIC", "ISKP"),
    "11": ("TALIBAN", "ISKP"),
    "12": ("HIK", "TALIBAN"),
    "13": ("US", "AQ"),
}


def sides(store: rs.Store) -> dict[str, tuple[str, str]]:
    rows = store.query("SELECT source_id, actor1, actor2 FROM events").to_pylist()
    return {row["source_id"]: (row["actor1"], row["actor2"]) for row in rows}


def by_event(store: rs.Store, column: str) -> dict[str, object]:
    """``source_id`` -> the value of one column of the stored events."""
    rows = store.query(f"SELECT source_id, {column} AS value FROM events").to_pylist()
    return {row["source_id"]: row["value"] for row in rows}


def unregistered(store: rs.Store) -> list[str]:
    return [row["name"] for row in store.info()["unregistered_actors"]]


# --- the grammar ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("Military Forces of Afghanistan (2014-)", ("government of afghanistan",)),
        ("Police Forces of Afghanistan (2004-2021)", ("government of afghanistan",)),
        ("Government of Afghanistan (2021-)", ("government of afghanistan",)),
        ("Government of Afghanistan", ("government of afghanistan",)),
        (
            "Military Forces of Afghanistan (2014-) Special Forces",
            ("military forces of afghanistan (2014-) special forces", "government of afghanistan"),
        ),
        (
            "Police Forces of Afghanistan (2014-2021) National Directorate of Security",
            (
                "police forces of afghanistan (2014-2021) national directorate of security",
                "government of afghanistan",
            ),
        ),
        ("Military Forces of Russia (2000-)", ("government of russia",)),
        ("Government of Russia (Soviet Union)", ("government of russia",)),
        ("Military Forces of Ukraine (2019-)", ("government of ukraine",)),
        ("Military Forces of Myanmar (2021-)", ("government of myanmar",)),
        ("Government of Myanmar (Burma)", ("government of myanmar",)),
        ("Government of Yemen (North Yemen)", ("government of yemen",)),
        ("Military Forces of Turkmenistan (2006-)", ("government of turkmenistan",)),
        ("Government of DR Congo (Zaire)", ("government of democratic republic of the congo",)),
        (
            "Police Forces of the Democratic Republic of Congo (2001-2019)",
            ("government of democratic republic of the congo",),
        ),
        ("Government of United States of America", ("government of united states",)),
        ("Military Forces of the United States (2017-2021)", ("government of united states",)),
        ("Military Forces of Atlantis (2001-)", ("military forces of atlantis (2001-)",)),
        ("Civilians (Somalia)", ("civilians",)),
        ("Unidentified Armed Group (Mali)", ("unidentified armed group",)),
        ("Rioters (Kenya)", ("rioters",)),
        ("Protesters (International)", ("protesters",)),
        ("Militia (Pro-Government)", ("militia (pro-government)",)),
        ("Taliban - Red Unit", ("taliban - red unit", "taliban")),
        ("TTP: Tehrik-i-Taliban", ("ttp: tehrik-i-taliban", "tehrik-i-taliban")),
        ("Islamic State (Somalia)", ("islamic state (somalia)", "islamic state")),
        (
            "Taliban and/or Islamic State (Afghanistan)",
            ("taliban and/or islamic state (afghanistan)",),
        ),
        (
            "Islamic State (West Africa) and/or Boko Haram - Jamaatu Ahli is-Sunnah lid-Dawati "
            "wal-Jihad",
            (
                "islamic state (west africa) and/or boko haram - jamaatu ahli is-sunnah "
                "lid-dawati wal-jihad",
            ),
        ),
        ("Forces of Ismail Khan", ("forces of ismail khan",)),
    ],
)
def test_name_keys_follow_the_sources_grammar(name: str, keys: tuple[str, ...]) -> None:
    assert actor_name_keys(name) == keys
    assert actor_name_key(name) == keys[0]


# --- the registry --------------------------------------------------------------------------------
def test_every_country_has_a_state_with_a_readable_name() -> None:
    registry = builtin_registry()
    states = [a for a in registry.actors.values() if a.kind == "state"]
    covered = {a.country_iso3 for a in states}
    assert {c.alpha_3 for c in pycountry.countries} | {"XKX"} <= covered
    for kept in ("PAK", "US", "GBR", "IRN", "TJK", "UZB", "IND", "IRQ", "AFG_REPUBLIC"):
        assert registry.actors[kept].kind == "state"
    assert "USA" not in registry.actors and "AFG" not in registry.actors
    names = {a.actor_id: a.name for a in states}
    assert names["RUS"] == "Russia"
    assert names["UKR"] == "Ukraine"
    assert names["MMR"] == "Myanmar"
    assert names["TKM"] == "Turkmenistan"
    assert names["IRN"] == "Iran"
    assert names["SYR"] == "Syria"
    assert names["KOR"] == "South Korea"
    assert names["COD"] == "Democratic Republic of the Congo"
    assert names["XKX"] == "Kosovo"
    for country in pycountry.countries:
        generated = names.get(country.alpha_3)
        if generated is not None:
            assert not set(generated) & set(",()"), generated
    assert all(actor.name and actor.name != actor.actor_id for actor in registry.actors.values())


def test_units_and_factions_are_recorded_under_their_parent() -> None:
    actors = builtin_registry().actors
    assert actors["TALIBAN_GDI"].parent == "TALIBAN"
    assert actors["TALIBAN_RED_UNIT"].parent == "TALIBAN"
    assert actors["AFG_REPUBLIC_NDS"].parent == "AFG_REPUBLIC"


def test_states_are_listed_and_found_by_any_spelling(store: rs.Store) -> None:
    listed = {row["actor_id"]: row for row in store.actors().to_pylist()}
    assert (listed["RUS"]["name"], listed["RUS"]["kind"]) == ("Russia", "state")
    assert listed["TALIBAN_GDI"]["parent"] == "TALIBAN"
    for spelling in (
        "RUS",
        "Russia",
        "Government of Russia (Soviet Union)",
        "Military Forces of Russia (2000-)",
        "police forces of russia (2000-)",
    ):
        assert store.actor_id(spelling) == "RUS", spelling


# --- ingests -------------------------------------------------------------------------------------
def test_acled_2019_afghanistan_export_resolves_every_actor(
    store: rs.Store, tmp_path: Path
) -> None:
    result = store.ingest_acled(
        write_csv(tmp_path / "acled_2019.csv", ACLED_2019_COLUMNS, ACLED_2019)
    )
    assert result.rows_stored == len(ACLED_2019)
    assert sides(store) == ACLED_2019_EXPECTED
    assert unregistered(store) == []
    raw = by_event(store, "actor1_raw")
    assert raw["AFG30002"] == f"{REPUBLIC_ARMY} Special Forces", "the raw name keeps the unit"
    assert raw["AFG30007"] == "Taliban - Red Unit"


def test_acled_2022_world_export_resolves_every_actor(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_acled(write_csv(tmp_path / "acled_2022.csv", ACLED_2022_COLUMNS, ACLED_2022))
    assert sides(store) == ACLED_2022_EXPECTED
    assert unregistered(store) == []
    iskp_taliban = store.events(actor="ISKP", rival="TALIBAN")
    assert sorted(iskp_taliban.column("source_id").to_pylist()) == ["AFG60001", "AFG60002"]
    targets = by_event(store, "target_type")
    assert targets["AFG60001"] == "state_security", "the Taliban's intelligence is the state's"
    assert targets["UKR10001"] == "state_security"


def test_ucdp_governments_of_every_country_resolve(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(write_csv(tmp_path / "ged.csv", GED_COLUMNS, GED))
    assert sides(store) == GED_EXPECTED
    assert unregistered(store) == []
    assert by_event(store, "assoc_actors")["6"] == ["GBR", "US"]


@pytest.mark.parametrize(
    "label",
    [
        "Military Forces of Afghanistan (2004-2021)",
        "Military Forces of Afghanistan (2014-)",
        "Military Forces of Afghanistan (2021-)",
        "Police Forces of Afghanistan (2014-2021) National Directorate of Security",
        TALIBAN_GDI,
    ],
)
def test_afghan_state_forces_are_the_state_of_the_day_whatever_the_label(
    store: rs.Store, tmp_path: Path, label: str
) -> None:
    rows = [
        acled_2022_row("AFG1", "14 August 2021", AFGHANISTAN, CLASH, (label, "1", ISKP_ACLED, "2")),
        acled_2022_row("AFG2", "15 August 2021", AFGHANISTAN, CLASH, (label, "1", ISKP_ACLED, "2")),
    ]
    store.ingest_acled(write_csv(tmp_path / "takeover.csv", ACLED_2022_COLUMNS, rows))
    assert sides(store) == {"AFG1": ("AFG_REPUBLIC", "ISKP"), "AFG2": ("TALIBAN", "ISKP")}


def test_a_user_alias_of_a_unit_or_faction_wins_over_its_parent(
    store: rs.Store, tmp_path: Path
) -> None:
    store.ingest_acled(write_csv(tmp_path / "acled_2019.csv", ACLED_2019_COLUMNS, ACLED_2019))
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[actor]]\nid = "RED_UNIT"\nname = "Red Unit"\nparent = "TALIBAN"\n'
        'aliases = ["Taliban - Red Unit"]\n',
        encoding="utf-8",
    )
    assert store.load_actors(extra)["events_remapped"] == 1
    assert sides(store)["AFG30007"] == ("RED_UNIT", "AFG_REPUBLIC")
    again = rs.open()
    again.load_actors(extra)
    again.ingest_acled(tmp_path / "acled_2019.csv")
    assert sides(again)["AFG30007"] == ("RED_UNIT", "AFG_REPUBLIC")
