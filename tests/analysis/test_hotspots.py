"""Hotspots: DBSCAN clusters of each side's attacks, on a hand-made UCDP file."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rivalscope as rs
from rivalscope.analysis import hotspots
from rivalscope.analysis.context import Dyad
from rivalscope.errors import InputError
from tests.conftest import shared_file

KABUL = (34.53, 69.17)
JALALABAD = (34.43, 70.45)
FAR = ((34.35, 62.20), (31.61, 65.71), (36.70, 67.11))
HEADER = (
    "id,type_of_violence,side_a,side_b,country,date_start,date_end,best,low,high,"
    "latitude,longitude,adm_1,deaths_civilians\n"
)


def offset(seed: tuple[float, float], km: float, bearing: float) -> tuple[float, float]:
    """A point ``km`` from ``seed`` towards ``bearing`` degrees (small-distance approximation)."""
    lat, lon = seed
    per_degree = hotspots.EARTH_RADIUS_KM * math.pi / 180
    north, east = km * math.cos(math.radians(bearing)), km * math.sin(math.radians(bearing))
    return lat + north / per_degree, lon + east / (per_degree * math.cos(math.radians(lat)))


def ucdp_row(
    number: int,
    violence: int,
    side_a: str,
    side_b: str,
    day: dt.date,
    best: int,
    point: tuple[float, float],
    province: str,
) -> list[object]:
    civilians = best if violence == 3 else 0
    return [
        number, violence, side_a, side_b, "Afghanistan", day, day, best, best, best,
        point[0], point[1], f"{province} province", civilians,
    ]  # fmt: skip


def fixture_rows() -> list[list[object]]:
    """ISKP: 8 attacks around Kabul, 6 around Jalalabad, 3 far apart; TALIBAN: clashes only.

    Kabul: 4 at the seed and 4 at 2 km north, east, south and west (one in Parwan), deaths
    1..8, 2020-01-01..08. Jalalabad: a 2.5 km ring of 6, 10 deaths each, 2020-02-01..06.
    """
    rows: list[list[object]] = []
    kabul = [KABUL] * 4 + [offset(KABUL, 2.0, b) for b in (0, 90, 180, 270)]
    for i, point in enumerate(kabul):
        province = "Parwan" if i == 7 else "Kabul"
        day = dt.date(2020, 1, 1 + i)
        rows.append(ucdp_row(100 + i, 3, "IS", "Civilians", day, i + 1, point, province))
    for i in range(6):
        point = offset(JALALABAD, 2.5, 60 * i)
        day = dt.date(2020, 2, 1 + i)
        rows.append(ucdp_row(200 + i, 3, "IS", "Civilians", day, 10, point, "Nangarhar"))
    for i, point in enumerate(FAR):
        day = dt.date(2020, 3, 1 + i)
        rows.append(ucdp_row(300 + i, 3, "IS", "Civilians", day, 100, point, "Kabul"))
    rows.append(ucdp_row(400, 2, "IS", "Taleban", dt.date(2020, 1, 2), 5, KABUL, "Kabul"))
    rows.append(ucdp_row(401, 2, "Taleban", "IS", dt.date(2020, 1, 3), 5, KABUL, "Kabul"))
    state = "Government of Afghanistan"
    rows.append(ucdp_row(402, 3, state, "Civilians", dt.date(2020, 1, 4), 1, KABUL, "Kabul"))
    return rows


@pytest.fixture
def dyad(tmp_path: Path) -> Dyad:
    path = tmp_path / "ged.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(HEADER)
        csv.writer(handle, lineterminator="\n").writerows(fixture_rows())
    store = rs.open()
    result = store.ingest_ucdp(path)
    assert result.rows_quarantined == 0
    return Dyad.of(store, "ISKP", "TALIBAN", country="AFG", phases=())


def test_great_circle_kabul_jalalabad() -> None:
    assert hotspots.great_circle_km(*KABUL, *JALALABAD) == pytest.approx(117, abs=2)
    assert hotspots.great_circle_km(*KABUL, *KABUL) == 0
    assert hotspots.great_circle_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088)


def test_centre_across_the_antimeridian() -> None:
    lat, lon = hotspots.spherical_centre([10.0, 10.0], [179.5, -179.5])
    assert lat == pytest.approx(10.0, abs=0.01)
    assert abs(lon) == pytest.approx(180.0)


def test_two_clusters_and_noise(dyad: Dyad) -> None:
    result = hotspots.compute(dyad)
    assert result.eps_km == 10.0
    assert result.min_events == 5
    assert result.clusters.schema == hotspots.CLUSTER_SCHEMA
    rows = result.clusters.to_pylist()
    assert [(r["side"], r["cluster"], r["events"], r["deaths"]) for r in rows] == [
        ("ISKP", 1, 8, 36),
        ("ISKP", 2, 6, 60),
    ]
    kabul, jalalabad = rows
    assert hotspots.great_circle_km(kabul["latitude"], kabul["longitude"], *KABUL) < 1
    assert hotspots.great_circle_km(jalalabad["latitude"], jalalabad["longitude"], *JALALABAD) < 1
    assert kabul["radius_km"] == pytest.approx(2.0, abs=0.05)
    assert jalalabad["radius_km"] == pytest.approx(2.5, abs=0.05)
    assert all(r["radius_km"] <= 3.5 for r in rows)
    assert (kabul["first"], kabul["last"]) == (dt.date(2020, 1, 1), dt.date(2020, 1, 8))
    assert (jalalabad["first"], jalalabad["last"]) == (dt.date(2020, 2, 1), dt.date(2020, 2, 6))
    assert (kabul["admin1_code"], jalalabad["admin1_code"]) == ("AF-KAB", "AF-NAN")
    assert result.noise.schema == hotspots.NOISE_SCHEMA
    assert result.noise.to_pylist() == [
        {"side": "ISKP", "events": 3},
        {"side": "TALIBAN", "events": 0},
    ]
    assert result.summary.startswith("ISKP's 17 attacks form 2 hotspots")
    assert "the largest in Kabul" in result.summary
    assert "8 attacks and 36 deaths from 2020-01-01 to 2020-01-08" in result.summary
    assert result.summary.endswith("TALIBAN has no attacks with known coordinates in the window.")


def test_smaller_radius_gives_fewer_clusters(dyad: Dyad) -> None:
    none = hotspots.compute(dyad, eps_km=1.0)
    assert none.clusters.num_rows == 0
    assert none.noise.to_pylist()[0] == {"side": "ISKP", "events": 17}
    assert "ISKP's 17 attacks form no hotspot (at least 5 attacks within 1 km)" in none.summary
    core = hotspots.compute(dyad, eps_km=1.0, min_events=4)
    rows = core.clusters.to_pylist()
    assert [(r["events"], r["deaths"], r["radius_km"]) for r in rows] == [(4, 10, 0.0)]
    assert rows[0]["latitude"] == pytest.approx(KABUL[0])
    assert rows[0]["longitude"] == pytest.approx(KABUL[1])
    assert core.noise.to_pylist()[0]["events"] == 13


def test_sides_swapped_and_window(dyad: Dyad) -> None:
    swapped = Dyad.of(dyad.store, "TALIBAN", "ISKP", country="AFG", phases=())
    result = hotspots.compute(swapped)
    assert set(result.clusters["side"].to_pylist()) == {"ISKP"}
    assert result.noise["side"].to_pylist() == ["TALIBAN", "ISKP"]
    february = Dyad.of(dyad.store, "ISKP", "TALIBAN", since="2020-02-01", until="2020-02-28")
    only = hotspots.compute(february).clusters.to_pylist()
    assert [(r["cluster"], r["events"], r["admin1_code"]) for r in only] == [(1, 6, "AF-NAN")]


def test_empty_store() -> None:
    with rs.open() as store:
        result = hotspots.compute(Dyad.of(store, "ISKP", "TALIBAN", phases=()))
    assert result.clusters.num_rows == 0
    assert result.clusters.schema == hotspots.CLUSTER_SCHEMA
    assert result.noise.to_pylist() == [
        {"side": "ISKP", "events": 0},
        {"side": "TALIBAN", "events": 0},
    ]
    assert result.summary == (
        "ISKP has no attacks with known coordinates in the window. "
        "TALIBAN has no attacks with known coordinates in the window."
    )


@pytest.mark.parametrize(("eps_km", "min_events"), [(0.0, 5), (-1.0, 5), (10.0, 0)])
def test_bad_parameters(dyad: Dyad, eps_km: float, min_events: int) -> None:
    with pytest.raises(InputError):
        hotspots.compute(dyad, eps_km=eps_km, min_events=min_events)


points = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=60).map(
    lambda cells: np.array(cells, float) * 0.01 + np.array([34.0, 69.0])
)


@settings(max_examples=40, deadline=None)
@given(points, st.sampled_from([0.5, 1.5, 3.0]), st.integers(1, 6))
def test_weighted_duplicates_match_plain_dbscan(
    grid: np.ndarray, eps_km: float, min_events: int
) -> None:
    """Fitting unique points weighted by their count finds what fitting every point finds."""
    from sklearn.cluster import DBSCAN

    labels = hotspots.dbscan_labels(grid[:, 0], grid[:, 1], eps_km, min_events)
    plain = DBSCAN(
        eps=eps_km / hotspots.EARTH_RADIUS_KM,
        min_samples=min_events,
        metric="haversine",
        algorithm="ball_tree",
    ).fit(np.radians(grid))
    assert np.array_equal(labels == -1, plain.labels_ == -1)
    assert len(set(labels.tolist()) - {-1}) == len(set(plain.labels_.tolist()) - {-1})


def test_table_types(dyad: Dyad) -> None:
    clusters = hotspots.compute(dyad).clusters
    assert clusters.schema.field("first").type == pa.date32()
    assert clusters.schema.field("events").type == pa.int64()


@pytest.mark.realdata
def test_real_iskp_hotspots_are_kabul_then_jalalabad() -> None:
    with rs.open() as store:
        store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        result = hotspots.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    iskp = [r for r in result.clusters.to_pylist() if r["side"] == "ISKP"]
    assert [(r["events"], r["admin1_code"]) for r in iskp] == [
        (28, "AF-KAB"),
        (15, "AF-NAN"),
        (5, "AF-NAN"),
    ]
    assert hotspots.great_circle_km(iskp[0]["latitude"], iskp[0]["longitude"], *KABUL) < 2
    assert hotspots.great_circle_km(iskp[1]["latitude"], iskp[1]["longitude"], *JALALABAD) < 2
    assert result.noise.to_pylist()[0] == {"side": "ISKP", "events": 30}
    assert result.summary.startswith("ISKP's 78 attacks form 3 hotspots")


def test_snapping_changes_membership_only_near_the_boundary(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    rows = []
    for n in range(3000):
        seed = (KABUL, JALALABAD)[n % 2]
        point = offset(seed, float(rng.exponential(6.0)), float(rng.uniform(0, 360)))
        day = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 300)))
        rows.append(ucdp_row(1000 + n, 3, "IS", "Civilians", day, 1, point, "Kabul"))
    path = tmp_path / "ged.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(HEADER)
        csv.writer(handle, lineterminator="\n").writerows(rows)
    store = rs.open()
    store.ingest_ucdp(path)
    dyad = Dyad.of(store, "ISKP", "TALIBAN", country="AFG", phases=())
    exact = hotspots.compute(dyad, eps_km=2.0, min_events=20, snap_km=0)
    snapped = hotspots.compute(dyad, eps_km=2.0, min_events=20)
    assert exact.clusters.num_rows >= 2
    assert snapped.clusters.num_rows == exact.clusters.num_rows
    for a in exact.clusters.to_pylist():
        b = min(
            snapped.clusters.to_pylist(),
            key=lambda c: hotspots.great_circle_km(
                a["latitude"], a["longitude"], c["latitude"], c["longitude"]
            ),
        )
        assert abs(a["events"] - b["events"]) <= 0.02 * a["events"]
        distance = hotspots.great_circle_km(
            a["latitude"], a["longitude"], b["latitude"], b["longitude"]
        )
        assert distance < 0.2
    with pytest.raises(InputError, match="snap_km"):
        hotspots.compute(dyad, snap_km=-1.0)
