"""The canonical tables: column names, types and the controlled vocabularies.

Every source maps its rows onto these tables; every analysis reads only them.
"""

from __future__ import annotations

from typing import Final

from rivalscope.roles import initiator_sql

VIOLENT_TYPES: Final = ("clash", "attack", "state_operation")
INFLUENCE_TYPES: Final = ("propaganda", "proselytization", "extortion", "governance", "recruitment")
"""How a group works without fighting: `propaganda` (statements, videos, leaflets, night letters,
online channels), `proselytization` (preaching, religious schools and circles), `extortion`
(forced taxes, ransoms and levies on civilians), `governance` (courts, taxes levied as a ruler,
administration, checkpoints), `recruitment` (of fighters, including from other groups and
foreign fighters)."""
EVENT_TYPES: Final = (
    *VIOLENT_TYPES,
    "defection",
    "prison_break",
    *INFLUENCE_TYPES,
    "other",
)
"""`clash`: armed group against armed group (state forces included); `attack`: violence by a group
on civilians or on a non-combat target; `state_operation`: raid, air or drone strike by a state;
the influence types (:data:`INFLUENCE_TYPES`); `other`."""

TARGET_TYPES: Final = (
    "civilians",
    "state_security",
    "group_personnel",
    "infrastructure",
    "religious_site",
    "foreign",
    "unknown",
)

DATE_PRECISIONS: Final = ("day", "week", "month", "year")

ACTOR_KINDS: Final = (
    "state",
    "armed_group",
    "international",
    "civilians",
    "ambiguous",
    "other",
    "unregistered",
)

EVENT_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("event_id", "VARCHAR"),
    ("source", "VARCHAR"),
    ("source_id", "VARCHAR"),
    ("batch_id", "VARCHAR"),
    ("date_start", "DATE"),
    ("date_end", "DATE"),
    ("date_precision", "VARCHAR"),
    ("event_type", "VARCHAR"),
    ("source_event_type", "VARCHAR"),
    ("source_sub_event_type", "VARCHAR"),
    ("actor1", "VARCHAR"),
    ("actor2", "VARCHAR"),
    ("actor1_raw", "VARCHAR"),
    ("actor2_raw", "VARCHAR"),
    ("assoc_actors", "VARCHAR[]"),
    ("assoc_actors2", "VARCHAR[]"),
    ("target_type", "VARCHAR"),
    ("country_iso3", "VARCHAR"),
    ("admin1_code", "VARCHAR"),
    ("admin1", "VARCHAR"),
    ("admin2", "VARCHAR"),
    ("location", "VARCHAR"),
    ("latitude", "DOUBLE"),
    ("longitude", "DOUBLE"),
    ("geo_precision", "INTEGER"),
    ("fatalities_best", "INTEGER"),
    ("fatalities_low", "INTEGER"),
    ("fatalities_high", "INTEGER"),
    ("civilian_deaths", "INTEGER"),
    ("notes", "VARCHAR"),
    ("source_url", "VARCHAR"),
    ("row_hash", "VARCHAR"),
    ("initiator", "VARCHAR"),
)
"""`assoc_actors` are the allies named with actor1, `assoc_actors2` those named with actor2.
`row_hash` fingerprints the mapped content (all columns but those of :data:`UNHASHED`):
re-ingesting an unchanged row leaves it untouched and counts it as unchanged. `initiator` is
the side the source names as the one that acted (``actor1``), NULL when it names none
(:mod:`rivalscope.roles`)."""

UNHASHED: Final = ("batch_id", "row_hash", "initiator")
"""Columns left out of ``row_hash``: the batch, the hash itself and ``initiator``, which the
role model derives from hashed columns (so a store migrated to hold it re-ingests unchanged)."""
EVENT_COLUMN_NAMES: Final = tuple(name for name, _ in EVENT_COLUMNS)
HASHED_EVENT_COLUMNS: Final = tuple(name for name in EVENT_COLUMN_NAMES if name not in UNHASHED)

FUSED_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    *EVENT_COLUMNS,
    ("sources", "VARCHAR[]"),
    ("linked_ids", "VARCHAR[]"),
)
"""The fused view's columns: an event's, then the sources that recorded it and their event ids
(:mod:`rivalscope.fusion`)."""
FUSED_COLUMN_NAMES: Final = tuple(name for name, _ in FUSED_COLUMNS)

COVERAGE_COLUMNS: Final = (
    "batch_id",
    "source",
    "country_iso3",
    "first_date",
    "last_date",
    "version",
    "declared",
    "events",
)
"""What each batch covers per country: its window (declared, or from its events' dates), the
source's version or release, and how many events it brought."""

DEFECTION_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("defection_id", "VARCHAR"),
    ("batch_id", "VARCHAR"),
    ("date", "DATE"),
    ("person", "VARCHAR"),
    ("role", "VARCHAR"),
    ("fighters", "INTEGER"),
    ("from_actor", "VARCHAR"),
    ("to_actor", "VARCHAR"),
    ("from_actor_raw", "VARCHAR"),
    ("to_actor_raw", "VARCHAR"),
    ("country_iso3", "VARCHAR"),
    ("admin1_code", "VARCHAR"),
    ("admin1", "VARCHAR"),
    ("admin2", "VARCHAR"),
    ("source", "VARCHAR"),
    ("notes", "VARCHAR"),
    ("row_hash", "VARCHAR"),
)
DEFECTION_COLUMN_NAMES: Final = tuple(name for name, _ in DEFECTION_COLUMNS)

DISPLACEMENT_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("displacement_id", "VARCHAR"),
    ("batch_id", "VARCHAR"),
    ("country_iso3", "VARCHAR"),
    ("admin1_code", "VARCHAR"),
    ("admin1", "VARCHAR"),
    ("month", "DATE"),
    ("idps", "BIGINT"),
    ("row_hash", "VARCHAR"),
)
"""Newly displaced people (IDPs) per province and month; ``month`` is the month's first day."""
DISPLACEMENT_COLUMN_NAMES: Final = tuple(name for name, _ in DISPLACEMENT_COLUMNS)

REVIEW_STATUSES: Final = ("pending", "accepted", "rejected")
"""A row written for review (text-coded events and defections) counts in analyses only once
``accepted``. Rows with no review entry (every dataset row) always count."""
REVIEW_KINDS: Final = {"event": ("events", "event_id"), "defection": ("defections", "defection_id")}
"""Review item kinds, with the table and id column each refers to."""


def _columns_sql(columns: tuple[tuple[str, str], ...]) -> str:
    return ",\n  ".join(f"{name} {sql_type}" for name, sql_type in columns)


MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        f"""CREATE TABLE events (
  {_columns_sql(EVENT_COLUMNS)}
)""",
        f"""CREATE TABLE defections (
  {_columns_sql(DEFECTION_COLUMNS)}
)""",
        """CREATE TABLE actors (
  actor_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  parent VARCHAR,
  country_iso3 VARCHAR,
  registered BOOLEAN NOT NULL,
  builtin BOOLEAN NOT NULL,
  description VARCHAR
)""",
        """CREATE TABLE actor_aliases (
  alias VARCHAR NOT NULL,
  alias_key VARCHAR NOT NULL,
  actor_id VARCHAR NOT NULL,
  country_iso3 VARCHAR,
  valid_from DATE,
  valid_to DATE,
  kind VARCHAR,
  source VARCHAR,
  builtin BOOLEAN NOT NULL
)""",
        """CREATE TABLE places (
  code VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  level INTEGER NOT NULL,
  parent VARCHAR,
  country_iso3 VARCHAR NOT NULL,
  latitude DOUBLE,
  longitude DOUBLE,
  geometry BLOB
)""",
        """CREATE TABLE place_aliases (
  alias_key VARCHAR NOT NULL,
  alias VARCHAR NOT NULL,
  code VARCHAR NOT NULL,
  country_iso3 VARCHAR NOT NULL,
  level INTEGER NOT NULL
)""",
        """CREATE TABLE ingest_batches (
  batch_id VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,
  file VARCHAR,
  sha256 VARCHAR,
  started TIMESTAMP,
  finished TIMESTAMP,
  rows_read BIGINT,
  rows_stored BIGINT,
  rows_quarantined BIGINT,
  rows_unchanged BIGINT
)""",
        """CREATE TABLE meta (
  key VARCHAR PRIMARY KEY,
  value VARCHAR
)""",
        """CREATE TABLE quarantine (
  batch_id VARCHAR NOT NULL,
  row_number BIGINT NOT NULL,
  raw VARCHAR,
  reason VARCHAR NOT NULL
)""",
    ),
    (
        f"""CREATE TABLE displacement (
  {_columns_sql(DISPLACEMENT_COLUMNS)}
)""",
    ),
    (
        """CREATE TABLE reviews (
  item_kind VARCHAR NOT NULL,
  item_id VARCHAR NOT NULL,
  status VARCHAR NOT NULL,
  confidence DOUBLE,
  passage VARCHAR,
  evidence VARCHAR,
  created TIMESTAMP NOT NULL,
  decided TIMESTAMP,
  reviewer VARCHAR
)""",
    ),
    (
        """CREATE TABLE fetch_runs (
  run_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  job_key VARCHAR NOT NULL,
  params VARCHAR NOT NULL,
  started TIMESTAMP NOT NULL,
  updated TIMESTAMP NOT NULL,
  finished TIMESTAMP,
  cursor VARCHAR,
  pages_done INTEGER NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_stored BIGINT NOT NULL,
  rows_quarantined BIGINT NOT NULL,
  rows_unchanged BIGINT NOT NULL,
  rows_deleted BIGINT NOT NULL,
  max_timestamp BIGINT
)""",
        """CREATE TABLE fetch_pages (
  run_id VARCHAR NOT NULL,
  page INTEGER NOT NULL,
  batch_id VARCHAR,
  rows BIGINT NOT NULL,
  raw_file VARCHAR,
  fetched TIMESTAMP NOT NULL
)""",
        """CREATE TABLE fetch_seen (
  run_id VARCHAR NOT NULL,
  event_id VARCHAR NOT NULL
)""",
        """CREATE TABLE deleted_events (
  event_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  source_deleted_at TIMESTAMP,
  deleted TIMESTAMP NOT NULL,
  run_id VARCHAR,
  event VARCHAR
)""",
    ),
    (
        """CREATE TABLE coverage (
  batch_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  country_iso3 VARCHAR,
  first_date DATE NOT NULL,
  last_date DATE NOT NULL,
  version VARCHAR,
  declared BOOLEAN NOT NULL,
  events BIGINT NOT NULL
)""",
        """INSERT INTO coverage
SELECT batch_id, source, country_iso3, min(date_start), max(coalesce(date_end, date_start)),
       NULL, false, count(*)
FROM events WHERE date_start IS NOT NULL AND batch_id IS NOT NULL
GROUP BY batch_id, source, country_iso3""",
        """CREATE TABLE event_links (
  cluster_id VARCHAR NOT NULL,
  event_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR,
  country_iso3 VARCHAR NOT NULL,
  score DOUBLE
)""",
        f"""CREATE TABLE fused_events (
  {_columns_sql(FUSED_COLUMNS)}
)""",
    ),
    (
        "ALTER TABLE events ADD COLUMN IF NOT EXISTS initiator VARCHAR",
        "UPDATE events SET initiator = "
        + initiator_sql("source", "source_event_type", "event_type"),
        "DROP TABLE fused_events",
        f"""CREATE TABLE fused_events (
  {_columns_sql(FUSED_COLUMNS)}
)""",
    ),
)
"""Schema migrations, applied in order; the store records how many it has applied."""
