"""Benchmark: exact hotspots (DBSCAN on the distinct points) against the snapped approximation.

Usage::

    .venv/bin/python benchmarks/hotspots.py [--file PATH] [--snap-km KM] [--repeat N]

Reads the REAL UCDP GED 21.1 world file (``../shared/data/ucdp_ged211_world_precise.csv``:
176,579 events with a precise location, 1989-2020) into a temporary DuckDB store, then times,
best of ``--repeat`` runs each:

* ``dyad``: :func:`rivalscope.analysis.hotspots.compute` for the two actors with the most
  one-sided attacks in the file (the Islamic State and the Government of Syria, every country),
  exact (``snap_km=0``, the default) and snapped (``snap_km``, default 1 km: the old default of
  a tenth of ``eps_km``), with the default ``eps_km=10`` and ``min_events=5``;
* ``all points``: the clustering step alone (:func:`~rivalscope.analysis.hotspots.dbscan_labels`
  against :func:`~rivalscope.analysis.hotspots.snapped_labels`) on every located event of the
  file taken as one side, the densest input the file gives;
* ``dense``: the clustering step alone on ``--dense`` (default 190,000; 0 to skip) SYNTHETIC
  points, all distinct to 4 decimals, spread exponentially (mean 15 km) around 34 random
  centres in Afghanistan's latitude and longitude range: what a dense record of precise
  coordinates (a full ACLED country file) can look like. Timed once (about half a minute).

For each it prints the seconds, the ratio exact / snapped and how far the snapped result is from
the exact one (clusters, noise events). The script measures, it does not test: it exits 0
whatever the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

import rivalscope as rs
from rivalscope.analysis import hotspots
from rivalscope.analysis.context import Dyad

ROOT = Path(__file__).resolve().parents[1]
WORLD = ROOT.parent / "shared" / "data" / "ucdp_ged211_world_precise.csv"
T = TypeVar("T")


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The fastest of ``repeat`` runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=WORLD)
    parser.add_argument("--snap-km", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dense", type=int, default=190_000)
    args = parser.parse_args(argv)
    if not args.file.exists():
        print(f"{args.file} is not here (the real data lives beside the project, in ../shared)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = rs.open(str(Path(tmp) / "world.duckdb"))
        start = time.perf_counter()
        store.ingest_ucdp(args.file)
        print(f"ingest {args.file.name}: {time.perf_counter() - start:.1f} s")

        dyad = Dyad.of(store, "IS", "Government of Syria", phases=())
        exact_s, exact = best_of(args.repeat, lambda: hotspots.compute(dyad))
        snap_s, snapped = best_of(args.repeat, lambda: hotspots.compute(dyad, snap_km=args.snap_km))
        attacks = sum(exact.used["events"].to_pylist())
        print(
            f"dyad {dyad.name(dyad.actor)} / {dyad.name(dyad.rival)}: {attacks} attacks, "
            f"{exact.points.num_rows} distinct points"
        )
        print(
            f"  exact {exact_s:.3f} s, snapped ({args.snap_km:g} km) {snap_s:.3f} s, "
            f"exact / snapped = {exact_s / snap_s:.2f}"
        )
        print(
            f"  clusters {exact.clusters.num_rows} exact, {snapped.clusters.num_rows} snapped; "
            f"noise {exact.noise['events'].to_pylist()} exact, "
            f"{snapped.noise['events'].to_pylist()} snapped"
        )

        t = store.table("events")
        t = t.filter(t.latitude.notnull(), t.longitude.notnull())
        located = t.select(lat=t.latitude.cast("float64"), lon=t.longitude.cast("float64"))
        table = located.to_pyarrow()
        lat = table["lat"].to_numpy()
        lon = table["lon"].to_numpy()
        distinct = len(np.unique(np.column_stack([lat, lon]), axis=0))
        exact_s, labels = best_of(args.repeat, lambda: hotspots.dbscan_labels(lat, lon, 10.0, 5))
        snap_s, approx = best_of(
            args.repeat,
            lambda: hotspots.snapped_labels(lat, lon, 10.0, 5, args.snap_km),
        )
        store.close()
    print(f"all points: {lat.size} located events, {distinct} distinct points")
    _clustering(args.snap_km, exact_s, labels, snap_s, approx)
    if args.dense > 0:
        rng = np.random.default_rng(1)
        centres = np.column_stack([rng.uniform(30, 38, 34), rng.uniform(61, 71, 34)])
        at = centres[rng.integers(0, 34, args.dense)]
        away = rng.exponential(15.0, args.dense) / hotspots.KM_PER_DEGREE
        bearing = rng.uniform(0, 2 * np.pi, args.dense)
        lat = np.round(at[:, 0] + away * np.cos(bearing), 4)
        lon = np.round(at[:, 1] + away * np.sin(bearing), 4)
        distinct = len(np.unique(np.column_stack([lat, lon]), axis=0))
        exact_s, labels = best_of(1, lambda: hotspots.dbscan_labels(lat, lon, 10.0, 5))
        snap_s, approx = best_of(
            1, lambda: hotspots.snapped_labels(lat, lon, 10.0, 5, args.snap_km)
        )
        print(f"dense (SYNTHETIC): {lat.size} points, {distinct} distinct")
        _clustering(args.snap_km, exact_s, labels, snap_s, approx)
    return 0


def _clustering(
    snap_km: float, exact_s: float, labels: np.ndarray, snap_s: float, approx: np.ndarray
) -> None:
    print(
        f"  exact {exact_s:.3f} s, snapped ({snap_km:g} km) {snap_s:.3f} s, "
        f"exact / snapped = {exact_s / snap_s:.2f}"
    )
    print(
        f"  clusters {len(set(labels.tolist()) - {-1})} exact, "
        f"{len(set(approx.tolist()) - {-1})} snapped; noise {int(np.sum(labels == -1))} exact, "
        f"{int(np.sum(approx == -1))} snapped"
    )


if __name__ == "__main__":
    sys.exit(main())
