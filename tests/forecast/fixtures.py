"""Hand-made stores for the forecast tests: UCDP rows with known monthly counts per province,
and square province boundaries on a grid whose adjacency is known."""

from __future__ import annotations

import json
from pathlib import Path

import rivalscope as rs
from rivalscope.places import AFGHAN_PROVINCES
from tests.analysis.fixtures import UCDP_HEADER, ucdp_row

ROWS = [
    ucdp_row(1, 2, "IS", "Taleban", "2015-06-10", 1, "Nangarhar"),
    ucdp_row(2, 2, "IS", "Taleban", "2016-01-10", 2, "Nangarhar"),
    ucdp_row(3, 2, "Taleban", "IS", "2016-01-20", 3, "Nangarhar"),
    ucdp_row(4, 1, "Government of Afghanistan", "IS", "2016-02-15", 4, "Nangarhar"),
    ucdp_row(5, 3, "IS", "Civilians", "2016-02-02", 5, "Kunar"),
    ucdp_row(6, 2, "IS", "Taleban", "2016-03-05", 1, "Nangarhar"),
    ucdp_row(7, 3, "IS", "Civilians", "2016-03-03", 1, "Kabul"),
    ucdp_row(8, 3, "IS", "Civilians", "2016-03-13", 1, "Kabul"),
    ucdp_row(9, 3, "IS", "Civilians", "2016-03-23", 1, "Kabul"),
    ucdp_row(10, 2, "IS", "Taleban", "2016-06-01", 1, "Nangarhar"),
    ucdp_row(11, 1, "Government of Afghanistan", "Taleban", "2016-01-05", 2, "Helmand"),
    ucdp_row(12, 3, "IS", "Civilians", "2016-05-05", 2, ""),
    ucdp_row(13, 3, "Taleban", "Civilians", "2016-12-30", 2, "Kandahar"),
]
"""ISKP ("IS") in Nangarhar: 2015-06 1; 2016-01 2 (clashes with the Taliban); 2016-02 1 (with
the Republic, a state); 2016-03 1; 2016-06 1. Kunar 2016-02: 1 attack. Kabul 2016-03: 3
attacks. One ISKP attack (2016-05) has no province. Helmand 2016-01: Taliban vs the Republic.
Kandahar 2016-12: a Taliban attack (the store's latest event)."""

DEFECTIONS = (
    "date,from_actor,to_actor,person,role,fighters,admin1,notes\n"
    "2016-02-10,Taliban,ISKP,,commander,40,Nangarhar,\n"
)

CELLS = {"AF-KAB": (1, 1), "AF-NAN": (1, 2), "AF-KNR": (0, 2), "AF-LOG": (2, 1)}
"""Grid cells (row, col) of a few provinces; the others fill the remaining cells in code order."""
GRID_COLUMNS = 6


def grid_cells() -> dict[str, tuple[int, int]]:
    """A cell of a 6-column grid for each of the 34 provinces."""
    cells = dict(CELLS)
    free = [
        (row, col)
        for row in range(7)
        for col in range(GRID_COLUMNS)
        if (row, col) not in set(CELLS.values())
    ]
    others = sorted(p.code for p in AFGHAN_PROVINCES if p.code not in CELLS)
    cells.update(zip(others, free, strict=False))
    return cells


def grid_geojson(path: Path) -> Path:
    """Unit squares, one per province at its grid cell, far from any real coordinate."""
    names = {p.code: p.name for p in AFGHAN_PROVINCES}
    features = []
    for code, (row, col) in grid_cells().items():
        x, y = float(col), float(-row)
        ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"shapeName": names[code], "shapeGroup": "AFG"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def queen_neighbours() -> set[tuple[str, str]]:
    """Pairs of provinces whose grid cells share an edge or a corner."""
    cells = grid_cells()
    return {
        (a, b)
        for a, (ra, ca) in cells.items()
        for b, (rb, cb) in cells.items()
        if a != b and max(abs(ra - rb), abs(ca - cb)) == 1
    }


def hand_store(folder: Path, *, boundaries: bool = True, rows: list[str] | None = None) -> rs.Store:
    """An in-memory store with :data:`ROWS`, the defection and (optionally) the grid boundaries."""
    store = rs.open()
    if boundaries:
        store.load_boundaries(grid_geojson(folder / "grid.geojson"))
    ged = folder / "ged.csv"
    ged.write_text("\n".join([UCDP_HEADER, *(rows or ROWS)]) + "\n", encoding="utf-8")
    assert store.ingest_ucdp(ged).rows_quarantined == 0
    defections = folder / "defections.csv"
    defections.write_text(DEFECTIONS, encoding="utf-8")
    assert store.ingest_defections(defections).rows_quarantined == 0
    return store
