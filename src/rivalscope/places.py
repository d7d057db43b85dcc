"""The gazetteer: countries, first-level provinces (ISO 3166-2), their spellings, and polygons.

Countries and provinces of every country come from pycountry. Afghanistan's 34 provinces carry
the spellings of UCDP, ACLED, geoBoundaries, the 398-district layer and the press, written here
as facts. Names resolve by a normalized key (:func:`place_key`), never by fuzzy guessing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pycountry

from rivalscope.errors import InputError

_SUFFIXES = re.compile(
    r"\b(province|provincia|wilayat|velayat|welayat|vilayat|governorate|region|state|oblast)\b"
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def place_key(name: str) -> str:
    """Normalize a place name: no accents, lower case, no administrative suffix, alphanumerics.

    ``Nangarhar province``, ``Nangarhār`` and ``NANGARHAR`` share the key ``nangarhar``.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = _SUFFIXES.sub(" ", plain.replace("&", " and "))
    return _NON_ALNUM.sub("", plain)


@dataclass(frozen=True)
class Province:
    """An Afghan province as Rivalscope knows it."""

    code: str
    name: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...]


AFGHAN_PROVINCES: tuple[Province, ...] = (
    Province("AF-BDS", "Badakhshan", 37.0, 71.0, ("Badakhshān", "Badakshan")),
    Province("AF-BDG", "Badghis", 35.2, 63.7, ("Bādghīs", "Badghes")),
    Province("AF-BGL", "Baghlan", 35.8, 68.7, ("Baghlān",)),
    Province("AF-BAL", "Balkh", 36.6, 67.0, ("Balk", "Mazar-i-Sharif province")),
    Province("AF-BAM", "Bamyan", 34.8, 67.8, ("Bamiyan", "Bamian", "Bāmyān")),
    Province("AF-DAY", "Daykundi", 33.7, 66.0, ("Daikundi", "Daykondi", "Day Kundi", "Dāykundī")),
    Province("AF-FRA", "Farah", 32.5, 62.2, ("Farāh",)),
    Province("AF-FYB", "Faryab", 35.9, 64.8, ("Fāryāb", "Faryob")),
    Province("AF-GHA", "Ghazni", 33.3, 68.0, ("Ghanzi", "Ghaznī", "Ghazna")),
    Province("AF-GHO", "Ghor", 34.1, 64.9, ("Ghowr", "Ghōr", "Ghur")),
    Province("AF-HEL", "Helmand", 31.4, 64.0, ("Hilmand", "Helmend")),
    Province("AF-HER", "Herat", 34.3, 62.2, ("Hirat", "Herāt", "Heart")),
    Province("AF-JOW", "Jowzjan", 36.7, 65.8, ("Jawzjan", "Jouzjan", "Jozjan", "Jowzjān")),
    Province("AF-KAB", "Kabul", 34.5, 69.2, ("Kābul", "Kabol")),
    Province("AF-KAN", "Kandahar", 31.6, 65.7, ("Qandahar", "Kandahār", "Qandahār")),
    Province("AF-KAP", "Kapisa", 34.9, 69.6, ("Kāpīsā", "Kapissa")),
    Province("AF-KHO", "Khost", 33.3, 69.9, ("Khowst", "Khōst", "Khost (Matun)")),
    Province("AF-KNR", "Kunar", 34.9, 71.1, ("Konar", "Kunaṟ", "Kunarha")),
    Province("AF-KDZ", "Kunduz", 36.7, 68.9, ("Qunduz", "Kondoz", "Konduz")),
    Province("AF-LAG", "Laghman", 34.7, 70.2, ("Laghmān", "Lagman")),
    Province("AF-LOG", "Logar", 34.0, 69.2, ("Lōgar", "Lowgar")),
    Province("AF-NAN", "Nangarhar", 34.3, 70.5, ("Ningarhar", "Nangarhār", "Nangrahar")),
    Province("AF-NIM", "Nimroz", 30.9, 62.0, ("Nimruz", "Nīmrōz", "Nimrooz")),
    Province("AF-NUR", "Nuristan", 35.3, 70.9, ("Nūristān", "Nooristan", "Nurestan")),
    Province("AF-PIA", "Paktia", 33.6, 69.4, ("Paktya", "Paktiya", "Paktiyā", "Paktiyā")),
    Province("AF-PKA", "Paktika", 32.5, 68.8, ("Paktīkā",)),
    Province("AF-PAN", "Panjshir", 35.4, 69.7, ("Panjsher", "Panjshayr", "Panjsheer")),
    Province("AF-PAR", "Parwan", 35.0, 69.0, ("Parwān", "Parvan")),
    Province("AF-SAM", "Samangan", 36.3, 67.9, ("Samangān",)),
    Province(
        "AF-SAR",
        "Sar-e Pol",
        36.2,
        66.0,
        ("Sar-e Pul", "Sari Pul", "Sar-i-Pul", "Saripul", "Sar-i Pul", "Sar e Pol", "Sar-e-Pol"),
    ),
    Province("AF-TAK", "Takhar", 36.7, 69.5, ("Takhār",)),
    Province("AF-URU", "Uruzgan", 32.9, 66.1, ("Urozgan", "Oruzgan", "Orozgan", "Uruzgān")),
    Province(
        "AF-WAR",
        "Wardak",
        34.3,
        68.4,
        ("Maidan Wardak", "Maydan Wardak", "Maidan-Wardak", "Wardag", "Maydan-Wardak"),
    ),
    Province("AF-ZAB", "Zabul", 32.2, 67.2, ("Zābul", "Zabol")),
)
"""The 34 provinces with approximate centres and the spellings sources use."""

UCDP_COUNTRY_NAMES: dict[str, str] = {
    "DR Congo (Zaire)": "COD",
    "Congo": "COG",
    "Bosnia-Herzegovina": "BIH",
    "Yemen (North Yemen)": "YEM",
    "South Yemen": "YEM",
    "Russia (Soviet Union)": "RUS",
    "Cambodia (Kampuchea)": "KHM",
    "Myanmar (Burma)": "MMR",
    "Zimbabwe (Rhodesia)": "ZWE",
    "Madagascar (Malagasy)": "MDG",
    "Serbia (Yugoslavia)": "SRB",
    "Ivory Coast": "CIV",
    "Kingdom of eSwatini (Swaziland)": "SWZ",
    "Macedonia, FYR": "MKD",
    "North Macedonia": "MKD",
    "Iran": "IRN",
    "Laos": "LAO",
    "Syria": "SYR",
    "Vietnam (North Vietnam)": "VNM",
    "Tanzania": "TZA",
    "Bolivia": "BOL",
    "Venezuela": "VEN",
    "Moldova": "MDA",
    "Russia": "RUS",
    "Turkey": "TUR",
    "Kosovo": "XKX",
    "Palestine": "PSE",
    "Gambia": "GMB",
    "Comoros": "COM",
    "Cape Verde": "CPV",
    "East Timor": "TLS",
    "Guinea-Bissau": "GNB",
    "Sudan": "SDN",
    "South Sudan": "SSD",
    "Micronesia": "FSM",
    "Czech Republic": "CZE",
    "Brunei": "BRN",
    "Taiwan": "TWN",
    "South Korea": "KOR",
    "North Korea": "PRK",
    "Democratic Republic of Congo": "COD",
    "Republic of Congo": "COG",
    "eSwatini": "SWZ",
    "Swaziland": "SWZ",
}
"""Country names UCDP and ACLED write that pycountry does not know as such."""


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name", "alpha_3", "alpha_2"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(place_key(value), country.alpha_3)
    for name, iso3 in UCDP_COUNTRY_NAMES.items():
        index[place_key(name)] = iso3
    return index


def country_iso3(name: str | int | None) -> str | None:
    """ISO 3166-1 alpha-3 code of a country name, alpha code, or numeric code; None if unknown."""
    if name is None:
        return None
    text = str(name).strip()
    if not text:
        return None
    if text.isdigit():
        found = pycountry.countries.get(numeric=text.zfill(3))
        return found.alpha_3 if found else None
    return _country_index().get(place_key(text))


def country_name(iso3: str) -> str:
    """The English short name of a country code (the code itself when unknown)."""
    found = pycountry.countries.get(alpha_3=iso3)
    return str(getattr(found, "common_name", None) or found.name) if found else iso3


def places_table() -> pa.Table:
    """Countries (level 0) and first-level subdivisions (level 1) of every country."""
    codes: list[str] = []
    names: list[str] = []
    levels: list[int] = []
    parents: list[str | None] = []
    countries: list[str] = []
    lats: list[float | None] = []
    lons: list[float | None] = []
    centres = {p.code: p for p in AFGHAN_PROVINCES}
    alpha2_to_3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    for country in pycountry.countries:
        codes.append(country.alpha_3)
        names.append(str(getattr(country, "common_name", None) or country.name))
        levels.append(0)
        parents.append(None)
        countries.append(country.alpha_3)
        lats.append(None)
        lons.append(None)
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None or sub.country_code not in alpha2_to_3:
            continue
        known = centres.get(sub.code)
        codes.append(sub.code)
        names.append(known.name if known else sub.name)
        levels.append(1)
        parents.append(alpha2_to_3[sub.country_code])
        countries.append(alpha2_to_3[sub.country_code])
        lats.append(known.latitude if known else None)
        lons.append(known.longitude if known else None)
    return pa.table(
        {
            "code": codes,
            "name": names,
            "level": pa.array(levels, pa.int32()),
            "parent": parents,
            "country_iso3": countries,
            "latitude": pa.array(lats, pa.float64()),
            "longitude": pa.array(lons, pa.float64()),
        }
    )


def place_aliases_table() -> pa.Table:
    """Every known spelling of every first-level subdivision, keyed by :func:`place_key`."""
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    alpha2_to_3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}

    def add(alias: str, code: str, iso3: str) -> None:
        key = place_key(alias)
        if key:
            rows.setdefault((iso3, key), (alias, code))

    for province in AFGHAN_PROVINCES:
        for alias in (province.name, *province.aliases, province.code):
            add(alias, province.code, "AFG")
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None or sub.country_code not in alpha2_to_3:
            continue
        iso3 = alpha2_to_3[sub.country_code]
        add(sub.name, sub.code, iso3)
        add(sub.code, sub.code, iso3)
        for part in re.split(r"[,;/]", sub.name):
            add(part, sub.code, iso3)
    return pa.table(
        {
            "alias_key": [key for (_, key) in rows],
            "alias": [alias for alias, _ in rows.values()],
            "code": [code for _, code in rows.values()],
            "country_iso3": [iso3 for (iso3, _) in rows],
            "level": pa.array([1] * len(rows), pa.int32()),
        }
    )


@dataclass(frozen=True)
class Boundary:
    """One province polygon read from a boundaries file."""

    code: str
    name: str
    country_iso3: str
    wkb: bytes
    latitude: float
    longitude: float


def read_boundaries(path: str | Path, resolve: dict[tuple[str, str], str]) -> list[Boundary]:
    """Read first-level boundaries from GeoJSON (geoBoundaries ADM1 or any with name properties).

    Each feature is matched to a province by its name within its country (``shapeGroup`` or a
    country property), falling back to its ISO code (``shapeISO``) when the name is unknown.

    Args:
        path: a GeoJSON FeatureCollection.
        resolve: ``(country_iso3, place_key) -> code`` for every known spelling.

    Raises:
        InputError: the file is not GeoJSON, or a feature matches no province.
    """
    from shapely.geometry import shape

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        features = document["features"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a GeoJSON FeatureCollection ({exc})") from exc
    known_codes = set(resolve.values())
    boundaries: list[Boundary] = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        name = str(props.get("shapeName") or props.get("name") or props.get("NAME_1") or "")
        iso3 = country_iso3(props.get("shapeGroup") or props.get("GID_0") or props.get("iso3"))
        raw_code = str(props.get("shapeISO") or props.get("iso_3166_2") or "").replace("_", "-")
        code = resolve.get((iso3 or "", place_key(name))) if iso3 else None
        if code is None and raw_code in known_codes:
            code = raw_code
            iso3 = iso3 or raw_code.split("-")[0]
        if code is None or iso3 is None:
            raise InputError(
                f"{path}: feature {number} ({name or 'no name'}, {raw_code or 'no code'}) "
                "matches no known province"
            )
        try:
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{path}: feature {number} ({name}): bad geometry ({exc})") from exc
        point = geometry.representative_point()
        boundaries.append(Boundary(code, name, iso3, geometry.wkb, point.y, point.x))
    return boundaries


def boundaries_table(boundaries: Iterable[Boundary]) -> pa.Table:
    """Boundaries as Arrow rows for the store's ``places`` update."""
    items = list(boundaries)
    return pa.table(
        {
            "code": [b.code for b in items],
            "geometry": pa.array([b.wkb for b in items], pa.binary()),
            "latitude": pa.array([b.latitude for b in items], pa.float64()),
            "longitude": pa.array([b.longitude for b in items], pa.float64()),
        }
    )


def locate_points(polygons: Sequence[Sequence[Any]], todo: pa.Table) -> pa.Table:
    """``event_id`` and province ``code`` of each point (``todo``: event_id, longitude,
    latitude) inside one of ``polygons`` (code, country, WKB); the first polygon wins."""
    import numpy as np
    import shapely

    shapes = shapely.from_wkb([p[2] for p in polygons])
    tree = shapely.STRtree(shapes)
    points = shapely.points(todo.column("longitude").to_numpy(), todo.column("latitude").to_numpy())
    point_index, shape_index = tree.query(points, predicate="intersects")
    first = np.unique(point_index, return_index=True)[1]
    ids = todo.column("event_id").take(pa.array(point_index[first]))
    codes = pa.array([polygons[i][0] for i in shape_index[first]], pa.string())
    return pa.table({"event_id": ids, "code": codes})
