"""Benchmark: `rivalscope serve` under 20 concurrent clients on a 1,000,000-event store.

Usage::

    .venv/bin/python benchmarks/serve.py [--events N] [--clients C] [--seconds S]
                                         [--workdir DIR] [--port P]

The store is SYNTHETIC: ``rivalscope.synth.generate`` writes 60% of the events as UCDP GED rows
and 40% as ACLED rows, and both files go through the real ingest (not timed; with ``--workdir``
the store is kept and reused by the next run with the same settings). The server is started as
users start it (``python -m rivalscope.cli serve``) on loopback, in its own process.

What is measured:

* **In process, the baseline** (the same library calls on the same kind of in-memory snapshot
  the server reads from, no HTTP, one caller): the whole profile
  ``rs.profile(store, "ISKP", "TALIBAN")`` once (cold), and the server's own page function
  (:func:`rivalscope.server.queries.events_page`) for every page the clients will ask for, plus
  JSON encoding, one after another.
* **The server, cold**: the first ``GET /api/profile/ISKP/TALIBAN`` (it computes every section).
* **The server, under load**: C clients (asyncio, one keep-alive connection each, a minimal
  HTTP/1.1 client so that the load generator, on the same CPUs, takes little) for S seconds,
  each alternating ``GET /api/profile/ISKP/TALIBAN`` with the next page of ``GET /api/events``
  (each client walks its own filter's pages by cursor, 100 events a page, and starts over after
  20 pages, so a page is computed once per snapshot and later served from the server's cache:
  the cache hit share is printed).

* **The dashboard**: C clients open the dashboard pages of the home page's dyads one after
  another, as browsers do (the home page, the dyad summary, the timeline and hotspots
  sections, the first page of events, the defections), and one defection is written half way
  (the cache is cleared). Latencies are split into cache hits and misses (computed for that
  request). A server that warms its cache is given the time to warm first (printed).

Printed: p50, p95, p99 latency and requests/s per endpoint and overall, beside the in-process
figures, and their ratio (server p50 / in-process p50: the server's overhead, queueing under
C clients included). Goals (from the issues): p95 < 100 ms under load; on the dashboard,
p95 < 100 ms and p99 < 500 ms, misses included. It prints PASS or MISS and
exits 0 either way: it measures, it does not test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_P95_MS = 100.0
GOAL_P99_MS = 500.0
ACTOR, RIVAL = "ISKP", "TALIBAN"
PAGES_PER_WALK = 20
PAGE = 100
FILTERS: tuple[dict[str, str], ...] = (
    {},
    {"actor": "ISKP"},
    {"actor": "ISKP", "rival": "TALIBAN"},
    {"type": "attack", "since": "2019-01-01"},
    {"admin1": "Nangarhar"},
    {"actor": "TALIBAN", "type": "clash"},
    {"source": "acled", "country": "AFG"},
    {"actor": "ISKP", "since": "2021-08-15"},
    {"type": "state_operation"},
    {"admin1": "AF-KAB", "until": "2020-12-31"},
)
"""One per client, in turn: the filters of ``rivalscope events`` analysts use."""


def build_store(workdir: Path, events: int) -> Path:
    """The SYNTHETIC store (kept in ``workdir`` and reused when its marker matches)."""
    import rivalscope as rs
    from rivalscope.synth import generate

    db = workdir / f"serve-{events}.duckdb"
    marker = workdir / f"serve-{events}.done"
    if db.exists() and marker.exists():
        return db
    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    ged, acled = int(events * 0.6), events - int(events * 0.6)
    files = generate(workdir / "synth", seed=2015, ged_rows=ged, acled_rows=acled)
    with rs.open(db) as store:
        store.ingest_ucdp(files.ged_csv)
        store.ingest_acled(files.acled_csv)
        count = store.info()["events"]
    shutil.rmtree(workdir / "synth", ignore_errors=True)
    marker.write_text(str(count), encoding="utf-8")
    print(f"built {db} ({count:,} events) in {time.perf_counter() - started:.0f} s (not timed)")
    return db


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def in_process(db: Path, clients: int) -> dict[str, Any]:
    """The same work without HTTP, on the same kind of snapshot the server reads from: the
    cold profile and every page the clients walk (each filter compiled once, as the server
    does)."""
    import rivalscope as rs
    from rivalscope.server import queries
    from rivalscope.server.security import json_bytes
    from rivalscope.server.state import StoreState

    started = time.perf_counter()
    state = StoreState(db, refresh_seconds=3600)
    state.poll()
    snapshot_seconds = time.perf_counter() - started
    try:
        with state.reader() as reader:
            store = reader.store
            started = time.perf_counter()
            rs.profile(store, ACTOR, RIVAL)
            profile_seconds = time.perf_counter() - started
            page_ms: list[float] = []
            for index in range(min(clients, len(FILTERS))):
                params = dict(FILTERS[index])
                filters = queries.EventFilters(
                    actor=params.get("actor"),
                    rival=params.get("rival"),
                    event_type=params.get("type"),
                    admin1=params.get("admin1"),
                    since=_date(params.get("since")),
                    until=_date(params.get("until")),
                    source=params.get("source"),
                    country=params.get("country"),
                )
                cursor = None
                query = None
                for _ in range(PAGES_PER_WALK):
                    started = time.perf_counter()
                    if query is None:
                        query = queries.EventsQuery.of(store, filters)
                    page, cursor = queries.events_page(store, query, cursor=cursor, limit=PAGE)
                    json_bytes({"events": queries.rows(page), "next_cursor": cursor})
                    page_ms.append((time.perf_counter() - started) * 1000)
                    if cursor is None:
                        break
    finally:
        state.stop()
    return {
        "snapshot_seconds": snapshot_seconds,
        "profile_seconds": profile_seconds,
        "page_ms": page_ms,
    }


def _date(text: str | None) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(text) if text else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TOKEN = "benchmark-token-0123456789abcdef"


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    import httpx

    token = log.parent / "serve-token.txt"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    token.chmod(0o600)
    command = [
        *(sys.executable, "-m", "rivalscope.cli", "serve", "--db", str(db)),
        *("--token-file", str(token)),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/info", timeout=5).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("the server did not start in 10 minutes")


class Connection:
    """One keep-alive HTTP/1.1 connection (a minimal client: GET, Content-Length bodies), so the
    load generator costs the shared CPUs little and the figures are the server's."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n"
        self.writer.write(request.encode())
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {}
        for header in head[1:]:
            name, _, value = header.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers["content-length"]))
        if status >= 400:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(port: int, clients: int, seconds: float, fresh: bool) -> dict[str, list[float]]:
    """C clients for S seconds; latencies in ms per endpoint (a failed request stops the run).

    ``fresh``: every client asks for pages no one asked for before (its own page size, walks
    that do not start over), so every events page is computed; otherwise clients walk 20 pages
    of their filter and start over, as people browsing the same views do.
    """
    from urllib.parse import urlencode

    latencies: dict[str, list[float]] = {
        "profile": [],
        "events": [],
        "events_miss": [],
        "events_hit": [],
    }
    stop_at = time.perf_counter() + seconds
    profile_path = f"/api/profile/{ACTOR}/{RIVAL}"

    async def client(index: int) -> None:
        filters = FILTERS[index % len(FILTERS)]
        size = PAGE + 1 + index if fresh else PAGE
        walk = 10**9 if fresh else PAGES_PER_WALK
        cursor: str | None = None
        pages = 0
        connection = Connection(port)
        try:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                await connection.get(profile_path)
                latencies["profile"].append((time.perf_counter() - started) * 1000)
                params = {**filters, "limit": str(size), **({"cursor": cursor} if cursor else {})}
                started = time.perf_counter()
                _, headers, body = await connection.get(f"/api/events?{urlencode(params)}")
                took = (time.perf_counter() - started) * 1000
                latencies["events"].append(took)
                cached = headers.get("x-rivalscope-cache") == "hit"
                latencies["events_hit" if cached else "events_miss"].append(took)
                cursor = json.loads(body)["next_cursor"]
                pages += 1
                if cursor is None or pages >= walk:
                    cursor, pages = None, 0
        finally:
            connection.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies


def home_dyads(port: int) -> list[tuple[str, str]]:
    """The dyads the home page lists, as a browser finds them (its links)."""
    import re
    from urllib.parse import unquote

    import httpx

    page = httpx.get(f"http://127.0.0.1:{port}/", timeout=600).text
    found = re.findall(r'href="/dyad/([^"/?]+)/([^"/?]+)"', page)
    return [(unquote(a), unquote(b)) for a, b in dict.fromkeys(found)]


async def dashboard(
    port: int, clients: int, seconds: float, dyads: list[tuple[str, str]], write_at: float | None
) -> dict[str, list[float]]:
    """C clients for S seconds, each opening the dashboard page of one home page dyad after
    another as a browser does: the home page, the dyad summary, the profile's timeline and
    hotspots, the first page of events, the defections. Latencies in ms, split by the
    ``X-Rivalscope-Cache`` header (``page``: the HTML home page, which has none). With
    ``write_at``, one defection is added that many seconds in (the version moves on, the cache
    is cleared): what follows shows how the server recovers."""
    from urllib.parse import quote, urlencode

    import httpx

    latencies: dict[str, list[float]] = {"hit": [], "miss": [], "page": []}
    started_at = time.perf_counter()
    stop_at = started_at + seconds

    async def timed(connection: Connection, path: str) -> bytes:
        started = time.perf_counter()
        _, headers, body = await connection.get(path)
        took = (time.perf_counter() - started) * 1000
        latencies[headers.get("x-rivalscope-cache", "page")].append(took)
        return body

    async def client(index: int) -> None:
        connection = Connection(port)
        turn = index
        try:
            while time.perf_counter() < stop_at:
                actor, rival = dyads[turn % len(dyads)]
                turn += clients
                pair = f"{quote(actor, safe='')}/{quote(rival, safe='')}"
                await timed(connection, "/")
                summary = json.loads(await timed(connection, f"/api/dyad/{pair}"))
                country = summary.get("country") or ""
                for section in ("timeline", "hotspots"):
                    query = urlencode({"section": section, "country": country})
                    await timed(connection, f"/api/profile/{pair}?{query}")
                kind = summary.get("event_type")
                params = {
                    "actor": actor,
                    "rival": rival,
                    "country": country,
                    "type": "" if kind in (None, "all") else kind,
                    "since": summary.get("since") or "",
                    "until": summary.get("until") or "",
                    "source": summary.get("source") or "",
                    "limit": "50",
                }
                params = {k: v for k, v in params.items() if v}
                await timed(connection, f"/api/events?{urlencode(params)}")
                await timed(
                    connection,
                    f"/api/defections?{urlencode({'involving': [actor, rival]}, doseq=True)}",
                )
        finally:
            connection.close()

    async def writer() -> None:
        assert write_at is not None
        await asyncio.sleep(write_at)
        body = {
            "date": "2016-01-10",
            "from_actor": dyads[0][0],
            "to_actor": dyads[0][1],
            "fighters": 1,
            "notes": "benchmark write",
        }
        async with httpx.AsyncClient(timeout=600) as http:
            answer = await http.post(
                f"http://127.0.0.1:{port}/api/defections",
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            answer.raise_for_status()

    tasks = [client(i) for i in range(clients)]
    if write_at is not None:
        tasks.append(writer())
    await asyncio.gather(*tasks)
    return latencies


def wait_warm(base: str, limit: float = 600.0) -> float | None:
    """Seconds until the server says it has warmed its snapshot (None: it does not warm)."""
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        server = httpx.get(f"{base}/api/info", timeout=60).json()["server"]
        if "warmed_version" not in server:
            return None
        if server["warmed_version"] == server["snapshot_version"]:
            return time.perf_counter() - started
        time.sleep(0.1)
    return time.perf_counter() - started


def line(name: str, values: list[float], seconds: float | None) -> str:
    rate = f"{len(values) / seconds:8.1f} req/s" if seconds else " " * 14
    return (
        f"  {name:<34} n={len(values):>6}  p50 {percentile(values, 0.5):8.1f} ms  "
        f"p95 {percentile(values, 0.95):8.1f} ms  p99 {percentile(values, 0.99):8.1f} ms  {rate}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workdir", type=Path, help="keep the store here for the next run")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    temporary = None
    if args.workdir is None:
        temporary = tempfile.mkdtemp(prefix="rivalscope-bench-serve-")
        workdir = Path(temporary)
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        db = build_store(workdir, args.events)
        print(f"machine: {os.cpu_count()} CPUs; store {db} ({db.stat().st_size / 1e6:.0f} MB)")
        print("in process (baseline) ...", flush=True)
        baseline = in_process(db, args.clients)
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        process = start_server(db, port, workdir / "serve.log")
        print(f"server up in {time.perf_counter() - started:.1f} s (first snapshot included)")
        try:
            import httpx

            warm_seconds = wait_warm(base)
            shown = "no warming" if warm_seconds is None else f"{warm_seconds:.1f} s"
            print(f"server warmed (after start): {shown}", flush=True)
            started = time.perf_counter()
            first = httpx.get(f"{base}/api/profile/{ACTOR}/{RIVAL}", timeout=900)
            first.raise_for_status()
            cold_seconds = time.perf_counter() - started
            dyads = home_dyads(port)
            print(
                f"load (dashboard): {args.clients} clients over {len(dyads)} home page dyads, "
                f"{args.seconds:.0f} s, one write at {args.seconds / 2:.0f} s",
                flush=True,
            )
            started = time.perf_counter()
            board = asyncio.run(
                dashboard(port, args.clients, args.seconds, dyads, args.seconds / 2)
            )
            board_seconds = time.perf_counter() - started
            runs = {}
            for fresh in (False, True):
                name = "fresh pages" if fresh else "shared views"
                before = httpx.get(f"{base}/api/info", timeout=60).json()["server"]
                print(f"load ({name}): {args.clients} clients, {args.seconds:.0f} s", flush=True)
                started = time.perf_counter()
                latencies = asyncio.run(load(port, args.clients, args.seconds, fresh))
                elapsed = time.perf_counter() - started
                after = httpx.get(f"{base}/api/info", timeout=60).json()["server"]
                runs[name] = (latencies, elapsed, before, after)
        finally:
            process.terminate()
            process.wait(timeout=60)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)

    page_p50 = percentile(baseline["page_ms"], 0.5)
    print()
    print(f"Rivalscope serve: {args.events:,} SYNTHETIC events, {args.clients} clients")
    print(
        "in process (one caller, no HTTP, on the same in-memory snapshot; taking it: "
        f"{baseline['snapshot_seconds']:.1f} s):"
    )
    print(f"  profile ISKP/TALIBAN, every section, cold   {baseline['profile_seconds']:8.2f} s")
    print(line("events page (100 rows) + JSON", baseline["page_ms"], None))
    print(
        f"server, first GET /api/profile/ISKP/TALIBAN (cold): {cold_seconds:.2f} s, ratio to "
        f"in process {cold_seconds / baseline['profile_seconds']:.2f}"
    )
    verdicts: dict[str, dict[str, Any]] = {}
    every = board["hit"] + board["miss"] + board["page"]
    print(f"server under load, dashboard ({board_seconds:.0f} s; a write half way):")
    print(line("cache hits", board["hit"], board_seconds))
    print(line("cache misses (computed)", board["miss"], board_seconds))
    print(line("home page (HTML)", board["page"], board_seconds))
    print(line("all requests", every, board_seconds))
    p95, p99 = percentile(every, 0.95), percentile(every, 0.99)
    verdict = "PASS" if p95 < GOAL_P95_MS and p99 < GOAL_P99_MS else "MISS"
    verdicts["dashboard"] = {"p95_ms": round(p95, 1), "p99_ms": round(p99, 1), "verdict": verdict}
    print(
        f"  goal p95 < {GOAL_P95_MS:.0f} ms and p99 < {GOAL_P99_MS:.0f} ms, misses included: "
        f"p95 {p95:.1f} ms, p99 {p99:.1f} ms  {verdict}"
    )
    for name, (latencies, elapsed, before, after) in runs.items():
        every = latencies["profile"] + latencies["events"]
        hits = after["cache_hits"] - before["cache_hits"]
        misses = after["cache_misses"] - before["cache_misses"]
        print(f"server under load, {name} ({elapsed:.0f} s):")
        print(line("GET /api/profile/ISKP/TALIBAN", latencies["profile"], elapsed))
        print(line("GET /api/events (cursor pages)", latencies["events"], elapsed))
        print(line("  of which computed (cache miss)", latencies["events_miss"], elapsed))
        print(line("  of which from the cache", latencies["events_hit"], elapsed))
        print(line("all requests", every, elapsed))
        print(
            f"  server cache: {hits:,} hits, {misses:,} misses "
            f"({hits / max(1, hits + misses):.0%} hits)"
        )
        computed = latencies["events_miss"]
        if computed:
            print(
                "  ratio server p50 / in-process p50, events page computed: "
                f"{percentile(computed, 0.5) / page_p50:.2f}"
            )
        p95 = percentile(every, 0.95)
        verdicts[name] = {
            "p95_ms": round(p95, 1),
            "verdict": "PASS" if p95 < GOAL_P95_MS else "MISS",
        }
        print(f"  goal p95 < {GOAL_P95_MS:.0f} ms: p95 {p95:.1f} ms  {verdicts[name]['verdict']}")
    print(json.dumps(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
