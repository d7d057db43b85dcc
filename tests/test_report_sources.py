"""The HTML report says where its figures come from: a Sources block (the sources read, their
versions, windows, events and batches, and the warnings), each section's figures side by side
where two sources overlap, each source's coverage shaded on the timeline, phase boundaries on a
coverage edge marked, and how to cite every source read. On a real store: one SYNTHETIC world
reported by UCDP (2017-2023) and ACLED (from 2019-04-01), which the report says is SYNTHETIC in
a banner, on every section and on every chart."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

import rivalscope as rs
from rivalscope.analysis.profile import SECTIONS, Profile
from rivalscope.report import write_report
from tests.browser import browser
from tests.server.conftest import (
    ACLED_FROM,
    EVIL_SOURCE,
    HOSTILE,
    add_evil_source,
    build_world_store,
)
from tests.test_report_browser import (
    assert_map_legends,
    assert_png_download,
    assert_tables_fit,
    open_report,
    shoot_sections,
    timeline_range,
)

SHOTS = Path("/tmp/shots")
"""Screenshots of the side-by-side and escaped blocks (the sections' own go to
``tests/artifacts/report-demo-*.png``)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world_store(tmp_path_factory.mktemp("report-sources"))


@pytest.fixture(scope="module")
def fused(world: Path) -> tuple[Profile, str, Path]:
    with rs.open(world, read_only=True) as store:
        profile = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
        path = write_report(profile, world.parent / "fused.html")
    return profile, path.read_text(encoding="utf-8"), path


def escaped(text: str) -> str:
    """Text as the pages' autoescaping writes it."""
    return str(escape(text))


def section_html(page: str, name: str) -> str:
    found = re.search(rf'<section id="{name}".*?</section>', page, re.S)
    assert found is not None, name
    return found.group(0)


def figure(page: str, name: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="figure-{name}">(.*?)</script>', page)
    assert found is not None, name
    loaded: dict[str, Any] = json.loads(found.group(1))
    return loaded


def test_sources_block_near_the_top(fused: tuple[Profile, str, Path]) -> None:
    profile, page, _ = fused
    assert profile.dyad.source == "fused"
    assert page.index('<section id="sources"') < page.index('<section id="timeline"')
    block = section_html(page, "sources")
    assert "Events read: fused, each real-world event once, linked across ACLED and UCDP." in block
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", block)
    by_source = {r[0]: r for r in rows}
    assert set(by_source) == {"ACLED", "UCDP"}
    for entry in profile.sources:
        shown = by_source[entry["source"].upper()]
        assert shown[1] == (entry["version"] or "not recorded")
        assert shown[2] == f"{entry['first_date']} to {entry['last_date']}"
        assert shown[3] == f"{entry['events']:,}"
    assert by_source["UCDP"][1] == "21.1", "the GED version, read off the file name"
    assert by_source["ACLED"][2].startswith(ACLED_FROM.isoformat())
    assert profile.warnings, "ACLED's late start is a coverage gap"
    items = re.findall(r"<li>(.*?)</li>", block)
    assert items == [escaped(w) for w in profile.warnings]
    assert any("ACLED covers Afghanistan only from 2019-04-01" in html.unescape(i) for i in items)


def test_sections_show_their_figures_side_by_side(fused: tuple[Profile, str, Path]) -> None:
    profile, page, _ = fused
    compared = [name for name in SECTIONS if profile.triangulation.rows(name)]
    assert {"timeline", "targets", "harm"} <= set(compared)
    for name in SECTIONS:
        shown = section_html(page, name)
        rows = profile.triangulation.rows(name)
        if not rows:
            assert "side-by-side" not in shown, name
            continue
        assert '<table class="side-by-side">' in shown, name
        assert "<th>ACLED</th><th>UCDP</th><th>verdict</th>" in shown
        for row in rows:
            assert escaped(row["label"]) in shown
            if row["p_value"] is None:
                assert "not tested" in shown
            elif row["disagree"]:
                assert "disagree beyond noise" in shown
            else:
                assert "agree within noise" in shown
    targets = section_html(page, "targets")
    assert '<tr class="disagree">' in targets, "ACLED records more events than UCDP"
    assert re.search(r"disagree beyond noise \(p [<=] 0\.0\d+\)", targets)


def test_timeline_shades_each_source_coverage(fused: tuple[Profile, str, Path]) -> None:
    profile, page, _ = fused
    chart = figure(page, "timeline")
    bars = {t["name"]: t for t in chart["data"] if t.get("yaxis") == "y3"}
    assert set(bars) == {"ACLED coverage", "UCDP coverage"}
    for entry in profile.sources:
        bar = bars[f"{entry['source'].upper()} coverage"]
        assert bar["x"] == [str(entry["first_date"]), str(entry["last_date"])]
    shaded = [
        s
        for s in chart["layout"]["shapes"]
        if s.get("type") == "rect" and s.get("x0") == ACLED_FROM.isoformat()
    ]
    assert shaded and shaded[0]["yref"] == "y domain"


def test_phases_mark_boundaries_on_a_coverage_edge(fused: tuple[Profile, str, Path]) -> None:
    profile, page, _ = fused
    edges = {
        (r["boundary"], r["coverage_edge"])
        for r in profile.phases.boundaries.to_pylist()
        if r["coverage_edge"]
    }
    assert edges == {(ACLED_FROM, "acled")}
    labels = [y for t in figure(page, "phases")["data"] for y in (t.get("y") or []) if y]
    assert any("(2019-04-01) ⚠ ACLED coverage edge" in label for label in labels)
    assert "<th>coverage edge</th>" in section_html(page, "phases")


def test_how_to_cite_every_source_read(fused: tuple[Profile, str, Path]) -> None:
    _, page, _ = fused
    assert page.rstrip().endswith("</html>")
    cite = section_html(page, "cite")
    assert page.index('<section id="cite"') > page.index('<section id="network"')
    assert "UCDP Georeferenced Event Dataset (GED)" in cite
    assert "Creative Commons Attribution 4.0 (CC BY 4.0)" in cite
    assert "UCDP GED version 21.1" in cite
    assert "Armed Conflict Location &amp; Event Data (ACLED)" in cite
    assert "Used under ACLED&#39;s Terms of Use and Attribution Policy" in cite
    assert '<a href="https://ucdp.uu.se/downloads/"' in cite
    assert '<a href="https://acleddata.com/terms-of-use/"' in cite
    assert '<a href="#cite">how to cite the sources read</a>' in page


def test_the_synthetic_world_still_says_so(fused: tuple[Profile, str, Path]) -> None:
    _, page, _ = fused
    assert "SYNTHETIC" in section_html(page, "timeline"), "the deadliest clashes' notes"
    assert '<div class="synthetic-banner"' in page
    assert "<title>SYNTHETIC · Rivalscope:" in page
    for name in ("sources", *SECTIONS):
        assert '<span class="synthetic-tag">SYNTHETIC</span>' in section_html(page, name), name
    for name in SECTIONS:
        if f'id="figure-{name}"' in page:
            notes = [a.get("text") for a in figure(page, name)["layout"].get("annotations", [])]
            assert "SYNTHETIC DATA" in notes, name


def test_synthetic_is_read_from_the_data_not_the_file_name(world: Path) -> None:
    with rs.open(world, read_only=True) as store:
        files = store.table("ingest_batches").select("file").to_pyarrow().column(0).to_pylist()
        assert not any("synthetic" in Path(f).name.lower() for f in files), files
        assert rs.profile(store, "ISKP", "TALIBAN", country="AFG").synthetic


def test_one_source_read(world: Path) -> None:
    with rs.open(world, read_only=True) as store:
        profile = rs.profile(store, "ISKP", "TALIBAN", country="AFG", source="ucdp")
        page = write_report(profile, world.parent / "ucdp.html").read_text(encoding="utf-8")
    block = section_html(page, "sources")
    assert "Events read: UCDP only." in block
    assert "Only UCDP is read; ACLED also holds events in Afghanistan" in block
    cite = section_html(page, "cite")
    assert "CC BY 4.0" in cite and "ACLED" not in cite
    bars = [t["name"] for t in figure(page, "timeline")["data"] if t.get("yaxis") == "y3"]
    assert bars == ["UCDP coverage"]


def test_text_from_the_data_is_escaped(world: Path) -> None:
    db = world.parent / "evil.duckdb"
    shutil.copyfile(world, db)
    add_evil_source(db)
    with rs.open(db, read_only=True) as store:
        profile = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
        page = write_report(profile, world.parent / "evil.html").read_text(encoding="utf-8")
    assert EVIL_SOURCE in [e["source"] for e in profile.sources]
    assert EVIL_SOURCE not in page and EVIL_SOURCE.upper() not in page
    assert HOSTILE not in page
    assert escaped(EVIL_SOURCE.upper()) in section_html(page, "sources")
    assert escaped(EVIL_SOURCE) in section_html(page, "cite")
    assert escaped(HOSTILE) in section_html(page, "timeline")
    assert "<img" not in page.split('<script type="application/json"')[0]
    names = [t.get("name") or "" for t in figure(page, "timeline")["data"]]
    assert "&lt;B&gt;EVIL&lt;/B&gt;&lt;IMG" in " ".join(names), "plotly's tags escaped too"


def test_report_sources_render_in_chromium(fused: tuple[Profile, str, Path], world: Path) -> None:
    _, _, path = fused
    evil = world.parent / "evil.html"
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with browser() as launched:
        page = launched.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.on("pageerror", lambda error: errors.append(str(error)))
        open_report(page, path)
        banner = page.locator("#synthetic")
        assert banner.is_visible() and banner.inner_text().startswith("SYNTHETIC DATA")
        assert page.title().startswith("SYNTHETIC · Rivalscope:")
        assert page.locator("main > section .synthetic-tag").count() == len(SECTIONS) + 1
        clashes = [
            r["month"]
            for r in fused[0].timeline.monthly.to_pylist()
            if r["clashes"] and r["clashes"] > 0
        ]
        first, last = timeline_range(page)
        assert min(clashes) - dt.timedelta(days=16) <= dt.date.fromisoformat(first)
        assert dt.date.fromisoformat(last) <= max(clashes) + dt.timedelta(days=16)
        assert page.evaluate("document.getElementById('chart-timeline').layout.meta.window") == [
            str(min(clashes)),
            str(max(clashes)),
        ], "the dyad's window: its first and last months of clashes"
        assert_map_legends(page)
        shoot_sections(page, "report-demo")
        assert_png_download(page)
        coverage = page.evaluate(
            "document.getElementById('chart-timeline').data"
            ".filter(t => t.yaxis === 'y3').map(t => t.name)"
        )
        assert coverage == ["ACLED coverage", "UCDP coverage"]
        legend = page.evaluate(
            "Array.from(document.querySelectorAll('#chart-timeline .legendtext'))"
            ".map(node => node.textContent)"
        )
        assert "ACLED coverage" in legend and "UCDP coverage" in legend
        assert page.locator("section#sources table.sources tbody tr").count() == 2
        assert page.locator("section#sources ul.warnings li").count() >= 1
        assert page.locator("section#targets table.side-by-side tr.disagree").count() >= 1
        assert "CC BY 4.0" in page.locator("section#cite").inner_text()
        assert_tables_fit(page)
        for name in ("sources", "timeline", "targets", "phases", "cite"):
            page.locator(f"section#{name}").screenshot(
                path=str(SHOTS / f"report-sources-{name}.png")
            )
        if evil.exists():
            page.goto(evil.as_uri())
            page.wait_for_selector("section#timeline .chart .main-svg", timeout=30_000)
            assert page.title() == (
                "SYNTHETIC · Rivalscope: Islamic State Khorasan Province vs Taliban"
            ), "no injected script ran"
            assert page.locator("section#sources img").count() == 0
            assert EVIL_SOURCE.upper() in page.locator("section#sources").inner_text()
            page.locator("section#sources").screenshot(
                path=str(SHOTS / "report-sources-escaped.png")
            )
    assert errors == []
