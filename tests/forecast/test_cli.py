"""`rivalscope forecast` and `rivalscope forecast backtest` as users run them, on SYNTHETIC data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rivalscope as rs
from rivalscope.cli import app
from rivalscope.cli.forecast import Outcome, Unit
from rivalscope.forecast.spec import OUTCOMES, UNITS
from rivalscope.synth import SynthFiles
from tests.test_cli import run

BASELINES = ["persistence", "climatology", "rolling_12", "rolling_36", "views_last12", "logit_lags"]
MODELS = ["hgb", "glm", *BASELINES]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, synth_files: SynthFiles) -> Path:
    path = tmp_path_factory.mktemp("forecast") / "f.duckdb"
    with rs.open(path) as store:
        store.ingest_ucdp(synth_files.ged_csv)
        store.ingest_acled(synth_files.acled_csv)
    return path


def test_forecast_json(db: Path) -> None:
    done = run(
        "forecast", "--db", str(db), "--actor", "ISIS-K", "--outcome", "attack",
        "--evaluate", "6", "--json",
    )  # fmt: skip
    assert done.stderr == "", "no progress bar with --json"
    printed = json.loads(done.stdout)
    assert set(printed) == {
        "spec", "target_month", "staleness", "model", "calibrated", "summary", "forecast", "map",
        "backtest", "panel",
    }  # fmt: skip
    stale = printed["staleness"]
    assert stale["data_end"] == "2023-12" and stale["target_month"] == "2024-01"
    assert {s["source"] for s in stale["sources"] if s["read"]} == {"acled", "ucdp"}
    assert stale["stale"] is True, "made years after the synthetic data end"
    assert stale["line"].startswith("STALE: made ")
    spec = printed["spec"]
    assert (spec["actor"], spec["outcome"], spec["unit"], spec["country"]) == (
        "ISKP",
        "attack",
        "admin1",
        "AFG",
    )
    assert (spec["until"], printed["target_month"]) == ("2023-12", "2024-01")
    assert spec["source"] == "fused", "two sources hold events: each event is read once"
    rows = printed["forecast"]
    assert [row["rank"] for row in rows] == list(range(1, 35))
    assert {row["unit"] for row in rows} == {p["code"] for p in rs.open().places("AFG").to_pylist()}
    probabilities = [row["probability"] for row in rows]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 1 for p in probabilities)
    assert all(row["expected_count"] >= 0 for row in rows)
    assert all(r["count_low"] <= r["count_high"] for r in rows)
    assert all(r["deaths_low"] <= r["deaths_high"] and r["expected_deaths"] >= 0 for r in rows)
    assert set(rows[0]) == {
        "rank", "unit", "name", "probability", "expected_count", "count_low", "count_high",
        "expected_deaths", "deaths_low", "deaths_high", "last_count", "events_12m",
        "climatology",
    }  # fmt: skip
    assert printed["map"]["kind"] == "tiles", "no boundaries loaded"
    assert len(printed["map"]["tiles"]) == 34
    backtest = printed["backtest"]
    assert (backtest["start"], backtest["end"], backtest["months"]) == ("2023-07", "2023-12", 6)
    assert [m["model"] for m in backtest["metrics"]] == MODELS
    assert printed["model"] == backtest["chosen"]
    assert set(backtest["metrics"][0]) >= {"brier", "roc_auc", "average_precision", "crps"}
    assert printed["panel"]["units"] == 34 and printed["panel"]["neighbours"] == "distance"
    assert printed["summary"].startswith("For 2024-01, the ")


def test_forecast_human_output_and_horizon(db: Path, tmp_path: Path) -> None:
    page = tmp_path / "f.html"
    args = ["forecast", "--db", str(db), "--actor", "ISKP", "--rival", "TALIBAN"]
    args += ["--outcome", "clash", "--horizon", "2", "--until", "2022-06", "--evaluate", "4"]
    args += ["--model", "glm", "--top", "5", "--html", str(page)]
    done = CliRunner().invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert done.exit_code == 0, done.stderr
    assert (
        "clashes between Islamic State Khorasan Province and Taliban (fused events) in "
        "2022-08 (glm)" in " ".join(done.stdout.split())
    )
    ranks = re.findall(r"^│ (\d+)\s+│ AF-", done.stdout, flags=re.MULTILINE)
    assert ranks == ["1", "2", "3", "4", "5"]
    for model in ("glm *", *BASELINES):
        assert f"│ {model}" in done.stdout
    assert "│ hgb" not in done.stdout, "--model glm evaluates glm only"
    assert "For 2022-08" in done.stderr
    assert "STALE: " in done.stderr and "data end 2023-12" in done.stderr
    assert page.exists() and "Forecast for 2022-08" in page.read_text("utf-8")


def test_backtest_prints_the_table(db: Path) -> None:
    done = run(
        "forecast", "backtest", "--db", str(db), "--actor", "TALIBAN", "--start", "2023-05",
        "--end", "2023-06",
    )  # fmt: skip
    assert "Backtest 2023-05..2023-06: events involving Taliban (fused events)" in done.stdout
    rows = re.findall(r"^│ (\w+)(?: \*)?\s+│ (\d\.\d{3}) │", done.stdout, flags=re.MULTILINE)
    assert [name for name, _ in rows] == MODELS
    assert done.stdout.count(" * ") + done.stdout.count("* │") >= 1
    assert "Over 2023-05..2023-06" in done.stderr


def test_backtest_json_contract(db: Path) -> None:
    """Every baseline under `metrics` by name (one a rolling climatology), an `onset` block,
    comparisons against the best baseline per score, and deaths as a second outcome."""
    done = run(
        "forecast", "backtest", "--db", str(db), "--actor", "TALIBAN", "--start", "2023-07",
        "--end", "2023-12", "--model", "glm", "--refit-every", "3", "--json",
    )  # fmt: skip
    printed = json.loads(done.stdout)
    names = [m["model"] for m in printed["metrics"]]
    assert names == ["glm", *BASELINES] and any("rolling" in n for n in names)
    assert all(0 <= m["coverage_80"] <= 1 for m in printed["metrics"])
    onset = printed["onset"]
    assert set(onset) >= {"forecasts", "events", "base_rate", "top_k", "metrics", "comparisons"}
    assert [m["model"] for m in onset["metrics"]] == names
    assert {c["metric"] for c in onset["comparisons"]} >= {"average_precision", "recall_at_k"}
    compared = printed["comparisons"]
    assert {c["metric"] for c in compared} == {
        "brier", "average_precision", "roc_auc", "mse_log", "crps"
    }  # fmt: skip
    for row in compared:
        best = next(m for m in printed["metrics"] if m["model"] == row["best_baseline"])
        assert row["baseline_value"] == pytest.approx(best[row["metric"]])
        assert row["verdict"] in {"better", "worse", "no clear difference", "n/a"}
    deaths = printed["fatalities"]
    assert next(m["model"] for m in deaths["metrics"]) == "nb_glm"
    assert "beats both baselines" not in printed["summary"]


def test_backtest_json_and_districts(db: Path) -> None:
    args = ["forecast", "backtest", "--db", str(db), "--actor", "ISKP", "--unit", "admin2"]
    args += ["--start", "2023-11", "--end", "2023-12", "--model", "hgb", "--json"]
    printed = json.loads(CliRunner().invoke(app, args).stdout)
    assert printed["spec"]["unit"] == "admin2"
    assert printed["units"] > 100
    assert [m["model"] for m in printed["metrics"]] == ["hgb", *BASELINES]
    assert [o["target_month"] for o in printed["origins"]] == ["2023-11-01", "2023-12-01"]
    assert all(o["trained_through"] <= o["origin"] for o in printed["origins"])
    assert {r["model"] for r in printed["reliability"]} == {"hgb", *BASELINES}
    args = ["forecast", "--db", str(db), "--actor", "ISKP", "--unit", "admin2"]
    args += ["--model", "glm", "--evaluate", "0", "--json"]
    districts = json.loads(CliRunner().invoke(app, args).stdout)
    assert districts["backtest"] is None
    assert districts["map"]["kind"] == "points"
    assert all(":" in row["unit"] for row in districts["forecast"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("forecast", "--actor", "ISKP", "--outcome", "clash"), "--outcome clash needs --rival"),
        (("forecast", "--actor", "NOBODY"), "no actor is called 'NOBODY'"),
        (("forecast", "--actor", "ISKP", "--until", "2023-13"), "is not a YYYY-MM month"),
        (("forecast", "--actor", "ISKP", "--evaluate", "0"), "name --model"),
        (("forecast", "backtest", "--actor", "ISKP", "--start", "2015-02"), "or later"),
        (("forecast", "backtest", "--actor", "ISKP", "--end", "2030-01"), "after the last month"),
    ],
)
def test_bad_input_exits_2_with_one_line(db: Path, args: tuple[str, ...], message: str) -> None:
    done = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert done.exit_code == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("forecast", "--actor", "ISKP", "--horizon", "7"), "'--horizon'"),
        (("forecast", "--actor", "ISKP", "--outcome", "battle"), "'battle' is not one of"),
        (("forecast", "--actor", "ISKP", "backtest"), "put --actor after `backtest`"),
        (("forecast", "--db", "x.duckdb"), "Missing option '--actor'"),
        (("forecast", "backtest", "--db", "x.duckdb"), "Missing option '--actor'"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 2
    assert "Usage: rivalscope forecast" in done.stderr
    assert message in done.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("forecast", "--actor", "ISKP", "--until", "2023-13"), "--until: '2023-13' is not a"),
        (("forecast", "--actor", "ISKP", "--since", "2015"), "--since: '2015' is not a"),
        (("forecast", "backtest", "--actor", "ISKP", "--end", "2030-01"), "--end: 2030-01 is"),
        (
            ("forecast", "backtest", "--actor", "ISKP", "--start", "2023-06", "--end", "2023-05"),
            "--start: 2023-06 is after the end, 2023-05",
        ),
    ],
)
def test_library_errors_name_the_flag(db: Path, args: tuple[str, ...], line: str) -> None:
    done = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert done.exit_code == 2
    assert f"error: {line}" in done.stderr


def test_plain_forecast_shows_help() -> None:
    done = CliRunner().invoke(app, ["forecast"])
    assert "backtest" in done.output and "--actor" in done.output


def test_choices_match_the_library() -> None:
    assert tuple(o.value for o in Outcome) == OUTCOMES
    assert tuple(u.value for u in Unit) == UNITS
