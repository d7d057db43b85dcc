"""Benchmark: ingest of a 1,000,000-row UCDP GED CSV, against two baselines.

Usage::

    .venv/bin/python benchmarks/ingest.py [--rows N] [--workdir DIR] [--repeat K]
                                          [--pandas-rows N]

The CSV is SYNTHETIC (:func:`rivalscope.synth.write_ged`); writing it is not timed. Three parts
are timed, each in its own child process (so each peak RSS is that part's own) and each into a
fresh DuckDB *file*:

* ``plain``: DuckDB's ``CREATE TABLE t AS SELECT * FROM read_csv(path)``; no mapping at all.
* ``ours``: ``rs.open(db).ingest_ucdp(path)`` then ``close()`` (opening the store, which creates
  the schema and seeds the registry, is timed apart and not counted).
* ``pandas``: a straightforward pandas implementation: ``pandas.read_csv``, a row-wise Python
  mapping onto the canonical ``events`` schema (dict look-ups of actor aliases and provinces,
  date parsing, number and coordinate checks, duplicate ids, quarantine), then one
  ``INSERT INTO events SELECT * FROM df``.

Goals (from the issue): ours / plain <= 2.0, pandas / ours >= 5, peak RSS of ours < 1.5 GB.
The script prints PASS or MISS for each and exits 0 even on a MISS: it measures, it does not
test (a part that fails, or stores the wrong number of rows, stops it with an error).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PARTS = ("plain", "ours", "pandas")
RESULT_PREFIX = "BENCH-RESULT "
GOAL_PLAIN_RATIO = 2.0
GOAL_PANDAS_RATIO = 5.0
GOAL_RSS_BYTES = 1.5e9
DEFAULT_PANDAS_ROWS = 1_000_000
"""Rows the pandas baseline maps by default (capped at ``--rows``).

Measured on the 2-core development machine: about 7 s per 100,000 rows (read, map, insert), so
a full million takes about 70 s and the whole benchmark about 2 minutes: no need to extrapolate
by default. ``--pandas-rows`` takes a smaller sample and scales its time linearly."""


def peak_rss_bytes() -> int:
    """This process's peak resident set size (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def emit(result: dict[str, Any]) -> None:
    """Hand a child's measurements to the parent as one JSON line on stdout."""
    result["peak_rss_bytes"] = peak_rss_bytes()
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --- Part 1: DuckDB's plain read_csv ------------------------------------------------------------
def part_plain(csv_path: Path, db_path: Path) -> None:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv_path)])
    rows = con.execute("SELECT count(*) FROM t").fetchone()
    con.close()
    seconds = time.perf_counter() - started
    emit({"seconds": seconds, "rows": rows[0] if rows else 0})


# --- Part 2: ours -------------------------------------------------------------------------------
def part_ours(csv_path: Path, db_path: Path) -> None:
    import rivalscope as rs

    started = time.perf_counter()
    store = rs.open(db_path)
    opened = time.perf_counter()
    memory_limit, threads = store.con.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone() or (None, None)
    steps: dict[str, float] = {}
    ingest_started = time.perf_counter()

    def on_step(name: str) -> None:
        steps[name] = time.perf_counter() - ingest_started

    result = store.ingest_ucdp(csv_path, on_step=on_step)
    ingested = time.perf_counter()
    store.close()
    closed = time.perf_counter()
    emit(
        {
            "seconds": closed - opened,
            "open_seconds": opened - started,
            "ingest_seconds": ingested - opened,
            "close_seconds": closed - ingested,
            "step_starts": steps,
            "result": result.to_dict(),
            "rows": result.rows_stored,
            "memory_limit": memory_limit,
            "threads": threads,
        }
    )


# --- Part 3: a straightforward pandas implementation --------------------------------------------
_UCDP_COLUMNS = [
    "id",
    "type_of_violence",
    "conflict_name",
    "side_a",
    "side_b",
    "source_headline",
    "where_prec",
    "where_coordinates",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "country",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_civilians",
    "best",
    "high",
    "low",
]
_EVENT_TYPE = {"1": "clash", "2": "clash", "3": "attack"}
_SOURCE_EVENT_TYPE = {"1": "state-based", "2": "non-state", "3": "one-sided"}
_DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}


class PandasIngest:
    """Row-by-row mapping of UCDP GED rows onto the ``events`` table, with dict look-ups."""

    def __init__(self, batch_id: str) -> None:
        from rivalscope.actors import alias_key, builtin_registry
        from rivalscope.places import AFGHAN_PROVINCES

        self.batch_id = batch_id
        self.alias_key = alias_key
        registry = builtin_registry()
        self.actor_kind = {a.actor_id: a.kind for a in registry.actors.values()}
        self.actor_country = {a.actor_id: a.country_iso3 for a in registry.actors.values()}
        self.aliases: dict[str, list[Any]] = {}
        for alias in registry.aliases:
            self.aliases.setdefault(alias_key(alias.alias), []).append(alias)
        for candidates in self.aliases.values():
            # Country-specific spellings first, then the latest validity, then by id.
            candidates.sort(
                key=lambda a: (
                    a.country_iso3 is None,
                    -(a.valid_from or dt.date.min).toordinal(),
                    a.actor_id,
                )
            )
        self.provinces: dict[str, str] = {}
        for province in AFGHAN_PROVINCES:
            for name in (province.name, *province.aliases):
                self.provinces[name.lower()] = province.code
        self.seen_ids: set[str] = set()

    def actor(self, name: str | None, iso3: str | None, day: dt.date | None) -> tuple[Any, Any]:
        """(actor id, alias kind) of a raw actor name; an unknown name gets a slug id."""
        if name is None:
            return None, None
        key = self.alias_key(name)
        if key.startswith("civilians ("):
            key = "civilians"
        for alias in self.aliases.get(key, ()):
            if alias.country_iso3 is not None and alias.country_iso3 != iso3:
                continue
            if alias.valid_from is not None and (day is None or day < alias.valid_from):
                continue
            if alias.valid_to is not None and (day is None or day >= alias.valid_to):
                continue
            return alias.actor_id, alias.kind
        return re.sub(r"[^A-Z0-9]+", "_", key.upper()).strip("_") or "ACTOR", None

    def target_type(self, actor2: str | None, kind2: str | None, iso3: str | None) -> str:
        if actor2 is None:
            return "unknown"
        kind = kind2 or self.actor_kind.get(actor2)
        if kind == "civilians":
            return "civilians"
        if kind == "international":
            return "foreign"
        if kind == "state":
            country = self.actor_country.get(actor2)
            return "foreign" if country is not None and country != iso3 else "state_security"
        if kind == "armed_group":
            return "group_personnel"
        return "unknown"

    def map_row(self, row: Any) -> tuple[tuple[Any, ...] | None, str | None]:
        """One CSV row (all text) -> (events row, None) or (None, reason)."""
        from rivalscope.places import country_iso3

        problems: list[str] = []

        def text(value: str) -> str | None:
            value = value.strip()
            return value or None

        def whole(column: str, value: str | None, *, required: bool = False) -> int | None:
            if value is None:
                if required:
                    problems.append(f"column {column}: empty")
                return None
            try:
                number = int(value)
            except ValueError:
                number = -1
            if number < 0:
                problems.append(f"column {column}: '{value}' is not a non-negative whole number")
                return None
            return number

        def date(column: str, value: str | None) -> dt.date | None:
            if value is None:
                return None
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                problems.append(f"column {column}: '{value}' is not a valid YYYY-MM-DD date")
                return None

        def coordinate(column: str, value: str | None, limit: int) -> float | None:
            if value is None:
                return None
            try:
                number = float(value)
            except ValueError:
                number = float("inf")
            if not abs(number) <= limit:
                problems.append(
                    f"column {column}: '{value}' is not a number from -{limit} to {limit}"
                )
                return None
            return number

        source_id = text(row.id)
        if source_id is None:
            problems.append("column id: empty")
        elif not source_id.isdigit():
            problems.append(f"column id: '{source_id}' is not a whole number")
        violence = text(row.type_of_violence)
        if violence not in _EVENT_TYPE:
            problems.append(f"column type_of_violence: '{violence or ''}' is not 1, 2 or 3")
        raw_start = text(row.date_start)
        if raw_start is None:
            problems.append("column date_start: empty")
        date_start = date("date_start", raw_start)
        date_end = date("date_end", text(row.date_end))
        if date_start and date_end and date_end < date_start:
            problems.append("column date_end: before date_start")
        side_a = text(row.side_a)
        side_b = text(row.side_b)
        if side_a is None:
            problems.append("column side_a: empty")
        if side_b is None:
            problems.append("column side_b: empty")
        best = whole("best", text(row.best), required=True)
        low = whole("low", text(row.low))
        high = whole("high", text(row.high))
        civilians = whole("deaths_civilians", text(row.deaths_civilians))
        latitude = coordinate("latitude", text(row.latitude), 90)
        longitude = coordinate("longitude", text(row.longitude), 180)
        if source_id is not None and not problems:
            if source_id in self.seen_ids:
                problems.append(f"duplicate event_id ucdp:{source_id}")
            self.seen_ids.add(source_id)
        if problems:
            return None, "; ".join(problems)

        iso3 = country_iso3(text(row.country))
        actor1_raw, assoc1_raw = _split_side(side_a)
        actor2_raw, assoc2_raw = _split_side(side_b)
        actor1, _ = self.actor(actor1_raw, iso3, date_start)
        actor2, kind2 = self.actor(actor2_raw, iso3, date_start)
        assoc1 = [self.actor(name, iso3, date_start)[0] for name in assoc1_raw]
        assoc2 = [self.actor(name, iso3, date_start)[0] for name in assoc2_raw]
        admin1 = text(row.adm_1)
        if admin1 is not None and admin1.lower().endswith(" province"):
            admin1 = admin1[: -len(" province")].strip()
        admin1_code = self.provinces.get(admin1.lower()) if admin1 and iso3 == "AFG" else None
        admin2 = text(row.adm_2)
        if admin2 is not None and admin2.lower().endswith(" district"):
            admin2 = admin2[: -len(" district")].strip()
        precision = _DATE_PRECISION.get(text(row.date_prec) or "")
        if precision is None:
            span = (date_end - date_start).days if date_end and date_start else 0
            precision = "day" if span == 0 else "week" if span <= 7 else "month"
            precision = precision if span <= 31 else "year"
        where_prec = text(row.where_prec)
        values = (
            f"ucdp:{source_id}",
            "ucdp",
            source_id,
            self.batch_id,
            date_start,
            date_end or date_start,
            precision,
            _EVENT_TYPE[violence or ""],
            _SOURCE_EVENT_TYPE[violence or ""],
            text(row.conflict_name),
            actor1,
            actor2,
            actor1_raw,
            actor2_raw,
            assoc1,
            assoc2,
            "civilians" if violence == "3" else self.target_type(actor2, kind2, iso3),
            iso3,
            admin1_code,
            admin1,
            admin2,
            text(row.where_coordinates),
            latitude,
            longitude,
            int(where_prec) if where_prec and where_prec.isdigit() else None,
            best,
            best if low is None else low,
            best if high is None else high,
            best if civilians is None and violence == "3" else civilians,
            text(row.source_headline),
            None,
        )
        fingerprint = hashlib.md5(
            "\x1f".join("\x00" if v is None else str(v) for v in values[:3] + values[4:]).encode()
        ).hexdigest()
        return (*values, fingerprint), None


def _split_side(side: str | None) -> tuple[str | None, list[str]]:
    """(primary actor, allies) of a UCDP side that may list several governments."""
    if side is None:
        return None, []
    parts = side.split(", Government of ")
    return parts[0], [f"Government of {p}" for p in parts[1:]]


def part_pandas(csv_path: Path, db_path: Path, nrows: int) -> None:
    import duckdb
    import pandas as pd

    from rivalscope.schema import EVENT_COLUMN_NAMES, MIGRATIONS

    started = time.perf_counter()
    frame = pd.read_csv(
        csv_path, dtype=str, keep_default_na=False, usecols=_UCDP_COLUMNS, nrows=nrows
    )
    read = time.perf_counter()
    job = PandasIngest(f"pandas-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}")
    good: list[tuple[Any, ...]] = []
    bad: list[tuple[Any, ...]] = []
    for number, row in enumerate(frame.itertuples(index=False), start=1):
        mapped, reason = job.map_row(row)
        if mapped is not None:
            good.append(mapped)
        else:
            bad.append((job.batch_id, number, json.dumps(row._asdict()), reason))
    events = pd.DataFrame(good, columns=list(EVENT_COLUMN_NAMES))
    quarantine = pd.DataFrame(bad, columns=["batch_id", "row_number", "raw", "reason"])
    mapped_at = time.perf_counter()
    con = duckdb.connect(str(db_path))
    for statement in MIGRATIONS[0]:
        if statement.startswith(("CREATE TABLE events", "CREATE TABLE quarantine")):
            con.execute(statement)
    con.register("events_df", events)
    con.register("quarantine_df", quarantine)
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO events SELECT * FROM events_df")
    con.execute("INSERT INTO quarantine SELECT * FROM quarantine_df")
    con.execute("COMMIT")
    stored = con.execute("SELECT count(*) FROM events").fetchone()
    con.close()
    finished = time.perf_counter()
    emit(
        {
            "seconds": finished - started,
            "read_seconds": read - started,
            "map_seconds": mapped_at - read,
            "insert_seconds": finished - mapped_at,
            "rows": stored[0] if stored else 0,
            "rows_read": len(frame),
            "rows_quarantined": len(bad),
        }
    )


# --- Parent: generate, run the parts, report ----------------------------------------------------
def run_part(part: str, csv_path: Path, db_path: Path, nrows: int) -> dict[str, Any]:
    """Run one part in a fresh Python process and return what it measured."""
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--part", part, "--csv", str(csv_path)]
    command += ["--db", str(db_path), "--rows", str(nrows)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            result["db_bytes"] = db_path.stat().st_size if db_path.exists() else 0
            return result
    raise SystemExit(
        f"part {part} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}".rstrip()
    )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def mb(size: float) -> str:
    return f"{size / 1e6:,.0f} MB"


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["seconds"])


def times(runs: list[dict[str, Any]]) -> str:
    if len(runs) == 1:
        return ""
    return " (runs: " + ", ".join(f"{r['seconds']:.2f}" for r in runs) + "; best shown)"


def benchmark(rows: int, workdir: Path, repeat: int, pandas_rows: int) -> None:
    csv_path = workdir / f"ged_{rows}.csv"
    wall = time.perf_counter()
    print(f"rivalscope ingest benchmark: {rows:,} rows, {repeat} run(s) of each part")
    print(f"  python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), workdir {workdir}")
    print(f"  load average at start: {load()} (other work on the machine skews the times)")
    started = time.perf_counter()
    from rivalscope.synth import write_ged

    write_ged(csv_path, rows)
    size = csv_path.stat().st_size
    print(
        f"  CSV (SYNTHETIC, rivalscope.synth.write_ged, not timed): {csv_path.name}, "
        f"{mb(size)}, written in {time.perf_counter() - started:.1f} s"
    )

    results: dict[str, list[dict[str, Any]]] = {part: [] for part in PARTS}
    for _ in range(repeat):
        for part in PARTS:
            nrows = pandas_rows if part == "pandas" else rows
            results[part].append(run_part(part, csv_path, workdir / f"{part}.duckdb", nrows))
    plain, ours, pandas = (best_of(results[part]) for part in PARTS)
    assert ours["result"]["rows_stored"] == rows, ours["result"]
    assert plain["rows"] == rows, plain
    assert pandas["rows"] == pandas_rows, pandas

    print()
    print("DuckDB settings in our store (nothing set by the benchmark): ", end="")
    print(f"memory_limit = {ours['memory_limit']}, threads = {ours['threads']}")
    print()
    print("plain   DuckDB CREATE TABLE t AS SELECT * FROM read_csv(path), into a file DB")
    print(f"        {plain['seconds']:8.2f} s{times(results['plain'])}")
    print(f"        peak RSS {mb(plain['peak_rss_bytes'])}, database {mb(plain['db_bytes'])}")
    steps = ours["step_starts"]
    marks = [*steps.items(), ("end", ours["ingest_seconds"])]
    split = ", ".join(
        f"{name} {end - start:.1f}" for (name, start), (_, end) in itertools.pairwise(marks)
    )
    print("ours    rs.open(db).ingest_ucdp(path) + close(), into a file DB")
    print(f"        {ours['seconds']:8.2f} s{times(results['ours'])}")
    print(f"        steps (s): {split}; close {ours['close_seconds']:.1f}")
    opened = ours["open_seconds"]
    print(f"        (rs.open, which creates and seeds the store, {opened:.2f} s: not counted)")
    print(f"        {ours['result']}")
    print(f"        peak RSS {mb(ours['peak_rss_bytes'])}, database {mb(ours['db_bytes'])}")
    pandas_seconds = pandas["seconds"]
    print("pandas  read_csv + row-wise mapping (itertuples, dict look-ups) + INSERT from DataFrame")
    print(f"        {pandas_seconds:8.2f} s for {pandas_rows:,} rows{times(results['pandas'])}")
    print(
        f"        read {pandas['read_seconds']:.1f}, map {pandas['map_seconds']:.1f}, "
        f"insert {pandas['insert_seconds']:.1f} s; peak RSS {mb(pandas['peak_rss_bytes'])}"
    )
    if pandas_rows < rows:
        pandas_seconds *= rows / pandas_rows
        print(
            f"        EXTRAPOLATED linearly from {pandas_rows:,} to {rows:,} rows: "
            f"{pandas_seconds:.2f} s"
        )

    plain_ratio = ours["seconds"] / plain["seconds"]
    pandas_ratio = pandas_seconds / ours["seconds"]
    rss = ours["peak_rss_bytes"]
    print()
    print("Results")
    print(
        f"  ours / DuckDB read_csv  = {plain_ratio:6.2f}   goal <= {GOAL_PLAIN_RATIO:.1f}   "
        f"{verdict(plain_ratio <= GOAL_PLAIN_RATIO)}"
    )
    extrapolated = " (pandas time extrapolated)" if pandas_rows < rows else ""
    print(
        f"  pandas / ours           = {pandas_ratio:6.2f}   goal >= {GOAL_PANDAS_RATIO:.1f}   "
        f"{verdict(pandas_ratio >= GOAL_PANDAS_RATIO)}{extrapolated}"
    )
    print(
        f"  peak RSS of ours        = {rss / 1e9:6.2f} GB   goal <  {GOAL_RSS_BYTES / 1e9:.1f} GB "
        f"{verdict(rss < GOAL_RSS_BYTES)}"
    )
    print(f"  whole benchmark: {time.perf_counter() - wall:.0f} s; load average at end: {load()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument(
        "--workdir", type=Path, help="keep the CSV and databases here (default: a temp dir)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each part (best is shown)")
    parser.add_argument(
        "--pandas-rows",
        type=int,
        help="rows the pandas baseline maps; fewer than --rows scales its time linearly "
        f"(default: min(--rows, {DEFAULT_PANDAS_ROWS:,}))",
    )
    parser.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.part is not None:
        if args.part == "plain":
            part_plain(args.csv, args.db)
        elif args.part == "ours":
            part_ours(args.csv, args.db)
        else:
            part_pandas(args.csv, args.db, args.rows)
        return 0

    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    pandas_rows = min(args.rows, args.pandas_rows or DEFAULT_PANDAS_ROWS)
    if pandas_rows < 1:
        parser.error("--pandas-rows must be at least 1")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        benchmark(args.rows, args.workdir, args.repeat, pandas_rows)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="rivalscope-bench-"))
        try:
            benchmark(args.rows, workdir, args.repeat, pandas_rows)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
