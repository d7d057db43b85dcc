"""The API says where its figures come from: every read of events or profiles takes `source`
(empty: the default), profiles carry their sources, warnings, side-by-side figures and
citations, and `/api/coverage`, `/api/links` and `/api/info` tell what each source covers and
which records were linked. A real `rivalscope serve` over one SYNTHETIC world that UCDP
(2017-2023) and ACLED (from 2019-04-01) both report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import rivalscope as rs
import rivalscope.fusion as fusion
from rivalscope.analysis.context import plain
from rivalscope.server.queries import rows
from tests.server.conftest import ACLED_FROM, Server, copy_store, start_server


@pytest.fixture(scope="module")
def world_server(tmp_path_factory: pytest.TempPathFactory, world_store: Path) -> Iterator[Server]:
    db = copy_store(world_store, tmp_path_factory.mktemp("serve-world"))
    running = start_server(db)
    yield running
    running.stop()


def normal(value: Any) -> Any:
    """As JSON gives it back."""
    return json.loads(json.dumps(plain(value)))


def event_ids(client: httpx.Client, **params: Any) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/events", params=query)
        assert page.status_code == 200, page.text
        found += [e["event_id"] for e in page.json()["events"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


def test_events_follow_the_source(world_server: Server) -> None:
    client = world_server.client()
    dyad = {"actor": "ISKP", "rival": "TALIBAN"}
    fused = event_ids(client, **dyad)
    assert event_ids(client, source="", **dyad) == fused, "empty means the default"
    assert event_ids(client, source="fused", **dyad) == fused
    ucdp = event_ids(client, source="ucdp", **dyad)
    acled = event_ids(client, source="acled", **dyad)
    with rs.open(world_server.db, read_only=True) as store:
        for source, served in ((None, fused), ("ucdp", ucdp), ("acled", acled)):
            library = store.events(source=source, **dyad).column("event_id").to_pylist()
            assert served == library, source
    assert len(fused) != len(ucdp) and len(fused) != len(acled)
    assert all(i.startswith("ucdp:") for i in ucdp)
    assert any(i.startswith("fused:") for i in fused), "linked records are one event"
    page = client.get("/api/events", params={**dyad, "limit": 1000}).json()["events"]
    linked = next(e for e in page if e["event_id"].startswith("fused:"))
    assert linked["sources"] == ["acled", "ucdp"] and len(linked["linked_ids"]) >= 2
    csv = client.get("/api/events", params={**dyad, "source": "ucdp", "format": "csv"})
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == len(ucdp) + 1


def test_an_unknown_source_is_refused_with_a_reason(world_server: Server) -> None:
    client = world_server.client()
    for url, params in (
        ("/api/events", {"source": "nope"}),
        ("/api/profile/ISKP/TALIBAN", {"source": "nope", "section": "timeline"}),
        ("/api/dyad/ISKP/TALIBAN", {"source": "nope"}),
    ):
        response = client.get(url, params=params)
        assert response.status_code == 422, (url, response.text)
        detail = response.json()["detail"]
        assert detail.startswith("source: no events from source 'nope'"), detail
        assert "acled, ucdp, fused" in detail
    page = client.get("/report/ISKP/TALIBAN", params={"source": "nope"})
    assert page.status_code == 422 and "no events from source" in page.text
    assert client.get("/api/events", params={"source": "x" * 61}).status_code == 422


def test_profile_carries_its_sources(world_server: Server) -> None:
    client = world_server.client()
    with rs.open(world_server.db, read_only=True) as store:
        expected = {
            source: normal(
                rs.profile(store, "ISKP", "TALIBAN", country="AFG", source=source).to_dict()
            )
            for source in (None, "ucdp")
        }
    answers = {}
    for source in (None, "ucdp"):
        params = {"country": "AFG", "section": "timeline", **({"source": source} if source else {})}
        response = client.get("/api/profile/ISKP/TALIBAN", params=params)
        assert response.status_code == 200, response.text
        body = answers[source] = response.json()
        for key in ("source", "sources", "warnings", "triangulation", "citations"):
            assert body[key] == expected[source][key], (source, key)
        assert body["sections"]["timeline"] == expected[source]["timeline"]
    fused, ucdp = answers[None], answers["ucdp"]
    assert (fused["source"], ucdp["source"]) == ("fused", "ucdp")
    assert [s["source"] for s in fused["sources"]] == ["acled", "ucdp"]
    assert [s["source"] for s in ucdp["sources"]] == ["ucdp"]
    assert fused["sections"]["timeline"] != ucdp["sections"]["timeline"], "a cache per source"
    assert fused["triangulation"]["pairs"][0]["first"] == ACLED_FROM.isoformat()
    assert any("ACLED covers Afghanistan only from" in w for w in fused["warnings"])
    assert any(w.startswith("Only UCDP is read") for w in ucdp["warnings"])
    terms = {c["source"]: c["terms"] for c in fused["citations"]}
    assert "CC BY 4.0" in terms["ucdp"] and "ACLED's Terms of Use" in terms["acled"]
    again = client.get(
        "/api/profile/ISKP/TALIBAN", params={"country": "AFG", "section": "timeline", "source": ""}
    )
    assert again.json() == fused


def test_dyad_summary_follows_the_source(world_server: Server) -> None:
    client = world_server.client()
    default = client.get("/api/dyad/ISKP/TALIBAN").json()
    ucdp = client.get("/api/dyad/ISKP/TALIBAN", params={"source": "ucdp"}).json()
    assert default["source"] == "fused" and ucdp["source"] == "ucdp"
    assert default["source_choices"] == ["fused", "acled", "ucdp"]
    assert default["sources"] == ["acled", "ucdp"]
    assert [r["source"] for r in default["read"]] == ["acled", "ucdp"]
    assert [r["source"] for r in ucdp["read"]] == ["ucdp"]
    read = {r["source"]: r for r in default["read"]}
    assert read["ucdp"]["version"] == "21.1"
    assert read["acled"]["first_date"] == ACLED_FROM.isoformat()
    with rs.open(world_server.db, read_only=True) as store:
        for body, source in ((default, None), (ucdp, "ucdp")):
            clashes = store.events(
                actor="ISKP", rival="TALIBAN", event_type="clash", country="AFG", source=source
            )
            assert body["events"] == clashes.num_rows, source
    assert default["events"] != ucdp["events"]


def test_coverage_links_and_info(world_server: Server) -> None:
    client = world_server.client()
    with rs.open(world_server.db, read_only=True) as store:
        coverage = normal(rows(fusion.coverage(store)))
        links = fusion.links(store, country="AFG")
        event_id = links.column("event_id")[0].as_py()
        cluster = normal(rows(fusion.links(store, event_id=event_id)))
    answer = client.get("/api/coverage")
    assert answer.status_code == 200
    assert answer.json()["coverage"] == coverage
    by_source = {c["source"]: c for c in coverage}
    assert by_source["acled"]["first_date"] == ACLED_FROM.isoformat()
    assert by_source["ucdp"]["versions"] == "21.1"
    named = client.get("/api/coverage", params={"country": "Afghanistan"}).json()["coverage"]
    assert named == coverage
    assert client.get("/api/coverage", params={"country": "SWE"}).json()["coverage"] == []
    assert client.get("/api/coverage", params={"country": "Narnia"}).status_code == 404

    page = client.get("/api/links", params={"country": "AFG", "limit": 5}).json()
    assert page["total"] == links.num_rows > 5
    assert page["links"] == normal(rows(links.slice(0, 5)))
    one = client.get("/api/links", params={"event_id": event_id}).json()
    assert one["links"] == cluster and len(cluster) >= 2
    assert {link["source"] for link in cluster} == {"acled", "ucdp"}
    assert event_id in [link["event_id"] for link in cluster]
    fused_id = f"fused:{cluster[0]['cluster_id']}"
    assert client.get("/api/links", params={"event_id": fused_id}).json()["links"] == cluster
    assert client.get("/api/links", params={"limit": 0}).status_code == 422

    info = client.get("/api/info").json()
    assert info["store"]["coverage"] == coverage
    schema = client.get("/api/openapi.json").json()
    assert {"/api/coverage", "/api/links"} <= set(schema["paths"])
    profile = schema["paths"]["/api/profile/{actor}/{rival}"]["get"]
    assert "source" in [p["name"] for p in profile["parameters"]]


def test_report_page_follows_the_source(world_server: Server) -> None:
    client = world_server.client()
    fused = client.get("/report/ISKP/TALIBAN", params={"country": "AFG"})
    ucdp = client.get("/report/ISKP/TALIBAN", params={"country": "AFG", "source": "ucdp"})
    assert fused.status_code == ucdp.status_code == 200
    assert "linked across ACLED and UCDP" in fused.text
    assert "Events read: UCDP only." in ucdp.text
    assert "How to cite" in fused.text and "CC BY 4.0" in fused.text
    assert '<table class="side-by-side">' in fused.text
    page = client.get("/dyad/ISKP/TALIBAN", params={"source": "ucdp"})
    assert 'data-source="ucdp"' in page.text
    assert 'href="/report/ISKP/TALIBAN?source=ucdp"' in page.text
