"""The dashboard in headless Chromium says where its figures come from: the sources read with
their versions and windows, the warnings, each source's coverage on the timeline, and a source
selector that re-queries everything (exports included) with `source=`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import browser
from tests.server.conftest import ACLED_FROM, Server, copy_store, start_server

SHOTS = Path("/tmp/shots")
COVERAGE = (
    "document.getElementById('timeline').data.filter(t => t.yaxis === 'y3')"
    ".map(t => [t.name, t.x[0], t.x[1]])"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def world_server(tmp_path_factory: pytest.TempPathFactory, world_store: Path) -> Iterator[Server]:
    running = start_server(copy_store(world_store, tmp_path_factory.mktemp("browser-world")))
    yield running
    running.stop()


def _query(page: Any, selector: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.locator(selector).get_attribute("href")).query)


def test_dashboard_shows_and_switches_sources(chromium: Any, world_server: Server) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((world_server.url, "data:", "blob:"))
            else outside.append(r.url)
        ),
    )
    page.goto(f"{world_server.url}/dyad/ISKP/TALIBAN")
    page.wait_for_selector("body[data-drawn='1']", state="attached", timeout=60_000)
    page.wait_for_selector("body[data-sourced='1']", state="attached", timeout=60_000)

    assert "linked across ACLED and UCDP" in page.locator("#sources-read").inner_text()
    table = page.locator("#sources-table tbody tr")
    assert table.count() == 2
    ucdp_row = table.filter(has_text="UCDP").inner_text()
    assert "21.1" in ucdp_row and "2017-01-01 to 2023-12-31" in ucdp_row
    assert ACLED_FROM.isoformat() in table.filter(has_text="ACLED").inner_text()
    warnings = page.locator("#warnings li").all_inner_texts()
    assert any("ACLED covers Afghanistan only from 2019-04-01" in w for w in warnings)
    assert page.locator("#compared-table tbody tr").count() > 0
    assert page.locator("#compared-table tr.disagree").count() > 0
    citations = page.locator("#citations").text_content() or ""
    assert "CC BY 4.0" in citations and "ACLED" in citations
    coverage = page.evaluate(COVERAGE)
    assert [c[0] for c in coverage] == ["ACLED coverage", "UCDP coverage"]
    assert coverage[0][1] == ACLED_FROM.isoformat()
    options = page.locator("#f-source option").all_inner_texts()
    assert options == ["default (fused)", "fused (each event once)", "ACLED", "UCDP"]
    fused_bars = page.evaluate(
        "document.getElementById('timeline').data[0].y.reduce((a, b) => a + b, 0)"
    )
    page.evaluate("document.getElementById('compared-details').open = true")
    page.evaluate("document.getElementById('cite-details').open = true")
    page.locator("#sources-panel").screenshot(path=str(SHOTS / "dashboard-sources-fused.png"))
    page.locator("#timeline-panel").screenshot(path=str(SHOTS / "dashboard-timeline-fused.png"))

    page.select_option("#f-source", value="ucdp")
    page.wait_for_selector("body[data-drawn='2']", state="attached", timeout=60_000)
    page.wait_for_selector("body[data-sourced='2']", state="attached", timeout=60_000)
    assert page.locator("#sources-read").inner_text() == "Events read: UCDP only."
    assert page.locator("#sources-table tbody tr").count() == 1
    assert [c[0] for c in page.evaluate(COVERAGE)] == ["UCDP coverage"]
    assert any(
        w.startswith("Only UCDP is read") for w in page.locator("#warnings li").all_inner_texts()
    )
    ucdp_bars = page.evaluate(
        "document.getElementById('timeline').data[0].y.reduce((a, b) => a + b, 0)"
    )
    assert ucdp_bars != fused_bars
    for link in (
        "#export-csv",
        "#export-jsonl",
        "#export-parquet",
        "#export-profile",
        "#report-link",
    ):
        assert _query(page, link)["source"] == ["ucdp"], link
    assert _query(page, "#export-csv")["format"] == ["csv"]
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#events-table tbody tr td:nth-child(7)'))"
        ".every(td => td.textContent === 'ucdp')",
        timeout=30_000,
    )
    page.screenshot(path=str(SHOTS / "dashboard-sources-ucdp.png"), full_page=False)
    page.locator("#sources-panel").screenshot(path=str(SHOTS / "dashboard-sources-ucdp-panel.png"))

    page.select_option("#f-source", value="")
    page.wait_for_selector("body[data-drawn='3']", state="attached", timeout=60_000)
    assert "source" not in _query(page, "#export-csv")
    page.wait_for_selector("body[data-hotspots='yes']", state="attached", timeout=120_000)
    assert outside == [], "the dashboard works offline"
    assert errors == []
    page.close()
