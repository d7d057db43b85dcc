"""A seeded generator of a SYNTHETIC Afghanistan conflict-event data set.

Nothing this module writes is real. It invents events for Afghanistan from 2015-01-01 to
2023-12-31 and writes them in two real-world file layouts, so that the rest of Rivalscope (ingest,
analysis, reports, benchmarks) can be exercised without downloading anything:

* a CSV in the UCDP GED 21.1 column layout (:func:`write_ged`), and
* a CSV in the ACLED export layout (:func:`write_acled`).

Every file says that it is synthetic: the ACLED ``source`` column starts with ``SYNTHETIC`` and the
UCDP ``source_headline`` / ``source_original`` columns are ``SYNTHETIC``; the default file names are
``synthetic_ged.csv`` and ``synthetic_acled.csv``.

The invented world is shaped like the real one, loosely, because the demo and the tests of the
analyses rely on its broad features:

* Taliban against the Republic (UCDP type 1, ``Government of Afghanistan - Taleban``) is the bulk of
  the events before 2021-08-15, in every province, with a summer fighting season.
* From 2021-08-15 the Taliban are the state: UCDP's ``Government of Afghanistan`` then fights ``IS``
  on the Taliban's behalf and there are no ``Government of Afghanistan - Taleban`` events; ACLED's
  ``(2004-2021)`` forces give way to its ``(2021-)`` forces.
* ISK (UCDP ``IS``) lives mostly in Nangarhar, Kunar, Kabul and Jowzjan. Its clashes with the
  Taliban (UCDP type 2, ``IS - Taleban``) fall in 13 provinces, most in Nangarhar, and peak in
  2015-2019.
* After August 2021 ISK attacks civilians, above all in Kabul, and attacks the Taliban state.
* The United States strikes IS in Nangarhar, 2016-2020 (UCDP); ACLED's US air strikes stop before
  September 2021.
* ACLED's coverage of Afghanistan starts in 2017, so the ACLED file does too.

Generation is column-wise with one :class:`numpy.random.Generator` per file (no Python loop per
row) and the CSV text is assembled with :mod:`pyarrow.compute`, 200,000 rows at a time, so a
million GED rows take seconds and little memory. The same seed gives byte-identical files.

Example:
    >>> from rivalscope.synth import generate
    >>> files = generate("demo-data", ged_rows=1_000, acled_rows=1_000)  # doctest: +SKIP
    >>> files.ged_csv.name  # doctest: +SKIP
    'synthetic_ged.csv'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from rivalscope.store import Store

__all__ = [
    "ACLED_COLUMNS",
    "ACLED_FILE_NAME",
    "GED_COLUMNS",
    "GED_FILE_NAME",
    "SynthFiles",
    "generate",
    "write_acled",
    "write_ged",
]

GED_FILE_NAME = "synthetic_ged.csv"
"""Default file name of the synthetic UCDP GED file."""

ACLED_FILE_NAME = "synthetic_acled.csv"
"""Default file name of the synthetic ACLED file."""

_GED_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,"
    "source_date,source_headline,source_original,where_prec,where_coordinates,where_description,"
    "adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,event_clarity,"
    "date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,"
    "low,gwnoa,gwnob"
)
GED_COLUMNS: tuple[str, ...] = tuple(_GED_HEADER.split(","))
"""The UCDP GED 21.1 CSV columns, in file order."""

_ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,"
    "country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,"
    "notes,fatalities,tags,timestamp"
)
ACLED_COLUMNS: tuple[str, ...] = tuple(_ACLED_HEADER.split(","))
"""The ACLED export CSV columns, in file order."""

_CHUNK_ROWS = 200_000
_GED_STREAM = 1
_ACLED_STREAM = 2

_FIRST_DAY = dt.date(2015, 1, 1)
_LAST_DAY = dt.date(2023, 12, 31)
_TAKEOVER = dt.date(2021, 8, 15)
"""The day the Taliban took Kabul: from here on they are the state."""
_BEFORE_TAKEOVER = _TAKEOVER - dt.timedelta(days=1)
_ACLED_FIRST_DAY = dt.date(2017, 1, 1)
_ISKP_RENAMED = dt.date(2022, 1, 1)
"""ACLED writes ``Islamic State (Afghanistan)`` before this day, ``... Khorasan Province`` after."""

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_FIGHTING_SEASON = (0.6, 0.6, 0.8, 1.0, 1.2, 1.3, 1.3, 1.3, 1.2, 1.1, 0.9, 0.7)
"""Relative monthly intensity of the Taliban insurgency (January first)."""


# --------------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------------


class _Province(NamedTuple):
    """One province of Afghanistan as this generator sees it.

    Attributes:
        code: ISO 3166-2 code, e.g. ``AF-NAN``.
        ucdp: UCDP GED 21.1 spelling without the `` province`` suffix.
        acled: ACLED spelling.
        lat: Approximate latitude of the province's centre.
        lon: Approximate longitude of the province's centre.
        radius: How far (degrees) a point may stray from the centre and stay in the province
            (checked against the geoBoundaries ADM1 polygons).
        districts: A few district names (the first is the provincial capital's district).
    """

    code: str
    ucdp: str
    acled: str
    lat: float
    lon: float
    radius: float
    districts: tuple[str, ...]


_PROVINCES: tuple[_Province, ...] = (
    _Province("AF-BDS", "Badakhshan", "Badakhshan", 37.0, 71.0, 0.25,
              ("Fayzabad", "Jurm", "Warduj", "Baharak", "Yamgan")),
    _Province("AF-BDG", "Badghis", "Badghis", 35.2, 63.7, 0.25,
              ("Qala-e-Naw", "Bala Murghab", "Ghormach", "Muqur", "Qadis")),
    _Province("AF-BGL", "Baghlan", "Baghlan", 35.8, 68.7, 0.25,
              ("Pul-e-Khumri", "Baghlan-e-Jadid", "Dahana-e-Ghori", "Burka", "Andarab")),
    _Province("AF-BAL", "Balkh", "Balkh", 36.6, 67.0, 0.25,
              ("Mazar-e-Sharif", "Chahar Bolak", "Dawlatabad", "Balkh", "Chimtal")),
    _Province("AF-BAM", "Bamyan", "Bamyan", 34.8, 67.8, 0.11,
              ("Bamyan", "Kahmard", "Saighan", "Yakawlang")),
    _Province("AF-DAY", "Daykundi", "Daykundi", 33.7, 66.0, 0.25,
              ("Nili", "Kijran", "Khadir", "Ashtarlay")),
    _Province("AF-FRA", "Farah", "Farah", 32.5, 62.2, 0.22,
              ("Farah", "Bala Buluk", "Pusht Rod", "Khak-e-Safed", "Bakwa")),
    _Province("AF-FYB", "Faryab", "Faryab", 35.9, 64.8, 0.24,
              ("Maymana", "Qaysar", "Shirin Tagab", "Almar", "Pashtun Kot")),
    _Province("AF-GHA", "Ghanzi", "Ghazni", 33.3, 68.0, 0.25,
              ("Ghazni", "Andar", "Qarabagh", "Giro", "Deh Yak", "Ab Band")),
    _Province("AF-GHO", "Ghor", "Ghor", 34.1, 64.9, 0.25,
              ("Chaghcharan", "Shahrak", "Taywara", "Dolaina")),
    _Province("AF-HEL", "Helmand", "Helmand", 31.4, 64.0, 0.25,
              ("Lashkar Gah", "Nad-e-Ali", "Nahr-e-Saraj", "Musa Qala", "Sangin", "Garmser")),
    _Province("AF-HER", "Herat", "Herat", 34.3, 62.2, 0.25,
              ("Herat", "Shindand", "Adraskan", "Gulran", "Kushk", "Obe")),
    _Province("AF-JOW", "Jowzjan", "Jowzjan", 36.7, 65.8, 0.23,
              ("Sheberghan", "Darzab", "Qush Tepa", "Khamyab", "Aqcha")),
    _Province("AF-KAB", "Kabul", "Kabul", 34.5, 69.2, 0.12,
              ("Kabul", "Paghman", "Char Asyab", "Surobi", "Bagrami")),
    _Province("AF-KAN", "Kandahar", "Kandahar", 31.6, 65.7, 0.25,
              ("Kandahar", "Arghandab", "Zheray", "Panjwayi", "Maiwand", "Spin Boldak")),
    _Province("AF-KAP", "Kapisa", "Kapisa", 34.9, 69.6, 0.04,
              ("Mahmud-e-Raqi", "Tagab", "Nijrab", "Alasay")),
    _Province("AF-KHO", "Khost", "Khost", 33.3, 69.9, 0.13,
              ("Khost", "Sabari", "Tani", "Gurbuz")),
    _Province("AF-KNR", "Kunar", "Kunar", 34.9, 71.1, 0.1,
              ("Asadabad", "Chapa Dara", "Watapur", "Manogay", "Dangam", "Sarkani")),
    _Province("AF-KDZ", "Kunduz", "Kunduz", 36.7, 68.9, 0.2,
              ("Kunduz", "Chahar Dara", "Imam Sahib", "Dasht-e-Archi", "Khanabad")),
    _Province("AF-LAG", "Laghman", "Laghman", 34.7, 70.2, 0.15,
              ("Mehtarlam", "Alingar", "Alishing", "Qarghayi")),
    _Province("AF-LOG", "Logar", "Logar", 34.0, 69.2, 0.14,
              ("Pul-e-Alam", "Mohammad Agha", "Baraki Barak", "Charkh", "Azra")),
    _Province("AF-NAN", "Nangarhar", "Nangarhar", 34.3, 70.5, 0.18,
              ("Jalalabad", "Achin", "Deh Bala", "Kot", "Spin Ghar", "Chaparhar", "Khogyani",
               "Nazyan", "Pachir Wa Agam", "Haska Mina")),
    _Province("AF-NIM", "Nimruz", "Nimroz", 30.9, 62.0, 0.16,
              ("Zaranj", "Khash Rod", "Delaram", "Chahar Burjak")),
    _Province("AF-NUR", "Nuristan", "Nuristan", 35.3, 70.9, 0.14,
              ("Parun", "Waygal", "Kamdesh", "Bargi Matal")),
    _Province("AF-PIA", "Paktia", "Paktya", 33.6, 69.4, 0.14,
              ("Gardez", "Zurmat", "Sayed Karam", "Ahmadaba")),
    _Province("AF-PKA", "Paktika", "Paktika", 32.5, 68.8, 0.25,
              ("Sharana", "Urgun", "Yahya Khel", "Barmal", "Gomal")),
    _Province("AF-PAN", "Panjshir", "Panjshir", 35.4, 69.7, 0.1,
              ("Bazarak", "Rukha", "Dara", "Khenj")),
    _Province("AF-PAR", "Parwan", "Parwan", 35.0, 69.0, 0.07,
              ("Charikar", "Bagram", "Shinwari", "Ghorband")),
    _Province("AF-SAM", "Samangan", "Samangan", 36.3, 67.9, 0.15,
              ("Aybak", "Dara-e-Suf-e-Payin", "Khuram Wa Sarbagh")),
    _Province("AF-SAR", "Sar-e Pol", "Sar-e Pol", 36.2, 66.0, 0.14,
              ("Sar-e Pol", "Sayad", "Kohistanat", "Sancharak")),
    _Province("AF-TAK", "Takhar", "Takhar", 36.7, 69.5, 0.19,
              ("Taloqan", "Khwaja Ghar", "Darqad", "Dasht-e-Qala", "Eshkamesh")),
    _Province("AF-URU", "Uruzgan", "Uruzgan", 32.9, 66.1, 0.15,
              ("Tarinkot", "Dehrawud", "Chora", "Khas Uruzgan")),
    _Province("AF-WAR", "Wardak", "Wardak", 34.3, 68.4, 0.25,
              ("Maidan Shahr", "Sayedabad", "Jalrez", "Chak", "Nerkh")),
    _Province("AF-ZAB", "Zabul", "Zabul", 32.2, 67.2, 0.13,
              ("Qalat", "Shah Joy", "Shinkay", "Arghandab", "Mizan")),
)  # fmt: skip
"""The 34 provinces (ISO 3166-2 code, UCDP and ACLED spellings, rough centre, some districts)."""

_PROVINCE_INDEX: dict[str, int] = {p.code: i for i, p in enumerate(_PROVINCES)}

_TALIBAN_INSURGENCY: dict[str, float] = {
    "AF-HEL": 8, "AF-KAN": 6, "AF-GHA": 6, "AF-FYB": 5, "AF-KDZ": 5, "AF-URU": 4, "AF-FRA": 4,
    "AF-BGL": 4, "AF-NAN": 4, "AF-BDG": 3, "AF-ZAB": 3, "AF-PKA": 3, "AF-LOG": 3, "AF-WAR": 3,
    "AF-HER": 3, "AF-TAK": 3, "AF-BDS": 3, "AF-BAL": 3, "AF-PIA": 3, "AF-JOW": 2, "AF-SAR": 2,
    "AF-KHO": 2, "AF-LAG": 2, "AF-KNR": 2, "AF-KAP": 2, "AF-PAR": 1.5, "AF-GHO": 1.5,
    "AF-KAB": 1.5, "AF-SAM": 1, "AF-NIM": 1, "AF-NUR": 1, "AF-DAY": 0.7, "AF-BAM": 0.4,
    "AF-PAN": 0.3,
}  # fmt: skip
"""Where the Taliban fought the Republic (every province, weighted)."""

_ISK_VS_TALIBAN: dict[str, float] = {
    "AF-NAN": 45, "AF-JOW": 10, "AF-KNR": 8, "AF-SAR": 4, "AF-GHO": 4, "AF-LOG": 3, "AF-ZAB": 3,
    "AF-BDS": 3, "AF-URU": 3, "AF-LAG": 3, "AF-FYB": 3, "AF-HEL": 3, "AF-NUR": 3,
}  # fmt: skip
"""Where ISK and the Taliban clashed: 13 of the 34 provinces, Nangarhar above all."""

_ISK_BEFORE_TAKEOVER: dict[str, float] = {
    "AF-NAN": 60, "AF-KNR": 10, "AF-KAB": 6, "AF-JOW": 6, "AF-LAG": 3, "AF-NUR": 2, "AF-SAR": 2,
    "AF-GHO": 1, "AF-KHO": 1, "AF-LOG": 1, "AF-ZAB": 1, "AF-PIA": 1, "AF-HER": 1, "AF-FYB": 1,
}  # fmt: skip
"""Where the Republic fought ISK."""

_ISK_AFTER_TAKEOVER: dict[str, float] = {
    "AF-NAN": 35, "AF-KAB": 20, "AF-KNR": 15, "AF-LAG": 4, "AF-BAL": 4, "AF-PAR": 3, "AF-KAP": 3,
    "AF-JOW": 3, "AF-KDZ": 3, "AF-NUR": 3, "AF-HER": 2, "AF-KAN": 2,
}  # fmt: skip
"""Where the Taliban state fights ISK."""

_ISK_ON_CIVILIANS_AFTER: dict[str, float] = {
    "AF-KAB": 55, "AF-NAN": 15, "AF-BAL": 8, "AF-KDZ": 6, "AF-KAN": 5, "AF-HER": 4, "AF-KNR": 3,
    "AF-PAR": 2, "AF-JOW": 2,
}  # fmt: skip
"""Where ISK attacks civilians after the takeover: Kabul above all."""

_ISK_ON_CIVILIANS_BEFORE: dict[str, float] = {
    "AF-NAN": 45, "AF-KAB": 35, "AF-KNR": 5, "AF-JOW": 5, "AF-HER": 3, "AF-PIA": 3, "AF-GHO": 2,
    "AF-LAG": 2,
}  # fmt: skip
"""Where ISK attacks civilians before the takeover."""

_US_VS_ISK: dict[str, float] = {"AF-NAN": 85, "AF-KNR": 12, "AF-NUR": 3}
"""Where the United States strikes ISK."""

_US_VS_TALIBAN: dict[str, float] = {
    "AF-HEL": 6, "AF-KAN": 4, "AF-FRA": 2, "AF-KDZ": 2, "AF-GHA": 2, "AF-URU": 2, "AF-BDG": 1,
    "AF-FYB": 1, "AF-ZAB": 1, "AF-NAN": 1,
}  # fmt: skip
"""Where the United States strikes the Taliban."""

_BORDER_EAST: dict[str, float] = {"AF-KNR": 3, "AF-NAN": 3, "AF-KHO": 2, "AF-PKA": 2, "AF-NUR": 1}
"""The eastern border provinces (al-Qaida, TTP)."""


# --------------------------------------------------------------------------------------------------
# The calendar: every string a date needs, computed once for all 3,287 days
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """Per-day lookups for 2015-01-01..2023-12-31 (index 0 is 2015-01-01).

    Attributes:
        days: Number of days covered.
        year: Year of each day.
        month: Month (1-12) of each day.
        unix: Unix seconds at 00:00 UTC of each day.
        iso: ``YYYY-MM-DD`` strings.
        acled: ``dd Month yyyy`` strings (ACLED's ``event_date``).
        prose: ``d Month yyyy`` strings (for notes: ``On 1 January 2023, ...``).
        year_text: The year as text.
    """

    days: int
    year: npt.NDArray[np.int64]
    month: npt.NDArray[np.int64]
    unix: npt.NDArray[np.int64]
    iso: pa.Array
    acled: pa.Array
    prose: pa.Array
    year_text: pa.Array

    def index(self, day: dt.date) -> int:
        """Return the index of a day in this calendar.

        Args:
            day: A day between 2015-01-01 and 2023-12-31.

        Returns:
            The number of days since 2015-01-01.
        """
        return (day - _FIRST_DAY).days


@lru_cache(maxsize=1)
def _calendar() -> _Calendar:
    """Build the per-day lookups once (a few thousand days, so a plain loop is fine)."""
    dates = [_FIRST_DAY + dt.timedelta(days=i) for i in range((_LAST_DAY - _FIRST_DAY).days + 1)]
    epoch = dt.date(1970, 1, 1)
    return _Calendar(
        days=len(dates),
        year=np.array([d.year for d in dates], dtype=np.int64),
        month=np.array([d.month for d in dates], dtype=np.int64),
        unix=np.array([(d - epoch).days * 86_400 for d in dates], dtype=np.int64),
        iso=pa.array([d.isoformat() for d in dates], type=pa.string()),
        acled=pa.array(
            [f"{d.day:02d} {_MONTHS[d.month - 1]} {d.year}" for d in dates], type=pa.string()
        ),
        prose=pa.array([f"{d.day} {_MONTHS[d.month - 1]} {d.year}" for d in dates]),
        year_text=pa.array([str(d.year) for d in dates], type=pa.string()),
    )


# --------------------------------------------------------------------------------------------------
# Small vectorized helpers
# --------------------------------------------------------------------------------------------------


def _csv_quote(value: str) -> str:
    """Quote one CSV field the way an ordinary CSV writer does (only when needed)."""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _take(
    values: Sequence[str | None], index: npt.NDArray[np.integer], *, quote: bool = True
) -> pa.Array:
    """Pick ``values[index[i]]`` for every row (``None`` gives a null, written as an empty field).

    Args:
        values: The small table of distinct values.
        index: One index into ``values`` per row.
        quote: CSV-quote the values that need it (give ``False`` for parts of a longer text).

    Returns:
        A string array with one value per row.
    """
    table = [v if v is None or not quote else _csv_quote(v) for v in values]
    return pa.array(table, type=pa.string()).take(pa.array(index))


def _text(numbers: npt.NDArray[np.generic]) -> pa.Array:
    """Format numbers as text (integers plainly, floats in their shortest round-trip form)."""
    return pa.array(numbers).cast(pa.string())


def _quote_free_text(column: pa.Array) -> pa.Array:
    """CSV-quote the values of a free-text column that contain a comma, a quote or a line break."""
    needs = pc.match_substring_regex(column, r'[,"\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def _province_weights(table: Mapping[str, float] | None) -> npt.NDArray[np.float64]:
    """Turn a ``{ISO code: weight}`` table into a probability per province (``None``: uniform)."""
    p: npt.NDArray[np.float64] = np.zeros(len(_PROVINCES))
    if table is None:
        p += 1.0
    for code, w in (table or {}).items():
        p[_PROVINCE_INDEX[code]] = w
    p /= p.sum()
    return p


def _day_weights(
    start: dt.date,
    end: dt.date,
    years: Mapping[int, float] | None,
    seasonal: bool,
) -> npt.NDArray[np.float64]:
    """Probability of each calendar day for a kind of event active from ``start`` to ``end``."""
    cal = _calendar()
    w: npt.NDArray[np.float64] = np.ones(cal.days)
    if years is not None:
        w *= np.array([years.get(int(y), 0.0) for y in range(2015, 2024)])[cal.year - 2015]
    if seasonal:
        w *= np.asarray(_FIGHTING_SEASON)[cal.month - 1]
    w[: cal.index(start)] = 0.0
    w[cal.index(end) + 1 :] = 0.0
    total = w.sum()
    if total <= 0:
        raise ValueError(f"no day has weight between {start} and {end}")
    w /= total
    return w


def _counts(
    rng: np.random.Generator, mean: npt.NDArray[np.float64], dispersion: float
) -> npt.NDArray[np.int64]:
    """Draw over-dispersed counts (negative binomial) with the given per-row means."""
    mean = np.maximum(mean, 1e-9)
    return rng.negative_binomial(dispersion, dispersion / (dispersion + mean)).astype(np.int64)


@dataclass(frozen=True)
class _Places:
    """Where each row happened."""

    province: npt.NDArray[np.int64]
    district: npt.NDArray[np.int64]
    """Index into :data:`_DISTRICTS` (flattened district list)."""
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]


_DISTRICTS: tuple[str, ...] = tuple(d for p in _PROVINCES for d in p.districts)
_DISTRICT_OFFSET = np.cumsum([0] + [len(p.districts) for p in _PROVINCES[:-1]]).astype(np.int64)
_DISTRICT_COUNT = np.array([len(p.districts) for p in _PROVINCES], dtype=np.int64)
_CENTRE_LAT = np.array([p.lat for p in _PROVINCES])
_CENTRE_LON = np.array([p.lon for p in _PROVINCES])
_RADIUS = np.array([p.radius for p in _PROVINCES])


def _places(rng: np.random.Generator, province: npt.NDArray[np.int64]) -> _Places:
    """Draw a district and a point near the province's centre for every row."""
    n = province.size
    # The capital's district is the most common, as in real reporting.
    local = np.where(
        rng.random(n) < 0.3, 0, (rng.random(n) * _DISTRICT_COUNT[province]).astype(np.int64)
    )
    # A point scattered around the centre, kept within the province's safe radius.
    radius = _RADIUS[province]
    d_lat, d_lon = rng.normal(0.0, 1.0, size=(2, n)) * (radius / 2)
    shrink = np.minimum(1.0, radius / np.maximum(np.hypot(d_lat, d_lon), 1e-12))
    return _Places(
        province=province,
        district=_DISTRICT_OFFSET[province] + local,
        lat=_CENTRE_LAT[province] + d_lat * shrink,
        lon=_CENTRE_LON[province] + d_lon * shrink,
    )


def _draw_by_kind(
    rng: np.random.Generator,
    kind: npt.NDArray[np.int64],
    day_p: Sequence[npt.NDArray[np.float64]],
    province_p: Sequence[npt.NDArray[np.float64]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Draw a day and a province for every row from its kind's distributions."""
    n = kind.size
    day = np.zeros(n, dtype=np.int64)
    province = np.zeros(n, dtype=np.int64)
    for k in range(len(day_p)):  # a loop over the few kinds of event, not over rows
        rows = np.flatnonzero(kind == k)
        if rows.size:
            day[rows] = rng.choice(day_p[k].size, size=rows.size, p=day_p[k])
            province[rows] = rng.choice(province_p[k].size, size=rows.size, p=province_p[k])
    return day, province


def _write_lines(out: BinaryIO, columns: Sequence[pa.Array]) -> None:
    """Join CSV-ready columns into lines and write them (one ``\\n``-terminated line per row)."""
    # pyarrow.csv.write_csv would quote every string value (its "needed" style quotes all strings);
    # joining the already CSV-ready columns here gives ordinary CSV, quoted only where needed.
    lines = pc.binary_join_element_wise(*columns, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "\n", "")
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = lines.buffers()[2]
    if data is not None and offsets.size:
        out.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])


# --------------------------------------------------------------------------------------------------
# UCDP GED
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _GedDyad:
    """One kind of UCDP event: a dyad, when and where it fights, and how deadly it is."""

    weight: float
    type_of_violence: int
    conflict_id: int
    conflict_name: str
    dyad_id: int
    side_a_id: int
    side_a: str
    side_b_id: int
    side_b: str
    gwnoa: str | None
    start: dt.date
    end: dt.date
    provinces: Mapping[str, float] | None
    years: Mapping[int, float] | None = None
    seasonal: bool = False
    mean_deaths: float = 6.0
    share_a: float = 0.35
    share_b: float = 0.45
    share_civilians: float = 0.1

    @property
    def dyad_name(self) -> str:
        """UCDP's dyad name, ``side_a - side_b``."""
        return f"{self.side_a} - {self.side_b}"


_GOA = "Government of Afghanistan"
_GOA_ID = 130
_TALEBAN_ID = 303
_IS_ID = 1152
_CIV_ID = 1
_IS_STATE_WAR_YEARS = {2015: 0.6, 2016: 1.0, 2017: 1.2, 2018: 1.3, 2019: 1.1, 2020: 0.6, 2021: 0.5}

_GED_DYADS: tuple[_GedDyad, ...] = (
    _GedDyad(0.70, 1, 333, "Afghanistan: Government", 724, _GOA_ID, _GOA, _TALEBAN_ID, "Taleban",
             "700", _FIRST_DAY, _BEFORE_TAKEOVER, _TALIBAN_INSURGENCY,
             years={2015: 1.0, 2016: 1.1, 2017: 1.1, 2018: 1.4, 2019: 1.7, 2020: 1.6, 2021: 2.2},
             seasonal=True, mean_deaths=7.0),
    _GedDyad(0.055, 1, 333, "Afghanistan: Government", 13729, _GOA_ID, _GOA, _IS_ID, "IS",
             "700", _FIRST_DAY, _BEFORE_TAKEOVER, _ISK_BEFORE_TAKEOVER,
             years=_IS_STATE_WAR_YEARS, mean_deaths=8.0),
    _GedDyad(0.045, 1, 333, "Afghanistan: Government", 13729, _GOA_ID, _GOA, _IS_ID, "IS",
             "700", _TAKEOVER, _LAST_DAY, _ISK_AFTER_TAKEOVER,
             years={2021: 1.5, 2022: 1.0, 2023: 0.5}, mean_deaths=4.0),
    _GedDyad(0.02, 2, 14259, "IS - Taleban", 14259, _IS_ID, "IS", _TALEBAN_ID, "Taleban",
             None, _FIRST_DAY, _BEFORE_TAKEOVER, _ISK_VS_TALIBAN,
             years={2015: 1.0, 2016: 1.1, 2017: 1.3, 2018: 0.9, 2019: 0.5, 2020: 0.15,
                    2021: 0.05},
             mean_deaths=9.0, share_a=0.45, share_b=0.45, share_civilians=0.03),
    _GedDyad(0.06, 3, 469, "Taleban - Civilians", 1167, _TALEBAN_ID, "Taleban", _CIV_ID,
             "Civilians", None, _FIRST_DAY, _BEFORE_TAKEOVER, _TALIBAN_INSURGENCY,
             years={2015: 1.0, 2016: 1.1, 2017: 1.0, 2018: 1.2, 2019: 1.0, 2020: 1.0, 2021: 1.3},
             seasonal=True, mean_deaths=4.0),
    _GedDyad(0.02, 3, 13699, "IS - Civilians", 13699, _IS_ID, "IS", _CIV_ID, "Civilians",
             None, _FIRST_DAY, _BEFORE_TAKEOVER, _ISK_ON_CIVILIANS_BEFORE,
             years=_IS_STATE_WAR_YEARS, mean_deaths=12.0),
    _GedDyad(0.03, 3, 13699, "IS - Civilians", 13699, _IS_ID, "IS", _CIV_ID, "Civilians",
             None, _TAKEOVER, _LAST_DAY, _ISK_ON_CIVILIANS_AFTER,
             years={2021: 2.0, 2022: 1.2, 2023: 0.6}, mean_deaths=10.0),
    _GedDyad(0.008, 3, 470, "Government of Afghanistan - Civilians", 1168, _GOA_ID, _GOA,
             _CIV_ID, "Civilians", "700", _FIRST_DAY, _BEFORE_TAKEOVER, _TALIBAN_INSURGENCY,
             mean_deaths=3.0),
    _GedDyad(0.012, 3, 470, "Government of Afghanistan - Civilians", 1168, _GOA_ID, _GOA,
             _CIV_ID, "Civilians", "700", _TAKEOVER, _LAST_DAY, _TALIBAN_INSURGENCY,
             mean_deaths=2.0),
    _GedDyad(0.022, 1, 13640, "United States of America: Islamic State", 13641, 20,
             "Government of United States of America", _IS_ID, "IS", "2",
             dt.date(2016, 1, 1), dt.date(2020, 12, 31), _US_VS_ISK,
             years={2016: 0.8, 2017: 1.4, 2018: 1.2, 2019: 1.0, 2020: 0.3}, mean_deaths=6.0,
             share_a=0.0, share_b=0.85),
    _GedDyad(0.004, 1, 418, "United States of America: al-Qaida", 11347, 20,
             "Government of United States of America", 881, "al-Qaida", "2",
             _FIRST_DAY, dt.date(2019, 12, 31), _BORDER_EAST, mean_deaths=4.0,
             share_a=0.0, share_b=0.85),
    _GedDyad(0.004, 1, 209, "Pakistan: Government", 11355, 123, "Government of Pakistan",
             1089, "TTP", "770", _FIRST_DAY, _LAST_DAY, _BORDER_EAST, mean_deaths=5.0),
)  # fmt: skip
"""The kinds of UCDP event the synthetic world holds, with their shares of all rows."""


@lru_cache(maxsize=1)
def _ged_tables() -> tuple[
    npt.NDArray[np.float64], list[npt.NDArray[np.float64]], list[npt.NDArray[np.float64]]
]:
    """Kind probabilities and each kind's day and province distributions (computed once)."""
    kind_p = np.array([d.weight for d in _GED_DYADS])
    day_p = [_day_weights(d.start, d.end, d.years, d.seasonal) for d in _GED_DYADS]
    prov_p = [_province_weights(d.provinces) for d in _GED_DYADS]
    return kind_p / kind_p.sum(), day_p, prov_p


class _GedDeaths(NamedTuple):
    """Deaths of each GED row: by side, and the best, low and high estimates."""

    a: npt.NDArray[np.int64]
    b: npt.NDArray[np.int64]
    civilians: npt.NDArray[np.int64]
    unknown: npt.NDArray[np.int64]
    best: npt.NDArray[np.int64]
    low: npt.NDArray[np.int64]
    high: npt.NDArray[np.int64]


def _ged_deaths(
    rng: np.random.Generator, dyad: npt.NDArray[np.int64], best: npt.NDArray[np.int64]
) -> _GedDeaths:
    """Split each row's ``best`` between the sides by its dyad's shares; draw a low and a high.

    Draws, in this order: three binomial splits, then the low's and the high's spreads.
    """
    dyads = _GED_DYADS
    n = dyad.size
    pa_ = np.array([d.share_a for d in dyads])[dyad]
    pb_ = np.array([d.share_b for d in dyads])[dyad]
    pc_ = np.array([d.share_civilians for d in dyads])[dyad]
    one_sided = np.array([d.type_of_violence == 3 for d in dyads])[dyad]
    pa_ = np.where(one_sided, 0.0, pa_)
    pb_ = np.where(one_sided, 0.0, pb_)
    pc_ = np.where(one_sided, 0.9, pc_)
    deaths_a = rng.binomial(best, pa_)
    rest = best - deaths_a
    deaths_b = rng.binomial(rest, np.minimum(pb_ / np.maximum(1.0 - pa_, 1e-9), 1.0))
    rest = rest - deaths_b
    deaths_civ = rng.binomial(rest, np.minimum(pc_ / np.maximum(1.0 - pa_ - pb_, 1e-9), 1.0))
    low = best - np.where(rng.random(n) < 0.5, 0, rng.binomial(best, 0.3))
    high = best + np.where(
        rng.random(n) < 0.6, 0, _counts(rng, (0.5 * best + 1).astype(np.float64), 1.0)
    )
    return _GedDeaths(deaths_a, deaths_b, deaths_civ, rest - deaths_civ, best, low, high)


def _ged_columns(
    rng: np.random.Generator,
    dyad: npt.NDArray[np.int64],
    *,
    first_id: int,
    day: npt.NDArray[np.int64],
    province: npt.NDArray[np.int64],
    district: npt.NDArray[np.int64],
    no_adm2: npt.NDArray[np.bool_],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    where_prec: npt.NDArray[np.int64],
    where_coordinates: pa.Array,
    deaths: _GedDeaths,
    source_article: str,
) -> list[pa.Array]:
    """The GED columns in file order, ids from ``first_id``, for rows of these dyads.

    ``lat`` and ``lon`` come rounded; ``adm_2`` is empty where ``no_adm2``. Draws, in this order:
    ``number_of_sources``, then ``event_clarity``.
    """
    cal = _calendar()
    dyads = _GED_DYADS
    n = dyad.size
    # PRIO-GRID cell: 0.5 degree cells numbered row by row from (-90, -180), starting at 1.
    priogrid = (
        np.floor((lat + 90) * 2).astype(np.int64) * 720
        + np.floor((lon + 180) * 2).astype(np.int64)
        + 1
    )
    id_text = _text(np.arange(first_id, first_id + n, dtype=np.int64))
    year = cal.year_text.take(pa.array(day))
    iso_day = cal.iso.take(pa.array(day))
    lat_t = _text(lat)
    lon_t = _text(lon)
    tov = _text(np.array([d.type_of_violence for d in dyads])[dyad])
    conflict_id = _take([str(d.conflict_id) for d in dyads], dyad)
    dyad_id = _take([str(d.dyad_id) for d in dyads], dyad)
    side_a_id = _take([str(d.side_a_id) for d in dyads], dyad)
    side_b_id = _take([str(d.side_b_id) for d in dyads], dyad)
    adm2 = pc.if_else(
        pa.array(no_adm2),
        pa.scalar(None, pa.string()),
        _take([f"{d} district" for d in _DISTRICTS], district),
    )
    zeros = np.zeros(n, dtype=np.int64)
    empty = pa.nulls(n, pa.string())
    one = _take(["1"], zeros)
    synthetic = _take(["SYNTHETIC"], zeros)
    return [
        id_text,  # id
        pc.binary_join_element_wise("AFG", year, tov, dyad_id, id_text, "-"),  # relid
        year,
        one,  # active_year
        _take(["Clear"], zeros),  # code_status
        tov,
        conflict_id,  # conflict_dset_id
        conflict_id,  # conflict_new_id
        _take([d.conflict_name for d in dyads], dyad),
        dyad_id,  # dyad_dset_id
        dyad_id,  # dyad_new_id
        _take([d.dyad_name for d in dyads], dyad),
        side_a_id,
        side_a_id,
        _take([d.side_a for d in dyads], dyad),
        side_b_id,
        side_b_id,
        _take([d.side_b for d in dyads], dyad),
        _text(rng.choice(4, size=n, p=[0.5, 0.3, 0.15, 0.05]) + 1),  # number_of_sources
        _take([source_article], zeros),
        empty,  # source_office
        iso_day,  # source_date
        synthetic,  # source_headline
        synthetic,  # source_original
        _text(where_prec),
        where_coordinates,
        empty,  # where_description
        _take([f"{p.ucdp} province" for p in _PROVINCES], province),  # adm_1
        adm2,
        lat_t,
        lon_t,
        pc.binary_join_element_wise("POINT (", lon_t, " ", lat_t, ")", ""),  # geom_wkt
        _text(priogrid),
        _take(["Afghanistan"], zeros),
        _take(["700"], zeros),  # country_id
        _take(["Asia"], zeros),  # region
        _text(np.where(rng.random(n) < 0.9, 1, 2)),  # event_clarity
        one,  # date_prec
        iso_day,  # date_start
        iso_day,  # date_end
        _text(deaths.a),
        _text(deaths.b),
        _text(deaths.civilians),
        _text(deaths.unknown),
        _text(deaths.best),
        _text(deaths.high),
        _text(deaths.low),
        _take([d.gwnoa for d in dyads], dyad),
        empty,  # gwnob
    ]


def _ged_chunk(rng: np.random.Generator, n: int, first_id: int) -> list[pa.Array]:
    """Generate ``n`` GED rows, ids from ``first_id``, as CSV-ready columns in file order."""
    kind_p, day_p, prov_p = _ged_tables()
    kind = rng.choice(len(_GED_DYADS), size=n, p=kind_p)
    day, province = _draw_by_kind(rng, kind, day_p, prov_p)
    where = _places(rng, province)

    # Deaths: an over-dispersed best estimate, split between the sides, with a low and a high.
    mean = np.array([d.mean_deaths for d in _GED_DYADS])[kind]
    deaths = _ged_deaths(rng, kind, 1 + _counts(rng, mean - 1, 0.9))

    where_prec = rng.choice(3, size=n, p=[0.55, 0.3, 0.15]) + 1
    no_adm2 = rng.random(n) < 0.1
    place_kind = _take([" town", " town", " district"], where_prec - 1)
    where_coordinates = pc.binary_join_element_wise(
        _take(list(_DISTRICTS), where.district), place_kind, ""
    )
    return _ged_columns(
        rng,
        kind,
        first_id=first_id,
        day=day,
        province=province,
        district=where.district,
        no_adm2=no_adm2,
        lat=np.round(where.lat, 6),
        lon=np.round(where.lon, 6),
        where_prec=where_prec,
        where_coordinates=where_coordinates,
        deaths=deaths,
        source_article="SYNTHETIC record generated by rivalscope.synth",
    )


def _write_csv(
    path: str | Path,
    columns: tuple[str, ...],
    rows: int,
    chunk: Callable[[int, int], Sequence[pa.Array]],
) -> int:
    """Write the header, then ``rows`` data rows made ``_CHUNK_ROWS`` at a time by ``chunk``."""
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    with open(path, "wb") as out:
        out.write((",".join(columns) + "\n").encode())
        for first in range(0, rows, _CHUNK_ROWS):
            _write_lines(out, chunk(min(_CHUNK_ROWS, rows - first), first))
    return rows


def write_ged(path: str | Path, rows: int, *, seed: int = 2015, start_id: int = 1) -> int:
    """Write a SYNTHETIC conflict-event file in the UCDP GED 21.1 CSV layout.

    The events are invented (Afghanistan, 2015-2023); the ``source_headline`` and
    ``source_original`` columns say ``SYNTHETIC``. Rows are generated column-wise, 200,000 at a
    time, so a million rows take seconds and little memory.

    Args:
        path: The CSV file to write (overwritten if it exists).
        rows: How many events (data rows) to write.
        seed: Seed of the random generator; the same seed and arguments give identical bytes.
        start_id: The ``id`` of the first row; ids increase by one per row.

    Returns:
        The number of data rows written.

    Raises:
        ValueError: If ``rows`` is negative.
    """
    rng = np.random.default_rng([seed, _GED_STREAM])
    return _write_csv(
        path, GED_COLUMNS, rows, lambda n, first: _ged_chunk(rng, n, start_id + first)
    )


# --------------------------------------------------------------------------------------------------
# ACLED
# --------------------------------------------------------------------------------------------------

# Actor keys. "ISK" resolves by date to ACLED's older or newer name for the group.
_ACLED_ACTORS: dict[str, tuple[str, int]] = {
    "TALIBAN": ("Taliban", 2),
    "ISK": ("Islamic State (Afghanistan)", 2),
    "ISK_NEW": ("Islamic State Khorasan Province", 2),
    "MIL_OLD": ("Military Forces of Afghanistan (2004-2021)", 1),
    "POL_OLD": ("Police Forces of Afghanistan (2004-2021)", 1),
    "MIL_NEW": ("Military Forces of Afghanistan (2021-)", 1),
    "POL_NEW": ("Police Forces of Afghanistan (2021-)", 1),
    "US": ("Military Forces of the United States (2017-2021)", 8),
    "CIV": ("Civilians (Afghanistan)", 7),
    "AMBIG": ("Taliban and/or Islamic State (Afghanistan)", 2),
}
_ACTOR_KEYS: tuple[str, ...] = tuple(_ACLED_ACTORS)
_ACTOR_NUMBER: dict[str, int] = {k: i for i, k in enumerate(_ACTOR_KEYS)}


@dataclass(frozen=True)
class _AcledKind:
    """One kind of ACLED event: who does what to whom, when, where, and how deadly."""

    weight: float
    event_type: str
    sub_event_type: str
    actor1: str
    actor2: str | None
    start: dt.date
    end: dt.date
    provinces: Mapping[str, float] | None
    phrase: str
    """The middle of the note: ``On <date>, <phrase> <place>``."""
    mean_fatalities: float
    zero_share: float = 0.3
    years: Mapping[int, float] | None = None
    seasonal: bool = False
    assoc_actor_1: str | None = None
    assoc_actor_2: str | None = None
    assoc_share: float = 0.25
    quoted_detail: str | None = None
    """An optional clause with double quotes, used in some notes (exercises CSV quoting)."""

    @property
    def disorder_type(self) -> str:
        """ACLED's disorder type for this event type."""
        if self.event_type == "Strategic developments":
            return "Strategic developments"
        return "Political violence"


_A_START = _ACLED_FIRST_DAY
_US_LAST_STRIKE = dt.date(2021, 8, 31)
_BATTLE = ("Battles", "Armed clash")
_IED = ("Explosions/Remote violence", "Remote explosive/landmine/IED")
_SUICIDE = ("Explosions/Remote violence", "Suicide bomb")
_AIR = ("Explosions/Remote violence", "Air/drone strike")
_ATTACK = ("Violence against civilians", "Attack")
_CHANGE = ("Strategic developments", "Change to group/activity")
_INSURGENCY_YEARS = {2017: 1.0, 2018: 1.3, 2019: 1.5, 2020: 1.4, 2021: 2.0}
_STICKY = 'with a so-called "sticky bomb" attached to a vehicle'

_ACLED_KINDS: tuple[_AcledKind, ...] = (
    _AcledKind(0.30, *_BATTLE, "MIL_OLD", "TALIBAN", _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "Afghan forces clashed with Taliban militants in",
               5.0, years=_INSURGENCY_YEARS, seasonal=True,
               assoc_actor_1="Police Forces of Afghanistan (2004-2021)"),
    _AcledKind(0.12, *_BATTLE, "TALIBAN", "POL_OLD", _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "Taliban militants attacked a police checkpoint in",
               4.0, years=_INSURGENCY_YEARS, seasonal=True),
    _AcledKind(0.08, *_AIR, "MIL_OLD", "TALIBAN", _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "the Afghan Air Force struck Taliban positions in",
               6.0, zero_share=0.2, years=_INSURGENCY_YEARS, seasonal=True),
    _AcledKind(0.04, *_IED, "TALIBAN", "MIL_OLD", _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "a roadside bomb planted by the Taliban hit an army vehicle in",
               2.0, zero_share=0.4, years=_INSURGENCY_YEARS, quoted_detail=_STICKY),
    _AcledKind(0.03, *_IED, "TALIBAN", "POL_OLD", _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "a Taliban IED struck a police patrol in",
               2.0, zero_share=0.4, years=_INSURGENCY_YEARS, quoted_detail=_STICKY),
    _AcledKind(0.04, *_ATTACK, "TALIBAN", "CIV", _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "Taliban militants killed civilians in",
               1.5, years=_INSURGENCY_YEARS),
    _AcledKind(0.02, *_IED, "TALIBAN", "CIV", _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "a Taliban roadside bomb hit a civilian vehicle in",
               2.0, zero_share=0.3, years=_INSURGENCY_YEARS),
    _AcledKind(0.025, *_BATTLE, "ISK", "TALIBAN", _A_START, _BEFORE_TAKEOVER, _ISK_VS_TALIBAN,
               "IS militants clashed with Taliban militants in", 6.0, zero_share=0.2,
               years={2017: 1.4, 2018: 1.2, 2019: 0.8, 2020: 0.3, 2021: 0.1}),
    _AcledKind(0.035, *_BATTLE, "MIL_OLD", "ISK", _A_START, _BEFORE_TAKEOVER,
               _ISK_BEFORE_TAKEOVER, "Afghan forces conducted an operation against IS in",
               6.0, years={2017: 1.2, 2018: 1.3, 2019: 1.2, 2020: 0.5, 2021: 0.4}),
    _AcledKind(0.03, *_AIR, "US", "ISK", dt.date(2017, 1, 20), _US_LAST_STRIKE, _US_VS_ISK,
               "US drones struck IS positions in", 6.0, zero_share=0.15,
               years={2017: 1.5, 2018: 1.2, 2019: 1.0, 2020: 0.3, 2021: 0.2}),
    _AcledKind(0.02, *_AIR, "US", "TALIBAN", dt.date(2017, 1, 20), _BEFORE_TAKEOVER,
               _US_VS_TALIBAN, "US aircraft struck Taliban positions in", 7.0,
               zero_share=0.15, years={2017: 0.8, 2018: 1.5, 2019: 1.5, 2020: 0.4, 2021: 0.4}),
    _AcledKind(0.01, *_SUICIDE, "ISK", "CIV", _A_START, _BEFORE_TAKEOVER,
               _ISK_ON_CIVILIANS_BEFORE, "an IS suicide bomber attacked a crowd in", 15.0,
               zero_share=0.05),
    _AcledKind(0.005, *_IED, "AMBIG", "CIV", _A_START, _BEFORE_TAKEOVER, _ISK_BEFORE_TAKEOVER,
               "unidentified militants detonated an IED in", 2.0, zero_share=0.4),
    _AcledKind(0.02, *_CHANGE, "TALIBAN", None, _A_START, _BEFORE_TAKEOVER,
               _TALIBAN_INSURGENCY, "the Taliban announced a new shadow governor for",
               0.0, zero_share=1.0),
    _AcledKind(0.05, *_BATTLE, "MIL_NEW", "ISK", _TAKEOVER, _LAST_DAY, _ISK_AFTER_TAKEOVER,
               "Taliban forces raided an IS hideout in", 3.0,
               years={2021: 2.0, 2022: 1.2, 2023: 0.6}),
    _AcledKind(0.02, *_IED, "ISK", "MIL_NEW", _TAKEOVER, _LAST_DAY, _ISK_AFTER_TAKEOVER,
               "IS militants bombed a Taliban vehicle in", 2.0, zero_share=0.3,
               years={2021: 2.0, 2022: 1.2, 2023: 0.5}, quoted_detail=_STICKY),
    _AcledKind(0.015, *_IED, "ISK", "POL_NEW", _TAKEOVER, _LAST_DAY, _ISK_AFTER_TAKEOVER,
               "IS militants attacked a Taliban police post in", 2.0, zero_share=0.3,
               years={2021: 2.0, 2022: 1.2, 2023: 0.5}),
    _AcledKind(0.012, *_SUICIDE, "ISK", "CIV", _TAKEOVER, _LAST_DAY, _ISK_ON_CIVILIANS_AFTER,
               "an IS suicide bomber attacked a mosque in", 18.0, zero_share=0.05,
               years={2021: 2.0, 2022: 1.3, 2023: 0.5}),
    _AcledKind(0.015, *_ATTACK, "ISK", "CIV", _TAKEOVER, _LAST_DAY, _ISK_ON_CIVILIANS_AFTER,
               "IS militants shot civilians in", 2.0, years={2021: 2.0, 2022: 1.2, 2023: 0.5}),
    _AcledKind(0.025, *_ATTACK, "MIL_NEW", "CIV", _TAKEOVER, _LAST_DAY, _TALIBAN_INSURGENCY,
               "Taliban forces detained and killed a former soldier in", 1.0),
    _AcledKind(0.01, *_ATTACK, "POL_NEW", "CIV", _TAKEOVER, _LAST_DAY, _TALIBAN_INSURGENCY,
               "Taliban police beat and shot a civilian in", 1.0),
    _AcledKind(0.02, *_CHANGE, "MIL_NEW", None, _TAKEOVER, _LAST_DAY, _TALIBAN_INSURGENCY,
               "the Taliban appointed a new provincial governor in", 0.0, zero_share=1.0),
)  # fmt: skip
"""The kinds of ACLED event the synthetic world holds, with their shares of all rows."""

_ACLED_SOURCES = (
    "SYNTHETIC; Pajhwok Afghan News; Khaama Press",
    "SYNTHETIC; Tolo News",
    "SYNTHETIC; Pajhwok Afghan News",
    "SYNTHETIC; Khaama Press; Twitter",
    "SYNTHETIC; Afghanistan Times; Tolo News",
)
"""ACLED-style source lists; every one starts with ``SYNTHETIC``."""


@lru_cache(maxsize=1)
def _acled_tables() -> tuple[
    npt.NDArray[np.float64], list[npt.NDArray[np.float64]], list[npt.NDArray[np.float64]]
]:
    """Kind probabilities and each kind's day and province distributions (computed once)."""
    kind_p = np.array([k.weight for k in _ACLED_KINDS])
    day_p = [_day_weights(k.start, k.end, k.years, k.seasonal) for k in _ACLED_KINDS]
    prov_p = [_province_weights(k.provinces) for k in _ACLED_KINDS]
    return kind_p / kind_p.sum(), day_p, prov_p


def _acled_actor(
    keys: Sequence[str | None], kind: npt.NDArray[np.int64], renamed: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Resolve each row's actor key (by kind, and ISK's name by date) to an actor number.

    Returns:
        The actor numbers and a mask of rows that have no actor.
    """
    number = np.array([-1 if k is None else _ACTOR_NUMBER[k] for k in keys])[kind]
    number = np.where((number == _ACTOR_NUMBER["ISK"]) & renamed, _ACTOR_NUMBER["ISK_NEW"], number)
    return np.maximum(number, 0), number < 0


def _maybe(
    rng: np.random.Generator,
    values: Sequence[str | None],
    kind: npt.NDArray[np.int64],
    share: npt.NDArray[np.float64],
    *,
    quote: bool = True,
) -> pa.Array:
    """Per-kind optional text, present in a share of the rows (draws one ``rng.random`` a row)."""
    present = rng.random(kind.size) < share
    return pc.if_else(
        pa.array(present), _take(values, kind, quote=quote), pa.scalar(None, pa.string())
    )


def _acled_fatalities(
    rng: np.random.Generator, kind: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Draw each row's fatalities by ACLED kind: none in the kind's share, else over-dispersed."""
    kinds = _ACLED_KINDS
    mean = np.array([k.mean_fatalities for k in kinds])[kind]
    zero = rng.random(kind.size) < np.array([k.zero_share for k in kinds])[kind]
    return np.where(zero, 0, 1 + _counts(rng, np.maximum(mean - 1, 0.0), 0.8))


def _acled_actor_columns(
    rng: np.random.Generator, kind: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> list[pa.Array]:
    """The ACLED columns ``actor1`` to ``civilian_targeting`` for rows of these kinds and days.

    Draws, in this order: whether ``assoc_actor_1``, then ``assoc_actor_2``, is given.
    """
    kinds = _ACLED_KINDS
    renamed = day >= _calendar().index(_ISKP_RENAMED)
    actor1, _ = _acled_actor([k.actor1 for k in kinds], kind, renamed)
    actor2, no_actor2 = _acled_actor([k.actor2 for k in kinds], kind, renamed)
    names = [name for name, _ in _ACLED_ACTORS.values()]
    inter_of = np.array([code for _, code in _ACLED_ACTORS.values()])
    inter1 = inter_of[actor1]
    inter2 = np.where(no_actor2, 0, inter_of[actor2])
    interaction = np.where(
        no_actor2, inter1 * 10, np.minimum(inter1, inter2) * 10 + np.maximum(inter1, inter2)
    )
    null_text = pa.scalar(None, pa.string())
    assoc_share = np.array([k.assoc_share for k in kinds])[kind]
    assoc1 = _maybe(rng, [k.assoc_actor_1 for k in kinds], kind, assoc_share)
    assoc2 = _maybe(rng, [k.assoc_actor_2 for k in kinds], kind, assoc_share)
    to_civilians = np.array([k.actor2 == "CIV" for k in kinds])[kind]
    return [
        _take(names, actor1),
        assoc1,
        _text(inter1),
        pc.if_else(pa.array(no_actor2), null_text, _take(names, actor2)),
        assoc2,
        _text(inter2),
        _text(interaction),
        pc.if_else(pa.array(to_civilians), pa.scalar("Civilian targeting"), null_text),
    ]


def _acled_columns(
    rng: np.random.Generator,
    kind: npt.NDArray[np.int64],
    *,
    first_number: int,
    day: npt.NDArray[np.int64],
    iso_dates: bool,
    actors: Sequence[pa.Array],
    province: npt.NDArray[np.int64],
    district: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    geo_precision: npt.NDArray[np.int64] | None,
    fatalities: npt.NDArray[np.int64],
) -> list[pa.Array]:
    """The ACLED columns in file order, ``event_id_cnty`` numbers from ``first_number``.

    ``actors`` are :func:`_acled_actor_columns`'s; ``lat`` and ``lon`` come rounded;
    ``geo_precision`` ``None`` draws it (60/30/10% codes 1/2/3). Draws, in this order: the notes'
    quoted detail, the timestamp's lag, ``time_precision``, ``geo_precision`` (if drawn),
    ``source``.
    """
    cal = _calendar()
    kinds = _ACLED_KINDS
    n = kind.size
    fatalities_t = _text(fatalities)
    detail = _maybe(
        rng,
        [None if k.quoted_detail is None else ", " + k.quoted_detail for k in kinds],
        kind,
        np.full(n, 0.3),
        quote=False,
    )
    outcome = _take(
        [" No fatalities were reported.", " 1 person was killed.", None], np.minimum(fatalities, 2)
    )
    outcome = pc.coalesce(
        outcome, pc.binary_join_element_wise(" ", fatalities_t, " people were killed.", "")
    )
    # Notes are built from raw (unquoted) parts, then quoted once as a whole.
    notes = pc.binary_join_element_wise(
        "On ",
        cal.prose.take(pa.array(day)),
        ", ",
        _take([k.phrase for k in kinds], kind, quote=False),
        " ",
        _take(_DISTRICTS, district, quote=False),
        " district (",
        _take([p.acled for p in _PROVINCES], province, quote=False),
        ")",
        pc.fill_null(detail, ""),
        ".",
        outcome,
        " [SYNTHETIC]",
        "",
    )
    lag = rng.integers(1, 60, size=n) * 86_400 + rng.integers(0, 86_400, size=n)
    district_t = _take(list(_DISTRICTS), district)
    zeros = np.zeros(n, dtype=np.int64)
    return [
        pc.binary_join_element_wise(
            "AFG", _text(np.arange(first_number, first_number + n)), ""
        ),  # event_id_cnty
        (cal.iso if iso_dates else cal.acled).take(pa.array(day)),  # event_date
        cal.year_text.take(pa.array(day)),
        _text(rng.choice(3, size=n, p=[0.85, 0.1, 0.05]) + 1),  # time_precision
        _take([k.disorder_type for k in kinds], kind),
        _take([k.event_type for k in kinds], kind),
        _take([k.sub_event_type for k in kinds], kind),
        *actors,  # actor1 .. civilian_targeting
        _take(["4"], zeros),  # iso
        _take(["Caspian"], zeros),  # region
        _take(["Afghanistan"], zeros),
        _take([p.acled for p in _PROVINCES], province),  # admin1
        district_t,  # admin2
        pa.nulls(n, pa.string()),  # admin3
        district_t,  # location
        _text(lat),
        _text(lon),
        _text(
            rng.choice(3, size=n, p=[0.6, 0.3, 0.1]) + 1 if geo_precision is None else geo_precision
        ),
        _take(_ACLED_SOURCES, rng.choice(len(_ACLED_SOURCES), size=n)),
        _take(["National"], zeros),  # source_scale
        _quote_free_text(notes),
        fatalities_t,
        pa.nulls(n, pa.string()),  # tags
        _text(cal.unix[day] + lag),  # timestamp
    ]


def _acled_chunk(rng: np.random.Generator, n: int, first: int, iso_dates: bool) -> list[pa.Array]:
    """Generate ``n`` ACLED rows (row numbers from ``first``) as CSV-ready columns in file order."""
    kind_p, day_p, prov_p = _acled_tables()
    kind = rng.choice(len(_ACLED_KINDS), size=n, p=kind_p)
    day, province = _draw_by_kind(rng, kind, day_p, prov_p)
    where = _places(rng, province)
    actors = _acled_actor_columns(rng, kind, day)
    fatalities = _acled_fatalities(rng, kind)
    return _acled_columns(
        rng,
        kind,
        first_number=first + 1,
        day=day,
        iso_dates=iso_dates,
        actors=actors,
        province=province,
        district=where.district,
        lat=np.round(where.lat, 4),
        lon=np.round(where.lon, 4),
        geo_precision=None,
        fatalities=fatalities,
    )


def write_acled(path: str | Path, rows: int, *, seed: int = 2015, iso_dates: bool = False) -> int:
    """Write a SYNTHETIC conflict-event file in the ACLED export CSV layout.

    The events are invented (Afghanistan, 2017-2023, matching ACLED's coverage of the country);
    every ``source`` value starts with ``SYNTHETIC`` and every note ends with ``[SYNTHETIC]``.

    Args:
        path: The CSV file to write (overwritten if it exists).
        rows: How many events (data rows) to write.
        seed: Seed of the random generator; the same seed and arguments give identical bytes.
        iso_dates: Write ``event_date`` as ``YYYY-MM-DD`` instead of ACLED's ``dd Month yyyy``.

    Returns:
        The number of data rows written.

    Raises:
        ValueError: If ``rows`` is negative.
    """
    rng = np.random.default_rng([seed, _ACLED_STREAM])
    return _write_csv(
        path, ACLED_COLUMNS, rows, lambda n, first: _acled_chunk(rng, n, first, iso_dates)
    )


# --------------------------------------------------------------------------------------------------
# Both files
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthFiles:
    """The SYNTHETIC files :func:`generate` wrote.

    Attributes:
        ged_csv: The UCDP GED 21.1 layout file.
        acled_csv: The ACLED export layout file.
        ged_rows: Data rows in ``ged_csv``.
        acled_rows: Data rows in ``acled_csv``.
    """

    ged_csv: Path
    acled_csv: Path
    ged_rows: int
    acled_rows: int


def generate(
    out_dir: str | Path,
    *,
    seed: int = 2015,
    ged_rows: int = 20_000,
    acled_rows: int = 15_000,
    acled_iso_dates: bool = False,
) -> SynthFiles:
    """Write a SYNTHETIC Afghanistan data set: a UCDP GED file and an ACLED file.

    The events are invented, not real; they are shaped loosely like Afghanistan 2015-2023 (see the
    module docstring). The files are ``synthetic_ged.csv`` and ``synthetic_acled.csv`` in
    ``out_dir``, which is created if needed.

    Args:
        out_dir: Folder to write into.
        seed: Seed of the random generators; the same seed gives byte-identical files.
        ged_rows: Rows in the UCDP GED file.
        acled_rows: Rows in the ACLED file.
        acled_iso_dates: Write ACLED's ``event_date`` as ``YYYY-MM-DD`` instead of
            ``dd Month yyyy``.

    Returns:
        The paths written and their row counts.

    Raises:
        ValueError: If a row count is negative.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ged = folder / GED_FILE_NAME
    acled = folder / ACLED_FILE_NAME
    return SynthFiles(
        ged_csv=ged,
        acled_csv=acled,
        ged_rows=write_ged(ged, ged_rows, seed=seed),
        acled_rows=write_acled(acled, acled_rows, seed=seed, iso_dates=acled_iso_dates),
    )


SYNTHETIC_NOTES: Final = ("SYNTHETIC", "[SYNTHETIC]")
"""How the synthetic generators (this module and :mod:`rivalscope.synth_world`) mark every
record: a UCDP ``source_headline`` (the store's ``notes``) of ``SYNTHETIC``, an ACLED note
ending in ``[SYNTHETIC]``."""


def is_synthetic(
    store: Store,
    country: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> bool:
    """Whether the store's events in ``country`` and the window hold synthetic data: any event
    marked by the generators (:data:`SYNTHETIC_NOTES`, even in a renamed file), or any event
    of a batch read from a file the generators named (``synthetic_*``)."""
    events = store.table("events")
    if country is not None:
        events = events.filter(events.country_iso3 == country)
    if since is not None:
        events = events.filter(events.date_start >= since)
    if until is not None:
        events = events.filter(events.date_start <= until)
    notes = events.notes
    marked = events.filter(
        (notes == SYNTHETIC_NOTES[0])
        | notes.startswith(SYNTHETIC_NOTES[0] + " ")
        | notes.endswith(SYNTHETIC_NOTES[1])
    )
    if marked.select("event_id").limit(1).to_pyarrow().num_rows:
        return True
    batches = store.table("ingest_batches")
    named = batches.filter(batches.file.lower().re_search(r"(^|[/\\])synthetic[^/\\]*$"))
    found = events.semi_join(named, events.batch_id == named.batch_id)
    return bool(found.select("event_id").limit(1).to_pyarrow().num_rows)
