"""The phases section: counts per phase and rate ratios at boundaries, checked against a hand
computation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.analysis import phases
from rivalscope.analysis.context import Dyad, Phase
from rivalscope.analysis.phases import rate_ratio
from tests.analysis.fixtures import UCDP_HEADER
from tests.conftest import shared_file

PHASES = (
    Phase("before the data", dt.date(2019, 1, 1), dt.date(2020, 1, 1)),
    Phase("early", dt.date(2020, 1, 1), dt.date(2020, 4, 1)),
    Phase("late", dt.date(2020, 4, 1), dt.date(2020, 7, 1)),
    Phase("after the data", dt.date(2020, 7, 1)),
)


def ucdp_row(
    id_: int, violence: int, side_a: str, side_b: str, day: str, best: int, province: str
) -> str:
    civilians = best if violence == 3 else ""
    return (
        f"{id_},{violence},{side_a},{side_b},Afghanistan,{day},{day},{best},{best},{best},"
        f"34.0,69.0,{province} province,{civilians}"
    )


ROWS = [
    # early (January to March 2020, 3 months): 3 clashes in 2 provinces, 6 deaths, no attack.
    ucdp_row(1, 2, "IS", "Taleban", "2020-01-05", 2, "Nangarhar"),
    ucdp_row(2, 2, "Taleban", "IS", "2020-02-10", 1, "Nangarhar"),
    ucdp_row(3, 2, "IS", "Taleban", "2020-03-15", 3, "Kunar"),
    ucdp_row(4, 1, "Government of Afghanistan", "Taleban", "2020-03-01", 10, "Helmand"),
    # late (April to June 2020, 3 months): 6 clashes in 4 provinces with 5 deaths, and two
    # attacks (one by each side) with 10 more.
    ucdp_row(5, 2, "IS", "Taleban", "2020-04-02", 1, "Nangarhar"),
    ucdp_row(6, 2, "IS", "Taleban", "2020-04-20", 1, "Jowzjan"),
    ucdp_row(7, 2, "Taleban", "IS", "2020-05-05", 0, "Jowzjan"),
    ucdp_row(8, 2, "IS", "Taleban", "2020-05-06", 2, "Kunar"),
    ucdp_row(9, 2, "IS", "Taleban", "2020-05-25", 0, "Nangarhar"),
    ucdp_row(10, 3, "IS", "Civilians", "2020-05-01", 7, "Kabul"),
    ucdp_row(11, 3, "Taleban", "Civilians", "2020-06-10", 3, "Kandahar"),
    ucdp_row(12, 2, "IS", "Taleban", "2020-06-30", 1, "Logar"),
]


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[rs.Store]:
    path = tmp_path / "ged.csv"
    path.write_text("\n".join([UCDP_HEADER, *ROWS]) + "\n", encoding="utf-8")
    with rs.open() as store:
        assert store.ingest_ucdp(path).rows_quarantined == 0
        yield store


def test_periods(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.periods.column_names == [
        "phase",
        "start",
        "end",
        "months",
        "clashes",
        "attacks",
        "deaths",
        "provinces",
    ]
    rows = [
        (
            row["phase"],
            row["months"],
            row["clashes"],
            row["attacks"],
            row["deaths"],
            row["provinces"],
        )
        for row in result.periods.to_pylist()
    ]
    assert rows == [
        ("before the data", 1, 0, 0, 0, 0),
        ("early", 3, 3, 0, 6, 2),
        ("late", 3, 6, 2, 15, 4),
        ("after the data", 1, 0, 0, 0, 0),
    ]
    assert result.periods.column("end").to_pylist()[-1] is None


def test_boundaries_against_a_hand_computation(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    rows = {row["measure"]: row for row in result.boundaries.to_pylist()}
    assert list(rows) == ["clashes", "attacks", "deaths", "spread"]
    for row in rows.values():
        assert (row["boundary"], row["before"], row["after"]) == (
            dt.date(2020, 4, 1),
            "early",
            "late",
        )
    expected = {
        # 3 then 6 clashes over 3 months each: RR = 2; se = sqrt(1/6 + 1/3) = 0.70711,
        # 1.96 * se = 1.38593, exp(-/+1.38593) = 0.25009 / 3.99854.
        "clashes": (1.0, 2.0, 2.0, 0.5002, 7.997),
        # 0 then 2 attacks: corrected to 0.5 and 2.5, RR = 5; se = sqrt(1/2.5 + 1/0.5) =
        # 1.54919, 1.96 * se = 3.03642, exp(-/+3.03642) = 0.048007 / 20.8305.
        "attacks": (0.0, 2 / 3, 5.0, 0.2400, 104.15),
        # 6 then 15 deaths: RR = 2.5; se = sqrt(1/15 + 1/6) = 0.48305, 1.96 * se = 0.94677,
        # exp(-/+0.94677) = 0.38799 / 2.57737.
        "deaths": (2.0, 5.0, 2.5, 0.9700, 6.4434),
        # 2 then 4 provinces: RR = 2; se = sqrt(1/4 + 1/2) = 0.86603, 1.96 * se = 1.69741,
        # exp(-/+1.69741) = 0.18316 / 5.45979.
        "spread": (2 / 3, 4 / 3, 2.0, 0.3663, 10.920),
    }
    for measure, numbers in expected.items():
        row = rows[measure]
        got = (
            row["rate_before"],
            row["rate_after"],
            row["rate_ratio"],
            row["ci_low"],
            row["ci_high"],
        )
        assert got == pytest.approx(numbers, rel=1e-3), measure


def test_rate_ratio_with_unequal_exposures() -> None:
    # 4 events in 2 months, then 9 in 3: RR = 3 / 2 = 1.5; se = sqrt(1/9 + 1/4) = 0.60093,
    # 1.96 * se = 1.17783, exp(-/+1.17783) = 0.30795 / 3.24727.
    assert rate_ratio(4, 2, 9, 3) == pytest.approx((1.5, 0.46193, 4.87090), rel=1e-4)
    # Both zero: the correction makes the ratio the inverse ratio of exposures.
    ratio, low, high = rate_ratio(0, 4, 0, 2)
    assert ratio == pytest.approx(2.0)
    assert low < 1 < high


def test_summary_names_the_busiest_phase(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.summary == (
        'Across 4 phases, Islamic State Khorasan Province and Taliban clashed most often in the phase "late" (2.0 a '
        "month). No change in the clash rate between consecutive phases is clear at 95%."
    )


def test_months_respect_the_window(loaded: rs.Store) -> None:
    dyad = Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", since="2020-02-01", phases=PHASES)
    result = phases.compute(dyad)
    months = dict(
        zip(
            result.periods.column("phase").to_pylist(),
            result.periods.column("months").to_pylist(),
            strict=True,
        )
    )
    assert months == {"before the data": 1, "early": 2, "late": 3, "after the data": 1}


def test_no_phases(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert result.periods.num_rows == result.boundaries.num_rows == 0
    assert result.boundaries.column_names == [
        "boundary",
        "before",
        "after",
        "measure",
        "rate_before",
        "rate_after",
        "rate_ratio",
        "ci_low",
        "ci_high",
        "coverage_edge",
    ]
    assert "No phases" in result.summary


def test_default_phases_on_an_empty_store(store: rs.Store) -> None:
    result = phases.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.periods.num_rows == 6
    assert set(result.periods.column("months").to_pylist()) == {1}
    assert result.boundaries.num_rows == 0
    assert result.summary.startswith("No events are recorded in the window")


@pytest.mark.realdata
def test_real_phases_compare_only_what_the_data_covers() -> None:
    with rs.open() as store:
        store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        result = phases.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert sum(result.periods.column("clashes").to_pylist()) == 71
    assert result.periods.column("months").to_pylist()[-1] == 1
    assert result.boundaries.num_rows == 4 * 4
    assert "against the Taliban state" not in result.boundaries.column("after").to_pylist()
