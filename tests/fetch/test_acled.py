"""ACLED fetches and updates end to end: a local server speaking ACLED's OAuth API, a real store."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

import rivalscope as rs
import rivalscope.fusion as fusion
from rivalscope.errors import InputError
from rivalscope.fetch import (
    AcledCredentials,
    ApiError,
    RetryPolicy,
    deleted_events,
    fetch_acled,
    update_acled,
)
from tests.fetch.conftest import ACLED_PASSWORD, ACLED_USER, Sleeps, event_ids
from tests.fetch.fake_apis import FakeAcled, Scripted, acled_event

CREDENTIALS = AcledCredentials(ACLED_USER, ACLED_PASSWORD)
READ = "/api/acled/read"


def fetch(store: rs.Store, api: FakeAcled, tmp_path: Path, retry: RetryPolicy, **options: Any):
    return fetch_acled(
        store,
        credentials=options.pop("credentials", CREDENTIALS),
        url=api.url,
        cache_dir=tmp_path / "cache",
        retry=retry,
        **options,
    )


def update(store: rs.Store, api: FakeAcled, tmp_path: Path, retry: RetryPolicy, **options: Any):
    return update_acled(
        store,
        credentials=CREDENTIALS,
        url=api.url,
        cache_dir=tmp_path / "cache",
        retry=retry,
        **options,
    )


def test_oauth_sign_in_then_pages_until_an_empty_page(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    result = fetch(file_store, acled_api, tmp_path, retry, country="Afghanistan", page_size=5)
    assert (result.pages, result.rows_read, result.rows_stored) == (4, 12, 12)
    token_request = acled_api.requests_to("/oauth/token")[0]
    assert "grant_type=password" in token_request.body
    assert "client_id=acled" in token_request.body
    reads = acled_api.requests_to(READ)
    assert [r.query["page"] for r in reads] == ["1", "2", "3", "4"]
    assert all(r.query["_format"] == "json" and r.query["limit"] == "5" for r in reads)
    assert all(r.query["country"] == "Afghanistan" for r in reads)
    assert all(r.headers["authorization"].startswith("Bearer acc1-") for r in reads)
    assert event_ids(file_store, "acled") == sorted(f"acled:AFG{i}" for i in range(1, 13))
    row = file_store.con.execute(
        "SELECT actor1, actor2, admin1_code, event_type, notes FROM events "
        "WHERE event_id = 'acled:AFG3'"
    ).fetchone()
    assert row == (
        "ISKP",
        "TALIBAN",
        "AF-NAN",
        "clash",
        'On 16 January 2023, fighting; event 3, "quoted", a, b.',
    )
    runs = file_store.con.execute(
        "SELECT kind, finished IS NOT NULL, max_timestamp FROM fetch_runs"
    ).fetchall()
    assert runs == [("events", True, 1_700_000_012)]
    covered = file_store.con.execute(
        "SELECT DISTINCT country_iso3, version, declared FROM coverage"
    ).fetchall()
    assert len(covered) == 1
    country, version, declared = covered[0]
    assert country == "AFG"
    fetched = {dt.date.today().isoformat(), dt.datetime.now(dt.UTC).date().isoformat()}
    assert version in fetched, "an ACLED fetch's version is the day it was fetched"
    assert declared is False, "no first date asked: the window is the events' dates"
    window = file_store.con.execute(
        "SELECT min(first_date), max(last_date) FROM coverage"
    ).fetchone()
    assert window == (dt.date(2023, 1, 6), dt.date(2023, 1, 1) + dt.timedelta(days=60))


def test_since_filters_on_event_date(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    before = dt.datetime.now(dt.UTC).date()
    result = fetch(file_store, acled_api, tmp_path, retry, since=dt.date(2023, 2, 1))
    after = dt.datetime.now(dt.UTC).date()
    read = acled_api.requests_to(READ)[0]
    assert (read.query["event_date"], read.query["event_date_where"]) == ("2023-02-01", ">=")
    assert "country" not in read.query
    assert result.rows_stored == 9  # AFG7..AFG12 and the three Pakistani events
    covered = fusion.coverage(file_store).to_pylist()
    assert [(c["source"], c["country_iso3"], c["events"]) for c in covered] == [
        ("acled", "AFG", 6),
        ("acled", "PAK", 3),
    ]
    for row in covered:
        # the query's first date starts the window; the last event served ends it (ACLED
        # publishes with a lag); the version is the day of the fetch
        events = file_store.events(source="acled", country=row["country_iso3"])
        assert row["declared"] and row["first_date"] == dt.date(2023, 2, 1)
        assert row["last_date"] == max(events.column("date_start").to_pylist())
        assert row["versions"] in (before.isoformat(), after.isoformat())


def test_token_is_renewed_with_the_refresh_token_before_it_expires(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    now = [1_000_000.0]

    def clock() -> float:
        now[0] += 30_000  # each look at the clock: about 8 hours later
        return now[0]

    fetch(file_store, acled_api, tmp_path, retry, page_size=4, clock=clock)
    assert acled_api.grants[0] == "password"
    assert "refresh_token" in acled_api.grants[1:]
    assert "password" not in acled_api.grants[1:]
    bearer = [r.headers["authorization"] for r in acled_api.requests_to(READ)]
    assert len(set(bearer)) > 1  # later pages use the renewed token
    assert len(event_ids(file_store, "acled")) == 15


def test_a_401_mid_fetch_renews_once_and_continues(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    acled_api.fail(READ, 2, Scripted(401, body={"message": "Token expired"}))
    result = fetch(file_store, acled_api, tmp_path, retry, page_size=5)
    assert result.rows_stored == 15
    assert acled_api.grants == ["password", "refresh_token"]


def test_wrong_password_is_a_clear_error_without_the_secret(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    wrong = AcledCredentials(ACLED_USER, "not-the-password-99")
    with pytest.raises(ApiError) as refused:
        fetch(file_store, acled_api, tmp_path, retry, credentials=wrong)
    message = str(refused.value)
    assert "refused the sign-in (HTTP 400)" in message
    assert "username or password is wrong" in message
    assert "not-the-password-99" not in message and ACLED_USER not in message


def test_forbidden_names_the_account_tier(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    acled_api.forbidden = True
    with pytest.raises(ApiError, match=r"denied access \(HTTP 403\): your account may not"):
        fetch(file_store, acled_api, tmp_path, retry)


def test_failure_reported_inside_a_200_answer(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    acled_api.fail(
        READ,
        1,
        Scripted(
            200, body={"status": 403, "success": False, "error": {"message": "Access tier too low"}}
        ),
    )
    with pytest.raises(ApiError, match=r"status 403.*Access tier too low.*access tier"):
        fetch(file_store, acled_api, tmp_path, retry)


def test_retries_on_429_and_500_then_resumes_after_giving_up(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy, sleeps: Sleeps
) -> None:
    acled_api.fail(READ, 1, Scripted(429, {"Retry-After": "3"}), Scripted(500))
    acled_api.fail(READ, 3, *[Scripted(502)] * 6)
    with pytest.raises(ApiError, match="kept failing"):
        fetch(file_store, acled_api, tmp_path, retry, page_size=4)
    assert sleeps[0] == 3.0
    assert len(event_ids(file_store, "acled")) == 8
    before = len(acled_api.requests_to(READ))
    result = fetch(file_store, acled_api, tmp_path, retry, page_size=4)
    assert [r.query["page"] for r in acled_api.requests_to(READ)[before:]] == ["3", "4", "5"]
    assert result.resumed_at_page == 2 and result.rows_read == 15
    assert file_store.con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events"
    ).fetchone() == (15, 15)


def test_empty_but_successful_answer(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    result = fetch(file_store, acled_api, tmp_path, retry, country="Afganistan")
    assert result.empty and result.rows_read == 0
    assert result.message is not None
    assert "answered successfully but returned no events for country=Afganistan" in result.message


def test_update_fetches_changes_since_the_last_timestamp_and_applies_deletions(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    fetch(file_store, acled_api, tmp_path, retry, country="Afghanistan", page_size=5)
    now = int(time.time())
    acled_api.change("AFG4", 1_700_100_000, fatalities="9")
    acled_api.add(acled_event(13, dt.date(2023, 4, 1), 1_700_100_001))
    acled_api.delete("AFG2", now)
    acled_api.delete("AFG999", now)  # deleted by ACLED but never in this store
    acled_api.deletions.append({"event_id_cnty": "AFG1", "deleted_timestamp": "1500000000"})
    before = len(acled_api.requests)
    results = update(file_store, acled_api, tmp_path, retry)
    assert [r.kind for r in results] == ["update", "deletions"]
    changes, deletions = results
    reads = [r for r in acled_api.requests[before:] if r.path == READ]
    assert (reads[0].query["timestamp"], reads[0].query["timestamp_where"]) == (
        "1700000012",
        ">=",
    )
    assert reads[0].query["country"] == "Afghanistan"
    assert (changes.rows_read, changes.rows_stored, changes.rows_unchanged) == (3, 2, 1)
    assert deletions.rows_read == 2 and deletions.rows_deleted == 1  # AFG1's is too old
    assert deletions.message is not None and "1 of them were in the store" in deletions.message
    ids = event_ids(file_store, "acled")
    assert "acled:AFG2" not in ids and "acled:AFG13" in ids and "acled:AFG1" in ids
    assert len(ids) == 12
    assert file_store.con.execute(
        "SELECT fatalities_best FROM events WHERE event_id = 'acled:AFG4'"
    ).fetchone() == (9,)
    audit = deleted_events(file_store).to_pylist()
    assert [(a["event_id"], a["reason"]) for a in audit] == [("acled:AFG2", "deleted by ACLED")]
    assert audit[0]["source_deleted_at"] == dt.datetime.fromtimestamp(now, dt.UTC).replace(
        tzinfo=None
    )
    assert '"event_id":"acled:AFG2"' in audit[0]["event"]

    again = update(file_store, acled_api, tmp_path, retry)
    assert [r.rows_stored for r in again] == [0, 0]
    last = [r for r in acled_api.requests if r.path == READ][-1]
    assert last.query["timestamp"] == "1700100001"
    assert again[0].rows_unchanged == 1 and again[1].rows_deleted == 0


def test_update_without_an_earlier_fetch_says_what_to_do(
    file_store: rs.Store, acled_api: FakeAcled, tmp_path: Path, retry: RetryPolicy
) -> None:
    with pytest.raises(InputError, match="run `rivalscope fetch acled` first"):
        update(file_store, acled_api, tmp_path, retry)
    fetch(file_store, acled_api, tmp_path, retry, country="Afghanistan")
    with pytest.raises(InputError, match=r"for country 'Pakistan'.*fetched: Afghanistan"):
        update(file_store, acled_api, tmp_path, retry, country="Pakistan")
