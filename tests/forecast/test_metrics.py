"""The scores against scikit-learn's own implementations and against definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    mean_squared_log_error,
    roc_auc_score,
)

from rivalscope.forecast import metrics

cases = st.integers(min_value=0, max_value=2**32 - 1).map(np.random.default_rng)


def forecasts(rng: np.random.Generator, n: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    p = rng.random(n)
    if ties:
        p = np.round(p * 4) / 4
    y = (rng.random(n) < p * 0.8 + 0.1).astype(int)
    return p, y


@settings(max_examples=60, deadline=None)
@given(cases, st.integers(min_value=2, max_value=300), st.booleans())
def test_probability_scores_match_sklearn(rng: np.random.Generator, n: int, ties: bool) -> None:
    p, y = forecasts(rng, n, ties)
    assert metrics.brier(p, y) == pytest.approx(brier_score_loss(y, p))
    if 0 < y.sum() < n:
        assert metrics.roc_auc(p, y) == pytest.approx(roc_auc_score(y, p))
    else:
        assert metrics.roc_auc(p, y) is None
    if y.sum():
        assert metrics.average_precision(p, y) == pytest.approx(average_precision_score(y, p))
    else:
        assert metrics.average_precision(p, y) is None


@settings(max_examples=40, deadline=None)
@given(cases, st.integers(min_value=5, max_value=300))
def test_reliability_matches_sklearn_calibration_curve(rng: np.random.Generator, n: int) -> None:
    p, y = forecasts(rng, n, ties=False)
    table = metrics.reliability(p, y)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    assert [row["observed"] for row in table] == pytest.approx(list(observed))
    assert [row["mean_probability"] for row in table] == pytest.approx(list(predicted))
    assert sum(row["n"] for row in table) == n
    gap = sum(row["n"] * abs(row["observed"] - row["mean_probability"]) for row in table) / n
    assert metrics.calibration_error(p, y) == pytest.approx(gap)


def test_reliability_bins_are_closed_at_one() -> None:
    table = metrics.reliability([0.0, 0.05, 1.0, 1.0], [0, 0, 1, 0])
    assert [(r["lower"], r["n"], r["observed"]) for r in table] == [(0.0, 2, 0.0), (0.9, 2, 0.5)]


@settings(max_examples=40, deadline=None)
@given(cases, st.integers(min_value=1, max_value=200))
def test_mse_log_is_sklearn_msle(rng: np.random.Generator, n: int) -> None:
    expected = rng.gamma(1.0, 2.0, n)
    count = rng.poisson(3.0, n)
    assert metrics.mse_log(expected, count) == pytest.approx(
        mean_squared_log_error(count, expected)
    )


def crps_by_expectations(mu: float, y: int) -> float:
    """CRPS = E|X - y| - E|X - X'| / 2 for X, X' independent Poisson(mu), by exact sums."""
    k = np.arange(0, int(mu + 30 * np.sqrt(mu) + 60))
    pmf = stats.poisson.pmf(k, mu)
    first = float(np.sum(pmf * np.abs(k - y)))
    second = float(np.sum(pmf[:, None] * pmf[None, :] * np.abs(k[:, None] - k[None, :])))
    return first - second / 2


@pytest.mark.parametrize(
    ("mu", "y"), [(0.3, 0), (0.3, 2), (1.0, 1), (4.5, 0), (4.5, 9), (20.0, 14), (0.0, 3)]
)
def test_crps_matches_its_expectation_form(mu: float, y: int) -> None:
    assert metrics.crps_poisson([mu], [y]) == pytest.approx(crps_by_expectations(mu, y), abs=1e-9)


def test_crps_of_a_sure_zero_is_the_count_and_averages() -> None:
    assert metrics.crps_poisson([0.0, 0.0, 0.0], [0, 2, 7]) == pytest.approx(3.0)
    mixed = metrics.crps_poisson([1.0, 4.5], [1, 9], chunk=1)
    assert mixed == pytest.approx((crps_by_expectations(1.0, 1) + crps_by_expectations(4.5, 9)) / 2)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="3 predictions for 2 outcomes"):
        metrics.brier([0.1, 0.2, 0.3], [0, 1])


def test_negative_binomial_crps_and_quantiles_match_scipy() -> None:
    rng = np.random.default_rng(5)
    mean = np.r_[0.0, rng.gamma(0.6, 15.0, 60)]
    alpha = np.r_[0.0, rng.choice([0.0, 0.4, 2.5], 60)]
    count = rng.poisson(mean + 0.5).astype(float)
    found = metrics.crps_nbinom_each(mean, alpha, count)
    for mu, a, y, value in zip(mean, alpha, count, found, strict=True):
        k = np.arange(0, int(max(y, 30_000)))
        if mu == 0:
            cdf = np.ones(k.size)
        elif a == 0:
            cdf = stats.poisson.cdf(k, mu)
        else:
            cdf = stats.nbinom.cdf(k, 1 / a, (1 / a) / (1 / a + mu))
        assert value == pytest.approx(np.sum((cdf - (y <= k)) ** 2), abs=1e-7)
        if mu > 0 and a > 0:
            ppf = stats.nbinom.ppf(0.9, 1 / a, (1 / a) / (1 / a + mu))
            assert metrics.nbinom_quantile(np.array([mu]), np.array([a]), 0.9)[0] == ppf
    poisson = alpha == 0
    assert found[poisson].mean() == pytest.approx(
        metrics.crps_poisson(mean[poisson], count[poisson])
    )


def test_ensemble_crps_is_its_pairwise_definition() -> None:
    rng = np.random.default_rng(6)
    members = rng.poisson(2.0, size=(40, 12)).astype(float)
    count = rng.poisson(2.0, size=40).astype(float)
    spread = np.abs(members - count[:, None]).mean(axis=1)
    pairs = np.abs(members[:, :, None] - members[:, None, :]).mean(axis=(1, 2))
    assert metrics.crps_samples_each(members, count) == pytest.approx(spread - pairs / 2)
    point = metrics.crps_samples_each(count[:, None] + 1, count)
    assert point.tolist() == [1.0] * 40, "a point forecast's CRPS is its absolute error"


def test_recall_at_top_shares_ties() -> None:
    assert metrics.recall_at_top([0.9, 0.8, 0.1, 0.0], [1, 0, 1, 0], 2) == (1.0, 2.0)
    caught, events = metrics.recall_at_top([0.0] * 10, [1] + [0] * 9, 5)
    assert (caught, events) == (0.5, 1.0), "no ranking: k / n of the events"


def test_dispersion_is_recovered() -> None:
    rng = np.random.default_rng(7)
    mean = rng.gamma(2.0, 3.0, 20_000)
    size = 1 / 0.8
    counts = rng.negative_binomial(size, size / (size + mean))
    assert metrics.nbinom_alpha(counts, mean) == pytest.approx(0.8, rel=0.05)
    assert metrics.nbinom_alpha(rng.poisson(mean), mean) < 0.01
