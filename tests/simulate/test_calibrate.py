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
    abc,
    calibrate,
    load_posterior,
    observed_statistics,
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
    assert "no defection record" in observed.notes[0]
    assert observed.values["clashes_per_year"] is not None


def test_an_empty_store_cannot_be_calibrated() -> None:
    with rs.open() as store, pytest.raises(InputError, match="no events in AFG"):
        observed_statistics(store)


def test_calibration_recovers_known_parameters(tmp_path: Path) -> None:
    """One world simulated with known parameters: each lies in its 90% posterior interval, and
    the posterior is narrower than the prior where the data speak (the rates)."""
    store = _world(seed=101)
    posterior = calibrate(store, scenario=Scenario(population=SMALL), draws=200, accept=0.1,
                          months=36, seed=1, **WINDOW)  # fmt: skip
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


@pytest.mark.slow
def test_calibration_recovers_known_parameters_most_of_the_time() -> None:
    """K = 5 worlds (two years each) with the same known parameters: in at least K - 1 of them
    every parameter lies in its 90% posterior interval."""
    inside = []
    for seed in range(5):
        store = _world(seed=200 + seed, months=24)
        posterior = calibrate(store, scenario=Scenario(population=SMALL), draws=200,
                              accept=0.1, months=24, seed=seed, since="2022-01-01",
                              until="2023-12-31")  # fmt: skip
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
    """On UCDP GED 21.1's Afghan rows, from ISKP's first event (2015) to the end (2020); the
    expected figures are counted straight from the CSV with DuckDB."""
    import duckdb

    from tests.conftest import shared_file

    path = shared_file("ucdp_ged211_afghanistan.csv")
    raw = duckdb.connect()
    clashes, provinces, attacks = raw.execute(
        """WITH g AS (SELECT * FROM read_csv(?, all_varchar = true))
        SELECT
          (SELECT count(*) FROM g WHERE (side_a = 'IS' AND side_b = 'Taleban')
                                     OR (side_a = 'Taleban' AND side_b = 'IS')),
          (SELECT sum(n) FROM (SELECT count(DISTINCT adm_1) AS n FROM g
             WHERE (side_a = 'IS' AND side_b = 'Taleban') OR (side_a = 'Taleban' AND side_b = 'IS')
             GROUP BY year)),
          (SELECT count(*) FROM g WHERE side_a = 'IS' AND type_of_violence = '3')""",
        [str(path)],
    ).fetchone()  # type: ignore[misc]
    with rs.open() as store:
        store.ingest_ucdp(path)
        observed = observed_statistics(store)
        posterior = abc(observed.values, scenario=Scenario(population=Population(scale=100)),
                        months=12 * len(observed.years), draws=40, accept=0.25, seed=1)  # fmt: skip
    assert observed.years == [2015, 2016, 2017, 2018, 2019, 2020]
    assert observed.values["clashes_per_year"] == pytest.approx(clashes / 6)
    assert observed.values["provinces_clashed_per_year"] == pytest.approx(provinces / 6)
    assert observed.values["attacks_per_year"] == pytest.approx(attacks / 6)
    assert observed.values["defections_per_year"] is None, "GED has no defection records"
    assert posterior.statistics == ("clashes_per_year", "provinces_clashed_per_year",
                                    "attacks_per_year")  # fmt: skip
    assert posterior.size == 10
