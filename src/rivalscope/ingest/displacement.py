"""Displacement in Rivalscope's CSV schema: newly displaced people per province and month.

============ ========= ====================================================================
column       required  meaning
============ ========= ====================================================================
admin1       yes       province name or ISO 3166-2 code (``Nangarhar`` or ``AF-NAN``)
month        yes       ``YYYY-MM`` (or a ``YYYY-MM-DD`` day in that month)
idps         yes       people newly displaced in that province that month (whole number)
country      no        country name or ISO code, when ``admin1`` is a name shared by countries
============ ========= ====================================================================

One row per province and month: a repeated (province, month) is quarantined, and so is a
province name the gazetteer does not know.
"""

from __future__ import annotations

from rivalscope.ingest.checks import SourceSpec, bad_value, check, col, int_check, reasons

REQUIRED = ("admin1", "month", "idps")
OPTIONAL = ("country",)

_MONTH = (
    f"date_trunc('month', coalesce(try_strptime({col('month')}, '%Y-%m'), "
    f"try_strptime({col('month')}, '%Y-%m-%d')))::DATE"
)

SELECT = f"""
  {_MONTH} AS month,
  try_cast({col("idps")} AS BIGINT) AS idps,
  {col("country")} AS country_name,
  CASE WHEN {col("admin1")} SIMILAR TO '[A-Za-z]{{2}}-[A-Za-z0-9]{{1,3}}'
       THEN upper(split_part({col("admin1")}, '-', 1)) END AS country_code,
  {col("admin1")} AS admin1,
  {
    reasons(
        check(f"{col('admin1')} IS NULL", "'column admin1: empty'"),
        check(f"{col('month')} IS NULL", "'column month: empty'"),
        check(
            f"{col('month')} IS NOT NULL AND {_MONTH} IS NULL",
            bad_value("month", "is not a YYYY-MM month"),
        ),
        int_check("idps", required=True),
    )
} AS _reason
"""

SPEC = SourceSpec(
    name="displacement", target="displacement", required=REQUIRED, optional=OPTIONAL, select=SELECT
)
