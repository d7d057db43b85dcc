"""The spread section and the tile grid, on hand-made UCDP rows with known answers and on real
data."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import rivalscope as rs
from rivalscope.analysis import spread
from rivalscope.analysis.context import Dyad, Phase
from rivalscope.analysis.tiles import AFGHANISTAN, tile_layout
from tests.analysis.fixtures import UCDP_HEADER, ucdp_row
from tests.conftest import shared_file

PHASES = (
    Phase("first", dt.date(2016, 1, 1), dt.date(2017, 1, 1)),
    Phase("second", dt.date(2017, 1, 1)),
)


ROWS = [
    ucdp_row(1, 2, "IS", "Taleban", "2016-01-10", 2, "Nangarhar"),
    ucdp_row(2, 2, "Taleban", "IS", "2016-05-01", 3, "Nangarhar"),
    ucdp_row(3, 2, "IS", "Taleban", "2017-06-01", 1, "Nangarhar"),
    ucdp_row(4, 2, "IS", "Taleban", "2017-07-01", 4, "Jowzjan"),
    ucdp_row(5, 2, "IS", "Taleban", "2016-03-03", 0, "Kunar"),
    ucdp_row(6, 2, "IS", "Taleban", "2017-08-01", 5, ""),
    ucdp_row(7, 3, "IS", "Civilians", "2016-02-02", 9, "Kabul"),
    ucdp_row(8, 1, "Government of Afghanistan", "IS", "2016-02-03", 9, "Helmand"),
]
PAKISTAN_ROW = ucdp_row(9, 2, "IS", "Taleban", "2017-01-10", 5, "Khyber Pakhtunkhwa", "Pakistan")


def write_ucdp(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([UCDP_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[rs.Store]:
    with rs.open() as store:
        result = store.ingest_ucdp(write_ucdp(tmp_path / "ged.csv", [*ROWS, PAKISTAN_ROW]))
        assert result.rows_quarantined == 0
        yield store


def square(name: str, lon: float, lat: float) -> dict[str, object]:
    ring = [[lon, lat], [lon + 1, lat], [lon + 1, lat + 1], [lon, lat + 1], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"shapeName": name, "shapeGroup": "AFG"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_provinces_with_clashes(loaded: rs.Store) -> None:
    result = spread.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.provinces.to_pylist() == [
        {
            "code": "AF-NAN",
            "name": "Nangarhar",
            "first_clash": dt.date(2016, 1, 10),
            "last_clash": dt.date(2017, 6, 1),
            "clashes": 3,
            "deaths": 6,
        },
        {
            "code": "AF-JOW",
            "name": "Jowzjan",
            "first_clash": dt.date(2017, 7, 1),
            "last_clash": dt.date(2017, 7, 1),
            "clashes": 1,
            "deaths": 4,
        },
        {
            "code": "AF-KNR",
            "name": "Kunar",
            "first_clash": dt.date(2016, 3, 3),
            "last_clash": dt.date(2016, 3, 3),
            "clashes": 1,
            "deaths": 0,
        },
    ]
    assert (result.provinces_clashed, result.provinces_total) == (3, 34)
    assert result.share == pytest.approx(3 / 34)
    assert result.geojson is None
    assert result.summary == (
        "Islamic State Khorasan Province and Taliban clashed in 3 of Afghanistan's 34 "
        "provinces (9%). Nangarhar saw the most: 3 of 6 clashes (1 more has no known province)."
    )


def test_by_phase(loaded: rs.Store) -> None:
    result = spread.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.by_phase.to_pylist() == [
        {
            "phase": "first",
            "start": dt.date(2016, 1, 1),
            "end": dt.date(2017, 1, 1),
            "provinces_clashed": 2,
            "share": pytest.approx(2 / 34),
            "clashes": 3,
        },
        {
            "phase": "second",
            "start": dt.date(2017, 1, 1),
            "end": None,
            "provinces_clashed": 2,
            "share": pytest.approx(2 / 34),
            "clashes": 3,
        },
    ]
    without = spread.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert without.by_phase.num_rows == 0
    assert without.by_phase.column_names == [
        "phase",
        "start",
        "end",
        "provinces_clashed",
        "share",
        "clashes",
    ]


def test_tiles_cover_every_province(loaded: rs.Store) -> None:
    result = spread.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    tiles = result.tiles
    assert tiles.column_names == ["code", "name", "row", "col", "clashes"]
    assert tiles.num_rows == 34
    counts = {row["code"]: row["clashes"] for row in tiles.to_pylist() if row["clashes"]}
    assert counts == {"AF-NAN": 3, "AF-JOW": 1, "AF-KNR": 1}
    assert {(row["code"], (row["row"], row["col"])) for row in tiles.to_pylist()} == set(
        AFGHANISTAN.items()
    )


def test_without_a_country_the_countries_where_they_clashed(loaded: rs.Store) -> None:
    result = spread.compute(Dyad.of(loaded, "ISKP", "TALIBAN", phases=()))
    pakistan = len(loaded.places("PAK"))
    assert result.provinces_total == 34 + pakistan
    assert result.provinces_clashed == 4
    assert result.share == pytest.approx(4 / (34 + pakistan))
    assert result.tiles.num_rows == 34 + pakistan
    cells = [(row["row"], row["col"]) for row in result.tiles.to_pylist()]
    assert len(set(cells)) == len(cells)
    assert "Afghanistan and Pakistan" in result.summary


def test_choropleth_when_boundaries_are_loaded(loaded: rs.Store, tmp_path: Path) -> None:
    geojson = tmp_path / "bounds.geojson"
    features = [square("Nangarhar", 70.0, 34.0), square("Kunar", 70.5, 35.0)]
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    loaded.load_boundaries(geojson)
    result = spread.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert result.geojson is not None
    assert result.geojson["type"] == "FeatureCollection"
    props = sorted((f["properties"] for f in result.geojson["features"]), key=lambda p: p["code"])
    assert props == [
        {"code": "AF-KNR", "name": "Kunar", "clashes": 1},
        {"code": "AF-NAN", "name": "Nangarhar", "clashes": 3},
    ]
    shape = next(f for f in result.geojson["features"] if f["properties"]["code"] == "AF-NAN")
    assert shape["geometry"]["type"] == "Polygon"
    assert json.loads(json.dumps(result.geojson))["features"][0]["type"] == "Feature"


def test_no_clashes_gives_empty_tables_and_says_so(tmp_path: Path) -> None:
    with rs.open() as store:
        store.ingest_ucdp(write_ucdp(tmp_path / "ged.csv", ROWS[6:]))
        result = spread.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.provinces.num_rows == 0
    assert result.provinces.column_names == [
        "code",
        "name",
        "first_clash",
        "last_clash",
        "clashes",
        "deaths",
    ]
    assert (result.provinces_clashed, result.provinces_total, result.share) == (0, 34, 0.0)
    assert result.by_phase.column("clashes").to_pylist() == [0, 0]
    assert result.tiles.num_rows == 34
    assert sum(result.tiles.column("clashes").to_pylist()) == 0
    assert "not recorded clashing" in result.summary


def test_empty_store_without_a_country(store: rs.Store) -> None:
    result = spread.compute(Dyad.of(store, "ISKP", "TALIBAN", phases=()))
    assert (result.provinces_clashed, result.provinces_total, result.share) == (0, 0, 0.0)
    assert result.tiles.num_rows == 0
    assert result.geojson is None


# --- the tile grid ---------------------------------------------------------------------------


def test_afghan_layout_has_34_unique_cells() -> None:
    assert len(AFGHANISTAN) == 34
    assert len(set(AFGHANISTAN.values())) == 34
    assert all(row >= 0 and col >= 0 for row, col in AFGHANISTAN.values())


def test_afghan_layout_matches_the_gazetteer(store: rs.Store) -> None:
    places = store.places("AFG")
    assert set(places.column("code").to_pylist()) == set(AFGHANISTAN)
    assert tile_layout(places) == AFGHANISTAN


def test_afghan_layout_is_roughly_geographic() -> None:
    def near(a: str, b: str) -> bool:
        (r1, c1), (r2, c2) = AFGHANISTAN[a], AFGHANISTAN[b]
        return max(abs(r1 - r2), abs(c1 - c2)) == 1

    for neighbour in ("AF-PAR", "AF-LOG", "AF-WAR", "AF-KAP", "AF-NAN"):
        assert near("AF-KAB", neighbour), neighbour
    for a, b in [("AF-NAN", "AF-KNR"), ("AF-HEL", "AF-KAN"), ("AF-HER", "AF-BDG")]:
        assert near(a, b), (a, b)
    rows = [r for r, _ in AFGHANISTAN.values()]
    cols = [c for _, c in AFGHANISTAN.values()]
    assert AFGHANISTAN["AF-HER"][1] == min(cols)
    assert AFGHANISTAN["AF-BDS"][0] == min(rows)
    assert AFGHANISTAN["AF-BDS"][1] > AFGHANISTAN["AF-KAB"][1]
    assert AFGHANISTAN["AF-KAN"][0] == AFGHANISTAN["AF-HEL"][0] == max(rows)
    assert AFGHANISTAN["AF-BAL"][0] < AFGHANISTAN["AF-KAB"][0] < AFGHANISTAN["AF-KAN"][0]


def test_generic_layout_follows_the_centres() -> None:
    provinces = pa.table(
        {
            "code": ["X-NW", "X-NE", "X-C", "X-SW", "X-SE", "X-Z2", "X-Z1"],
            "latitude": [10.0, 10.0, 5.0, 0.0, 0.0, None, None],
            "longitude": [0.0, 10.0, 5.0, 0.0, 10.0, None, None],
        }
    )
    layout = tile_layout(provinces)
    assert set(layout) == set(provinces.column("code").to_pylist())
    assert len(set(layout.values())) == len(layout)
    assert layout["X-NW"][0] == layout["X-NE"][0] < layout["X-C"][0] < layout["X-SW"][0]
    assert layout["X-NW"][1] == layout["X-SW"][1] < layout["X-C"][1] < layout["X-NE"][1]
    assert layout["X-SW"][0] == layout["X-SE"][0]
    extra = max(r for code, (r, _) in layout.items() if not code.startswith("X-Z")) + 1
    assert layout["X-Z1"] == (extra, 0)
    assert layout["X-Z2"] == (extra, 1)
    assert min(c for _, c in layout.values()) == 0


def test_generic_layout_of_a_single_province_and_of_none() -> None:
    one = pa.table({"code": ["Y-A"], "latitude": [1.0], "longitude": [2.0]})
    assert tile_layout(one) == {"Y-A": (0, 0)}
    bare = pa.table({"code": ["Y-B", "Y-A"]})
    assert tile_layout(bare) == {"Y-A": (0, 0), "Y-B": (0, 1)}


# --- real data -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store() -> Iterator[rs.Store]:
    with rs.open() as store:
        store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        yield store


@pytest.mark.realdata
def test_real_spread(real_store: rs.Store) -> None:
    result = spread.compute(Dyad.of(real_store, "ISKP", "TALIBAN", country="AFG"))
    rows = [(row["code"], row["clashes"]) for row in result.provinces.to_pylist()]
    assert rows == [
        ("AF-NAN", 49),
        ("AF-JOW", 10),
        ("AF-GHO", 3),
        ("AF-SAR", 3),
        ("AF-LOG", 2),
        ("AF-BDS", 1),
        ("AF-KNR", 1),
        ("AF-URU", 1),
        ("AF-ZAB", 1),
    ]
    assert (result.provinces_clashed, result.provinces_total) == (9, 34)
    assert result.share == pytest.approx(9 / 34)
    assert sum(result.provinces.column("deaths").to_pylist()) == 538
    assert result.summary == (
        "Islamic State Khorasan Province and Taliban clashed in 9 of Afghanistan's 34 "
        "provinces (26%). Nangarhar saw most of it: 49 of 71 clashes."
    )


@pytest.mark.realdata
def test_real_choropleth() -> None:
    with rs.open() as store:
        store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        store.load_boundaries(shared_file("geoBoundaries-AFG-ADM1.geojson"))
        result = spread.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.geojson is not None
    clashes = {
        f["properties"]["code"]: f["properties"]["clashes"] for f in result.geojson["features"]
    }
    assert len(clashes) == 34
    assert clashes["AF-NAN"] == 49
    assert sum(clashes.values()) == 71
