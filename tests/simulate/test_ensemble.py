"""Ensembles and comparisons: reproducible, paired run by run, and reading the way the rules say
(cooperation 0.8 against 0.2: more defections to ISKP and more leaked intelligence)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rivalscope.errors import InputError
from rivalscope.simulate.calibrate import abc
from rivalscope.simulate.compare import HEADLINE, compare, compare_ensembles, levers, table_rows
from rivalscope.simulate.ensemble import run_ensemble
from rivalscope.simulate.model import METRICS, PROVINCES, Policy, Population
from rivalscope.simulate.scenario import Scenario, load_scenario
from tests.simulate.conftest import SCENARIOS, SMALL

HIGH = Scenario(name="cooperation-high", population=SMALL, policy=Policy(cooperation=0.8))
LOW = Scenario(name="cooperation-low", population=SMALL, policy=Policy(cooperation=0.2))


def test_ensemble_is_reproducible_and_shaped() -> None:
    first = run_ensemble(HIGH, runs=4, months=12, seed=9)
    second = run_ensemble(HIGH, runs=4, months=12, seed=9)
    for metric in METRICS:
        assert first.series[metric].shape == (4, 12, len(PROVINCES))
        np.testing.assert_array_equal(first.series[metric], second.series[metric])
    assert len(set(first.seeds.tolist())) == 4
    assert first.draws == [{}] * 4 and first.posterior is None
    table = first.to_table()
    assert table.num_rows == 4 * 12 * len(PROVINCES)
    run = first.run(2)
    assert run.label == "cooperation-high-s9-r2"
    np.testing.assert_array_equal(run.series["clashes"], first.series["clashes"][2])


def test_value_after_months() -> None:
    ensemble = run_ensemble(LOW, runs=3, months=12, seed=1)
    fighters = ensemble.value("iskp_fighters", 6)
    np.testing.assert_array_equal(fighters, ensemble.totals("iskp_fighters")[:, 5])
    clashes = ensemble.value("clashes", 6)
    np.testing.assert_array_equal(clashes, ensemble.totals("clashes")[:, :6].sum(axis=1))
    summary = {row["metric"]: row for row in ensemble.summary(6)}
    assert summary["clashes"]["low"] <= summary["clashes"]["median"] <= summary["clashes"]["high"]
    with pytest.raises(InputError, match="outside the run"):
        ensemble.value("clashes", 13)
    with pytest.raises(InputError, match="unknown metric"):
        ensemble.value("nonsense")


def test_runs_draw_from_the_posterior() -> None:
    posterior = abc({"clashes_per_year": 15.0}, scenario=Scenario(population=Population(scale=100)),
                    months=12, draws=20, accept=0.5, seed=2)  # fmt: skip
    ensemble = run_ensemble(LOW, runs=5, months=6, seed=3, posterior=posterior)
    assert all(set(d) == set(posterior.parameters) for d in ensemble.draws)
    accepted = set(posterior.samples["clash_rate"].tolist())
    assert all(d["clash_rate"] in accepted for d in ensemble.draws)
    assert ensemble.run(0).params.clash_rate == ensemble.draws[0]["clash_rate"]
    other = run_ensemble(HIGH, runs=5, months=6, seed=3, posterior=posterior)
    assert other.draws == ensemble.draws, "run r of every scenario shares its posterior draw"


def test_cooperation_high_against_low() -> None:
    result = compare([HIGH, LOW], runs=30, months=36, seed=0)
    assert result.baseline == "cooperation-low", "the last scenario is the baseline"
    assert result.month == 36 and result.runs == 30
    defections = result.difference("cooperation-high", "defections_to_iskp")
    assert defections["kind"] == "difference"
    assert defections["estimate"] > 0, "closer cooperation pushes hard-liners to ISKP"
    assert defections["low"] >= 0, "the interval does not reach below zero"
    leaks = result.difference("cooperation-high", "leaks")
    assert leaks["estimate"] > 0
    fighters = result.difference("cooperation-high", "iskp_fighters")
    assert fighters["kind"] == "percent" and fighters["low"] <= fighters["estimate"]
    assert fighters["estimate"] <= fighters["high"]
    assert len(result.differences) == len(HEADLINE)
    sentence = result.sentences[0]
    assert sentence.startswith("cooperation 0.8 vs 0.2 (cooperation-high vs cooperation-low)")
    assert "ISKP fighters" in sentence and "defections to ISKP +" in sentence
    assert "leaked intelligence items" in sentence
    rows = table_rows(result)
    assert rows[0][0] == "cooperation-high vs cooperation-low" and rows[0][3].startswith("[")
    data = result.to_dict()
    assert data["baseline"] == "cooperation-low" and len(data["scenarios"]) == 2


def test_the_same_scenario_twice_differs_by_nothing() -> None:
    twin = Scenario(name="twin", population=SMALL, policy=LOW.policy)
    result = compare([twin, LOW], runs=5, months=12, seed=4)
    for row in result.differences.to_pylist():
        assert row["estimate"] == row["low"] == row["high"] == 0, row["metric"]
    assert levers(twin, LOW) == "the same levers"


def test_baseline_and_errors() -> None:
    a = run_ensemble(HIGH, runs=3, months=12, seed=1)
    b = run_ensemble(LOW, runs=3, months=12, seed=1)
    result = compare_ensembles([a, b], baseline="cooperation-high", at=6)
    assert result.baseline == "cooperation-high" and result.month == 6
    assert result.differences.column("scenario").to_pylist()[0] == "cooperation-low"
    with pytest.raises(InputError, match="baseline 'x'"):
        compare_ensembles([a, b], baseline="x")
    with pytest.raises(InputError, match="same runs, months and seed"):
        compare_ensembles([a, run_ensemble(LOW, runs=3, months=12, seed=2)])
    with pytest.raises(InputError, match="at least two"):
        compare([HIGH])
    with pytest.raises(InputError, match="names must differ"):
        compare([HIGH, HIGH])


def test_levers_describe_the_shipped_questions() -> None:
    def read(name: str) -> Scenario:
        return load_scenario(SCENARIOS / f"{name}.toml")

    assert levers(read("cooperation-high"), read("cooperation-low")) == "cooperation 0.8 vs 0.2"
    text = levers(read("no-partners"), read("baseline"))
    assert "cooperation 0 vs 0.2" in text and "strike tempo 0 vs 1" in text
    assert "crackdown 0.7-1 by province vs 0.5" in text
    assert "1,000 in Parwan (month 3)" in levers(read("prison-break"), read("baseline"))


def test_scenario_posterior_file_is_used(tmp_path: Path) -> None:
    posterior = abc({"attacks_per_year": 12.0}, scenario=Scenario(population=Population(scale=100)),
                    months=12, draws=10, accept=0.5, seed=5)  # fmt: skip
    path = posterior.save(tmp_path / "p.json")
    scenario = Scenario(name="with-posterior", population=SMALL, posterior=path)
    ensemble = run_ensemble(scenario, runs=2, months=3)
    assert ensemble.posterior == str(path)
    assert set(ensemble.draws[0]) == set(posterior.parameters)
