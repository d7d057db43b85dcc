"""A long write in another process does not break the server: reads keep answering from the last
snapshot and say the store is busy, writes get 503 with Retry-After, and once the other
process lets go the server shows what it wrote."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import Server, copy_store, start_server

HOLDER = textwrap.dedent(
    """
    import datetime as dt, sys
    import pyarrow as pa
    import rivalscope as rs
    store = rs.open(sys.argv[1])
    rows = pa.table({"event_id": ["other:1", "other:2"],
                     "date_start": [dt.date(2022, 1, 5), dt.date(2022, 1, 6)],
                     "event_type": ["clash", "clash"], "actor1": ["ISKP", "ISKP"],
                     "actor2": ["TALIBAN", "TALIBAN"], "country_iso3": ["AFG", "AFG"],
                     "admin1_code": ["AF-KAB", "AF-KAB"]})
    store.write_rows("events", rows, source="other")
    print("holding", flush=True)
    sys.stdin.readline()
    store.close()
    print("released", flush=True)
    """
)


@pytest.fixture
def busy_server(tmp_path: Path, template_store: Path) -> Iterator[Server]:
    running = start_server(copy_store(template_store, tmp_path))
    yield running
    running.stop()


def test_reads_answer_and_writes_wait_while_another_process_writes(busy_server: Server) -> None:
    client = busy_server.client()
    writer = busy_server.client(auth=True)
    before = client.get("/api/info").json()["store"]["events"]
    clashes_before = client.get("/api/dyad/ISKP/TALIBAN").json()["events"]

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(busy_server.db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "holding"
        info = busy_server.wait_for(lambda i: i["server"]["busy"], "the server to see the lock")
        assert info["server"]["busy_pid"] == holder.pid
        assert info["store"]["events"] == before, "the last snapshot is served"

        page = client.get("/api/events", params={"actor": "ISKP", "limit": 5})
        assert page.status_code == 200 and len(page.json()["events"]) == 5
        assert page.headers["x-rivalscope-busy"] == "1"
        assert client.get("/api/dyad/ISKP/TALIBAN").json()["events"] == clashes_before
        assert client.get("/api/profile/ISKP/TALIBAN", params={"section": "spread"}).is_success

        payload = {"date": "2019-03-01", "from_actor": "TALIBAN", "to_actor": "ISKP"}
        refused = writer.post("/api/defections", json=payload)
        assert refused.status_code == 503
        assert int(refused.headers["retry-after"]) > 0
        assert str(holder.pid) in refused.json()["detail"]

        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(timeout=30)

    info = busy_server.wait_for(
        lambda i: not i["server"]["busy"] and i["store"]["events"] == before + 2,
        "the server to pick up the other process's events",
    )
    assert info["server"]["busy_pid"] is None
    after = client.get("/api/dyad/ISKP/TALIBAN")
    assert after.headers["x-rivalscope-busy"] == "0"
    assert after.json()["events"] == clashes_before + 2
    added = writer.post("/api/defections", json=payload)
    assert added.status_code == 201, added.text
