"""The role model: which side of an event acted, as each source says, kept through every path."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import rivalscope as rs
from rivalscope.errors import InputError
from tests.analysis.fixtures import UCDP_HEADER, ucdp_row

ACLED_HEADER = (
    "event_id_cnty,event_date,event_type,sub_event_type,actor1,assoc_actor_1,actor2,"
    "assoc_actor_2,inter1,inter2,civilian_targeting,country,iso,admin1,latitude,longitude,"
    "fatalities,notes"
)


def acled_row(id_: str, kind: str, sub: str, actor1: str, actor2: str) -> str:
    return (
        f"{id_},10 April 2019,{kind},{sub},{actor1},,{actor2},,,,,Afghanistan,4,Nangarhar,"
        "34.2,70.5,1,"
    )


UCDP_ROWS = [
    ucdp_row(1, 1, "Government of Afghanistan", "IS", "2019-01-05", 3, "Nangarhar"),
    ucdp_row(2, 2, "IS", "Taleban", "2019-01-06", 3, "Nangarhar"),
    ucdp_row(3, 3, "IS", "Civilians", "2019-01-07", 3, "Kabul"),
]
ACLED_ROWS = [
    acled_row("AFG1", "Battles", "Armed clash", "Taliban", "Islamic State Khorasan Province"),
    acled_row(
        "AFG2",
        "Violence against civilians",
        "Attack",
        "Islamic State Khorasan Province",
        "Civilians (Afghanistan)",
    ),
    acled_row(
        "AFG3",
        "Explosions/Remote violence",
        "Air/drone strike",
        "Military Forces of Afghanistan (2004-2021)",
        "Islamic State Khorasan Province",
    ),
    acled_row("AFG4", "Protests", "Peaceful protest", "Protesters (Afghanistan)", ""),
    acled_row(
        "AFG5",
        "Strategic developments",
        "Arrests",
        "Military Forces of Afghanistan (2004-2021)",
        "Islamic State Khorasan Province",
    ),
]


def initiators(store: rs.Store) -> dict[str, str | None]:
    rows = store.query("SELECT event_id, initiator FROM events ORDER BY event_id").to_pylist()
    return {row["event_id"]: row["initiator"] for row in rows}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    ucdp = tmp_path / "ged.csv"
    ucdp.write_text("\n".join([UCDP_HEADER, *UCDP_ROWS]) + "\n", encoding="utf-8")
    acled = tmp_path / "acled.csv"
    acled.write_text("\n".join([ACLED_HEADER, *ACLED_ROWS]) + "\n", encoding="utf-8")
    return ucdp, acled


def test_each_source_names_an_initiator_only_where_it_says_so(
    store: rs.Store, files: tuple[Path, Path]
) -> None:
    store.ingest_ucdp(files[0])
    store.ingest_acled(files[1])
    assert initiators(store) == {
        "acled:AFG1": None,  # a battle: two sides fighting, no attacker
        "acled:AFG2": "actor1",  # violence against civilians: the perpetrator
        "acled:AFG3": "actor1",  # remote violence: the side that struck
        "acled:AFG4": None,
        "acled:AFG5": None,
        "ucdp:1": None,  # state-based: the government is listed first, whoever attacked
        "ucdp:2": None,  # non-state: the order is UCDP's, not the fight's
        "ucdp:3": "actor1",  # one-sided: side_a is the perpetrator
    }


def test_rows_written_by_code_follow_the_rule_unless_they_say(store: rs.Store) -> None:
    rows = pa.table(
        {
            "event_id": ["text:1", "text:2", "text:3"],
            "date_start": pa.array(["2019-01-01"] * 3, pa.string()).cast(pa.date32()),
            "event_type": ["attack", "clash", "clash"],
            "actor1": ["ISKP", "ISKP", "TALIBAN"],
            "actor2": ["CIVILIANS", "TALIBAN", "ISKP"],
            "initiator": [None, None, "actor1"],
        }
    )
    store.write_rows("events", rows, source="text")
    assert initiators(store) == {"text:1": "actor1", "text:2": None, "text:3": "actor1"}


def test_a_bad_initiator_names_the_row_and_column(store: rs.Store) -> None:
    rows = pa.table(
        {
            "event_id": ["text:1", "text:2"],
            "date_start": pa.array(["2019-01-01"] * 2, pa.string()).cast(pa.date32()),
            "event_type": ["attack", "attack"],
            "initiator": ["actor1", "attacker"],
        }
    )
    with pytest.raises(InputError, match="row 1: column initiator: 'attacker' is not one of"):
        store.write_rows("events", rows, source="text")


def test_the_fused_view_keeps_the_initiator_of_the_record_it_takes_actors_from(
    store: rs.Store, tmp_path: Path
) -> None:
    ucdp = tmp_path / "ged.csv"
    ucdp.write_text(
        "\n".join([UCDP_HEADER, ucdp_row(9, 3, "IS", "Civilians", "2019-04-10", 1, "Nangarhar")])
        + "\n",
        encoding="utf-8",
    )
    acled = tmp_path / "acled.csv"
    acled.write_text("\n".join([ACLED_HEADER, ACLED_ROWS[1]]) + "\n", encoding="utf-8")
    store.ingest_ucdp(ucdp)
    store.ingest_acled(acled)
    fused = store.events(source="fused").to_pylist()
    assert len(fused) == 1
    assert fused[0]["sources"] == ["acled", "ucdp"]
    assert fused[0]["initiator"] == "actor1"


def test_a_store_from_before_roles_is_given_them_and_reingests_unchanged(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "old.duckdb"
    with rs.open(path) as store:
        store.ingest_ucdp(files[0])
        store.ingest_acled(files[1])
        expected = initiators(store)
        with store.transaction():
            store.execute("ALTER TABLE events DROP COLUMN initiator")
            store.execute("DELETE FROM schema_version WHERE version >= 6")
    with rs.open(path) as store:
        assert initiators(store) == expected
        again = store.ingest_ucdp(files[0])
        assert (again.rows_unchanged, again.rows_stored) == (3, 0)
        fused = store.events(source="fused").to_pylist()
        assert {row["initiator"] for row in fused} == {None, "actor1"}


def test_influence_is_the_work_of_actor1_in_every_source(store: rs.Store) -> None:
    from rivalscope.roles import INFLUENCE_DIRECTED
    from rivalscope.schema import INFLUENCE_TYPES

    assert INFLUENCE_DIRECTED == INFLUENCE_TYPES
    rows = pa.table(
        {
            "event_id": [f"text:{kind}" for kind in INFLUENCE_TYPES],
            "date_start": pa.array(["2019-01-01"] * 5, pa.string()).cast(pa.date32()),
            "event_type": list(INFLUENCE_TYPES),
            "actor1": ["ISKP"] * 5,
        }
    )
    store.write_rows("events", rows, source="text")
    assert set(initiators(store).values()) == {"actor1"}
