"""One SYNTHETIC world, reported by two sources (UCDP GED and ACLED), with the truth.

Nothing this module writes is real. :func:`generate_world` invents one set of *true* events in
Afghanistan, 2017-01-01 to 2023-12-31, and then lets two simulated reporters describe them, each
in its own file layout and with its own, documented reporting noise:

* ``synthetic_world_ged.csv``: the UCDP GED 21.1 layout of :data:`rivalscope.synth.GED_COLUMNS`,
  ``source_headline`` / ``source_original`` say ``SYNTHETIC``;
* ``synthetic_world_acled.csv``: the ACLED export layout of :data:`rivalscope.synth.ACLED_COLUMNS`,
  every ``source`` starts with ``SYNTHETIC`` and every note ends with ``[SYNTHETIC]``;
* ``synthetic_world_truth.csv``: ``truth_id,source,source_id``, one row per record written, which
  says which true event each record reports. ``source`` is ``ucdp`` or ``acled``; ``source_id`` is
  the GED ``id`` or the ACLED ``event_id_cnty``, so a record's store ``event_id`` is
  ``<source>:<source_id>``.

The file pair is the test bed of cross-source linkage (:mod:`rivalscope.fusion`): a linker is
right when it puts together the records of one ``truth_id``.

The world. Each true event has a kind (a dyad and what it did, see :data:`_WORLD_KINDS`: the
kinds of :mod:`rivalscope.synth`'s ACLED file that UCDP also codes, each paired with the UCDP
dyad that codes it), a true day, province, district, point and death toll. Before 2021-08-15
the Taliban fight the Republic (UCDP ``Government of Afghanistan - Taleban``) and ISK
(``IS - Taleban``); the Republic and the United States fight ISK; ISK and the Taliban attack
civilians. From 2021-08-15 UCDP's ``Government of Afghanistan`` is the Taliban state and ACLED
writes ``Military Forces of Afghanistan (2021-)``: it fights ISK, ISK bombs it and attacks
civilians, and its forces kill civilians. Kinds, weights, provinces, seasons and mean tolls are
synth's.

The reporters. UCDP reports only events with at least one death (its inclusion rule) and never
merges or splits one; ACLED reports events with and without deaths and splits some into two
records. Both miss some events, shift some dates, move some points and misstate some tolls; the
rates are the ``UCDP_*`` and ``ACLED_*`` constants below. Records are sorted by their reported
date (ties in random order) and numbered in that order, so neither row order nor ids leak the
truth.

Generation is column-wise with :mod:`numpy` (no Python loop per event) and the CSV text is built
with :mod:`pyarrow.compute` from :mod:`rivalscope.synth`'s tables and helpers; 20,000 events take
well under a second. One :class:`numpy.random.SeedSequence` per seed gives three independent
streams (world, UCDP, ACLED), so the same seed gives byte-identical files.

Example:
    >>> from rivalscope.synth_world import generate_world
    >>> files = generate_world("world", events=2_000)  # doctest: +SKIP
    >>> files.truth_csv.name  # doctest: +SKIP
    'synthetic_world_truth.csv'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from rivalscope.synth import (
    _ACLED_KINDS,
    _CENTRE_LAT,
    _CENTRE_LON,
    _DISTRICT_OFFSET,
    _DISTRICTS,
    _GED_DYADS,
    _LAST_DAY,
    _PROVINCES,
    _TAKEOVER,
    ACLED_COLUMNS,
    GED_COLUMNS,
    _acled_actor_columns,
    _acled_columns,
    _acled_fatalities,
    _calendar,
    _day_weights,
    _draw_by_kind,
    _ged_columns,
    _ged_deaths,
    _places,
    _province_weights,
    _take,
    _text,
    _write_csv,
)

__all__ = [
    "ACLED_DATE_SHIFT",
    "ACLED_FATALITIES_OFF",
    "ACLED_GEO_PRECISION",
    "ACLED_MISS",
    "ACLED_SPLIT",
    "ACLED_SPLIT_KM",
    "ACLED_SPLIT_NEXT_DAY",
    "DEATHS_SPREAD",
    "TRUTH_COLUMNS",
    "UCDP_DATE_SHIFT",
    "UCDP_DEATHS_OFF",
    "UCDP_MISS",
    "UCDP_NEARBY_KM",
    "UCDP_WHERE_PREC",
    "WORLD_ACLED_FILE_NAME",
    "WORLD_GED_FILE_NAME",
    "WORLD_TRUTH_FILE_NAME",
    "TrueEvents",
    "WorldFiles",
    "generate_world",
    "true_events",
]

WORLD_GED_FILE_NAME = "synthetic_world_ged.csv"
"""File name of the world's UCDP GED layout file."""

WORLD_ACLED_FILE_NAME = "synthetic_world_acled.csv"
"""File name of the world's ACLED layout file."""

WORLD_TRUTH_FILE_NAME = "synthetic_world_truth.csv"
"""File name of the world's truth file."""

TRUTH_COLUMNS: tuple[str, ...] = ("truth_id", "source", "source_id")
"""The truth file's columns: the true event's number, ``ucdp``/``acled``, the record's id."""

WORLD_FIRST_DAY = dt.date(2017, 1, 1)
"""The world's first day (ACLED's coverage of Afghanistan starts in 2017)."""

# --------------------------------------------------------------------------------------------------
# Reporting noise: what each reporter gets wrong, and how often
# --------------------------------------------------------------------------------------------------

UCDP_MISS = 0.12
"""Share of the true events with deaths that UCDP does not report (in the 10-15% asked for: a
source-based dataset misses what its news sources miss)."""

UCDP_DATE_SHIFT = 0.10
"""Share of UCDP records dated 1 or 2 days (either way, equally likely) from the true day: night
events, and events dated by their report. A shift that would leave the kind's period is dropped."""

UCDP_WHERE_PREC: tuple[tuple[int, float], ...] = ((1, 0.65), (2, 0.20), (4, 0.15))
"""UCDP ``where_prec`` and its share: 1 the exact point; 2 a named place near the event
(:data:`UCDP_NEARBY_KM` off); 4 only the province known, so the point is the province's centre
(UCDP's convention; a real source of distant points that a linker must allow for)."""

UCDP_NEARBY_KM = (2.0, 15.0)
"""How far (km, uniform) a ``where_prec`` 2 point lies from the true point (UCDP: within 25 km)."""

UCDP_DEATHS_OFF = 0.35
"""Share of UCDP records whose ``best`` differs from the true toll (drawn with
:data:`DEATHS_SPREAD`, at least 1); ``low`` and ``high`` spread around ``best`` as in synth."""

ACLED_MISS = 0.10
"""Share of all true events (with or without deaths) that ACLED does not report."""

ACLED_DATE_SHIFT = 0.08
"""Share of ACLED records dated one day (either way) from the true day."""

ACLED_GEO_PRECISION: tuple[tuple[int, float], ...] = ((1, 0.65), (2, 0.25), (3, 0.10))
"""ACLED ``geo_precision`` and its share: 1 the town (0-2 km from the true point), 2 a place
nearby (2-15 km off), 3 only the province known (its centre, district = the capital's)."""

ACLED_JITTER_KM: dict[int, tuple[float, float]] = {1: (0.0, 2.0), 2: (2.0, 15.0)}
"""How far (km, uniform) an ACLED point lies from the true point, by ``geo_precision``."""

ACLED_FATALITIES_OFF = 0.30
"""Share of ACLED records whose ``fatalities`` differ from the true toll (drawn with
:data:`DEATHS_SPREAD`; at least 1 when the true toll is; 0 stays 0)."""

ACLED_SPLIT = 0.05
"""Share of reported ACLED events written as two records (one clash told as two incidents): the
second is dated the same or the next day, placed :data:`ACLED_SPLIT_KM` from the first, and the
fatalities are split between the two (binomially, half each)."""

ACLED_SPLIT_NEXT_DAY = 0.5
"""Share of split events whose second record is dated the next day (else the same day)."""

ACLED_SPLIT_KM = (1.0, 10.0)
"""How far (km, uniform) a split's second record lies from the first (unless geo_precision 3)."""

DEATHS_SPREAD = 0.4
"""Spread (sigma of a log-normal factor) of a misstated toll around the true one."""

_WORLD_STREAM = 3
"""Seed-sequence key of the world (synth uses 1 for GED and 2 for ACLED)."""

_GED_FIRST_ID = 500_001
"""The first GED ``id`` (clear of synth's, which start at 1)."""

_ACLED_FIRST_NUMBER = 500_001
"""The first ACLED ``event_id_cnty`` number (``AFG500001``; synth's start at ``AFG1``)."""

_KM_PER_DEGREE = 111.32


# --------------------------------------------------------------------------------------------------
# The world's kinds of event: an ACLED kind of synth, paired with the UCDP dyad that codes it
# --------------------------------------------------------------------------------------------------


def _ged_dyad(dyad_id: int, after_takeover: bool) -> int:
    """Index in synth's UCDP dyads of the one with ``dyad_id`` in the given period."""
    (found,) = (
        i
        for i, d in enumerate(_GED_DYADS)
        if d.dyad_id == dyad_id and (d.start >= _TAKEOVER) == after_takeover
    )
    return found


def _acled_kind(actor1: str, actor2: str, sub_event_type: str, after_takeover: bool) -> int:
    """Index in synth's ACLED kinds of the one with these actors, sub-event type and period."""
    (found,) = (
        i
        for i, k in enumerate(_ACLED_KINDS)
        if (k.actor1, k.actor2, k.sub_event_type) == (actor1, actor2, sub_event_type)
        and (k.start >= _TAKEOVER) == after_takeover
    )
    return found


_CLASH = "Armed clash"
_AIR = "Air/drone strike"
_IED = "Remote explosive/landmine/IED"
_SUICIDE = "Suicide bomb"
_ATTACK = "Attack"
_GOA_TALEBAN, _TALEBAN_CIV, _IS_TALEBAN, _GOA_IS, _IS_CIV, _GOA_CIV, _US_IS = (
    724,
    1167,
    14259,
    13729,
    13699,
    1168,
    13641,
)

_WORLD_KINDS: tuple[tuple[int, int], ...] = (
    (_ged_dyad(_GOA_TALEBAN, False), _acled_kind("MIL_OLD", "TALIBAN", _CLASH, False)),
    (_ged_dyad(_GOA_TALEBAN, False), _acled_kind("TALIBAN", "POL_OLD", _CLASH, False)),
    (_ged_dyad(_GOA_TALEBAN, False), _acled_kind("MIL_OLD", "TALIBAN", _AIR, False)),
    (_ged_dyad(_GOA_TALEBAN, False), _acled_kind("TALIBAN", "MIL_OLD", _IED, False)),
    (_ged_dyad(_GOA_TALEBAN, False), _acled_kind("TALIBAN", "POL_OLD", _IED, False)),
    (_ged_dyad(_TALEBAN_CIV, False), _acled_kind("TALIBAN", "CIV", _ATTACK, False)),
    (_ged_dyad(_TALEBAN_CIV, False), _acled_kind("TALIBAN", "CIV", _IED, False)),
    (_ged_dyad(_IS_TALEBAN, False), _acled_kind("ISK", "TALIBAN", _CLASH, False)),
    (_ged_dyad(_GOA_IS, False), _acled_kind("MIL_OLD", "ISK", _CLASH, False)),
    (_ged_dyad(_US_IS, False), _acled_kind("US", "ISK", _AIR, False)),
    (_ged_dyad(_IS_CIV, False), _acled_kind("ISK", "CIV", _SUICIDE, False)),
    (_ged_dyad(_GOA_IS, True), _acled_kind("MIL_NEW", "ISK", _CLASH, True)),
    (_ged_dyad(_GOA_IS, True), _acled_kind("ISK", "MIL_NEW", _IED, True)),
    (_ged_dyad(_GOA_IS, True), _acled_kind("ISK", "POL_NEW", _IED, True)),
    (_ged_dyad(_IS_CIV, True), _acled_kind("ISK", "CIV", _SUICIDE, True)),
    (_ged_dyad(_IS_CIV, True), _acled_kind("ISK", "CIV", _ATTACK, True)),
    (_ged_dyad(_GOA_CIV, True), _acled_kind("MIL_NEW", "CIV", _ATTACK, True)),
    (_ged_dyad(_GOA_CIV, True), _acled_kind("POL_NEW", "CIV", _ATTACK, True)),
)
"""Each kind of true event: (index into synth's UCDP dyads, index into synth's ACLED kinds).

The ACLED kind gives the weight, period, provinces, years, season, mean toll and share without
deaths; the period is cut to the UCDP dyad's (and to 2017-2023). Kinds that only one source would
code (ACLED's strategic developments, its "Taliban and/or IS" attacks, US strikes on the Taliban)
are left out: every true event here is one that both sources code when they report it."""

_GED_OF_KIND = np.array([g for g, _ in _WORLD_KINDS], dtype=np.int64)
_ACLED_OF_KIND = np.array([a for _, a in _WORLD_KINDS], dtype=np.int64)


@dataclass(frozen=True)
class _KindTables:
    """Per-kind arrays and distributions, computed once."""

    kind_p: npt.NDArray[np.float64]
    day_p: list[npt.NDArray[np.float64]]
    province_p: list[npt.NDArray[np.float64]]
    first: npt.NDArray[np.int64]
    """Each kind's first day (calendar index)."""
    last: npt.NDArray[np.int64]
    """Each kind's last day (calendar index)."""


@lru_cache(maxsize=1)
def _kind_tables() -> _KindTables:
    cal = _calendar()
    weights, day_p, province_p, first, last = [], [], [], [], []
    for g, a in _WORLD_KINDS:
        dyad, kind = _GED_DYADS[g], _ACLED_KINDS[a]
        start = max(WORLD_FIRST_DAY, dyad.start, kind.start)
        end = min(_LAST_DAY, dyad.end, kind.end)
        weights.append(kind.weight)
        day_p.append(_day_weights(start, end, kind.years, kind.seasonal))
        province_p.append(_province_weights(kind.provinces))
        first.append(cal.index(start))
        last.append(cal.index(end))
    p = np.array(weights)
    return _KindTables(
        kind_p=p / p.sum(),
        day_p=day_p,
        province_p=province_p,
        first=np.array(first, dtype=np.int64),
        last=np.array(last, dtype=np.int64),
    )


# --------------------------------------------------------------------------------------------------
# The true events
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrueEvents:
    """The world's true events, sorted by day; event ``i`` has ``truth_id`` ``i + 1``.

    Attributes:
        kind: Index into :data:`_WORLD_KINDS`.
        day: Calendar index (days since 2015-01-01, synth's calendar).
        province: Index into synth's provinces.
        district: Index into synth's flat district list.
        lat: True latitude.
        lon: True longitude.
        deaths: True death toll (0 for some).
    """

    kind: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    province: npt.NDArray[np.int64]
    district: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    deaths: npt.NDArray[np.int64]


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Three independent generators for a seed: the world, UCDP's reporter, ACLED's reporter."""
    world, ucdp, acled = np.random.SeedSequence([seed, _WORLD_STREAM]).spawn(3)
    return np.random.default_rng(world), np.random.default_rng(ucdp), np.random.default_rng(acled)


def _true_events(rng: np.random.Generator, n: int) -> TrueEvents:
    """Draw ``n`` true events."""
    tables = _kind_tables()
    kind = rng.choice(len(_WORLD_KINDS), size=n, p=tables.kind_p)
    day, province = _draw_by_kind(rng, kind, tables.day_p, tables.province_p)
    where = _places(rng, province)
    deaths = _acled_fatalities(rng, _ACLED_OF_KIND[kind])
    order = np.argsort(day, kind="stable")
    return TrueEvents(
        kind=kind[order],
        day=day[order],
        province=province[order],
        district=where.district[order],
        lat=where.lat[order],
        lon=where.lon[order],
        deaths=deaths[order].astype(np.int64),
    )


def true_events(events: int = 20_000, *, seed: int = 2015) -> TrueEvents:
    """The true events behind :func:`generate_world` (for tests and benchmarks that measure noise).

    Args:
        events: As given to :func:`generate_world`.
        seed: As given to :func:`generate_world`.

    Returns:
        The true events; event ``i`` is ``truth_id`` ``i + 1``.
    """
    return _true_events(_streams(seed)[0], events)


# --------------------------------------------------------------------------------------------------
# Noise helpers
# --------------------------------------------------------------------------------------------------


def _shift(
    rng: np.random.Generator,
    day: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int64],
    share: float,
    most: int,
) -> npt.NDArray[np.int64]:
    """Move a share of the days by 1..``most`` days either way, staying in the kind's period."""
    tables = _kind_tables()
    n = day.size
    moved = rng.random(n) < share
    size = rng.integers(1, most + 1, size=n)
    sign = np.where(rng.random(n) < 0.5, -1, 1)
    new = day + np.where(moved, size * sign, 0)
    inside = (new >= tables.first[kind]) & (new <= tables.last[kind])
    return np.where(inside, new, day)


def _moved(
    rng: np.random.Generator,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    km: tuple[float, float],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Every point moved a uniform ``km[0]..km[1]`` km in a uniform direction."""
    n = lat.size
    distance = rng.uniform(km[0], km[1], size=n)
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    d_lat = distance * np.cos(angle) / _KM_PER_DEGREE
    d_lon = distance * np.sin(angle) / (_KM_PER_DEGREE * np.cos(np.radians(lat)))
    return lat + d_lat, lon + d_lon


def _misstated(
    rng: np.random.Generator, deaths: npt.NDArray[np.int64], share: float
) -> npt.NDArray[np.int64]:
    """Tolls, a share of them misstated by a log-normal factor (at least 1 where the truth is)."""
    n = deaths.size
    off = rng.random(n) < share
    factor = np.exp(rng.normal(0.0, DEATHS_SPREAD, size=n))
    noisy = np.round(deaths * factor).astype(np.int64)
    noisy = np.where(deaths > 0, np.maximum(noisy, 1), 0)
    return np.where(off, noisy, deaths)


def _precision(
    rng: np.random.Generator, n: int, table: Sequence[tuple[int, float]]
) -> npt.NDArray[np.int64]:
    """Draw a precision code per record from ``(code, share)`` pairs."""
    codes = np.array([c for c, _ in table], dtype=np.int64)
    return codes[rng.choice(len(table), size=n, p=[p for _, p in table])]


def _order(rng: np.random.Generator, day: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Records ordered by reported day, ties in random order."""
    return np.lexsort((rng.random(day.size), day)).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# UCDP GED
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Records:
    """One reporter's records: which true event each reports, and the CSV-ready columns."""

    truth: npt.NDArray[np.int64]
    """Index of the true event of each record (file order)."""
    ids: pa.Array
    """Each record's id as text (GED ``id`` or ACLED ``event_id_cnty``)."""
    columns: list[pa.Array]


def _ucdp(rng: np.random.Generator, world: TrueEvents) -> _Records:
    """UCDP's records of the world: events with deaths, some missed, with UCDP's noise."""
    candidates = np.flatnonzero(world.deaths > 0)
    seen = candidates[rng.random(candidates.size) >= UCDP_MISS]
    kind = world.kind[seen]
    day = _shift(rng, world.day[seen], kind, UCDP_DATE_SHIFT, 2)
    where_prec = _precision(rng, seen.size, UCDP_WHERE_PREC)
    near_lat, near_lon = _moved(rng, world.lat[seen], world.lon[seen], UCDP_NEARBY_KM)
    province = world.province[seen]
    lat = np.select(
        [where_prec == 2, where_prec == 4], [near_lat, _CENTRE_LAT[province]], world.lat[seen]
    )
    lon = np.select(
        [where_prec == 2, where_prec == 4], [near_lon, _CENTRE_LON[province]], world.lon[seen]
    )
    best = _misstated(rng, world.deaths[seen], UCDP_DEATHS_OFF)

    order = _order(rng, day)
    seen, kind, day, where_prec, province = (
        a[order] for a in (seen, kind, day, where_prec, province)
    )
    dyad = _GED_OF_KIND[kind]
    deaths = _ged_deaths(rng, dyad, best[order])  # deaths by side, low and high: as synth does
    district = world.district[seen]
    province_only = where_prec == 4
    where_coordinates = pc.if_else(
        pa.array(province_only),
        _take([f"{p.ucdp} province" for p in _PROVINCES], province),
        _take([f"{d} town" for d in _DISTRICTS], district),
    )
    columns = _ged_columns(
        rng,
        dyad,
        first_id=_GED_FIRST_ID,
        day=day,
        province=province,
        district=district,
        no_adm2=province_only,
        lat=np.round(lat[order], 6),
        lon=np.round(lon[order], 6),
        where_prec=where_prec,
        where_coordinates=where_coordinates,
        deaths=deaths,
        source_article="SYNTHETIC record generated by rivalscope.synth_world",
    )
    return _Records(truth=seen, ids=columns[0], columns=columns)


# --------------------------------------------------------------------------------------------------
# ACLED
# --------------------------------------------------------------------------------------------------


def _acled(rng: np.random.Generator, world: TrueEvents) -> _Records:
    """ACLED's records of the world: some missed, some split in two, with ACLED's noise."""
    tables = _kind_tables()
    seen = np.flatnonzero(rng.random(world.kind.size) >= ACLED_MISS)
    kind = world.kind[seen]
    day = _shift(rng, world.day[seen], kind, ACLED_DATE_SHIFT, 1)
    geo = _precision(rng, seen.size, ACLED_GEO_PRECISION)
    province = world.province[seen]
    lat, lon = world.lat[seen], world.lon[seen]
    town = _moved(rng, lat, lon, ACLED_JITTER_KM[1])
    nearby = _moved(rng, lat, lon, ACLED_JITTER_KM[2])
    lat = np.select([geo == 1, geo == 2], [town[0], nearby[0]], _CENTRE_LAT[province])
    lon = np.select([geo == 1, geo == 2], [town[1], nearby[1]], _CENTRE_LON[province])
    district = np.where(geo == 3, _DISTRICT_OFFSET[province], world.district[seen])
    fatalities = _misstated(rng, world.deaths[seen], ACLED_FATALITIES_OFF)

    # Splits: the second record of an event, a little later or the same day, a little away.
    split = np.flatnonzero(rng.random(seen.size) < ACLED_SPLIT)
    next_day = day[split] + (rng.random(split.size) < ACLED_SPLIT_NEXT_DAY)
    next_day = np.where(next_day <= tables.last[kind[split]], next_day, day[split])
    away_lat, away_lon = _moved(rng, lat[split], lon[split], ACLED_SPLIT_KM)
    centre = geo[split] == 3
    first_share = rng.binomial(fatalities[split], 0.5)
    second_share = fatalities[split] - first_share
    fatalities[split] = first_share

    seen = np.concatenate([seen, seen[split]])
    kind = np.concatenate([kind, kind[split]])
    day = np.concatenate([day, next_day])
    geo = np.concatenate([geo, geo[split]])
    province = np.concatenate([province, province[split]])
    district = np.concatenate([district, district[split]])
    lat = np.concatenate([lat, np.where(centre, lat[split], away_lat)])
    lon = np.concatenate([lon, np.where(centre, lon[split], away_lon)])
    fatalities = np.concatenate([fatalities, second_share])

    order = _order(rng, day)
    seen, kind, day, geo, province, district, fatalities = (
        a[order] for a in (seen, kind, day, geo, province, district, fatalities)
    )
    ak = _ACLED_OF_KIND[kind]
    actors = _acled_actor_columns(rng, ak, day)
    columns = _acled_columns(
        rng,
        ak,
        first_number=_ACLED_FIRST_NUMBER,
        day=day,
        iso_dates=False,
        actors=actors,
        province=province,
        district=district,
        lat=np.round(lat[order], 4),
        lon=np.round(lon[order], 4),
        geo_precision=geo,
        fatalities=fatalities,
    )
    return _Records(truth=seen, ids=columns[0], columns=columns)


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _write(path: Path, header: tuple[str, ...], columns: Sequence[pa.Array]) -> int:
    """Write the header and the CSV-ready columns, ``_CHUNK_ROWS`` rows at a time."""
    rows = len(columns[0]) if columns else 0
    return _write_csv(path, header, rows, lambda n, first: [c.slice(first, n) for c in columns])


def _truth_columns(ucdp: _Records, acled: _Records) -> list[pa.Array]:
    """The truth file's columns: records ordered by true event, UCDP first, then file order."""
    truth = np.concatenate([ucdp.truth, acled.truth]) + 1
    source = np.concatenate([np.zeros(ucdp.truth.size), np.ones(acled.truth.size)]).astype(np.int64)
    position = np.concatenate([np.arange(ucdp.truth.size), np.arange(acled.truth.size)])
    order = np.lexsort((position, source, truth))
    ids = pa.concat_arrays([ucdp.ids, acled.ids])
    return [
        _text(truth[order]),
        _take(["ucdp", "acled"], source[order]),
        ids.take(pa.array(order)),
    ]


@dataclass(frozen=True)
class WorldFiles:
    """The SYNTHETIC files :func:`generate_world` wrote.

    Attributes:
        ged_csv: The UCDP GED 21.1 layout file.
        acled_csv: The ACLED export layout file.
        truth_csv: ``truth_id,source,source_id``: the true event of every record.
        events: True events in the world (some reported by neither source).
        ged_rows: Data rows in ``ged_csv``.
        acled_rows: Data rows in ``acled_csv``.
    """

    ged_csv: Path
    acled_csv: Path
    truth_csv: Path
    events: int
    ged_rows: int
    acled_rows: int


def generate_world(out: str | Path, events: int = 20_000, *, seed: int = 2015) -> WorldFiles:
    """Write one SYNTHETIC world as UCDP GED and ACLED would report it, with the truth.

    The events are invented (Afghanistan, 2017-2023; see the module docstring for the world and
    for each reporter's noise). Writes ``synthetic_world_ged.csv``, ``synthetic_world_acled.csv``
    and ``synthetic_world_truth.csv`` into ``out``, which is created if needed.

    Args:
        out: Folder to write into.
        events: True events in the world. UCDP reports about 60% of them (those with deaths,
            less its misses), ACLED about 95% (all, less its misses, plus its splits).
        seed: Seed of the random generators; the same seed gives byte-identical files.

    Returns:
        The paths written and their row counts.

    Raises:
        ValueError: If ``events`` is negative.
    """
    if events < 0:
        raise ValueError(f"events must be >= 0, got {events}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    world_rng, ucdp_rng, acled_rng = _streams(seed)
    world = _true_events(world_rng, events)
    ucdp = _ucdp(ucdp_rng, world)
    acled = _acled(acled_rng, world)
    ged_csv = folder / WORLD_GED_FILE_NAME
    acled_csv = folder / WORLD_ACLED_FILE_NAME
    truth_csv = folder / WORLD_TRUTH_FILE_NAME
    ged_rows = _write(ged_csv, GED_COLUMNS, ucdp.columns)
    acled_rows = _write(acled_csv, ACLED_COLUMNS, acled.columns)
    _write(truth_csv, TRUTH_COLUMNS, _truth_columns(ucdp, acled))
    return WorldFiles(
        ged_csv=ged_csv,
        acled_csv=acled_csv,
        truth_csv=truth_csv,
        events=events,
        ged_rows=ged_rows,
        acled_rows=acled_rows,
    )
