"""On the real UCDP GED 21.1 Afghanistan rows, alone in a store: the profile reads UCDP, says so
with UCDP's version and coverage, and its figures and sentences are those of UCDP alone."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import rivalscope as rs
import rivalscope.fusion as fusion
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(shared_file("ucdp_ged211_afghanistan.csv"), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> rs.Store:
    store = rs.open(tmp_path_factory.mktemp("real") / "afg.duckdb")
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    return store


def test_coverage_is_ucdp_21_1_in_whole_years(store: rs.Store, raw: pd.DataFrame) -> None:
    (row,) = fusion.coverage(store, "AFG").to_pylist()
    years = raw.year.astype(int)
    assert row["source"] == "ucdp"
    assert row["versions"] == "21.1"
    assert row["first_date"] == dt.date(years.min(), 1, 1)
    assert row["last_date"] == dt.date(years.max(), 12, 31)
    assert row["events"] == len(raw)


def test_a_ucdp_only_profile_reads_ucdp_and_says_so(store: rs.Store, raw: pd.DataFrame) -> None:
    result = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
    data = result.to_dict()
    assert data["source"] == "ucdp"
    (entry,) = data["sources"]
    assert (entry["source"], entry["version"], entry["events"]) == ("ucdp", "21.1", len(raw))
    assert (entry["first_date"], entry["last_date"]) == ("1989-01-01", "2020-12-31")
    assert data["warnings"] == []
    assert result.triangulation.pairs == ()
    sides = raw.side_a + "|" + raw.side_b
    clashes = raw[sides.isin(["IS|Taleban", "Taleban|IS"])]
    assert sum(result.timeline.monthly.column("clashes").to_pylist()) == len(clashes) == 71
    assert not any(result.phases.boundaries.column("coverage_edge").to_pylist())
    explicit = rs.profile(store, "ISKP", "TALIBAN", country="AFG", source="ucdp")
    assert explicit.phases.summary == result.phases.summary
    assert explicit.timeline.summary == result.timeline.summary
    assert "UCDP GED version 21.1" in data["citations"][0]["citation"]
    assert fusion.links(store).num_rows == 0
