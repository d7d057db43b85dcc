"""Fetching into a real PostgreSQL store, as into a DuckDB one: the same pages, checkpoints,
resumes after a kill, GED superseding Candidate rows, ACLED updates and deletions, and district
lists, through the one code path both backends share (local servers speak the APIs)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rivalscope as rs
from rivalscope.districts import load_districts
from rivalscope.fetch import (
    AcledCredentials,
    FetchResult,
    RetryPolicy,
    UcdpQuery,
    UcdpToken,
    deleted_events,
    fetch_acled,
    fetch_ucdp,
    runs,
    update_acled,
)
from tests.fetch.conftest import ACLED_PASSWORD, ACLED_USER, GED_EVENTS, UCDP_TOKEN, acled_world
from tests.fetch.fake_apis import FakeAcled, FakeUcdp, acled_event, running, ucdp_event

WRITABLE = ("duckdb", "postgres")
PAGES = "/api/gedevents/25.1"
TOKEN = UcdpToken(UCDP_TOKEN)
CREDENTIALS = AcledCredentials(ACLED_USER, ACLED_PASSWORD)
RUN_COUNTS = (
    "source",
    "kind",
    "pages_done",
    "rows_read",
    "rows_stored",
    "rows_quarantined",
    "rows_unchanged",
    "rows_deleted",
)
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(params=WRITABLE)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a DuckDB file, or a new PostgreSQL database."""
    if request.param == "duckdb":
        return str(tmp_path / "fetch.duckdb")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def retry() -> RetryPolicy:
    return RetryPolicy(attempts=3, base=0.001, cap=0.01, sleep=lambda _: None, rng=random.Random(1))


@pytest.fixture
def ucdp_api() -> Iterator[FakeUcdp]:
    api = FakeUcdp(UCDP_TOKEN, {"25.1": list(GED_EVENTS)})
    with running(api):
        yield api


def _ucdp(
    store: rs.Store, api: FakeUcdp, cache: Path, retry: RetryPolicy, **query: Any
) -> FetchResult:
    return fetch_ucdp(
        store,
        UcdpQuery(**query),
        token=TOKEN,
        url=f"{api.url}/api",
        cache_dir=cache,
        retry=retry,
    )


def _column(store: rs.Store, table: str, column: str, **equal: Any) -> list[Any]:
    t = store.table(table)
    for name, value in equal.items():
        t = t.filter(t[name] == value)
    return sorted(t[column].to_pyarrow().to_pylist())


def _counts(store: rs.Store) -> tuple[int, int]:
    events = store.table("events")
    return (
        events.count().to_pyarrow().as_py(),
        events.event_id.nunique().to_pyarrow().as_py(),
    )


def test_fetch_pages_checkpoints_and_a_second_run(
    db: str, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    with rs.open(db) as store:
        result = _ucdp(store, ucdp_api, tmp_path / "cache", retry, page_size=5)
        assert (result.pages, result.rows_read, result.rows_stored) == (5, 23, 23)
        assert len(result.batches) == 5
        assert _column(store, "events", "event_id") == sorted(f"ucdp:{e['id']}" for e in GED_EVENTS)
        assert _column(store, "fetch_pages", "page", run_id=result.run_id) == [1, 2, 3, 4, 5]
        assert _column(store, "fetch_seen", "event_id", run_id=result.run_id) == _column(
            store, "events", "event_id"
        )
        (run,) = runs(store)
        assert (run["run_id"], run["pages_done"], run["rows_stored"]) == (result.run_id, 5, 23)
        assert run["finished"] is not None and run["cursor"] is None
        assert run["params"]["page_size"] == 5
        again = _ucdp(store, ucdp_api, tmp_path / "cache", retry, page_size=5)
        assert again.run_id != result.run_id and again.resumed_at_page is None
        assert (again.rows_read, again.rows_stored, again.rows_unchanged) == (23, 0, 23)
        assert _column(store, "fetch_seen", "run_id") == [again.run_id] * 23
        assert _counts(store) == (23, 23)


def test_a_fetch_killed_mid_way_resumes_and_stores_each_event_once(
    db: str, ucdp_api: FakeUcdp, tmp_path: Path
) -> None:
    token_file = tmp_path / "ucdp.token"
    token_file.write_text(UCDP_TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    command = [
        sys.executable,
        "-m",
        "rivalscope.cli",
        "fetch",
        "ucdp",
        "--token-file",
        str(token_file),
        "--db",
        db,
        "--cache-dir",
        str(tmp_path / "cache"),
        "--url",
        f"{ucdp_api.url}/api",
        "--page-size",
        "5",
        "--json",
    ]
    ucdp_api.hold_at = (PAGES, "3")
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    try:
        assert ucdp_api.reached.wait(timeout=120), "the fetch never asked for page 3"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    ucdp_api.hold_at = None
    ucdp_api.release.set()
    with rs.open(db) as store:
        assert _counts(store) == (15, 15)
        (run,) = runs(store)
        assert (run["pages_done"], run["finished"], run["cursor"]) == (3, None, run["cursor"])
        assert run["cursor"].endswith("page=3")
    before = len(ucdp_api.requests)
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["resumed_at_page"] == 3
    assert (printed["pages"], printed["rows_read"], printed["rows_stored"]) == (5, 23, 23)
    assert [r.query["page"] for r in ucdp_api.requests[before:]] == ["3", "4"]
    with rs.open(db) as store:
        assert _counts(store) == (23, 23)
        assert len(runs(store)) == 1
        assert _column(store, "fetch_pages", "page") == [1, 2, 3, 4, 5]


def test_killed_between_ingest_and_checkpoint_stores_nothing_twice(
    db: str,
    ucdp_api: FakeUcdp,
    tmp_path: Path,
    retry: RetryPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rivalscope.fetch import checkpoint, ucdp

    def dies_at_page_three(store: rs.Store, run: checkpoint.Run, **page: Any) -> None:
        if page["page"] == 3:
            raise KeyboardInterrupt
        checkpoint.record_page(store, run, **page)

    with rs.open(db) as store:
        monkeypatch.setattr(ucdp, "record_page", dies_at_page_three)
        with pytest.raises(KeyboardInterrupt):
            _ucdp(store, ucdp_api, tmp_path, retry, page_size=5)
        assert _counts(store) == (15, 15)
        monkeypatch.undo()
        result = _ucdp(store, ucdp_api, tmp_path, retry, page_size=5)
        assert result.resumed_at_page == 2
        assert (result.rows_read, result.rows_stored, result.rows_unchanged) == (23, 18, 5)
        assert _counts(store) == (23, 23)


def test_a_read_only_store_is_refused_before_any_request(
    db: str, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    rs.open(db).close()
    with rs.open(db, read_only=True) as store:
        with pytest.raises(rs.StoreError, match="read-only"):
            _ucdp(store, ucdp_api, tmp_path, retry)
        with pytest.raises(rs.StoreError, match="read-only"):
            update_acled(store, credentials=CREDENTIALS, url=ucdp_api.url, cache_dir=tmp_path)
    assert ucdp_api.requests == []


def _candidate_world() -> FakeUcdp:
    kept_by_ged = ucdp_event(3001, dt.date(2024, 12, 20), best=4)
    candidate = [
        ucdp_event(900001, dt.date(2024, 11, 5)),  # covered by GED 25.1: superseded
        dict(kept_by_ged),  # GED 25.1 holds the same id: stays, as GED's row
        ucdp_event(900002, dt.date(2025, 2, 10)),  # after GED 25.1's coverage: stays
        ucdp_event(
            900003,
            dt.date(2024, 10, 1),
            country="Pakistan",
            country_id=770,
            adm_1="Khyber Pakhtunkhwa province",
        ),  # a country GED was not fetched for: stays
    ]
    ged = [kept_by_ged, ucdp_event(3002, dt.date(2024, 6, 1))]
    return FakeUcdp(UCDP_TOKEN, {"25.0.9": candidate, "25.1": ged})


def test_ged_release_supersedes_the_candidate_rows_it_covers(
    db: str, tmp_path: Path, retry: RetryPolicy
) -> None:
    with rs.open(db) as store, running(_candidate_world()) as api:
        assert isinstance(api, FakeUcdp)
        first = _ucdp(store, api, tmp_path, retry, dataset="candidate", version="25.0.9")
        assert (first.rows_stored, first.rows_deleted) == (4, 0)
        result = _ucdp(store, api, tmp_path, retry, country="700")
        assert result.rows_deleted == 1
        kept = ["ucdp:3001", "ucdp:3002", "ucdp:900002", "ucdp:900003"]
        assert _column(store, "events", "event_id") == kept
        audit = deleted_events(store).to_pylist()
        assert [(a["event_id"], a["reason"], a["run_id"]) for a in audit] == [
            ("ucdp:900001", "superseded by UCDP GED 25.1", result.run_id)
        ]
        removed = json.loads(audit[0]["event"])
        assert (removed["event_id"], removed["date_start"], removed["actor2"]) == (
            "ucdp:900001",
            "2024-11-05",
            "TALIBAN",
        )
        again = _ucdp(store, api, tmp_path, retry, dataset="candidate", version="25.0.9")
        assert (again.rows_stored, again.rows_deleted) == (1, 1)  # re-added, superseded again
        assert _column(store, "events", "event_id") == kept
        assert deleted_events(store, "ucdp").num_rows == 2
        assert deleted_events(store, "acled").num_rows == 0


def _acled(store: rs.Store, api: FakeAcled, cache: Path, retry: RetryPolicy) -> FetchResult:
    return fetch_acled(
        store,
        credentials=CREDENTIALS,
        country="Afghanistan",
        page_size=5,
        url=api.url,
        cache_dir=cache,
        retry=retry,
    )


def _acled_changes(api: FakeAcled, now: int) -> None:
    api.change("AFG4", 1_700_100_000, fatalities="9")
    api.add(acled_event(13, dt.date(2023, 4, 1), 1_700_100_001))
    api.delete("AFG2", now)
    api.delete("AFG999", now)  # deleted by ACLED but never in the store
    api.deletions.append({"event_id_cnty": "AFG1", "deleted_timestamp": "1500000000"})


def test_acled_update_applies_changes_and_audits_deletions(
    db: str, tmp_path: Path, retry: RetryPolicy
) -> None:
    now = int(time.time())
    api = FakeAcled(ACLED_USER, ACLED_PASSWORD, acled_world())
    with rs.open(db) as store, running(api):
        first = _acled(store, api, tmp_path, retry)
        assert (first.pages, first.rows_stored) == (4, 12)
        _acled_changes(api, now)
        changes, deletions = update_acled(
            store, credentials=CREDENTIALS, url=api.url, cache_dir=tmp_path, retry=retry
        )
        reads = api.requests_to("/api/acled/read")
        assert reads[-1].query["timestamp"] == "1700000012"
        assert (changes.rows_read, changes.rows_stored, changes.rows_unchanged) == (3, 2, 1)
        assert (deletions.rows_read, deletions.rows_deleted) == (2, 1)
        first_deletions = api.requests_to("/api/deleted/read")[0]
        assert first_deletions.query["deleted_timestamp"] == str(1_700_000_012 - 86_400)
        ids = _column(store, "events", "event_id")
        assert len(ids) == 12 and "acled:AFG2" not in ids and "acled:AFG13" in ids
        assert _column(store, "events", "fatalities_best", event_id="acled:AFG4") == [9]
        (audit,) = deleted_events(store).to_pylist()
        assert (audit["event_id"], audit["source"], audit["reason"], audit["run_id"]) == (
            "acled:AFG2",
            "acled",
            "deleted by ACLED",
            deletions.run_id,
        )
        assert audit["source_deleted_at"] == dt.datetime.fromtimestamp(now, dt.UTC).replace(
            tzinfo=None
        )
        assert json.loads(audit["event"])["event_id"] == "acled:AFG2"
        again = update_acled(
            store, credentials=CREDENTIALS, url=api.url, cache_dir=tmp_path, retry=retry
        )
        assert [(r.rows_stored, r.rows_deleted) for r in again] == [(0, 0), (0, 0)]
        assert api.requests_to("/api/acled/read")[-1].query["timestamp"] == "1700100001"
        assert [r["kind"] for r in runs(store, "acled")].count("deletions") == 2


def _everything(db: str, tmp_path: Path, retry: RetryPolicy, now: int) -> dict[str, Any]:
    """One of each fetch into the store ``db``; what it holds, less batch ids and clocks."""
    acled_api = FakeAcled(ACLED_USER, ACLED_PASSWORD, acled_world())
    with rs.open(db) as store, running(_candidate_world()) as ucdp_api, running(acled_api):
        assert isinstance(ucdp_api, FakeUcdp)
        cache = tmp_path / "cache"
        _ucdp(store, ucdp_api, cache, retry, dataset="candidate", version="25.0.9", page_size=3)
        _ucdp(store, ucdp_api, cache, retry, country="700", page_size=1)
        _acled(store, acled_api, cache, retry)
        _acled_changes(acled_api, now)
        update_acled(
            store, credentials=CREDENTIALS, url=acled_api.url, cache_dir=cache, retry=retry
        )

        def rows(name: str, order: list[str], *drop: str) -> list[dict[str, Any]]:
            table = store.table(name).order_by(order).to_pyarrow()
            return table.drop_columns(list(drop)).to_pylist()

        run_kinds = {r["run_id"]: (r["source"], r["kind"]) for r in runs(store)}
        audit = rows("deleted_events", ["event_id"], "deleted", "run_id")
        for row in audit:
            row["event"] = json.loads(row["event"])
            row["event"].pop("batch_id")
        return {
            "events": rows("events", ["event_id"], "batch_id"),
            "runs": sorted(
                (*(r[c] for c in RUN_COUNTS), r["params"]["page_size"]) for r in runs(store)
            ),
            "pages": sorted(
                (*run_kinds[p["run_id"]], p["page"], p["rows"], p["batch_id"] is not None)
                for p in rows("fetch_pages", ["page"])
            ),
            "seen": sorted(
                (*run_kinds[s["run_id"]], s["event_id"]) for s in rows("fetch_seen", ["event_id"])
            ),
            "audit": audit,
        }


def test_both_backends_store_the_same_for_the_same_pages(
    pg_url: str, tmp_path: Path, retry: RetryPolicy
) -> None:
    now = int(time.time())
    expected = _everything(str(tmp_path / "duck.duckdb"), tmp_path / "duck", retry, now)
    got = _everything(pg_url, tmp_path / "pg", retry, now)
    assert got["events"] == expected["events"]
    assert got == expected
    assert len(expected["events"]) == 4 + 12  # UCDP after superseding, ACLED after deleting
    assert [a["event_id"] for a in expected["audit"]] == ["acled:AFG2", "ucdp:900001"]
    assert expected["audit"][1]["event"]["date_start"] == "2024-11-05"


DISTRICTS = (
    "province,district,province_id,district_id,centroid_lat,centroid_lon\n"
    "Nangarhar,Acheen,8,810,34.08848,70.6739\n"
    "Kabul,Kabul,1,101,34.51742,69.14988\n"
    'Hirat,"Zanda  Jan\n",20,2010,34.36196,61.78169\n'
)


def _gazetteer(store: rs.Store) -> dict[str, list[dict[str, Any]]]:
    places = store.table("places").order_by("code").to_pyarrow()
    aliases = store.table("place_aliases").order_by(["code", "alias_key", "country_iso3"])
    return {"places": places.to_pylist(), "aliases": aliases.to_pyarrow().to_pylist()}


def test_load_districts_gives_postgres_the_rows_duckdb_gets(pg_url: str, tmp_path: Path) -> None:
    first, second = tmp_path / "districts.csv", tmp_path / "kunar.csv"
    first.write_text(DISTRICTS, encoding="utf-8")
    second.write_text("province,district\nKunar,Dangam\n", encoding="utf-8")
    with rs.open() as duck, rs.open(pg_url) as pg:
        loaded = [load_districts(store, first) for store in (duck, pg)]
        assert (
            loaded[0]
            == loaded[1]
            == {
                "districts": 3,
                "provinces": 3,
                "aliases": 2,
                "aliases_skipped": 1,
                "replaced": 0,
            }
        )
        expected = _gazetteer(duck)
        assert _gazetteer(pg) == expected
        level2 = [p["code"] for p in expected["places"] if p["level"] == 2]
        assert level2 == ["AF-HER-2010", "AF-KAB-101", "AF-NAN-810"]
        assert pg.place_code("Acheen") == "AF-NAN-810" and pg.place_code("Kabul") == "AF-KAB"
        with pytest.raises(rs.InputError, match="'Atlantis' is not a province"):
            load_districts(pg, _write(tmp_path, "province,district\nAtlantis,Dangam\n"))
        assert _gazetteer(pg) == expected
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rivalscope.cli",
            "places",
            "load-districts",
            str(second),
            "--db",
            pg_url,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["replaced"] == 3
    with rs.open(pg_url, read_only=True) as pg:
        places = pg.table("places")
        level2 = places.filter(places.level == 2).code.to_pyarrow().to_pylist()
    assert level2 == ["AF-KNR-DANGAM"]


def _write(folder: Path, text: str) -> Path:
    path = folder / "bad.csv"
    path.write_text(text, encoding="utf-8")
    return path
