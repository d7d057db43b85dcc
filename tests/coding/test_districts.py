"""Loading a district list into the store's gazetteer."""

from __future__ import annotations

from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.districts import load_districts
from rivalscope.errors import InputError
from tests.conftest import shared_file

SMALL = (
    "province,district,province_id,district_id,centroid_lat,centroid_lon\n"
    "Nangarhar,Acheen,8,810,34.08848,70.6739\n"
    "Kabul,Kabul,1,101,34.51742,69.14988\n"
    'Hirat,"Zanda  Jan\n",20,2010,34.36196,61.78169\n'
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "districts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_places_and_aliases(store: rs.Store, tmp_path: Path) -> None:
    result = load_districts(store, write(tmp_path, SMALL))
    assert result == {
        "districts": 3,
        "provinces": 3,
        "aliases": 2,
        "aliases_skipped": 1,
        "replaced": 0,
    }
    rows = store.con.execute(
        "SELECT code, name, level, parent, latitude FROM places WHERE level = 2 ORDER BY code"
    ).fetchall()
    assert rows == [
        ("AF-HER-2010", "Zanda Jan", 2, "AF-HER", 34.36196),
        ("AF-KAB-101", "Kabul", 2, "AF-KAB", 34.51742),
        ("AF-NAN-810", "Acheen", 2, "AF-NAN", 34.08848),
    ]
    aliases = store.con.execute(
        "SELECT alias_key, code FROM place_aliases WHERE level = 2 ORDER BY code"
    ).fetchall()
    assert aliases == [("zandajan", "AF-HER-2010"), ("acheen", "AF-NAN-810")]


def test_province_names_still_mean_one_province(store: rs.Store, tmp_path: Path) -> None:
    load_districts(store, write(tmp_path, SMALL))
    assert store.place_code("Kabul") == "AF-KAB"
    assert store.place_code("Nangarhar") == "AF-NAN"
    assert store.places("AFG").num_rows == 34


def test_reloading_replaces_the_countrys_districts(store: rs.Store, tmp_path: Path) -> None:
    load_districts(store, write(tmp_path, SMALL))
    again = load_districts(store, write(tmp_path, "province,district\nKunar,Dangam\n"))
    assert (again["districts"], again["replaced"]) == (1, 3)
    assert store.con.execute("SELECT code FROM places WHERE level = 2").fetchall() == [
        ("AF-KNR-DANGAM",)
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("province,name\nKunar,Dangam\n", "no district column"),
        ("province,district\nAtlantis,Dangam\n", r"row 1: column province: 'Atlantis' is not a"),
        (
            "province,district,centroid_lat\nKunar,Dangam,north\n",
            r"row 1: column centroid_lat: 'north' is not a number",
        ),
        (
            "province,district\nKunar,Dangam\nKunar,Dangam\n",
            r"row 2: district 'Dangam'.*repeats row 1",
        ),
        ("province,district\n", "no districts"),
    ],
)
def test_errors_name_row_and_column(
    store: rs.Store, tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_districts(store, write(tmp_path, content))
    assert store.con.execute("SELECT count(*) FROM places WHERE level = 2").fetchone() == (0,)


@pytest.mark.realdata
def test_the_398_district_layer(store: rs.Store) -> None:
    result = load_districts(store, shared_file("afg_districts_398.csv"))
    assert (result["districts"], result["provinces"]) == (398, 34)
    parents = store.con.execute(
        "SELECT count(DISTINCT parent), count(*) FILTER (WHERE latitude IS NULL) FROM places "
        "WHERE level = 2"
    ).fetchone()
    assert parents == (34, 0)
    for province in ("Kabul", "Kunduz", "Balkh", "Herat", "Ghazni", "Khost", "Farah"):
        assert store.place_code(province).startswith("AF-")
