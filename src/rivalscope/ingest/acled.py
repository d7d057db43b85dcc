"""ACLED export CSV, as ACLED publishes it (the web export and the API's CSV).

Dates may be ``15 August 2021`` (exports) or ``2021-08-15`` (API). ``inter1``/``inter2`` may be
the numeric codes of older exports or the words of newer ones.

Mapping: ``Battles`` are ``clash``; an ``Air/drone strike`` or ``Shelling/artillery/missile
attack`` by state or external forces is a ``state_operation``; other ``Explosions/Remote
violence`` and ``Violence against civilians`` are ``attack``; a ``Strategic developments`` row
whose note describes an influence activity (propaganda, proselytization, extortion, governance,
recruitment: :func:`rivalscope.coding.influence_type` on its ``notes``) has that type; protests,
riots and other strategic developments are ``other``. ``assoc_actor_1``/``assoc_actor_2``
(``;``-separated) are the allies of each side. ``fatalities`` fills best, low and high; for
violence against civilians it is also the civilian deaths.
"""

from __future__ import annotations

from rivalscope.ingest.checks import (
    SourceSpec,
    bad_value,
    check,
    col,
    coordinate_check,
    int_check,
    reasons,
)

REQUIRED = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "country",
    "admin1",
    "latitude",
    "longitude",
    "fatalities",
)
OPTIONAL = (
    "year",
    "time_precision",
    "disorder_type",
    "assoc_actor_1",
    "inter1",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "admin2",
    "admin3",
    "location",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "tags",
    "timestamp",
)

_DATE = f"try_strptime({col('event_date')}, ['%d %B %Y', '%Y-%m-%d', '%d-%B-%Y'])::DATE"
_TYPE = col("event_type")
_SUB = col("sub_event_type")
_STATE_ACTOR = (
    f"(lower(coalesce({col('inter1')}, '')) IN ('1', '8', 'state forces', "
    "'external/other forces') "
    f"OR {col('actor1')} ILIKE 'Military Forces of%' OR {col('actor1')} ILIKE 'Police Forces of%')"
)


def _allies(column: str) -> str:
    return (
        f"coalesce(list_filter(list_transform(string_split({col(column)}, ';'), "
        "lambda x: trim(x)), lambda x: x <> ''), []::VARCHAR[])"
    )


SELECT = f"""
  {col("event_id_cnty")} AS source_id,
  {_DATE} AS date_start,
  {_DATE} AS date_end,
  CASE {col("time_precision")} WHEN '1' THEN 'day' WHEN '2' THEN 'week' WHEN '3' THEN 'month'
    ELSE 'day' END AS date_precision,
  CASE
    WHEN {_TYPE} = 'Battles' THEN 'clash'
    WHEN {_TYPE} = 'Explosions/Remote violence'
         AND {_SUB} IN ('Air/drone strike', 'Shelling/artillery/missile attack')
         AND {_STATE_ACTOR} THEN 'state_operation'
    WHEN {_TYPE} IN ('Explosions/Remote violence', 'Violence against civilians') THEN 'attack'
    ELSE 'other' END AS event_type,
  {_TYPE} AS source_event_type,
  {_SUB} AS source_sub_event_type,
  {col("actor1")} AS actor1_raw,
  {col("actor2")} AS actor2_raw,
  {_allies("assoc_actor_1")} AS assoc1_raw,
  {_allies("assoc_actor_2")} AS assoc2_raw,
  CASE WHEN {col("civilian_targeting")} IS NOT NULL
            OR {_TYPE} = 'Violence against civilians' THEN 'civilians'
       WHEN {_SUB} = 'Looting/property destruction' THEN 'infrastructure' END AS target_hint,
  {col("country")} AS country_name,
  {col("iso")} AS country_code,
  {col("admin1")} AS admin1,
  {col("admin2")} AS admin2,
  {col("location")} AS location,
  try_cast({col("latitude")} AS DOUBLE) AS latitude,
  try_cast({col("longitude")} AS DOUBLE) AS longitude,
  try_cast({col("geo_precision")} AS INTEGER) AS geo_precision,
  try_cast({col("fatalities")} AS INTEGER) AS fatalities_best,
  try_cast({col("fatalities")} AS INTEGER) AS fatalities_low,
  try_cast({col("fatalities")} AS INTEGER) AS fatalities_high,
  CASE WHEN {_TYPE} = 'Violence against civilians'
       THEN try_cast({col("fatalities")} AS INTEGER) END AS civilian_deaths,
  {col("notes")} AS notes,
  NULL::VARCHAR AS source_url,
  {
    reasons(
        check(f"{col('event_id_cnty')} IS NULL", "'column event_id_cnty: empty'"),
        check(f"{col('event_date')} IS NULL", "'column event_date: empty'"),
        check(
            f"{col('event_date')} IS NOT NULL AND {_DATE} IS NULL",
            bad_value("event_date", "is not a valid date (dd Month yyyy or yyyy-mm-dd)"),
        ),
        check(f"{_TYPE} IS NULL", "'column event_type: empty'"),
        check(f"{col('actor1')} IS NULL", "'column actor1: empty'"),
        int_check("fatalities", required=True),
        coordinate_check("latitude", 90),
        coordinate_check("longitude", 180),
    )
} AS _reason
"""


def _influence(note: str) -> str | None:
    from rivalscope.coding.influence import influence_type

    return influence_type(note)


SPEC = SourceSpec(
    name="acled",
    target="events",
    required=REQUIRED,
    optional=OPTIONAL,
    select=SELECT,
    release=(f"strftime(to_timestamp(max(try_cast({col('timestamp')} AS BIGINT))), '%Y-%m-%d')"),
    note_types=("Strategic developments", _influence),
)
