"""The JSON API of a real `rivalscope serve` on loopback, over a real DuckDB file, checked
against the library's own answers on the same file."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

import rivalscope as rs
from rivalscope import review
from rivalscope.analysis.context import plain
from rivalscope.analysis.profile import SECTIONS
from rivalscope.redact import pseudonym, store_secret
from tests.server.conftest import (
    DEFECTOR,
    HOSTILE,
    REVIEW_IDS,
    TOKEN,
    Server,
    copy_store,
    serve_command,
    start_server,
)


def library_events(db: Path, **filters: object) -> list[str]:
    """Event ids the library returns for the filters (the file opened briefly, read-only)."""
    with rs.open(db, read_only=True) as store:
        return store.events(**filters).column("event_id").to_pylist()  # type: ignore[arg-type]


def walk(client: httpx.Client, **params: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/events", params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["events"]) <= body["limit"]
        found += body["events"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def test_info_says_what_is_served(server: Server) -> None:
    response = server.client().get("/api/info")
    assert response.status_code == 200
    info = response.json()
    with rs.open(server.db, read_only=True) as store:
        expected = store.info()
    assert info["store"]["events"] == expected["events"]
    assert info["store"]["defections"] == expected["defections"] == 2
    assert info["server"]["busy"] is False
    assert info["server"]["writes"] is True
    assert info["server"]["snapshot_version"] >= 1
    assert response.headers["x-rivalscope-busy"] == "0"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_walk_every_event_in_order(server: Server) -> None:
    client = server.client()
    for filters in (
        {"actor": "ISIS-K"},
        {"actor": "ISKP", "rival": "Taliban", "type": "clash", "since": "2017-01-01"},
        {"admin1": "Nangarhar", "source": "acled", "until": "2020-12-31"},
        {"country": "Afghanistan", "type": "attack"},
    ):
        events = walk(client, limit=250, **filters)
        library = {**filters}
        if "type" in library:
            library["event_type"] = library.pop("type")
        assert [e["event_id"] for e in events] == library_events(server.db, **library), filters
        keys = [(e["date_start"], e["event_id"]) for e in events]
        assert keys == sorted(keys)
    everything = walk(client, limit=1000)
    assert len(everything) == len(library_events(server.db))
    assert "row_hash" not in everything[0]
    assert set(everything[0]) >= {"event_id", "date_start", "actor1", "notes", "assoc_actors"}


def test_text_under_review_counts_only_once_accepted(server: Server) -> None:
    client = server.client()
    ids = {e["event_id"] for e in walk(client, limit=1000, source="text")}
    assert ids == set(), "pending rows do not count"
    items = client.get("/api/review").json()["items"]
    assert [i["item_id"] for i in items] == list(REVIEW_IDS)
    assert items[1]["passage"].count("<script>") == 1
    decided = server.client(auth=True).post(
        "/api/review", json={"ids": [REVIEW_IDS[0]], "decision": "accepted", "reviewer": "t"}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["changed"] == 1
    assert [e["event_id"] for e in walk(client, source="text")] == [REVIEW_IDS[0]]
    assert [i["item_id"] for i in client.get("/api/review").json()["items"]] == [REVIEW_IDS[1]]
    accepted = client.get("/api/review", params={"status": "accepted"}).json()["items"]
    assert [(i["item_id"], i["reviewer"]) for i in accepted] == [(REVIEW_IDS[0], "t")]
    unknown = server.client(auth=True).post(
        "/api/review", json={"ids": [REVIEW_IDS[1], "text:nope"], "decision": "rejected"}
    )
    assert unknown.status_code == 404
    assert "text:nope" in unknown.json()["detail"]
    assert [i["item_id"] for i in client.get("/api/review").json()["items"]] == [REVIEW_IDS[1]]
    with rs.open(server.db, read_only=True) as store:
        assert review.items(store, status="accepted").column("item_id").to_pylist() == [
            REVIEW_IDS[0]
        ]


def test_bad_filters_are_refused_with_a_reason(server: Server) -> None:
    client = server.client()
    cases = [
        ({"actor": "Nobody At All"}, 404, "no actor is called"),
        ({"rival": "ISKP"}, 422, "a rival needs an actor"),
        ({"cursor": "garbage!"}, 422, "cursor"),
        ({"limit": 0}, 422, "limit"),
        ({"limit": 5000}, 422, "limit"),
        ({"since": "2020-13-45"}, 422, "since"),
        ({"type": "brawl"}, 422, "type"),
        ({"admin1": "Atlantis"}, 404, "no province"),
        ({"format": "xlsx"}, 422, "format"),
    ]
    for params, status, words in cases:
        response = client.get("/api/events", params=params)
        assert response.status_code == status, (params, response.text)
        assert words in response.json()["detail"], (params, response.text)


def test_downloads_hold_every_matching_event(server: Server) -> None:
    client = server.client()
    expected = library_events(server.db, actor="ISKP", rival="TALIBAN")
    response = client.get(
        "/api/events", params={"actor": "ISKP", "rival": "TALIBAN", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["event_id"] for r in rows] == expected
    assert any("notes:hostile" in r["linked_ids"].split(";") for r in rows), "fused: one event"
    alone = client.get("/api/events", params={"source": "notes", "format": "csv"})
    hostile = next(r for r in csv.DictReader(io.StringIO(alone.text)))
    assert (hostile["event_id"], hostile["notes"]) == ("notes:hostile", HOSTILE)

    lines = client.get(
        "/api/events", params={"actor": "ISKP", "rival": "TALIBAN", "format": "jsonl"}
    ).text.splitlines()
    assert [json.loads(line)["event_id"] for line in lines] == expected

    response = client.get(
        "/api/events", params={"actor": "ISKP", "rival": "TALIBAN", "format": "parquet"}
    )
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column("event_id").to_pylist() == expected
    assert "row_hash" not in table.column_names


def test_actors_places_and_boundaries(server: Server) -> None:
    client = server.client()
    actors = {a["actor_id"]: a for a in client.get("/api/actors").json()["actors"]}
    assert "ISIS-K" in actors["ISKP"]["aliases"]
    assert actors["ISKP"]["events"] > 0
    places = client.get("/api/places", params={"country": "AFG"}).json()["places"]
    assert len(places) == 34 and all(p["has_boundary"] for p in places)
    shapes = client.get("/api/boundaries", params={"country": "AFG"}).json()
    assert shapes["type"] == "FeatureCollection"
    assert sorted(f["properties"]["code"] for f in shapes["features"]) == sorted(
        p["code"] for p in places
    )
    assert client.get("/api/places", params={"country": "Narnia"}).status_code == 404


def test_profile_sections_alone_and_all_match_the_library(server: Server) -> None:
    client = server.client()
    with rs.open(server.db, read_only=True) as store:
        expected = rs.profile(store, "ISKP", "TALIBAN", country="AFG").to_dict()
    one = client.get("/api/profile/ISIS-K/Taliban", params={"section": "spread", "country": "AFG"})
    assert one.status_code == 200, one.text
    body = one.json()
    assert (body["actor"], body["rival"], body["country"]) == ("ISKP", "TALIBAN", "AFG")
    assert list(body["sections"]) == ["spread"]
    assert body["sections"]["spread"] == json.loads(json.dumps(plain(expected["spread"])))
    assert [p["name"] for p in body["phases"]][:1] == ["Hafiz Saeed Khan"]

    before = client.get("/api/info").json()["server"]["cache_hits"]
    everything = client.get("/api/profile/ISKP/TALIBAN", params={"country": "AFG"})
    assert list(everything.json()["sections"]) == list(SECTIONS)
    for name in SECTIONS:
        assert everything.json()["sections"][name] == json.loads(json.dumps(expected[name])), name
    again = client.get("/api/profile/ISKP/TALIBAN", params={"country": "AFG"})
    assert again.content == everything.content
    assert client.get("/api/info").json()["server"]["cache_hits"] > before

    two = client.get(
        "/api/profile/ISKP/TALIBAN", params=[("section", "harm"), ("section", "timeline")]
    )
    assert list(two.json()["sections"]) == ["timeline", "harm"]
    assert client.get("/api/profile/ISKP/Nobody").status_code == 404
    assert client.get("/api/profile/ISKP/ISIS-K").status_code == 422
    assert client.get("/api/profile/ISKP/TALIBAN", params={"section": "gossip"}).status_code == 422


def test_dyad_counts_follow_the_filters(server: Server) -> None:
    client = server.client()
    base = client.get("/api/dyad/ISKP/TALIBAN").json()
    assert base["country"] == "AFG" and base["event_type"] == "clash"
    assert len(base["provinces"]) == 34
    clashes = library_events(server.db, actor="ISKP", rival="TALIBAN", event_type="clash")
    assert base["events"] == len(clashes)
    assert sum(p["events"] for p in base["provinces"]) + base["unplaced"] == base["events"]
    assert sum(m["events"] for m in base["months"]) == base["events"]
    assert {p["code"] for p in base["provinces"]} == {
        p["code"] for p in client.get("/api/places", params={"country": "AFG"}).json()["places"]
    }

    phase = base["phases"][1]
    narrowed = client.get("/api/dyad/ISKP/TALIBAN", params={"phase": phase["name"]}).json()
    in_phase = [
        e
        for e in walk(client, actor="ISKP", rival="TALIBAN", type="clash", country="AFG")
        if phase["start"] <= e["date_start"] < phase["end"]
    ]
    assert narrowed["events"] == len(in_phase) < base["events"]
    assert narrowed["since"] == phase["start"]
    assert all(phase["start"][:8] + "01" <= m["month"] < phase["end"] for m in narrowed["months"])

    everything = client.get("/api/dyad/ISKP/TALIBAN", params={"type": "all"}).json()
    assert everything["events"] > base["events"]
    acled = client.get("/api/dyad/ISKP/TALIBAN", params={"source": "acled"}).json()
    assert 0 < acled["events"] < base["events"]
    assert client.get("/api/dyad/ISKP/TALIBAN", params={"phase": "Nope"}).status_code == 422
    response = client.get(
        "/api/dyad/ISKP/TALIBAN", params={"since": "2020-01-01", "until": "2019-01-01"}
    )
    assert response.status_code == 422


def test_defections_are_added_corrected_and_listed(server: Server) -> None:
    writer, reader = server.client(auth=True), server.client()
    added = writer.post(
        "/api/defections",
        json={
            "date": "2019-03-01",
            "from_actor": "Taleban",
            "to_actor": "ISIS-K",
            "person": "Qari Test",
            "fighters": 12,
            "admin1": "Nangarhar",
            "notes": HOSTILE,
        },
    )
    assert added.status_code == 201, added.text
    row = added.json()["defection"]
    assert (row["from_actor"], row["to_actor"], row["admin1_code"]) == ("TALIBAN", "ISKP", "AF-NAN")
    assert (row["from_actor_raw"], row["country_iso3"]) == ("Taleban", "AFG")
    listed = reader.get("/api/defections", params={"involving": ["ISKP"]}).json()["defections"]
    assert row["defection_id"] in [d["defection_id"] for d in listed]
    with rs.open(server.db, read_only=True) as store:
        stored = store.table("defections").to_pyarrow().to_pylist()
    assert {d["defection_id"]: d["fighters"] for d in stored}[row["defection_id"]] == 12

    path = f"/api/defections/{row['defection_id']}"
    corrected = writer.patch(path, json={"fighters": 30, "admin1": "AF-KNR", "notes": None})
    assert corrected.status_code == 200, corrected.text
    fixed = corrected.json()["defection"]
    assert (fixed["fighters"], fixed["admin1_code"], fixed["notes"]) == (30, "AF-KNR", None)
    assert (fixed["person"], fixed["date"]) == ("Qari Test", "2019-03-01")
    assert corrected.json()["changed"] is True
    assert writer.patch(path, json={"fighters": 30}).json()["changed"] is False
    listed = reader.get("/api/defections", params={"involving": ["TALIBAN"]}).json()["defections"]
    assert {d["defection_id"]: d["fighters"] for d in listed}[row["defection_id"]] == 30

    again = writer.post(
        "/api/defections",
        json={
            "defection_id": row["defection_id"],
            "date": "2019-03-01",
            "from_actor": "TALIBAN",
            "to_actor": "ISKP",
        },
    )
    assert again.status_code == 409
    for payload, words in (
        ({"date": "2019-03-01", "from_actor": "Nobody", "to_actor": "ISKP"}, "from_actor"),
        ({"date": "2019-03-01", "from_actor": "ISKP", "to_actor": "ISIS-K"}, "one actor"),
        (
            {
                "date": "2019-03-01",
                "from_actor": "TALIBAN",
                "to_actor": "ISKP",
                "admin1": "Atlantis",
            },
            "admin1",
        ),
        (
            {
                "date": "2019-03-01",
                "from_actor": "TALIBAN",
                "to_actor": "ISKP",
                "notes": "bad \ud800 text",
            },
            "notes: Input should be a valid string",
        ),
        (
            {"date": "2019-03-01", "from_actor": "TALIBAN", "to_actor": "ISKP", "colour": "red"},
            "colour",
        ),
        ({"date": "someday", "from_actor": "TALIBAN", "to_actor": "ISKP"}, "date"),
        (
            {"date": "2019-03-01", "from_actor": "TALIBAN", "to_actor": "ISKP", "fighters": -4},
            "fighters",
        ),
    ):
        body = json.dumps(payload).encode()
        refused = writer.post(
            "/api/defections", content=body, headers={"content-type": "application/json"}
        )
        assert refused.status_code == 422, (payload, refused.text)
        assert words in refused.json()["detail"], (payload, refused.text)
    assert writer.patch("/api/defections/none-such", json={"fighters": 1}).status_code == 404
    assert writer.patch(path, json={"date": None}).status_code == 422


def test_writes_need_the_token(server: Server) -> None:
    payload = {"date": "2019-03-01", "from_actor": "TALIBAN", "to_actor": "ISKP"}
    anonymous = server.client().post("/api/defections", json=payload)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for header in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer", f"Bearer {TOKEN[:-1]}"):
        response = server.client().post(
            "/api/defections", json=payload, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
    review = server.client().post("/api/review", json={"ids": ["a"], "decision": "accepted"})
    assert review.status_code == 401
    with rs.open(server.db, read_only=True) as store:
        assert store.table("defections").count().to_pyarrow().as_py() >= 2


def test_limits_and_headers(server: Server) -> None:
    client = server.client(auth=True)
    big = {"date": "2019-03-01", "from_actor": "TALIBAN", "to_actor": "ISKP", "notes": "x" * 70_000}
    assert client.post("/api/defections", json=big).status_code == 413

    def chunks() -> object:
        for _ in range(80):
            yield b"x" * 1024

    streamed = client.post(
        "/api/defections", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert client.get("/api/info", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/info", headers={"host": "localhost:1"}).status_code == 200

    page = client.get("/dyad/ISKP/TALIBAN")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert page.text.count("<script") == page.text.count("<script src=") == 2
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404

    reference = client.get("/api")
    assert reference.status_code == 200 and "/api/defections/{defection_id}" in reference.text
    schema = client.get("/api/openapi.json").json()
    assert {"/api/events", "/api/profile/{actor}/{rival}", "/api/review"} <= set(schema["paths"])


def test_report_page(server: Server) -> None:
    response = server.client().get("/report/ISKP/TALIBAN", params={"country": "AFG"})
    assert response.status_code == 200
    assert "'sha256-" in response.headers["content-security-policy"]
    assert "'self'" not in response.headers["content-security-policy"]
    for name in SECTIONS:
        assert f'id="{name}"' in response.text
    assert HOSTILE not in response.text
    assert server.client().get("/report/ISKP/Nobody").status_code == 404
    assert server.client().get("/dyad/ISKP/Nobody").status_code == 404


def test_redacting_server_shows_pseudonyms_and_refuses_writes(
    tmp_path: Path, template_store: Path
) -> None:
    db = copy_store(template_store, tmp_path / "redact")
    running = start_server(db, token=False, redact=True)
    try:
        client = running.client()
        listed = client.get("/api/defections").json()["defections"]
        with rs.open(db, read_only=True) as store:
            secret = store_secret(store)
        persons = [d["person"] for d in listed if d["person"]]
        assert persons == [pseudonym(DEFECTOR, secret)]
        profile = client.get("/api/profile/ISKP/TALIBAN", params={"section": "defections"})
        assert DEFECTOR not in profile.text and pseudonym(DEFECTOR, secret) in profile.text
        assert DEFECTOR not in client.get("/report/ISKP/TALIBAN").text
        assert client.get("/api/info").json()["server"]["redact"] is True
        payload = {"date": "2019-03-01", "from_actor": "TALIBAN", "to_actor": "ISKP"}
        refused = client.post("/api/defections", json=payload)
        assert refused.status_code == 403 and "disabled" in refused.json()["detail"]
    finally:
        running.stop()
    restarted = start_server(db, token=False, redact=True)
    try:
        again = restarted.client().get("/api/defections").json()["defections"]
        assert [d["person"] for d in again if d["person"]] == persons, "stable pseudonyms"
    finally:
        restarted.stop()


@pytest.mark.parametrize(
    ("args", "words"),
    [(("--host", "0.0.0.0"), "--token-file"), (("--token-file", "short.txt"), "at least 16")],
)
def test_serve_refuses_unsafe_settings(
    tmp_path: Path, template_store: Path, args: tuple[str, ...], words: str
) -> None:
    db = copy_store(template_store, tmp_path)
    (tmp_path / "short.txt").write_text("abc\n", encoding="utf-8")
    done = subprocess.run(
        serve_command(db, *args, "--port", "1"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert words in done.stderr


def test_serve_needs_an_existing_store(tmp_path: Path) -> None:
    done = subprocess.run(
        serve_command(tmp_path / "typo.duckdb", "--port", "1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no store at" in done.stderr
    assert not (tmp_path / "typo.duckdb").exists()
