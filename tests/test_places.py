"""The gazetteer: every source's spelling of Afghanistan's 34 provinces, and countries."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.places import AFGHAN_PROVINCES, country_iso3, place_key
from tests.conftest import shared_file

UCDP_SPELLINGS = [
    "Badakhshan province",
    "Badghis province",
    "Baghlan province",
    "Balkh province",
    "Bamyan province",
    "Daykundi province",
    "Farah province",
    "Faryab province",
    "Ghanzi province",
    "Ghor province",
    "Helmand province",
    "Herat province",
    "Jowzjan province",
    "Kabul province",
    "Kandahar province",
    "Kapisa province",
    "Khost province",
    "Kunar province",
    "Kunduz province",
    "Laghman province",
    "Logar province",
    "Nangarhar province",
    "Nimruz province",
    "Nuristan province",
    "Paktia province",
    "Paktika province",
    "Panjshir province",
    "Parwan province",
    "Samangan province",
    "Sar-e Pol province",
    "Takhar province",
    "Uruzgan province",
    "Wardak province",
    "Zabul province",
]


def test_34_provinces_with_iso_codes(store: rs.Store) -> None:
    places = store.places("AFG").to_pylist()
    assert len(places) == 34
    assert {p["code"] for p in places} == {p.code for p in AFGHAN_PROVINCES}


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Hilmand", "AF-HEL"),
        ("Ghazni", "AF-GHA"),
        ("Ghanzi", "AF-GHA"),
        ("Sari Pul", "AF-SAR"),
        ("Sar-e Pul", "AF-SAR"),
        ("Nimroz", "AF-NIM"),
        ("Nimruz", "AF-NIM"),
        ("Urozgan", "AF-URU"),
        ("Paktya", "AF-PIA"),
        ("Maidan Wardak", "AF-WAR"),
        ("Daikundi", "AF-DAY"),
        ("Hirat", "AF-HER"),
        ("Nangarhār", "AF-NAN"),
        ("Ningarhar", "AF-NAN"),
        ("Qunduz", "AF-KDZ"),
        ("af-nan", "AF-NAN"),
        ("Panjsher", "AF-PAN"),
        ("Jawzjan", "AF-JOW"),
    ],
)
def test_spellings_resolve(store: rs.Store, spelling: str, code: str) -> None:
    assert store.place_code(spelling, "AFG") == code


def test_ucdp_spellings_all_resolve(store: rs.Store) -> None:
    codes = {store.place_code(name.removesuffix(" province"), "AFG") for name in UCDP_SPELLINGS}
    assert len(codes) == 34


@pytest.mark.realdata
def test_district_layer_and_geoboundaries_spellings_resolve(store: rs.Store) -> None:
    with shared_file("afg_districts_398.csv").open(encoding="utf-8") as handle:
        district_provinces = {row["province"] for row in csv.DictReader(handle)}
    assert {store.place_code(name, "AFG") for name in district_provinces} == {
        p.code for p in AFGHAN_PROVINCES
    }
    features = json.loads(shared_file("geoBoundaries-AFG-ADM1.geojson").read_text())["features"]
    names = {f["properties"]["shapeName"] for f in features}
    assert len({store.place_code(name, "AFG") for name in names}) == 34


def test_place_key_folds_case_accents_and_suffix() -> None:
    assert place_key("Nangarhar province") == place_key("NANGARHĀR") == "nangarhar"
    assert place_key("Sar-e Pol") == "sarepol"


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Afghanistan", "AFG"),
        ("DR Congo (Zaire)", "COD"),
        ("Bosnia-Herzegovina", "BIH"),
        ("Yemen (North Yemen)", "YEM"),
        ("Iran", "IRN"),
        ("4", "AFG"),
        ("586", "PAK"),
        ("Russia (Soviet Union)", "RUS"),
        ("Syria", "SYR"),
        ("Atlantis", None),
    ],
)
def test_country_names(name: str, iso3: str | None) -> None:
    assert country_iso3(name) == iso3


def test_every_country_has_provinces(store: rs.Store) -> None:
    mexico = store.places("Mexico").to_pylist()
    assert len(mexico) == 32
    assert store.place_code("Jalisco", "MEX") == "MX-JAL"


def test_unknown_place_is_an_error(store: rs.Store) -> None:
    with pytest.raises(rs.NotFoundError, match="no province"):
        store.place_code("Atlantis", "AFG")


def test_bad_boundaries_file(store: rs.Store, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "x.geojson"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(rs.InputError, match="not a GeoJSON"):
        store.load_boundaries(path)


def test_a_new_gazetteer_re_resolves_stored_provinces(tmp_path: Path) -> None:
    """A store seeded by an older gazetteer is re-seeded on open, and its events' province codes
    are re-resolved by their names (a name that resolves to nothing keeps its code)."""
    path = tmp_path / "old.duckdb"
    ged = tmp_path / "ged.csv"
    ged.write_text(
        "id,type_of_violence,side_a,side_b,adm_1,country,date_start,best,latitude,longitude\n"
        "1,2,IS,Taleban,Nangarhar province,Afghanistan,2017-07-31,3,34.1,70.7\n"
        "2,2,IS,Taleban,Nowhere province,Afghanistan,2017-08-01,3,34.1,70.7\n",
        encoding="utf-8",
    )
    with rs.open(path) as store:
        store.ingest_ucdp(ged)
        store.execute("UPDATE events SET admin1_code = 'AF-OLD'")
        store.set_meta("seed", "an older gazetteer")
    with rs.open(path) as store:
        codes = {e["source_id"]: e["admin1_code"] for e in store.events().to_pylist()}
    assert codes == {"1": "AF-NAN", "2": "AF-OLD"}
