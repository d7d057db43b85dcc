"""UCDP fetches end to end: a local server speaking the UCDP API, a real DuckDB store."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import rivalscope as rs
import rivalscope.fusion as fusion
from rivalscope.errors import InputError
from rivalscope.fetch import ApiError, RetryPolicy, UcdpQuery, UcdpToken, fetch_ucdp
from rivalscope.fetch.checkpoint import PageProgress
from rivalscope.fetch.ucdp import GED_COLUMNS, ged_coverage_end
from tests.conftest import shared_file
from tests.fetch.conftest import GED_EVENTS, UCDP_TOKEN, Sleeps, event_ids
from tests.fetch.fake_apis import FakeUcdp, Scripted, running, ucdp_event

TOKEN = UcdpToken(UCDP_TOKEN)
PAGES = "/api/gedevents/25.1"


def fetch(store: rs.Store, api: FakeUcdp, tmp_path: Path, retry: RetryPolicy, **query: object):
    return fetch_ucdp(
        store,
        UcdpQuery(**query),  # type: ignore[arg-type]
        token=TOKEN,
        url=f"{api.url}/api",
        cache_dir=tmp_path / "cache",
        retry=retry,
    )


def test_pages_through_next_page_url_into_the_store(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    seen: list[PageProgress] = []
    result = fetch_ucdp(
        file_store,
        UcdpQuery(page_size=5),
        token=TOKEN,
        url=f"{ucdp_api.url}/api",
        cache_dir=tmp_path / "cache",
        retry=retry,
        on_page=seen.append,
    )
    assert (result.pages, result.rows_read, result.rows_stored) == (5, 23, 23)
    assert result.rows_quarantined == result.rows_unchanged == 0
    assert not result.empty
    assert event_ids(file_store, "ucdp") == sorted(f"ucdp:{e['id']}" for e in GED_EVENTS)
    pages = [r.query["page"] for r in ucdp_api.requests_to(PAGES)]
    assert pages == ["0", "1", "2", "3", "4"]
    assert all(r.query["pagesize"] == "5" for r in ucdp_api.requests_to(PAGES))
    assert all(r.headers["x-ucdp-access-token"] == UCDP_TOKEN for r in ucdp_api.requests)
    assert [(p.pages, p.rows, p.pages_total, p.rows_total) for p in seen][-1] == (5, 23, 5, 23)
    assert len(result.batches) == 5
    stored = file_store.con.execute(
        "SELECT actor1, actor2, admin1_code, event_type, fatalities_best FROM events "
        "WHERE event_id = 'ucdp:1001'"
    ).fetchone()
    assert stored == ("AFG_REPUBLIC", "TALIBAN", "AF-NAN", "clash", 1)
    covered = file_store.con.execute(
        "SELECT batch_id, country_iso3, first_date, last_date, version, declared, events "
        "FROM coverage ORDER BY batch_id"
    ).fetchall()
    assert sorted(row[0] for row in covered) == sorted(result.batches)
    assert {row[1:6] for row in covered} == {
        ("AFG", dt.date(2019, 1, 1), dt.date(2019, 12, 31), "25.1", False)
    }, "GED 25.1 is a yearly release: each page covers whole years"
    assert sum(row[6] for row in covered) == 23
    assert fusion.coverage(file_store).select(["source", "versions", "batches"]).to_pylist() == [
        {"source": "ucdp", "versions": "25.1", "batches": 5}
    ]


def test_cache_keeps_raw_pages_and_ged_csv_layout(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    result = fetch(file_store, ucdp_api, tmp_path, retry, page_size=10)
    folder = Path(result.cache_dir)
    raw = json.loads(gzip.decompress((folder / "page-000001.json.gz").read_bytes()))
    assert set(raw) == {"TotalCount", "TotalPages", "PreviousPageUrl", "NextPageUrl", "Result"}
    assert raw["Result"] == GED_EVENTS[:10]
    with gzip.open(folder / "page-000003.csv.gz", "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == GED_COLUMNS
    assert [r[0] for r in rows[1:]] == [str(e["id"]) for e in GED_EVENTS[20:]]


@pytest.mark.realdata
def test_csv_layout_is_the_real_ged_header() -> None:
    with shared_file("ucdp_ged211_afghanistan.csv").open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == GED_COLUMNS


def test_fetched_rows_equal_the_same_rows_ingested_from_a_ged_csv(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    fetch(file_store, ucdp_api, tmp_path, retry, page_size=7)
    download = tmp_path / "GEDEvent_v25_1.csv"
    with download.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, GED_COLUMNS)
        writer.writeheader()
        for event in GED_EVENTS:
            writer.writerow(
                {k: {True: "1", False: "0", None: ""}.get(v, v) for k, v in event.items()}
                | {"date_start": event["date_start"][:10], "date_end": event["date_end"][:10]}
            )
    with rs.open() as other:
        other.ingest_ucdp(download)
        columns = "* EXCLUDE (batch_id)"
        from_csv = other.con.execute(f"SELECT {columns} FROM events ORDER BY event_id").fetchall()
    from_api = file_store.con.execute(f"SELECT {columns} FROM events ORDER BY event_id").fetchall()
    assert from_api == from_csv


def test_filters_travel_as_documented_and_every_page_keeps_them(
    file_store: rs.Store, tmp_path: Path, retry: RetryPolicy
) -> None:
    pakistan = [
        ucdp_event(
            5000 + i,
            dt.date(2020, 3, 1 + i),
            country="Pakistan",
            country_id=770,
            adm_1="Khyber Pakhtunkhwa province",
        )
        for i in range(4)
    ]
    api = FakeUcdp(UCDP_TOKEN, {"25.1": GED_EVENTS + pakistan})
    with running(api):
        result = fetch(
            file_store, api, tmp_path, retry, country="700", since=dt.date(2019, 2, 1), page_size=4
        )
    expected = [e for e in GED_EVENTS if e["date_start"] >= "2019-02-01"]
    assert result.rows_stored == len(expected) == 13
    assert all(
        (r.query["Country"], r.query["StartDate"]) == ("700", "2019-02-01")
        for r in api.requests_to(PAGES)
    )
    assert event_ids(file_store, "ucdp") == sorted(f"ucdp:{e['id']}" for e in expected)


def test_a_page_that_fails_once_is_retried_and_stored_once(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy, sleeps: Sleeps
) -> None:
    ucdp_api.fail(PAGES, 2, Scripted(500, body={"message": "Internal Server Error"}))
    ucdp_api.fail(PAGES, 3, Scripted(429, {"Retry-After": "7"}, {"message": "Too many"}))
    result = fetch(file_store, ucdp_api, tmp_path, retry, page_size=5)
    assert result.rows_stored == 23 and result.pages == 5
    assert [r.query["page"] for r in ucdp_api.requests_to(PAGES)] == [
        "0",
        "1",
        "2",
        "2",
        "3",
        "3",
        "4",
    ]
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.01  # exponential backoff with jitter, injectable base
    assert sleeps[1] == 7.0  # Retry-After honoured
    assert file_store.con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events"
    ).fetchone() == (23, 23)


def test_killed_by_errors_the_fetch_resumes_at_its_checkpoint(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    ucdp_api.fail(PAGES, 3, *[Scripted(503, body={"message": "down"})] * 6)
    with pytest.raises(ApiError, match=r"kept failing after 6 tries .*resumes where it stopped"):
        fetch(file_store, ucdp_api, tmp_path, retry, page_size=5)
    assert len(event_ids(file_store, "ucdp")) == 15
    before = len(ucdp_api.requests)
    result = fetch(file_store, ucdp_api, tmp_path, retry, page_size=5)
    assert [r.query["page"] for r in ucdp_api.requests[before:]] == ["3", "4"]
    assert result.resumed_at_page == 3
    assert (result.pages, result.rows_read, result.rows_stored) == (5, 23, 23)
    assert file_store.con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events"
    ).fetchone() == (23, 23)


def test_a_finished_fetch_run_again_stores_nothing_twice(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    first = fetch(file_store, ucdp_api, tmp_path, retry, page_size=10)
    again = fetch(file_store, ucdp_api, tmp_path, retry, page_size=10)
    assert again.run_id != first.run_id and again.resumed_at_page is None
    assert (again.rows_read, again.rows_stored, again.rows_unchanged) == (23, 0, 23)
    assert len(event_ids(file_store, "ucdp")) == 23


def test_token_refused_names_the_cause_and_not_the_token(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    with pytest.raises(ApiError) as refused:
        fetch_ucdp(
            file_store,
            UcdpQuery(),
            token=UcdpToken("wrong-token-123"),
            url=f"{ucdp_api.url}/api",
            cache_dir=tmp_path,
            retry=retry,
        )
    assert refused.value.status == 401
    assert "token is missing, wrong or expired" in str(refused.value)
    assert "https://ucdp.uu.se/apidocs/" in str(refused.value)
    assert "wrong-token-123" not in str(refused.value)
    ucdp_api.fail(PAGES, 0, Scripted(403, body={"message": "Quota exceeded"}))
    with pytest.raises(ApiError, match=r"denied access \(HTTP 403\): .*daily quota"):
        fetch(file_store, ucdp_api, tmp_path, retry)


def test_empty_but_successful_answer_says_so(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    result = fetch(file_store, ucdp_api, tmp_path, retry, country="20")
    assert result.empty and result.rows_read == 0 and result.pages == 1
    assert result.message is not None
    assert "answered successfully but holds no events" in result.message
    assert "country=20" in result.message


def test_next_page_on_another_host_never_gets_the_token(
    file_store: rs.Store, ucdp_api: FakeUcdp, tmp_path: Path, retry: RetryPolicy
) -> None:
    ucdp_api.fail(
        PAGES,
        0,
        Scripted(
            200,
            body={
                "TotalCount": 2,
                "TotalPages": 2,
                "PreviousPageUrl": "",
                "NextPageUrl": "https://elsewhere.example/api/gedevents/25.1?pagesize=1&page=1",
                "Result": GED_EVENTS[:1],
            },
        ),
    )
    with pytest.raises(ApiError, match="another host"):
        fetch(file_store, ucdp_api, tmp_path, retry, page_size=1)


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ({"dataset": "candidate"}, "version", "the candidate dataset needs one, e.g. 25.0.9"),
        ({"version": "25.0.9"}, "version", "looks like a candidate version"),
        ({"dataset": "candidate", "version": "25.1"}, "version", "looks like a ged version"),
        ({"country": "Afghanistan"}, "country", "Gleditsch-Ward codes"),
        ({"page_size": 5000}, "page_size", "use 1 to 1000"),
        ({"dataset": "yearly"}, "dataset", "use ged or candidate"),
    ],
)
def test_bad_queries_are_refused_before_any_request(
    query: dict[str, object], parameter: str, message: str
) -> None:
    with pytest.raises(InputError, match=message) as refused:
        UcdpQuery(**query).checked()  # type: ignore[arg-type]
    assert refused.value.parameter == parameter


def test_ged_coverage() -> None:
    assert ged_coverage_end("25.1") == dt.date(2024, 12, 31)
    assert ged_coverage_end("21.1") == dt.date(2020, 12, 31)


def test_ged_release_supersedes_the_candidate_rows_it_covers(
    file_store: rs.Store, tmp_path: Path, retry: RetryPolicy
) -> None:
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
        ),  # a country GED was not fetched for
    ]
    ged = [kept_by_ged, ucdp_event(3002, dt.date(2024, 6, 1))]
    api = FakeUcdp(UCDP_TOKEN, {"25.0.9": candidate, "25.1": ged})
    with running(api):
        first = fetch(file_store, api, tmp_path, retry, dataset="candidate", version="25.0.9")
        assert first.rows_stored == 4 and first.rows_deleted == 0
        result = fetch(file_store, api, tmp_path, retry, country="700")
        assert result.rows_deleted == 1
        assert result.message is not None and "superseded" in result.message
        kept = ["ucdp:3001", "ucdp:3002", "ucdp:900002", "ucdp:900003"]
        assert event_ids(file_store, "ucdp") == kept
        audit = file_store.con.execute(
            "SELECT event_id, reason, run_id, json_extract_string(event, '$.date_start') "
            "FROM deleted_events"
        ).fetchall()
        assert audit == [
            ("ucdp:900001", "superseded by UCDP GED 25.1", result.run_id, "2024-11-05")
        ]
        again = fetch(file_store, api, tmp_path, retry, dataset="candidate", version="25.0.9")
        assert again.rows_stored == 1 and again.rows_deleted == 1  # re-added, superseded again
        assert event_ids(file_store, "ucdp") == kept
    windows = file_store.con.execute(
        "SELECT DISTINCT version, country_iso3, first_date, last_date FROM coverage "
        "WHERE batch_id IN (SELECT unnest(?)) ORDER BY country_iso3",
        [first.batches],
    ).fetchall()
    assert windows == [
        ("25.0.9", "AFG", dt.date(2024, 11, 5), dt.date(2025, 2, 10)),
        ("25.0.9", "PAK", dt.date(2024, 10, 1), dt.date(2024, 10, 1)),
    ], "a Candidate release codes months, not whole years: its events' own dates"


def test_killed_after_ingest_before_the_checkpoint_stores_nothing_twice(
    file_store: rs.Store,
    ucdp_api: FakeUcdp,
    tmp_path: Path,
    retry: RetryPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rivalscope.fetch import checkpoint, ucdp

    def dies_at_page_three(store: rs.Store, run: checkpoint.Run, **page: Any) -> None:
        if page["page"] == 3:
            raise KeyboardInterrupt  # the process dies between the ingest and the checkpoint
        checkpoint.record_page(store, run, **page)

    monkeypatch.setattr(ucdp, "record_page", dies_at_page_three)
    with pytest.raises(KeyboardInterrupt):
        fetch(file_store, ucdp_api, tmp_path, retry, page_size=5)
    assert len(event_ids(file_store, "ucdp")) == 15  # page 3 was ingested, not checkpointed
    monkeypatch.undo()
    before = len(ucdp_api.requests)
    result = fetch(file_store, ucdp_api, tmp_path, retry, page_size=5)
    assert [r.query["page"] for r in ucdp_api.requests[before:]] == ["2", "3", "4"]
    assert (result.rows_read, result.rows_stored, result.rows_unchanged) == (23, 18, 5)
    assert file_store.con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events"
    ).fetchone() == (23, 23)
