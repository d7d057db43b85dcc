"""The baselines' exact predictions and the learned models' behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from rivalscope.forecast import models


def test_persistence_repeats_the_last_month() -> None:
    forecast = models.persistence([0, 2, 1, 0])
    assert forecast.probability.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert forecast.expected.tolist() == [0.0, 2.0, 1.0, 0.0]


def test_climatology_is_each_units_history() -> None:
    history = [[0, 1, 0, 3], [0, 0, 0, 0], [2, 2, 2, 2]]
    forecast = models.climatology(history)
    assert forecast.probability.tolist() == [0.5, 0.0, 1.0]
    assert forecast.expected.tolist() == [1.0, 0.0, 2.0]
    with pytest.raises(ValueError, match="at least one past month"):
        models.climatology(np.zeros((3, 0)))


def signal(
    seed: int, months: int = 48, units: int = 30
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts that follow the first feature: Poisson(3 * x0) with x0 in {0, 1}."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=(months * units, 4)).astype(float)
    counts = rng.poisson(3.0 * x[:, 0])
    target_months = np.repeat(np.arange(months), units)
    return x, counts, target_months


@pytest.mark.parametrize("name", models.LEARNERS)
def test_learned_models_find_the_signal_and_calibrate(name: str) -> None:
    x, counts, months = signal(1)
    fitted = models.fit(name, x, counts, months)
    assert fitted.platt is not None, "held-out months have events and quiet months"
    test = np.array([[1.0, 0, 0, 0], [0.0, 1, 1, 1]])
    forecast = fitted.predict(test)
    truth = 1 - np.exp(-3.0)
    assert forecast.probability[0] == pytest.approx(truth, abs=0.06)
    assert forecast.probability[1] < 0.05
    assert forecast.expected[0] == pytest.approx(3.0, abs=0.4)
    assert forecast.expected[1] < 0.3
    again = models.fit(name, x, counts, months).predict(test)
    assert again.probability.tolist() == forecast.probability.tolist(), "deterministic"


def test_no_calibration_without_enough_held_out_months() -> None:
    x, counts, months = signal(2, months=10)
    fitted = models.fit("hgb", x, counts, months)
    assert fitted.platt is None and fitted.classifier is not None


def test_one_kind_of_outcome_gives_a_constant() -> None:
    x, _, months = signal(3)
    fitted = models.fit("glm", x, np.zeros(len(x)), months)
    forecast = fitted.predict(x[:3])
    assert fitted.classifier is None and fitted.regressor is None
    assert forecast.probability.tolist() == [0.0] * 3
    assert forecast.expected.tolist() == [0.0] * 3


def test_unknown_model_is_refused() -> None:
    x, counts, months = signal(4, months=12)
    with pytest.raises(ValueError, match="unknown model 'forest'"):
        models.fit("forest", x, counts, months)


def test_rolling_climatology_and_the_views_benchmark() -> None:
    history = np.array([[5, 0, 0, 1, 3], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2]], dtype=float)
    rolling = models.rolling(history, 3)
    assert rolling.probability.tolist() == [2 / 3, 0.0, 1.0]
    assert rolling.expected.tolist() == pytest.approx([4 / 3, 0.0, 2.0])
    assert rolling.counts is not None and rolling.counts.alpha is not None
    variance = np.var([0, 1, 3])
    assert rolling.counts.alpha[0] == pytest.approx((variance - 4 / 3) / (4 / 3) ** 2)
    assert rolling.counts.alpha[2] == 0.0, "no spread: a Poisson"
    views = models.views_last12(history)
    assert views.probability.tolist() == [0.6, 0.0, 1.0]
    assert views.distribution.quantile(0.5).tolist() == [1.0, 0.0, 2.0]
    last = models.persistence(history[:, -1])
    assert last.distribution.crps(np.array([1.0, 0.0, 2.0])).tolist() == [2.0, 0.0, 0.0]


def test_lag_baseline_fits_its_two_features() -> None:
    rng = np.random.default_rng(8)
    counts = rng.poisson(rng.gamma(0.5, 2.0, (30, 1)), size=(30, 40)).astype(float)
    lags = models.lag_features(counts)
    assert lags.shape == (30, 40, 2)
    assert lags[0, 20, 1] == pytest.approx(np.log1p(counts[0, 9:21].sum()))
    fitted = models.fit_lags(lags[:, :-1].reshape(-1, 2), counts[:, 1:].reshape(-1))
    forecast = fitted.predict(lags[:, -1])
    busy = counts.mean(axis=1) > np.median(counts.mean(axis=1))
    assert forecast.probability[busy].mean() > forecast.probability[~busy].mean()
    assert fitted.alpha >= 0
