"""The HTML report, rendered in headless Chromium and looked at: every section and chart drawn,
nothing fetched from the network, text from the data shown as text, never run, and actors shown
by their display names, never by their ids."""

from __future__ import annotations

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
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(report.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.chart .main-svg').length >= {len(SECTIONS)}",
            timeout=30_000,
        )
        for name in SECTIONS:
            section = page.locator(f"section#{name}")
            assert section.locator("h2").inner_text()
            assert section.locator(".summary").inner_text().strip()
            assert section.locator(".chart .main-svg").count() >= 1, name
        ARTIFACTS.mkdir(exist_ok=True)
        for name in SECTIONS:
            page.locator(f"section#{name}").screenshot(path=str(ARTIFACTS / f"report-{name}.png"))
        assert page.title() == ("Rivalscope: Islamic State Khorasan Province vs Taliban"), (
            "no injected script ran"
        )
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        shown = page.locator("body").inner_text()
        assert "<script>document.title='PWNED'</script>" in shown, "notes shown as text"
        assert page.locator("section img[src='x']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        page.screenshot(path=str(ARTIFACTS / "report-top.png"))
        assert_names_not_ids(page)
        browser.close()
    outside = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
    assert outside == [], "the report works offline"
    assert errors == []


@pytest.mark.realdata
def test_real_report_with_boundaries(tmp_path: Path) -> None:
    from tests.conftest import shared_file

    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    store = rs.open(tmp_path / "real.duckdb")
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    store.load_boundaries(shared_file("geoBoundaries-AFG-ADM1.geojson"))
    result = rs.profile(store, "ISKP", "TALIBAN", country="AFG", since="2015-01-01")
    path = write_report(result, tmp_path / "real.html")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(path.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.chart .main-svg').length >= {len(SECTIONS)}",
            timeout=30_000,
        )
        provinces = page.evaluate(
            "document.getElementById('chart-spread').data"
            ".filter(t => t.fill === 'toself').map(t => t.name)"
        )
        assert len(set(provinces)) == 34, "a choropleth of the 34 provinces"
        summary = page.locator("section#spread .summary").inner_text()
        assert "9 of Afghanistan's 34 provinces" in summary
        ARTIFACTS.mkdir(exist_ok=True)
        for name in ("timeline", "spread", "hotspots", "network"):
            page.locator(f"section#{name}").screenshot(
                path=str(ARTIFACTS / f"real-report-{name}.png")
            )
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
            f"""(document.getElementById("chart-{name}").data || []).flatMap(t =>
                 [t.name || "", ...(t.y || []).map(String), ...((t.node || {{}}).label || [])])"""
        )
        assert not IDS.search(" ".join(labels)), (name, labels)
    assert "attacks by Islamic State Khorasan Province" in page.evaluate(
        "document.getElementById('chart-timeline').data.map(t => t.name).join('|')"
    )
    assert not IDS.search(page.locator("header").inner_text() + page.title())
