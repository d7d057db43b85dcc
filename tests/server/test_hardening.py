"""What a server shows and to whom: the Host allow-list on every bind (DNS rebinding), no
filesystem path or process id for callers without the token, empty query parameters as left
out, HEAD and OPTIONS as the schema says, and the cache warmed for the home page's dyads after
the start and after each write."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from rivalscope.server.security import allowed_hosts_for, drop_empty_parameters, shown_name
from tests.server.conftest import TOKEN, Server, copy_store, free_port, serve_command


def test_allowed_hosts_cover_the_bind_address_loopback_and_the_names_given() -> None:
    assert allowed_hosts_for("127.0.0.1") == {"localhost", "127.0.0.1", "::1"}
    wide = allowed_hosts_for("0.0.0.0", ["Analysis.Example", " [fd00::1] ", ""])
    assert wide == {"localhost", "127.0.0.1", "::1", "0.0.0.0", "analysis.example", "fd00::1"}


def test_a_server_on_every_address_refuses_unknown_hosts(
    tmp_path: Path, template_store: Path
) -> None:
    db = copy_store(template_store, tmp_path / "wide")
    token = tmp_path / "token.txt"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    token.chmod(0o600)
    port = free_port()
    log = tmp_path / "serve.log"
    args = ("--host", "0.0.0.0", "--port", str(port), "--token-file", str(token))
    with log.open("wb") as sink:
        process = subprocess.Popen(
            serve_command(db, *args, "--allowed-host", "analysis.example"),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                if httpx.get(f"{url}/api/info", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=30) as client:
            for host in ("rebound.attacker.example", "evil.example:80", "10.1.2.3"):
                refused = client.get("/api/info", headers={"host": host})
                assert refused.status_code == 400, host
                assert refused.json() == {"detail": "invalid Host header"}
                assert client.get("/", headers={"host": host}).status_code == 400
            for host in (
                f"localhost:{port}",
                "127.0.0.1",
                "[::1]:8750",
                "0.0.0.0",
                "analysis.example",
            ):
                assert client.get("/api/info", headers={"host": host}).status_code == 200, host
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_info_shows_paths_and_process_ids_only_to_the_token(server: Server) -> None:
    folder = str(Path(server.db).parent)
    anonymous = server.client().get("/api/info")
    assert anonymous.status_code == 200
    assert folder not in anonymous.text
    assert "/" not in anonymous.json()["server"]["db"]
    shown = anonymous.json()
    assert shown["server"]["db"] == Path(server.db).name
    assert shown["server"]["pid"] is None and shown["server"]["busy_pid"] is None
    files = [b["file"] for b in shown["store"]["batches"] if b["file"]]
    assert files and all("/" not in f and "\\" not in f for f in files), files
    assert shown["store"]["db"] == Path(server.db).name

    wrong = server.client().get("/api/info", headers={"Authorization": "Bearer not-the-token"})
    assert folder not in wrong.text

    full = server.client(auth=True).get("/api/info").json()
    assert full["server"]["db"] == str(server.db)
    assert full["server"]["pid"] == server.process.pid
    assert any(str(b["file"]).startswith("/") for b in full["store"]["batches"] if b["file"])


def test_no_page_shows_a_path(server: Server) -> None:
    client = server.client()
    folder = str(Path(server.db).parent)
    for page in ("/", "/dyad/ISKP/TALIBAN", "/report/ISKP/TALIBAN", "/api", "/dyad/ISKP/Nobody"):
        response = client.get(page)
        assert response.status_code in (200, 404), (page, response.status_code)
        assert folder not in response.text, page
        assert "/tmp/" not in response.text and "pytest-" not in response.text, page
    assert Path(server.db).name in client.get("/").text


def test_empty_parameters_count_as_left_out(server: Server) -> None:
    client = server.client()
    same = [
        ("/api/events", "actor=ISKP&rival=&country=&source=&admin1=&cursor=", "actor=ISKP"),
        ("/api/dyad/ISKP/TALIBAN", "phase=&country=&source=", ""),
        ("/api/places", "country=", ""),
        ("/api/coverage", "country=", ""),
        ("/api/links", "country=&event_id=", ""),
        ("/api/defections", "involving=&country=", ""),
        ("/api/profile/ISKP/TALIBAN", "section=timeline&country=&source=", "section=timeline"),
    ]
    for path, empty, plain in same:
        blank = client.get(f"{path}?{empty}")
        assert blank.status_code == 200, (path, blank.text)
        assert blank.json() == client.get(f"{path}?{plain}").json(), path
    # where the schema rules an empty value out, it is still refused
    for query in ("until=", "since=", "limit=", "type=", "format="):
        assert client.get(f"/api/events?{query}").status_code == 422, query
    assert client.get("/api/profile/ISKP/TALIBAN?section=").status_code == 422


def test_drop_empty_parameters_keeps_everything_else() -> None:
    names = {"rival", "phase"}
    assert drop_empty_parameters(b"actor=ISKP&rival=&phase", names) == b"actor=ISKP"
    assert drop_empty_parameters(b"rival=%3D&until=&a=b=", names) == b"rival=%3D&until=&a=b="
    assert shown_name("/srv/data/afg.duckdb") == "afg.duckdb"
    assert shown_name("postgresql://analyst:***@db.example:5432/conflict") == (
        "postgresql://…/conflict"
    )


def test_head_and_options_answer_as_the_schema_says(server: Server) -> None:
    client = server.client()
    got = client.get("/api/actors")
    head = client.head("/api/actors")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert client.head("/").status_code == 200

    options = client.options("/api/defections")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.options("/api/actors").headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.options("/api/defections/some-id").headers["allow"] == "OPTIONS, PATCH"
    assert client.options("/api/no-such-thing").status_code == 404

    refused = client.delete("/api/defections")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.put("/api/actors").headers["allow"] == "GET, HEAD, OPTIONS"


def _warm(server: Server) -> dict[str, object]:
    return server.wait_for(
        lambda i: i["server"]["warmed_version"] == i["server"]["snapshot_version"] > 0,
        "the cache to be warm",
        timeout=120,
    )["server"]


@pytest.mark.slow
def test_the_home_page_dyads_are_warm_after_the_start_and_after_a_write(server: Server) -> None:
    client = server.client()
    _warm(server)
    dyad = client.get("/api/dyad/ISKP/TALIBAN")
    assert dyad.headers["x-rivalscope-cache"] == "hit"
    country = dyad.json()["country"]
    for params in (
        {},
        {"section": "timeline", "country": country},
        {"section": "hotspots", "country": country},
    ):
        answer = client.get("/api/profile/ISKP/TALIBAN", params=params)
        assert answer.headers["x-rivalscope-cache"] == "hit", params

    before = client.get("/api/info").json()["server"]["snapshot_version"]
    written = server.client(auth=True).post(
        "/api/defections",
        json={"date": "2016-02-01", "from_actor": "TALIBAN", "to_actor": "ISKP", "fighters": 3},
    )
    assert written.status_code == 201, written.text
    warm = _warm(server)
    assert int(str(warm["snapshot_version"])) > before
    assert warm["warm_seconds"] is not None
    again = client.get("/api/profile/ISKP/TALIBAN")
    assert again.headers["x-rivalscope-cache"] == "hit"
    assert again.json()["snapshot_version"] == warm["snapshot_version"]
