"""A batch is one transaction: killing the process mid-ingest leaves the store as before.

A first, small ingest gives the store a known state (events, quarantined rows, one batch). A
child process then ingests a large SYNTHETIC GED file into the same DuckDB file and is killed
with SIGKILL at a chosen point, which it reports through ``on_step``. The large file reuses the
ids of the first ingest with other content (so the write step deletes and re-inserts stored
events) and has bad rows (so it writes to quarantine). After the kill, the reopened store must be
exactly as before, and usable.
"""

from __future__ import annotations

import csv
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

import rivalscope as rs
from rivalscope.synth import write_ged

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

BIG_ROWS = 200_000
"""Rows of the large file: enough for the ingest to take a few seconds."""
SMALL_ROWS = 50
SMALL_BAD = (7, 31)
"""Records of the small file whose ``best`` is not a number (quarantined)."""
BIG_BAD = 5
"""Bad rows appended to the large file."""
MARKER_TIMEOUT = 120.0

CHILD = """
import sys

import rivalscope as rs

store = rs.open(sys.argv[1])
print("opened", flush=True)
store.ingest_ucdp(sys.argv[2], on_step=lambda name: print(name, flush=True))
print("done", flush=True)
"""


@dataclass(frozen=True)
class Files:
    small: Path
    big: Path
    later: Path


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        return next(reader), list(reader)


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """The small first file, the large file (written once per module) and a later small file."""
    folder = tmp_path_factory.mktemp("atomicity")
    small = folder / "small.csv"
    write_ged(small, SMALL_ROWS, seed=1)
    header, rows = read_rows(small)
    best = header.index("best")
    for record in SMALL_BAD:
        rows[record - 1][best] = "many"
    write_rows(small, header, rows)

    big = folder / "big.csv"
    write_ged(big, BIG_ROWS, seed=2)  # ids 1..BIG_ROWS: the small file's ids, other content
    with big.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for n in range(BIG_BAD):
            row = list(rows[0])
            row[header.index("id")] = str(BIG_ROWS + 1 + n)
            row[best] = "-3"
            writer.writerow(row)

    later = folder / "later.csv"
    write_ged(later, 20, seed=3, start_id=900_001)
    return Files(small, big, later)


@dataclass(frozen=True)
class Snapshot:
    events: list[tuple[Any, ...]]
    batches: list[tuple[Any, ...]]
    quarantine: list[tuple[Any, ...]]
    actors: list[tuple[Any, ...]]


def snapshot(store: rs.Store) -> Snapshot:
    def rows(query: str) -> list[tuple[Any, ...]]:
        return store.con.execute(query).fetchall()

    return Snapshot(
        events=rows("SELECT event_id, batch_id, row_hash FROM events ORDER BY event_id"),
        batches=rows("SELECT * FROM ingest_batches ORDER BY batch_id"),
        quarantine=rows("SELECT * FROM quarantine ORDER BY batch_id, row_number"),
        actors=rows("SELECT actor_id, registered FROM actors ORDER BY actor_id"),
    )


@pytest.fixture
def db(files: Files, tmp_path: Path) -> Iterator[tuple[Path, Snapshot]]:
    """A store file after the small first ingest, closed, with its snapshot."""
    path = tmp_path / "store.duckdb"
    with rs.open(path) as store:
        result = store.ingest_ucdp(files.small)
        assert (result.rows_stored, result.rows_quarantined) == (
            SMALL_ROWS - len(SMALL_BAD),
            len(SMALL_BAD),
        )
        before = snapshot(store)
    assert len(before.events) == SMALL_ROWS - len(SMALL_BAD)
    assert len(before.batches) == 1
    assert [q[1] for q in before.quarantine] == list(SMALL_BAD)
    yield path, before


class Child:
    """The ingesting child process; its stdout lines arrive in a queue."""

    def __init__(self, db: Path, csv_path: Path, folder: Path) -> None:
        script = folder / "child.py"
        script.write_text(CHILD, encoding="utf-8")
        self.stderr_path = folder / "child.stderr"
        self._stderr: IO[bytes] = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(db), str(csv_path)],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for(self, marker: str) -> None:
        deadline = time.monotonic() + MARKER_TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {marker!r} from the child within {MARKER_TIMEOUT} s: {self.seen}")
            if line is None:
                pytest.fail(
                    f"the child ended before {marker!r} (seen {self.seen}): "
                    + self.stderr_path.read_text(errors="replace")
                )
            self.seen.append(line)
            if line == marker:
                return

    def kill(self) -> None:
        assert self.process.poll() is None, f"the child already ended: {self.seen}"
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL
        self._reader.join(timeout=10)
        while not self.lines.empty():
            line = self.lines.get()
            if line is not None:
                self.seen.append(line)
        assert "done" not in self.seen, f"the ingest finished before the kill: {self.seen}"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


def wait_for_growth(path: Path, child: Child, timeout: float = 60.0) -> None:
    """Return once the store file grows: the write step has begun writing data to it."""
    start = path.stat().st_size
    deadline = time.monotonic() + timeout
    while path.stat().st_size <= start:
        if child.process.poll() is not None:
            pytest.fail(f"the child ended before writing to the store: {child.seen}")
        if time.monotonic() > deadline:
            pytest.fail(f"the store file did not grow within {timeout} s of 'write'")
        time.sleep(0.005)


@pytest.mark.slow
@pytest.mark.parametrize(
    "when",
    [
        pytest.param("resolve", id="during-resolve"),
        pytest.param("write", id="as-write-starts"),
        pytest.param("write-growing", id="mid-write-after-data-hit-the-file"),
    ],
)
def test_sigkill_mid_ingest_leaves_the_store_as_before(
    when: str, db: tuple[Path, Snapshot], files: Files, tmp_path: Path
) -> None:
    path, before = db
    child = Child(path, files.big, tmp_path)
    try:
        child.wait_for("opened")
        child.wait_for("write" if when == "write-growing" else when)
        if when == "write-growing":
            wait_for_growth(path, child)
        child.kill()
    finally:
        child.close()

    with rs.open(path) as store:
        after = snapshot(store)
        assert len(after.events) == len(before.events)
        assert len(after.batches) == len(before.batches) == 1
        assert len(after.quarantine) == len(before.quarantine) == len(SMALL_BAD)
        assert after == before

        # Still usable: a new batch is stored, and the first file is still all unchanged.
        later = store.ingest_ucdp(files.later)
        assert (later.rows_read, later.rows_stored, later.rows_quarantined) == (20, 20, 0)
        again = store.ingest_ucdp(files.small)
        assert (again.rows_stored, again.rows_unchanged, again.rows_quarantined) == (
            0,
            SMALL_ROWS - len(SMALL_BAD),
            len(SMALL_BAD),
        )
        assert store.con.execute("SELECT count(*) FROM events").fetchone() == (
            SMALL_ROWS - len(SMALL_BAD) + 20,
        )
        assert store.con.execute("SELECT count(*) FROM ingest_batches").fetchone() == (3,)


def test_a_failed_ingest_in_process_leaves_the_store_as_before(
    db: tuple[Path, Snapshot], files: Files
) -> None:
    """An exception inside the write step (here from ``on_step``) rolls the batch back."""
    path, before = db

    class Stop(Exception):
        pass

    def stop_at_write(name: str) -> None:
        if name == "write":
            raise Stop

    with rs.open(path) as store:
        with pytest.raises(Stop):
            store.ingest_ucdp(files.later, on_step=stop_at_write)
        assert snapshot(store) == before
        result = store.ingest_ucdp(files.later)
        assert result.rows_stored == 20
