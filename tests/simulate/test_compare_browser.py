"""The comparison page, rendered in headless Chromium and looked at: every chart drawn, nothing
fetched from the network, scenario text shown as text."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rivalscope.simulate.compare import compare, write_html
from rivalscope.simulate.model import Policy
from rivalscope.simulate.scenario import Scenario
from tests.simulate.conftest import SMALL

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HOSTILE = "<script>document.title='PWNED'</script>"
CHARTS = ("effects", "iskp", "taliban", "defections", "leaks", "provinces")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    high = Scenario(name="cooperation-high", description=f"close cooperation {HOSTILE}",
                    population=SMALL, policy=Policy(cooperation=0.8))  # fmt: skip
    leaks = Scenario(name="intelligence-leaks", population=SMALL,
                     policy=Policy(cooperation=0.8, concession=0.7))  # fmt: skip
    low = Scenario(name="cooperation-low", population=SMALL, policy=Policy(cooperation=0.2))
    result = compare([high, leaks, low], runs=20, months=48, seed=1)
    return write_html(result, tmp_path_factory.mktemp("compare") / "compare.html")


def test_page_is_self_contained(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert "<script src=" not in html and "<link" not in html
    assert HOSTILE not in html, "scenario text is escaped"
    assert "Content-Security-Policy" in html
    for name in CHARTS:
        assert f'id="figure-{name}"' in html


def test_page_renders_in_chromium(page: Path) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        view.on("request", lambda request: requests.append(request.url))
        view.on("pageerror", lambda error: errors.append(str(error)))
        view.goto(page.as_uri())
        view.wait_for_function(
            f"document.querySelectorAll('.chart .main-svg').length >= {len(CHARTS)}",
            timeout=30_000,
        )
        for name in CHARTS:
            assert view.locator(f"#chart-{name} .main-svg").count() >= 1, name
        findings = view.locator("#findings li").all_inner_texts()
        assert len(findings) == 2
        assert findings[0].startswith(
            "cooperation 0.8 vs 0.2 (cooperation-high vs cooperation-low)"
        )
        assert findings[1].startswith("cooperation 0.8 vs 0.2; concession 0.7 vs 0.2")
        traces = view.evaluate("document.getElementById('chart-effects').data.length")
        assert traces == 2 * 11, "one marker per scenario and compared outcome"
        assert (
            view.title()
            == "Rivalscope scenarios: cooperation-high vs intelligence-leaks vs cooperation-low"
        )
        assert HOSTILE in view.locator("#scenarios").inner_text(), "shown as text, never run"
        ARTIFACTS.mkdir(exist_ok=True)
        view.screenshot(path=str(ARTIFACTS / "simulate-compare.png"), full_page=True)
        for name in ("findings", "effects", "fighters", "provinces"):
            view.locator(f"section#{name}").screenshot(
                path=str(ARTIFACTS / f"simulate-compare-{name}.png")
            )
        browser.close()
    outside = [u for u in requests if not u.startswith(("file:", "data:", "blob:"))]
    assert outside == [], "the page works offline"
    assert errors == []


OBSERVED = {"clashes_per_year": 11.83, "clash_deaths_per_year": 89.67,
            "provinces_clashed_per_year": 2.5, "attacks_per_year": 13.0,
            "attack_deaths_per_year": 186.5, "iskp_late_share": 0.396,
            "iskp_last_to_peak": 0.298}  # fmt: skip
"""The statistics of UCDP GED 21.1's Afghan rows, 2015-2020 (checked in test_calibrate)."""


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rivalscope.simulate.calibrate import abc

    posterior = abc(OBSERVED, scenario=Scenario(population=SMALL), months=24, draws=60,
                    accept=0.2, seed=4, ppc_runs=30)  # fmt: skip
    high = Scenario(name="cooperation-high", population=SMALL, policy=Policy(cooperation=0.8))
    low = Scenario(name="cooperation-low", population=SMALL, policy=Policy(cooperation=0.2))
    result = compare([high, low], runs=30, months=24, seed=1, posterior=posterior)
    return write_html(result, tmp_path_factory.mktemp("calibrated") / "compare.html")


def test_calibrated_page_shows_the_check_in_chromium(calibrated: Path) -> None:
    """The calibration section: the predictive check drawn and tabled (observed outside the
    simulated range in red), shrinkage per parameter, weakly identified rows marked."""
    from tests.browser import browser

    html = calibrated.read_text(encoding="utf-8")
    with browser() as launched:
        view = launched.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        view.on("pageerror", lambda error: errors.append(str(error)))
        view.goto(calibrated.as_uri())
        view.wait_for_function(
            "document.querySelectorAll('#chart-ppc .main-svg').length >= 1", timeout=30_000
        )
        rows = view.locator("#ppc-table tbody tr")
        assert rows.count() == len(OBSERVED)
        labels = view.locator("#ppc-table tbody td:first-child").all_inner_texts()
        assert "clashes per year" in labels
        traces = view.evaluate("document.getElementById('chart-ppc').data.length")
        assert traces == 3 * len(OBSERVED), "range, median and observed per statistic"
        shrink = view.locator("#shrinkage-table tbody tr")
        assert shrink.count() == 4
        text = view.locator("#calibration").inner_text()
        assert "Shrinkage" in text and "posterior predictive check" in text.lower()
        outside = view.locator("#ppc-table tr.outside").count()
        if outside:
            assert view.locator("#ppc-failed").is_visible()
            assert "FAILS" in view.locator("#findings").inner_text()
        assert ("weakly identified" in html) == bool(view.locator("span.weak").count())
        for folder in (ARTIFACTS, Path("/tmp/h-sim")):
            folder.mkdir(parents=True, exist_ok=True)
            view.locator("section#calibration").screenshot(
                path=str(folder / "simulate-compare-calibration.png")
            )
            view.screenshot(path=str(folder / "simulate-compare-calibrated.png"), full_page=True)
    assert errors == []
