"""The dashboard as an analyst works with it, in headless Chromium: the whole view in the address
(a link or a reload reproduces it; back and forward step through views), filters for dates,
event types, source and provinces (a click on the map included), the precise events as points
over the province shapes, a sortable and paged events table, downloads of exactly the rows of the
view, the home page's search by name or alias, and every control reached by the keyboard.
Screenshots of each page go to ``tests/artifacts/dashboard-*.png``."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pyarrow.parquet as pq
import pytest

import rivalscope as rs
from rivalscope.precision import STATING_SOURCES, point_class
from tests.browser import browser
from tests.server.conftest import Server, copy_store, start_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DYAD = "/dyad/ISKP/TALIBAN"
POINT_IDS = """(() => document.getElementById('points').data
  .filter(t => t.ids).flatMap(t => t.ids))()"""
EVENT_IDS_SHOWN = """(() => Array.from(document.querySelectorAll('#events-table tbody tr'))
  .map(tr => tr.children[7].textContent))()"""
LOW_CONTRAST = """selector => {
  const rgb = text => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = node => {
    for (; node && node.nodeType === 1; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) { return c.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  const low = [];
  document.querySelectorAll(selector).forEach(node => {
    const own = Array.from(node.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !node.offsetParent) { return; }
    const style = getComputedStyle(node);
    const fg = lum(rgb(style.color)), bg = lum(background(node));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) { low.push([node.tagName, node.textContent.trim().slice(0, 40), ratio]); }
  });
  return low;
}"""
"""Elements with their own text whose colour on their background is under 4.5:1 (WCAG AA)."""
COLUMN = """n => Array.from(document.querySelectorAll('#events-table tbody tr'))
  .map(tr => tr.children[n].textContent)"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def shaped(
    tmp_path_factory: pytest.TempPathFactory, template_store_with_boundaries: Path
) -> Iterator[tuple[Server, Path]]:
    """A server over a store with province shapes, and a copy of that store to read beside it."""
    folder = tmp_path_factory.mktemp("workbench")
    running = start_server(copy_store(template_store_with_boundaries, folder / "served"))
    beside = folder / "beside.duckdb"
    shutil.copyfile(template_store_with_boundaries, beside)
    yield running, beside
    running.stop()


def _open(chromium: Any, server: Server) -> tuple[Any, list[str]]:
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((server.url, "data:", "blob:"))
            else problems.append(f"outside: {r.url}")
        ),
    )
    return page, problems


def _drawn(page: Any, count: int) -> None:
    page.wait_for_selector(f"body[data-drawn='{count}']", state="attached", timeout=60_000)


def _state(page: Any) -> dict[str, Any]:
    """What the page shows of its view: the controls, the summary and the table."""
    return page.evaluate(
        """() => ({
      since: document.getElementById('f-since').value,
      until: document.getElementById('f-until').value,
      types: Array.from(document.querySelectorAll('#f-types input:checked')).map(i => i.value),
      source: document.getElementById('f-source').value,
      admin1: Array.from(document.getElementById('f-admin1').selectedOptions).map(o => o.value),
      view: document.getElementById('view-summary').textContent,
      map: document.getElementById('map-summary').textContent,
      points: document.getElementById('points-summary').textContent,
      range: document.getElementById('events-range').textContent,
      rows: Array.from(document.querySelectorAll('#events-table tbody tr'))
        .map(tr => tr.children[7].textContent),
      sorted: Array.from(document.querySelectorAll('#events-table th[aria-sort]'))
        .map(th => th.dataset.sort + ':' + th.getAttribute('aria-sort'))
    })"""
    )


def _click_province(page: Any, code: str) -> None:
    """Click the middle of a province's shape on the province map, as a mouse would."""
    page.locator("#map").scroll_into_view_if_needed()
    box = page.evaluate(
        """code => {
      const gd = document.getElementById('map');
      const trace = gd.data.find(t => t.name === code && t.fill === 'toself');
      const xs = trace.x, ys = trace.y;
      const x = (Math.min(...xs) + Math.max(...xs)) / 2;
      const y = (Math.min(...ys) + Math.max(...ys)) / 2;
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      const rect = gd.querySelector('.nsewdrag').getBoundingClientRect();
      return [rect.left + xa.l2p(x), rect.top + ya.l2p(y)];
    }""",
        code,
    )
    page.mouse.click(box[0], box[1])


def _view_rows(beside: Path, query: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The events of a view as the library reads them from the store itself."""
    with rs.open(beside, read_only=True) as store:
        table = store.events_expr(
            actor="ISKP",
            rival="TALIBAN",
            country=query.get("country", [None])[0],
            since=query.get("since", [None])[0],
            until=query.get("until", [None])[0],
            source=query.get("source", [None])[0],
        )
        types, provinces = query.get("type", []), query.get("admin1", [])
        if types:
            table = table.filter(table.event_type.isin(types))
        if provinces:
            table = table.filter(table.admin1_code.isin(provinces))
        found: list[dict[str, Any]] = table.to_pyarrow().to_pylist()
    return found


def _precise_ids(beside: Path, query: dict[str, list[str]]) -> set[str]:
    """The view's events whose point is precise, by the library's one rule."""
    with rs.open(beside, read_only=True) as store:
        table = store.events_expr(
            actor="ISKP", rival="TALIBAN", country="AFG", source=query.get("source", [None])[0]
        )
        table = table.filter(table.event_type.isin(query.get("type", ["clash"])))
        if query.get("admin1"):
            table = table.filter(table.admin1_code.isin(query["admin1"]))
        stating = (*STATING_SOURCES, "fused")
        table = table.mutate(point=point_class(table, stating))
        precise = table.filter(table.point == "precise").select("event_id").to_pyarrow()
    return set(precise.column(0).to_pylist())


def test_the_address_holds_the_view(chromium: Any, shaped: tuple[Server, Path]) -> None:
    server, _ = shaped
    ARTIFACTS.mkdir(exist_ok=True)
    page, problems = _open(chromium, server)
    page.goto(server.url + DYAD)
    _drawn(page, 1)
    first = _state(page)
    assert first["types"] == ["clash"] and first["admin1"] == []
    assert urlparse(page.url).query == ""

    # filters: event types, a province by a click on the map, dates, a sort
    page.check("#f-type-attack")
    _drawn(page, 2)
    assert parse_qs(urlparse(page.url).query)["type"] == ["clash", "attack"]
    _click_province(page, "AF-NAN")
    _drawn(page, 3)
    assert parse_qs(urlparse(page.url).query)["admin1"] == ["AF-NAN"]
    assert _state(page)["admin1"] == ["AF-NAN"]
    page.fill("#f-since", "2016-01-01")
    _drawn(page, 4)
    page.locator("#events-table th[data-sort=deaths] button").click()
    _drawn(page, 5)
    page.locator("#events-table th[data-sort=deaths] button").click()
    _drawn(page, 6)
    shown = _state(page)
    query = parse_qs(urlparse(page.url).query)
    assert query == {
        "country": ["AFG"],
        "since": ["2016-01-01"],
        "type": ["clash", "attack"],
        "admin1": ["AF-NAN"],
        "sort": ["-deaths"],
    } or query == {
        "since": ["2016-01-01"],
        "type": ["clash", "attack"],
        "admin1": ["AF-NAN"],
        "sort": ["-deaths"],
    }
    assert "deaths:descending" in shown["sorted"]
    deaths = [int(d.replace(",", "")) for d in page.evaluate(COLUMN, 5) if d]
    assert deaths == sorted(deaths, reverse=True) and deaths
    assert "Nangarhar (AF-NAN)" in shown["view"] and "clash + attack" in shown["view"]
    assert set(page.evaluate(COLUMN, 1)) <= {"clash", "attack"}
    assert all(cell.startswith("AF-NAN") for cell in page.evaluate(COLUMN, 4))
    page.screenshot(path=str(ARTIFACTS / "dashboard-view.png"), full_page=True)

    # a second page of the table is in the address too
    assert not page.locator("#events-next").is_disabled(), "more than a page of events"
    page.locator("#events-next").click()
    page.wait_for_selector("body[data-turned='2']", state="attached", timeout=30_000)
    assert parse_qs(urlparse(page.url).query)["page"] == ["2"]
    shown = _state(page)
    assert shown["range"].startswith("Events 51 to ")

    # a reload, and the same link in a new page, reproduce the view
    link = page.url
    page.reload()
    _drawn(page, 1)
    assert _state(page) == shown
    other, _ = _open(chromium, server)
    other.goto(link)
    _drawn(other, 1)
    assert _state(other) == shown
    other.close()

    # back and forward step through the views
    page.go_back()
    page.wait_for_function("!location.search.includes('page=2')", timeout=30_000)
    page.wait_for_selector("body[data-drawn='2']", state="attached", timeout=60_000)
    assert "sort=-deaths" in page.url
    page.go_back()
    _drawn(page, 3)
    assert "sort=deaths" in page.url and "sort=-deaths" not in page.url
    page.go_forward()
    _drawn(page, 4)
    assert "sort=-deaths" in page.url

    # a click on the chosen province takes it out of the filter again
    page.locator("#f-clear-admin1").click()
    _drawn(page, 5)
    assert "admin1" not in parse_qs(urlparse(page.url).query)
    assert problems == []
    page.close()


def test_the_point_map_shows_only_precise_points(
    chromium: Any, shaped: tuple[Server, Path]
) -> None:
    server, beside = shaped
    page, problems = _open(chromium, server)
    page.goto(f"{server.url}{DYAD}?type=clash&type=attack")
    _drawn(page, 1)
    drawn = page.evaluate(POINT_IDS)
    precise = _precise_ids(beside, {"type": ["clash", "attack"]})
    assert drawn and len(drawn) == len(set(drawn))
    assert set(drawn) == precise, "exactly the precise points, no coarse one"
    with rs.open(beside, read_only=True) as store:
        every = store.events_expr(actor="ISKP", rival="TALIBAN", country="AFG")
        every = every.filter(every.event_type.isin(["clash", "attack"])).count().to_pyarrow()
    left = every.as_py() - len(precise)
    assert left > 0, "the synthetic store has coarse points to leave out"
    summary = page.locator("#points-summary").inner_text()
    assert f"{left} left out" in summary and "coarse" in summary
    legend = page.evaluate(
        "document.getElementById('points').data.filter(t => t.showlegend !== false)"
        ".map(t => t.name)"
    )
    assert legend[0] == "province outlines"
    assert any(name.startswith("clash (") for name in legend)
    assert any(name.startswith("attack (") for name in legend)
    shapes = page.evaluate(
        "document.getElementById('points').data.filter(t => t.fill === 'toself').length"
    )
    assert shapes == 34
    # names and counts on hover: each shape's label is its name, code and count
    hover = page.evaluate("document.getElementById('map').data.find(t => t.name === 'AF-NAN').text")
    assert hover.startswith("Nangarhar (AF-NAN): ") and "clash + attack events" in hover
    colorbar = page.evaluate(
        "document.getElementById('map').data.filter(t => t.marker && t.marker.showscale)"
        ".map(t => t.marker.colorbar.title.text)"
    )
    assert colorbar == ["clash + attack events<br>per province"]
    page.hover("#points .nsewdrag", position={"x": 5, "y": 5})
    page.locator("#map-panel").screenshot(path=str(ARTIFACTS / "dashboard-map-provinces.png"))
    page.locator("#points-panel").screenshot(path=str(ARTIFACTS / "dashboard-map-points.png"))
    assert problems == []
    page.close()


def test_downloads_hold_exactly_the_rows_of_the_view(
    chromium: Any, shaped: tuple[Server, Path]
) -> None:
    server, beside = shaped
    page, problems = _open(chromium, server)
    view = "?since=2016-01-01&until=2022-12-31&type=clash&type=attack&admin1=AF-NAN&admin1=AF-KNR"
    page.goto(server.url + DYAD + view)
    _drawn(page, 1)
    total = int(page.locator("#view-summary").inner_text().rsplit(": ", 1)[1].split()[0])
    hrefs = {
        fmt: page.locator(f"#export-{fmt}").get_attribute("href")
        for fmt in ("csv", "parquet", "geojson", "jsonl")
    }
    query = parse_qs(urlparse(hrefs["csv"]).query)
    assert query["type"] == ["clash", "attack"] and sorted(query["admin1"]) == ["AF-KNR", "AF-NAN"]
    expected = _view_rows(beside, query)
    ids = [row["event_id"] for row in expected]
    assert total == len(ids) > 0

    # what a click on each link downloads
    with page.expect_download() as caught:
        page.locator("#export-csv").click()
    saved = caught.value.path()
    with open(saved, encoding="utf-8", newline="") as handle:
        assert [row["event_id"] for row in csv.DictReader(handle)] == ids
    with page.expect_download() as caught:
        page.locator("#export-geojson").click()
    collection = json.loads(Path(caught.value.path()).read_text("utf-8"))
    features = collection["features"]
    assert [f["properties"]["event_id"] for f in features] == ids
    by_id = {row["event_id"]: row for row in expected}
    for feature in features:
        row = by_id[feature["properties"]["event_id"]]
        if row["latitude"] is None:
            assert feature["geometry"] is None
        else:
            assert feature["geometry"] == {
                "type": "Point",
                "coordinates": [row["longitude"], row["latitude"]],
            }
    with httpx.Client(base_url=server.url, timeout=60) as client:
        parquet = pq.read_table(io.BytesIO(client.get(hrefs["parquet"]).content))
        assert parquet.column("event_id").to_pylist() == ids
        lines = client.get(hrefs["jsonl"]).text.splitlines()
        assert [json.loads(line)["event_id"] for line in lines] == ids
        # the API's own pages agree
        paged: list[str] = []
        params: dict[str, Any] = {k: v for k, v in query.items() if k != "format"}
        params["limit"] = 7
        while True:
            answer = client.get("/api/events", params=params).json()
            paged += [e["event_id"] for e in answer["events"]]
            if not answer["next_cursor"]:
                break
            params["cursor"] = answer["next_cursor"]
        assert paged == ids
    assert problems == []
    page.close()


def test_the_home_page_finds_rivalries_by_alias(chromium: Any, shaped: tuple[Server, Path]) -> None:
    server, _ = shaped
    page, problems = _open(chromium, server)
    page.goto(server.url + "/")
    top = page.locator("#top-dyads tbody tr")
    assert top.count() >= 3
    first = top.first.locator("a").all_inner_texts()
    assert all(not name.isupper() for name in first), "display names, not ids"
    page.screenshot(path=str(ARTIFACTS / "dashboard-home.png"), full_page=True)
    page.fill("#q", "ISIS-K")
    page.press("#q", "Enter")
    page.wait_for_selector("#found-dyads", timeout=30_000)
    assert parse_qs(urlparse(page.url).query)["q"] == ["ISIS-K"]
    found = page.locator("#search-results .summary").inner_text()
    assert "Islamic State Khorasan Province" in found and "(as “ISIS-K”)" in found
    link = page.locator("#found-dyads a[href='/dyad/ISKP/TALIBAN']").first
    assert link.inner_text() == "Islamic State Khorasan Province"
    page.screenshot(path=str(ARTIFACTS / "dashboard-search.png"), full_page=True)
    link.click()
    _drawn(page, 1)
    assert page.title() == "Rivalscope: Islamic State Khorasan Province vs Taliban"
    page.goto(server.url + "/?q=" + "%3Cb%3Enobody%3C%2Fb%3E")
    none = page.locator("#search-none").inner_text()
    assert "No actor with clashes is called “<b>nobody</b>”" in none
    assert page.locator("#search-results b").count() == 0
    page.screenshot(path=str(ARTIFACTS / "dashboard-search-none.png"))
    page.goto(server.url + "/api")
    page.screenshot(path=str(ARTIFACTS / "dashboard-api.png"))
    page.goto(server.url + "/dyad/ISKP/NOBODY")
    page.screenshot(path=str(ARTIFACTS / "dashboard-problem.png"))
    assert [p for p in problems if "404" not in p] == []
    page.close()


def test_the_keyboard_reaches_every_filter(chromium: Any, shaped: tuple[Server, Path]) -> None:
    server, _ = shaped
    page, problems = _open(chromium, server)
    page.goto(server.url + DYAD)
    _drawn(page, 1)
    reached: list[str] = []
    outlines: dict[str, str] = {}
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement;
          const style = getComputedStyle(e);
          const name = e.id || e.name || e.textContent.trim();
          return [name, style.outlineStyle + ' ' + style.outlineWidth]; }"""
        )
        reached.append(focused[0])
        outlines[focused[0]] = focused[1]
        if focused[0] == "f-copy":
            break
    wanted = ["f-since", "f-until", "f-type-clash", "f-type-attack", "f-source", "f-admin1"]
    wanted += ["f-phase", "f-reset", "f-copy"]
    order = [name for name in dict.fromkeys(reached) if name in wanted]
    assert order == wanted, reached
    for name in wanted:
        assert outlines[name].startswith("solid 3px"), (name, outlines[name])
    # every control has a label
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea'))
      .filter(e => e.type !== 'hidden' && !e.hidden && e.labels.length === 0)
      .map(e => e.id || e.name)"""
    )
    assert unlabelled == []
    page.wait_for_selector("body[data-hotspots='yes']", state="attached", timeout=120_000)
    assert page.evaluate(LOW_CONTRAST, "body *") == []
    # the keyboard alone changes the view: a space ticks a type
    page.focus("#f-type-attack")
    page.keyboard.press("Space")
    _drawn(page, 2)
    assert "type=attack" in page.url
    page.focus("#f-source")
    page.locator("#filters").screenshot(path=str(ARTIFACTS / "dashboard-filters-focus.png"))
    assert problems == []
    page.close()


def test_sorted_pages_cover_every_event_once(shaped: tuple[Server, Path]) -> None:
    server, beside = shaped
    query = {"type": ["clash", "attack"], "admin1": ["AF-NAN", "Kunar"]}
    expected = _view_rows(beside, {"type": ["clash", "attack"], "admin1": ["AF-NAN", "AF-KNR"]})
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for sort in ("-deaths", "province", "source_id"):
            rows: list[dict[str, Any]] = []
            while True:
                params = {**query, "actor": "ISKP", "rival": "TALIBAN", "sort": sort}
                page = client.get(
                    "/api/events", params={**params, "limit": 40, "offset": len(rows)}
                ).json()
                rows += page["events"]
                if len(page["events"]) < 40:
                    break
            assert sorted(r["event_id"] for r in rows) == sorted(r["event_id"] for r in expected)
            column = {"-deaths": "fatalities_best", "province": "admin1"}.get(sort, "source_id")
            values = [r[column] for r in rows if r[column] is not None]
            assert values == sorted(values, reverse=sort.startswith("-")), sort
        refused = client.get("/api/events", params={"sort": "notes"})
        assert refused.status_code == 422 and "sort" in refused.text
        assert client.get("/api/events", params={"type": "gossip"}).status_code == 422
        dyad = client.get(
            "/api/dyad/ISKP/TALIBAN", params={"type": ["clash", "attack"], "admin1": "Kunar"}
        ).json()
        assert dyad["admin1"] == ["AF-KNR"] and dyad["event_type"] == "clash+attack"
        assert {p["code"] for p in dyad["provinces"] if p["events"]} == {"AF-KNR"}


@pytest.mark.realdata
@pytest.mark.slow
def test_the_real_afghan_file_on_the_dashboard(
    chromium: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The real UCDP GED subset for Afghanistan with the real province boundaries: the search
    finds ISKP's rivalries, and its points, which the public subset gives without their
    precision, are left out and said so, and drawn on request."""
    from tests.conftest import shared_file

    ged = shared_file("ucdp_ged211_afghanistan.csv")
    shapes = shared_file("geoBoundaries-AFG-ADM1.geojson")
    folder = tmp_path_factory.mktemp("workbench-real")
    with rs.open(folder / "afg.duckdb") as store:
        store.ingest("ucdp", ged)
        store.load_boundaries(shapes)
    server = start_server(folder / "afg.duckdb", token=False)
    try:
        page, problems = _open(chromium, server)
        page.goto(server.url + "/?q=ISIS-K")
        page.wait_for_selector("#found-dyads a[href='/dyad/ISKP/TALIBAN']", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "dashboard-real-search.png"), full_page=True)
        page.goto(server.url + DYAD)
        _drawn(page, 1)
        summary = page.locator("#points-summary").inner_text()
        assert summary.startswith("0 clash events with a precise point"), summary
        assert "whose source does not state its precision" in summary
        assert page.evaluate(POINT_IDS) == []
        page.check("#f-unstated")
        page.wait_for_function(
            "document.getElementById('points').data.some(t => t.ids && t.ids.length)",
            timeout=30_000,
        )
        assert "unstated=1" in page.url
        page.screenshot(path=str(ARTIFACTS / "dashboard-real.png"), full_page=True)
        assert problems == []
        page.close()
    finally:
        server.stop()
