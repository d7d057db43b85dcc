"""The targets section on hand-made UCDP and ACLED rows with known answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
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


def rows_of(result: targets.Targets) -> list[tuple[object, ...]]:
    return [
        (
            row["side"],
            row["phase"],
            row["relation"],
            row["events"],
            row["clashes"],
            row["attacks"],
            row["other"],
            row["acted_side"],
            row["acted_unknown"],
        )
        for row in result.table.to_pylist()
    ]


def test_each_side_counts_its_events_on_either_side(loaded: rs.Store) -> None:
    result = targets.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.table.column_names == [
        "side",
        "phase",
        "relation",
        "events",
        "share",
        "clashes",
        "attacks",
        "state_operations",
        "other",
        "acted_side",
        "acted_other",
        "acted_unknown",
    ]
    assert rows_of(result) == [
        # side, phase, relation, events, clashes, attacks, other, acted by side, by no one
        ("ISKP", "all", "rival", 3, 3, 0, 0, 0, 3),
        ("ISKP", "all", "state", 2, 1, 1, 0, 1, 1),
        ("ISKP", "all", "civilians", 5, 0, 5, 0, 5, 0),
        ("ISKP", "all", "unknown", 1, 0, 0, 1, 0, 1),
        ("ISKP", "first", "rival", 2, 2, 0, 0, 0, 2),
        ("ISKP", "first", "state", 1, 1, 0, 0, 0, 1),
        ("ISKP", "first", "civilians", 3, 0, 3, 0, 3, 0),
        ("ISKP", "second", "rival", 1, 1, 0, 0, 0, 1),
        ("ISKP", "second", "state", 1, 0, 1, 0, 1, 0),
        ("ISKP", "second", "civilians", 1, 0, 1, 0, 1, 0),
        ("ISKP", "second", "unknown", 1, 0, 0, 1, 0, 1),
        ("TALIBAN", "all", "rival", 3, 3, 0, 0, 0, 3),
        ("TALIBAN", "all", "state", 1, 1, 0, 0, 0, 1),
        ("TALIBAN", "all", "civilians", 1, 0, 1, 0, 1, 0),
        ("TALIBAN", "first", "rival", 2, 2, 0, 0, 0, 2),
        ("TALIBAN", "first", "civilians", 1, 0, 1, 0, 1, 0),
        ("TALIBAN", "second", "rival", 1, 1, 0, 0, 0, 1),
        ("TALIBAN", "second", "state", 1, 1, 0, 0, 0, 1),
    ]
    assert result.attacks.to_pylist() == [
        {"side": "ISKP", "phase": "all", "target_type": "civilians", "events": 5, "share": 5 / 6},
        {
            "side": "ISKP",
            "phase": "all",
            "target_type": "state_security",
            "events": 1,
            "share": 1 / 6,
        },
        {"side": "ISKP", "phase": "first", "target_type": "civilians", "events": 3, "share": 1.0},
        {"side": "ISKP", "phase": "second", "target_type": "civilians", "events": 1, "share": 0.5},
        {
            "side": "ISKP",
            "phase": "second",
            "target_type": "state_security",
            "events": 1,
            "share": 0.5,
        },
        {"side": "TALIBAN", "phase": "all", "target_type": "civilians", "events": 1, "share": 1.0},
        {
            "side": "TALIBAN",
            "phase": "first",
            "target_type": "civilians",
            "events": 1,
            "share": 1.0,
        },
    ]
    assert result.summary == (
        "Islamic State Khorasan Province took part in 11 events: 5 (45%) against civilians, "
        "3 (27%) against Taliban, 2 (18%) against the state (Islamic Republic of Afghanistan) "
        "and 1 (9%) with no named counterpart. The sources name who acted in 6 of them: "
        "Islamic State Khorasan Province in 6; 83% of the attacks and operations of Islamic "
        "State Khorasan Province hit civilians; in the other 5 they name no initiator, so "
        "neither side is credited with starting them. Taliban took part in 5 events: 3 (60%) "
        "against Islamic State Khorasan Province, 1 (20%) against the state (Islamic Republic "
        "of Afghanistan) and 1 (20%) against civilians. The sources name who acted in 1 of "
        "them: Taliban in 1; every attack or operation of Taliban hit civilians; in the other "
        "4 they name no initiator, so neither side is credited with starting them."
    )


def test_no_side_is_credited_with_a_clash(loaded: rs.Store) -> None:
    """UCDP lists IS first in its non-state dyad with the Taliban: that is not an initiative."""
    result = targets.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    rival = [row for row in result.table.to_pylist() if row["relation"] == "rival"]
    assert [(r["side"], r["acted_side"], r["acted_other"]) for r in rival] == [
        ("ISKP", 0, 0),
        ("TALIBAN", 0, 0),
    ]


def test_state_operations_are_the_other_sides_act(loaded: rs.Store, tmp_path: Path) -> None:
    result = targets.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert result.table.filter(pc.equal(result.table["state_operations"], 1)).num_rows == 0
    strike = (
        "event_id_cnty,event_date,event_type,sub_event_type,actor1,assoc_actor_1,actor2,"
        "assoc_actor_2,inter1,inter2,civilian_targeting,country,iso,admin1,latitude,longitude,"
        "fatalities,notes\n"
        "AFG9,20 May 2017,Explosions/Remote violence,Air/drone strike,"
        "Military Forces of Afghanistan (2004-2021),,Islamic State Khorasan Province,,,,,"
        "Afghanistan,4,Nangarhar,34.2,70.5,6,\n"
    )
    more = tmp_path / "strike.csv"
    more.write_text(strike, encoding="utf-8")
    loaded.ingest_acled(more)
    result = targets.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    state = next(
        r for r in result.table.to_pylist() if r["relation"] == "state" and r["side"] == "ISKP"
    )
    assert (state["state_operations"], state["acted_other"]) == (1, 1)
    assert "the other side in 1" in result.summary


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
    assert result.table.num_rows == 7


def test_no_data_gives_an_empty_table_and_says_so(store: rs.Store) -> None:
    result = targets.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.table.num_rows == result.attacks.num_rows == 0
    assert result.summary == (
        "No event of Islamic State Khorasan Province is recorded in the window. "
        "No event of Taliban is recorded in the window."
    )
