"""UCDP Georeferenced Event Dataset (GED and GED Candidate) CSV, as UCDP publishes it.

Every GED layout from 21.1 to 25.1 has the columns this adapter needs; the others are read
when present and ignored when absent. Dates may be ``YYYY-MM-DD`` or the
``YYYY-MM-DD 00:00:00.000`` form of some downloads.

Mapping: ``type_of_violence`` 1 (state-based) and 2 (non-state) are ``clash``, 3 (one-sided)
is ``attack``; ``side_a`` / ``side_b`` are the two actors (a side listing several states, as
``Government of United Kingdom, Government of United States of America``, keeps the first as
the actor and the others as its allies); ``best``, ``low``, ``high`` are the fatalities and
``deaths_civilians`` the civilian deaths (for one-sided violence, ``best`` when empty). Real
GED rows sometimes have ``best`` above ``high``; they are stored as published, not quarantined.
"""

from __future__ import annotations

from rivalscope.fusion.coverage import is_annual_ged, ucdp_version
from rivalscope.ingest.checks import (
    SourceSpec,
    bad_value,
    check,
    col,
    coordinate_check,
    int_check,
    reasons,
    whole_number,
)

REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "country",
    "date_start",
    "best",
    "latitude",
    "longitude",
)
OPTIONAL = (
    "relid",
    "year",
    "conflict_name",
    "dyad_name",
    "adm_1",
    "adm_2",
    "where_coordinates",
    "where_prec",
    "date_prec",
    "date_end",
    "deaths_civilians",
    "low",
    "high",
    "country_id",
    "source_headline",
    "source_article",
)


def _date(column: str) -> str:
    return f"try_cast(left({col(column)}, 10) AS DATE)"


def _bad_date(column: str) -> str:
    return check(
        f"{col(column)} IS NOT NULL AND {_date(column)} IS NULL",
        bad_value(column, "is not a valid YYYY-MM-DD date"),
    )


def _side(column: str) -> tuple[str, str]:
    """(primary actor, allies) of a UCDP side that may list several governments."""
    parts = f"string_split({col(column)}, ', Government of ')"
    first = f"CASE WHEN len({parts}) > 1 THEN {parts}[1] ELSE {col(column)} END"
    rest = (
        f"CASE WHEN len({parts}) > 1 THEN list_transform({parts}[2:], lambda x: 'Government of ' "
        f"|| x) ELSE []::VARCHAR[] END"
    )
    return first, rest


_A, _A_ALLIES = _side("side_a")
_B, _B_ALLIES = _side("side_b")
_VIOLENCE = col("type_of_violence")
_INT = "CASE WHEN regexp_full_match({0}, '[0-9]+') THEN try_cast({0} AS INTEGER) END"

SELECT = f"""
  {col("id")} AS source_id,
  {_date("date_start")} AS date_start,
  {_date("date_end")} AS date_end,
  CASE {col("date_prec")} WHEN '1' THEN 'day' WHEN '2' THEN 'week' WHEN '3' THEN 'week'
    WHEN '4' THEN 'month' WHEN '5' THEN 'year'
    ELSE CASE WHEN coalesce({_date("date_end")} - {_date("date_start")}, 0) = 0 THEN 'day'
              WHEN {_date("date_end")} - {_date("date_start")} <= 7 THEN 'week'
              WHEN {_date("date_end")} - {_date("date_start")} <= 31 THEN 'month'
              ELSE 'year' END END AS date_precision,
  CASE {_VIOLENCE} WHEN '1' THEN 'clash' WHEN '2' THEN 'clash' WHEN '3' THEN 'attack' END
    AS event_type,
  CASE {_VIOLENCE} WHEN '1' THEN 'state-based' WHEN '2' THEN 'non-state'
    WHEN '3' THEN 'one-sided' END AS source_event_type,
  {col("conflict_name")} AS source_sub_event_type,
  {_A} AS actor1_raw,
  {_B} AS actor2_raw,
  {_A_ALLIES} AS assoc1_raw,
  {_B_ALLIES} AS assoc2_raw,
  CASE WHEN {_VIOLENCE} = '3' THEN 'civilians' END AS target_hint,
  {col("country")} AS country_name,
  NULL::VARCHAR AS country_code,
  regexp_replace({col("adm_1")}, '\\s+province$', '') AS admin1,
  regexp_replace({col("adm_2")}, '\\s+district$', '') AS admin2,
  {col("where_coordinates")} AS location,
  try_cast({col("latitude")} AS DOUBLE) AS latitude,
  try_cast({col("longitude")} AS DOUBLE) AS longitude,
  {_INT.format(col("where_prec"))} AS geo_precision,
  {_INT.format(col("best"))} AS fatalities_best,
  coalesce({_INT.format(col("low"))}, {_INT.format(col("best"))}) AS fatalities_low,
  coalesce({_INT.format(col("high"))}, {_INT.format(col("best"))}) AS fatalities_high,
  coalesce({_INT.format(col("deaths_civilians"))},
           CASE WHEN {_VIOLENCE} = '3' THEN {_INT.format(col("best"))} END) AS civilian_deaths,
  {col("source_headline")} AS notes,
  NULL::VARCHAR AS source_url,
  {
    reasons(
        check(f"{col('id')} IS NULL", "'column id: empty'"),
        check(
            f"{col('id')} IS NOT NULL AND {whole_number(col('id'), 'BIGINT')} IS NULL",
            bad_value("id", "is not a whole number"),
        ),
        check(
            f"{_VIOLENCE} IS NULL OR {_VIOLENCE} NOT IN ('1', '2', '3')",
            "'column type_of_violence: ''' || coalesce(" + _VIOLENCE + ", '') || "
            "''' is not 1, 2 or 3'",
        ),
        check(f"{col('date_start')} IS NULL", "'column date_start: empty'"),
        _bad_date("date_start"),
        _bad_date("date_end"),
        check(
            f"{_date('date_end')} < {_date('date_start')}", "'column date_end: before date_start'"
        ),
        check(f"{col('side_a')} IS NULL", "'column side_a: empty'"),
        check(f"{col('side_b')} IS NULL", "'column side_b: empty'"),
        int_check("best", required=True),
        int_check("low"),
        int_check("high"),
        int_check("deaths_civilians"),
        coordinate_check("latitude", 90),
        coordinate_check("longitude", 180),
    )
} AS _reason
"""

SPEC = SourceSpec(
    name="ucdp",
    target="events",
    required=REQUIRED,
    optional=OPTIONAL,
    select=SELECT,
    version_of_name=ucdp_version,
    whole_years=is_annual_ged,
)
