"""The backtest and the forecast on the real UCDP GED 21.1 rows of Afghanistan (1989-2020).

The backtest evaluates every month of 2016-01..2020-12, each forecast by models trained only on
the months before it, for events with the Taliban on either side and for events with ISKP.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.forecast.prediction import predict
from rivalscope.forecast.report import write_html
from tests.conftest import shared_file
from tests.forecast.test_browser import look, need_chromium
from tests.test_cli import run

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
ROW = re.compile(r"^│ (\w+)( \*)?\s+│ ([\d.]+)\s+│ ([\d.]+)\s+│ ([\d.]+)\s+│", re.MULTILINE)


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("real") / "afg.duckdb"
    with rs.open(path) as store:
        store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        store.load_boundaries(shared_file("geoBoundaries-AFG-ADM1.geojson"))
    return path


def backtest_table(db: Path, actor: str) -> dict[str, dict[str, float]]:
    """Run the CLI backtest over 2016-01..2020-12 and read the printed table back."""
    done = run(
        "forecast", "backtest", "--db", str(db), "--actor", actor, "--outcome", "any",
        "--start", "2016-01", "--end", "2020-12",
    )  # fmt: skip
    print(done.stdout, done.stderr)
    assert f"Backtest 2016-01..2020-12: events involving {actor} (ucdp events)" in done.stdout
    rows = {
        name: {"chosen": bool(star), "brier": float(b), "roc_auc": float(a), "ap": float(p)}
        for name, star, b, a, p in ROW.findall(done.stdout)
    }
    assert set(rows) == {"hgb", "glm", "persistence", "climatology"}
    assert sum(row["chosen"] for row in rows.values()) == 1
    return rows


def chosen(rows: dict[str, dict[str, float]]) -> dict[str, float]:
    return next(row for row in rows.values() if row["chosen"])


def test_taliban_model_beats_both_baselines(real_db: Path) -> None:
    rows = backtest_table(real_db, "TALIBAN")
    model = chosen(rows)
    for baseline in ("persistence", "climatology"):
        assert model["brier"] < rows[baseline]["brier"], baseline
        assert model["ap"] > rows[baseline]["ap"], baseline


def test_iskp_backtest_prints_the_table(real_db: Path) -> None:
    rows = backtest_table(real_db, "ISKP")
    model = chosen(rows)
    assert model["brier"] < rows["persistence"]["brier"]
    assert model["ap"] > rows["persistence"]["ap"]
    assert all(0 < row["roc_auc"] <= 1 for row in rows.values())


def test_real_forecast_page(real_db: Path, tmp_path: Path) -> None:
    need_chromium()
    with rs.open(real_db, read_only=True) as store:
        result = predict(store, "ISKP", outcome="any", evaluate=6)
    assert result.spec.target_month.isoformat() == "2021-01-01"
    assert result.map["kind"] == "choropleth"
    assert len(result.map["geojson"]["features"]) == 34
    top = result.table.slice(0, 2).column("unit").to_pylist()
    assert set(top) <= {"AF-NAN", "AF-KAB", "AF-KNR"}, "where ISKP was active in 2020"
    path = write_html(result, tmp_path / "real.html")
    found = look(path, {"section#forecast": "forecast-real.png"}, charts=3)
    assert found["rows"] == 34
