"""Secret files, and the HTTP client's retry and redirect rules, against a local server."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from rivalscope.errors import InputError
from rivalscope.fetch import ApiError, RetryPolicy, read_acled_credentials, read_ucdp_token
from rivalscope.fetch.credentials import readable_by_others
from rivalscope.fetch.http import ApiClient, Service, retry_after_seconds, same_host_url
from tests.fetch.conftest import Sleeps
from tests.fetch.fake_apis import FakeApi, Recorded, Scripted, running

SERVICE = Service("TEST", unauthorized="check the key", forbidden="check the tier")


class Echo(FakeApi):
    """Answers every GET with the page asked for."""

    def answer(self, request: Recorded) -> tuple[int, object]:
        return 200, {"page": request.query.get("page")}


def test_token_file_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "t"
    file.write_text("  abc-123\n")
    assert read_ucdp_token(file).value == "abc-123"
    assert "abc-123" not in repr(read_ucdp_token(file))
    monkeypatch.setenv("RIVALSCOPE_UCDP_TOKEN_FILE", str(file))
    assert read_ucdp_token().value == "abc-123"
    file.write_text("\n")
    with pytest.raises(InputError, match="is empty"):
        read_ucdp_token(file)
    file.write_text("two words")
    with pytest.raises(InputError, match="more than one word"):
        read_ucdp_token(file)
    monkeypatch.delenv("RIVALSCOPE_UCDP_TOKEN_FILE")
    with pytest.raises(
        InputError, match=r"no token file: give one or set \$RIVALSCOPE_UCDP"
    ) as none:
        read_ucdp_token()
    assert none.value.parameter == "path"


def test_credentials_file_rules(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('email = "me@example.org"\npassword = "p4ss-w0rd"\n')
    file.chmod(0o644)
    credentials = read_acled_credentials(file)
    assert (credentials.username, credentials.password) == ("me@example.org", "p4ss-w0rd")
    assert "p4ss-w0rd" not in repr(credentials) and "me@example.org" not in repr(credentials)
    assert readable_by_others(file)
    file.chmod(0o600)
    assert not readable_by_others(file)
    file.write_text('username = "me@example.org"\n')
    with pytest.raises(InputError, match="has no password"):
        read_acled_credentials(file)
    file.write_text('password = "p4ss-w0rd"\n')
    with pytest.raises(InputError, match="has no username") as missing:
        read_acled_credentials(file)
    assert "p4ss-w0rd" not in str(missing.value)


def test_retry_after_forms() -> None:
    now = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Sat, 01 Mar 2025 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sat, 01 Mar 2025 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_backoff_grows_exponentially_with_full_jitter() -> None:
    policy = RetryPolicy(base=1.0, cap=10.0, rng=random.Random(3))
    for retry in range(8):
        waits = [policy.backoff(retry) for _ in range(200)]
        ceiling = min(10.0, 2.0**retry)
        assert min(waits) >= 0 and max(waits) <= ceiling
        assert max(waits) > 0.8 * ceiling  # spread over the whole range: full jitter


def test_a_long_retry_after_stops_with_advice(sleeps: Sleeps) -> None:
    api = Echo()
    api.fail("/x", 1, Scripted(503, {"Retry-After": "86400"}))
    with (
        running(api),
        ApiClient(SERVICE, retry=RetryPolicy(sleep=sleeps)) as client,
        pytest.raises(ApiError, match=r"asks to wait 86400 s .*try again later"),
    ):
        client.request_json("GET", f"{api.url}/x", params={"page": "1"})
    assert sleeps == []


def test_redirects_stay_on_the_same_host(retry: RetryPolicy) -> None:
    api = Echo()
    api.fail("/old", "", Scripted(301, {"Location": "/x?page=moved"}))
    api.fail("/away", "", Scripted(302, {"Location": "https://elsewhere.example/x"}))
    with running(api), ApiClient(SERVICE, retry=retry) as client:
        _, body = client.request_json("GET", f"{api.url}/old", headers={"k": "secret"})
        assert body == {"page": "moved"}
        assert api.requests[-1].headers["k"] == "secret"
        with pytest.raises(ApiError, match="redirected to another host"):
            client.request_json("GET", f"{api.url}/away", headers={"k": "secret"})


def test_other_client_errors_are_not_retried_and_are_redacted(
    retry: RetryPolicy, sleeps: Sleeps
) -> None:
    api = Echo()
    api.fail("/x", "", Scripted(404, body={"message": "no such thing for key s3cr3t-key"}))
    api.fail("/y", "", Scripted(200, body="<html>maintenance</html>"), Scripted(200))
    with running(api), ApiClient(SERVICE, retry=retry) as client:
        client.add_secret("s3cr3t-key")
        with pytest.raises(ApiError) as refused:
            client.request_json("GET", f"{api.url}/x")
        assert refused.value.status == 404 and len(sleeps) == 0
        assert "no such thing for key ***" in str(refused.value)
        _, body = client.request_json("GET", f"{api.url}/y")  # not JSON: retried
        assert body is None and len(sleeps) == 1


def test_same_host_url() -> None:
    base = "https://ucdpapi.pcr.uu.se/api"
    assert same_host_url("http://ucdpapi.pcr.uu.se/api/gedevents/25.1?page=1", base) == (
        "https://ucdpapi.pcr.uu.se/api/gedevents/25.1?page=1"
    )
    with pytest.raises(ApiError, match="another host"):
        same_host_url("https://evil.example/api/gedevents/25.1?page=1", base)
