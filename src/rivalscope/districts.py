"""Districts (second-level places) from a CSV list, into the store's gazetteer.

The list names each district with its province (any spelling the gazetteer knows: ``Hirat``,
``Sari Pul``, ``Maydan Wardak``), and may give an id and an interior point::

    province,district,province_id,district_id,centroid_lat,centroid_lon
    Nangarhar,Acheen,8,810,34.08848,70.6739

(the 398-district layout of ESOC Princeton / Weidmann 2010). Each district becomes a ``places``
row at level 2 with its province's ISO 3166-2 code as parent, and its name a ``place_aliases``
row at level 2. A loaded list replaces the country's previous districts. A district named like a
province of the same country (``Kabul``, ``Kunduz``, ``Balkh``) keeps its place but gets no alias
row, so a province name still means exactly one place wherever names are resolved.

The text coder (:mod:`rivalscope.coding`) reads the districts to resolve a district to its
province; without a list it knows the well-known districts it ships with.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa

import rivalscope.places as gazetteer
from rivalscope.errors import InputError

if TYPE_CHECKING:
    from rivalscope.store import Store

PROVINCE_COLUMNS: Final = ("province", "admin1", "province_name")
DISTRICT_COLUMNS: Final = ("district", "admin2", "district_name")
ID_COLUMNS: Final = ("district_id", "admin2_id", "code", "id")
LATITUDE_COLUMNS: Final = ("centroid_lat", "latitude", "lat")
LONGITUDE_COLUMNS: Final = ("centroid_lon", "longitude", "lon", "lng")
LEVEL: Final = 2


@dataclass(frozen=True)
class District:
    """One district as loaded: its code, name, province code and interior point."""

    code: str
    name: str
    province: str
    latitude: float | None
    longitude: float | None


def _column(names: list[str], options: tuple[str, ...]) -> str | None:
    lowered = {name.strip().lower(): name for name in names}
    return next((lowered[o] for o in options if o in lowered), None)


def _clean(value: str) -> str:
    return " ".join(value.split())


def _coordinate(value: str, limit: float, where: str) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a number") from None
    if not -limit <= number <= limit:
        raise InputError(f"{where}: {number} is out of range")
    return number


def read_districts(
    path: str | Path, provinces: dict[str, str], *, country: str = "AFG"
) -> list[District]:
    """Read a district CSV.

    Args:
        path: the CSV file.
        provinces: ``place_key(spelling) -> ISO 3166-2 code`` for the country's provinces.
        country: the ISO3 code of the country the list covers (for the district codes).

    Raises:
        InputError: naming the file, row and column of the first problem (missing columns, an
            unknown province, a bad coordinate, a repeated district).
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read district list ({exc})") from exc
    except csv.Error as exc:
        raise InputError(f"{path}: not valid CSV ({exc})") from exc
    if not rows:
        raise InputError(f"{path}: empty file (expected a header row)")
    header = rows[0]
    province_col = _column(header, PROVINCE_COLUMNS)
    district_col = _column(header, DISTRICT_COLUMNS)
    if province_col is None or district_col is None:
        missing = "province" if province_col is None else "district"
        raise InputError(
            f"{path}: no {missing} column (columns: {', '.join(header)}); expected one of "
            f"{', '.join(PROVINCE_COLUMNS if missing == 'province' else DISTRICT_COLUMNS)}"
        )
    id_col = _column(header, ID_COLUMNS)
    lat_col = _column(header, LATITUDE_COLUMNS)
    lon_col = _column(header, LONGITUDE_COLUMNS)
    index = {name: header.index(name) for name in header}
    districts: list[District] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(
                f"{path}: row {number}: {len(row)} fields where the header has {len(header)}"
            )
        province_name = _clean(row[index[province_col]])
        name = _clean(row[index[district_col]])
        if not name:
            raise InputError(f"{path}: row {number}: column {district_col}: empty")
        code = provinces.get(gazetteer.place_key(province_name))
        if code is None:
            raise InputError(
                f"{path}: row {number}: column {province_col}: {province_name!r} is not a "
                f"province of {country} (see `rivalscope places --country {country}`)"
            )
        raw_id = _clean(row[index[id_col]]) if id_col else ""
        suffix = re.sub(r"[^A-Za-z0-9]+", "", raw_id) or re.sub(
            r"[^A-Z0-9]+", "-", name.upper()
        ).strip("-")
        district_code = f"{code}-{suffix}"
        if district_code in seen:
            raise InputError(
                f"{path}: row {number}: district {name!r} ({district_code}) repeats row "
                f"{seen[district_code]}"
            )
        seen[district_code] = number
        latitude = (
            _coordinate(row[index[lat_col]], 90, f"{path}: row {number}: column {lat_col}")
            if lat_col
            else None
        )
        longitude = (
            _coordinate(row[index[lon_col]], 180, f"{path}: row {number}: column {lon_col}")
            if lon_col
            else None
        )
        districts.append(District(district_code, name, code, latitude, longitude))
    if not districts:
        raise InputError(f"{path}: no districts (only a header)")
    return districts


def load_districts(store: Store, path: str | Path, *, country: str = "AFG") -> dict[str, int]:
    """Load a district list into the store's gazetteer (one transaction).

    Returns:
        ``{"districts": n, "provinces": n, "aliases": n, "aliases_skipped": n,
        "replaced": n}``: districts loaded, provinces they cover, alias rows written, names
        left without an alias because a province has them, and districts the list replaced.

    Raises:
        InputError: the file is unusable (see :func:`read_districts`) or the country unknown.
        StoreError: the store is read-only (or a Spark export).
    """
    store.require_writable()
    iso3 = gazetteer.country_iso3(country)
    if iso3 is None:
        raise InputError(f"no country is called {country!r}")
    known = store.table("place_aliases")
    provinces = {
        row["alias_key"]: row["code"]
        for row in known.filter((known.level == 1) & (known.country_iso3 == iso3))
        .select("alias_key", "code")
        .to_pyarrow()
        .to_pylist()
    }
    districts = read_districts(path, provinces, country=iso3)
    taken = set(provinces)
    aliases = [
        (gazetteer.place_key(d.name), d.name, d.code)
        for d in districts
        if gazetteer.place_key(d.name) and gazetteer.place_key(d.name) not in taken
    ]
    text = pa.string()
    places_rows = pa.table(
        {
            "code": pa.array([d.code for d in districts], text),
            "name": pa.array([d.name for d in districts], text),
            "level": pa.array([LEVEL] * len(districts), pa.int32()),
            "parent": pa.array([d.province for d in districts], text),
            "country_iso3": pa.array([iso3] * len(districts), text),
            "latitude": pa.array([d.latitude for d in districts], pa.float64()),
            "longitude": pa.array([d.longitude for d in districts], pa.float64()),
        }
    )
    alias_rows = pa.table(
        {
            "alias_key": pa.array([a[0] for a in aliases], text),
            "alias": pa.array([a[1] for a in aliases], text),
            "code": pa.array([a[2] for a in aliases], text),
            "country_iso3": pa.array([iso3] * len(aliases), text),
            "level": pa.array([LEVEL] * len(aliases), pa.int32()),
        }
    )
    with store.transaction():
        replaced = store.execute(
            "DELETE FROM places WHERE level = ? AND country_iso3 = ?", [LEVEL, iso3]
        )
        store.execute(
            "DELETE FROM place_aliases WHERE level = ? AND country_iso3 = ?", [LEVEL, iso3]
        )
        with store.staged_rows(places_rows) as new_places:
            store.execute(
                f"""INSERT INTO places (code, name, level, parent, country_iso3, latitude,
                longitude) SELECT code, name, level, parent, country_iso3, latitude, longitude
                FROM {new_places}"""
            )
        with store.staged_rows(alias_rows) as new_aliases:
            store.execute(
                f"""INSERT INTO place_aliases (alias_key, alias, code, country_iso3, level)
                SELECT alias_key, alias, code, country_iso3, level FROM {new_aliases}"""
            )
    return {
        "districts": len(districts),
        "provinces": len({d.province for d in districts}),
        "aliases": len(aliases),
        "aliases_skipped": len(districts) - len(aliases),
        "replaced": replaced,
    }
