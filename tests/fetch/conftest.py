"""Fixtures for the fetch tests: fake APIs on 127.0.0.1, secret files, a fast retry policy."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.fetch import RetryPolicy
from tests.fetch.fake_apis import FakeAcled, FakeUcdp, acled_event, running, ucdp_events

UCDP_TOKEN = "ucdp-SECRET-token-7f3a9c"
ACLED_USER = "analyst.SECRET@example.org"
ACLED_PASSWORD = "pw-SECRET-horse-battery-42"

GED_EVENTS = ucdp_events(23, 1001, dt.date(2019, 1, 2))
"""23 events: with a page size of 5, five pages (the last one short)."""


class Sleeps(list[float]):
    """A ``sleep`` that records the waits asked for and waits almost nothing."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> RetryPolicy:
    """Six tries, a 1 ms backoff base, waits recorded instead of slept."""
    return RetryPolicy(attempts=6, base=0.001, cap=0.01, sleep=sleeps, rng=random.Random(1))


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "ucdp.token"
    path.write_text(UCDP_TOKEN + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def credentials_file(tmp_path: Path) -> Path:
    path = tmp_path / "acled.toml"
    path.write_text(f'username = "{ACLED_USER}"\npassword = "{ACLED_PASSWORD}"\n', encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def ucdp_api() -> Iterator[FakeUcdp]:
    api = FakeUcdp(UCDP_TOKEN, {"25.1": list(GED_EVENTS)})
    with running(api):
        yield api


def acled_world() -> list[dict[str, str]]:
    """12 Afghan and 3 Pakistani events, edited at timestamps 1,700,000,000 + n."""
    base = 1_700_000_000
    afghan = [
        acled_event(i, dt.date(2023, 1, 1) + dt.timedelta(days=5 * i), base + i, fatalities=i % 4)
        for i in range(1, 13)
    ]
    pakistani = [
        acled_event(
            100 + i,
            dt.date(2023, 2, 1) + dt.timedelta(days=i),
            base + 50 + i,
            country="Pakistan",
            iso="586",
            admin1="Khyber Pakhtunkhwa",
            actor2="Military Forces of Pakistan (2018-)",
        )
        for i in range(3)
    ]
    return afghan + pakistani


@pytest.fixture
def acled_api() -> Iterator[FakeAcled]:
    api = FakeAcled(ACLED_USER, ACLED_PASSWORD, acled_world())
    with running(api):
        yield api


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "fetch.duckdb"


@pytest.fixture
def file_store(db: Path) -> Iterator[rs.Store]:
    with rs.open(db) as store:
        yield store


def event_ids(store: rs.Store, source: str) -> list[str]:
    return [
        r[0]
        for r in store.con.execute(
            "SELECT event_id FROM events WHERE source = ? ORDER BY event_id", [source]
        ).fetchall()
    ]
