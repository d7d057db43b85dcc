"""The parts under the server, in process: the lock probe against a real second process, the
snapshot's isolation and refresh, the one-computation cache, and the token rules."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.errors import InputError, StoreError
from rivalscope.server import lockprobe
from rivalscope.server.auth import check_bind, is_loopback, read_token, token_matches
from rivalscope.server.cache import ResultCache
from rivalscope.server.state import StoreBusy, StoreState
from tests.server.conftest import copy_store

HOLD = (
    "import sys, duckdb; c = duckdb.connect(sys.argv[1], read_only={ro}); "
    "print('held', flush=True); sys.stdin.readline()"
)


def _hold(path: Path, *, read_only: bool) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(ro=read_only), str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def _release(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("\n")
    child.stdin.flush()
    child.wait(timeout=30)


@pytest.fixture
def db(tmp_path: Path, template_store: Path) -> Path:
    return copy_store(template_store, tmp_path)


@pytest.fixture
def state(db: Path) -> Iterator[StoreState]:
    made = StoreState(db, refresh_seconds=3600)
    made.poll()
    yield made
    made.stop()


@pytest.mark.skipif(not lockprobe.supported(), reason="record locks cannot be asked here")
def test_lock_probe_sees_another_process_without_taking_the_lock(db: Path) -> None:
    assert lockprobe.lock_holder(db) is None
    writer = _hold(db, read_only=False)
    try:
        assert lockprobe.lock_holder(db) == lockprobe.LockHolder(pid=writer.pid, write=True)
    finally:
        _release(writer)
    reader = _hold(db, read_only=True)
    try:
        assert lockprobe.lock_holder(db) == lockprobe.LockHolder(pid=reader.pid, write=False)
        with rs.open(db, read_only=True) as store:
            assert store.info()["events"] > 0, "probing left the file readable"
    finally:
        _release(reader)
    assert lockprobe.lock_holder(db) is None
    assert lockprobe.lock_holder(db.parent / "absent.duckdb") is None


def test_a_reader_sees_one_snapshot_while_a_write_lands(state: StoreState) -> None:
    with state.reader() as before:
        count = before.store.table("defections").count().to_pyarrow().as_py()
        added = state.write(
            lambda store: store.ingest_defections(_defection_file(state.path.parent)),
            tables={"defections", "ingest_batches", "reviews"},
        )
        assert added.rows_stored == 1
        assert before.store.table("defections").count().to_pyarrow().as_py() == count
        with state.reader() as after:
            assert after.version == before.version + 1
            assert after.store.table("defections").count().to_pyarrow().as_py() == count + 1
    with rs.open(state.path, read_only=True) as store:
        assert store.table("defections").count().to_pyarrow().as_py() == count + 1


def _defection_file(folder: Path) -> Path:
    path = folder / "one.csv"
    path.write_text("date,from_actor,to_actor\n2020-02-02,Taliban,ISKP\n", encoding="utf-8")
    return path


def test_poll_picks_up_what_another_connection_wrote(state: StoreState) -> None:
    assert state.poll() is False, "nothing changed"
    with rs.open(state.path) as store:
        store.ingest_defections(_defection_file(state.path.parent))
    assert state.poll() is True
    with state.reader() as reader:
        assert reader.store.table("defections").count().to_pyarrow().as_py() == 3
        keys = reader.store.con.execute("SELECT date_start, event_id FROM events").fetchall()
    assert keys == sorted(keys), "the snapshot keeps events in page order"
    assert state.status()["busy"] is False


def test_writes_wait_for_another_process(state: StoreState) -> None:
    writer = _hold(state.path, read_only=False)
    try:
        with pytest.raises(StoreBusy, match=str(writer.pid)):
            state.write(lambda store: None, tables=set())
        assert state.poll() is False
        assert state.busy and state.status()["busy_pid"] == writer.pid
        with state.reader() as reader:
            assert reader.store.info()["events"] > 0, "reads go on"
    finally:
        _release(writer)
    reader_process = _hold(state.path, read_only=True)
    try:
        with pytest.raises(StoreBusy, match="read-only"):
            state.write(lambda store: None, tables=set())
    finally:
        _release(reader_process)
    state.poll()
    assert not state.busy


def test_a_store_busy_from_the_start_serves_once_free(db: Path) -> None:
    writer = _hold(db, read_only=False)
    made = StoreState(db, refresh_seconds=3600)
    try:
        assert made.poll() is False
        assert not made.ready and made.busy
        with pytest.raises(StoreBusy, match="no snapshot yet"), made.reader():
            pass
    finally:
        _release(writer)
    try:
        assert made.poll() is True and made.ready
    finally:
        made.stop()


def test_a_missing_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        StoreState(tmp_path / "typo.duckdb")


def test_cache_computes_once_for_concurrent_callers() -> None:
    cache = ResultCache(max_entries=2)
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("k", slow)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8 and len(calls) == 1

    def broken() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.get_or_compute("bad", broken)
    assert cache.get_or_compute("bad", lambda: 1) == 1, "errors are not cached"
    cache.get_or_compute("third", lambda: 3)
    assert cache.get_or_compute("k", lambda: 0) == 0, "least recently used goes first"
    cache.clear()
    assert len(cache) == 0


def test_token_rules(tmp_path: Path) -> None:
    good = tmp_path / "token"
    good.write_text("  abcdefghijklmnopqrstuvwxyz\n", encoding="utf-8")
    assert read_token(good) == "abcdefghijklmnopqrstuvwxyz"
    for text, words in (("short", "at least 16"), ("abcdefgh ijklmnopqrs", "one word")):
        bad = tmp_path / "bad"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=words):
            read_token(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_token(tmp_path / "absent")
    assert token_matches("Bearer abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz")
    assert token_matches("bearer abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz")
    for header in (None, "", "abcdefghijklmnopqrstuvwxyz", "Bearer abc", "Basic abcdefghijklmn"):
        assert not token_matches(header, "abcdefghijklmnopqrstuvwxyz")
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
        check_bind(host, None)
    for host in ("0.0.0.0", "::", "192.0.2.1", "example.org"):
        assert not is_loopback(host), host
        with pytest.raises(InputError, match="other machines can reach") as refused:
            check_bind(host, None)
        assert refused.value.parameter == "token"
        check_bind(host, "a-token-of-some-length")
