"""How precisely a record places its event: one rule for every module.

A record's point is **precise** when it is the event's own place (within some km), not the
centre of a district, a province or a country that the source falls back on:

* UCDP GED ``where_prec`` 1 (exact) and 2 (within 25 km of a known point) are precise; 3
  (district only), 4 (province only) and 5-7 (coarser) are coarse.
* ACLED ``geo_precision`` 1 (the town) and 2 (near a town, or a part of a region) are precise; 3
  (a province or regional capital only) is coarse.
* Any other source (coded text, simulated runs, ...): precise unless it says it is coarser
  (precision 3 or more); a NULL precision there means the coder gave the point itself.

UCDP and ACLED always state their precision in a full download, so a NULL there means the
column was lost on the way (the public GED subsets in ``../shared/data`` are an example): the
point is **unstated**. The strict rule (:func:`precise_point_sql`, used to link records across
sources) does not call an unstated point precise; an analysis that would be emptied by that on
such files may use unstated points and say how many it used
(see :mod:`rivalscope.analysis.hotspots`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import ibis

if TYPE_CHECKING:
    import ibis.expr.types as ir

STATING_SOURCES: Final = ("ucdp", "acled")
"""Sources whose records always state their precision (NULL there: the column was lost)."""
PRECISE_MAX: Final = 2
"""The coarsest precision value that is still a precise point, on UCDP's and ACLED's scales."""
POINT_CLASSES: Final = ("precise", "unstated", "coarse", "unlocated")
"""What :func:`point_class` calls a record's point: precise, precise by the source's own
precision but unstated (UCDP or ACLED with NULL precision), coarse (precision 3 or more: a
district's, province's or country's centre) or unlocated (no coordinates)."""


def precise_point_sql(source: str, precision: str, latitude: str) -> str:
    """SQL true where a record's point is the event's own place (within some km), not a
    district's or province's centre: UCDP ``where_prec`` 1-2, ACLED ``geo_precision`` 1-2, and
    any other source's point unless it says it is coarser (precision 3 or more). Strict: a
    UCDP or ACLED point with no stated precision is not precise."""
    stating = "".join(
        f"WHEN '{name}' THEN coalesce({precision}, 9) <= {PRECISE_MAX} " for name in STATING_SOURCES
    )
    return (
        f"({latitude} IS NOT NULL AND CASE {source} {stating}"
        f"ELSE coalesce({precision}, 1) <= {PRECISE_MAX} END)"
    )


def point_class(t: ir.Table, stating: tuple[str, ...] = STATING_SOURCES) -> ir.StringValue:
    """An Ibis expression classing each record of ``t`` (columns ``source``, ``geo_precision``,
    ``latitude``, ``longitude``) as one of :data:`POINT_CLASSES`.

    ``precise`` is exactly what :func:`precise_point_sql` calls precise (with both coordinates
    known); ``unstated`` and ``precise`` together are what it would call precise if every source
    stated its precision. ``stating`` names the sources whose NULL precision is ``unstated``
    (a caller reading the fused view, whose ``source`` is ``fused``, may add it).
    """
    precision = t.geo_precision
    return ibis.cases(
        (t.latitude.isnull() | t.longitude.isnull(), "unlocated"),
        (precision > PRECISE_MAX, "coarse"),
        (precision.notnull(), "precise"),
        (t.source.isin(list(stating)), "unstated"),
        else_="precise",
    )


__all__ = ["POINT_CLASSES", "PRECISE_MAX", "STATING_SOURCES", "point_class", "precise_point_sql"]
