"""`rivalscope serve --redact` serves no name of an individual: not in any JSON endpoint, the
dashboard, the report, the downloads, nor the replies to writes; pseudonyms are stable."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import rivalscope as rs
from rivalscope.redact import pseudonym, store_secret
from rivalscope.synth import SynthFiles
from tests.server.conftest import Server, start_server
from tests.test_redaction import IN_EVENT, IN_NOTES, IN_PASSAGE, RECORDED, assert_no_names, seed

WRITTEN = "Haji Nasrullah Wardaki"
"""Named by a defection added through the API (person and notes)."""


@pytest.fixture(scope="module")
def redacting(
    tmp_path_factory: pytest.TempPathFactory, synth_files: SynthFiles
) -> Iterator[Server]:
    db = seed(tmp_path_factory.mktemp("serve-redact") / "named.duckdb", synth_files)
    running = start_server(db, redact=True)
    yield running
    running.stop()


def _reads(server: Server) -> dict[str, str]:
    """Every read the server offers, by path, as the text served."""
    client = server.client()
    paths = [
        "/api/info",
        "/api/actors",
        "/api/places?country=AFG",
        "/api/coverage",
        "/api/links",
        "/api/defections",
        "/api/defections?involving=ISKP",
        "/api/review?status=all",
        "/api/review",
        "/api/profile/ISKP/TALIBAN",
        "/api/profile/ISKP/TALIBAN?section=defections",
        "/api/dyad/ISKP/TALIBAN",
        "/api/events?limit=1000&source=notes",
        "/api/events?format=csv",
        "/api/events?format=jsonl&source=notes",
        "/api/events?format=parquet&source=notes",
        "/api/events?format=geojson&source=notes",
        "/api/events?limit=1000&source=notes&sort=-source_id",
        "/",
        "/?q=ISIS-K",
        "/dashboard?actor=ISKP&rival=TALIBAN",
        "/dyad/ISKP/TALIBAN",
        "/report/ISKP/TALIBAN",
        "/report/ISKP/TALIBAN?source=notes",
    ]
    served = {}
    for path in paths:
        answer = client.get(path, follow_redirects=True)
        assert answer.status_code == 200, (path, answer.text[:300])
        served[path] = answer.content.decode("utf-8", "replace")
    return served


def test_nothing_served_names_an_individual(redacting: Server) -> None:
    first = _reads(redacting)
    for path, text in first.items():
        assert_no_names(text, path)
    with rs.open(redacting.db, read_only=True) as store:
        secret = store_secret(store)
    assert pseudonym(RECORDED, secret) in first["/api/defections"]
    assert pseudonym(IN_NOTES, secret) in first["/api/profile/ISKP/TALIBAN"]
    assert pseudonym(IN_PASSAGE, secret) in first["/api/review"]
    assert pseudonym(IN_EVENT, secret) in first["/api/events?limit=1000&source=notes"]
    assert pseudonym(IN_EVENT, secret) in first["/api/events?format=geojson&source=notes"]
    assert (
        pseudonym(IN_EVENT, secret) in first["/api/events?limit=1000&source=notes&sort=-source_id"]
    )
    assert pseudonym(IN_EVENT, secret) in first["/report/ISKP/TALIBAN?source=notes"]
    again = _reads(redacting)
    for path in ("/api/defections", "/api/review", "/api/profile/ISKP/TALIBAN"):
        assert again[path] == first[path], f"stable pseudonyms: {path}"


def test_replies_to_writes_are_redacted(redacting: Server) -> None:
    writer = redacting.client(auth=True)
    added = writer.post(
        "/api/defections",
        json={
            "date": "2019-03-01",
            "from_actor": "TALIBAN",
            "to_actor": "ISKP",
            "person": WRITTEN,
            "notes": f"{WRITTEN.split(' ', 1)[1]} came with Mawlawi {IN_NOTES}",
            "admin1": "Nangarhar",
        },
    )
    assert added.status_code == 201, added.text
    row = added.json()["defection"]
    assert_no_names(added.text, "POST reply")
    assert "Wardaki" not in added.text and row["person"].startswith("Person-")
    corrected = writer.patch(
        f"/api/defections/{row['defection_id']}", json={"notes": f"again {WRITTEN}"}
    )
    assert corrected.status_code == 200, corrected.text
    assert "Wardaki" not in corrected.text and "Nasrullah" not in corrected.text
    assert corrected.json()["defection"]["person"] == row["person"]
    deadline = time.monotonic() + 30
    while row["defection_id"] not in (listed := redacting.client().get("/api/defections").text):
        assert time.monotonic() < deadline, "the new row is never listed"
        time.sleep(0.2)
    assert "Wardaki" not in listed and "Nasrullah" not in listed and row["person"] in listed
