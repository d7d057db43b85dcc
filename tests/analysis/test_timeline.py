"""The timeline section on hand-made UCDP and ACLED rows with known answers, and on real data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.analysis import timeline
from rivalscope.analysis.context import Dyad
from tests.analysis.fixtures import UCDP_HEADER, ucdp_row
from tests.conftest import shared_file

ACLED_HEADER = (
    "event_id_cnty,event_date,event_type,sub_event_type,actor1,assoc_actor_1,actor2,"
    "assoc_actor_2,inter1,inter2,civilian_targeting,country,iso,admin1,latitude,longitude,"
    "fatalities,notes"
)


UCDP_ROWS = [
    ucdp_row(1, 2, "IS", "Taleban", "2017-01-05", 3, "Nangarhar"),
    ucdp_row(2, 2, "Taleban", "IS", "2017-01-20", 2, "Nangarhar"),
    ucdp_row(3, 3, "IS", "Civilians", "2017-02-14", 10, "Kabul"),
    ucdp_row(4, 3, "Taleban", "Civilians", "2017-04-01", 1, "Kandahar"),
    ucdp_row(5, 2, "IS", "Taleban", "2018-02-01", 4, "Jowzjan"),
    # ISKP's fight with the state: UCDP lists the government first, and names no initiator.
    ucdp_row(6, 1, "Government of Afghanistan", "IS", "2016-12-15", 7, "Nangarhar"),
    # Outside Afghanistan: left out when the dyad is limited to AFG.
    ucdp_row(7, 2, "IS", "Taleban", "2017-01-10", 5, "Khyber Pakhtunkhwa", "Pakistan"),
]
ACLED_ROWS = [
    "AFG1,20 February 2017,Explosions/Remote violence,Air/drone strike,"
    "Military Forces of Afghanistan (2004-2021),,Islamic State Khorasan Province,,"
    "State forces,Political militia,,Afghanistan,4,Nangarhar,34.2,70.5,6,strike on ISKP",
    "AFG2,5 March 2017,Explosions/Remote violence,Air/drone strike,"
    "Military Forces of Afghanistan (2004-2021),,Taliban,,"
    "State forces,Rebel group,,Afghanistan,4,Helmand,31.6,64.4,2,strike on the Taliban",
    "AFG3,8 March 2017,Battles,Armed clash,Taliban,,Islamic State Khorasan Province,,"
    "Rebel group,Political militia,,Afghanistan,4,Nangarhar,34.2,70.5,5,clash",
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


def test_monthly_counts_each_measure_and_fills_the_gaps(loaded: rs.Store) -> None:
    result = timeline.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    monthly = result.monthly
    assert monthly.column_names == [
        "month",
        "clashes",
        "clash_deaths",
        "attacks_by_actor",
        "attacks_by_rival",
        "state_fights_actor",
        "state_fights_rival",
        "state_ops_on_actor",
        "state_ops_on_rival",
    ]
    months = monthly.column("month").to_pylist()
    assert months[0] == dt.date(2016, 12, 1)
    assert months[-1] == dt.date(2018, 2, 1)
    assert len(months) == 15
    rows = {row.pop("month"): row for row in monthly.to_pylist()}
    busy = {month: row for month, row in rows.items() if any(row.values())}
    zero = dict.fromkeys(monthly.column_names[1:], 0)
    assert busy == {
        dt.date(2016, 12, 1): {**zero, "state_fights_actor": 1},
        dt.date(2017, 1, 1): {**zero, "clashes": 2, "clash_deaths": 5},
        dt.date(2017, 2, 1): {**zero, "attacks_by_actor": 1, "state_ops_on_actor": 1},
        dt.date(2017, 3, 1): {**zero, "clashes": 1, "clash_deaths": 5, "state_ops_on_rival": 1},
        dt.date(2017, 4, 1): {**zero, "attacks_by_rival": 1},
        dt.date(2018, 2, 1): {**zero, "clashes": 1, "clash_deaths": 4},
    }


def test_yearly_and_by_source(loaded: rs.Store) -> None:
    result = timeline.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert result.yearly.to_pylist() == [
        {"year": 2017, "clashes": 3, "clash_deaths": 10},
        {"year": 2018, "clashes": 1, "clash_deaths": 4},
    ]
    assert result.by_source.to_pylist() == [
        {"actor": "ISKP", "source": "acled", "events": 2},
        {"actor": "ISKP", "source": "ucdp", "events": 5},
        {"actor": "TALIBAN", "source": "acled", "events": 2},
        {"actor": "TALIBAN", "source": "ucdp", "events": 4},
    ]
    assert result.summary == (
        "Islamic State Khorasan Province and Taliban clashed 4 times from January 2017 to "
        "February 2018, with 14 deaths (best estimates); the busiest year was 2017 with 3 "
        "clashes. In the window Islamic State Khorasan Province fought the state once and "
        "Taliban 0 times; the sources name Islamic State Khorasan Province as the attacker in "
        "1 attack and Taliban in 1; state operations (air and drone strikes, raids, arrests) "
        "were aimed at Islamic State Khorasan Province once and at Taliban once."
    )


def test_ucdp_alone_says_it_does_not_type_state_operations(loaded: rs.Store) -> None:
    result = timeline.compute(
        Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=(), source="ucdp")
    )
    assert result.summary.endswith(
        "UCDP does not tell state operations (air and drone strikes, raids) from other "
        "fighting, so any are among the fights with the state."
    )
    assert "no state operation" not in result.summary


def test_schema_types(loaded: rs.Store) -> None:
    result = timeline.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert str(result.monthly.schema.field("month").type) == "date32[day]"
    assert {str(f.type) for f in result.monthly.schema if f.name != "month"} == {"int64"}
    assert [str(f.type) for f in result.yearly.schema] == ["int64"] * 3
    assert [str(f.type) for f in result.by_source.schema] == ["string", "string", "int64"]


def test_without_a_country_the_pakistani_clash_counts(loaded: rs.Store) -> None:
    result = timeline.compute(Dyad.of(loaded, "ISKP", "TALIBAN", phases=()))
    assert result.yearly.to_pylist()[0] == {"year": 2017, "clashes": 4, "clash_deaths": 15}


def test_the_window_limits_the_months(loaded: rs.Store) -> None:
    dyad = Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", since="2017-02-01", until="2017-12-31")
    result = timeline.compute(dyad)
    assert result.monthly.column("month").to_pylist() == [
        dt.date(2017, 2, 1),
        dt.date(2017, 3, 1),
        dt.date(2017, 4, 1),
    ]
    assert result.yearly.to_pylist() == [{"year": 2017, "clashes": 1, "clash_deaths": 5}]
    assert result.monthly.column("state_fights_actor").to_pylist() == [0, 0, 0]


def test_no_data_gives_empty_tables_and_says_so(store: rs.Store) -> None:
    result = timeline.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.monthly.num_rows == result.yearly.num_rows == result.by_source.num_rows == 0
    assert result.monthly.column_names[0] == "month"
    assert result.yearly.column_names == ["year", "clashes", "clash_deaths"]
    assert result.by_source.column_names == ["actor", "source", "events"]
    assert result.summary.startswith(
        "No clashes between Islamic State Khorasan Province and Taliban"
    )


@pytest.fixture(scope="module")
def real_store() -> Iterator[rs.Store]:
    with rs.open() as store:
        store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        yield store


@pytest.mark.realdata
def test_real_clashes_per_year(real_store: rs.Store) -> None:
    result = timeline.compute(Dyad.of(real_store, "ISKP", "TALIBAN", country="AFG"))
    yearly = {row["year"]: row for row in result.yearly.to_pylist()}
    assert {year: row["clashes"] for year, row in yearly.items() if row["clashes"]} == {
        2015: 15,
        2016: 17,
        2017: 27,
        2018: 11,
        2019: 1,
    }
    assert sum(row["clash_deaths"] for row in yearly.values()) == 538
    assert sum(result.monthly.column("clash_deaths").to_pylist()) == 538
    assert result.summary.startswith("Islamic State Khorasan Province and Taliban clashed 71 times")
    totals = {
        name: sum(result.monthly.column(name).to_pylist())
        for name in ("state_fights_actor", "attacks_by_actor", "state_ops_on_actor")
    }
    assert totals == {"state_fights_actor": 677, "attacks_by_actor": 78, "state_ops_on_actor": 0}


def test_after_the_takeover_fights_with_the_taliban_are_fights_with_the_state(
    tmp_path: Path,
) -> None:
    rows = [
        "AFG9,10 October 2021,Battles,Armed clash,Military Forces of Afghanistan (2021-),,"
        "Islamic State Khorasan Province,,State forces,Political militia,,Afghanistan,4,"
        "Nangarhar,34.2,70.5,4,clash",
        "AFG10,12 October 2021,Explosions/Remote violence,Air/drone strike,"
        "Military Forces of Afghanistan (2021-),,Islamic State Khorasan Province,,"
        "State forces,Political militia,,Afghanistan,4,Nangarhar,34.2,70.5,2,strike",
    ]
    acled = tmp_path / "acled.csv"
    acled.write_text("\n".join([ACLED_HEADER, *rows]) + "\n", encoding="utf-8")
    with rs.open() as store:
        store.ingest_acled(acled)
        result = timeline.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG", phases=()))
    totals = {
        name: sum(result.monthly.column(name).to_pylist()) for name in timeline.MONTHLY_MEASURES
    }
    assert totals["clashes"] == 1, "a clash with the rival"
    assert totals["state_fights_actor"] == 1, "the rival is the state now"
    assert totals["state_fights_rival"] == 0
    assert (totals["state_ops_on_actor"], totals["state_ops_on_rival"]) == (1, 0)
