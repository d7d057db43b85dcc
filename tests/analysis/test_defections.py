"""Defections: flows and the defections-clashes claim on hand-made stores with known answers."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

import rivalscope as rs
from rivalscope.analysis import defections
from rivalscope.analysis.context import Dyad
from tests.analysis.fixtures import UCDP_HEADER, ucdp_row
from tests.conftest import shared_file

CLASHES = {"Nangarhar": 5, "Kunar": 3, "Kabul": 1, "Laghman": 0, "Herat": 2, "Balkh": 0}
CODES = {
    "Nangarhar": "AF-NAN",
    "Kunar": "AF-KNR",
    "Kabul": "AF-KAB",
    "Laghman": "AF-LAG",
    "Herat": "AF-HER",
    "Balkh": "AF-BAL",
}
DEFECTIONS_HEADER = (
    "date,from_actor,to_actor,person,role,fighters,country,admin1,admin2,source,notes"
)
DEFECTIONS = (
    "2020-03-01,Taliban,ISKP,Person A,commander,10,Afghanistan,Nangarhar,Achin,report 1,",
    "2020-03-15,ISKP,Taliban,,fighter,,Afghanistan,Nangarhar,,report 2,returned",
    "2020-04-02,Taliban,ISIS-K,,fighter,5,Afghanistan,Herat,,report 3,",
    "2020-04-20,Taliban,ISKP,,fighter,2,Afghanistan,,,report 4,province unknown",
    "2020-05-01,ISKP,Government of Afghanistan,,fighter,3,Afghanistan,Kabul,,report 5,",
    "2020-05-02,Government of Afghanistan,Taliban,,soldier,7,Afghanistan,Kunar,,report 6,",
    "2020-05-03,Government of Afghanistan,Hizb-i Islami,,fighter,4,Afghanistan,Kunar,,r7,",
)


def _ged(tmp_path: Path) -> Path:
    """ISKP-Taliban clashes per province as in CLASHES; one other event in every province."""
    rows = [UCDP_HEADER]
    for province, clashes in CLASHES.items():
        for n in range(clashes):
            day = dt.date(2020, 2, 1) + dt.timedelta(days=9 * n)
            rows.append(
                f"{len(rows)},2,IS,Taleban,Afghanistan,{day},{day},3,3,3,34.4,70.4,"
                f"{province} province,0"
            )
        rows.append(
            f"{len(rows)},1,Government of Afghanistan,Taleban,Afghanistan,2020-01-10,2020-01-10,"
            f"2,2,2,34.4,70.4,{province} province,"
        )
    path = tmp_path / "ged.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _defections(tmp_path: Path, lines: tuple[str, ...] = DEFECTIONS) -> Path:
    path = tmp_path / "defections.csv"
    path.write_text("\n".join((DEFECTIONS_HEADER, *lines)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(store: rs.Store, tmp_path: Path) -> rs.Store:
    store.ingest_ucdp(_ged(tmp_path))
    result = store.ingest_defections(_defections(tmp_path))
    assert result.rows_quarantined == 0
    return store


def test_flows(loaded: rs.Store) -> None:
    result = defections.compute(Dyad.of(loaded, "ISKP", "TALIBAN"), n_perm=200)
    assert result.flows.schema == defections.FLOW_SCHEMA
    assert [tuple(row.values()) for row in result.flows.to_pylist()] == [
        ("TALIBAN", "ISKP", 3, 17, "both"),
        ("AFG_REPUBLIC", "TALIBAN", 1, 7, "rival"),
        ("ISKP", "AFG_REPUBLIC", 1, 3, "actor"),
        ("ISKP", "TALIBAN", 1, 0, "both"),
    ]


def test_by_province_month(loaded: rs.Store) -> None:
    result = defections.compute(Dyad.of(loaded, "ISKP", "TALIBAN"), n_perm=200)
    assert result.by_province_month.schema == defections.PROVINCE_MONTH_SCHEMA
    march, april, may = dt.date(2020, 3, 1), dt.date(2020, 4, 1), dt.date(2020, 5, 1)
    rows = {tuple(row.values()) for row in result.by_province_month.to_pylist()}
    assert rows == {
        ("AF-NAN", march, "TALIBAN", "ISKP", 1, 10),
        ("AF-NAN", march, "ISKP", "TALIBAN", 1, 0),
        ("AF-HER", april, "TALIBAN", "ISKP", 1, 5),
        (None, april, "TALIBAN", "ISKP", 1, 2),
        ("AF-KAB", may, "ISKP", "AFG_REPUBLIC", 1, 3),
        ("AF-KNR", may, "AFG_REPUBLIC", "TALIBAN", 1, 7),
    }
    months = result.by_province_month.column("month").to_pylist()
    assert months == sorted(months)


def test_records_keep_the_person(loaded: rs.Store) -> None:
    result = defections.compute(Dyad.of(loaded, "ISKP", "TALIBAN"), n_perm=200)
    assert result.records.schema == defections.RECORD_SCHEMA
    assert result.records.num_rows == 6
    first = result.records.to_pylist()[0]
    assert first["person"] == "Person A"
    assert (first["from_actor"], first["to_actor"], first["admin2"]) == ("TALIBAN", "ISKP", "Achin")
    assert first["fighters"] == 10
    assert result.records.column("fighters").to_pylist()[1] is None
    assert result.records.column("date").to_pylist() == sorted(
        result.records.column("date").to_pylist()
    )


# --- The claim: constructed stores -------------------------------------------------------------

START = dt.date(2019, 1, 1)
TREATED = ("Nangarhar", "Kunar", "Laghman", "Kabul", "Logar", "Khost", "Paktia", "Ghazni")
OTHERS = ("Herat", "Balkh", "Kandahar", "Helmand", "Kunduz", "Baghlan", "Farah", "Zabul")


def _day(month: int, day: int = 1) -> dt.date:
    """Day ``day`` of the ``month``-th month from January 2019 (0 is January 2019)."""
    year, index = divmod(month, 12)
    return dt.date(START.year + year, index + 1, day)


class Events:
    """A UCDP file built event by event: clashes between IS (ISKP here) and the Taliban, and
    other activity of the Taliban (a state-based event with the government)."""

    def __init__(self) -> None:
        self.rows = [UCDP_HEADER]

    def clash(self, province: str, month: int, n: int = 1) -> None:
        for k in range(n):
            day = _day(month, 2 + k % 26)
            self.rows.append(ucdp_row(len(self.rows), 2, "IS", "Taleban", str(day), 2, province))

    def activity(self, province: str, month: int) -> None:
        day = _day(month, 28)
        self.rows.append(
            ucdp_row(
                len(self.rows), 1, "Government of Afghanistan", "Taleban", str(day), 1, province
            )
        )

    def load(self, store: rs.Store, tmp_path: Path, defections_at: dict[str, int]) -> None:
        ged = tmp_path / "constructed_ged.csv"
        ged.write_text("\n".join(self.rows) + "\n", encoding="utf-8")
        store.ingest_ucdp(ged)
        lines = tuple(
            f"{_day(month, 15)},Taliban,ISKP,,fighter,3,Afghanistan,{province},,report {n},"
            for n, (province, month) in enumerate(sorted(defections_at.items()))
        )
        result = store.ingest_defections(_defections(tmp_path, lines))
        assert result.rows_quarantined == 0


def test_legacy_defections_after_every_clash_cannot_support(loaded: rs.Store) -> None:
    """Both provinces with a defection between the two had their clashes before it and no
    activity after: nothing to compare, where the old test found 3.5 times as many clashes."""
    result = defections.compute(Dyad.of(loaded, "ISKP", "TALIBAN"), n_perm=200)
    claim = result.claim
    assert (claim.provinces_with, claim.provinces_compared) == (2, 0)
    assert claim.testable is False and claim.conclusive is False
    assert math.isnan(claim.p_value) and claim.n_perm == 0
    rows = {row["admin1_code"]: row for row in result.claim_provinces.to_pylist()}
    assert result.claim_provinces.schema == defections.CLAIM_PROVINCE_SCHEMA
    assert rows["AF-NAN"]["first_defection"] == dt.date(2020, 3, 1)
    # January 2020 is before ISKP's first event (February): not a month a clash could happen.
    assert (rows["AF-NAN"]["active_months_before"], rows["AF-NAN"]["clashes_before"]) == (1, 4)
    assert (rows["AF-NAN"]["active_months_after"], rows["AF-NAN"]["compared"]) == (0, False)
    assert "cannot be tested: none of the 2 provinces" in result.summary
    assert "after the activity cannot support it" in result.summary


def test_a_defection_after_all_clashes_is_no_support(store: rs.Store, tmp_path: Path) -> None:
    events = Events()
    for province in TREATED[:6]:
        for month in range(24):
            events.activity(province, month)
        for month in range(10):
            events.clash(province, month)
    for province in OTHERS[:6]:
        for month in range(24):
            events.activity(province, month)
            if month % 2:
                events.clash(province, month)
    events.load(store, tmp_path, dict.fromkeys(TREATED[:6], 20))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_perm=2000, seed=3)
    claim = result.claim
    assert (claim.provinces_with, claim.provinces_compared, claim.provinces_without) == (6, 6, 6)
    assert (claim.clashes_before, claim.months_before) == (60, 120)
    assert (claim.clashes_after, claim.months_after) == (0, 18)
    assert claim.rate_ratio < 1
    assert claim.ci_high < 1
    assert claim.p_value > 0.5
    assert claim.conclusive is True
    assert "less frequent after defections" in result.summary
    assert "does not support the claim" in result.summary
    assert "more frequent after defections than before" not in result.summary


def test_one_busy_province_does_not_make_a_small_p_value(store: rs.Store, tmp_path: Path) -> None:
    """Nangarhar is active every month with the most clashes; its one defection in the middle
    changes nothing: the old per-province test would put it far above the quiet provinces."""
    events = Events()
    for month in range(24):
        events.activity("Nangarhar", month)
        events.clash("Nangarhar", month, 3)
    for province in OTHERS:
        for month in (2, 5, 8, 14, 17, 20):
            events.activity(province, month)
        events.clash(province, 5)
        events.clash(province, 17)
    events.load(store, tmp_path, {"Nangarhar": 12})
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_perm=4000, seed=1)
    claim = result.claim
    assert (claim.provinces_with, claim.provinces_compared, claim.provinces_without) == (1, 1, 8)
    assert claim.rate_before == pytest.approx(3.0)
    assert claim.rate_after == pytest.approx(3.0)
    assert claim.within_ratio == pytest.approx(1.0)
    assert claim.control_ratio == pytest.approx(1.0)
    assert claim.rate_ratio == pytest.approx(1.0)
    assert claim.p_value > 0.2
    assert claim.conclusive is False
    assert any("only 1 province" in reason for reason in claim.reasons)
    assert "too thin to conclude" in result.summary
    assert "In the one province with a recorded defection between Islamic State" in result.summary


def test_exposure_is_active_province_months(store: rs.Store, tmp_path: Path) -> None:
    """Kunar is active in 6 of the 12 months before its defection (3 clashes) and in 2 of the
    11 after (4 clashes): 0.5 against 2.0 per active month, not 0.25 against 0.36 per month."""
    events = Events()
    for month in (0, 2, 4, 6, 8, 10):
        events.activity("Kunar", month)
    for month in (2, 4, 6):
        events.clash("Kunar", month)
    for month in (14, 22):
        events.activity("Kunar", month)
        events.clash("Kunar", month, 2)
    events.clash("Kunar", 12, 5)  # the defection's month: its order is unknown, left out
    for month in range(24):
        events.activity("Herat", month)
        events.clash("Herat", month)
    events.load(store, tmp_path, {"Kunar": 12})
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"), n_perm=500)
    claim = result.claim
    assert (claim.clashes_before, claim.months_before) == (3, 6)
    assert (claim.clashes_after, claim.months_after) == (4, 2)
    assert claim.rate_before == pytest.approx(0.5)
    assert claim.rate_after == pytest.approx(2.0)
    assert claim.within_ratio == pytest.approx(4.0)
    assert claim.within_ci_low < 4.0 < claim.within_ci_high
    # Herat, the one other active province (not the 33 quiet ones), clashes every month.
    assert claim.provinces_without == 1
    assert claim.control_rate_before == pytest.approx(1.0)
    assert claim.control_ratio == pytest.approx(1.0)
    assert claim.rate_ratio == pytest.approx(4.0)
    row = result.claim_provinces.to_pylist()[0]
    assert row == {
        "admin1_code": "AF-KNR",
        "first_defection": dt.date(2020, 1, 15),
        "active_months_before": 6,
        "clashes_before": 3,
        "active_months_after": 2,
        "clashes_after": 4,
        "compared": True,
    }
    assert "0.50 before" in result.summary and "2.00 per active province-month" in result.summary


def _planted(store: rs.Store, tmp_path: Path) -> None:
    """Eight provinces whose clashes rise fourfold after their defection (months 10 to 24),
    eight without one; every province active every month of three years."""
    rng = np.random.default_rng(42)
    events = Events()
    defected = {province: 10 + 2 * i for i, province in enumerate(TREATED)}
    for province in TREATED + OTHERS:
        for month in range(36):
            events.activity(province, month)
            after = province in defected and month > defected[province]
            events.clash(province, month, int(rng.poisson(1.6 if after else 0.4)))
    events.load(store, tmp_path, defected)


def test_a_planted_effect_is_found(store: rs.Store, tmp_path: Path) -> None:
    _planted(store, tmp_path)
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_perm=2000, n_boot=500)
    claim = result.claim
    assert (claim.provinces_with, claim.provinces_compared, claim.provinces_without) == (8, 8, 8)
    assert 2.5 < claim.rate_ratio < 6.5
    assert 1 < claim.ci_low < claim.rate_ratio < claim.ci_high
    assert claim.within_ci_low > 1
    assert claim.p_value < 0.01
    assert claim.conclusive is True and claim.reasons == ()
    assert "more frequent after defections than before" in result.summary
    assert "Islamic State Khorasan Province and Taliban" in result.summary
    for word in ("ISKP", "TALIBAN", "caus", "because", "led to", "drove"):
        assert word not in result.summary


def test_the_claim_is_seeded(store: rs.Store, tmp_path: Path) -> None:
    _planted(store, tmp_path)
    dyad = Dyad.of(store, "ISKP", "TALIBAN")
    first = defections.compute(dyad, n_perm=300, n_boot=200, seed=7)
    again = defections.compute(dyad, n_perm=300, n_boot=200, seed=7)
    other = defections.compute(dyad, n_perm=300, n_boot=200, seed=8)
    assert first.claim == again.claim
    assert first.summary == again.summary
    assert other.claim.rate_ratio == first.claim.rate_ratio
    assert (other.claim.ci_low, other.claim.ci_high) != (first.claim.ci_low, first.claim.ci_high)


def test_no_defections_loaded(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_ged(tmp_path))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    for table, schema in (
        (result.flows, defections.FLOW_SCHEMA),
        (result.by_province_month, defections.PROVINCE_MONTH_SCHEMA),
        (result.records, defections.RECORD_SCHEMA),
        (result.claim_provinces, defections.CLAIM_PROVINCE_SCHEMA),
    ):
        assert table.num_rows == 0
        assert table.schema == schema
    assert result.claim.testable is False
    assert math.isnan(result.claim.p_value)
    assert result.claim.n_perm == 0
    # Laghman and Balkh saw no event of either in the months both are on record.
    assert result.claim.provinces_without == 4
    assert result.summary.startswith("No defection records are loaded")
    assert "cannot be tested" in result.summary


def test_no_defection_between_the_two(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_ged(tmp_path))
    store.ingest_defections(_defections(tmp_path, DEFECTIONS[4:]))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN"))
    assert result.flows.column("involves").to_pylist() == ["rival", "actor"]
    assert result.claim.testable is False
    assert result.claim.provinces_with == 0
    assert (
        "cannot be tested: no defection between Islamic State Khorasan Province and Taliban"
        in result.summary
    )


def test_empty_store(store: rs.Store) -> None:
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN"))
    assert result.claim.testable is False
    assert result.claim_provinces.num_rows == 0


@pytest.mark.realdata
def test_real_ged_claim_without_defections(store: rs.Store) -> None:
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    claim = result.claim
    assert (claim.provinces_with, claim.provinces_compared) == (0, 0)
    assert 0 < claim.provinces_without <= 34
    assert claim.testable is False
    assert "cannot be tested" in result.summary


@pytest.mark.realdata
def test_real_ged_one_defection_in_nangarhar_proves_nothing(
    store: rs.Store, tmp_path: Path
) -> None:
    """The case behind the issue: one defection record in Nangarhar, the most active province,
    gave p = 0.030 under the old per-province test."""
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    store.ingest_defections(_defections(tmp_path, DEFECTIONS[:1]))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    claim = result.claim
    assert claim.provinces_with == 1
    assert claim.conclusive is False
    assert "too thin to conclude" in result.summary or "cannot be tested" in result.summary


@pytest.mark.parametrize("name", ["n_perm", "n_boot", "min_provinces"])
def test_draws_need_at_least_one(store: rs.Store, name: str) -> None:
    with pytest.raises(rs.InputError, match=name):
        defections.compute(Dyad.of(store, "ISKP", "TALIBAN"), **{name: 0})
