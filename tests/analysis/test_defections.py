"""Defections: flows and the defections-clashes claim on hand-made files with known answers."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

import rivalscope as rs
from rivalscope.analysis import defections
from rivalscope.analysis.context import Dyad
from tests.analysis.fixtures import UCDP_HEADER
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


def _exact_p(counts: list[int], labelled: int) -> float:
    """The permutation p-value by enumeration: share of assignments at least as extreme."""
    values = np.array(counts, dtype=float)
    observed = values[:labelled].mean() - values[labelled:].mean()
    extreme = total = 0
    for chosen in itertools.combinations(range(len(values)), labelled):
        mask = np.zeros(len(values), dtype=bool)
        mask[list(chosen)] = True
        total += 1
        extreme += values[mask].mean() - values[~mask].mean() >= observed - 1e-9
    return extreme / total


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


def test_claim_numbers_and_exact_p_value(loaded: rs.Store) -> None:
    result = defections.compute(Dyad.of(loaded, "ISKP", "TALIBAN"), n_perm=20_000, seed=1)
    claim = result.claim
    assert claim.testable is True
    assert (claim.provinces_with, claim.provinces_without) == (2, 4)
    assert (claim.clashes_with, claim.clashes_without) == (7, 4)
    assert claim.rate_with == pytest.approx(3.5)
    assert claim.rate_without == pytest.approx(1.0)
    assert claim.rate_ratio == pytest.approx(3.5)
    assert claim.n_perm == 20_000
    exact = _exact_p([5, 2, 3, 1, 0, 0], 2)
    assert exact == pytest.approx(2 / 15)
    assert claim.p_value == pytest.approx(exact, abs=0.02)
    assert "2 of 6" in result.summary
    assert "3.5 times as many clashes per province" in result.summary
    assert "permutation test" in result.summary
    assert result.summary.startswith(
        "6 defection records involve Islamic State Khorasan Province or Taliban: 4 between the two, 1 between Islamic State Khorasan Province and a "
        "third group and 1 between Taliban and a third group"
    )


def test_claim_over_the_country_matches_enumeration(loaded: rs.Store) -> None:
    result = defections.compute(
        Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG"), n_perm=20_000, seed=2
    )
    claim = result.claim
    assert (claim.provinces_with, claim.provinces_without) == (2, 32)
    assert claim.rate_without == pytest.approx(4 / 32)
    assert claim.rate_ratio == pytest.approx(3.5 / (4 / 32))
    exact = _exact_p([5, 2, 3, 1] + [0] * 30, 2)
    assert claim.p_value == pytest.approx(exact, abs=0.02)


def test_permutation_p_value_against_enumeration() -> None:
    rng = np.random.default_rng(5)
    for _ in range(5):
        counts = rng.integers(0, 8, size=7)
        labels = np.zeros(7, dtype=bool)
        labels[:3] = True
        exact = _exact_p(counts.tolist(), 3)
        estimate = defections.permutation_p_value(counts, labels, n_perm=20_000, seed=9)
        assert estimate == pytest.approx(exact, abs=0.02)


def test_permutation_p_value_is_seeded_and_bounded() -> None:
    counts = np.array([9, 0, 0, 0, 0, 0])
    labels = np.array([True, False, False, False, False, False])
    p = defections.permutation_p_value(counts, labels, n_perm=999, seed=0)
    assert p == defections.permutation_p_value(counts, labels, n_perm=999, seed=0)
    assert 1 / 1000 <= p <= 1
    assert p == pytest.approx(1 / 6, abs=0.04)


def test_no_defections_loaded(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_ged(tmp_path))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    for table, schema in (
        (result.flows, defections.FLOW_SCHEMA),
        (result.by_province_month, defections.PROVINCE_MONTH_SCHEMA),
        (result.records, defections.RECORD_SCHEMA),
    ):
        assert table.num_rows == 0
        assert table.schema == schema
    assert result.claim.testable is False
    assert math.isnan(result.claim.p_value)
    assert result.claim.n_perm == 0
    assert result.claim.clashes_without == 11
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


def test_only_clashes_where_defections_were(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_ged(tmp_path))
    store.ingest_defections(_defections(tmp_path, DEFECTIONS[:1]))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN", until="2020-02-05"))
    claim = result.claim
    assert (claim.clashes_with, claim.clashes_without) == (0, 4)
    assert claim.testable is False
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_perm=2000)
    assert result.claim.rate_ratio == pytest.approx(5 / (6 / 5))


@pytest.mark.realdata
def test_real_ged_claim_without_defections(store: rs.Store) -> None:
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    result = defections.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    claim = result.claim
    assert (claim.provinces_with, claim.provinces_without) == (0, 34)
    assert claim.clashes_without == 71
    assert claim.testable is False
    assert "cannot be tested" in result.summary


def test_permutations_need_at_least_one(store: rs.Store) -> None:
    with pytest.raises(rs.InputError, match="n_perm"):
        defections.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_perm=0)
