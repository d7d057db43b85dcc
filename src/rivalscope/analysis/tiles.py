"""Tile-grid maps: one equal square per province, placed roughly where the province lies.

A tile grid needs no polygons, so the spread of a rivalry can be drawn before any boundaries
are loaded. Afghanistan has a hand-made layout; other countries get one computed from the
provinces' centres.
"""

from __future__ import annotations

import math
from typing import Final

import pyarrow as pa

AFGHANISTAN: Final[dict[str, tuple[int, int]]] = {
    "AF-FYB": (0, 1),
    "AF-JOW": (0, 2),
    "AF-BAL": (0, 3),
    "AF-KDZ": (0, 4),
    "AF-TAK": (0, 5),
    "AF-BDS": (0, 6),
    "AF-BDG": (1, 1),
    "AF-SAR": (1, 2),
    "AF-SAM": (1, 3),
    "AF-BGL": (1, 4),
    "AF-PAN": (1, 5),
    "AF-NUR": (1, 6),
    "AF-HER": (2, 0),
    "AF-GHO": (2, 1),
    "AF-DAY": (2, 2),
    "AF-BAM": (2, 3),
    "AF-PAR": (2, 4),
    "AF-KAP": (2, 5),
    "AF-LAG": (2, 6),
    "AF-KNR": (2, 7),
    "AF-FRA": (3, 0),
    "AF-URU": (3, 2),
    "AF-GHA": (3, 3),
    "AF-WAR": (3, 4),
    "AF-KAB": (3, 5),
    "AF-NAN": (3, 6),
    "AF-NIM": (4, 0),
    "AF-HEL": (4, 1),
    "AF-KAN": (4, 2),
    "AF-ZAB": (4, 3),
    "AF-PKA": (4, 4),
    "AF-LOG": (4, 5),
    "AF-PIA": (4, 6),
    "AF-KHO": (4, 7),
}
"""Afghanistan's 34 provinces as (row, col): row 0 is the north, col 0 the west."""


def tile_layout(provinces: pa.Table) -> dict[str, tuple[int, int]]:
    """A (row, col) cell for every province, each cell used once.

    Afghan provinces get the hand-made :data:`AFGHANISTAN` layout. Any other set is laid out
    from its centres: each province asks for the cell its latitude and longitude scale to on a
    grid of about twice as many cells as provinces, and takes the nearest free cell; provinces
    without coordinates go in an extra row below, sorted by code.

    Args:
        provinces: a table with a ``code`` column and, optionally, ``latitude`` and
            ``longitude``.
    """
    codes = [str(c) for c in provinces.column("code").to_pylist()]
    if all(code in AFGHANISTAN for code in codes):
        return {code: AFGHANISTAN[code] for code in codes}
    names = provinces.column_names
    lats = provinces.column("latitude").to_pylist() if "latitude" in names else [None] * len(codes)
    lons = (
        provinces.column("longitude").to_pylist() if "longitude" in names else [None] * len(codes)
    )
    placed = {
        code: (float(lat), float(lon))
        for code, lat, lon in zip(codes, lats, lons, strict=True)
        if lat is not None and lon is not None
    }
    layout = _from_centres(placed)
    extra_row = max((row for row, _ in layout.values()), default=-1) + 1
    unplaced = sorted(code for code in set(codes) if code not in placed)
    layout.update({code: (extra_row, col) for col, code in enumerate(unplaced)})
    return layout


def _from_centres(centres: dict[str, tuple[float, float]]) -> dict[str, tuple[int, int]]:
    if not centres:
        return {}
    lats = [lat for lat, _ in centres.values()]
    lons = [lon for _, lon in centres.values()]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    height = north - south
    width = (east - west) * math.cos(math.radians((north + south) / 2))
    cells = 2 * len(centres)
    if height <= 0 and width <= 0:
        rows = cols = math.ceil(math.sqrt(cells))
    else:
        aspect = max(width, 1e-9) / max(height, 1e-9)
        rows = max(1, round(math.sqrt(cells / aspect)))
        cols = max(1, math.ceil(cells / rows))

    def wanted(lat: float, lon: float) -> tuple[float, float]:
        row = (north - lat) / height * (rows - 1) if height > 0 else (rows - 1) / 2
        col = (lon - west) / (east - west) * (cols - 1) if east > west else (cols - 1) / 2
        return row, col

    targets = {code: wanted(lat, lon) for code, (lat, lon) in centres.items()}
    taken: set[tuple[int, int]] = set()
    layout: dict[str, tuple[int, int]] = {}
    for code in sorted(targets, key=lambda c: (round(targets[c][0]), round(targets[c][1]), c)):
        row, col = targets[code]
        cell = min(
            ((r, c) for r in range(rows) for c in range(cols) if (r, c) not in taken),
            key=lambda rc: ((rc[0] - row) ** 2 + (rc[1] - col) ** 2, rc),
        )
        taken.add(cell)
        layout[code] = cell
    top = min(r for r, _ in layout.values())
    left = min(c for _, c in layout.values())
    return {code: (r - top, c - left) for code, (r, c) in layout.items()}
