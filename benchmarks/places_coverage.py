"""Benchmark: how many real UCDP GED events get a province, by name and by coordinates.

Usage::

    .venv/bin/python benchmarks/places_coverage.py --boundaries ADMIN1.geojson
        [--ged ../shared/data/ucdp_ged211_world_precise.csv]

The world file (176,579 real events, precise locations, every country) has coordinates and an
empty ``adm_1``, so its events are placed by coordinates only, against the admin-1 layer given
(a world file: Natural Earth's 10m admin-1, GADM level 1, or geoBoundaries ADM1 files; see
docs/data-sources.md). The baseline is the same ingest without the layer. Goal (issue "Who is
who and where is where"): >= 97% of the events with coordinates get a province with a world
layer. Prints PASS or MISS; exits 0 either way (it measures, it does not test).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import rivalscope as rs

GOAL = 0.97
ROOT = Path(__file__).resolve().parents[1]


def placed(store: rs.Store) -> tuple[int, int]:
    """(events with coordinates, those with a province code), counted by the store."""
    row = store.query(
        "SELECT count(*) AS n, count(admin1_code) AS placed FROM events "
        "WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
    ).to_pylist()[0]
    return int(row["n"]), int(row["placed"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--boundaries", type=Path, required=True, help="admin-1 GeoJSON")
    parser.add_argument(
        "--ged", type=Path, default=ROOT.parent / "shared/data/ucdp_ged211_world_precise.csv"
    )
    args = parser.parse_args(argv)
    raw = pd.read_csv(args.ged, usecols=["id", "latitude", "longitude"], dtype=str)
    with_points = int((raw.latitude.notna() & raw.longitude.notna()).sum())
    with tempfile.TemporaryDirectory(prefix="rivalscope-places-") as folder:
        store = rs.open(Path(folder) / "world.duckdb")
        started = time.perf_counter()
        result = store.ingest_ucdp(args.ged)
        n, before = placed(store)
        loaded = store.load_boundaries(args.boundaries)
        n_after, after = placed(store)
        seconds = time.perf_counter() - started
        store.close()
    assert n == n_after == with_points == result.rows_stored, (n, with_points, result)
    print(f"{args.ged.name}: {n:,} events with coordinates (pandas counts {with_points:,})")
    print(f"  without a layer (names only):  {before:,} placed ({before / n:.2%})")
    print(
        f"  with {args.boundaries.name} ({loaded['provinces']:,} provinces): "
        f"{after:,} placed ({after / n:.2%}); {seconds:.1f} s in all"
    )
    share = after / n
    print(
        f"\nResults\n  placed with a world layer = {share:.2%}   goal >= {GOAL:.0%}   "
        f"{'PASS' if share >= GOAL else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
