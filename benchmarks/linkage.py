"""Benchmark: linking UCDP and ACLED records of one event, against the truth and a baseline.

Usage::

    .venv/bin/python benchmarks/linkage.py [--events N] [--seed S] [--sweep] [--workdir DIR]

A SYNTHETIC world (:func:`rivalscope.synth_world.generate_world`: one set of true events,
reported by a UCDP GED layout file and an ACLED layout file with documented noise, and a truth
file naming each record's true event) is ingested into an in-memory store, which links the
records across sources with its default settings as it ingests.

Measured pairwise: a *true pair* is a (UCDP record, ACLED record) pair reporting the same true
event; a *predicted pair* is a (UCDP, ACLED) pair in one cluster of
:func:`rivalscope.fusion.links`. Precision, recall and F1 are printed for

* ``linker``: Rivalscope's linker with its defaults, and
* ``baseline``: every (UCDP, ACLED) pair on the same day, within 10 km (haversine) and sharing
  an actor (canonical ``actor1``/``actor2`` ids), computed here with DuckDB SQL over
  ``store.events(source=...)`` of each source,

and the ratio of their F1 scores (linker / baseline). ``--sweep`` relinks the store with
``LinkSettings(days=d, km=k)`` for days in 0-3 and km in 10, 25, 50 and prints P/R/F1 for each,
so the defaults can be justified by measurement.

The linker matches records one to one per pair of sources, so an event that ACLED split into two
records can have only one of its two true pairs predicted: the recall such a linker can reach is
printed as the "one-to-one ceiling". The script measures, it does not test: it exits 0 whatever
the figures.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

import rivalscope as rs
from rivalscope import fusion
from rivalscope.synth_world import WorldFiles, generate_world

BASELINE_KM = 10.0
SWEEP_DAYS = (0, 1, 2, 3)
SWEEP_KM = (10.0, 25.0, 50.0)

_HAVERSINE_KM = """2 * 6371.0 * asin(sqrt(
    pow(sin(radians(a.latitude - u.latitude) / 2), 2)
    + cos(radians(u.latitude)) * cos(radians(a.latitude))
      * pow(sin(radians(a.longitude - u.longitude) / 2), 2)))"""

_BASELINE = f"""
SELECT DISTINCT u.event_id AS ucdp, a.event_id AS acled
FROM events AS u JOIN events AS a
  ON u.source = 'ucdp' AND a.source = 'acled' AND u.date_start = a.date_start
WHERE u.latitude IS NOT NULL AND a.latitude IS NOT NULL
  AND {_HAVERSINE_KM} <= ?
  AND (u.actor1 IN (a.actor1, a.actor2) OR u.actor2 IN (a.actor1, a.actor2))
"""

_TRUE_PAIRS = """
SELECT DISTINCT 'ucdp:' || u.source_id AS ucdp, 'acled:' || a.source_id AS acled
FROM truth AS u JOIN truth AS a
  ON u.truth_id = a.truth_id AND u.source = 'ucdp' AND a.source = 'acled'
"""

_PREDICTED_PAIRS = """
SELECT DISTINCT u.event_id AS ucdp, a.event_id AS acled
FROM links AS u JOIN links AS a
  ON u.cluster_id = a.cluster_id AND u.source = 'ucdp' AND a.source = 'acled'
"""


@dataclass(frozen=True)
class Score:
    """Pairwise precision, recall and F1 of a set of predicted pairs."""

    predicted: int
    correct: int
    true: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return (
            f"P {self.precision:6.2%}  R {self.recall:6.2%}  F1 {self.f1:6.2%}  "
            f"({self.correct:,} of {self.predicted:,} predicted pairs right)"
        )


class Judge:
    """Scores predicted pairs against the world's true pairs (one DuckDB connection)."""

    def __init__(self, truth_csv: Path) -> None:
        self.con = duckdb.connect()
        self.con.execute(
            "CREATE TABLE truth AS SELECT * FROM read_csv(?, header = true, "
            "columns = {'truth_id': 'BIGINT', 'source': 'VARCHAR', 'source_id': 'VARCHAR'})",
            [str(truth_csv)],
        )
        self.con.execute(f"CREATE TABLE true_pairs AS {_TRUE_PAIRS}")
        self.true = self._count("SELECT count(*) FROM true_pairs")
        self.ceiling = self._count(
            "SELECT count(DISTINCT u.truth_id) FROM truth AS u JOIN truth AS a "
            "ON u.truth_id = a.truth_id AND u.source = 'ucdp' AND a.source = 'acled'"
        )

    def _count(self, sql: str) -> int:
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row else 0

    def score(
        self, pairs_sql: str, params: list[object] | None = None, **tables: pa.Table
    ) -> Score:
        """Score the pairs ``pairs_sql`` selects (columns ``ucdp``, ``acled``) from ``tables``."""
        for name, table in tables.items():
            self.con.register(name, table)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE predicted AS {pairs_sql}", params)
        finally:
            for name in tables:
                self.con.unregister(name)
        return Score(
            predicted=self._count("SELECT count(*) FROM predicted"),
            correct=self._count(
                "SELECT count(*) FROM predicted JOIN true_pairs USING (ucdp, acled)"
            ),
            true=self.true,
        )

    def linker(self, store: rs.Store) -> Score:
        """Score the store's current links."""
        return self.score(_PREDICTED_PAIRS, links=fusion.links(store))

    def baseline(self, events: pa.Table) -> Score:
        """Score the baseline over the store's events."""
        return self.score(_BASELINE, [BASELINE_KM], events=events)


def sweep(store: rs.Store, judge: Judge) -> None:
    """Relink with each (days, km) and print a table of P/R/F1."""
    defaults = fusion.LinkSettings()
    print()
    print("Sweep: fusion.link(store, settings=LinkSettings(days=d, km=k)); defaults marked *")
    print(f"  {'days':>4} {'km':>5}   {'precision':>9} {'recall':>7} {'F1':>7}   {'pairs':>7}  s")
    best: tuple[float, int, float] | None = None
    for days in SWEEP_DAYS:
        for km in SWEEP_KM:
            started = time.perf_counter()
            fusion.link(store, settings=fusion.LinkSettings(days=days, km=km))
            seconds = time.perf_counter() - started
            s = judge.linker(store)
            mark = "*" if (days, km) == (defaults.days, defaults.km) else " "
            print(
                f" {mark}{days:>4} {km:>5.0f}   {s.precision:9.2%} {s.recall:7.2%} {s.f1:7.2%}"
                f"   {s.predicted:7,}  {seconds:.1f}"
            )
            if best is None or s.f1 > best[0]:
                best = (s.f1, days, km)
    if best is not None:
        print(f"  best F1 {best[0]:.2%} at days={best[1]}, km={best[2]:.0f}")
    fusion.link(store, settings=defaults)


def benchmark(events: int, seed: int, workdir: Path, do_sweep: bool) -> None:
    wall = time.perf_counter()
    print(f"rivalscope linkage benchmark: a SYNTHETIC world of {events:,} events, seed {seed}")
    started = time.perf_counter()
    files: WorldFiles = generate_world(workdir, events, seed=seed)
    print(
        f"  world written in {time.perf_counter() - started:.2f} s: "
        f"{files.ged_rows:,} UCDP records, {files.acled_rows:,} ACLED records"
    )
    store = rs.open(":memory:")
    started = time.perf_counter()
    for source, path in (("ucdp", files.ged_csv), ("acled", files.acled_csv)):
        result = store.ingest(source, path)
        if result.rows_quarantined or result.rows_stored != result.rows_read:
            raise SystemExit(f"{source} ingest was not clean: {result}")
    print(
        f"  both ingested (and linked with the defaults) in {time.perf_counter() - started:.1f} s"
    )
    judge = Judge(files.truth_csv)
    print(
        f"  true pairs: {judge.true:,} (one-to-one ceiling on recall: "
        f"{judge.ceiling / judge.true if judge.true else 0:.2%}: ACLED split some events in two)"
    )

    defaults = fusion.LinkSettings()
    linker = judge.linker(store)
    started = time.perf_counter()
    baseline = judge.baseline(
        pa.concat_tables([store.events(source="ucdp"), store.events(source="acled")])
    )
    baseline_seconds = time.perf_counter() - started
    print()
    print(f"linker    rivalscope.fusion, defaults days={defaults.days}, km={defaults.km:.0f}")
    print(f"          {linker.line()}")
    print(f"baseline  same day, within {BASELINE_KM:.0f} km, sharing an actor (all such pairs)")
    print(f"          {baseline.line()}  [{baseline_seconds:.2f} s]")

    if do_sweep:
        sweep(store, judge)
    store.close()

    ratio = linker.f1 / baseline.f1 if baseline.f1 else float("inf")
    print()
    print("Results")
    print(f"  F1 linker / F1 baseline = {ratio:6.2f}   ({linker.f1:.2%} / {baseline.f1:.2%})")
    print(f"  whole benchmark: {time.perf_counter() - wall:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="true events in the world")
    parser.add_argument("--seed", type=int, default=2015, help="seed of the world")
    parser.add_argument("--sweep", action="store_true", help="relink over days x km and print")
    parser.add_argument(
        "--workdir", type=Path, help="keep the world's files here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        benchmark(args.events, args.seed, args.workdir, args.sweep)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="rivalscope-linkage-"))
        try:
            benchmark(args.events, args.seed, workdir, args.sweep)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
