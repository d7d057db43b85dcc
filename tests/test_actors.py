"""The actor registry: aliases by name, country and date; user extensions; unknown names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.actors import builtin_registry, load_registry_file, parse_registry

GED_HEADER = (
    "id,type_of_violence,side_a,side_b,country,date_start,date_end,best,low,high,"
    "latitude,longitude,adm_1\n"
)


def ged_rows(*rows: tuple[int, int, str, str, str, str]) -> str:
    """A minimal GED CSV: (id, type, side_a, side_b, country, date) per row."""
    body = "".join(
        f'{i},{t},"{a}","{b}",{c},{d},{d},3,3,3,34.4,70.4,Nangarhar province\n'
        for i, t, a, b, c, d in rows
    )
    return GED_HEADER + body


def ingest_text(store: rs.Store, tmp_path: Path, text: str, name: str = "g.csv") -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    store.ingest_ucdp(path)


def actors_of(store: rs.Store) -> dict[str, tuple[str, str]]:
    return {
        row[0]: (row[1], row[2])
        for row in store.con.execute("SELECT source_id, actor1, actor2 FROM events").fetchall()
    }


def test_builtin_registry_is_consistent() -> None:
    registry = builtin_registry()
    for required in ("ISKP", "TALIBAN", "AFG_REPUBLIC", "US", "PAK", "TTP", "AQ", "CIVILIANS"):
        assert required in registry.actors
    assert registry.actors["TALIBAN_OR_ISKP"].kind == "ambiguous"


def test_government_of_afghanistan_switches_on_15_august_2021(
    store: rs.Store, tmp_path: Path
) -> None:
    ingest_text(
        store,
        tmp_path,
        ged_rows(
            (1, 1, "Government of Afghanistan", "IS", "Afghanistan", "2021-08-14"),
            (2, 1, "Government of Afghanistan", "IS", "Afghanistan", "2021-08-15"),
        ),
    )
    assert actors_of(store) == {"1": ("AFG_REPUBLIC", "ISKP"), "2": ("TALIBAN", "ISKP")}


@pytest.mark.parametrize("name", ["Afghan forces", "Afghan government forces"])
def test_generic_afghan_forces_follow_the_takeover(
    store: rs.Store, tmp_path: Path, name: str
) -> None:
    ingest_text(
        store,
        tmp_path,
        ged_rows(
            (1, 1, name, "IS", "Afghanistan", "2021-08-14"),
            (2, 1, name, "IS", "Afghanistan", "2021-08-15"),
        ),
    )
    assert actors_of(store) == {"1": ("AFG_REPUBLIC", "ISKP"), "2": ("TALIBAN", "ISKP")}


def test_is_depends_on_country(store: rs.Store, tmp_path: Path) -> None:
    ingest_text(
        store,
        tmp_path,
        ged_rows(
            (1, 2, "IS", "Taleban", "Afghanistan", "2018-01-01"),
            (2, 1, "Government of Iraq", "IS", "Iraq", "2018-01-01"),
            (3, 1, "Government of Pakistan", "IS", "Pakistan", "2018-01-01"),
        ),
    )
    assert actors_of(store) == {
        "1": ("ISKP", "TALIBAN"),
        "2": ("IRQ", "IS"),
        "3": ("PAK", "ISKP"),
    }


def test_unknown_actor_gets_stable_id_and_is_listed(store: rs.Store, tmp_path: Path) -> None:
    ingest_text(
        store,
        tmp_path,
        ged_rows(
            (1, 2, "Forces of Ismail Khan", "Taleban", "Afghanistan", "1997-01-01"),
            (2, 2, "Forces of Ismail-Khan", "Taleban", "Afghanistan", "1997-01-02"),
        ),
    )
    first, second = actors_of(store)["1"][0], actors_of(store)["2"][0]
    assert first == "FORCES_OF_ISMAIL_KHAN"
    assert second.startswith("FORCES_OF_ISMAIL_KHAN_") and second != first, "never merged"
    listed = {row["actor_id"]: row for row in store.info()["unregistered_actors"]}
    assert listed[first]["name"] == "Forces of Ismail Khan"
    assert listed[second]["events"] == 1
    again = rs.open()
    ingest_text(
        again,
        tmp_path,
        ged_rows((9, 2, "Forces of Ismail Khan", "Taleban", "Afghanistan", "1997-01-01")),
        "h.csv",
    )
    assert actors_of(again)["9"][0] == first, "the same name gets the same id in any store"


def test_ambiguous_acled_actor_is_its_own(store: rs.Store, synth_files: object) -> None:
    store.ingest_acled(synth_files.acled_csv)  # type: ignore[attr-defined]
    ambiguous = store.info()["ambiguous_actors"]
    assert [row["actor_id"] for row in ambiguous] == ["TALIBAN_OR_ISKP"]
    assert ambiguous[0]["events"] > 0
    raw = store.con.execute(
        "SELECT DISTINCT actor1_raw FROM events WHERE actor1 = 'TALIBAN_OR_ISKP'"
    ).fetchall()
    assert raw == [("Taliban and/or Islamic State (Afghanistan)",)]
    iskp = store.events(actor="ISKP").column("actor1").to_pylist()
    assert "TALIBAN_OR_ISKP" not in iskp


def test_user_registry_extends_and_remaps(store: rs.Store, tmp_path: Path) -> None:
    ingest_text(
        store,
        tmp_path,
        ged_rows((1, 2, "Forces of Ismail Khan", "Taleban", "Afghanistan", "1997-01-01")),
    )
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[actor]]\nid = "ISMAIL_KHAN"\nname = "Ismail Khan\'s militia"\nkind = "armed_group"\n'
        'aliases = ["Forces of Ismail Khan", "Amir Ismail Khan forces"]\n',
        encoding="utf-8",
    )
    loaded = store.load_actors(extra)
    assert loaded == {"actors": 1, "aliases": 4, "events_remapped": 1}
    assert actors_of(store)["1"] == ("ISMAIL_KHAN", "TALIBAN")
    assert store.actor_id("amir ismail khan forces") == "ISMAIL_KHAN"
    assert not store.info()["unregistered_actors"][0]["events"]


def test_overlapping_aliases_are_refused() -> None:
    data = {
        "actor": [{"id": "A", "kind": "armed_group"}, {"id": "B", "kind": "armed_group"}],
        "alias": [
            {"alias": "X", "actor": "A", "valid_to": dt.date(2020, 1, 1)},
            {"alias": "x", "actor": "B", "valid_from": dt.date(2019, 1, 1)},
        ],
    }
    registry = parse_registry(data, origin="t.toml")
    with pytest.raises(rs.RegistryError, match="means both A and B"):
        registry.validate()


def test_bad_registry_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[actor]]\nid = "A"\nkind = "gang"\n', encoding="utf-8")
    with pytest.raises(rs.RegistryError, match="kind 'gang'"):
        load_registry_file(path).validate()
    path.write_text("[[actor]\n", encoding="utf-8")
    with pytest.raises(rs.RegistryError, match=r"bad\.toml"):
        load_registry_file(path)


def test_actor_lookup_by_alias(store: rs.Store) -> None:
    assert store.actor_id("isis-k") == "ISKP"
    assert store.actor_id("Islamic Emirate") == "TALIBAN"
    assert store.actor_id("taliban") == "TALIBAN"
    with pytest.raises(rs.NotFoundError, match="no actor"):
        store.actor_id("Nobody at all")


def test_a_new_registry_re_resolves_stored_events(tmp_path: Path) -> None:
    """A store seeded by an older registry is re-seeded on open, and its stored events are
    re-resolved by the new registry (not left with the old ids until the next ingest)."""
    path = tmp_path / "old.duckdb"
    ged = tmp_path / "ged.csv"
    ged.write_text(
        "id,type_of_violence,side_a,side_b,country,date_start,best,latitude,longitude\n"
        "1,2,IS,Taleban,Afghanistan,2017-07-31,3,34.1,70.7\n"
        "2,1,Government of Russia (Soviet Union),Forces of the Caucasus Emirate,Russia,"
        "2011-03-02,2,43.3,45.7\n",
        encoding="utf-8",
    )
    with rs.open(path) as store:
        store.ingest_ucdp(ged)
        store.execute("UPDATE events SET actor2 = 'SOME_OLD_ID' WHERE source_id = '1'")
        store.execute("UPDATE events SET actor1 = 'SOME_OLD_ID' WHERE source_id = '2'")
        store.set_meta("seed", "an older registry")
    with rs.open(path) as store:
        events = store.events().to_pylist()
        assert [(e["actor1"], e["actor2"]) for e in events] == [
            ("RUS", "FORCES_OF_THE_CAUCASUS_EMIRATE"),
            ("ISKP", "TALIBAN"),
        ]
