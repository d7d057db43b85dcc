"""The dashboard in headless Chromium, used as an analyst uses it: filters redraw the map and
the timeline together, a defection added through the form shows in the table, text from the
data is shown as text, actors are shown by their display names (ids in tooltips), and nothing is
fetched from anywhere but the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import browser
from tests.server.conftest import HOSTILE, TOKEN, Server, copy_store, start_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
MAP_TEXT = "document.getElementById('map').data.map(t => (t.text || []).join('|')).join('|')"
BARS = "document.getElementById('timeline').data[0].y.reduce((a, b) => a + b, 0)"
IDS = re.compile(r"\b(ISKP|TALIBAN)\b")
"""The dyad's actor ids, which differ from their display names."""
NAMES = {"ISKP": "Islamic State Khorasan Province", "TALIBAN": "Taliban"}
SHOWN_TEXT = """(() => {
  const notes = Array.from(document.querySelectorAll("td.notes"));
  notes.forEach(cell => { cell.hidden = true; });
  const text = document.querySelector("header").innerText + "\\n" +
    document.querySelector("main").innerText;
  notes.forEach(cell => { cell.hidden = false; });
  return text;
})()"""
"""What the page shows people, less the sources' own words (notes, passages)."""
NAMED_CELLS = """selector => Array.from(document.querySelectorAll(selector))
  .filter(cell => cell.title).map(cell => [cell.innerText, cell.title])"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def tile_server(tmp_path_factory: pytest.TempPathFactory, template_store: Path) -> Iterator[Server]:
    running = start_server(copy_store(template_store, tmp_path_factory.mktemp("browser")))
    yield running
    running.stop()


class Watch:
    """What a page asked for and what went wrong on it."""

    def __init__(self, page: Any, origin: str) -> None:
        self.origin = origin
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.origin, "data:", "blob:")):
            self.outside.append(request.url)


def _drawn(page: Any, count: int) -> None:
    page.wait_for_selector(f"body[data-drawn='{count}']", state="attached", timeout=60_000)


def test_dashboard_filters_form_and_escaping(chromium: Any, tile_server: Server) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    watch = Watch(page, tile_server.url)
    page.goto(f"{tile_server.url}/dyad/ISKP/TALIBAN")
    page.wait_for_selector("body[data-ready='yes']", state="attached", timeout=60_000)
    _drawn(page, 1)
    title = page.title()
    assert title == "Rivalscope: Islamic State Khorasan Province vs Taliban"
    assert page.locator("header h1 .actor").get_attribute("title") == "ISKP"
    assert page.locator("#map .main-svg").count() >= 1
    assert page.locator("#timeline .main-svg").count() >= 1
    map_before, bars_before = page.evaluate(MAP_TEXT), page.evaluate(BARS)
    summary_before = page.locator("#map-summary").inner_text()
    assert bars_before > 0 and "NAN<br>" in map_before

    # a filter redraws map and timeline together
    page.select_option("#f-phase", index=2)
    _drawn(page, 2)
    map_after, bars_after = page.evaluate(MAP_TEXT), page.evaluate(BARS)
    assert map_after != map_before and 0 < bars_after < bars_before
    tiles = page.evaluate(
        "document.getElementById('map').data[0].text.map(t => Number(t.split('<br>')[1]))"
    )
    assert sum(tiles) <= bars_after, "the map counts what the timeline counts (placed only)"
    assert page.locator("#map-summary").inner_text() != summary_before
    page.locator("#map-panel").screenshot(path=str(ARTIFACTS / "dashboard-map-phase.png"))
    page.locator("#timeline-panel").screenshot(path=str(ARTIFACTS / "dashboard-timeline-phase.png"))

    # the clash whose notes are markup (its own source's record): shown as text, never run
    page.select_option("#f-phase", value="")
    _drawn(page, 3)
    page.select_option("#f-source", value="notes")
    _drawn(page, 4)
    page.fill("#f-since", "2019-06-01")
    page.fill("#f-until", "2019-06-30")
    page.locator("#f-until").dispatch_event("change")
    cell = page.locator("#events-table td.notes", has_text="PWNED")
    cell.first.wait_for(timeout=60_000)
    assert cell.first.inner_text() == HOSTILE
    assert page.locator("#events-table img").count() == 0
    page.locator("#events-panel").screenshot(path=str(ARTIFACTS / "dashboard-events-notes.png"))
    page.select_option("#f-source", value="")

    # a defection added through the form, with the token, shows in the table
    rows_before = page.locator("#defections-table tbody tr").count()
    page.fill("#token", TOKEN)
    form = page.locator("#defection-form")
    form.locator("input[name=date]").fill("2017-05-04")
    form.locator("input[name=person]").fill("Commander Browser")
    form.locator("input[name=fighters]").fill("25")
    form.locator("select[name=admin1]").select_option("AF-KNR")
    form.locator("textarea[name=notes]").fill(HOSTILE)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#defection-message.ok >> text=Added", timeout=60_000)
    added = page.locator("#defections-table tbody tr", has_text="Commander Browser")
    added.wait_for(timeout=30_000)
    expect(page.locator("#defections-table tbody tr")).to_have_count(rows_before + 1)
    assert HOSTILE in added.inner_text()
    assert "AF-KNR" in added.inner_text() and "25" in added.inner_text()
    assert page.locator("#defections-table img").count() == 0
    page.locator("#defections-panel").screenshot(path=str(ARTIFACTS / "dashboard-defections.png"))

    # a wrong token is refused and said so
    page.fill("#token", "not-the-token-at-all")
    form.locator("input[name=person]").fill("Nobody")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#defection-message.problem >> text=token", timeout=30_000)
    assert page.locator("#defections-table tbody tr", has_text="Nobody").count() == 0

    # review: the passage with markup is text; accepting an item with the token removes it
    review_rows = page.locator("#review-table tbody tr")
    review_rows.first.wait_for(timeout=30_000)
    assert review_rows.count() == 2
    assert HOSTILE in review_rows.nth(1).inner_text()
    page.fill("#token", TOKEN)
    review_rows.first.locator("button", has_text="Accept").click()
    page.wait_for_selector("#review-message.ok >> text=accepted", timeout=60_000)
    expect(page.locator("#review-table tbody tr")).to_have_count(1)

    page.wait_for_selector("body[data-hotspots='yes']", state="attached", timeout=120_000)
    page.locator("#hotspots-table tbody tr").first.wait_for(timeout=120_000)
    assert_names_not_ids(page)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert page.title() == title, "no injected script ran"
    assert watch.outside == [], "the dashboard works offline"
    refused = "the server responded with a status of 401"
    assert [e for e in watch.errors if refused not in e] == [], "no CSP violation, no error"
    assert len(watch.errors) == 1, "only the write with the wrong token failed"
    page.close()


def test_choropleth_when_boundaries_are_loaded(chromium: Any, server: Server) -> None:
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    watch = Watch(page, server.url)
    page.goto(f"{server.url}/dyad/ISKP/TALIBAN")
    _drawn(page, 1)
    shaded = page.evaluate(
        "document.getElementById('map').data.filter(t => t.fill === 'toself').map(t => t.name)"
    )
    assert len(set(shaded)) == 34, "one filled shape per province"
    page.locator("#map-panel").screenshot(path=str(ARTIFACTS / "dashboard-choropleth.png"))
    page.goto(f"{server.url}/")
    page.wait_for_selector("table a[href='/dyad/ISKP/TALIBAN'], table a", timeout=30_000)
    links = page.locator("table a[title='ISKP']")
    assert links.count() >= 1 and links.first.inner_text() == NAMES["ISKP"]
    beside = links.first.locator("xpath=..").locator(".actor-id")
    assert beside.inner_text() == "ISKP", "the id beside the name, muted"
    assert not IDS.search(" ".join(page.locator("table a").all_inner_texts()))
    page.screenshot(path=str(ARTIFACTS / "dashboard-index.png"))
    page.goto(f"{server.url}/report/ISKP/TALIBAN?country=AFG")
    page.wait_for_selector("section#spread .chart .main-svg", timeout=60_000)
    assert watch.outside == [] and watch.errors == []
    page.close()


def assert_names_not_ids(page: Any) -> None:
    """Every table cell of an actor shows its display name with the id as its tooltip, and no
    id shows anywhere people read (the sources' own words aside)."""
    for table in ("events", "defections", "hotspots"):
        cells = page.evaluate(NAMED_CELLS, f"#{table}-table td")
        assert cells, table
        assert {title for _, title in cells} >= {"ISKP", "TALIBAN"}, (table, cells)
        for text, title in cells:
            assert text == NAMES.get(title, text) != title, (table, text, title)
    legend = page.evaluate("document.getElementById('hotspots').data.map(t => t.name)")
    assert legend == [f"{NAMES['ISKP']} attack clusters", f"{NAMES['TALIBAN']} attack clusters"]
    assert "between Islamic State Khorasan Province and Taliban" in (
        page.locator("#map-summary").inner_text()
    )
    shown = page.evaluate(SHOWN_TEXT)
    assert not IDS.search(shown), [
        shown[m.start() - 60 : m.end() + 60] for m in IDS.finditer(shown)
    ]
