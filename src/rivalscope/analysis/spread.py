"""Where the two fought: the provinces with a clash between them, overall and per phase, as a
table, a tile-grid map and (when boundaries are loaded) a choropleth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from rivalscope.analysis.context import Dyad
from rivalscope.analysis.tiles import tile_layout
from rivalscope.places import country_name

PROVINCES_SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("name", pa.string()),
        ("first_clash", pa.date32()),
        ("last_clash", pa.date32()),
        ("clashes", pa.int64()),
        ("deaths", pa.int64()),
    ]
)
BY_PHASE_SCHEMA = pa.schema(
    [
        ("phase", pa.string()),
        ("start", pa.date32()),
        ("end", pa.date32()),
        ("provinces_clashed", pa.int64()),
        ("share", pa.float64()),
        ("clashes", pa.int64()),
    ]
)
TILES_SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("name", pa.string()),
        ("row", pa.int64()),
        ("col", pa.int64()),
        ("clashes", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Spread:
    """How far the rivalry reached.

    Attributes:
        summary: two sentences for an analyst.
        provinces: the provinces with at least one clash between the two: ``code``, ``name``,
            ``first_clash``, ``last_clash``, ``clashes``, ``deaths`` (best estimates, unknown
            as 0); most clashes first, then by code. Clashes without a known province are left
            out (the summary counts them).
        provinces_clashed: how many provinces saw a clash.
        provinces_total: the first-level provinces of the dyad's country; without a country,
            those of every country where the two clashed.
        share: ``provinces_clashed / provinces_total`` (0 when there are no provinces).
        by_phase: per phase of the dyad, in order: ``phase``, ``start``, ``end`` (exclusive,
            null: open), ``provinces_clashed``, ``share``, ``clashes``.
        tiles: every province of those counted in ``provinces_total`` with its tile-grid cell
            (``row`` 0 is the north, ``col`` 0 the west) and its ``clashes`` (0 when none).
        geojson: a GeoJSON FeatureCollection of the provinces that have a boundary, with
            properties ``code``, ``name``, ``clashes``; None when no boundary is loaded.
    """

    summary: str
    provinces: pa.Table
    provinces_clashed: int
    provinces_total: int
    share: float
    by_phase: pa.Table
    tiles: pa.Table
    geojson: dict[str, Any] | None


def compute(dyad: Dyad) -> Spread:
    """The spread of the clashes of ``dyad``."""
    c = dyad.clashes()
    located = c.filter(c.admin1_code.notnull())
    per_province = (
        located.group_by(code=located.admin1_code)
        .aggregate(
            fallback_name=located.admin1.max(),
            first_clash=located.date_start.min(),
            last_clash=located.date_start.max(),
            clashes=located.count(),
            deaths=located.fatalities_best.fill_null(0).cast("int64").sum(),
        )
        .to_pyarrow()
        .to_pylist()
    )
    clashes = int(c.count().to_pyarrow().as_py())
    if dyad.country:
        countries = [dyad.country]
    else:
        found = c.select("country_iso3").distinct().to_pyarrow().column(0).to_pylist()
        countries = sorted(x for x in found if x)
    places = _places(dyad, countries)
    names = dict(
        zip(places.column("code").to_pylist(), places.column("name").to_pylist(), strict=True)
    )

    per_province.sort(key=lambda row: (-row["clashes"], row["code"]))
    provinces = pa.Table.from_pylist(
        [
            {**row, "name": names.get(row["code"]) or row["fallback_name"] or row["code"]}
            for row in per_province
        ],
        schema=PROVINCES_SCHEMA,
    )
    clashed = provinces.num_rows
    total = places.num_rows
    share = clashed / total if total else 0.0
    counts = {row["code"]: int(row["clashes"]) for row in per_province}
    return Spread(
        summary=_summary(dyad, provinces, clashes, countries, total, share),
        provinces=provinces,
        provinces_clashed=clashed,
        provinces_total=total,
        share=share,
        by_phase=_by_phase(dyad, total),
        tiles=_tiles(places, counts),
        geojson=_geojson(places, counts),
    )


def _places(dyad: Dyad, countries: list[str]) -> pa.Table:
    p = dyad.store.table("places")
    return (
        p.filter((p.level == 1) & p.country_iso3.isin(countries))
        .select("code", "name", "country_iso3", "latitude", "longitude", "geometry")
        .order_by("code")
        .to_pyarrow()
    )


def _by_phase(dyad: Dyad, total: int) -> pa.Table:
    if not dyad.phases:
        return BY_PHASE_SCHEMA.empty_table()
    c = dyad.clashes()
    c = c.mutate(phase=dyad.phase_of(c.date_start))
    found = {
        row["phase"]: row
        for row in c.group_by("phase")
        .aggregate(provinces=c.admin1_code.nunique(), clashes=c.count())
        .to_pyarrow()
        .to_pylist()
    }
    rows = []
    for phase in dyad.phases:
        row = found.get(phase.name, {"provinces": 0, "clashes": 0})
        clashed = int(row["provinces"])
        rows.append(
            {
                "phase": phase.name,
                "start": phase.start,
                "end": phase.end,
                "provinces_clashed": clashed,
                "share": clashed / total if total else 0.0,
                "clashes": int(row["clashes"]),
            }
        )
    return pa.Table.from_pylist(rows, schema=BY_PHASE_SCHEMA)


def _tiles(places: pa.Table, counts: dict[str, int]) -> pa.Table:
    layout = tile_layout(places)
    rows = [
        {
            "code": code,
            "name": name,
            "row": layout[code][0],
            "col": layout[code][1],
            "clashes": counts.get(code, 0),
        }
        for code, name in zip(
            places.column("code").to_pylist(), places.column("name").to_pylist(), strict=True
        )
    ]
    rows.sort(key=lambda row: (row["row"], row["col"]))
    return pa.Table.from_pylist(rows, schema=TILES_SCHEMA)


def _geojson(places: pa.Table, counts: dict[str, int]) -> dict[str, Any] | None:
    shaped = [row for row in places.to_pylist() if row["geometry"] is not None]
    if not shaped:
        return None
    import shapely
    from shapely.geometry import mapping

    shapes = shapely.from_wkb([row["geometry"] for row in shaped])
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": mapping(shape),
                "properties": {
                    "code": row["code"],
                    "name": row["name"],
                    "clashes": counts.get(row["code"], 0),
                },
            }
            for row, shape in zip(shaped, shapes, strict=True)
        ],
    }


def _summary(
    dyad: Dyad,
    provinces: pa.Table,
    clashes: int,
    countries: list[str],
    total: int,
    share: float,
) -> str:
    a, r = dyad.name(dyad.actor), dyad.name(dyad.rival)
    named = " and ".join(country_name(c) for c in countries)
    if clashes == 0:
        where = f"{named}'s {total} provinces" if countries else "the map"
        return (
            f"{a} and {r} are not recorded clashing anywhere in the window. "
            f"None of {where} can be marked."
        )
    if provinces.num_rows == 0:
        return (
            f"{a} and {r} clashed {clashes:,} times in the window, but no clash has a known "
            f"province. Load boundaries or check the source's admin1 names to place them."
        )
    scope = (
        f"{named}'s {total} provinces"
        if len(countries) == 1
        else f"the {total} provinces of {named}"
    )
    top = provinces.slice(0, 1).to_pylist()[0]
    unplaced = clashes - sum(provinces.column("clashes").to_pylist())
    verb = "has" if unplaced == 1 else "have"
    note = f" ({unplaced:,} more {verb} no known province)" if unplaced else ""
    lead = "saw most of it" if top["clashes"] * 2 > clashes else "saw the most"
    return (
        f"{a} and {r} clashed in {provinces.num_rows} of {scope} ({share:.0%}). "
        f"{top['name']} {lead}: {top['clashes']:,} of {clashes:,} clashes{note}."
    )
