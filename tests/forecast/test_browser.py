"""The forecast and backtest pages, rendered in headless Chromium and looked at: map, tables
and charts drawn, nothing fetched from the network, text from the data shown as text."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.analysis.context import Phase
from rivalscope.forecast.backtesting import backtest
from rivalscope.forecast.prediction import predict
from rivalscope.forecast.report import write_html
from tests.browser import CHROMIUM, LAUNCH
from tests.forecast.fixtures import hand_store

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HOSTILE = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


def look(path: Path, shots: dict[str, str], charts: int) -> dict[str, object]:
    """Open the page, wait for every chart, screenshot, and report what the page did."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.chart .main-svg').length >= {charts}", timeout=30_000
        )
        ARTIFACTS.mkdir(exist_ok=True)
        for selector, name in shots.items():
            target = page if selector == "page" else page.locator(selector)
            target.screenshot(
                path=str(ARTIFACTS / name), **({"full_page": True} if selector == "page" else {})
            )  # type: ignore[arg-type]
        found = {
            "title": page.title(),
            "text": page.locator("body").inner_text(),
            "map_traces": page.evaluate(
                "(document.getElementById('chart-map') || {data: []}).data.length"
            ),
            "rows": page.locator("section#forecast tbody tr").count(),
            "scores": page.locator("section#backtest table").first.locator("tbody tr").count(),
        }
        browser.close()
    outside = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
    assert outside == [], "the page works offline"
    assert errors == []
    return found


@pytest.fixture(scope="module")
def choropleth_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rs.Store]:
    with hand_store(tmp_path_factory.mktemp("grid")) as store:
        yield store


def test_forecast_page_with_province_shapes(choropleth_store: rs.Store, tmp_path: Path) -> None:
    need_chromium()
    phases = (Phase(HOSTILE, dt.date(2015, 1, 1)),)
    result = predict(
        choropleth_store, "ISKP", rival="TALIBAN", until="2016-08", evaluate=3, phases=phases
    )
    path = write_html(result, tmp_path / "forecast.html")
    html = path.read_text("utf-8")
    assert "<script src=" not in html and "<link" not in html
    assert "<script>document.title" not in html
    found = look(
        path,
        {"page": "forecast-choropleth.png", "section#forecast": "forecast-where-next.png"},
        charts=3,
    )
    assert (
        found["title"] == "Rivalscope forecast: events involving Islamic State Khorasan Province "
        "(ucdp events) in 2016-09"
    )
    assert "<script>document.title='PWNED'</script>" in str(found["text"]), "shown as text"
    assert found["rows"] == 34
    assert found["scores"] == 8, "two learned models and six baselines"
    assert "STALE: " in str(found["text"]), "a forecast made years after its data says so"
    assert int(str(found["map_traces"])) >= 34, "one filled shape per province (+ colour bar)"


def test_forecast_page_with_tiles_and_backtest_page(synth_store: rs.Store, tmp_path: Path) -> None:
    need_chromium()
    result = predict(synth_store, "ISKP", outcome="attack", evaluate=4, model="glm")
    path = write_html(result, tmp_path / "tiles.html")
    found = look(path, {"section#forecast": "forecast-tiles.png"}, charts=3)
    assert result.map["kind"] == "tiles"
    assert "Where next" in str(found["text"]) and "How far to trust it" in str(found["text"])
    check = backtest(synth_store, "TALIBAN", start="2023-01", end="2023-12", refit_every=4)
    page = write_html(check, tmp_path / "backtest.html")
    shown = look(page, {"page": "forecast-backtest.png"}, charts=2)
    assert shown["title"] == (
        "Rivalscope forecast: backtest of events involving Taliban (fused events)"
    )
    assert shown["scores"] == 8 and shown["rows"] == 0
    assert "Onsets: violence where there was none" in str(shown["text"])
    assert "Deaths: the second outcome" in str(shown["text"])
    assert "Backtest 2023-01 to 2023-12" in str(shown["text"])
