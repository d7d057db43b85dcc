"""Benchmark: the whole rivalry profile on 10,000,000 events, against the same sections in pandas.

Usage::

    .venv/bin/python benchmarks/profile.py [--rows N] [--workdir DIR] [--sites K]
                                           [--defections N] [--timeout S] [--rss-cap-gb G]
                                           [--no-isolate]

The events are SYNTHETIC and go straight into the ``events`` table of a fresh store (``rs.open``
creates the schema and seeds the actor registry and the gazetteer) with one DuckDB ``INSERT INTO
events SELECT ... FROM range(N)`` over ``random()`` after ``setseed(0.42)`` (a rebuild gives the
same fingerprint); 3,000 defection rows likewise. Building is not timed (its seconds are
printed); with ``--workdir`` the store is kept and reused by the next run with the same settings.
The invented world: Afghanistan, 2015-01-01 to 2023-12-31, clashes, attacks, state operations
and other events between canonical actors (Taliban, ISKP, the Republic, the US, NATO, Pakistan,
TTP, Haqqanis, al-Qaeda, NRF, ...) with weights that change on 2021-08-15, the takeover. ISKP and
the Taliban act in about 56% of the events; their clashes are about 4% of them and reach 18
provinces one after another (the other 16 are the controls of ``harm``). Each located event lies
on one of ``--sites`` (default 100) geocoded places per province, around the province's centre,
as real sources geocode to named places (``--sites 0``: every event its own jittered point).

Each measured part runs in its own child process, so each peak RSS (``ru_maxrss``) is that
part's own, under a watchdog that stops it after ``--timeout`` seconds or at ``--rss-cap-gb``;
a stopped part is reported with the section (and query) it was in, and what it finished before.
Imports (sklearn alone takes about 1 s) come before the clock starts, in every part.

* ``ours``: ``rs.profile(store, "ISKP", "TALIBAN", country="AFG")`` on the store opened
  read-only (opening is not counted). Each section's ``compute`` is wrapped to time it inside
  that one call; every Ibis query the sections run is logged (seconds, rows returned, rise of
  the peak RSS) to name the slow ones.
* ``section`` (diagnosis; one child per section that finished in ``ours``): ``Dyad.of`` then
  that one module's ``compute(dyad)``, for its own seconds and peak RSS.
* ``pandas``: each section's main tables in straightforward pandas / numpy on DataFrames loaded
  with DuckDB's ``.df()`` (the columns the sections read). Loading is timed apart: the ratio's
  pandas side is the COMPUTATION ONLY (the total with loading is printed too). The same
  ``n_boot`` (1,000) and ``n_perm`` (10,000) with numpy's generator; the same sklearn DBSCAN
  call. Co-location (``network``) cannot be a merge on a 7-day window at this size (quadratic):
  it buckets events by day and by a grid cell as wide as the distance, merges each side's events
  with the others' in the 7 days x 3 x 3 neighbouring buckets, ten days at a time, checks the
  great-circle distance and counts each event of a side once per partner near it. Ours works
  per distinct point with rows of day bits instead (see ``analysis/network.py``): for this
  section the ratio measures that algorithm against the straightforward one, not only DuckDB
  against pandas, and the section's own ratio is printed.

The headline numbers (spread provinces, their clashes and deaths; yearly and monthly clashes;
flows; and the other sections' tables) must agree between the two, or the benchmark stops with
an error. Goals (from the issue): pandas / ours >= 10, ours < 2 s (on 2 cores), peak RSS of ours
< 4 GB. It prints PASS or MISS for each and exits 0 even on a MISS: it measures, it does not
test. A section that does not finish is a MISS of the goals it bears on.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "
ACTOR, RIVAL, COUNTRY = "ISKP", "TALIBAN", "AFG"
SECTIONS = ("timeline", "spread", "targets", "phases", "harm", "defections", "hotspots", "network")
GOAL_RATIO = 10.0
GOAL_SECONDS = 2.0
GOAL_RSS_BYTES = 4e9
SEED = 0.42
DATA_VERSION = 1
"""Bump when the generator changes: a kept store of another version is rebuilt."""

# --- The SYNTHETIC world ----------------------------------------------------------------------
FIRST_DAY, DAYS, TAKEOVER = "2015-01-01", 3287, "2021-08-15"
"""2015-01-01 + 3287 days is 2024-01-01: the last day is 2023-12-31."""

Kind = tuple[str, float, str, str | None, str, str]
"""(event_type, weight, actor1, actor2, target_type, geography)."""

KINDS_BEFORE: tuple[Kind, ...] = (
    ("clash", 17.0, "TALIBAN", "AFG_REPUBLIC", "state_security", "all"),
    ("clash", 9.0, "AFG_REPUBLIC", "TALIBAN", "group_personnel", "all"),
    ("clash", 1.8, "ISKP", "TALIBAN", "group_personnel", "front"),
    ("clash", 1.7, "TALIBAN", "ISKP", "group_personnel", "front"),
    ("clash", 2.5, "AFG_REPUBLIC", "ISKP", "group_personnel", "east"),
    ("clash", 1.5, "ISKP", "AFG_REPUBLIC", "state_security", "east"),
    ("clash", 2.0, "HAQQANI", "AFG_REPUBLIC", "state_security", "border"),
    ("clash", 1.0, "TALIBAN", "UNIDENTIFIED", "unknown", "all"),
    ("clash", 1.0, "US", "TALIBAN", "group_personnel", "all"),
    ("clash", 1.0, "TTP", "PAK", "foreign", "border"),
    ("clash", 0.5, "NATO", "TALIBAN", "group_personnel", "all"),
    ("attack", 7.0, "TALIBAN", "CIVILIANS", "civilians", "all"),
    ("attack", 6.0, "TALIBAN", "AFG_REPUBLIC", "state_security", "all"),
    ("attack", 2.0, "TALIBAN", None, "infrastructure", "all"),
    ("attack", 3.0, "ISKP", "CIVILIANS", "civilians", "east"),
    ("attack", 1.0, "ISKP", "CIVILIANS", "religious_site", "east"),
    ("attack", 1.0, "ISKP", "AFG_REPUBLIC", "state_security", "east"),
    ("attack", 0.4, "ISKP", "TALIBAN", "group_personnel", "east"),
    ("attack", 1.0, "HAQQANI", "CIVILIANS", "civilians", "border"),
    ("attack", 0.5, "HAQQANI", "US", "foreign", "border"),
    ("attack", 4.0, "UNIDENTIFIED", "CIVILIANS", "civilians", "all"),
    ("attack", 1.0, "TALIBAN_OR_ISKP", "CIVILIANS", "civilians", "east"),
    ("attack", 1.5, "AFG_REPUBLIC", "CIVILIANS", "civilians", "all"),
    ("attack", 0.3, "AQ", "AFG_REPUBLIC", "state_security", "border"),
    ("attack", 0.3, "TTP", "CIVILIANS", "civilians", "border"),
    ("state_operation", 4.0, "US", "TALIBAN", "group_personnel", "all"),
    ("state_operation", 2.5, "US", "ISKP", "group_personnel", "east"),
    ("state_operation", 5.0, "AFG_REPUBLIC", "TALIBAN", "group_personnel", "all"),
    ("state_operation", 2.0, "AFG_REPUBLIC", "ISKP", "group_personnel", "east"),
    ("state_operation", 1.0, "AFG_REPUBLIC", "HAQQANI", "group_personnel", "border"),
    ("state_operation", 0.5, "US", "AQ", "group_personnel", "border"),
    ("state_operation", 1.0, "PAK", "TTP", "group_personnel", "border"),
    ("state_operation", 1.0, "NATO", "TALIBAN", "group_personnel", "all"),
    ("state_operation", 1.0, "US", "HAQQANI", "group_personnel", "border"),
    ("other", 5.0, "TALIBAN", None, "unknown", "all"),
    ("other", 1.0, "ISKP", None, "unknown", "east"),
    ("other", 4.0, "AFG_REPUBLIC", None, "unknown", "all"),
    ("other", 2.0, "UNIDENTIFIED", None, "unknown", "all"),
)
"""Event kinds before the takeover, with weights in percent of the events (normalized)."""

KINDS_AFTER: tuple[Kind, ...] = (
    ("clash", 3.0, "ISKP", "TALIBAN", "group_personnel", "front"),
    ("clash", 3.0, "TALIBAN", "ISKP", "group_personnel", "front"),
    ("clash", 10.0, "TALIBAN", "NRF", "group_personnel", "north"),
    ("clash", 6.0, "NRF", "TALIBAN", "group_personnel", "north"),
    ("clash", 3.0, "TALIBAN", "AFF", "group_personnel", "north"),
    ("clash", 4.0, "TTP", "PAK", "foreign", "border"),
    ("clash", 2.0, "TALIBAN", "UNIDENTIFIED", "unknown", "all"),
    ("clash", 1.0, "PAK", "TALIBAN", "group_personnel", "border"),
    ("attack", 8.0, "ISKP", "CIVILIANS", "civilians", "east"),
    ("attack", 3.0, "ISKP", "CIVILIANS", "religious_site", "east"),
    ("attack", 4.0, "ISKP", "TALIBAN", "group_personnel", "east"),
    ("attack", 0.5, "ISKP", None, "foreign", "east"),
    ("attack", 8.0, "TALIBAN", "CIVILIANS", "civilians", "all"),
    ("attack", 6.0, "UNIDENTIFIED", "CIVILIANS", "civilians", "all"),
    ("attack", 2.0, "TALIBAN_OR_ISKP", "CIVILIANS", "civilians", "east"),
    ("attack", 1.0, "HAQQANI", "CIVILIANS", "civilians", "border"),
    ("attack", 1.0, "TALIBAN", None, "infrastructure", "all"),
    ("attack", 1.0, "NRF", "TALIBAN", "group_personnel", "north"),
    ("state_operation", 8.0, "TALIBAN", "ISKP", "group_personnel", "east"),
    ("state_operation", 4.0, "PAK", "TTP", "group_personnel", "border"),
    ("state_operation", 2.5, "TALIBAN", "NRF", "group_personnel", "north"),
    ("state_operation", 0.3, "US", "AQ", "group_personnel", "all"),
    ("other", 10.0, "TALIBAN", None, "unknown", "all"),
    ("other", 2.0, "ISKP", None, "unknown", "east"),
    ("other", 1.0, "NRF", None, "unknown", "north"),
    ("other", 2.0, "UNIDENTIFIED", None, "unknown", "all"),
)
"""Event kinds from 2021-08-15: the Taliban are the state; the Republic's forces are gone."""

# fmt: off
GEOGRAPHIES: dict[str, dict[str, float]] = {
    "all": {
        "AF-HEL": 8, "AF-KAN": 8, "AF-NAN": 6, "AF-GHA": 5, "AF-KDZ": 5, "AF-FYB": 4,
        "AF-URU": 4, "AF-ZAB": 4, "AF-BAL": 4, "AF-HER": 4, "AF-FRA": 4, "AF-BDG": 3,
        "AF-PKA": 3, "AF-PIA": 3, "AF-LOG": 3, "AF-WAR": 3, "AF-KAB": 3, "AF-KNR": 3,
        "AF-LAG": 3, "AF-BGL": 3, "AF-TAK": 3, "AF-JOW": 3, "AF-SAR": 3, "AF-KHO": 2,
        "AF-KAP": 2, "AF-PAR": 2, "AF-NIM": 2, "AF-GHO": 2, "AF-BDS": 2, "AF-SAM": 1,
        "AF-NUR": 1, "AF-DAY": 1, "AF-BAM": 0.5, "AF-PAN": 0.5,
    },
    "east": {
        "AF-NAN": 30, "AF-KNR": 12, "AF-KAB": 12, "AF-JOW": 6, "AF-LAG": 5, "AF-NUR": 4,
        "AF-KDZ": 4, "AF-FYB": 3, "AF-SAR": 3, "AF-BAL": 3, "AF-HER": 2, "AF-KAN": 2,
        "AF-LOG": 2, "AF-KAP": 2, "AF-PIA": 2, "AF-PAR": 2, "AF-TAK": 1, "AF-BGL": 1,
    },
    "north": {
        "AF-PAN": 25, "AF-BGL": 15, "AF-TAK": 10, "AF-BDS": 10, "AF-KAP": 10, "AF-PAR": 10,
        "AF-BAM": 5, "AF-SAM": 5, "AF-KAB": 5, "AF-BAL": 5,
    },
    "border": {
        "AF-NAN": 20, "AF-KNR": 15, "AF-KHO": 15, "AF-PKA": 15, "AF-PIA": 15, "AF-NUR": 5,
        "AF-LOG": 5, "AF-ZAB": 5, "AF-KAN": 5,
    },
    "defect": {
        "AF-NAN": 40, "AF-KNR": 20, "AF-KAB": 10, "AF-JOW": 10, "AF-LAG": 8, "AF-KDZ": 6,
        "AF-FYB": 3, "AF-SAR": 3,
    },
}
"""Province weights per geography; ``front`` (ISKP-Taliban clashes) is ``east`` + FRONT."""

FRONT: dict[str, str] = {
    "AF-NAN": "2015-01-01", "AF-KNR": "2015-05-01", "AF-LAG": "2015-11-01",
    "AF-NUR": "2016-04-01", "AF-KAB": "2016-07-01", "AF-JOW": "2017-05-01",
    "AF-SAR": "2017-09-01", "AF-FYB": "2018-02-01", "AF-KDZ": "2018-06-01",
    "AF-LOG": "2019-03-01", "AF-PIA": "2019-08-01", "AF-BAL": "2019-12-01",
    "AF-KAP": "2020-04-01", "AF-HER": "2020-09-01", "AF-PAR": "2021-09-01",
    "AF-KAN": "2021-10-01", "AF-BGL": "2022-02-01", "AF-TAK": "2022-06-01",
}
# fmt: on
"""When the ISKP-Taliban front reaches each province: a clash drawn in a province before then
happens in Nangarhar instead, so each province's first clash is a month of its own."""

Flow = tuple[float, str, str, str]
"""(weight, from_actor, to_actor, geography) of a defection."""

FLOWS_BEFORE: tuple[Flow, ...] = (
    (25, "ISKP", "TALIBAN", "defect"),
    (20, "TALIBAN", "ISKP", "defect"),
    (25, "TALIBAN", "AFG_REPUBLIC", "all"),
    (10, "AFG_REPUBLIC", "TALIBAN", "all"),
    (8, "TTP", "ISKP", "border"),
    (5, "HAQQANI", "ISKP", "border"),
    (7, "ISKP", "AFG_REPUBLIC", "east"),
)
FLOWS_AFTER: tuple[Flow, ...] = (
    (40, "ISKP", "TALIBAN", "defect"),
    (30, "TALIBAN", "ISKP", "defect"),
    (10, "TTP", "ISKP", "border"),
    (10, "NRF", "TALIBAN", "north"),
    (5, "TALIBAN", "NRF", "north"),
    (5, "HAQQANI", "ISKP", "border"),
)
SLOTS = 10_000
"""Weighted choices are made by a uniform slot 0..SLOTS-1 looked up in a small table."""


def peak_rss_bytes() -> int:
    """This process's peak resident set size (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def emit(result: dict[str, Any]) -> None:
    """Hand a child's measurements to the parent as one JSON line on stdout."""
    result["peak_rss_bytes"] = peak_rss_bytes()
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


def _slots(weights: dict[Any, float]) -> list[Any]:
    """SLOTS keys, each as often as its weight's share (largest remainder)."""
    total = sum(weights.values())
    exact = {key: SLOTS * w / total for key, w in weights.items()}
    counts = {key: int(x) for key, x in exact.items()}
    short = SLOTS - sum(counts.values())
    for key in sorted(exact, key=lambda k: counts[k] - exact[k])[:short]:
        counts[key] += 1
    return [key for key, n in counts.items() for _ in range(n)]


def _lookup_tables(sites: int) -> dict[str, Any]:
    """The small tables the INSERTs join: kinds, places and defection flows by slot."""
    import numpy as np
    import pyarrow as pa

    from rivalscope.places import AFGHAN_PROVINCES

    kind_rows: list[dict[str, Any]] = []
    for after, kinds in ((False, KINDS_BEFORE), (True, KINDS_AFTER)):
        chosen = _slots({kind: kind[1] for kind in kinds})
        for slot, (event_type, _, actor1, actor2, target, geography) in enumerate(chosen):
            kind_rows.append(
                {
                    "after": after,
                    "slot": slot,
                    "event_type": event_type,
                    "actor1": actor1,
                    "actor2": actor2,
                    "target_type": target,
                    "geography": "east" if geography == "front" else geography,
                    "front": geography == "front",
                }
            )
    place_rows = [
        {"geography": geography, "slot": slot, "code": code}
        for geography, weights in GEOGRAPHIES.items()
        for slot, code in enumerate(_slots(weights))
    ]
    provinces = pa.Table.from_pylist(
        [
            {
                "code": p.code,
                "name": p.name,
                "lat": p.latitude,
                "lon": p.longitude,
                "front": FRONT.get(p.code, "2100-01-01"),
            }
            for p in AFGHAN_PROVINCES
        ]
    )
    rng = np.random.default_rng(42)
    site_rows = [
        {
            "code": p.code,
            "site": site,
            # Site 0 is the provincial centre; the others lie within about 50 km of it.
            "lat": p.latitude + (0.0 if site == 0 else float(rng.uniform(-0.45, 0.45))),
            "lon": p.longitude + (0.0 if site == 0 else float(rng.uniform(-0.55, 0.55))),
        }
        for p in AFGHAN_PROVINCES
        for site in range(max(sites, 1))
    ]
    flow_rows: list[dict[str, Any]] = []
    for after, flows in ((False, FLOWS_BEFORE), (True, FLOWS_AFTER)):
        for slot, (_, source, target, geography) in enumerate(
            _slots({flow: flow[0] for flow in flows})
        ):
            flow_rows.append(
                {
                    "after": after,
                    "slot": slot,
                    "from_actor": source,
                    "to_actor": target,
                    "geography": geography,
                }
            )
    return {
        "bench_kinds": pa.Table.from_pylist(kind_rows),
        "bench_place_slots": pa.Table.from_pylist(place_rows),
        "bench_provinces": provinces,
        "bench_sites": pa.Table.from_pylist(site_rows),
        "bench_flows": pa.Table.from_pylist(flow_rows),
    }


def _events_sql(rows: int, sites: int) -> str:
    if sites > 0:
        where = (
            "st.lat AS latitude, st.lon AS longitude, "
            "CASE WHEN x.code IS NULL THEN NULL ELSE 'site ' || x.site END AS location"
        )
        site_join = "LEFT JOIN bench_sites st ON st.code = x.code AND st.site = x.site"
    else:
        where = (
            "CASE WHEN x.code IS NULL THEN NULL ELSE p.lat + (x.u_lat - 0.5) * 0.9 END "
            "AS latitude, CASE WHEN x.code IS NULL THEN NULL ELSE p.lon + (x.u_lon - 0.5) * 1.1 "
            "END AS longitude, NULL AS location"
        )
        site_join = ""
    return f"""
INSERT INTO events BY NAME
WITH draws AS (
  SELECT i,
         DATE '{FIRST_DAY}' + CAST(floor(random() * {DAYS}) AS INTEGER) AS day,
         CAST(floor(random() * {SLOTS}) AS INTEGER) AS kind_slot,
         CAST(floor(random() * {SLOTS}) AS INTEGER) AS place_slot,
         random() AS u_site, random() AS u_lat, random() AS u_lon, random() AS u_dead,
         random() AS u_assoc, random() AS u_assoc2, random() AS u_source, random() AS u_prec,
         random() AS u_geo, random() AS u_missing
  FROM range({rows}) AS r(i)
),
kinds AS (
  SELECT d.*, k.event_type, k.actor1, k.actor2, k.target_type, k.geography, k.front
  FROM draws d
  JOIN bench_kinds k ON k.after = (d.day >= DATE '{TAKEOVER}') AND k.slot = d.kind_slot
),
x AS (
  SELECT k.*,
         CASE WHEN k.u_missing < 0.01 THEN NULL
              WHEN k.front AND k.day < CAST(p.front AS DATE) THEN 'AF-NAN'
              ELSE p.code END AS code,
         CAST(floor(k.u_site * k.u_site * {max(sites, 1)}) AS INTEGER) AS site,
         CASE WHEN k.u_source < 0.4 THEN 'ucdp' ELSE 'acled' END AS source,
         CASE WHEN k.u_missing BETWEEN 0.01 AND 0.015 THEN NULL
              ELSE CAST(floor(-ln(1 - k.u_dead) * CASE k.event_type
                   WHEN 'clash' THEN 3.0 WHEN 'attack' THEN 2.5
                   WHEN 'state_operation' THEN 2.0 ELSE 0.3 END) AS INTEGER) END AS best
  FROM kinds k
  JOIN bench_place_slots s ON s.geography = k.geography AND s.slot = k.place_slot
  JOIN bench_provinces p ON p.code = s.code
)
SELECT
  'sim:' || x.i AS event_id,
  x.source,
  CAST(x.i AS VARCHAR) AS source_id,
  'benchmark-synthetic' AS batch_id,
  x.day AS date_start,
  x.day AS date_end,
  CASE WHEN x.u_prec < 0.93 THEN 'day' WHEN x.u_prec < 0.98 THEN 'week' ELSE 'month' END
    AS date_precision,
  x.event_type,
  CASE WHEN x.source = 'ucdp' THEN CASE x.event_type
         WHEN 'attack' THEN 'one-sided'
         WHEN 'clash' THEN CASE WHEN x.actor1 IN ('AFG_REPUBLIC', 'US', 'NATO', 'PAK')
                                  OR x.actor2 IN ('AFG_REPUBLIC', 'US', 'NATO', 'PAK')
                                THEN 'state-based' ELSE 'non-state' END
         ELSE 'state-based' END
       ELSE CASE x.event_type
         WHEN 'clash' THEN 'Battles'
         WHEN 'attack' THEN 'Violence against civilians'
         WHEN 'state_operation' THEN 'Explosions/Remote violence'
         ELSE 'Strategic developments' END
  END AS source_event_type,
  x.actor1,
  x.actor2,
  x.actor1 AS actor1_raw,
  x.actor2 AS actor2_raw,
  CASE WHEN x.actor1 = 'TALIBAN' AND x.u_assoc < 0.04 THEN ['HAQQANI']
       WHEN x.actor1 = 'TALIBAN' AND x.u_assoc < 0.05 THEN ['HAQQANI', 'AQ']
       WHEN x.actor1 = 'AFG_REPUBLIC' AND x.u_assoc < 0.06 THEN ['US']
       WHEN x.actor1 = 'AFG_REPUBLIC' AND x.u_assoc < 0.07 THEN ['US', 'NATO']
       WHEN x.actor1 = 'ISKP' AND x.u_assoc < 0.02 THEN ['TTP']
       WHEN x.actor1 = 'HAQQANI' AND x.u_assoc < 0.10 THEN ['TALIBAN']
       ELSE CAST([] AS VARCHAR[]) END AS assoc_actors,
  CASE WHEN x.actor2 = 'TALIBAN' AND x.u_assoc2 < 0.03 THEN ['HAQQANI']
       WHEN x.actor2 = 'AFG_REPUBLIC' AND x.u_assoc2 < 0.05 THEN ['US']
       ELSE CAST([] AS VARCHAR[]) END AS assoc_actors2,
  x.target_type,
  'AFG' AS country_iso3,
  x.code AS admin1_code,
  p.name AS admin1,
  {where},
  CASE WHEN x.code IS NULL THEN NULL ELSE 1 + CAST(floor(x.u_geo * 3) AS INTEGER) END
    AS geo_precision,
  x.best AS fatalities_best,
  CAST(floor(x.best * 0.7) AS INTEGER) AS fatalities_low,
  x.best + CAST(floor(x.best * 0.5) AS INTEGER) AS fatalities_high,
  CASE WHEN x.target_type IN ('civilians', 'religious_site') THEN x.best
       WHEN x.source = 'ucdp' THEN 0 END AS civilian_deaths,
  'SYNTHETIC' AS notes,
  md5('sim:' || x.i) AS row_hash
FROM x
LEFT JOIN bench_provinces p ON p.code = x.code
{site_join}
"""


def _defections_sql(rows: int) -> str:
    return f"""
INSERT INTO defections BY NAME
WITH draws AS (
  SELECT i,
         DATE '{FIRST_DAY}' + CAST(floor(random() * {DAYS}) AS INTEGER) AS day,
         CAST(floor(random() * {SLOTS}) AS INTEGER) AS flow_slot,
         CAST(floor(random() * {SLOTS}) AS INTEGER) AS place_slot,
         random() AS u_role, random() AS u_fighters, random() AS u_missing
  FROM range({rows}) AS r(i)
),
x AS (
  SELECT d.*, f.from_actor, f.to_actor,
         CASE WHEN d.u_missing < 0.05 THEN NULL ELSE s.code END AS code
  FROM draws d
  JOIN bench_flows f ON f.after = (d.day >= DATE '{TAKEOVER}') AND f.slot = d.flow_slot
  JOIN bench_place_slots s ON s.geography = f.geography AND s.slot = d.place_slot
)
SELECT
  'simdef:' || x.i AS defection_id,
  'benchmark-synthetic' AS batch_id,
  x.day AS date,
  'SYNTHETIC person ' || x.i AS person,
  CASE WHEN x.u_role < 0.2 THEN 'commander' WHEN x.u_role < 0.9 THEN 'fighter'
       ELSE 'cleric' END AS role,
  CASE WHEN x.u_fighters < 0.3 THEN NULL
       ELSE CAST(floor(-ln(1 - x.u_fighters) * 12) AS INTEGER) END AS fighters,
  x.from_actor,
  x.to_actor,
  x.from_actor AS from_actor_raw,
  x.to_actor AS to_actor_raw,
  'AFG' AS country_iso3,
  x.code AS admin1_code,
  p.name AS admin1,
  'benchmark' AS source,
  'SYNTHETIC' AS notes,
  md5('simdef:' || x.i) AS row_hash
FROM x
LEFT JOIN bench_provinces p ON p.code = x.code
"""


def part_build(db_path: Path, rows: int, defections: int, sites: int) -> None:
    """Create the store and fill it (a child process, so the parent stays small)."""
    import rivalscope as rs

    started = time.perf_counter()
    store = rs.open(db_path)
    con = store.con
    for name, table in _lookup_tables(sites).items():
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
    con.execute("SELECT setseed(?)", [SEED])
    con.execute(_events_sql(rows, sites))
    con.execute("SELECT setseed(?)", [SEED])
    con.execute(_defections_sql(defections))
    stats = con.execute(
        f"""SELECT count(*),
                   count(*) FILTER (event_type = 'clash' AND (
                     (actor1 = '{ACTOR}' AND actor2 = '{RIVAL}')
                     OR (actor1 = '{RIVAL}' AND actor2 = '{ACTOR}'))),
                   count(*) FILTER (actor1 IN ('{ACTOR}', '{RIVAL}')),
                   count(DISTINCT (latitude, longitude)),
                   count(*) FILTER (actor1 = 'AFG_REPUBLIC' AND date_start >= DATE '{TAKEOVER}'),
                   bit_xor(hash(event_id, date_start, actor1, actor2, admin1_code, latitude,
                                fatalities_best))
            FROM events"""
    ).fetchone()
    defection_rows = con.execute("SELECT count(*) FROM defections").fetchone()
    store.close()
    assert stats is not None and defection_rows is not None
    assert stats[0] == rows, stats
    assert stats[4] == 0, "a Republic event after the takeover: the draws are not consistent"
    emit(
        {
            "seconds": time.perf_counter() - started,
            "rows": stats[0],
            "dyad_clashes": stats[1],
            "by_sides": stats[2],
            "places": stats[3],
            "fingerprint": f"{stats[5]:016x}",
            "defections": defection_rows[0],
        }
    )


# --- Child helpers: progress lines, warm imports, the query log ----------------------------------
PROGRESS_PREFIX = "BENCH-PROGRESS "


def progress(event: dict[str, Any]) -> None:
    """One step done (or begun): the parent keeps these even when it has to kill the child."""
    event["peak_rss_bytes"] = peak_rss_bytes()
    print(PROGRESS_PREFIX + json.dumps(event, default=str), flush=True)


def warm_imports(pandas: bool) -> float:
    """Import what the timed code imports lazily (sklearn alone takes about a second)."""
    import importlib

    started = time.perf_counter()
    for module in ("rivalscope", "ibis", "ibis.backends.duckdb", "sklearn.cluster"):
        importlib.import_module(module)
    if pandas:
        importlib.import_module("pandas")
    return time.perf_counter() - started


def log_queries(store: Any) -> None:
    """Time every Ibis query the analyses run: caller, seconds, rows, rise of the peak RSS."""
    backend = store.ibis()
    original = backend.to_pyarrow

    def caller() -> str:
        frame = sys._getframe(2)
        while frame is not None:
            module = str(frame.f_globals.get("__name__", ""))
            if module.startswith("rivalscope.analysis."):
                return f"{module.rsplit('.', 1)[1]}.{frame.f_code.co_name}"
            frame = frame.f_back  # type: ignore[assignment]
        return "?"

    def to_pyarrow(expr: Any, **kwargs: Any) -> Any:
        where = caller()
        before = peak_rss_bytes()
        progress({"event": "query-start", "caller": where, "at": time.perf_counter()})
        started = time.perf_counter()
        result = original(expr, **kwargs)
        rows = getattr(result, "num_rows", None)
        if rows is None:
            rows = len(result) if hasattr(result, "__len__") else 1
        progress(
            {
                "event": "query",
                "caller": where,
                "seconds": time.perf_counter() - started,
                "rows": rows,
                "peak_rise_bytes": peak_rss_bytes() - before,
            }
        )
        return result

    backend.to_pyarrow = to_pyarrow


# --- Headline numbers, for the agreement check ---------------------------------------------
def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return value.item()
    return value


def _rows(table: Any, columns: list[str]) -> list[list[Any]]:
    return [[_plain(row[c]) for c in columns] for row in table.to_pylist()]


def ours_headline(name: str, result: Any) -> dict[str, Any]:
    """The numbers of one of our sections that the pandas baseline computes too."""
    if name == "timeline":
        return {
            "timeline.monthly": _rows(result.monthly, list(result.monthly.column_names)),
            "timeline.yearly": _rows(result.yearly, ["year", "clashes", "clash_deaths"]),
            "timeline.by_source": sorted(_rows(result.by_source, ["actor", "source", "events"])),
        }
    if name == "spread":
        return {
            "spread.provinces": _rows(
                result.provinces, ["code", "clashes", "deaths", "first_clash", "last_clash"]
            ),
            "spread.provinces_clashed": result.provinces_clashed,
            "spread.by_phase": _rows(result.by_phase, ["phase", "provinces_clashed", "clashes"]),
        }
    if name == "targets":
        return {"targets": sorted(_rows(result.table, ["side", "phase", "target_type", "events"]))}
    if name == "phases":
        return {
            "phases.periods": _rows(
                result.periods,
                ["phase", "months", "clashes", "attacks", "deaths", "provinces"],
            ),
            "phases.boundaries": _rows(
                result.boundaries, ["boundary", "measure", "rate_ratio", "ci_low", "ci_high"]
            ),
        }
    if name == "harm":
        deaths = [r for r in result.did.to_pylist() if r["outcome"] == "civilian_deaths"]
        return {
            "info.harm.ci": [[r["ci_low"], r["ci_high"]] for r in deaths],
            "harm.event_time": _rows(
                result.event_time,
                ["month_offset", "treated_mean", "control_mean", "treated_provinces"],
            ),
            "harm.did": [
                [r["estimate"], r["treated_provinces"], r["control_provinces"]] for r in deaths
            ],
        }
    if name == "defections":
        claim = result.claim
        return {
            "defections.flows": _rows(
                result.flows, ["from_actor", "to_actor", "records", "fighters"]
            ),
            "defections.claim": [
                claim.provinces_with,
                claim.provinces_without,
                claim.clashes_with,
                claim.clashes_without,
            ],
            "info.defections.p_value": claim.p_value,
        }
    if name == "hotspots":
        clusters = result.clusters.to_pylist()
        return {
            "hotspots.clusters": sorted(
                [
                    c["side"],
                    c["events"],
                    c["deaths"],
                    _plain(c["first"]),
                    _plain(c["last"]),
                    c["admin1_code"],
                ]
                for c in clusters
            ),
            "hotspots.noise": _rows(result.noise, ["side", "events"]),
        }
    if name == "network":
        edges = _rows(result.edges, ["kind", "source", "target", "weight"])
        return {
            "network.assoc": sorted(e[1:] for e in edges if e[0] == "assoc"),
            "network.colocated": sorted(e[1:] for e in edges if e[0] == "colocated"),
        }
    raise ValueError(name)


# --- Part: ours, the whole profile in one process -----------------------------------------------
def part_ours(db_path: Path) -> None:
    import importlib

    imports = warm_imports(pandas=False)
    import rivalscope as rs

    started = time.perf_counter()
    store = rs.open(db_path, read_only=True)
    opened = time.perf_counter()
    memory_limit, threads = store.con.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone() or (None, None)
    progress(
        {
            "event": "settings",
            "memory_limit": memory_limit,
            "threads": threads,
            "import_seconds": imports,
            "open_seconds": opened - started,
        }
    )
    log_queries(store)
    sections: dict[str, dict[str, Any]] = {}
    overhead = [0.0]

    def timed(name: str, compute: Any) -> Any:
        def wrapper(dyad: Any, **options: Any) -> Any:
            progress({"event": "section-start", "name": name, "at": time.perf_counter()})
            begun = time.perf_counter()
            result = compute(dyad, **options)
            seconds = time.perf_counter() - begun
            sections[name] = {"seconds": seconds}
            headline = ours_headline(name, result)
            progress({"event": "section", "name": name, "seconds": seconds, "headline": headline})
            # Taking the headline and reporting it is the benchmark's work, not the profile's.
            overhead[0] += time.perf_counter() - begun - seconds
            return result

        return wrapper

    for name in SECTIONS:
        module = importlib.import_module(f"rivalscope.analysis.{name}")
        module.compute = timed(name, module.compute)  # type: ignore[attr-defined]
    begun = time.perf_counter()
    result = rs.profile(store, ACTOR, RIVAL, country=COUNTRY)
    seconds = time.perf_counter() - begun - overhead[0]
    store.close()
    from rivalscope.analysis.profile import SECTIONS as LIBRARY_SECTIONS

    assert tuple(LIBRARY_SECTIONS) == SECTIONS, LIBRARY_SECTIONS
    assert result.spread.provinces_clashed >= 0
    emit(
        {
            "seconds": seconds,
            "frame_seconds": seconds - sum(s["seconds"] for s in sections.values()),
        }
    )


# --- Part: one section alone (diagnosis) ----------------------------------------------------------
def part_section(db_path: Path, name: str) -> None:
    import importlib

    warm_imports(pandas=False)
    import rivalscope as rs
    from rivalscope.analysis import Dyad

    module = importlib.import_module(f"rivalscope.analysis.{name}")
    store = rs.open(db_path, read_only=True)
    log_queries(store)
    begun = time.perf_counter()
    dyad = Dyad.of(store, ACTOR, RIVAL, country=COUNTRY)
    framed = time.perf_counter()
    rss_before = peak_rss_bytes()
    progress({"event": "section-start", "name": name, "at": time.perf_counter()})
    module.compute(dyad)
    finished = time.perf_counter()
    store.close()
    emit(
        {
            "seconds": finished - framed,
            "frame_seconds": framed - begun,
            "rss_before_bytes": rss_before,
        }
    )


# --- Part: the pandas baseline -------------------------------------------------------------------
EVENT_LOAD_SQL = """
SELECT source, date_start, event_type, actor1, actor2,
       CASE WHEN len(assoc_actors) > 0 THEN assoc_actors END AS assoc_actors,
       CASE WHEN len(assoc_actors2) > 0 THEN assoc_actors2 END AS assoc_actors2,
       target_type, country_iso3, admin1_code, latitude, longitude, fatalities_best,
       civilian_deaths
FROM events
"""
"""The columns the sections read (empty ally lists come as NULL: the same to every section)."""

N_BOOT = 1000
N_PERM = 10_000
EPS_KM, MIN_EVENTS = 10.0, 5
DAYS_APART, KM_APART = 3, 25.0
CHUNK_DAYS = 10
"""The pandas co-location merges the sides' events with the others' ten days at a time."""


class PandasData:
    """The frames the pandas sections read, loaded once."""

    def __init__(self, events: Any, defections: Any, provinces: list[str], excluded: list[str]):
        self.events = events
        self.defections = defections
        self.provinces = provinces
        self.excluded = excluded


def _month_numbers(dates: Any) -> Any:
    return dates.dt.year * 12 + dates.dt.month - 1


def _month_iso(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}-01"


def _phase_of(dates: Any, phases: Any) -> Any:
    import numpy as np
    import pandas as pd

    conditions, names = [], []
    for p in phases:
        inside = dates >= pd.Timestamp(p.start)
        if p.end is not None:
            inside &= dates < pd.Timestamp(p.end)
        conditions.append(inside.to_numpy())
        names.append(p.name)
    labels = np.select(conditions, names, default="") if names else np.full(len(dates), "")
    return pd.Series(pd.Categorical(labels, categories=names), index=dates.index)


def _dyad_masks(e: Any) -> tuple[Any, Any]:
    """(events between the two, clashes between the two) as boolean Series."""
    between = ((e.actor1 == ACTOR) & (e.actor2 == RIVAL)) | (
        (e.actor1 == RIVAL) & (e.actor2 == ACTOR)
    )
    return between, between & (e.event_type == "clash")


def pd_timeline(data: PandasData) -> dict[str, Any]:
    import pandas as pd

    e = data.events
    _, clash = _dyad_masks(e)
    attack, state_op = e.event_type == "attack", e.event_type == "state_operation"
    flags = pd.DataFrame(
        {
            "clashes": clash,
            "attacks_by_actor": attack & (e.actor1 == ACTOR),
            "attacks_by_rival": attack & (e.actor1 == RIVAL),
            "state_ops_on_actor": state_op & (e.actor2 == ACTOR),
            "state_ops_on_rival": state_op & (e.actor2 == RIVAL),
        }
    )
    relevant = flags.any(axis=1)
    counted = flags[relevant].astype("int64")
    counted["clash_deaths"] = e.fatalities_best.fillna(0).where(clash, 0)[relevant].astype("int64")
    monthly = counted.groupby(_month_numbers(e.date_start[relevant])).sum()
    monthly = monthly.reindex(range(monthly.index.min(), monthly.index.max() + 1), fill_value=0)
    columns = ["clashes", "clash_deaths", *list(flags.columns[1:])]
    yearly = monthly.groupby(monthly.index // 12)[["clashes", "clash_deaths"]].sum()
    sides = pd.DataFrame({side: (e.actor1 == side) | (e.actor2 == side) for side in (ACTOR, RIVAL)})
    involved = sides.any(axis=1)
    by_source = sides[involved].groupby(e.source[involved]).sum()
    return {
        "timeline.monthly": [
            [_month_iso(int(m)), *(int(row[c]) for c in columns)] for m, row in monthly.iterrows()
        ],
        "timeline.yearly": [
            [int(y), int(row.clashes), int(row.clash_deaths)] for y, row in yearly.iterrows()
        ],
        "timeline.by_source": sorted(
            [side, str(source), int(row[side])]
            for source, row in by_source.iterrows()
            for side in (ACTOR, RIVAL)
        ),
    }


def pd_spread(data: PandasData) -> dict[str, Any]:
    from rivalscope.analysis.context import default_phases

    e = data.events
    _, clash = _dyad_masks(e)
    c = e[clash].assign(deaths=e.fatalities_best[clash].fillna(0).astype("int64"))
    per = (
        c[c.admin1_code.notna()]
        .groupby("admin1_code")
        .agg(
            clashes=("date_start", "size"),
            deaths=("deaths", "sum"),
            first=("date_start", "min"),
            last=("date_start", "max"),
        )
        .reset_index()
        .sort_values(["clashes", "admin1_code"], ascending=[False, True])
    )
    phases = default_phases(COUNTRY)
    by_phase = c.groupby(_phase_of(c.date_start, phases)).agg(
        provinces=("admin1_code", "nunique"), clashes=("date_start", "size")
    )
    return {
        "spread.provinces": [
            [r.admin1_code, int(r.clashes), int(r.deaths), _plain(r.first), _plain(r.last)]
            for r in per.itertuples()
        ],
        "spread.provinces_clashed": len(per),
        "spread.by_phase": [
            [
                p.name,
                int(by_phase.provinces.get(p.name, 0)),
                int(by_phase.clashes.get(p.name, 0)),
            ]
            for p in phases
        ],
    }


def pd_targets(data: PandasData) -> dict[str, Any]:
    from rivalscope.analysis.context import default_phases

    e = data.events
    between, _ = _dyad_masks(e)
    acting_mask = e.actor1.isin([ACTOR, RIVAL]) & e.event_type.isin(
        ["attack", "clash", "state_operation"]
    )
    acting = e[acting_mask]
    target = acting.target_type.fillna("unknown").where(~between[acting_mask], "rival")
    phase = _phase_of(acting.date_start, default_phases(COUNTRY))
    whole = target.groupby([acting.actor1, target]).size()
    per_phase = target.groupby([acting.actor1, phase, target]).size()
    rows = [[side, "all", t, int(n)] for (side, t), n in whole.items()]
    rows += [[side, p, t, int(n)] for (side, p, t), n in per_phase.items()]
    return {"targets": sorted(rows)}


def _rate_ratio(before: float, m0: float, after: float, m1: float) -> list[float]:
    import math

    if before == 0 or after == 0:
        before, after = before + 0.5, after + 0.5
    ratio = (after / m1) / (before / m0)
    half = 1.96 * math.sqrt(1 / after + 1 / before)
    return [ratio, ratio * math.exp(-half), ratio * math.exp(half)]


def pd_phases(data: PandasData) -> dict[str, Any]:
    import datetime as dt

    from rivalscope.analysis.context import default_phases

    e = data.events
    phases = default_phases(COUNTRY)
    first, last = e.date_start.min().date(), e.date_start.max().date()
    _, clash = _dyad_masks(e)
    attack = (e.event_type == "attack") & e.actor1.isin([ACTOR, RIVAL])
    either = clash | attack
    x = e[either].assign(
        clash=clash[either],
        attack=attack[either],
        deaths=e.fatalities_best[either].fillna(0).astype("int64"),
        clash_province=e.admin1_code[either].where(clash[either]),
    )
    counted = x.groupby(_phase_of(x.date_start, phases)).agg(
        clashes=("clash", "sum"),
        attacks=("attack", "sum"),
        deaths=("deaths", "sum"),
        provinces=("clash_province", "nunique"),
    )
    periods = []
    for p in phases:
        start = max(p.start, first)
        end = last if p.end is None else min(p.end - dt.timedelta(days=1), last)
        months = max(1, (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1)
        found = counted.loc[p.name] if p.name in counted.index else None
        values = [0, 0, 0, 0] if found is None else [int(v) for v in found]
        covered = p.start <= last and (p.end is None or p.end > first)
        periods.append([p.name, months, *values, covered, p.start])
    boundaries = []
    covered_periods = [row for row in periods if row[6]]
    for before, after in itertools.pairwise(covered_periods):
        for measure, column in (("clashes", 2), ("attacks", 3), ("deaths", 4), ("spread", 5)):
            ratio = _rate_ratio(before[column], before[1], after[column], after[1])
            boundaries.append([after[7].isoformat(), measure, *ratio])
    return {
        "phases.periods": [row[:6] for row in periods],
        "phases.boundaries": boundaries,
    }


def pd_harm(data: PandasData) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    e = data.events
    _, clash = _dyad_masks(e)
    c = e[clash & e.admin1_code.notna()]
    firsts = _month_numbers(c.date_start).groupby(c.admin1_code).min()
    treated = sorted(firsts.index)
    controls = sorted(set(data.provinces) - set(treated))
    lo, hi = int(firsts.min()) - 6, int(firsts.max()) + 12
    months = _month_numbers(e.date_start)
    observed_lo, observed_hi = int(months.min()), int(months.max())
    inside = e.admin1_code.notna() & (months >= lo) & (months <= hi)
    deaths = (
        e.civilian_deaths[inside].fillna(0).groupby([e.admin1_code[inside], months[inside]]).sum()
    )
    grid = (
        deaths.unstack(fill_value=0)
        .reindex(index=treated + controls, columns=range(lo, hi + 1), fill_value=0)
        .astype(float)
    )
    long = grid.loc[treated].stack().rename("value").reset_index()
    long.columns = ["province", "month", "value"]
    long = long[(long.month >= observed_lo) & (long.month <= observed_hi)]
    long["offset"] = long.month - long.province.map(firsts)
    long = long[(long.offset >= -6) & (long.offset <= 12)]
    control_mean = grid.loc[controls].mean(axis=0)
    long["control"] = long.month.map(control_mean)
    per_offset = long.groupby("offset").agg(
        treated_mean=("value", "mean"), control_mean=("control", "mean"), n=("value", "size")
    )
    event_time = []
    for offset in range(-6, 13):
        if offset in per_offset.index:
            row = per_offset.loc[offset]
            means = [float(row.treated_mean), float(row.control_mean) if controls else None]
            event_time.append([offset, *means, int(row.n)])
        else:
            event_time.append([offset, None, None, 0])

    long["post"] = long.offset >= 0
    sides = long.groupby("province").post.agg(["min", "max"])
    kept = sorted(sides.index[(~sides["min"]) & sides["max"]])
    rows = long[long.province.isin(kept)]
    n_t, n_c = len(kept), len(controls)
    if n_t == 0 or n_c == 0:
        return {"harm.event_time": event_time, "harm.did": [[None, n_t, n_c]]}

    position = rows.province.map({p: i for i, p in enumerate(kept)}).to_numpy()
    control_grid = grid.loc[controls].to_numpy().T
    month_index = rows.month.to_numpy() - lo
    post = rows.post.to_numpy()
    value = rows.value.to_numpy()

    def did(treated_weight: Any, control_weight: Any) -> float:
        """Weighted difference-in-differences: weights per treated and per control province."""
        w = treated_weight[position]
        c_at = (control_grid @ control_weight)[month_index]
        treated_change = np.average(value[post], weights=w[post]) - np.average(
            value[~post], weights=w[~post]
        )
        control_change = np.average(c_at[post], weights=w[post]) - np.average(
            c_at[~post], weights=w[~post]
        )
        return float(treated_change - control_change)

    estimate = did(np.ones(n_t), np.full(n_c, 1 / n_c))
    rng = np.random.default_rng(0)
    boot = [
        did(
            np.bincount(rng.integers(0, n_t, n_t), minlength=n_t).astype(float),
            np.bincount(rng.integers(0, n_c, n_c), minlength=n_c) / n_c,
        )
        for _ in range(N_BOOT)
    ]
    ci = [float(v) for v in pd.Series(boot).quantile([0.025, 0.975])]
    return {
        "harm.event_time": event_time,
        "harm.did": [[estimate, n_t, n_c]],
        "info.harm.ci": ci,
    }


def pd_defections(data: PandasData) -> dict[str, Any]:
    import numpy as np

    d = data.defections[data.defections.country_iso3 == COUNTRY]
    d = d[d.from_actor.isin([ACTOR, RIVAL]) | d.to_actor.isin([ACTOR, RIVAL])]
    d = d.assign(counted=d.fighters.fillna(0).astype("int64"))
    flows = (
        d.groupby(["from_actor", "to_actor"])
        .agg(records=("counted", "size"), fighters=("counted", "sum"))
        .reset_index()
        .sort_values(["records", "from_actor", "to_actor"], ascending=[False, True, True])
    )
    by_province_month = d.groupby(
        [d.admin1_code, d.date.dt.to_period("M"), d.from_actor, d.to_actor], dropna=False
    ).agg(records=("counted", "size"), fighters=("counted", "sum"))
    records = d.sort_values(["date", "defection_id"])

    between = ((d.from_actor == ACTOR) & (d.to_actor == RIVAL)) | (
        (d.from_actor == RIVAL) & (d.to_actor == ACTOR)
    )
    with_codes = set(d.admin1_code[between & d.admin1_code.notna()])
    e = data.events
    _, clash = _dyad_masks(e)
    c = e[clash & e.admin1_code.notna()]
    clash_counts = c.groupby("admin1_code").size()
    provinces = sorted(set(data.provinces) | with_codes | set(clash_counts.index))
    counts = clash_counts.reindex(provinces, fill_value=0).to_numpy().astype(float)
    labels = np.array([p in with_codes for p in provinces])
    n_with, n_without = int(labels.sum()), int((~labels).sum())
    claim = [n_with, n_without, int(counts[labels].sum()), int(counts[~labels].sum())]
    p_value = float("nan")
    if n_with and n_without:
        observed = counts[labels].mean() - counts[~labels].mean()
        rng = np.random.default_rng(0)
        at_least = 0
        for _ in range(N_PERM):
            shuffled = rng.permutation(labels)
            at_least += counts[shuffled].mean() - counts[~shuffled].mean() >= observed - 1e-9
        p_value = (1 + at_least) / (1 + N_PERM)
    return {
        "defections.flows": [
            [r.from_actor, r.to_actor, int(r.records), int(r.fighters)] for r in flows.itertuples()
        ],
        "defections.claim": claim,
        "info.defections.p_value": p_value,
        "info.defections.tables": [len(by_province_month), len(records)],
    }


def pd_hotspots(data: PandasData) -> dict[str, Any]:
    import numpy as np
    from sklearn.cluster import DBSCAN

    from rivalscope.analysis.hotspots import EARTH_RADIUS_KM, KM_PER_DEGREE

    e = data.events
    attacks = e[
        e.actor1.isin([ACTOR, RIVAL])
        & (e.event_type == "attack")
        & e.latitude.notna()
        & e.longitude.notna()
    ]
    clusters: list[list[Any]] = []
    noise = []
    for side in (ACTOR, RIVAL):
        mine = attacks[attacks.actor1 == side]
        places = mine.groupby(["latitude", "longitude"]).size().rename("n").reset_index()
        # the same snapping as ours: a 1 km grid (EPS_KM / 10) decides membership
        step = EPS_KM / 10 / KM_PER_DEGREE
        places["gy"] = np.round(places.latitude / step)
        places["gx"] = np.round(places.longitude / step)
        grid = places.groupby(["gy", "gx"]).n.sum().reset_index()
        labels = np.empty(0, np.int64)
        if len(grid):
            model = DBSCAN(
                eps=EPS_KM / EARTH_RADIUS_KM,
                min_samples=MIN_EVENTS,
                metric="haversine",
                algorithm="ball_tree",
            )
            model.fit(np.radians(grid[["gy", "gx"]].to_numpy() * step), sample_weight=grid.n)
            labels = model.labels_
        grid["label"] = labels
        places = places.merge(grid[["gy", "gx", "label"]], on=["gy", "gx"])
        labelled = mine.merge(
            places[["latitude", "longitude", "label"]], on=["latitude", "longitude"]
        )
        labelled = labelled.assign(deaths=labelled.fatalities_best.fillna(0).astype("int64"))
        found = labelled[labelled.label >= 0]
        per = found.groupby("label").agg(
            events=("deaths", "size"),
            deaths=("deaths", "sum"),
            first=("date_start", "min"),
            last=("date_start", "max"),
        )
        top = found.groupby(["label", "admin1_code"]).size()
        province = {label: code for label, code in top.groupby(level=0).idxmax()}
        clusters += [
            [side, int(r.events), int(r.deaths), _plain(r.first), _plain(r.last), province[r.Index]]
            for r in per.itertuples()
        ]
        noise.append([side, int((labelled.label < 0).sum())])
    return {"hotspots.clusters": sorted(clusters), "hotspots.noise": noise}


def _great_circle_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    import numpy as np

    from rivalscope.analysis.hotspots import EARTH_RADIUS_KM

    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def pd_network(data: PandasData) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from rivalscope.analysis.hotspots import EARTH_RADIUS_KM

    e = data.events
    sides = [ACTOR, RIVAL]
    excluded = data.excluded

    # Allies: actor and its associated actors, per event and side of the event.
    groups = []
    for group, (actor, allies) in enumerate(
        (("actor1", "assoc_actors"), ("actor2", "assoc_actors2")), start=1
    ):
        named = e[e[allies].notna()]
        members = [[a, *list(rest)] for a, rest in zip(named[actor], named[allies], strict=True)]
        groups.append(pd.DataFrame({"eid": named.index, "group": group, "member": members}))
    long = pd.concat(groups).explode("member")
    touching = long[long.member.isin(sides)].set_index(["eid", "group"]).index.unique()
    long = long[long.set_index(["eid", "group"]).index.isin(touching)]
    long = long[long.member.notna() & ~long.member.isin(excluded)].drop_duplicates()
    pairs = long.merge(long, on=["eid", "group"])
    pairs = pairs[pairs.member_x < pairs.member_y]
    assoc = pairs.groupby(["member_x", "member_y"]).eid.nunique()

    # Co-location: bucket by day and by a grid cell at least the distance wide; merge each
    # event of a side with the other actors' events in its 7 days x 3 x 3 cells, CHUNK_DAYS
    # days at a time (actors as integer codes, to keep each merge small); then the exact
    # great-circle distance, and each event of a side counted once per partner near it.
    placed = e[e.latitude.notna() & e.longitude.notna()]
    names = sorted({*placed.actor1.dropna().unique(), *placed.actor2.dropna().unique()})
    frame = pd.DataFrame(
        {
            "actor": pd.Categorical(placed.actor1, categories=names).codes,
            "target": pd.Categorical(placed.actor2, categories=names).codes,
            "day": (placed.date_start - pd.Timestamp("1970-01-01")).dt.days.astype("int32"),
            "lat": placed.latitude,
            "lon": placed.longitude,
        }
    )
    cell_lat = KM_APART / (EARTH_RADIUS_KM * np.pi / 180) * 1.1
    widest = float(np.cos(np.radians(min(89.0, frame.lat.abs().max() + cell_lat))))
    cell_lon = cell_lat / max(widest, 0.01)
    frame["cy"] = np.floor(frame.lat / cell_lat).astype("int32")
    frame["cx"] = np.floor(frame.lon / cell_lon).astype("int32")
    frame["row"] = np.arange(len(frame), dtype="int64")
    mine = frame[placed.actor1.isin(sides).to_numpy()]
    others = placed.actor1.notna() & ~placed.actor1.isin([*sides, *excluded])
    theirs = frame[others.to_numpy()]
    shifts = np.array(
        [
            (dd, dy, dx)
            for dd in range(-DAYS_APART, DAYS_APART + 1)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ],
        dtype="int32",
    )
    counted: dict[tuple[str, str], int] = {}
    first_day, last_day = int(frame.day.min()), int(frame.day.max())
    for start in range(first_day, last_day + 1, CHUNK_DAYS):
        m = mine[(mine.day >= start) & (mine.day < start + CHUNK_DAYS)]
        t = theirs[
            (theirs.day >= start - DAYS_APART) & (theirs.day < start + CHUNK_DAYS + DAYS_APART)
        ]
        if m.empty or t.empty:
            continue
        moved = pd.DataFrame(
            {column: np.repeat(m[column].to_numpy(), len(shifts)) for column in m.columns}
        )
        for i, column in enumerate(("day", "cy", "cx")):
            moved[column] += np.tile(shifts[:, i], len(m))
        pairs = moved.merge(t, on=["day", "cy", "cx"], suffixes=("_l", "_r"))
        pairs = pairs[(pairs.target_l != pairs.actor_r) & (pairs.target_r != pairs.actor_l)]
        near = _great_circle_km(pairs.lat_l, pairs.lon_l, pairs.lat_r, pairs.lon_r) <= KM_APART
        found = pairs.loc[near, ["row_l", "actor_l", "actor_r"]].drop_duplicates()
        for (left, right), n in found.groupby(["actor_l", "actor_r"]).size().items():
            key = (names[left], names[right])
            counted[key] = counted.get(key, 0) + int(n)
    return {
        "network.assoc": sorted([s, t, int(n)] for (s, t), n in assoc.items()),
        "network.colocated": sorted([min(k), max(k), n] for k, n in counted.items()),
    }


PANDAS_SECTIONS = {
    "timeline": pd_timeline,
    "spread": pd_spread,
    "targets": pd_targets,
    "phases": pd_phases,
    "harm": pd_harm,
    "defections": pd_defections,
    "hotspots": pd_hotspots,
    "network": pd_network,
}


def part_pandas(db_path: Path) -> None:
    imports = warm_imports(pandas=True)
    import duckdb

    from rivalscope.analysis.network import NOT_PARTNER_KINDS, NOT_PARTNERS

    started = time.perf_counter()
    con = duckdb.connect(str(db_path), read_only=True)
    events = con.execute(EVENT_LOAD_SQL).df()
    defections = con.execute("SELECT * FROM defections").df()
    provinces = con.execute(
        "SELECT code FROM places WHERE level = 1 AND country_iso3 = ? ORDER BY code", [COUNTRY]
    ).df()
    actors = con.execute("SELECT actor_id, kind FROM actors").df()
    con.close()
    excluded = sorted({*NOT_PARTNERS, *actors.actor_id[actors.kind.isin(list(NOT_PARTNER_KINDS))]})
    data = PandasData(events, defections, list(provinces.code), excluded)
    loaded = time.perf_counter()
    # The dyad's frame, as Dyad.events(): counted, like the rest of the computation.
    data.events = events[events.country_iso3 == COUNTRY]
    total = time.perf_counter() - loaded
    progress(
        {
            "event": "load",
            "seconds": loaded - started,
            "rows": len(events),
            "bytes": int(events.memory_usage(deep=True).sum()),
        }
    )
    progress({"event": "frame", "seconds": total})
    for name in SECTIONS:
        progress({"event": "section-start", "name": name, "at": time.perf_counter()})
        begun = time.perf_counter()
        headline = PANDAS_SECTIONS[name](data)
        seconds = time.perf_counter() - begun
        total += seconds
        progress({"event": "section", "name": name, "seconds": seconds, "headline": headline})
    emit({"seconds": total, "load_seconds": loaded - started, "import_seconds": imports})


# --- Parent: build, run the parts under a watchdog, compare, report ------------------------------
def _rss_of(pid: int) -> int:
    """Resident set size of a process, from /proc (0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_part(arguments: list[str], timeout: float, rss_cap: float) -> dict[str, Any]:
    """Run one part in a fresh Python process under the watchdog and return what it measured.

    The result has ``progress`` (the child's progress events), ``result`` (its final line, or
    None), ``stopped`` (None, ``"timeout"``, ``"memory"`` or ``"error"``), ``wall`` (seconds)
    and ``sampled_rss`` (the largest RSS the watchdog saw).
    """
    command = [sys.executable, __file__, *arguments]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.perf_counter()
    sampled, stopped = 0, None
    while True:
        try:
            stdout, stderr = child.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            sampled = max(sampled, _rss_of(child.pid))
            if time.perf_counter() - started > timeout:
                stopped = "timeout"
            elif rss_cap and sampled > rss_cap:
                stopped = "memory"
            if stopped:
                child.kill()
                stdout, stderr = child.communicate()
                break
    ended = time.perf_counter()
    wall = ended - started
    events, result = [], None
    for line in stdout.splitlines():
        if line.startswith(PROGRESS_PREFIX):
            events.append(json.loads(line[len(PROGRESS_PREFIX) :]))
        elif line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
    if result is None and stopped is None:
        stopped = "error"
    return {
        "progress": events,
        "result": result,
        "stopped": stopped,
        "wall": wall,
        "ended": ended,
        "sampled_rss": sampled,
        "error": (stderr.strip().splitlines() or ["(no output)"])[-1] if stopped else None,
        "stderr": stderr,
    }


def sections_of(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The finished sections of a run: seconds, headline, peak RSS when it finished."""
    return {e["name"]: e for e in run["progress"] if e["event"] == "section"}


def running_section(run: dict[str, Any]) -> str | None:
    """The section a stopped run was in (None: it was not stopped, or in no section)."""
    if run["stopped"] is None:
        return None
    done = sections_of(run)
    started = [e["name"] for e in run["progress"] if e["event"] == "section-start"]
    return next((name for name in started if name not in done), None)


def unfinished(run: dict[str, Any]) -> str:
    """What a stopped run was doing: the section and, if any, the running query's caller."""
    running = running_section(run)
    queries = [e for e in run["progress"] if e["event"] in ("query-start", "query")]
    where = running or "(before any section)"
    if queries and queries[-1]["event"] == "query-start":
        # perf_counter is CLOCK_MONOTONIC on Linux: the same clock in parent and child.
        running_for = run["ended"] - queries[-1]["at"]
        return f"{where}, in the query of {queries[-1]['caller']} (running for {running_for:.0f} s)"
    return where


def stop_reason(run: dict[str, Any], timeout: float, rss_cap: float) -> str:
    if run["stopped"] == "timeout":
        why = f"did not finish in {timeout:.0f} s"
    elif run["stopped"] == "memory":
        why = f"stopped at {gb(run['sampled_rss'])} RSS (cap {gb(rss_cap)})"
    else:
        why = f"failed: {run['error']}"
    return f"{why}; RSS seen {gb(run['sampled_rss'])}; was in {unfinished(run)}"


def agree(ours: Any, theirs: Any) -> bool:
    """Equal, with floats equal to 1e-9 (relative) and lists compared item by item."""
    import math

    if isinstance(ours, float) or isinstance(theirs, float):
        if ours is None or theirs is None:
            return ours is theirs
        return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(ours, list) and isinstance(theirs, list):
        same_length = len(ours) == len(theirs)
        return same_length and all(agree(a, b) for a, b in zip(ours, theirs, strict=False))
    return bool(ours == theirs)


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """The headline keys both computed; raises SystemExit on a disagreement."""
    checked = []
    for key in sorted(set(ours) & set(theirs)):
        if key.startswith("info."):
            continue
        if not agree(ours[key], theirs[key]):
            a, b = json.dumps(ours[key])[:600], json.dumps(theirs[key])[:600]
            raise SystemExit(
                f"pandas and rivalscope DISAGREE on {key}:\n  ours   {a}\n  pandas {b}"
            )
        checked.append(key)
    return checked


def goal_line(label: str, value: str, goal: str, ok: bool, note: str = "") -> None:
    print(f"  {label:<29} = {value:>9}   goal {goal:<9} {verdict(ok)}{note}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def gb(size: float) -> str:
    return f"{size / 1e9:.2f} GB"


def mb(size: float) -> str:
    return f"{size / 1e6:,.0f} MB"


def build(workdir: Path, rows: int, defections: int, sites: int, timeout: float) -> Path:
    """The store for these settings: kept from an earlier run in ``workdir``, or built now."""
    db_path = workdir / f"profile_{rows}_{sites}.duckdb"
    stamp = db_path.with_suffix(".json")
    wanted = {"rows": rows, "defections": defections, "sites": sites, "seed": SEED}
    wanted["version"] = DATA_VERSION
    if db_path.exists() and stamp.exists():
        kept = json.loads(stamp.read_text())
        if kept.get("settings") == wanted:
            print(f"  store kept from an earlier run ({db_path.name}; built in ", end="")
            print(f"{kept['built']['seconds']:.1f} s there)")
            describe(kept["built"], db_path)
            return db_path
    for stale in (db_path, db_path.with_name(db_path.name + ".wal"), stamp):
        stale.unlink(missing_ok=True)
    arguments = ["--part", "build", "--db", str(db_path), "--rows", str(rows)]
    arguments += ["--defections", str(defections), "--sites", str(sites)]
    run = run_part(arguments, max(timeout, 3600), 0)
    if run["result"] is None:
        raise SystemExit(f"building the store failed:\n{run['stderr']}")
    built = run["result"]
    stamp.write_text(json.dumps({"settings": wanted, "built": built}))
    print(f"  store built in {built['seconds']:.1f} s (not timed): {db_path.name}")
    describe(built, db_path)
    return db_path


def describe(built: dict[str, Any], db_path: Path) -> None:
    rows = built["rows"]
    print(
        f"  {rows:,} SYNTHETIC events: ISKP-TALIBAN clashes {built['dyad_clashes']:,} "
        f"({built['dyad_clashes'] / rows:.1%}), ISKP or TALIBAN acting {built['by_sides']:,} "
        f"({built['by_sides'] / rows:.0%}); {built['places']:,} distinct coordinates; "
        f"{built['defections']:,} defections"
    )
    print(
        f"  database {mb(db_path.stat().st_size)}, fingerprint {built['fingerprint']} "
        f"(setseed({SEED}): a rebuild gives the same)"
    )


def slowest_queries(runs: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    queries = [e for run in runs for e in run["progress"] if e["event"] == "query"]
    return sorted(queries, key=lambda e: -e["seconds"])[:top]


def benchmark(args: argparse.Namespace, workdir: Path) -> None:
    rows, timeout, rss_cap = args.rows, args.timeout, args.rss_cap_gb * 1e9
    wall = time.perf_counter()
    print(f"rivalscope profile benchmark: {rows:,} events, {ACTOR} against {RIVAL} in {COUNTRY}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    print(
        f"  python {sys.version.split()[0]}, {cores} CPU(s) usable, {gb(memory)} RAM, "
        f"workdir {workdir}"
    )
    print(f"  load average at start: {load()} (other work on the machine skews the times)")
    print(f"  watchdog: a part is stopped after {timeout:.0f} s or at {gb(rss_cap)} RSS")
    db_path = build(workdir, rows, args.defections, args.sites, timeout)
    db = ["--db", str(db_path)]

    ours = run_part(["--part", "ours", *db], timeout, rss_cap)
    ours_sections = sections_of(ours)
    isolated: dict[str, dict[str, Any]] = {}
    if not args.no_isolate:
        for name in SECTIONS:
            if name in ours_sections:
                isolated[name] = run_part(
                    ["--part", "section", "--section", name, *db], timeout, rss_cap
                )
    pandas = run_part(["--part", "pandas", *db], timeout, rss_cap)
    pandas_sections = sections_of(pandas)

    result = ours["result"] or {}
    settings = next((e for e in ours["progress"] if e["event"] == "settings"), None)
    print()
    if settings:
        print("DuckDB settings in our store (nothing set by the benchmark): ", end="")
        print(f"memory_limit = {settings['memory_limit']}, threads = {settings['threads']}")
        print(
            f"Not counted: imports {settings['import_seconds']:.2f} s (sklearn alone is about "
            f"1 s, which a fresh `rivalscope profile` process pays on top), "
            f"rs.open {settings['open_seconds']:.2f} s"
        )
    print()
    print(f'ours    rs.profile(store, "{ACTOR}", "{RIVAL}", country="{COUNTRY}"), one process')
    print("        section       seconds  peak RSS so far  |  alone: seconds  peak RSS")
    if result:
        print(f"        {'(frame)':<12} {result['frame_seconds']:8.2f}")
    for name in SECTIONS:
        line = f"        {name:<12} "
        if name in ours_sections:
            done = ours_sections[name]
            line += f"{done['seconds']:8.2f}  {mb(done['peak_rss_bytes']):>15}  |  "
            alone = isolated.get(name)
            if alone is None:
                line += "(not run)"
            elif alone["result"] is not None:
                alone_rss = mb(alone["result"]["peak_rss_bytes"])
                line += f"{alone['result']['seconds']:14.2f}  {alone_rss:>8}"
            else:
                line += stop_reason(alone, timeout, rss_cap)
        elif running_section(ours) == name:
            line += f"STOPPED: {stop_reason(ours, timeout, rss_cap)}"
        else:
            line += "not reached"
        print(line)
    ours_total: float | None = result.get("seconds")
    ours_rss: float | None = result.get("peak_rss_bytes")
    if ours_total is not None and ours_rss is not None:
        print(f"        total {ours_total:.2f} s, peak RSS {gb(ours_rss)}")
    else:
        where = running_section(ours) or "?"
        print(f"        total: not measured (the profile was stopped in {where}, see above)")
    print("        slowest queries (seconds, rows returned, rise of peak RSS):")
    for q in slowest_queries([ours], 5):
        print(
            f"          {q['caller']:<34} {q['seconds']:8.2f} s {q['rows']:>12,} rows "
            f"+{mb(q['peak_rise_bytes'])}"
        )

    print()
    print("pandas  the same sections' main tables in pandas / numpy / sklearn, one process")
    loaded = next((e for e in pandas["progress"] if e["event"] == "load"), None)
    if loaded:
        print(
            f"        load ({rows:,} events via DuckDB .df(), defections, provinces, actors): "
            f"{loaded['seconds']:.2f} s, {mb(loaded['bytes'])} in pandas (NOT in the ratio)"
        )
    framed = next((e for e in pandas["progress"] if e["event"] == "frame"), None)
    if framed:
        print(f"        {'(frame)':<12} {framed['seconds']:8.2f}")
    for name in SECTIONS:
        line = f"        {name:<12} "
        if name in pandas_sections:
            line += f"{pandas_sections[name]['seconds']:8.2f}"
            if name in ours_sections:
                ratio = pandas_sections[name]["seconds"] / ours_sections[name]["seconds"]
                line += f"   pandas / ours {ratio:6.2f}"
            else:
                line += "   (ours did not finish it)"
        elif running_section(pandas) == name:
            line += f"STOPPED: {stop_reason(pandas, timeout, rss_cap)}"
        else:
            line += "not reached"
        print(line)
    pandas_result = pandas["result"] or {}
    pandas_total = pandas_result.get("seconds")
    if pandas_total is not None:
        print(
            f"        compute total {pandas_total:.2f} s; with loading "
            f"{pandas_total + pandas_result['load_seconds']:.2f} s; peak RSS "
            f"{gb(pandas_result['peak_rss_bytes'])}"
        )
    else:
        where = running_section(pandas) or "?"
        print(f"        compute total: not measured (stopped in {where}, see above)")

    ours_headline_all: dict[str, Any] = {}
    pandas_headline_all: dict[str, Any] = {}
    for name in SECTIONS:
        if name in ours_sections and name in pandas_sections:
            ours_headline_all.update(ours_sections[name]["headline"])
            pandas_headline_all.update(pandas_sections[name]["headline"])
    checked = compare(ours_headline_all, pandas_headline_all)
    for required in (
        "spread.provinces",
        "spread.provinces_clashed",
        "timeline.yearly",
        "defections.flows",
    ):
        assert required in checked, f"{required} was not compared"
    print()
    print(f"pandas and rivalscope agree on: {', '.join(checked)}")
    both = [n for n in SECTIONS if n in ours_sections and n in pandas_sections]
    missing = [n for n in SECTIONS if n not in both]
    if missing:
        print(f"  (not compared: {', '.join(missing)}: not finished by both)")

    print()
    print("Results")
    unfinished_by = [
        side for side, total in (("ours", ours_total), ("pandas", pandas_total)) if total is None
    ]
    if ours_total is not None and pandas_total is not None:
        ratio = pandas_total / ours_total
        goal_line(
            "pandas / ours (compute only)",
            f"{ratio:.2f}",
            f">= {GOAL_RATIO:.0f}",
            ratio >= GOAL_RATIO,
        )
    else:
        goal_line(
            "pandas / ours (compute only)",
            "n/a",
            f">= {GOAL_RATIO:.0f}",
            False,
            f" (not finished by {' and '.join(unfinished_by)})",
        )
    if both and missing:
        ours_part = sum(ours_sections[n]["seconds"] for n in both)
        pandas_part = sum(pandas_sections[n]["seconds"] for n in both)
        print(
            f"    on the {len(both)} sections both finished: pandas {pandas_part:.2f} s / "
            f"ours {ours_part:.2f} s = {pandas_part / ours_part:.2f}"
        )
    if ours_total is not None:
        goal_line(
            "ours total",
            f"{ours_total:.2f} s",
            f"< {GOAL_SECONDS:.0f} s",
            ours_total < GOAL_SECONDS,
        )
    else:
        goal_line(
            "ours total", "n/a", f"< {GOAL_SECONDS:.0f} s", False, f" (over {ours['wall']:.0f} s)"
        )
    if ours_rss is not None:
        goal_line(
            "peak RSS of ours", gb(ours_rss), f"< {gb(GOAL_RSS_BYTES)}", ours_rss < GOAL_RSS_BYTES
        )
    else:
        seen = ours["sampled_rss"]
        goal_line(
            "peak RSS of ours",
            gb(seen),
            f"< {gb(GOAL_RSS_BYTES)}",
            False,
            " (seen when it was stopped: at least that; unfinished counts as a miss)",
        )
    print(f"  whole benchmark: {time.perf_counter() - wall:.0f} s; load average at end: {load()}")


def main(argv: list[str] | None = None) -> int:
    # Run as a script, this file's folder leads sys.path, and its name hides the standard
    # library's `profile` module from everything imported after it: take the folder out.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="events to generate")
    parser.add_argument(
        "--workdir", type=Path, help="keep the store here and reuse it (default: a temp dir)"
    )
    parser.add_argument("--defections", type=int, default=3000, help="defection rows")
    parser.add_argument(
        "--sites", type=int, default=100, help="geocoded places per province (0: none, jitter)"
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds a part may run")
    parser.add_argument(
        "--rss-cap-gb",
        type=float,
        help="RSS at which a part is stopped (default: 12, or 3/4 of the RAM if less)",
    )
    parser.add_argument(
        "--no-isolate", action="store_true", help="skip the runs of each section alone"
    )
    parser.add_argument(
        "--part", choices=("build", "ours", "section", "pandas"), help=argparse.SUPPRESS
    )
    parser.add_argument("--section", choices=SECTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_cap_gb is None:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        args.rss_cap_gb = min(12.0, 0.75 * memory / 1e9)

    if args.part is not None:
        if args.part == "build":
            part_build(args.db, args.rows, args.defections, args.sites)
        elif args.part == "ours":
            part_ours(args.db)
        elif args.part == "section":
            part_section(args.db, args.section)
        else:
            part_pandas(args.db)
        return 0

    if args.rows < 1 or args.defections < 1 or args.sites < 0:
        parser.error("--rows and --defections must be at least 1, --sites at least 0")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        benchmark(args, args.workdir)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="rivalscope-bench-"))
        try:
            benchmark(args, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
