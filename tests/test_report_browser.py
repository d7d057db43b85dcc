"""The HTML report, rendered in headless Chromium and looked at: every section and chart drawn
(an empty one as one sentence), nothing fetched from the network, text from the data shown as
text, never run, actors shown by their display names, never by their ids, the timeline over the
dyad's own window, legends on the maps, tables within the page, each chart downloadable as a PNG,
and no SYNTHETIC banner on data that is not synthetic."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest

import rivalscope as rs
from rivalscope.analysis.profile import ACTOR_COLUMNS, SECTIONS
from rivalscope.report import write_report
from tests.browser import CHROMIUM, LAUNCH

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HOSTILE = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"

GED = """id,type_of_violence,side_a,side_b,country,date_start,date_end,best,low,high,latitude,\
longitude,adm_1,deaths_civilians,source_headline
1,2,IS,Taleban,Afghanistan,2016-03-02,2016-03-02,12,10,14,34.2,70.6,Nangarhar province,,"{hostile}"
2,2,IS,Taleban,Afghanistan,2016-05-10,2016-05-10,4,4,4,34.3,70.4,Nangarhar province,,clash
3,2,Taleban,IS,Afghanistan,2017-07-01,2017-07-01,7,7,7,36.7,65.8,Jowzjan province,,clash
4,3,IS,Civilians,Afghanistan,2017-09-01,2017-09-01,9,9,9,34.53,69.17,Kabul province,9,bomb
5,3,IS,Civilians,Afghanistan,2017-09-03,2017-09-03,3,3,3,34.54,69.18,Kabul province,3,bomb
6,3,Taleban,Civilians,Afghanistan,2018-01-05,2018-01-05,2,2,2,31.6,65.7,Kandahar province,2,attack
7,1,Government of Afghanistan,IS,Afghanistan,2022-02-01,2022-02-01,5,5,5,34.4,70.5,\
Nangarhar province,,raid
8,1,Government of Afghanistan,IS,Afghanistan,2017-07-03,2017-07-03,6,6,6,36.7,65.8,\
Jowzjan province,,raid
"""
IDS = re.compile(r"\b(ISKP|TALIBAN|AFG_REPUBLIC)\b")
"""The actor ids of the report's store (ids that differ from their display names)."""
NAMES = {
    "ISKP": "Islamic State Khorasan Province",
    "TALIBAN": "Taliban",
    "AFG_REPUBLIC": "Islamic Republic of Afghanistan",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    ged = folder / "ged.csv"
    ged.write_text(GED.format(hostile=HOSTILE.replace('"', '""')), encoding="utf-8")
    defections = folder / "defections.csv"
    defections.write_text(
        "date,from_actor,to_actor,person,role,fighters,admin1,notes\n"
        "2016-01-10,Taliban,ISKP,Mullah Example,commander,40,Nangarhar,"
        f'"{HOSTILE.replace(chr(34), chr(34) * 2)}"\n',
        encoding="utf-8",
    )
    store = rs.open(folder / "r.duckdb")
    store.ingest_ucdp(ged)
    store.ingest_defections(defections)
    result = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
    path = write_report(result, folder / "report.html", redact=True)
    store.close()
    return path


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert "<script src=" not in html and "<link" not in html, "nothing loaded from elsewhere"
    assert "<script>document.title" not in html, "hostile markup escaped in the file"
    assert "Mullah Example" not in html, "--redact hides names of individuals"
    for name in SECTIONS:
        assert f'id="{name}"' in html


def open_report(page: Any, path: Path) -> None:
    """Load a report and wait until every chart it carries is drawn."""
    page.goto(path.as_uri())
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.chart'))"
        ".every(chart => chart.querySelector('.main-svg'))"
        " && document.querySelectorAll('.chart').length > 0",
        timeout=30_000,
    )


def shoot_sections(page: Any, prefix: str) -> list[str]:
    """Save a screenshot of the top of the page and of every section as
    ``tests/artifacts/<prefix>-<section>.png``; the sections' ids."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{prefix}-top.png"))
    names: list[str] = page.evaluate(
        "Array.from(document.querySelectorAll('main > section')).map(s => s.id)"
    )
    for name in names:
        page.locator(f"section#{name}").screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"))
    return names


def assert_tables_fit(page: Any) -> None:
    """With every table unfolded, nothing is wider than the page, and every table fits its
    section (it wraps, or scrolls inside its own box)."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]}px wide in a {width[1]}px window"
    outside = page.evaluate(
        """Array.from(document.querySelectorAll('main table')).flatMap(table => {
             const box = table.closest('section').getBoundingClientRect();
             const wrap = table.closest('.table-wrap');
             const seen = (wrap || table).getBoundingClientRect();
             const scrolls = wrap && getComputedStyle(wrap).overflowX === 'auto';
             const fits = seen.right <= box.right + 1 && seen.left >= box.left - 1;
             const within = table.getBoundingClientRect().right <= box.right + 1 || scrolls;
             return fits && within ? [] : [table.closest('section').id];
           })"""
    )
    assert outside == [], f"tables wider than their section in {outside}"
    headers = page.evaluate(
        "Array.from(document.querySelectorAll('main th')).map(th => th.textContent)"
    )
    assert headers and not [h for h in headers if "_" in h], "headers read as words"


def assert_map_legends(page: Any) -> None:
    """The clash map has a color bar; the hotspot map a legend naming each side's hotspots
    and the province layer under them."""
    assert page.locator("#chart-spread .colorbar").count() == 1
    colorbar = page.evaluate(
        "Array.from(document.querySelectorAll('#chart-spread .colorbar text'))"
        ".map(t => t.textContent).join(' ')"
    )
    assert "clashes between them" in colorbar, colorbar
    if page.locator("#chart-hotspots").count():
        legend = page.evaluate(
            "Array.from(document.querySelectorAll('#chart-hotspots .legendtext'))"
            ".map(t => t.textContent)"
        )
        assert any("Islamic State Khorasan Province attack hotspots" in t for t in legend)
        assert any(t.startswith("province") for t in legend), legend


def timeline_range(page: Any) -> list[str]:
    """The timeline's x-range as drawn (days)."""
    shown: list[str] = page.evaluate(
        "document.getElementById('chart-timeline').layout.xaxis.range.map(String)"
    )
    return [value[:10] for value in shown]


def test_report_renders_in_chromium(report: Path) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        open_report(page, report)
        for name in SECTIONS:
            section = page.locator(f"section#{name}")
            assert section.locator("h2").inner_text()
            assert section.locator(".summary").inner_text().strip()
            bare = "bare" in (section.get_attribute("class") or "")
            if bare:
                assert section.locator(".chart, details, table").count() == 0, name
            else:
                assert section.locator(".chart .main-svg, p.empty").count() >= 1, name
        assert page.locator("section#timeline .chart .main-svg").count() >= 1
        assert page.title() == ("Rivalscope: Islamic State Khorasan Province vs Taliban"), (
            "no injected script ran"
        )
        assert page.locator("#synthetic, .synthetic-tag").count() == 0, "real data: no banner"
        assert "SYNTHETIC" not in page.evaluate(
            "Array.from(document.querySelectorAll('.chart .annotation-text'))"
            ".map(t => t.textContent).join(' ')"
        )
        assert timeline_range(page) == [
            str(dt.date(2016, 3, 1) - dt.timedelta(days=16)),
            str(dt.date(2022, 2, 1) + dt.timedelta(days=16)),
        ], (
            "the timeline spans the months of the dyad's first and last event between them "
            "(the last: the Taliban state's raid on IS, row 7)"
        )
        assert_map_legends(page)
        shoot_sections(page, "report")
        assert_png_download(page)
        assert_tables_fit(page)
        shown = page.locator("body").inner_text()
        assert "<script>document.title='PWNED'</script>" in shown, "notes shown as text"
        assert page.locator("section img[src='x']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        assert_names_not_ids(page)
        browser.close()
    outside = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
    assert outside == [], "the report works offline"
    assert errors == []


def assert_png_download(page: Any) -> None:
    """The timeline's modebar button "Download plot as a PNG" saves a PNG named after it (and
    no button sends the chart to Chart Studio)."""
    page.locator("#chart-timeline").hover()
    titles = page.evaluate(
        "Array.from(document.querySelectorAll('#chart-timeline .modebar-btn'))"
        ".map(b => b.getAttribute('data-title'))"
    )
    assert not [t for t in titles if "Share" in t or "Chart Studio" in t], titles
    button = page.locator('#chart-timeline .modebar-btn[data-title="Download plot as a PNG"]')
    with page.expect_download(timeout=20_000) as waiting:
        button.click()
    download = waiting.value
    assert download.suggested_filename == "timeline.png"
    saved = Path(download.path())
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert saved.stat().st_size > 10_000


@pytest.mark.realdata
def test_real_report_with_boundaries(tmp_path: Path) -> None:
    from tests.conftest import shared_file

    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    store = rs.open(tmp_path / "real.duckdb")
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    store.load_boundaries(shared_file("geoBoundaries-AFG-ADM1.geojson"))
    result = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
    path = write_report(result, tmp_path / "real.html")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        open_report(page, path)
        provinces = page.evaluate(
            "document.getElementById('chart-spread').data"
            ".filter(t => t.fill === 'toself').map(t => t.name)"
        )
        assert len(set(provinces)) == 34, "a choropleth of the 34 provinces"
        summary = page.locator("section#spread .summary").inner_text()
        assert "9 of Afghanistan's 34 provinces" in summary
        assert page.locator("#synthetic, .synthetic-tag").count() == 0, "real data: no banner"
        assert timeline_range(page) == ["2015-01-16", "2019-11-17"], (
            "the dyad's own window (February 2015 to November 2019), not 1989-2020"
        )
        ticks = page.evaluate(
            "Array.from(document.querySelectorAll('#chart-timeline .y2tick text'))"
            ".map(t => t.textContent)"
        )
        assert ticks and all(re.fullmatch(r"[\d,]+", t) for t in ticks), ticks
        outlines = page.evaluate(
            "document.getElementById('chart-hotspots').data"
            ".filter(t => t.name === 'province outlines').length"
        )
        assert outlines == 2, "each side's panel over the province outlines"
        assert_map_legends(page)
        shoot_sections(page, "report-real")
        assert_tables_fit(page)
        browser.close()


def assert_names_not_ids(page: Any) -> None:
    """Actors read by their display names: the heading, every cell of a column of actors (its
    id in the tooltip), every chart's trace names and labels, and the visible text."""
    heading = page.locator("header h1")
    assert heading.inner_text() == "Rivalry profile: Islamic State Khorasan Province vs Taliban"
    assert heading.locator(".actor").get_attribute("title") == "ISKP"
    cells = page.evaluate(
        """columns => Array.from(document.querySelectorAll("main table")).flatMap(table => {
             const heads = Array.from(table.querySelectorAll("thead th")).map(h => h.textContent);
             return Array.from(table.querySelectorAll("tbody tr")).flatMap(row =>
               Array.from(row.children)
                 .map((cell, i) => [heads[i], cell])
                 .filter(([head, cell]) => columns.includes(head) && cell.textContent)
                 .map(([head, cell]) => {
                   const span = cell.querySelector(".actor-name");
                   return [head, cell.innerText, span ? span.title : null];
                 }));
           })""",
        sorted(ACTOR_COLUMNS),
    )
    assert {title for _, _, title in cells} >= {"ISKP", "TALIBAN", "AFG_REPUBLIC"}, cells
    for column, text, title in cells:
        assert title is not None and text == NAMES.get(title, text) != title, (column, text)
    for name in SECTIONS:
        shown = page.locator(f"section#{name}").inner_text()
        assert not IDS.search(shown), (name, IDS.findall(shown))
        labels = page.evaluate(
            f"""((document.getElementById("chart-{name}") || {{}}).data || []).flatMap(t =>
                 [t.name || "", ...(t.y || []).map(String), ...((t.node || {{}}).label || [])])"""
        )
        assert not IDS.search(" ".join(labels)), (name, labels)
    assert "attacks by Islamic State Khorasan Province" in page.evaluate(
        "document.getElementById('chart-timeline').data.map(t => t.name).join('|')"
    )
    assert not IDS.search(page.locator("header").inner_text() + page.title())
