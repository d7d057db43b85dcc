"""Calibration: the store's statistics are the run's statistics, rows pending review do not
count, posterior files round-trip, and ABC recovers parameters from data simulated with them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import rivalscope as rs
from rivalscope.errors import InputError
from rivalscope.simulate.calibrate import (
    PRIORS,
    STATISTICS,
    WEAK_SHRINKAGE,
    Posterior,
    abc,
    calibrate,
    load_posterior,
    observed_statistics,
    posterior_predictive,
    run_statistics,
)
from rivalscope.simulate.events import defections_table, events_table, write_run
from rivalscope.simulate.model import FREE_PARAMETERS, Params, Policy, Population, simulate
from rivalscope.simulate.scenario import Scenario
from tests.simulate.conftest import SMALL

WINDOW = {"since": "2022-01-01", "until": "2024-12-31"}
TRUTH = {"clash_rate": 1.0, "attack_rate": 0.3, "defect_base": 0.001, "isk_spread": 0.5}


def _world(seed: int, months: int = 36) -> rs.Store:
    run = simulate(SMALL, Policy(), Params().replace(**TRUTH), months=months, seed=seed,
                   label=f"truth-{seed}")  # fmt: skip
    store = rs.open()
    write_run(store, run, displacement=False)
    return store


def test_store_statistics_are_the_run_statistics() -> None:
    run = simulate(SMALL, Policy(concession=0.6), months=36, seed=4, label="stats")
    with rs.open() as store:
        write_run(store, run, displacement=False)
        observed = observed_statistics(store, **WINDOW)
    assert observed.years == [2022, 2023, 2024]
    assert observed.notes == []
    expected = run_statistics(run)
    for name in STATISTICS:
        assert observed.values[name] == pytest.approx(expected[name]), name
    assert observed.values["clashes_per_year"] > 0
    assert observed.window["country"] == "AFG" and observed.window["actor"] == "ISKP"
    assert observed.window["source"] == "sim", "a simulation's events, the store's only source"


def test_the_source_read_must_hold_events() -> None:
    run = simulate(SMALL, Policy(), months=12, seed=3, label="source")
    with rs.open() as store:
        write_run(store, run, displacement=False)
        with pytest.raises(InputError, match="no events from source 'acled'") as refused:
            observed_statistics(store, source="acled")
        assert refused.value.parameter == "source"
        named = observed_statistics(store, source="sim")
    assert named.window["source"] == "sim"


def test_rows_pending_review_do_not_count() -> None:
    run = simulate(SMALL, Policy(), months=24, seed=5, label="pending")
    with rs.open() as store:
        write_run(store, run, displacement=False)
        before = observed_statistics(store, since="2022-01-01", until="2023-12-31").values
        extra = simulate(SMALL, Policy(), months=24, seed=6, label="proposed")
        store.write_rows("events", events_table(extra), source="sim", for_review=True)
        store.write_rows("defections", defections_table(extra), source="sim", for_review=True)
        after = observed_statistics(store, since="2022-01-01", until="2023-12-31").values
    assert after == before


def test_missing_defections_are_not_zero() -> None:
    run = simulate(SMALL, Policy(), months=12, seed=2, label="nodef")
    with rs.open() as store:
        store.write_rows("events", events_table(run), source="sim")
        observed = observed_statistics(store)
    assert observed.values["defections_per_year"] is None
    assert any("no defection record" in note for note in observed.notes)
    assert observed.values["clashes_per_year"] is not None


def test_an_empty_store_cannot_be_calibrated() -> None:
    with rs.open() as store, pytest.raises(InputError, match="no events in AFG"):
        observed_statistics(store)


def test_calibration_recovers_known_parameters(tmp_path: Path) -> None:
    """One world simulated with known parameters: each lies in its 90% posterior interval, and
    the posterior is narrower than the prior where the data speak (the rates)."""
    store = _world(seed=101)
    posterior = calibrate(store, scenario=Scenario(population=SMALL), draws=200, accept=0.1,
                          months=36, seed=1, ppc_runs=0, **WINDOW)  # fmt: skip
    store.close()
    assert posterior.size == 20 and posterior.draws == 200
    assert set(posterior.parameters) == set(FREE_PARAMETERS)
    for name, value in TRUTH.items():
        low, high = posterior.interval(name, 0.9)
        assert low <= value <= high, (name, low, high)
    for name in ("clash_rate", "defect_base"):
        prior = PRIORS[name]
        low, high = posterior.interval(name, 0.9)
        assert np.log(high / low) < 0.6 * np.log(prior.high / prior.low), name
    path = posterior.save(tmp_path / "posterior.json")
    loaded = load_posterior(path)
    for name in FREE_PARAMETERS:
        np.testing.assert_array_equal(loaded.samples[name], posterior.samples[name])
    assert loaded.observed == posterior.observed
    assert loaded.info["window"]["since"] == "2022-01-01"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["method"] == "rejection-abc" and data["accepted"] == 20


def test_shrinkage_is_one_minus_the_interval_width_ratio() -> None:
    """On the prior's scale: a posterior as wide as the prior shrinks by 0, one a tenth as wide
    (log scale for log-uniform priors) by 0.9; below 0.5 it is weakly identified."""
    rng = np.random.default_rng(0)
    n = 20_000
    wide = np.exp(rng.uniform(np.log(1e-5), np.log(1e-2), n))  # the prior itself
    centre, half = np.log(1e-3), 0.05 * np.log(1e3)  # a tenth of the prior's log width
    narrow = np.exp(rng.uniform(centre - half, centre + half, n))
    posterior = Posterior(
        samples={"defect_base": wide, "clash_rate": narrow * 1000, "isk_spread": rng.uniform(
            0.4, 0.6, n)},
        distances=np.zeros(n), epsilon=0.0, observed={}, statistics=("clashes_per_year",),
        draws=n, priors={"defect_base": {"low": 1e-5, "high": 1e-2, "log": True},
                         "clash_rate": {"low": 0.01, "high": 10.0, "log": True},
                         "isk_spread": {"low": 0.0, "high": 1.0, "log": False}},
    )  # fmt: skip
    shrink = posterior.shrinkage()
    assert shrink["defect_base"]["shrinkage"] == pytest.approx(0.0, abs=0.01)
    assert shrink["defect_base"]["variance_shrinkage"] == pytest.approx(0.0, abs=0.03)
    assert shrink["clash_rate"]["shrinkage"] == pytest.approx(0.9, abs=0.01)
    assert shrink["clash_rate"]["scale"] == "log"
    # linear prior: 90% of [0.4, 0.6] is 0.18 wide against 0.9: shrinkage 0.8
    assert shrink["isk_spread"]["shrinkage"] == pytest.approx(0.8, abs=0.01)
    assert shrink["isk_spread"]["variance_shrinkage"] == pytest.approx(1 - 0.04, abs=0.01)
    assert posterior.weak() == ["defect_base"]
    assert WEAK_SHRINKAGE == 0.5
    assert any("Weakly identified: defect_base" in s for s in posterior.sentences())


def test_posterior_predictive_check_on_a_small_store(tmp_path: Path) -> None:
    """Calibrated to a world the model made, the check passes or nearly so; against a world with
    ten times the clashes in one province it fails, and says so plainly."""
    store = _world(seed=101, months=24)
    posterior = calibrate(store, scenario=Scenario(population=SMALL), draws=60, accept=0.2,
                          months=24, seed=1, ppc_runs=30, since="2022-01-01",
                          until="2023-12-31")  # fmt: skip
    store.close()
    ppc = posterior.ppc
    assert ppc is not None and ppc["runs"] == 30 and ppc["months"] == 24
    observed = {k for k, v in posterior.observed.items() if v is not None}
    assert {row["statistic"] for row in ppc["rows"]} == observed
    assert len(posterior.statistics) >= len(posterior.parameters), "enough statistics"
    for row in ppc["rows"]:
        assert row["p05"] <= row["p50"] <= row["p95"] and 0 <= row["rank"] <= 1
        assert row["outside"] == (not row["p05"] <= row["observed"] <= row["p95"])
    assert len(ppc["outside"]) <= 2, ppc["outside"]
    shrink = posterior.shrinkage()
    assert set(shrink) == set(FREE_PARAMETERS)
    assert shrink["clash_rate"]["shrinkage"] > WEAK_SHRINKAGE, "clashes pin the clash rate"
    assert "clashes_per_year" in shrink["clash_rate"]["informed_by"]
    data = posterior.to_dict()
    assert data["ppc"] == ppc and data["shrinkage"] == shrink
    loaded = load_posterior(posterior.save(tmp_path / "p.json"))
    assert loaded.ppc == ppc and loaded.shrinkage() == shrink
    # a world the model cannot make: ten times the clashes, all in one province
    wrong = dict(posterior.observed, clashes_per_year=10 * posterior.observed["clashes_per_year"],
                 provinces_clashed_per_year=1.0)  # fmt: skip
    failing = abc(wrong, scenario=Scenario(population=SMALL), months=24, draws=30, accept=0.2,
                  seed=2, ppc_runs=15)  # fmt: skip
    assert failing.ppc is not None and "clashes_per_year" in failing.ppc["outside"]
    assert failing.ppc["passes"] is False
    sentence = failing.ppc["sentences"][0]
    assert sentence.startswith("The model FAILS the posterior predictive check")
    assert "clashes per year" in sentence and "above the 95th percentile" in sentence
    again = posterior_predictive(failing, scenario=Scenario(population=SMALL), runs=15, seed=2)
    assert again == failing.ppc, "deterministic with seeds"


@pytest.mark.slow
def test_calibration_recovers_known_parameters_most_of_the_time() -> None:
    """K = 5 worlds (two years each) with the same known parameters: in at least K - 1 of them
    every parameter lies in its 90% posterior interval."""
    inside = []
    for seed in range(5):
        store = _world(seed=200 + seed, months=24)
        posterior = calibrate(store, scenario=Scenario(population=SMALL), draws=200,
                              accept=0.1, months=24, seed=seed, since="2022-01-01",
                              until="2023-12-31", ppc_runs=0)  # fmt: skip
        store.close()
        inside.append(
            all(
                posterior.interval(name, 0.9)[0] <= value <= posterior.interval(name, 0.9)[1]
                for name, value in TRUTH.items()
            )
        )
    assert sum(inside) >= 4, inside


def test_abc_uses_only_statistics_given() -> None:
    observed = {"clashes_per_year": 20.0, "attacks_per_year": 10.0}
    posterior = abc(observed, scenario=Scenario(population=Population(scale=100)), months=12,
                    draws=20, accept=0.2, seed=3)  # fmt: skip
    assert posterior.statistics == ("clashes_per_year", "attacks_per_year")
    assert posterior.size == 4
    assert (np.diff(posterior.distances) >= 0).all()
    assert posterior.epsilon == posterior.distances[-1]
    with pytest.raises(InputError, match="no observed statistic"):
        abc({"defections_per_year": None}, draws=10)


def test_bad_posterior_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such posterior file"):
        load_posterior(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(InputError, match="not a Rivalscope posterior"):
        load_posterior(bad)
    bad.write_text('{"format": "rivalscope-posterior/1", "samples": {"x": [1]}}', encoding="utf-8")
    with pytest.raises(InputError, match="unknown parameter 'x'"):
        load_posterior(bad)


@pytest.mark.realdata
def test_statistics_of_the_real_ucdp_data() -> None:
    """On UCDP GED 21.1's Afghan rows, from ISKP's first event (2015) to the end (2020): every
    statistic recomputed with pandas straight from the CSV; then a small calibration reports
    shrinkage for every parameter and a posterior predictive check of every statistic."""
    import pandas as pd

    from tests.conftest import shared_file

    path = shared_file("ucdp_ged211_afghanistan.csv")
    raw = pd.read_csv(path, dtype=str)
    raw["best"] = raw["best"].astype(int)
    raw["year"] = raw["date_start"].str[:4].astype(int)
    dyad = raw[((raw.side_a == "IS") & (raw.side_b == "Taleban"))
               | ((raw.side_a == "Taleban") & (raw.side_b == "IS"))]  # fmt: skip
    attacks = raw[(raw.side_a == "IS") & (raw.type_of_violence == "3")]
    years = range(2015, 2021)
    events = (
        pd.concat([dyad.year, attacks.year]).value_counts().reindex(years, fill_value=0).to_numpy()
    )
    expected = {
        "clashes_per_year": len(dyad) / 6,
        "clash_deaths_per_year": dyad.best.sum() / 6,
        "provinces_clashed_per_year": dyad.groupby("year").adm_1.nunique().sum() / 6,
        "attacks_per_year": len(attacks) / 6,
        "attack_deaths_per_year": attacks.best.sum() / 6,
        "iskp_late_share": events[3:].sum() / events.sum(),
        "iskp_last_to_peak": events[-1] / events.max(),
    }
    with rs.open() as store:
        store.ingest_ucdp(path)
        observed = observed_statistics(store)
        posterior = calibrate(store, scenario=Scenario(population=Population(scale=100)),
                              draws=60, accept=0.25, seed=1, ppc_runs=20)  # fmt: skip
    assert observed.years == [2015, 2016, 2017, 2018, 2019, 2020]
    for name, value in expected.items():
        assert observed.values[name] == pytest.approx(value), name
    assert observed.values["clashes_per_year"] == pytest.approx(71 / 6)  # the 11.8
    assert observed.values["clash_deaths_per_year"] == pytest.approx(89.67, abs=0.01)
    assert observed.values["defections_per_year"] is None, "GED has no defection records"
    assert len(posterior.statistics) >= len(FREE_PARAMETERS), "as many statistics as parameters"
    assert posterior.size == 15
    shrink = posterior.shrinkage()
    assert set(shrink) == set(FREE_PARAMETERS)
    assert all(row["shrinkage"] <= 1 for row in shrink.values())
    ppc = posterior.ppc
    assert ppc is not None
    assert {row["statistic"] for row in ppc["rows"]} == set(expected)
    for row in ppc["rows"]:
        assert row["observed"] == pytest.approx(expected[row["statistic"]])
    assert ppc["passes"] == (not ppc["outside"])
    if not ppc["passes"]:
        assert any("FAILS the posterior predictive check" in s for s in posterior.sentences())
