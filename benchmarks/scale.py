"""Benchmark: the dyad profile at scale, on DuckDB (memory-limited, spilling) and on Spark.

Usage::

    .venv/bin/python benchmarks/scale.py [--rows 100000000] [--workdir DIR]
        [--memory-limit 1GB] [--spark-master local[2]] [--spark-driver-memory 4g]

1. Generate ``--rows`` SYNTHETIC events as Parquet partitioned by country and year (the layout
   of ``rivalscope export --parquet``: ``events/country_iso3=AFG/year=2021/*.parquet``, plus the
   seeded registry and gazetteer tables), with one DuckDB ``COPY ... PARTITION_BY`` over
   ``range(N)`` (deterministic: every value is a hash of the row number). Ten countries; 40% of
   the events are in Afghanistan, between ten canonical actors, on 2015-2023, each on one of
   100 places per province within about 50 km of its centre (real sources geocode to named
   places: the UCDP GED rows for Afghanistan put 16,038 events on 4,170 points), as in
   ``benchmarks/profile.py``.
2. ``duckdb`` (own child process): load the Parquet into a DuckDB store file (``INSERT INTO
   events SELECT ... FROM read_parquet``), then ``rs.profile(store, "ISKP", "TALIBAN",
   country="AFG")`` with ``memory_limit`` set and ``temp_directory`` in the work directory, so
   DuckDB spills instead of needing the data in RAM. A thread samples DuckDB's own memory
   (``duckdb_memory()``) every 50 ms; the child's peak RSS is ``ru_maxrss``.
   The events' in-memory size is estimated as Arrow (a 100,000-row sample, scaled).
3. ``spark`` (own child process): the same profile on ``spark:MASTER?data=DIR`` (Spark reads the
   partitioned Parquet; the country filter prunes partitions). Peak RSS: the child plus its JVM,
   sampled every 200 ms.

Prints rows/s for each (events in the store / profile seconds), Spark's rate as a ratio of
DuckDB's (the baseline, same run), the peaks, and PASS/MISS on the goal: DuckDB's memory stays
under ``--memory-limit`` while the events (as Arrow, in memory) are larger than it. The
profiles must agree, or it stops with an error. It measures, it does not test: it exits 0 on a
MISS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# benchmarks/profile.py would shadow the standard library's `profile`, which PySpark imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

COUNTRIES = ("AFG", "AFG", "AFG", "AFG", "SYR", "IRQ", "SOM", "MLI", "NGA", "YEM")
ACTORS = (
    "TALIBAN",
    "ISKP",
    "AFG_REPUBLIC",
    "US",
    "HAQQANI",
    "TTP",
    "AQ",
    "NRF",
    "IS",
    "CIVILIANS",
)
TYPES = (
    "clash",
    "clash",
    "clash",
    "clash",
    "attack",
    "attack",
    "attack",
    "state_operation",
    "other",
)
SITES = 100
"""Geocoded places per Afghan province."""
TARGETS = {"clash": "group_personnel", "attack": "civilians", "state_operation": "state_security"}
SMALL_TABLES = (
    "defections",
    "displacement",
    "actors",
    "actor_aliases",
    "places",
    "place_aliases",
    "reviews",
    "ingest_batches",
    "quarantine",
)


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def generate(out: Path, rows: int, memory_limit: str) -> float:
    """Write the partitioned events and the small tables under ``out``; return seconds."""
    import rivalscope as rs

    started = time.perf_counter()
    out.mkdir(parents=True)
    with rs.open() as store:
        con = store.con
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{out.parent / 'duckdb-tmp'}'")
        con.execute("SET preserve_insertion_order = false")
        for table in SMALL_TABLES:
            con.execute(f"COPY {table} TO '{out / table}.parquet' (FORMAT parquet)")
        con.execute(
            """CREATE TEMP TABLE prov AS SELECT row_number() OVER (ORDER BY code) - 1 AS k,
               code, latitude, longitude FROM places
               WHERE country_iso3 = 'AFG' AND level = 1 AND latitude IS NOT NULL"""
        )
        provinces = con.execute("SELECT count(*) FROM prov").fetchone()[0]  # type: ignore[index]
        targets = "CASE et " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TARGETS.items())
        con.execute(
            f"""COPY (
            SELECT 'bench:' || i AS event_id, 'bench' AS source, CAST(i AS VARCHAR) AS source_id,
              'bench-0' AS batch_id, d AS date_start, d AS date_end, 'day' AS date_precision,
              et AS event_type, NULL::VARCHAR AS source_event_type,
              NULL::VARCHAR AS source_sub_event_type, a1 AS actor1, a2 AS actor2,
              a1 AS actor1_raw, a2 AS actor2_raw, []::VARCHAR[] AS assoc_actors,
              []::VARCHAR[] AS assoc_actors2, {targets} ELSE 'unknown' END AS target_type,
              c AS country_iso3, CASE WHEN c = 'AFG' THEN p.code END AS admin1_code,
              NULL::VARCHAR AS admin1, NULL::VARCHAR AS admin2, NULL::VARCHAR AS location,
              CASE WHEN c = 'AFG' THEN p.latitude - 0.45 + hash(p.k, h4 % {SITES}, 5) % 901 / 1000
                END AS latitude,
              CASE WHEN c = 'AFG' THEN p.longitude - 0.55 + hash(p.k, h4 % {SITES}, 6) % 1101 / 1000
                END AS longitude,
              1 AS geo_precision, CAST(h2 % 7 AS INTEGER) AS fatalities_best,
              CAST(h2 % 7 AS INTEGER) AS fatalities_low, CAST(h2 % 9 AS INTEGER)
              AS fatalities_high, NULL::INTEGER AS civilian_deaths, NULL::VARCHAR AS notes,
              NULL::VARCHAR AS source_url, NULL::VARCHAR AS row_hash, year(d) AS year
            FROM (
              SELECT i, h2, h3, h4,
                {_sql_list(COUNTRIES)}[1 + CAST(h1 % {len(COUNTRIES)} AS INTEGER)] AS c,
                {_sql_list(TYPES)}[1 + CAST(h2 % {len(TYPES)} AS INTEGER)] AS et,
                {_sql_list(ACTORS)}[1 + CAST(h3 % 3 AS INTEGER)] AS a1,
                {_sql_list(ACTORS)}[1 + CAST(h4 % {len(ACTORS)} AS INTEGER)] AS a2,
                DATE '2015-01-01' + CAST(h1 % 3287 AS INTEGER) AS d
              FROM (SELECT i, hash(i, 1) AS h1, hash(i, 2) AS h2, hash(i, 3) AS h3,
                           hash(i, 4) AS h4 FROM range({rows}) r(i))
            ) x JOIN prov p ON p.k = x.h3 % {provinces}
            ) TO '{out / "events"}' (FORMAT parquet, PARTITION_BY (country_iso3, year))"""
        )
    return time.perf_counter() - started


def _profile_json(store: Any) -> str:
    import rivalscope as rs

    profile = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
    return json.dumps(profile.to_dict(), sort_keys=True, default=str)


def run_duckdb(data: Path, work: Path, memory_limit: str) -> dict[str, Any]:
    """Load the Parquet into a DuckDB store file and profile it under ``memory_limit``."""
    import rivalscope as rs
    from rivalscope.schema import EVENT_COLUMN_NAMES

    path = work / "scale.duckdb"
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    with rs.open(path) as store:
        store.con.execute(f"SET memory_limit = '{memory_limit}'")
        store.con.execute(f"SET temp_directory = '{work / 'duckdb-tmp'}'")
        store.con.execute("SET preserve_insertion_order = false")
        store.con.execute(
            f"INSERT INTO events SELECT {', '.join(EVENT_COLUMN_NAMES)} FROM read_parquet("
            f"'{data / 'events'}/**/*.parquet', hive_partitioning = true)"
        )
        store.con.execute("CHECKPOINT")
    load = time.perf_counter() - started
    store = rs.open(path, read_only=True)
    store.con.execute(f"SET memory_limit = '{memory_limit}'")
    store.con.execute(f"SET temp_directory = '{work / 'duckdb-tmp'}'")
    rows = store.con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    peak = [0]
    done = threading.Event()
    probe = store.con.cursor()

    def sample() -> None:
        while not done.is_set():
            used = probe.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
            peak[0] = max(peak[0], int(used[0] or 0) if used else 0)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    answer = _profile_json(store)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    sample_rows = min(rows, 100_000)
    sample = store.con.execute(f"SELECT * FROM events LIMIT {sample_rows}").to_arrow_table()
    store.close()
    return {
        "rows": rows,
        "load_s": load,
        "profile_s": seconds,
        "duckdb_peak_bytes": peak[0],
        "memory_limit": limit,
        "store_bytes": path.stat().st_size,
        "arrow_bytes": sample.nbytes * rows / max(sample_rows, 1),
        "rss_peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "answer": answer,
    }


def run_spark(data: Path, master: str, driver_memory: str) -> dict[str, Any]:
    """Profile the partitioned Parquet as Spark jobs; sample this process and its JVM."""
    import psutil

    import rivalscope as rs

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    peak = [0]
    done = threading.Event()
    me = psutil.Process()

    def sample() -> None:
        while not done.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            peak[0] = max(peak[0], total)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conf = {
        "spark.driver.memory": driver_memory,
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
    }
    started = time.perf_counter()
    store = rs.open(f"spark:{master}?data={data}", spark_conf=conf)
    store.session.sparkContext.setLogLevel("ERROR")  # type: ignore[attr-defined]
    opened = time.perf_counter() - started
    rows = store.table("events").count().to_pyarrow().as_py()
    started = time.perf_counter()
    answer = _profile_json(store)
    seconds = time.perf_counter() - started
    store.close()
    done.set()
    sampler.join()
    return {
        "rows": rows,
        "open_s": opened,
        "profile_s": seconds,
        "rss_peak_bytes": peak[0],
        "answer": answer,
    }


def _child(part: str, args: argparse.Namespace, data: Path, work: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--part",
        part,
        "--data",
        str(data),
        "--workdir",
        str(work),
        "--memory-limit",
        args.memory_limit,
        "--spark-master",
        args.spark_master,
        "--spark-driver-memory",
        args.spark_driver_memory,
    ]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _gb(value: float) -> str:
    return f"{value / 2**30:.2f} GiB"


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def _limit_bytes(text: str) -> int:
    """A DuckDB memory setting in bytes, read as DuckDB reads it: KB/MB/GB/TB are powers of
    1000 and KiB/MiB/GiB/TiB powers of 1024 (DuckDB shows the setting rounded to 0.1 MiB, too
    coarse to compare a peak with)."""
    number = text.strip().rstrip("BbIi").rstrip()
    digits = number.rstrip("KMGTkmgt ")
    prefix = number[len(digits) :].strip().upper()
    base = 1024 if text.strip().lower().endswith("ib") else 1000
    power = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}[prefix]
    return int(float(digits) * base**power)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's memory_limit")
    parser.add_argument("--generate-memory", default="4GB", help="DuckDB limit for generating")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--spark-driver-memory", default="4g")
    parser.add_argument("--part", choices=("duckdb", "spark"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "duckdb":
        print(json.dumps(run_duckdb(args.data, args.workdir, args.memory_limit)))
        return
    if args.part == "spark":
        print(json.dumps(run_spark(args.data, args.spark_master, args.spark_driver_memory)))
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="rivalscope-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"export-{args.rows}"
    if not (data / "events").exists():
        shutil.rmtree(data, ignore_errors=True)
        print(f"generating {args.rows:,} SYNTHETIC events as partitioned Parquet ...", flush=True)
        seconds = generate(data, args.rows, args.generate_memory)
        print(f"  generated in {seconds:.1f} s (not timed below)", flush=True)
    parquet = sum(p.stat().st_size for p in (data / "events").rglob("*.parquet"))
    print(
        f"  Parquet: {_gb(parquet)} in {sum(1 for _ in (data / 'events').rglob('*.parquet'))} files"
    )

    print("duckdb: load into a store file, profile with memory_limit ...", flush=True)
    duck = _child("duckdb", args, data, work)
    print("spark: profile the Parquet as Spark jobs ...", flush=True)
    spark = _child("spark", args, data, work)
    if duck["answer"] != spark["answer"]:
        raise SystemExit("the DuckDB and Spark profiles differ: a backend is wrong")

    parts = {
        name: {k: v for k, v in part.items() if k != "answer"}
        for name, part in (("duckdb", duck), ("spark", spark))
    }
    (work / "scale-result.json").write_text(json.dumps(parts, indent=1) + "\n")
    duck_rate = duck["rows"] / duck["profile_s"]
    spark_rate = spark["rows"] / spark["profile_s"]
    limit = _limit_bytes(args.memory_limit)
    print()
    print(f"events: {duck['rows']:,} (SYNTHETIC); profiles agree: yes")
    print(
        f"DuckDB  ({duck['memory_limit']} memory_limit): load {duck['load_s']:.1f} s, "
        f"profile {duck['profile_s']:.2f} s = {duck_rate:,.0f} rows/s; "
        f"DuckDB memory peak {_gb(duck['duckdb_peak_bytes'])}, process RSS peak "
        f"{_gb(duck['rss_peak_bytes'])}; store file {_gb(duck['store_bytes'])}"
    )
    print(
        f"Spark   ({args.spark_master}, driver {args.spark_driver_memory}): session "
        f"{spark['open_s']:.1f} s, profile {spark['profile_s']:.2f} s = {spark_rate:,.0f} rows/s;"
        f" RSS peak (Python + JVM) {_gb(spark['rss_peak_bytes'])}"
    )
    print(f"ratio Spark/DuckDB rows/s: {spark_rate / duck_rate:.3f} (baseline: DuckDB, this run)")
    under = duck["duckdb_peak_bytes"] <= limit
    bigger = duck["arrow_bytes"] > limit
    verdict = "PASS" if under and bigger else "MISS"
    print(
        f"{verdict}: DuckDB's memory peak {duck['duckdb_peak_bytes']:,} bytes "
        f"{'<=' if under else '>'} its limit {limit:,} bytes ({args.memory_limit}), while the "
        "events take "
        f"{_mib(duck['arrow_bytes'])} in memory as Arrow ({_mib(duck['store_bytes'])} "
        f"compressed in the store file): {'larger' if bigger else 'NOT larger'} than the limit"
    )


if __name__ == "__main__":
    main()
