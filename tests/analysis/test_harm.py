"""Harm: a difference-in-differences with known answers on hand-made UCDP files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import rivalscope as rs
from rivalscope.analysis import harm
from rivalscope.analysis.context import Dyad
from tests.analysis.fixtures import UCDP_HEADER
from tests.conftest import shared_file

TREATED = ("Nangarhar", "Kunar", "Laghman", "Kabul", "Herat", "Balkh")
TREATED_CODES = ("AF-NAN", "AF-KNR", "AF-LAG", "AF-KAB", "AF-HER", "AF-BAL")
CONTROLS = {"Kandahar": 3, "Helmand": 4, "Jowzjan": 5}
FIRST_CLASH = tuple(dt.date(2020, month, 1) for month in range(1, 7))
GRID_START, GRID_END = dt.date(2019, 7, 1), dt.date(2021, 6, 1)


def _months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _add(day: dt.date, months: int) -> dt.date:
    number = day.year * 12 + day.month - 1 + months
    return dt.date(number // 12, number % 12 + 1, 1)


class _Ucdp:
    def __init__(self) -> None:
        self.rows: list[str] = [UCDP_HEADER]

    def add(self, violence: int, a: str, b: str, day: dt.date, province: str, civ: str) -> None:
        date = (day + dt.timedelta(days=4)).isoformat()
        self.rows.append(
            f"{len(self.rows)},{violence},{a},{b},Afghanistan,{date},{date},3,3,3,"
            f"34.4,70.4,{province} province,{civ}"
        )

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(self.rows) + "\n", encoding="utf-8")
        return path


def _fixture(
    tmp_path: Path,
    *,
    treated: tuple[str, ...] = TREATED,
    jumps: tuple[int, ...] = (10,) * 6,
    last: dt.date = GRID_END,
) -> Path:
    """A GED file whose answer is known.

    Treated provinces have 2 civilian deaths a month before their first clash (staggered over
    2020-01..2020-06) and 2 + jump from it on (12 - 10 = 2 when the jump is -10); controls are
    flat at 3, 4 and 5 a month, plus one event each whose source gave no civilian count.
    """
    ucdp = _Ucdp()
    for province, first, jump in zip(treated, FIRST_CLASH, jumps, strict=False):
        base = 2 if jump >= 0 else 2 - jump
        for month in _months(GRID_START, last):
            deaths = base if month < first else base + jump
            ucdp.add(3, "IS", "Civilians", month, province, str(deaths))
        ucdp.add(2, "IS", "Taleban", first, province, "0")
        ucdp.add(2, "Taleban", "IS", _add(first, 2), province, "0")
    for province, deaths in CONTROLS.items():
        for month in _months(GRID_START, last):
            ucdp.add(1, "Government of Afghanistan", "Taleban", month, province, str(deaths))
        ucdp.add(1, "Government of Afghanistan", "Taleban", GRID_START, province, "")
    return ucdp.write(tmp_path / "ged.csv")


def _displacement(tmp_path: Path) -> Path:
    """IDPs: treated 50 a month before the first clash and 150 from it; controls 20 a month."""
    lines = ["admin1,month,idps"]
    for province, first in zip(TREATED, FIRST_CLASH, strict=True):
        for month in _months(GRID_START, GRID_END):
            lines.append(f"{province},{month:%Y-%m},{50 if month < first else 150}")
    for province in CONTROLS:
        lines.extend(f"{province},{month:%Y-%m},20" for month in _months(GRID_START, GRID_END))
    path = tmp_path / "idps.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _did(result: harm.Harm, outcome: str) -> dict[str, object]:
    rows = [row for row in result.did.to_pylist() if row["outcome"] == outcome]
    assert len(rows) == 1
    return rows[0]


def test_known_jump_of_ten_is_found_exactly(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=200)

    assert result.event_time.schema == harm.EVENT_TIME_SCHEMA
    assert result.did.schema == harm.DID_SCHEMA
    rows = result.event_time.to_pylist()
    assert [r["month_offset"] for r in rows] == list(range(-6, 13))
    assert {r["outcome"] for r in rows} == {"civilian_deaths"}
    for row in rows:
        assert row["treated_mean"] == pytest.approx(2 if row["month_offset"] < 0 else 12)
        assert row["control_mean"] == pytest.approx(4.0)
        assert row["treated_provinces"] == 6

    did = _did(result, "civilian_deaths")
    assert did["estimate"] == pytest.approx(10.0)
    assert did["ci_low"] == pytest.approx(10.0)
    assert did["ci_high"] == pytest.approx(10.0)
    assert (did["treated_provinces"], did["control_provinces"]) == (6, 3)
    assert did["conclusive"] is True
    assert result.conclusive is True
    assert result.min_treated == 5
    assert "civilian deaths there rose by 10.0 a month per province" in result.summary
    assert "No displacement table is loaded" in result.summary
    assert "too thin" not in result.summary


def test_country_controls_are_every_other_province(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"), n_boot=200)
    did = _did(result, "civilian_deaths")
    assert (did["treated_provinces"], did["control_provinces"]) == (6, 34 - 6)
    assert did["estimate"] == pytest.approx(10.0)
    assert result.event_time.to_pylist()[0]["control_mean"] == pytest.approx(12 / 28)


def test_displacement_outcome(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    store.ingest_displacement(_displacement(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=200)
    idps = _did(result, "idps")
    assert idps["estimate"] == pytest.approx(100.0)
    assert idps["ci_low"] == pytest.approx(100.0)
    assert idps["ci_high"] == pytest.approx(100.0)
    assert idps["conclusive"] is True
    rows = [r for r in result.event_time.to_pylist() if r["outcome"] == "idps"]
    assert len(rows) == 19
    assert rows[0]["treated_mean"] == pytest.approx(50.0)
    assert rows[6]["treated_mean"] == pytest.approx(150.0)
    assert rows[6]["control_mean"] == pytest.approx(20.0)
    assert "displaced people rose by 100.0" in result.summary
    assert "No displacement table" not in result.summary


def test_months_beyond_the_data_are_not_zeros(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path, last=dt.date(2020, 12, 1)))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=100)
    assert _did(result, "civilian_deaths")["estimate"] == pytest.approx(10.0)
    at_12 = [r for r in result.event_time.to_pylist() if r["month_offset"] == 12]
    assert at_12[0]["treated_provinces"] == 0
    assert at_12[0]["treated_mean"] is None


def test_since_clips_the_grid(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", since="2020-01-01"), n_boot=100)
    counts = {r["month_offset"]: r["treated_provinces"] for r in result.event_time.to_pylist()}
    assert counts[-6] == 0
    assert counts[-1] == 5
    assert counts[0] == 6
    did = _did(result, "civilian_deaths")
    assert did["treated_provinces"] == 5
    assert did["estimate"] == pytest.approx(10.0)
    assert did["conclusive"] is True


def test_one_treated_province_is_too_thin(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path, treated=TREATED[:1]))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=100)
    did = _did(result, "civilian_deaths")
    assert did["estimate"] == pytest.approx(10.0)
    assert (did["treated_provinces"], did["control_provinces"]) == (1, 3)
    assert did["conclusive"] is False
    assert result.conclusive is False
    assert result.summary.startswith(
        "The data is too thin to conclude whether clashes between Islamic State Khorasan Province and Taliban changed "
        "civilian deaths: only 1 province saw a first clash"
    )
    assert "at least 5 are needed" in result.summary


def test_interval_spanning_zero_is_inconclusive(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path, jumps=(10, -10, 10, -10, 10, -10)))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=500, seed=3)
    did = _did(result, "civilian_deaths")
    assert did["estimate"] == pytest.approx(0.0, abs=1e-9)
    assert did["ci_low"] < 0 < did["ci_high"]
    assert did["conclusive"] is False
    assert "too thin to conclude" in result.summary
    assert "the estimate's 95% interval includes no change" in result.summary


def test_bootstrap_is_seeded(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path, jumps=(10, -10, 10, -10, 10, 5)))
    dyad = Dyad.of(store, "ISKP", "TALIBAN")
    first = harm.compute(dyad, n_boot=300, seed=11)
    assert harm.compute(dyad, n_boot=300, seed=11).did.equals(first.did)
    assert not harm.compute(dyad, n_boot=300, seed=12).did.equals(first.did)


def test_no_clashes_gives_empty_tables(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path, treated=()))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"))
    assert result.event_time.num_rows == 0
    assert result.event_time.schema == harm.EVENT_TIME_SCHEMA
    assert result.did.num_rows == 0
    assert result.did.schema == harm.DID_SCHEMA
    assert result.conclusive is False
    assert "never clashed" in result.summary
    assert "too thin to conclude" in result.summary


def test_empty_store(store: rs.Store) -> None:
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.did.num_rows == 0
    assert isinstance(result.event_time, pa.Table)
    assert result.conclusive is False


@pytest.mark.realdata
def test_real_ged_iskp_taliban(store: rs.Store) -> None:
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    did = _did(result, "civilian_deaths")
    assert (did["treated_provinces"], did["control_provinces"]) == (9, 34 - 9)
    assert result.event_time.num_rows == 19
    assert did["ci_low"] <= did["estimate"] <= did["ci_high"]
    assert result.conclusive == did["conclusive"]
    if not result.conclusive:
        assert "too thin to conclude" in result.summary


def test_bootstrap_needs_a_resample(store: rs.Store) -> None:
    with pytest.raises(rs.InputError, match="n_boot"):
        harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=0)
