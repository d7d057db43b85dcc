"""The targets section on hand-made UCDP and ACLED rows with known answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.analysis import targets
from rivalscope.analysis.context import Dyad, Phase
from tests.analysis.fixtures import UCDP_HEADER

ACLED_HEADER = (
    "event_id_cnty,event_date,event_type,sub_event_type,actor1,assoc_actor_1,actor2,"
    "assoc_actor_2,inter1,inter2,civilian_targeting,country,iso,admin1,latitude,longitude,"
    "fatalities,notes"
)
PHASES = (
    Phase("first", dt.date(2016, 1, 1), dt.date(2017, 1, 1)),
    Phase("second", dt.date(2017, 1, 1)),
)


def ucdp_row(id_: int, violence: int, side_a: str, side_b: str, day: str) -> str:
    civilians = 1 if violence == 3 else ""
    return (
        f"{id_},{violence},{side_a},{side_b},Afghanistan,{day},{day},1,1,1,"
        f"34.0,69.0,Nangarhar province,{civilians}"
    )


def acled_row(id_: str, day: str, kind: str, sub: str, actor1: str, actor2: str) -> str:
    return f"{id_},{day},{kind},{sub},{actor1},,{actor2},,,,,Afghanistan,4,Nangarhar,34.2,70.5,1,"


UCDP_ROWS = [
    # ISKP as actor1: civilians three times in the first phase, once in the second, once
    # before any phase; the rival twice in the first phase.
    ucdp_row(1, 3, "IS", "Civilians", "2016-02-01"),
    ucdp_row(2, 3, "IS", "Civilians", "2016-03-01"),
    ucdp_row(3, 3, "IS", "Civilians", "2016-04-01"),
    ucdp_row(4, 3, "IS", "Civilians", "2017-02-01"),
    ucdp_row(5, 3, "IS", "Civilians", "2015-06-01"),
    ucdp_row(6, 2, "IS", "Taleban", "2016-05-01"),
    ucdp_row(7, 2, "IS", "Taleban", "2016-06-01"),
    # The Taliban as actor1: civilians in the first phase, ISKP in the second.
    ucdp_row(8, 3, "Taleban", "Civilians", "2016-07-01"),
    ucdp_row(9, 2, "Taleban", "IS", "2017-03-01"),
    # ISKP only as actor2: not its own target.
    ucdp_row(10, 1, "Government of Afghanistan", "IS", "2016-08-01"),
]
ACLED_ROWS = [
    acled_row(
        "AFG1",
        "10 April 2017",
        "Explosions/Remote violence",
        "Suicide bomb",
        "Islamic State Khorasan Province",
        "Military Forces of Afghanistan (2004-2021)",
    ),
    acled_row(
        "AFG2",
        "12 April 2017",
        "Battles",
        "Armed clash",
        "Taliban",
        "Military Forces of Afghanistan (2004-2021)",
    ),
    # Not an attack, clash or operation: left out.
    acled_row(
        "AFG3",
        "14 April 2017",
        "Strategic developments",
        "Headquarters or base established",
        "Islamic State Khorasan Province",
        "",
    ),
]


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[rs.Store]:
    ucdp = tmp_path / "ged.csv"
    ucdp.write_text("\n".join([UCDP_HEADER, *UCDP_ROWS]) + "\n", encoding="utf-8")
    acled = tmp_path / "acled.csv"
    acled.write_text("\n".join([ACLED_HEADER, *ACLED_ROWS]) + "\n", encoding="utf-8")
    with rs.open() as store:
        assert store.ingest_ucdp(ucdp).rows_quarantined == 0
        assert store.ingest_acled(acled).rows_quarantined == 0
        yield store


def rows_of(result: targets.Targets) -> list[tuple[str, str, str, int, float]]:
    return [
        (row["side"], row["phase"], row["target_type"], row["events"], round(row["share"], 6))
        for row in result.table.to_pylist()
    ]


def test_targets_per_side_and_phase(loaded: rs.Store) -> None:
    result = targets.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.table.column_names == ["side", "phase", "target_type", "events", "share"]
    assert [str(f.type) for f in result.table.schema] == [
        "string",
        "string",
        "string",
        "int64",
        "double",
    ]
    assert rows_of(result) == [
        ("ISKP", "all", "civilians", 5, 0.625),
        ("ISKP", "all", "rival", 2, 0.25),
        ("ISKP", "all", "state_security", 1, 0.125),
        ("ISKP", "first", "civilians", 3, 0.6),
        ("ISKP", "first", "rival", 2, 0.4),
        ("ISKP", "second", "civilians", 1, 0.5),
        ("ISKP", "second", "state_security", 1, 0.5),
        ("TALIBAN", "all", "civilians", 1, round(1 / 3, 6)),
        ("TALIBAN", "all", "rival", 1, round(1 / 3, 6)),
        ("TALIBAN", "all", "state_security", 1, round(1 / 3, 6)),
        ("TALIBAN", "first", "civilians", 1, 1.0),
        ("TALIBAN", "second", "rival", 1, 0.5),
        ("TALIBAN", "second", "state_security", 1, 0.5),
    ]
    assert result.summary == (
        "Of ISKP's 8 attacks, clashes and operations, 5 (62%) hit civilians, and TALIBAN in 2 "
        "(25%). Of TALIBAN's 3 attacks, clashes and operations, 1 (33%) hit civilians, and "
        "ISKP in 1 (33%)."
    )


def test_shares_sum_to_one_within_side_and_phase(loaded: rs.Store) -> None:
    result = targets.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    totals: dict[tuple[str, str], float] = {}
    for row in result.table.to_pylist():
        key = (row["side"], row["phase"])
        totals[key] = totals.get(key, 0.0) + row["share"]
    assert all(total == pytest.approx(1.0) for total in totals.values())


def test_without_phases_only_all(loaded: rs.Store) -> None:
    result = targets.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert set(result.table.column("phase").to_pylist()) == {"all"}
    assert result.table.num_rows == 6


def test_the_rival_is_seen_from_both_orders(loaded: rs.Store) -> None:
    result = targets.compute(Dyad.of(loaded, "TALIBAN", "ISKP", country="AFG", phases=()))
    sides = result.table.column("side").to_pylist()
    assert sides[0] == "TALIBAN"
    rival = {
        row["side"]: row["events"]
        for row in result.table.to_pylist()
        if row["target_type"] == "rival"
    }
    assert rival == {"ISKP": 2, "TALIBAN": 1}


def test_no_data_gives_an_empty_table_and_says_so(store: rs.Store) -> None:
    result = targets.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.table.num_rows == 0
    assert result.table.column_names == ["side", "phase", "target_type", "events", "share"]
    assert result.summary.startswith("Neither ISKP nor TALIBAN")
