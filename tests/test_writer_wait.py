"""A second writer waits for a DuckDB store another process holds (``--wait``, ``open(wait=)``),
then fails cleanly: two real processes, one real file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.errors import StoreError
from rivalscope.synth import SynthFiles

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}

HOLDER = """
import sys
import rivalscope as rs

store = rs.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
store.close()
"""
"""Opens the store for writing, says so, and holds it until a line arrives on stdin."""


@contextmanager
def held(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``db`` open for writing until its stdin gets a line."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        release(holder)


def release(holder: subprocess.Popen[str]) -> None:
    if holder.poll() is None:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)


def ingest(file: Path, db: Path, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rivalscope.cli",
            "ingest",
            "ucdp",
            str(file),
            "--db",
            str(db),
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def test_second_writer_waits_then_writes(tmp_path: Path, synth_files: SynthFiles) -> None:
    db = tmp_path / "busy.duckdb"
    with held(db) as holder:
        writer = ingest(synth_files.ged_csv, db, "--wait", "5", "--json")
        assert writer.stderr is not None
        note = writer.stderr.readline()  # the note comes when the open first finds the lock
        assert "waiting for the store: another process is writing" in note
        assert "--wait" in note
        time.sleep(2)
        assert writer.poll() is None, "the writer gave up while the store was held"
        release(holder)
        out, rest = writer.communicate(timeout=120)
    assert writer.returncode == 0, note + rest
    assert json.loads(out)["rows_stored"] == synth_files.ged_rows
    with rs.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM events") == synth_files.ged_rows


def test_second_writer_gives_up_cleanly(tmp_path: Path, synth_files: SynthFiles) -> None:
    db = tmp_path / "busy.duckdb"
    with held(db):
        started = time.monotonic()
        writer = ingest(synth_files.ged_csv, db, "--wait", "1")
        out, errors = writer.communicate(timeout=120)
        took = time.monotonic() - started
    assert writer.returncode == 2
    assert out == ""
    assert "waiting for the store" in errors
    last = errors.strip().splitlines()[-1]
    assert last.startswith("error: --wait: store ")
    assert "in use by another process (still held after 1 s)" in last
    assert "Traceback" not in errors
    assert took < 60
    with rs.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM events") == 0


def test_open_waits_for_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    with held(db) as holder:
        with pytest.raises(StoreError) as at_once:
            rs.open(db)
        assert at_once.value.parameter == "wait"
        assert "Conflicting lock" in at_once.value.message
        calls: list[str] = []
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"still held after 0\.5 s"):
            rs.open(db, wait=0.5, on_wait=calls.append)
        assert time.monotonic() - started >= 0.5
        assert len(calls) == 1 and "Conflicting lock" in calls[0]
        with pytest.raises(StoreError, match="in use by another process"):
            rs.open(db, read_only=True)
        release(holder)
        with rs.open(db, wait=5) as store:
            assert store.scalar("SELECT count(*) FROM events") == 0
