"""``rivalscope simulate`` as users run it: a real process, real files, a real DuckDB store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import rivalscope as rs
from rivalscope.simulate.model import METRICS

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
SMALL_WORLD = "[population]\nscale = 50\n"


def simulate_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rivalscope.cli", "simulate", *args],
        capture_output=True,
        text=True,
        env=ENV,
        check=check,
        timeout=300,
    )


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    files = {
        "high": f'name = "coop-high"\n{SMALL_WORLD}[taliban]\ncooperation = 0.8\n',
        "low": f'name = "coop-low"\n{SMALL_WORLD}[taliban]\ncooperation = 0.2\n',
    }
    paths = {}
    for key, text in files.items():
        paths[key] = folder / f"{key}.toml"
        paths[key].write_text(text, encoding="utf-8")
    return paths


def test_run_writes_files_and_a_store(scenarios: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "sim.duckdb"
    out = tmp_path / "out"
    args = [str(scenarios["high"]), "--runs", "6", "--months", "24", "--seed", "3"]
    done = simulate_cli("run", *args, "--out", str(out), "--db", str(db), "--json")
    data = json.loads(done.stdout)
    assert data["runs"] == 6 and data["months"] == 24 and data["posterior"] is None
    assert {row["metric"] for row in data["summary"]} == set(METRICS)
    series = pq.read_table(out / "series.parquet")
    assert series.num_rows == 6 * 24 * 34
    events = pq.read_table(out / "events.parquet")
    assert data["store"]["events"]["rows_stored"] == events.num_rows > 0
    assert data["store"]["run"] == "coop-high-s3-r0"
    assert json.loads((out / "summary.json").read_text())["events_run"] == "coop-high-s3-r0"
    with rs.open(db, read_only=True) as store:
        assert store.events(source="sim").num_rows == events.num_rows
        profile = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
        assert "clashed" in profile.timeline.summary
    again = json.loads(simulate_cli("run", *args, "--db", str(db), "--json").stdout)
    assert again["store"]["events"]["rows_stored"] == 0, "the same run writes nothing new"
    assert again["summary"] == data["summary"], "the same seed gives the same runs"


def test_run_prints_a_table(scenarios: dict[str, Path]) -> None:
    done = simulate_cli("run", str(scenarios["low"]), "--runs", "3", "--months", "12", "--at", "6")
    assert "coop-low: 3 runs, after 6 months" in done.stdout
    assert "iskp_fighters" in done.stdout and "95% interval" in done.stdout
    assert "no posterior" in done.stderr


def test_compare_table_json_and_page(scenarios: dict[str, Path], tmp_path: Path) -> None:
    page = tmp_path / "compare.html"
    files = [str(scenarios["high"]), str(scenarios["low"])]
    common = ["--runs", "8", "--months", "36", "--html", str(page)]
    done = simulate_cli("compare", *files, *common, "--json")
    data = json.loads(done.stdout)
    assert data["baseline"] == "coop-low" and data["html"] == str(page)
    assert data["sentences"][0].startswith("cooperation 0.8 vs 0.2 (coop-high vs coop-low)")
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    human = simulate_cli("compare", *files, *common, "--no-html")
    assert "coop-high vs coop-low: after 36 months, 8 paired runs" in human.stdout
    assert "defections to ISKP" in human.stdout and "page written" not in human.stderr


def test_calibrate_then_run_over_the_posterior(scenarios: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "data.duckdb"
    simulate_cli("run", str(scenarios["low"]), "--runs", "1", "--months", "24", "--db", str(db))
    posterior = tmp_path / "posterior.json"
    done = simulate_cli(
        "calibrate", "--db", str(db), "--scenario", str(scenarios["low"]), "--draws", "20",
        "--accept", "0.25", "--out", str(posterior), "--ppc-runs", "12", "--json",
    )  # fmt: skip
    data = json.loads(done.stdout)
    assert data["accepted"] == 5 and data["draws"] == 20
    assert data["info"]["window"]["since"].startswith("2022-01")
    assert data["info"]["months"] == 24
    # the contract: shrinkage per parameter and a posterior predictive check
    assert set(data["shrinkage"]) == {"clash_rate", "attack_rate", "defect_base", "isk_spread"}
    for row in data["shrinkage"].values():
        assert row["shrinkage"] <= 1 and row["weak"] == (row["shrinkage"] < 0.5)
    assert data["ppc"]["runs"] == 12 and data["ppc"]["rows"]
    for row in data["ppc"]["rows"]:
        assert row["p05"] <= row["p50"] <= row["p95"]
        assert row["outside"] == (not row["p05"] <= row["observed"] <= row["p95"])
    assert data["ppc"]["passes"] == (data["ppc"]["outside"] == [])
    assert any("posterior predictive check" in s for s in data["sentences"])
    compared = json.loads(
        simulate_cli(
            "compare", str(scenarios["high"]), str(scenarios["low"]), "--runs", "6",
            "--months", "12", "--posterior", str(posterior), "--no-html", "--json",
        ).stdout
    )  # fmt: skip
    assert compared["calibration"]["ppc"] == data["ppc"]
    assert compared["calibration"]["weak"] == data["weak"]
    for row in compared["differences"]:
        assert set(row["weakly_identified"]) <= set(data["weak"]) | set(row["depends_on"])
    run = json.loads(
        simulate_cli(
            "run", str(scenarios["low"]), "--runs", "2", "--months", "6",
            "--posterior", str(posterior), "--json",
        ).stdout
    )  # fmt: skip
    assert run["posterior"] == str(posterior)
    from typer.testing import CliRunner

    from rivalscope.cli import app

    human = CliRunner().invoke(
        app,
        ["simulate", "calibrate", "--db", str(db), "--scenario", str(scenarios["low"]),
         "--draws", "10", "--ppc-runs", "5", "--out", str(tmp_path / "p2.json")],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert human.exit_code == 0, human.output
    assert "Posterior: 2 of 10 draws kept" in human.output
    assert "clash_rate" in human.output and "posterior written to" in human.output
    assert "shrinkage" in human.output and "Posterior predictive check" in human.output


def test_sensitivity(scenarios: dict[str, Path]) -> None:
    done = simulate_cli(
        "sensitivity", str(scenarios["low"]), "--samples", "2", "--months", "6",
        "--output", "leaks", "--json",
    )  # fmt: skip
    data = json.loads(done.stdout)
    assert data["method"] == "morris" and data["runs"] > 0
    assert {row["output"] for row in data["ranking"]} == {"leaks"}


def test_bad_input_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rivalscope.cli import app

    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["simulate", *args], env={"COLUMNS": "200"})
        return result.exit_code, " ".join(result.output.split())

    bad = tmp_path / "bad.toml"
    bad.write_text("[taliban]\ncooperation = 2\n", encoding="utf-8")
    code, output = invoke("run", str(bad), "--runs", "1")
    assert code == 2
    assert f"{bad}: taliban.cooperation: 2 is not in [0.0, 1.0]" in output
    code, output = invoke("calibrate", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "does not exist" in output
    assert not (tmp_path / "none.duckdb").exists()
    rs.open(tmp_path / "empty.duckdb").close()
    code, output = invoke("calibrate", "--db", str(tmp_path / "empty.duckdb"))
    assert code == 2 and "no events in AFG" in output
    code, output = invoke("sensitivity", "--method", "fast")
    assert code == 2 and "morris or sobol" in output
    code, output = invoke("compare", str(bad))
    assert code == 2 and "taliban.cooperation" in output


def test_library_errors_name_the_flag(scenarios: dict[str, Path]) -> None:
    from typer.testing import CliRunner

    from rivalscope.cli import app

    files = [str(scenarios["high"]), str(scenarios["low"])]
    args = ["simulate", "compare", *files, "--runs", "2", "--months", "6", "--at", "9"]
    done = CliRunner().invoke(app, [*args, "--no-html"])
    assert done.exit_code == 2
    assert "error: --at: 9 is not within the run (1..6)" in done.stderr
