"""The fetch commands as users run them: real processes, a real DuckDB file, local fake APIs."""

from __future__ import annotations

import gzip
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.fetch import RetryPolicy, read_acled_credentials, read_ucdp_token
from rivalscope.fetch.acled import fetch_acled, update_acled
from rivalscope.fetch.ucdp import UcdpQuery, fetch_ucdp
from tests.fetch.conftest import ACLED_PASSWORD, ACLED_USER, UCDP_TOKEN, event_ids
from tests.fetch.fake_apis import FakeAcled, FakeUcdp, Scripted

PAGES = "/api/gedevents/25.1"
SECRETS = (UCDP_TOKEN, ACLED_PASSWORD, ACLED_USER)
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "rivalscope.cli", *map(str, args)]


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args), capture_output=True, text=True, env=env or ENV, timeout=300
    )


def test_fetch_ucdp_json_and_human_summary(
    tmp_path: Path, db: Path, token_file: Path, ucdp_api: FakeUcdp
) -> None:
    common = (
        "--token-file",
        token_file,
        "--db",
        db,
        "--cache-dir",
        tmp_path / "cache",
        "--url",
        f"{ucdp_api.url}/api",
        "--page-size",
        "10",
    )
    done = run("fetch", "ucdp", *common, "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["rows_read"], printed["rows_stored"], printed["pages"]) == (23, 23, 3)
    assert printed["params"] == {
        "dataset": "ged",
        "version": "25.1",
        "country": None,
        "since": None,
        "page_size": 10,
    }
    again = run("fetch", "ucdp", *common)
    assert again.returncode == 0 and again.stdout == ""
    assert "ucdp ged 25.1: 3 pages, 23 rows read, 0 stored, 0 quarantined, 23 unchanged" in (
        again.stderr
    )


def test_env_settings_point_the_client_at_a_mirror(
    tmp_path: Path, db: Path, token_file: Path, ucdp_api: FakeUcdp
) -> None:
    env = {
        **ENV,
        "RIVALSCOPE_UCDP_URL": f"{ucdp_api.url}/api",
        "RIVALSCOPE_UCDP_TOKEN_FILE": str(token_file),
        "RIVALSCOPE_CACHE": str(tmp_path),
    }
    done = run("fetch", "ucdp", "--db", db, "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cache_dir"].startswith(str(tmp_path / "ucdp"))


def test_a_fetch_killed_mid_way_resumes_and_stores_each_event_once(
    tmp_path: Path, db: Path, token_file: Path, ucdp_api: FakeUcdp
) -> None:
    common = (
        "--token-file",
        token_file,
        "--db",
        db,
        "--cache-dir",
        tmp_path / "cache",
        "--url",
        f"{ucdp_api.url}/api",
        "--page-size",
        "5",
        "--json",
    )
    ucdp_api.hold_at = (PAGES, "3")
    process = subprocess.Popen(
        command("fetch", "ucdp", *common),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
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
        assert len(event_ids(store, "ucdp")) == 15
        assert store.con.execute(
            "SELECT pages_done, finished IS NULL FROM fetch_runs"
        ).fetchall() == [(3, True)]
    before = len(ucdp_api.requests)
    done = run("fetch", "ucdp", *common)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["resumed_at_page"] == 3
    assert (printed["pages"], printed["rows_read"], printed["rows_stored"]) == (5, 23, 23)
    assert [r.query["page"] for r in ucdp_api.requests[before:]] == ["3", "4"]
    with rs.open(db) as store:
        assert store.con.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM events"
        ).fetchone() == (23, 23)
        assert store.con.execute("SELECT count(*) FROM fetch_runs").fetchone() == (1,)


def test_errors_are_one_line_with_the_cause(
    tmp_path: Path,
    db: Path,
    token_file: Path,
    credentials_file: Path,
    ucdp_api: FakeUcdp,
    acled_api: FakeAcled,
) -> None:
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token-5150", encoding="utf-8")
    done = run(
        "fetch",
        "ucdp",
        "--token-file",
        wrong,
        "--db",
        db,
        "--url",
        f"{ucdp_api.url}/api",
        "--cache-dir",
        tmp_path,
    )
    assert done.returncode == 2
    assert "error: UCDP refused the credentials (HTTP 401)" in done.stderr
    assert "Traceback" not in done.stderr and "not-the-token-5150" not in done.stderr
    acled_api.forbidden = True
    done = run(
        "fetch",
        "acled",
        "--credentials-file",
        credentials_file,
        "--db",
        db,
        "--url",
        acled_api.url,
        "--cache-dir",
        tmp_path,
    )
    assert done.returncode == 2
    assert "ACLED denied access (HTTP 403): your account may not include API access" in (
        done.stderr
    )
    done = run("fetch", "ucdp", "--db", db, "--token-file", tmp_path / "absent.token")
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = run("fetch", "ucdp", "--db", db, "--token-file", token_file, "--version", "25.0.9")
    assert done.returncode == 2 and "looks like a candidate version" in done.stderr


def test_empty_answer_is_a_warning_not_an_error(
    tmp_path: Path, db: Path, token_file: Path, ucdp_api: FakeUcdp
) -> None:
    done = run(
        "fetch",
        "ucdp",
        "--token-file",
        token_file,
        "--db",
        db,
        "--country",
        "2",
        "--url",
        f"{ucdp_api.url}/api",
        "--cache-dir",
        tmp_path,
    )
    assert done.returncode == 0
    assert "UCDP answered successfully but holds no events for this query" in done.stderr


def _all_text(folder: Path) -> str:
    texts = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            texts.append(data.decode("utf-8", "replace"))
    return "\n".join(texts)


def test_secrets_appear_in_no_output_log_cache_or_store(
    tmp_path: Path,
    db: Path,
    token_file: Path,
    credentials_file: Path,
    ucdp_api: FakeUcdp,
    acled_api: FakeAcled,
    retry: RetryPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = tmp_path / "cache"
    outputs = []
    for args in (
        ("fetch", "ucdp", "--token-file", token_file, "--url", f"{ucdp_api.url}/api"),
        ("fetch", "acled", "--credentials-file", credentials_file, "--url", acled_api.url),
        ("update", "acled", "--credentials-file", credentials_file, "--url", acled_api.url),
    ):
        done = run(*args, "--db", db, "--cache-dir", cache)
        assert done.returncode == 0, done.stderr
        outputs += [done.stdout, done.stderr]
    bad = tmp_path / "bad.toml"
    bad.write_text(f'username = "{ACLED_USER}"\npassword = "{ACLED_PASSWORD}x"\n')
    done = run("fetch", "acled", "--credentials-file", bad, "--url", acled_api.url, "--db", db)
    assert done.returncode == 2
    outputs += [done.stdout, done.stderr]
    unparsable = tmp_path / "unparsable.toml"
    unparsable.write_text(f"username: {ACLED_USER}\npassword: {ACLED_PASSWORD}\n")
    done = run("fetch", "acled", "--credentials-file", unparsable, "--db", db)
    assert done.returncode == 2 and "is not TOML" in done.stderr
    outputs += [done.stdout, done.stderr]

    caplog.set_level(logging.DEBUG, logger="rivalscope.fetch")
    ucdp_api.fail(PAGES, 0, Scripted(503))
    acled_api.fail("/api/acled/read", 1, Scripted(500), Scripted(401))
    with rs.open(tmp_path / "library.duckdb") as store:
        fetch_ucdp(
            store,
            UcdpQuery(),
            token=read_ucdp_token(token_file),
            url=f"{ucdp_api.url}/api",
            cache_dir=cache,
            retry=retry,
        )
        credentials = read_acled_credentials(credentials_file)
        fetch_acled(store, credentials=credentials, url=acled_api.url, cache_dir=cache, retry=retry)
        update_acled(
            store, credentials=credentials, url=acled_api.url, cache_dir=cache, retry=retry
        )
    assert any("retry 1 of 5" in r.getMessage() for r in caplog.records)
    logs = "\n".join(r.getMessage() for r in caplog.records)
    with rs.open(db) as store:
        tables = [
            json.dumps(store.con.execute(f"SELECT * FROM {table}").fetchall(), default=str)
            for table in ("fetch_runs", "fetch_pages", "ingest_batches", "quarantine", "meta")
        ]
    everything = "\n".join([*outputs, logs, _all_text(cache), *tables])
    assert "GET" in logs and "Afghanistan" in _all_text(cache)
    for secret in SECRETS:
        assert secret not in everything


def test_library_errors_name_the_flag(
    tmp_path: Path, db: Path, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from rivalscope.cli import app

    monkeypatch.delenv("RIVALSCOPE_UCDP_TOKEN_FILE", raising=False)
    monkeypatch.delenv("RIVALSCOPE_ACLED_CREDENTIALS", raising=False)
    for args, line in (
        (["ucdp"], "error: --token-file: no token file: give one or set $RIVALSCOPE_UCDP"),
        (["acled"], "error: --credentials-file: no credentials file: give one or set"),
        (["ucdp", "--token-file", str(token_file), "--page-size", "5000"], "--page-size: use 1"),
        (["ucdp", "--token-file", str(token_file), "--dataset", "candidate"], "--version: the"),
    ):
        done = CliRunner().invoke(app, ["fetch", *args, "--db", str(db)])
        assert done.exit_code == 2
        assert line in done.stderr
