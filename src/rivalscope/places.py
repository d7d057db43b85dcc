"""The gazetteer: countries, first-level provinces (ISO 3166-2), their spellings, and polygons.

Countries and provinces of every country come from pycountry, reshaped where sources draw the
first level differently (:mod:`rivalscope.place_names`: Iraq's and Indonesia's groupings give
way to the units they group, Palestine's governorates to the West Bank and the Gaza Strip).
Every province is known by its ISO code, its pycountry names, the English exonyms and former
names of :mod:`rivalscope.place_names`, and (for the lower-level units pycountry lists) the
names of the units inside it; Afghanistan's 34 provinces carry the spellings of UCDP, ACLED,
geoBoundaries, the 398-district layer and the press. Names resolve by a normalized key
(:func:`place_key`), never by fuzzy guessing: a key that names several provinces of a country
resolves to none.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pycountry

from rivalscope.errors import InputError, NotFoundError
from rivalscope.place_names import (
    ARTICLES,
    EXONYMS,
    FORMER_CODES,
    FORMER_NAMES,
    GROUPINGS,
    LINK_WORDS,
    TERRITORIES,
    TYPE_QUALIFIERS,
    TYPE_WORDS,
)

logger = logging.getLogger(__name__)

GAZETTEER_VERSION = "2"
"""Changes whenever the built-in provinces, their aliases or :func:`place_key` change: a store
seeded with another version must be seeded again (its alias keys are stale)."""

_LETTERS = str.maketrans(
    {
        "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "ı": "i",
        "þ": "th", "ħ": "h", "ə": "a", "&": " and ", "'": None, "`": None,
    }
)  # fmt: skip
_WORDS = re.compile(r"[a-z0-9]+")


def _fold(name: str) -> str:
    """Lower case ASCII: accents and apostrophes dropped, letters NFKD keeps (``ß``, ``ł``)
    spelled out; other scripts vanish."""
    plain = name.lower().translate(_LETTERS)
    if not plain.isascii():
        plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    return plain


def _strip_type(words: list[str]) -> list[str]:
    """``words`` without a leading (``Republic of``) or trailing (``oblast``, ``Federal Capital
    Territory``) type phrase, unless nothing but the phrase would be left."""
    start, index = 0, 0
    while index < len(words) and words[index] in TYPE_QUALIFIERS:
        index += 1
    if index < len(words) and words[index] in TYPE_WORDS:
        index += 1
        while index < len(words) and words[index] in TYPE_QUALIFIERS:
            index += 1
        if index < len(words) and words[index] in LINK_WORDS:
            index += 1
        if index < len(words):
            start = index
    end = len(words)
    while end - start > 1 and words[end - 1] in TYPE_WORDS:
        end -= 1
        while end - start > 1 and words[end - 1] in TYPE_QUALIFIERS:
            end -= 1
    kept = words[start:end]
    if all(word in TYPE_QUALIFIERS for word in kept):
        return words[start:]
    return kept


@lru_cache(maxsize=65536)
def place_key(name: str) -> str:
    """The key a place name resolves by: the rules that reconcile spellings.

    Case, accents, apostrophes and punctuation go; so does a type phrase before or after the
    name (``Donetsk oblast``, ``Aleppo governorate``, ``Republic of Dagestan``, ``Federal
    Capital Territory`` of ``Abuja Federal Capital Territory``) and articles (``Al Anbar``,
    ``Anbar``); ``ou`` folds to ``u`` (``Tartous``, ``Tartus``).
    ``Nangarhar province``, ``Nangarhār`` and ``NANGARHAR`` share the key ``nangarhar``.
    """
    if _is_code(name):
        return name.strip().lower().replace("-", "").replace("_", "")
    words = _strip_type(_WORDS.findall(_fold(name)))
    return "".join([word for word in words if word not in ARTICLES] or words).replace("ou", "u")


_CODE_PATTERN = re.compile(r"\s*([A-Za-z]{2})[-_]([A-Za-z0-9]{1,3})\s*")


def _is_code(name: str) -> bool:
    """Whether a name is written as an ISO 3166-2 code, current or former (``AF-NAN``,
    ``af_kan``, ``ZA-NL``): it keys as the code, so ``BJ-AL`` is not ``Bj`` without ``al``."""
    match = _CODE_PATTERN.fullmatch(name)
    return match is not None and f"{match[1]}-{match[2]}".upper() in _known_codes()


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(
        {s.code for s in pycountry.subdivisions} | set(FORMER_CODES) | set(TERRITORIES)
    )


def _plain_key(name: str) -> str:
    return "".join(_WORDS.findall(_fold(name)))


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
                index.setdefault(_plain_key(value), country.alpha_3)
    for name, iso3 in UCDP_COUNTRY_NAMES.items():
        index[_plain_key(name)] = iso3
    return index


def require_country(name: str, parameter: str = "country") -> str:
    """ISO3 code of a country name or code.

    Raises:
        NotFoundError: no country is called ``name`` (naming ``parameter``).
    """
    iso3 = country_iso3(name)
    if iso3 is None:
        raise NotFoundError(f"no country is called {name!r}", parameter=parameter)
    return iso3


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
    return _country_index().get(_plain_key(text))


def country_name(iso3: str) -> str:
    """The English short name of a country code (the code itself when unknown)."""
    found = pycountry.countries.get(alpha_3=iso3)
    return str(getattr(found, "common_name", None) or found.name) if found else iso3


@dataclass(frozen=True)
class _Unit:
    """A first-level unit and the names pycountry gives it."""

    code: str
    iso3: str
    name: str
    official: tuple[str, ...]


@dataclass(frozen=True)
class _Gazetteer:
    """First-level units of every country and how every ISO 3166-2 code maps onto them."""

    units: dict[str, _Unit]
    ancestor: dict[str, str | None]
    lower: tuple[tuple[str, str], ...]


@cache
def _gazetteer() -> _Gazetteer:
    alpha3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    subs = {s.code: s for s in pycountry.subdivisions if s.country_code in alpha3}
    member_of = {m: code for code, (_, members) in TERRITORIES.items() for m in members}
    first = {
        code
        for code, sub in subs.items()
        if (sub.parent_code is None and code not in GROUPINGS and code not in member_of)
        or (sub.parent_code in GROUPINGS)
    }
    afghan = {p.code: p.name for p in AFGHAN_PROVINCES}
    units: dict[str, _Unit] = {}
    for code in sorted(first):
        sub = subs[code]
        shown = afghan.get(code) or (EXONYMS[code][0] if code in EXONYMS else sub.name)
        units[code] = _Unit(code, alpha3[sub.country_code], shown, (sub.name,))
    for code, (name, _) in TERRITORIES.items():
        units[code] = _Unit(code, alpha3[code[:2]], name, ())
    ancestor: dict[str, str | None] = {}

    def climb(code: str) -> str | None:
        if code not in ancestor:
            if code in units:
                ancestor[code] = code
            elif code in member_of:
                ancestor[code] = member_of[code]
            else:
                parent = subs[code].parent_code if code in subs else None
                ancestor[code] = climb(parent) if parent is not None and parent in subs else None
        return ancestor[code]

    for code in subs:
        climb(code)
    lower = tuple(
        (subs[code].name, top)
        for code, top in ancestor.items()
        if top is not None and code != top and code in subs
    )
    return _Gazetteer(units, ancestor, lower)


def first_level_code(code: str) -> str | None:
    """The first-level unit an ISO 3166-2 code (current, former or of a lower-level unit)
    belongs to, if exactly one: ``PH-SLU`` (Sulu) -> ``PH-14``, ``ZA-NL`` -> ``ZA-KZN``,
    ``PS-NBS`` (Nablus) -> ``PS-WE``; None for unknown codes and units split or grouped."""
    text = code.strip().upper().replace("_", "-")
    text = FORMER_CODES.get(text, text)
    return _gazetteer().ancestor.get(text) if text else None


def _name_parts(name: str) -> Iterator[str]:
    """A pycountry name and the names it holds: ``Catalunya [Cataluña]``, ``Haute-Sangha /
    Mambéré-Kadéï``, ``Ilocos (Region I)``, ``Asturias, Principado de``."""
    yield name
    outer = re.sub(r"[\[(].*?[\])]", " ", name)
    yield from re.findall(r"[\[(](.*?)[\])]", name)
    for part in re.split(r"\s*/\s*|;", outer):
        yield part.split(",")[0]


_CODE, _CURATED, _OFFICIAL, _INSIDE = range(4)
"""Alias ranks: a code, a name written here, pycountry's name, the name of a unit inside.
For one country and key only the best rank counts; two provinces there make it ambiguous."""


@cache
def _aliases() -> dict[tuple[str, str], tuple[int, dict[str, str]]]:
    """``(country, key) -> (rank, {code: alias})`` of every built-in spelling."""
    found: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
    gazetteer = _gazetteer()
    units = gazetteer.units

    def add(alias: str, code: str, rank: int) -> None:
        key = place_key(alias)
        if not key:
            return
        slot = (units[code].iso3, key)
        best = found.get(slot)
        if best is None or rank < best[0]:
            found[slot] = (rank, {code: alias})
        elif rank == best[0]:
            best[1].setdefault(code, alias)

    for code, top in gazetteer.ancestor.items():
        if top is not None:
            add(code, top, _CODE)
    for former, code in FORMER_CODES.items():
        if code:
            add(former, code, _CODE)
    for province in AFGHAN_PROVINCES:
        for alias in (province.name, *province.aliases):
            add(alias, province.code, _CURATED)
    for table in (EXONYMS, FORMER_NAMES):
        for code, names in table.items():
            for alias in names:
                add(alias, code, _CURATED)
    for code, (name, _) in TERRITORIES.items():
        add(name, code, _CURATED)
    for unit in units.values():
        for official in unit.official:
            for part in _name_parts(official):
                add(part, unit.code, _OFFICIAL)
    for name, top in gazetteer.lower:
        for part in _name_parts(name):
            add(part, top, _INSIDE)
    return found


def resolve_province(name: str, country_iso3: str | None = None) -> str | None:
    """The province code a name or code denotes in a country (anywhere when None), if exactly
    one does: ``resolve_province("Donetsk oblast", "UKR") == "UA-14"``."""
    by_code = first_level_code(name) if _is_code(name) else None
    if by_code is not None:
        return by_code if country_iso3 in (None, _gazetteer().units[by_code].iso3) else None
    key = place_key(name)
    if country_iso3 is None:
        codes = _codes_by_key().get(key, frozenset())
    else:
        found = _aliases().get((country_iso3, key))
        codes = frozenset(found[1]) if found else frozenset()
    return next(iter(codes)) if len(codes) == 1 else None


@cache
def _codes_by_key() -> dict[str, frozenset[str]]:
    """Every province a key names, in any country."""
    found: dict[str, set[str]] = {}
    for (_, key), (_, named) in _aliases().items():
        found.setdefault(key, set()).update(named)
    return {key: frozenset(codes) for key, codes in found.items()}


@cache
def places_table() -> pa.Table:
    """Countries (level 0) and first-level units (level 1) of every country."""
    countries = sorted(pycountry.countries, key=lambda c: c.alpha_3)
    units = sorted(_gazetteer().units.values(), key=lambda u: u.code)
    centres = {p.code: p for p in AFGHAN_PROVINCES}
    return pa.table(
        {
            "code": [c.alpha_3 for c in countries] + [u.code for u in units],
            "name": [str(getattr(c, "common_name", None) or c.name) for c in countries]
            + [u.name for u in units],
            "level": pa.array([0] * len(countries) + [1] * len(units), pa.int32()),
            "parent": [None] * len(countries) + [u.iso3 for u in units],
            "country_iso3": [c.alpha_3 for c in countries] + [u.iso3 for u in units],
            "latitude": pa.array(
                [None] * len(countries)
                + [centres[u.code].latitude if u.code in centres else None for u in units],
                pa.float64(),
            ),
            "longitude": pa.array(
                [None] * len(countries)
                + [centres[u.code].longitude if u.code in centres else None for u in units],
                pa.float64(),
            ),
        }
    )


@cache
def place_aliases_table() -> pa.Table:
    """Every known spelling of every first-level unit, keyed by :func:`place_key`; a key that
    names several units of one country has a row for each (it is ambiguous there)."""
    keys: list[str] = []
    aliases: list[str] = []
    codes: list[str] = []
    countries: list[str] = []
    for (iso3, key), (_, named) in _aliases().items():
        for code, alias in named.items():
            keys.append(key)
            aliases.append(alias)
            codes.append(code)
            countries.append(iso3)
    return pa.table(
        {
            "alias_key": pa.array(keys, pa.string()),
            "alias": pa.array(aliases, pa.string()),
            "code": pa.array(codes, pa.string()),
            "country_iso3": pa.array(countries, pa.string()),
            "level": pa.array([1] * len(keys), pa.int32()),
        }
    )


@dataclass(frozen=True)
class Boundary:
    """One province's polygons read from a boundaries file (several features merged)."""

    code: str
    name: str
    country_iso3: str
    wkb: bytes
    latitude: float
    longitude: float


@dataclass(frozen=True)
class BoundaryMatch:
    """What a boundaries file gave: one :class:`Boundary` per province, and the features
    skipped (``feature 12 (Rapti, NP-RA): ...``) because they match no single province."""

    boundaries: list[Boundary]
    skipped: list[str]


_CODE_PROPERTIES = ("shapeISO", "iso_3166_2", "ISO_1", "ISO3166_2", "iso_code", "ISO")
_HASC_PROPERTIES = ("HASC_1", "code_hasc", "hasc")
_NAME_PROPERTIES = ("shapeName", "name", "NAME_1", "name_en", "NAME")
_OTHER_NAME_PROPERTIES = ("gn_name", "woe_name", "name_alt", "VARNAME_1", "NL_NAME_1")
_COUNTRY_PROPERTIES = (
    "shapeGroup",
    "GID_0",
    "iso3",
    "ISO3",
    "adm0_a3",
    "iso_a3",
    "COUNTRY",
    "iso_a2",
)


def _feature_code(
    props: dict[str, Any], iso3: str | None, resolve: dict[tuple[str, str], str]
) -> tuple[str | None, str]:
    """The province a feature's properties name, and a short description of the feature for
    messages (None and the reason when there is none).

    The feature's own name wins over its code when the two disagree: boundary files carry
    outdated or swapped codes (Natural Earth writes Iran's numbering of before 2020, and
    ``AF-PKA`` for Paktia); then the code; then the other names; then a HASC code.
    """
    codes = [str(props[p]).strip() for p in _CODE_PROPERTIES if props.get(p)]
    names = _names(props, _NAME_PROPERTIES)
    label = f"{names[0] if names else 'no name'}, {codes[0] if codes else 'no code'}"
    by_code = None
    for raw in codes:
        text = raw.upper().replace("_", "-")
        if FORMER_CODES.get(text) == "":
            return None, f"{label}: a former unit now split between several provinces"
        by_code = by_code or first_level_code(text)
    country = (
        _gazetteer().units[by_code].iso3
        if by_code
        else iso3 or next((_country_of(c) for c in codes if _country_of(c)), None)
    )
    by_name = {_province_named(name, country, resolve) for name in names} - {None}
    if len(by_name) == 1:
        return by_name.pop(), label
    if by_code is not None:
        return by_code, label
    for name in _names(props, _OTHER_NAME_PROPERTIES):
        code = _province_named(name, country, resolve)
        if code is not None:
            return code, label
    for p in _HASC_PROPERTIES:
        if props.get(p):
            code = first_level_code(str(props[p]).replace(".", "-"))
            if code is not None and country in (None, _country_of(code)):
                return code, label
    return None, f"{label}: matches no known province"


def _names(props: dict[str, Any], keys: Sequence[str]) -> list[str]:
    """The names of a feature under these properties (GADM separates variants with ``|``)."""
    return [
        part.strip()
        for key in keys
        if props.get(key)
        for part in str(props[key]).split("|")
        if part.strip()
    ]


def _province_named(
    name: str, country: str | None, resolve: dict[tuple[str, str], str]
) -> str | None:
    code = resolve_province(name, country)
    if code is None and country is not None:
        listed = resolve.get((country, place_key(name)))
        code = first_level_code(listed) if listed else None
    return code


def _country_of(code: str) -> str | None:
    prefix = code.strip().upper().replace("_", "-").split("-")[0]
    found = pycountry.countries.get(alpha_2=prefix) if len(prefix) == 2 else None
    return found.alpha_3 if found else None


def match_boundaries(
    path: str | Path, resolve: dict[tuple[str, str], str] | None = None
) -> BoundaryMatch:
    """Read first-level boundaries of one country or of the world from GeoJSON.

    Each feature is matched to a province by its ISO 3166-2 code (geoBoundaries ``shapeISO``,
    Natural Earth ``iso_3166_2``, GADM ``ISO_1``; former codes and codes of lower-level units
    count for the province that holds them) and its name in its country (the code's, or
    ``shapeGroup``, ``GID_0``, ``adm0_a3``, ...), the name winning when they differ; else by
    other names, else by a HASC code (GADM ``HASC_1``). Features of one province are merged;
    features that match no single province are skipped and listed.

    Args:
        path: a GeoJSON FeatureCollection.
        resolve: ``(country_iso3, place_key) -> code`` for spellings beyond the built-in ones.

    Raises:
        InputError: the file is not GeoJSON, a geometry is malformed, or no feature matches a
            province.
    """
    from shapely.geometry import shape

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        features = document["features"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a GeoJSON FeatureCollection ({exc})") from exc
    parts: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    skipped: list[str] = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        iso3 = next(
            (found for p in _COUNTRY_PROPERTIES if (found := country_iso3(props.get(p)))), None
        )
        code, label = _feature_code(props, iso3, resolve or {})
        if code is None:
            skipped.append(f"feature {number} ({label})")
            continue
        if not feature.get("geometry"):
            skipped.append(f"feature {number} ({label}): no geometry")
            continue
        try:
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{path}: feature {number} ({label}): bad geometry ({exc})") from exc
        parts.setdefault(code, []).append(geometry)
        names.setdefault(code, label.rsplit(", ", 1)[0])
    if not parts:
        shown = "; ".join(skipped[:5]) or "the file has no features"
        raise InputError(f"{path}: {shown}")
    if skipped:
        logger.warning("%s: %d features skipped: %s", path, len(skipped), "; ".join(skipped[:5]))
    units = _gazetteer().units
    boundaries = []
    for code, geometries in parts.items():
        merged = _merge(geometries)
        point = merged.representative_point()
        boundaries.append(
            Boundary(code, names[code], units[code].iso3, merged.wkb, point.y, point.x)
        )
    return BoundaryMatch(boundaries, skipped)


def read_boundaries(
    path: str | Path, resolve: dict[tuple[str, str], str] | None = None
) -> list[Boundary]:
    """The provinces' boundaries of :func:`match_boundaries` (skipped features are logged)."""
    return match_boundaries(path, resolve).boundaries


def _merge(geometries: list[Any]) -> Any:
    """One geometry of a province's features: their polygons as one multipolygon."""
    import shapely

    if len(geometries) == 1:
        return geometries[0]
    polygons = [
        part
        for geometry in geometries
        for part in shapely.get_parts(geometry)
        if part.geom_type == "Polygon"
    ]
    return shapely.multipolygons(polygons)


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
    """``event_id`` and province ``code`` of each point inside one of ``polygons``.

    Args:
        polygons: ``(code, country_iso3, WKB)`` of each province; where several hold a point
            (a city drawn inside its region without a hole), the smallest wins.
        todo: ``event_id``, ``longitude``, ``latitude`` and, optionally, ``country_iso3``: an
            event of a known country goes to a province of that country when one holds it (a
            point on a border), else to the province that holds it (the sources code some
            events by the state that ruled the place then: UCDP's Israel in the West Bank,
            Serbia in Kosovo, Sudan in South Sudan before 2011).
    """
    import numpy as np
    import shapely

    shapes = shapely.from_wkb([p[2] for p in polygons])
    tree = shapely.STRtree(shapes)
    points = shapely.points(todo.column("longitude").to_numpy(), todo.column("latitude").to_numpy())
    point_index, shape_index = tree.query(points, predicate="intersects")
    elsewhere = np.zeros(len(point_index), dtype=bool)
    if "country_iso3" in todo.column_names and len(point_index):
        events = np.asarray(todo.column("country_iso3").to_pylist(), dtype=object)[point_index]
        owners = np.asarray([p[1] for p in polygons], dtype=object)[shape_index]
        elsewhere = np.array(
            [e is not None and e != o for e, o in zip(events, owners, strict=True)], dtype=bool
        )
    order = np.lexsort((shapely.area(shapes)[shape_index], elsewhere, point_index))
    point_index, shape_index = point_index[order], shape_index[order]
    first = np.unique(point_index, return_index=True)[1]
    ids = todo.column("event_id").take(pa.array(point_index[first]))
    codes = pa.array([polygons[i][0] for i in shape_index[first]], pa.string())
    return pa.table({"event_id": ids, "code": codes})


def place_keys_table(pairs: Sequence[tuple[str | None, str]]) -> pa.Table:
    """``iso3``, ``admin1`` and its :func:`place_key` of each (country, province name) pair,
    the rows :func:`place_codes_sql` resolves."""
    return pa.table(
        {
            "iso3": pa.array([p[0] for p in pairs], pa.string()),
            "admin1": pa.array([p[1] for p in pairs], pa.string()),
            "key": pa.array([place_key(p[1]) for p in pairs], pa.string()),
        }
    )


def place_codes_sql(keys: str) -> str:
    """SQL (DuckDB and PostgreSQL) of the province ``code`` and its ``place_iso3`` of each row
    of ``keys`` (:func:`place_keys_table`) by the store's ``place_aliases``: in the country
    when it is known, else a unique match anywhere; a key two provinces share gives none."""
    return f"""SELECT k.iso3, k.admin1,
           CASE WHEN count(DISTINCT a.code) = 1 THEN min(a.code) END AS code,
           CASE WHEN count(DISTINCT a.code) = 1 THEN min(a.country_iso3) END AS place_iso3
    FROM {keys} k
    LEFT JOIN place_aliases a ON a.alias_key = k.key
      AND (a.country_iso3 = k.iso3 OR k.iso3 IS NULL)
    GROUP BY k.iso3, k.admin1"""
