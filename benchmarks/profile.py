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
the Taliban are actor1 in about 56% of the events; their clashes are about 4% of them and reach
18 provinces one after another (the other 16 are the never-treated provinces of ``harm``). Each
located event lies on one of ``--sites`` (default 100) geocoded places per province, around the
province's centre, as real sources geocode to named places (``--sites 0``: every event its own
jittered point); ``geo_precision`` is 1, 2 or 3 at random, so a third of the points are coarse.
About 40% of the events are ``ucdp``, the rest ``acled``, with each source's own event types,
and ``initiator`` is filled by the role model's rule (``roles.initiator_sql``, as ingestion
and the store's migration apply it): UCDP one-sided violence and ACLED's violence against
civilians and remote violence name actor1 as the side that acted, as does every influence
activity (propaganda, proselytization, extortion, governance, recruitment: about 3% of the
events, all ``acled``, by the Taliban and ISKP); UCDP's state-based and non-state conflict and
ACLED's battles and other strategic developments name no one. So every attack has an initiator,
a state operation has one only from ACLED, and no clash has one.

Each measured part runs in its own child process, so each peak RSS (``ru_maxrss``) is that
part's own, under a watchdog that stops it after ``--timeout`` seconds or at ``--rss-cap-gb``;
a stopped part is reported with the section (and query) it was in, and what it finished before.
Imports (sklearn alone takes about 1 s) come before the clock starts, in every part.

* ``ours``: ``rs.profile(store, "ISKP", "TALIBAN", country="AFG")`` on the store opened
  read-only (opening is not counted). Each section's ``compute`` is wrapped to time it inside
  that one call; every Ibis query the sections run is logged (seconds, rows returned, rise of
  the peak RSS) to name the slow ones.
* ``section`` (diagnosis; one child per section that finished in ``ours``): ``Dyad.of`` then
  that one module's ``compute(dyad)`` on one BLAS thread (as ``rs.profile`` runs them), for its
  own seconds and peak RSS; a section that reads the working set (``Dyad.sides``) builds it
  here, where in ``ours`` the first one to read it (``timeline``) pays for every section.
* ``pandas``: each section's main tables in straightforward pandas / numpy on DataFrames loaded
  with DuckDB's ``.df()`` (the columns the sections read, the actor registry's kinds and home
  countries, and the ``Government of Afghanistan`` aliases with their dates). Loading is timed
  apart: the ratio's pandas side is the COMPUTATION ONLY (the total with loading is printed
  too). The peers never call the library's section code; they follow the sections' documented
  definitions:

  - the working set (``Dyad.sides``) is built once, by the first section that reads it (as
    ours is, inside ``timeline``): each event of either side once per side it involves, its
    ``relation`` to the side (rival; state: the government of the day, the Republic before
    2021-08-15 and the Taliban from that day; foreign; group; civilians; unknown) and ``acted``
    from ``initiator``;
  - ``timeline``: monthly clashes and their deaths, attacks each side carried out, each side's
    clashes with the state, state operations the side did not carry out; yearly from the first
    to the last clash year; ``targets``: the table by side, phase and relation with counts by
    type and by who acted, and the ``attacks`` table by target type;
  - ``influence``: the influence activities (propaganda, ..., recruitment) the sources name
    each side as carrying out, by phase; per side and province its influence and its violence
    (its clashes, the attacks it carried out) with their first days; and the time-ordered test
    (the Poisson-binomial tail and the Clopper-Pearson interval, written again here);
  - ``phases``: the monthly counts per measure in pandas, then per boundary the SAME
    statsmodels calls as the section documents (a Poisson GLM; a negative binomial NB2 where its
    Pearson dispersion exceeds 1.2) and Holm's correction: for this section the ratio measures
    the monthly series and the fits, which are the same code on both sides;
  - ``hotspots``: exact DBSCAN (the same sklearn call) on the distinct precise points (and those
    whose UCDP/ACLED source states no precision; coarse ones left out and counted), weighted by
    the attacks there;
  - ``defections``: flows, and the exposure-adjusted, time-ordered claim (active province-
    months, each province split at its first defection between the two, against the provinces
    without one); the randomisation p-value (``n_perm`` 10,000 draws with numpy's generator) is
    computed and shown but not compared, its draws not being ours;
  - ``network``: allies (named on the same side of an event, never one that fought the side)
    and nearby actors (a side's events, as actor1 or actor2, with another actor's event within 3
    days and 25 km, fights left out). Co-location cannot be a merge on a 7-day window at this
    size (quadratic): it buckets events by day and by a grid cell as wide as the distance,
    merges each side's events with the others' in the 7 days x 3 x 3 neighbouring buckets, ten
    days at a time, checks the great-circle distance and counts each event of a side once per
    other actor near it. Ours works per distinct point with rows of day bits instead (see
    ``analysis/network.py``): for this section the ratio measures that algorithm against the
    straightforward one, not only DuckDB against pandas, and the section's own ratio is
    printed.
  - ``harm``: the Callaway & Sant'Anna event study as ``analysis/harm.py`` documents it (as
    committed on 2026-12-08, a8301bb, and unchanged at 01:45 UTC): a province x month panel of known
    civilian deaths by perpetrator (the side the source names as acting; events with an unknown
    count left out and counted), treated from the month of the first clash between the two,
    never-treated provinces as controls, the universal base month g - 1; ATT(g,t), the
    event-time effects -12..12 (cohort-size weighted), the overall ATT over 0..12, the 12-month
    placebo, leave-one-out (the capital first) and the four perpetrator outcomes are compared.
    The province-cluster bootstrap (1,000 resamples per outcome, numpy's generator) is run for
    the intervals, which are shown, not compared; the pre-trend (sup-t) test is not redone.

The headline numbers (spread provinces, their clashes and deaths; monthly and yearly timeline;
flows and the claim's counts and ratios; and the other sections' tables, floats to 1e-9) must
agree between the two, or the benchmark stops with an error. Goals (from the issue): pandas /
ours >= 10, ours < 2 s (on 2 cores), peak RSS of ours
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
SECTIONS = (
    "timeline",
    "spread",
    "targets",
    "influence",
    "phases",
    "harm",
    "defections",
    "hotspots",
    "network",
)
GOAL_RATIO = 10.0
GOAL_SECONDS = 2.0
GOAL_RSS_BYTES = 4e9
SEED = 0.42
DATA_VERSION = 3
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
    ("other", 2.5, "TALIBAN", None, "unknown", "all"),
    ("governance", 1.0, "TALIBAN", "CIVILIANS", "civilians", "all"),
    ("extortion", 0.5, "TALIBAN", "CIVILIANS", "civilians", "all"),
    ("propaganda", 1.0, "TALIBAN", None, "unknown", "all"),
    ("other", 0.4, "ISKP", None, "unknown", "east"),
    ("propaganda", 0.3, "ISKP", None, "unknown", "east"),
    ("recruitment", 0.2, "ISKP", None, "unknown", "east"),
    ("proselytization", 0.1, "ISKP", "CIVILIANS", "civilians", "east"),
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
    ("other", 5.0, "TALIBAN", None, "unknown", "all"),
    ("governance", 3.0, "TALIBAN", "CIVILIANS", "civilians", "all"),
    ("extortion", 1.0, "TALIBAN", "CIVILIANS", "civilians", "all"),
    ("propaganda", 1.0, "TALIBAN", None, "unknown", "all"),
    ("other", 0.8, "ISKP", None, "unknown", "east"),
    ("propaganda", 0.6, "ISKP", None, "unknown", "east"),
    ("recruitment", 0.4, "ISKP", None, "unknown", "east"),
    ("proselytization", 0.2, "ISKP", "CIVILIANS", "civilians", "east"),
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
    from rivalscope.roles import initiator_sql
    from rivalscope.schema import INFLUENCE_TYPES

    # The role model's rule, as ingestion and the store's migration apply it: UCDP one-sided
    # violence and ACLED's violence against civilians and remote violence name actor1 as the
    # side that acted, as does any influence activity (in every source; ours are all ACLED's);
    # UCDP's state-based and non-state conflict and ACLED's battles name none.
    initiator = initiator_sql("x.source", "x.source_event_type", "x.event_type")
    influence = ", ".join(f"'{kind}'" for kind in INFLUENCE_TYPES)
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
x0 AS (
  SELECT k.*,
         CASE WHEN k.u_missing < 0.01 THEN NULL
              WHEN k.front AND k.day < CAST(p.front AS DATE) THEN 'AF-NAN'
              ELSE p.code END AS code,
         CAST(floor(k.u_site * k.u_site * {max(sites, 1)}) AS INTEGER) AS site,
         CASE WHEN k.event_type IN ({influence}) THEN 'acled'
              WHEN k.u_source < 0.4 THEN 'ucdp' ELSE 'acled' END AS source,
         CASE WHEN k.u_missing BETWEEN 0.01 AND 0.015 THEN NULL
              ELSE CAST(floor(-ln(1 - k.u_dead) * CASE k.event_type
                   WHEN 'clash' THEN 3.0 WHEN 'attack' THEN 2.5
                   WHEN 'state_operation' THEN 2.0 ELSE 0.3 END) AS INTEGER) END AS best
  FROM kinds k
  JOIN bench_place_slots s ON s.geography = k.geography AND s.slot = k.place_slot
  JOIN bench_provinces p ON p.code = s.code
),
x AS (
  SELECT x0.*,
         CASE WHEN x0.source = 'ucdp' THEN CASE x0.event_type
                WHEN 'attack' THEN 'one-sided'
                WHEN 'clash' THEN CASE WHEN x0.actor1 IN ('AFG_REPUBLIC', 'US', 'NATO', 'PAK')
                                         OR x0.actor2 IN ('AFG_REPUBLIC', 'US', 'NATO', 'PAK')
                                       THEN 'state-based' ELSE 'non-state' END
                ELSE 'state-based' END
              ELSE CASE x0.event_type
                WHEN 'clash' THEN 'Battles'
                WHEN 'attack' THEN 'Violence against civilians'
                WHEN 'state_operation' THEN 'Explosions/Remote violence'
                ELSE 'Strategic developments' END
         END AS source_event_type
  FROM x0
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
  x.source_event_type,
  {initiator} AS initiator,
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
                                fatalities_best)),
                   count(*) FILTER (initiator IS NOT NULL)
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
            "with_initiator": stats[6],
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
    import math

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
        table_columns = ["side", "phase", "relation", "events", "share", "clashes", "attacks"]
        table_columns += ["state_operations", "other", "acted_side", "acted_other"]
        table_columns += ["acted_unknown"]
        return {
            "targets.table": _rows(result.table, table_columns),
            "targets.attacks": _rows(
                result.attacks, ["side", "phase", "target_type", "events", "share"]
            ),
        }
    if name == "influence":
        return {
            "influence.counts": _rows(result.counts, ["side", "phase", "event_type", "events"]),
            "influence.provinces": _rows(
                result.provinces,
                [
                    "side",
                    "admin1_code",
                    "influence",
                    "violence",
                    "first_influence",
                    "first_violence",
                    "influence_first",
                    "expected",
                ],
            ),
            "influence.precedence": [
                [
                    t.side,
                    t.provinces,
                    t.influence_first,
                    t.expected,
                    t.share,
                    t.ci_low,
                    t.ci_high,
                    t.p_value,
                ]
                for t in result.precedence
            ],
        }
    if name == "phases":
        return {
            "phases.periods": _rows(
                result.periods,
                ["phase", "months", *PHASE_MEASURES, "provinces"],
            ),
            "phases.boundaries": _rows(
                result.boundaries, ["boundary", "measure", *PHASE_BOUNDARY_COLUMNS]
            ),
        }
    if name == "harm":
        design, unknown = result.design, result.unknown_civilian_deaths
        outcomes = [r for r in result.outcomes.to_pylist() if r["outcome"] in HARM_OUTCOMES]
        return {
            "harm.att": [result.att["estimate"], result.treated, result.controls],
            "harm.event_time": _rows(result.event_time, ["e", "att", "n_cohorts", "n_treated"]),
            "harm.att_gt": _rows(result.att_gt, ["g", "t", "e", "att", "n_treated", "n_controls"]),
            "harm.placebo": [result.placebo["att"], result.placebo["cohorts"]],
            "harm.leave_one_out": _rows(
                result.leave_one_out, ["dropped", "role", "capital", "share", "att"]
            ),
            "harm.outcomes": [
                [r["outcome"], r["att"], r["placebo_att"], r["treated"], r["controls"]]
                for r in outcomes
            ],
            "harm.design": [
                _plain(design["first_month"]),
                _plain(design["last_month"]),
                list(design["excluded"]),
            ],
            "harm.unknown_civilian_deaths": [
                unknown["events"],
                unknown["deaths_best"],
                [
                    unknown["by_perpetrator"][k]
                    for k in ("actor", "rival", "others", "unattributed")
                ],
            ],
            "info.harm.ci": [result.att["ci_low"], result.att["ci_high"]],
        }
    if name == "defections":
        claim = result.claim

        def number(value: float) -> float | None:
            return None if math.isnan(value) else value

        return {
            "defections.flows": _rows(
                result.flows, ["from_actor", "to_actor", "records", "fighters"]
            ),
            "defections.claim": [
                claim.provinces_with,
                claim.provinces_compared,
                claim.provinces_without,
                claim.clashes_before,
                claim.clashes_after,
                claim.months_before,
                claim.months_after,
            ],
            "defections.claim_ratios": [
                number(claim.rate_ratio) if claim.testable else None,
                number(claim.within_ratio) if claim.testable else None,
                number(claim.control_ratio) if claim.testable else None,
            ],
            "defections.claim_provinces": _rows(
                result.claim_provinces,
                [
                    "admin1_code",
                    "first_defection",
                    "active_months_before",
                    "clashes_before",
                    "active_months_after",
                    "clashes_after",
                    "compared",
                ],
            ),
            "info.defections.p_value": number(claim.p_value),
        }
    if name == "hotspots":
        return {
            "hotspots.clusters": _rows(
                result.clusters,
                [
                    "side",
                    "cluster",
                    "events",
                    "deaths",
                    "first",
                    "last",
                    "admin1_code",
                    "points",
                    "latitude",
                    "longitude",
                    "radius_km",
                ],
            ),
            "hotspots.noise": _rows(result.noise, ["side", "events"]),
            "hotspots.used": _rows(result.used, ["side", "events", "unstated", "coarse"]),
            "hotspots.left_out": _rows(result.left_out, ["side", "reason", "events"]),
        }
    if name == "network":
        edges = _rows(result.edges, ["kind", "source", "target", "weight"])
        return {
            "network.ally": sorted(e[1:] for e in edges if e[0] == "ally"),
            "network.nearby": sorted(e[1:] for e in edges if e[0] == "nearby"),
            "network.allies": _rows(result.allies, ["side", "ally", "events", "rank"]),
            "network.nearby_table": _rows(
                result.nearby, ["side", "neighbour", "near", "fought", "fights", "rank"]
            ),
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
    assert getattr(result, "synthetic", True), "the profile does not say its data is synthetic"
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
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # as rs.profile runs its sections
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
SELECT source, date_start, event_type, actor1, actor2, initiator,
       CASE WHEN len(assoc_actors) > 0 THEN assoc_actors END AS assoc_actors,
       CASE WHEN len(assoc_actors2) > 0 THEN assoc_actors2 END AS assoc_actors2,
       target_type, country_iso3, admin1_code, latitude, longitude,
       CAST(geo_precision AS DOUBLE) AS geo_precision, fatalities_best, civilian_deaths
FROM events
"""
"""The columns the sections read (empty ally lists come as NULL: the same to every section)."""

N_BOOT = 1000
N_PERM = 10_000
EPS_KM, MIN_EVENTS = 10.0, 5
DAYS_APART, KM_APART = 3, 25.0
TOP = 10
CHUNK_DAYS = 10
"""The pandas co-location merges the sides' events with the others' ten days at a time."""
RELATION_ORDER = ("rival", "state", "foreign", "group", "civilians", "unknown")
UNKNOWN_IDS = ("UNIDENTIFIED",)
"""Counterparts that name no one (``unknown``), as the role model says."""
MONTHLY = (
    "clashes",
    "clash_deaths",
    "attacks_by_actor",
    "attacks_by_rival",
    "state_fights_actor",
    "state_fights_rival",
    "state_ops_on_actor",
    "state_ops_on_rival",
)
PHASE_MEASURES = ("clashes", "clash_deaths", "attacks_by_actor", "attacks_by_rival")
POISSON_DISPERSION = 1.2
"""At or below this Pearson dispersion of the Poisson fit, ``phases`` keeps the Poisson model."""


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc), so that the
    watchdog's RSS is the frames' own, not the high-water mark of building them."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class PandasData:
    """The frames the pandas sections read, loaded once; the working set built once, by the
    first section that reads it (as ``Dyad.sides`` is), and counted in that section's time."""

    def __init__(
        self,
        events: Any,
        defections: Any,
        provinces: list[str],
        excluded: list[str],
        actors: Any,
        governments: list[tuple[str, Any, Any]],
    ):
        self.events = events
        self.defections = defections
        self.provinces = provinces
        self.excluded = excluded
        self.actors = actors
        self.governments = governments
        self._sides: Any = None

    def drop_sides(self) -> None:
        self._sides = None

    @property
    def sides(self) -> Any:
        if self._sides is None:
            self._sides = _working_set(self)
        return self._sides


def _working_set(data: PandasData) -> Any:
    """Each event of either side, once per side it involves (an event between them twice):
    ``side``, ``counterpart``, ``relation`` (to the side), ``acted`` (``side``, ``other`` or
    None, from ``initiator``) and the event's columns."""
    import numpy as np
    import pandas as pd

    e = data.events
    pair = [ACTOR, RIVAL]
    halves = []
    for mine, theirs in (("actor1", "actor2"), ("actor2", "actor1")):
        own = e[e[mine].isin(pair)]
        acted = pd.Series(None, index=own.index, dtype=object)
        acted[own.initiator == mine] = "side"
        acted[own.initiator == theirs] = "other"
        halves.append(
            pd.DataFrame(
                {
                    "eid": own.index,
                    "source": own.source,
                    "side": own[mine],
                    "counterpart": own[theirs],
                    "acted": acted,
                    "event_type": own.event_type,
                    "target_type": own.target_type,
                    "date_start": own.date_start,
                    "country_iso3": own.country_iso3,
                    "admin1_code": own.admin1_code,
                    "fatalities_best": own.fatalities_best,
                }
            )
        )
    s = pd.concat(halves, ignore_index=True)
    actors = data.actors.set_index("actor_id")
    kind = s.counterpart.map(actors.kind)
    home = s.counterpart.map(actors.country_iso3)
    is_state = pd.Series(False, index=s.index)
    for actor_id, start, end in data.governments:
        here = (s.country_iso3 == COUNTRY) & (s.counterpart == actor_id)
        if start is not None:
            here &= s.date_start >= pd.Timestamp(start)
        if end is not None:
            here &= s.date_start < pd.Timestamp(end)
        is_state |= here
    rival = np.where(s.side == ACTOR, RIVAL, ACTOR)
    nobody = s.counterpart.isna()
    unknown = nobody | s.counterpart.isin(UNKNOWN_IDS) | (kind == "ambiguous")
    civilians = (kind == "civilians") | (nobody & (s.target_type == "civilians"))
    foreign = ((kind == "state") & home.notna() & (home != s.country_iso3)) | (
        kind == "international"
    )
    s["relation"] = pd.Categorical(
        np.select(
            [
                (s.counterpart == rival).to_numpy(),
                is_state.to_numpy(),
                civilians.to_numpy(),
                unknown.to_numpy(),
                foreign.to_numpy(),
            ],
            ["rival", "state", "civilians", "unknown", "foreign"],
            default="group",
        ),
        categories=list(RELATION_ORDER),
    )
    s["state"] = is_state.to_numpy()
    return s


def _month_numbers(dates: Any) -> Any:
    return dates.dt.year * 12 + dates.dt.month - 1


def _month_iso(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}-01"


def _phase_of(dates: Any, phases: Any) -> Any:
    """The phase of each date, as a categorical (NaN outside every phase)."""
    import numpy as np
    import pandas as pd

    codes = np.full(len(dates), -1, np.int8)
    for number, p in enumerate(phases):
        inside = dates >= pd.Timestamp(p.start)
        if p.end is not None:
            inside &= dates < pd.Timestamp(p.end)
        codes[inside.to_numpy()] = number
    names = [p.name for p in phases]
    return pd.Series(pd.Categorical.from_codes(codes, categories=names), index=dates.index)


def _dyad_masks(e: Any) -> tuple[Any, Any]:
    """(events between the two, clashes between the two) as boolean Series."""
    between = ((e.actor1 == ACTOR) & (e.actor2 == RIVAL)) | (
        (e.actor1 == RIVAL) & (e.actor2 == ACTOR)
    )
    return between, between & (e.event_type == "clash")


def pd_timeline(data: PandasData) -> dict[str, Any]:
    import pandas as pd

    s = data.sides
    e = data.events
    mine = s.side == ACTOR
    clash, attack = s.event_type == "clash", s.event_type == "attack"
    state_op = s.event_type == "state_operation"
    clash_rival = clash & (s.relation == "rival") & mine
    by_side, fights = attack & (s.acted == "side"), clash & s.state
    # aimed at the side: the other named as acting, or no one named and the other is a state
    ops_on = state_op & (
        (s.acted == "other") | (s.acted.isna() & (s.state | (s.relation == "foreign")))
    )
    flags = pd.DataFrame(
        {
            "clashes": clash_rival,
            "attacks_by_actor": by_side & mine,
            "attacks_by_rival": by_side & ~mine,
            "state_fights_actor": fights & mine,
            "state_fights_rival": fights & ~mine,
            "state_ops_on_actor": ops_on & mine,
            "state_ops_on_rival": ops_on & ~mine,
        }
    )
    relevant = flags.any(axis=1)
    counted = flags[relevant].astype("int64")
    counted["clash_deaths"] = (
        s.fatalities_best.fillna(0).where(clash_rival, 0)[relevant].astype("int64")
    )
    monthly = counted.groupby(_month_numbers(s.date_start[relevant])).sum()
    monthly_rows: list[list[Any]] = []
    yearly_rows: list[list[Any]] = []
    if len(monthly):
        monthly = monthly.reindex(range(monthly.index.min(), monthly.index.max() + 1), fill_value=0)
        monthly_rows = [
            [_month_iso(int(m)), *(int(row[c]) for c in MONTHLY)] for m, row in monthly.iterrows()
        ]
        yearly = monthly.groupby(monthly.index // 12)[["clashes", "clash_deaths"]].sum()
        clashed = yearly.index[yearly.clashes > 0]
        if len(clashed):
            yearly = yearly.reindex(range(clashed.min(), clashed.max() + 1), fill_value=0)
            yearly_rows = [
                [int(y), int(row.clashes), int(row.clash_deaths)] for y, row in yearly.iterrows()
            ]
    sides = pd.DataFrame({side: (e.actor1 == side) | (e.actor2 == side) for side in (ACTOR, RIVAL)})
    involved = sides.any(axis=1)
    by_source = sides[involved].groupby(e.source[involved]).sum()
    return {
        "timeline.monthly": monthly_rows,
        "timeline.yearly": yearly_rows,
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
    by_phase = c.groupby(_phase_of(c.date_start, phases), observed=False).agg(
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
    import pandas as pd

    from rivalscope.analysis.context import default_phases

    s = data.sides
    phases = default_phases(COUNTRY)
    kinds = {"clash": "clashes", "attack": "attacks", "state_operation": "state_operations"}
    frame = pd.DataFrame(
        {
            "side": s.side,
            "phase": _phase_of(s.date_start, phases),
            "relation": s.relation.astype(str),
            "kind": s.event_type.map(kinds).fillna("other"),
            "acted": "acted_" + s.acted.fillna("unknown"),
        }
    )
    keys = ["side", "phase", "relation", "kind", "acted"]
    counts = frame.groupby(keys, observed=True, dropna=False).size().rename("n").reset_index()
    whole = counts.groupby(["side", "relation", "kind", "acted"]).n.sum().reset_index()
    every = pd.concat(
        [whole.assign(phase="all"), counts[counts.phase.notna()].astype({"phase": str})]
    )
    columns = ["clashes", "attacks", "state_operations", "other"]
    columns += ["acted_side", "acted_other", "acted_unknown"]
    by_kind = every.pivot_table(
        index=["side", "phase", "relation"], columns="kind", values="n", aggfunc="sum"
    )
    by_acted = every.pivot_table(
        index=["side", "phase", "relation"], columns="acted", values="n", aggfunc="sum"
    )
    cells = by_kind.join(by_acted).reindex(columns=columns).fillna(0).astype("int64")
    cells["events"] = cells[columns[:4]].sum(axis=1)
    table = []
    for side in (ACTOR, RIVAL):
        for phase in ["all", *(p.name for p in phases)]:
            if (side, phase) not in cells.index.droplevel(2):
                continue
            mine = cells.loc[(side, phase)]
            total = int(mine.events.sum())
            for relation in RELATION_ORDER:
                if relation in mine.index:
                    row = mine.loc[relation]
                    table.append(
                        [side, phase, relation, int(row.events), int(row.events) / total]
                        + [int(row[c]) for c in columns]
                    )

    done = s[(s.acted == "side") & s.event_type.isin(["attack", "state_operation"])]
    hit = pd.DataFrame(
        {
            "side": done.side,
            "phase": _phase_of(done.date_start, phases),
            "target": done.target_type.fillna("unknown"),
        }
    )
    grouped = hit.groupby(["side", "phase", "target"], observed=True, dropna=False).size()
    struck: dict[tuple[str, str], dict[str, int]] = {}
    for (side, phase, target), n in grouped.items():
        for name in ("all", phase):
            if isinstance(name, str):
                cell = struck.setdefault((side, name), {})
                cell[target] = cell.get(target, 0) + int(n)
    attacks = []
    for side in (ACTOR, RIVAL):
        for phase in ["all", *(p.name for p in phases)]:
            found = struck.get((side, phase), {})
            total = sum(found.values())
            ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
            attacks += [[side, phase, t, n, n / total] for t, n in ranked]
    return {"targets.table": table, "targets.attacks": attacks}


def pd_influence(data: PandasData) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    from scipy.stats import beta

    from rivalscope.analysis.context import default_phases
    from rivalscope.schema import INFLUENCE_TYPES

    s = data.sides
    phases = default_phases(COUNTRY)
    influence = s.event_type.isin(list(INFLUENCE_TYPES)) & (s.acted == "side")
    violence = (s.event_type == "clash") | ((s.event_type == "attack") & (s.acted == "side"))
    done = s[influence]
    per_phase = done.groupby(
        [done.side, _phase_of(done.date_start, phases), done.event_type],
        observed=True,
        dropna=False,
    ).size()
    counted: dict[tuple[str, str, str], int] = {}
    for (side, phase, kind), n in per_phase.items():
        for name in ("all", phase):
            if isinstance(name, str):
                counted[(side, name, kind)] = counted.get((side, name, kind), 0) + int(n)
    counts = [
        [side, phase, kind, counted[(side, phase, kind)]]
        for side in (ACTOR, RIVAL)
        for phase in ["all", *(p.name for p in phases)]
        for kind in INFLUENCE_TYPES
        if (side, phase, kind) in counted
    ]
    located = s[(influence | violence) & s.admin1_code.notna()]
    what = np.where(influence[located.index], "influence", "violence")
    per = located.groupby([located.side, located.admin1_code, what]).date_start.agg(["size", "min"])
    per = per.unstack()

    def cell(row: Any, column: str, kind: str) -> Any:
        value = row.get((column, kind))
        return None if value is None or pd.isna(value) else value

    provinces = []
    for (side, code), row in per.iterrows():
        n_in, n_vi = (int(cell(row, "size", kind) or 0) for kind in ("influence", "violence"))
        f_in, f_vi = (cell(row, "min", kind) for kind in ("influence", "violence"))
        both = n_in > 0 and n_vi > 0
        order = bool(f_in < f_vi) if both and f_in != f_vi else None
        expected = n_in / (n_in + n_vi) if both else None
        provinces.append(
            [side, code, n_in, n_vi, _plain(f_in) if f_in is not None else None,
             _plain(f_vi) if f_vi is not None else None, order, expected]
        )  # fmt: skip
    precedence = []
    for side in (ACTOR, RIVAL):
        mine = [r for r in provinces if r[0] == side and r[6] is not None]
        n, first = len(mine), sum(1 for r in mine if r[6])
        if not n:
            precedence.append([side, 0, 0, 0.0, None, None, None, None])
            continue
        chances = [r[7] for r in mine]
        tail = np.zeros(n + 1)  # the Poisson-binomial distribution of the count
        tail[0] = 1.0
        for p in chances:
            tail[1:] = tail[1:] * (1 - p) + tail[:-1] * p
            tail[0] *= 1 - p
        low = 0.0 if first == 0 else float(beta.ppf(0.025, first, n - first + 1))
        high = 1.0 if first == n else float(beta.ppf(0.975, first + 1, n - first))
        precedence.append(
            [side, n, first, float(sum(chances)), first / n, low, high,
             float(min(1.0, tail[first:].sum()))]
        )  # fmt: skip
    return {
        "influence.counts": counts,
        "influence.provinces": provinces,
        "influence.precedence": precedence,
    }


def _fit_change(before: list[int], after: list[int]) -> dict[str, Any]:
    """A boundary's rate ratio as ``phases`` documents it, written here again: a Poisson GLM of
    the monthly count on an indicator of the later phase; a negative binomial (NB2, statsmodels'
    ``NegativeBinomial``) instead when the Poisson fit's Pearson dispersion exceeds 1.2."""
    import math
    import warnings

    import numpy as np
    import statsmodels.api as sm
    from scipy.stats import norm

    found: dict[str, Any] = {
        "rate_before": float(np.mean(before)) if before else 0.0,
        "rate_after": float(np.mean(after)) if after else 0.0,
        "rate_ratio": None,
        "ci_low": None,
        "ci_high": None,
        "dispersion": None,
        "alpha": None,
        "model": "none",
        "p_value": None,
    }
    if not before or not after or sum(before) == 0 or sum(after) == 0:
        return found
    y = np.asarray([*before, *after], float)
    x = sm.add_constant(np.r_[np.zeros(len(before)), np.ones(len(after))], has_constant="add")
    poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    dispersion = float(poisson.pearson_chi2 / poisson.df_resid) if poisson.df_resid else 1.0
    fitted: Any = poisson
    model, alpha = "poisson", None
    if dispersion > POISSON_DISPERSION:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0, maxiter=500)
        model, alpha = "negative binomial", float(fitted.params[-1])
    beta, se = float(fitted.params[1]), float(fitted.bse[1])
    z = float(norm.ppf(0.975))
    found.update(
        rate_ratio=math.exp(beta),
        ci_low=math.exp(beta - z * se),
        ci_high=math.exp(beta + z * se),
        dispersion=dispersion,
        alpha=alpha,
        model=model,
        p_value=float(fitted.pvalues[1]),
    )
    return found


def pd_phases(data: PandasData) -> dict[str, Any]:
    import datetime as dt

    import pandas as pd

    from rivalscope.analysis.context import default_phases

    e, s = data.events, data.sides
    phases = default_phases(COUNTRY)
    first, last = e.date_start.min().date(), e.date_start.max().date()
    mine = s.side == ACTOR
    clash = (s.event_type == "clash") & (s.relation == "rival") & mine
    attack = (s.event_type == "attack") & (s.acted == "side")
    series = (
        pd.DataFrame(
            {
                "clashes": clash.astype("int64"),
                "clash_deaths": s.fatalities_best.fillna(0).where(clash, 0).astype("int64"),
                "attacks_by_actor": (attack & mine).astype("int64"),
                "attacks_by_rival": (attack & ~mine).astype("int64"),
            }
        )
        .groupby(_month_numbers(s.date_start))
        .sum()
    )
    c = s[clash]
    provinces = c.admin1_code.groupby(_phase_of(c.date_start, phases), observed=True).nunique()

    def months_of(p: Any) -> list[int]:
        if not (p.start <= last and (p.end is None or p.end > first)):
            return []
        start = max(p.start, first)
        end = last if p.end is None else min(p.end - dt.timedelta(days=1), last)
        return list(range(start.year * 12 + start.month - 1, end.year * 12 + end.month))

    periods, counts = [], {}
    for p in phases:
        months = months_of(p)
        counts[p.name] = series.reindex(months, fill_value=0)
        periods.append(
            [p.name, len(months)]
            + [int(counts[p.name][m].sum()) for m in PHASE_MEASURES]
            + [int(provinces.get(p.name, 0))]
        )
    covered = [p for p in phases if months_of(p)]
    boundaries = []
    for before, after in itertools.pairwise(covered):
        for m in PHASE_MEASURES:
            y0 = [int(v) for v in counts[before.name][m]]
            y1 = [int(v) for v in counts[after.name][m]]
            boundaries.append(
                {"boundary": after.start.isoformat(), "measure": m, **_fit_change(y0, y1)}
            )
    for m in PHASE_MEASURES:  # Holm across the boundaries of each measure
        tested = sorted(
            (b for b in boundaries if b["measure"] == m and b["p_value"] is not None),
            key=lambda b: b["p_value"],
        )
        running = 0.0
        for rank, b in enumerate(tested):
            running = max(running, min(1.0, (len(tested) - rank) * b["p_value"]))
            b["p_holm"] = running
    names = ["boundary", "measure", *PHASE_BOUNDARY_COLUMNS]
    return {
        "phases.periods": periods,
        "phases.boundaries": [[b.get(n) for n in names] for b in boundaries],
    }


PHASE_BOUNDARY_COLUMNS = (
    "rate_before",
    "rate_after",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "dispersion",
    "alpha",
    "model",
    "p_value",
    "p_holm",
)


HARM_PRE, HARM_POST, HARM_SHIFT = 12, 12, 12
"""``harm``: event times -12..12, the overall ATT over 0..12, the placebo's shift."""
HARM_OUTCOMES = {
    "either_side": ("actor", "rival"),
    "actor": ("actor",),
    "rival": ("rival",),
    "others": ("others",),
}
"""Each civilian-death outcome of ``harm`` and the perpetrator classes it sums."""
CAPITAL = "AF-KAB"


def _cs_att(y: Any, cohort: Any, weights: Any, eligible: Any = None) -> tuple[Any, Any, Any, Any]:
    """Callaway & Sant'Anna's ATT(g,t) without covariates, universal base month g - 1 and the
    never-treated provinces as controls, for each row of unit ``weights`` (replicates):
    (cohorts, att replicates x cohorts x months, cohort sizes, control counts)."""
    import numpy as np

    never = (cohort if eligible is None else eligible) == -1
    cohorts = np.unique(cohort[cohort >= 1])
    att = np.full((weights.shape[0], len(cohorts), y.shape[1]), np.nan)
    sizes = np.zeros((weights.shape[0], len(cohorts)))
    w_never = weights[:, never]
    n_controls = w_never.sum(axis=1)
    for k, g in enumerate(cohorts):
        change = y - y[:, [g - 1]]
        w_treated = weights[:, cohort == g]
        sizes[:, k] = w_treated.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            treated_mean = (w_treated @ change[cohort == g]) / sizes[:, k, None]
            control_mean = (w_never @ change[never]) / n_controls[:, None]
        att[:, k, :] = treated_mean - control_mean
        att[(sizes[:, k] == 0) | (n_controls == 0), k, :] = np.nan
    return cohorts, att, sizes, n_controls


def _cs_dynamic(cohorts: Any, att: Any, sizes: Any, events: range) -> tuple[Any, list[int]]:
    """Per event time, ATT(g, g+e) averaged over the cohorts with that cell, by cohort size."""
    import numpy as np

    theta = np.full((att.shape[0], len(events)), np.nan)
    n_cohorts = []
    for i, e in enumerate(events):
        t = cohorts + e
        inside = np.flatnonzero((t >= 0) & (t < att.shape[2]))
        cells = att[:, inside, t[inside]]
        ok = np.isfinite(cells) & (sizes[:, inside] > 0)
        weight = np.where(ok, sizes[:, inside], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta[:, i] = (np.where(ok, cells, 0.0) * weight).sum(axis=1) / weight.sum(axis=1)
        n_cohorts.append(int(ok[0].sum()) if len(inside) else 0)
    return theta, n_cohorts


def _mean_of_finite(values: Any) -> Any:
    import numpy as np

    count = np.isfinite(values).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.nansum(values, axis=1) / count, np.nan)


def _finite(value: float) -> float | None:
    import math

    return None if not math.isfinite(value) else float(value)


def pd_harm(data: PandasData) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    e = data.events
    _, clash = _dyad_masks(e)
    c = e[clash & e.admin1_code.notna()]
    firsts = _month_numbers(c.date_start).groupby(c.admin1_code).min()
    if not len(firsts) or e.empty:
        return {"harm.att": [None, 0, 0]}
    months = _month_numbers(e.date_start)
    units = sorted(set(data.provinces) | set(firsts.index))
    lo = max(int(months.min()), int(firsts.min()) - HARM_PRE - 1)
    hi = max(lo, min(int(months.max()), int(firsts.max()) + HARM_POST))
    excluded = sorted(p for p, g in firsts.items() if p in units and not lo < g <= hi)
    kept = [u for u in units if u not in excluded]
    cohort = np.array([int(firsts[u]) - lo if u in firsts else -1 for u in kept])

    # Civilian deaths per province-month by perpetrator: the side the source names as acting.
    located = e[e.admin1_code.notna()]
    perpetrator = located.actor1.where(
        located.initiator == "actor1", located.actor2.where(located.initiator == "actor2")
    )
    cells = pd.DataFrame(
        {
            "code": located.admin1_code,
            "month": months[located.index],
            "kind": np.select(
                [
                    perpetrator.isna().to_numpy(),
                    (perpetrator == ACTOR).to_numpy(),
                    (perpetrator == RIVAL).to_numpy(),
                ],
                ["unattributed", "actor", "rival"],
                default="others",
            ),
            "deaths": located.civilian_deaths,
            "best": located.fatalities_best.fillna(0),
        }
    )
    inside = cells.code.isin(kept) & (cells.month >= lo) & (cells.month <= hi)
    unknown = cells[inside & cells.deaths.isna()]
    by_kind = unknown.kind.value_counts()
    known = cells[cells.deaths.notna()]

    def grid(kinds: tuple[str, ...]) -> Any:
        summed = known[known.kind.isin(kinds)].groupby(["code", "month"]).deaths.sum()
        return (
            summed.unstack(fill_value=0)
            .reindex(index=kept, columns=range(lo, hi + 1), fill_value=0)
            .to_numpy(dtype=float)
        )

    n = len(kept)
    treated, never = np.flatnonzero(cohort >= 1), np.flatnonzero(cohort == -1)
    events = range(-HARM_PRE, HARM_POST + 1)
    post = [i for i, x in enumerate(events) if x >= 0]
    shifted = np.where(cohort >= 1, cohort - HARM_SHIFT, cohort)
    shifted = np.where((cohort >= 1) & (shifted < 1), -2, shifted)
    found: dict[str, Any] = {}
    for outcome, kinds in HARM_OUTCOMES.items():
        y = grid(kinds)
        loo: list[tuple[str, float]] = []
        if outcome == "either_side":  # leave-one-out: the capital, the treated, big controls
            totals = y.sum(axis=1)
            shares = np.zeros(n)
            for group in (cohort >= 1, cohort == -1):
                if totals[group].sum() > 0:
                    shares[group] = totals[group] / totals[group].sum()
            loo = [(CAPITAL, float(shares[kept.index(CAPITAL)]))] if CAPITAL in kept else []
            loo += [
                (kept[i], float(shares[i]))
                for i in np.argsort(-shares, kind="stable")
                if kept[i] != CAPITAL
                and (cohort[i] >= 1 or (cohort[i] == -1 and shares[i] >= 0.05))
            ]
        rng = np.random.default_rng(0)  # a fresh generator per outcome, as the section seeds
        boot = np.zeros((N_BOOT, n))
        for members in (treated, never):
            if len(members):
                picks = members[rng.integers(0, len(members), size=(N_BOOT, len(members)))]
                np.add.at(boot, (np.arange(N_BOOT)[:, None], picks), 1.0)
        dropped = np.ones((len(loo), n))
        for row, (code, _) in enumerate(loo):
            dropped[row, kept.index(code)] = 0.0
        weights = np.vstack([np.ones((1, n)), dropped, boot])
        cohorts, att, sizes, n_controls = _cs_att(y, cohort, weights)
        theta, n_cohorts = _cs_dynamic(cohorts, att, sizes, events)
        overall = _mean_of_finite(theta[:, post])
        draws = overall[1 + len(loo) :]
        ci = np.percentile(draws[np.isfinite(draws)], [2.5, 97.5]).tolist()
        p_cohorts, p_att, p_sizes, _ = _cs_att(
            y, shifted, np.vstack([np.ones((1, n)), boot]), eligible=cohort
        )
        placebo = None
        if len(p_cohorts):
            p_theta, _ = _cs_dynamic(p_cohorts, p_att, p_sizes, range(HARM_SHIFT))
            placebo = _finite(_mean_of_finite(p_theta)[0])
        found[outcome] = [outcome, _finite(overall[0]), placebo, len(treated), len(never)]
        if outcome != "either_side":
            continue
        event_time = []
        for i, x in enumerate(events):
            t = cohorts + x
            with_cell = [
                k
                for k in range(len(cohorts))
                if 0 <= t[k] < att.shape[2] and np.isfinite(att[0, k, t[k]])
            ]
            event_time.append(
                [x, _finite(theta[0, i]), n_cohorts[i], int(sizes[0, with_cell].sum())]
            )
        att_gt = [
            [_month_iso(lo + int(g)), _month_iso(lo + int(g) + x), x, float(att[0, k, g + x]),
             int(sizes[0, k]), int(n_controls[0])]
            for k, g in enumerate(cohorts)
            for x in events
            if 0 <= g + x < att.shape[2] and np.isfinite(att[0, k, g + x])
        ]  # fmt: skip
        leave_one_out = [
            [code, "treated" if cohort[kept.index(code)] >= 1 else "control", code == CAPITAL,
             share, _finite(overall[1 + row])]
            for row, (code, share) in enumerate(loo)
        ]  # fmt: skip
        primary = {
            "harm.att": [_finite(overall[0]), len(treated), len(never)],
            "harm.event_time": event_time,
            "harm.att_gt": att_gt,
            "harm.placebo": [placebo, len(p_cohorts)],
            "harm.leave_one_out": leave_one_out,
            "info.harm.ci": ci,
        }
    return {
        **primary,
        "harm.design": [_month_iso(lo), _month_iso(hi), excluded],
        "harm.outcomes": list(found.values()),
        "harm.unknown_civilian_deaths": [
            len(unknown),
            int(unknown.best.sum()),
            [int(by_kind.get(k, 0)) for k in ("actor", "rival", "others", "unattributed")],
        ],
    }


def _claim_windows(active: Any, clashes: Any, k: int) -> list[float]:
    """Clashes and active months before month index ``k`` and after it (``k`` left out)."""
    return [
        float(clashes[..., :k].sum()),
        float(active[..., :k].sum()),
        float(clashes[..., k + 1 :].sum()),
        float(active[..., k + 1 :].sum()),
    ]


def _claim_log_ratio(treated: Any, control: Any, half: Any) -> Any:
    import numpy as np

    b, eb, a, ea = (treated[..., i] for i in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.log((a + half) / ea) - np.log((b + half) / eb)
        if control is None:
            return within
        cb, ceb, ca, cea = (control[..., i] for i in range(4))
        change = np.log((ca + half) / cea) - np.log((cb + half) / ceb)
    return within - np.where((ceb > 0) & (cea > 0), change, 0.0)


def pd_defections(data: PandasData) -> dict[str, Any]:
    import math

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

    # The claim: clashes per active province-month, before and after each province's first
    # defection between the two (its month left out), against the provinces without one.
    s = data.sides
    month = _month_numbers(s.date_start)
    on_record = [month[s.side == side] for side in (ACTOR, RIVAL)]
    first = max(int(m.min()) for m in on_record) if all(len(m) for m in on_record) else 0
    last = min(int(m.max()) for m in on_record) if all(len(m) for m in on_record) else -1
    keep = s.admin1_code.notna() & (month >= first) & (month <= last)
    located = s[keep].assign(month=month[keep])
    located["clash"] = (
        (located.side == ACTOR) & (located.counterpart == RIVAL) & (located.event_type == "clash")
    )
    between = ((d.from_actor == ACTOR) & (d.to_actor == RIVAL)) | (
        (d.from_actor == RIVAL) & (d.to_actor == ACTOR)
    )
    firsts = d[between & d.admin1_code.notna()].groupby("admin1_code").date.min()
    first_months = _month_numbers(firsts)
    provinces = sorted(set(located.admin1_code) | set(firsts.index))
    every = [*located.month.tolist(), *first_months.tolist()]
    treated = sorted(firsts.index)
    table: list[list[Any]] = []
    claim: list[Any] = [len(treated), 0, 0, 0, 0, 0, 0]
    figures: dict[str, Any] = {}
    if provinces and every:
        lo, hi = min(every), max(every)
        cells = located.groupby(["admin1_code", "month"]).clash.agg(["size", "sum"])
        grid = cells.unstack(fill_value=0).reindex(
            index=provinces, columns=pd_columns(cells, lo, hi), fill_value=0
        )
        active = (grid["size"] > 0).to_numpy()
        clashes = grid["sum"].to_numpy()
        row = {p: i for i, p in enumerate(provinces)}
        split = {p: int(m) - lo for p, m in first_months.items()}
        own = {p: _claim_windows(active[row[p]], clashes[row[p]], split[p]) for p in treated}
        compared = [p for p in treated if own[p][1] > 0 and own[p][3] > 0]
        controls = [p for p in provinces if p not in split and active[row[p]].any()]
        table = [
            [p, _plain(firsts[p]), int(own[p][1]), int(own[p][0]), int(own[p][3]),
             int(own[p][2]), p in compared]
            for p in treated
        ]  # fmt: skip
        claim[2] = len(controls)
        if compared:
            c_rows = [row[p] for p in controls]
            total = np.sum([own[p] for p in compared], axis=0)
            control_total = np.sum(
                [_claim_windows(active[c_rows], clashes[c_rows], split[p]) for p in compared],
                axis=0,
            )
            has_control = bool(control_total[1] > 0 and control_total[3] > 0)
            counts = [total[0], total[2], *([control_total[0], control_total[2]] * has_control)]
            half = 0.5 if min(counts) == 0 else 0.0
            control = control_total if has_control else None
            estimate = float(_claim_log_ratio(total, control, half))
            within = float(_claim_log_ratio(total, None, half))
            claim[1:] = [len(compared), len(controls), int(total[0]), int(total[2])]
            claim += [int(total[1]), int(total[3])]
            figures = {
                "rate_ratio": math.exp(estimate),
                "within_ratio": math.exp(within),
                "control_ratio": math.exp(within - estimate) if has_control else None,
            }
            # The randomisation of the split months within each compared province's own
            # active months (numpy's generator; its draws are not ours, so the p-value is
            # shown, not compared).
            rng = np.random.default_rng(0)
            control_active, control_clashes = active[c_rows].sum(0), clashes[c_rows].sum(0)
            drawn_t = np.zeros((N_PERM, 4))
            drawn_c = np.zeros((N_PERM, 4))
            for p in compared:
                i, k = row[p], split[p]
                candidates = [
                    m
                    for m in range(active.shape[1])
                    if (active[i, m] or m == k) and active[i, :m].any() and active[i, m + 1 :].any()
                ]
                picks = rng.choice(candidates, size=N_PERM)
                for m in set(picks.tolist()):
                    at = picks == m
                    drawn_t[at] += _claim_windows(active[i], clashes[i], m)
                    drawn_c[at] += _claim_windows(control_active, control_clashes, m)
            stats = _claim_log_ratio(drawn_t, drawn_c if has_control else None, half)
            figures["p_value"] = (1 + int((stats >= estimate - 1e-9).sum())) / (1 + N_PERM)
    return {
        "defections.flows": [
            [r.from_actor, r.to_actor, int(r.records), int(r.fighters)] for r in flows.itertuples()
        ],
        "defections.claim": claim,
        "defections.claim_ratios": [
            figures.get(k) for k in ("rate_ratio", "within_ratio", "control_ratio")
        ],
        "defections.claim_provinces": table,
        "info.defections.p_value": figures.get("p_value"),
        "info.defections.tables": [len(by_province_month), len(records)],
    }


def pd_columns(cells: Any, lo: int, hi: int) -> Any:
    """The months ``lo`` to ``hi`` as the columns of one level of an unstacked frame."""
    import pandas as pd

    return pd.MultiIndex.from_product([["size", "sum"], range(lo, hi + 1)])


def pd_hotspots(data: PandasData) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    from sklearn.cluster import DBSCAN

    from rivalscope.analysis.hotspots import EARTH_RADIUS_KM

    e = data.events
    by_first = (e.initiator == "actor1") & e.actor1.isin([ACTOR, RIVAL])
    by_second = (e.initiator == "actor2") & e.actor2.isin([ACTOR, RIVAL])
    attacks = e[(e.event_type == "attack") & (by_first | by_second)]
    side_of = attacks.actor1.where(attacks.initiator == "actor1", attacks.actor2)
    unlocated = attacks.latitude.isna() | attacks.longitude.isna()
    precision = attacks.geo_precision
    point = pd.Series(
        np.select(
            [
                unlocated.to_numpy(),
                (precision > 2).to_numpy(),
                precision.notna().to_numpy(),
                attacks.source.isin(["ucdp", "acled", "fused"]).to_numpy(),
            ],
            ["unlocated", "coarse", "precise", "unstated"],
            default="precise",
        ),
        index=attacks.index,
    )
    clusters: list[list[Any]] = []
    noise, used, left_out = [], [], []
    for side in (ACTOR, RIVAL):
        classes = point[side_of == side].value_counts()
        mine = attacks[(side_of == side) & point.isin(["precise", "unstated"])]
        used.append([side, len(mine), int(classes.get("unstated", 0)), 0])
        left_out += [
            [side, "coarse", int(classes.get("coarse", 0))],
            [side, "unstated", 0],
            [side, "unlocated", int(classes.get("unlocated", 0))],
        ]
        places = mine.groupby(["latitude", "longitude"]).size().rename("n").reset_index()
        labels = np.empty(0, np.int64)
        if len(places):
            model = DBSCAN(
                eps=EPS_KM / EARTH_RADIUS_KM,
                min_samples=MIN_EVENTS,
                metric="haversine",
                algorithm="ball_tree",
            )
            model.fit(
                np.radians(places[["latitude", "longitude"]].to_numpy()), sample_weight=places.n
            )
            labels = model.labels_
        places["label"] = labels
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
        mine_clusters = []
        for label, r in per.iterrows():
            members = places[places.label == label]
            phi, lam = np.radians(members.latitude), np.radians(members.longitude)
            w = members.n.to_numpy()
            x = float(np.average(np.cos(phi) * np.cos(lam), weights=w))
            y = float(np.average(np.cos(phi) * np.sin(lam), weights=w))
            z = float(np.average(np.sin(phi), weights=w))
            lat = float(np.degrees(np.arctan2(z, np.hypot(x, y))))
            lon = float(np.degrees(np.arctan2(y, x)))
            radius = float(
                _great_circle_km(
                    lat, lon, members.latitude.to_numpy(), members.longitude.to_numpy()
                ).max()
            )
            mine_clusters.append(
                [
                    side,
                    int(r.events),
                    int(r.deaths),
                    _plain(r["first"]),
                    _plain(r["last"]),
                    province.get(label),
                    len(members),
                    lat,
                    lon,
                    round(radius, 3),
                ]
            )
        mine_clusters.sort(key=lambda c: (-c[1], -c[2], c[3], c[7], c[8]))
        clusters += [[c[0], number, *c[1:]] for number, c in enumerate(mine_clusters, start=1)]
        noise.append([side, int((labelled.label < 0).sum())])
    return {
        "hotspots.clusters": clusters,
        "hotspots.noise": noise,
        "hotspots.used": used,
        "hotspots.left_out": left_out,
    }


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

    # Allies and fights: the two groups named on the sides of each event that names a side
    # (actor1 with its associated actors, actor2 with its), once per event and pair.
    def names_a_side(lists: Any) -> Any:
        named = lists.dropna()
        hit = [bool(set(x) & set(sides)) for x in named]
        return pd.Series(hit, index=named.index, dtype=bool).reindex(lists.index, fill_value=False)

    involved = e.loc[
        e.actor1.isin(sides)
        | e.actor2.isin(sides)
        | names_a_side(e.assoc_actors)
        | names_a_side(e.assoc_actors2),
        ["actor1", "assoc_actors", "actor2", "assoc_actors2"],
    ]
    groups = []
    for group, (actor, allies) in enumerate(
        (("actor1", "assoc_actors"), ("actor2", "assoc_actors2")), start=1
    ):
        groups.append(
            pd.DataFrame({"eid": involved.index, "group": group, "member": involved[actor]})
        )
        named = involved[allies].dropna().explode()
        groups.append(
            pd.DataFrame({"eid": named.index, "group": group, "member": named.to_numpy()})
        )
    long = pd.concat(groups, ignore_index=True).dropna().drop_duplicates()
    own = long[long.member.isin(sides)].rename(columns={"member": "side"})
    counted = {}
    for kind, groups_of in (("same", own), ("opposite", own.assign(group=3 - own.group))):
        pairs = groups_of.merge(long, on=["eid", "group"])
        pairs = pairs[pairs.member != pairs.side].drop_duplicates(["eid", "side", "member"])
        counted[kind] = {k: int(n) for k, n in pairs.groupby(["side", "member"]).size().items()}
    fights = counted["opposite"]
    rival_of = {ACTOR: RIVAL, RIVAL: ACTOR}
    allied = {
        (side, ally): n
        for (side, ally), n in counted["same"].items()
        if ally != rival_of[side] and ally not in excluded and (side, ally) not in fights
    }

    # Co-location: each event once as actor1's (target actor2) and once as actor2's; bucket
    # by day and by a grid cell at least the distance wide; merge each side's events with the
    # other actors' in its 7 days x 3 x 3 cells, CHUNK_DAYS days at a time (actors as integer
    # codes, to keep each merge small); then the exact great-circle distance, and each event
    # of a side counted once per other actor near it. An event between the two actors is a
    # fight, not a presence nearby: left out on both sides.
    placed = (e.latitude.notna() & e.longitude.notna() & e.date_start.notna()).to_numpy()
    names = sorted({*e.actor1[placed].dropna().unique(), *e.actor2[placed].dropna().unique()})
    codes = {
        column: pd.Categorical(e[column].to_numpy()[placed], categories=names).codes
        for column in ("actor1", "actor2")
    }
    never = np.array([names.index(x) for x in excluded if x in names], dtype=codes["actor1"].dtype)
    day = (e.date_start[placed] - pd.Timestamp("1970-01-01")).dt.days.to_numpy("int32")
    lat, lon = e.latitude.to_numpy()[placed], e.longitude.to_numpy()[placed]
    halves = []
    for mine, theirs in (("actor1", "actor2"), ("actor2", "actor1")):
        kept = (codes[mine] >= 0) & ~np.isin(codes[mine], never)
        halves.append(
            pd.DataFrame(
                {
                    "actor": codes[mine][kept],
                    "target": codes[theirs][kept],
                    "day": day[kept],
                    "lat": lat[kept],
                    "lon": lon[kept],
                }
            )
        )
    del codes, day, lat, lon
    frame = pd.concat(halves, ignore_index=True)
    cell_lat = KM_APART / (EARTH_RADIUS_KM * np.pi / 180) * 1.1
    widest = float(np.cos(np.radians(min(89.0, frame.lat.abs().max() + cell_lat))))
    cell_lon = cell_lat / max(widest, 0.01)
    frame["cy"] = np.floor(frame.lat / cell_lat).astype("int32")
    frame["cx"] = np.floor(frame.lon / cell_lon).astype("int32")
    frame["row"] = np.arange(len(frame), dtype="int64")
    side_codes = [names.index(side) for side in sides if side in names]
    is_side = frame.actor.isin(side_codes)
    mine, theirs = frame[is_side], frame[~is_side]
    first_day, last_day = int(frame.day.min()), int(frame.day.max())
    del frame, halves
    shifts = np.array(
        [
            (dd, dy, dx)
            for dd in range(-DAYS_APART, DAYS_APART + 1)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ],
        dtype="int32",
    )
    near: dict[tuple[str, str], int] = {}
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
        close = _great_circle_km(pairs.lat_l, pairs.lon_l, pairs.lat_r, pairs.lon_r) <= KM_APART
        found = pairs.loc[close, ["row_l", "actor_l", "actor_r"]].drop_duplicates()
        for (left, right), n in found.groupby(["actor_l", "actor_r"]).size().items():
            key = (names[left], names[right])
            near[key] = near.get(key, 0) + int(n)

    def ranked(counted: dict[tuple[str, str], int]) -> list[list[Any]]:
        rows = []
        for side in sides:
            mine_ = sorted(((o, n) for (s, o), n in counted.items() if s == side and n),
                           key=lambda item: (-item[1], item[0]))  # fmt: skip
            rows += [[side, o, n, rank] for rank, (o, n) in enumerate(mine_[:TOP], start=1)]
        return rows

    return {
        "network.ally": sorted([s, o, n] for (s, o), n in allied.items()),
        "network.nearby": sorted([s, o, n] for (s, o), n in near.items() if n),
        "network.allies": ranked(allied),
        "network.nearby_table": [
            [s, o, n, bool(fights.get((s, o))), fights.get((s, o), 0), rank]
            for s, o, n, rank in ranked(near)
        ],
    }


PANDAS_SECTIONS = {
    "timeline": pd_timeline,
    "spread": pd_spread,
    "targets": pd_targets,
    "influence": pd_influence,
    "phases": pd_phases,
    "harm": pd_harm,
    "defections": pd_defections,
    "hotspots": pd_hotspots,
    "network": pd_network,
}


def part_pandas(db_path: Path) -> None:
    imports = warm_imports(pandas=True)
    import duckdb

    from rivalscope.actor_names import state_key
    from rivalscope.analysis.network import NEVER, NEVER_KINDS

    started = time.perf_counter()
    con = duckdb.connect(str(db_path), read_only=True)
    events = con.execute(EVENT_LOAD_SQL).df()
    defections = con.execute("SELECT * FROM defections").df()
    provinces = con.execute(
        "SELECT code FROM places WHERE level = 1 AND country_iso3 = ? ORDER BY code", [COUNTRY]
    ).df()
    actors = con.execute("SELECT actor_id, kind, country_iso3 FROM actors").df()
    # The government of the day: the registry's `Government of Afghanistan` aliases and dates.
    governments = con.execute(
        """SELECT actor_id, valid_from, valid_to FROM actor_aliases
           WHERE alias_key = ? AND (country_iso3 IS NULL OR country_iso3 = ?)""",
        [state_key(COUNTRY), COUNTRY],
    ).fetchall()
    con.close()
    excluded = sorted({*NEVER, *actors.actor_id[actors.kind.isin(list(NEVER_KINDS))]})
    data = PandasData(
        events, defections, list(provinces.code), excluded, actors, [tuple(g) for g in governments]
    )
    release_memory()  # DuckDB's conversion peaks at about three times the frames: give it back
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
        if name == "network":
            data.drop_sides()  # the last section does not read the working set: room for it
        release_memory()  # not timed: the previous section's garbage is not the next one's
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
        f"({built['dyad_clashes'] / rows:.1%}), ISKP or TALIBAN as actor1 {built['by_sides']:,} "
        f"({built['by_sides'] / rows:.0%}); {built['places']:,} distinct coordinates; "
        f"{built['defections']:,} defections"
    )
    if "with_initiator" in built:
        named = built["with_initiator"]
        print(f"  initiator named (the role model) in {named:,} events ({named / rows:.0%})")
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
        section = required.split(".")[0]
        if section in ours_sections and section in pandas_sections:
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
