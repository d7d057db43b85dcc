"""schemathesis against the server's own OpenAPI schema, on a real server and store: whatever it
sends (valid and invalid requests, with the write token), the server answers without a 5xx,
with a documented status, content type, headers and shape, and refuses what the schema rules
out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rivalscope.synth import generate
from tests.server.conftest import TOKEN, build_store, start_server

CHECKS = ("all",)
"""Every check schemathesis has: among them positive_data_acceptance (a request the schema
allows, empty optional parameters included, is not refused as invalid), unsupported_method (405
with Allow) and allow_header_conformance (OPTIONS lists exactly the documented methods)."""
CONFIG = """
[checks.positive_data_acceptance]
# 422 too: a schema cannot say that an actor must exist, or that since comes before until, and
# the API names such a parameter with 422. Empty optional parameters (?rival=, ?phase=) are
# valid and must not get it: test_api.py checks them one by one.
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
"""
PROFILE = "^/api/profile/"
RUNS = (
    ("every operation but the profile, every phase", ("--exclude-path-regex", PROFILE, "-n", "6")),
    (
        "the profile (each new frame computes every section), fewer cases",
        ("--include-path-regex", PROFILE, "--phases", "examples,fuzzing", "-n", "5"),
    ),
)


def schemathesis(url: str, folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    config = folder / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{url}/api/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--seed",
            "2015",
            "--workers",
            "1",  # CPython 3.11's ast.parse is not safe across schemathesis' worker threads
            "--generation-database",
            "none",
            "--no-color",
            "--report-dir",
            str(folder / "schemathesis-report"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
    )


@pytest.mark.slow
def test_every_operation_holds_its_schema(tmp_path: Path) -> None:
    small = generate(tmp_path / "synth", seed=11, ged_rows=600, acled_rows=400)
    running = start_server(build_store(tmp_path / "schema.duckdb", small))
    try:
        for what, extra in RUNS:
            done = schemathesis(running.url, tmp_path, *extra)
            assert done.returncode == 0, f"{what}:\n{done.stdout[-8000:]}{done.stderr[-4000:]}"
            assert " selected / 14 total" in done.stdout, done.stdout[-3000:]
    finally:
        running.stop()
