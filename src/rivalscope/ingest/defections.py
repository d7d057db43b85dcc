"""Defection records in Rivalscope's own CSV schema.

Columns (header names; order free):

============== ========= =================================================================
column         required  meaning
============== ========= =================================================================
date           yes       ``YYYY-MM-DD``, the day the defection was made or announced
from_actor     yes       the group left (id or any alias: ``Taliban``, ``TALIBAN``)
to_actor       yes       the group joined (``ISKP``, ``ISIS-K``, ``Daesh``, ...)
defection_id   no        your own id; when absent, a hash of the row's content
person         no        the person's name (sensitive: pseudonymized on export when asked)
role           no        ``commander``, ``fighter``, ``shadow governor``, ...
fighters       no        how many fighters came over with them (whole number)
country        no        country name or ISO code (default: none)
admin1         no        province name or ISO 3166-2 code (``Nangarhar`` or ``AF-NAN``)
admin2         no        district
source         no        where the record comes from (a report, a URL)
notes          no        free text
============== ========= =================================================================
"""

from __future__ import annotations

from rivalscope.ingest.checks import SourceSpec, bad_value, check, col, int_check, reasons

REQUIRED = ("date", "from_actor", "to_actor")
OPTIONAL = (
    "defection_id",
    "person",
    "role",
    "fighters",
    "country",
    "admin1",
    "admin2",
    "source",
    "notes",
)

_DATE = f"try_cast({col('date')} AS DATE)"

SELECT = f"""
  {col("defection_id")} AS source_id,
  {_DATE} AS date,
  {col("person")} AS person,
  {col("role")} AS role,
  try_cast({col("fighters")} AS INTEGER) AS fighters,
  {col("from_actor")} AS from_raw,
  {col("to_actor")} AS to_raw,
  {col("country")} AS country_name,
  CASE WHEN {col("admin1")} SIMILAR TO '[A-Za-z]{{2}}-[A-Za-z0-9]{{1,3}}'
       THEN upper(split_part({col("admin1")}, '-', 1)) END AS country_code,
  {col("admin1")} AS admin1,
  {col("admin2")} AS admin2,
  {col("source")} AS source_name,
  {col("notes")} AS notes,
  {
    reasons(
        check(f"{col('date')} IS NULL", "'column date: empty'"),
        check(
            f"{col('date')} IS NOT NULL AND {_DATE} IS NULL",
            bad_value("date", "is not a valid YYYY-MM-DD date"),
        ),
        check(f"{col('from_actor')} IS NULL", "'column from_actor: empty'"),
        check(f"{col('to_actor')} IS NULL", "'column to_actor: empty'"),
        int_check("fighters"),
    )
} AS _reason
"""

SPEC = SourceSpec(
    name="defections", target="defections", required=REQUIRED, optional=OPTIONAL, select=SELECT
)
