"""Scores of probability and count forecasts, in NumPy: Brier score, ROC AUC, average precision,
the reliability table and its calibration error, MSE on log counts, the CRPS of a count
distribution (negative binomial, Poisson, or an ensemble of equally likely counts), the coverage
of prediction intervals, recall at top k, and a paired bootstrap over forecast origins. Each
follows the usual definition (the tests compare them with scikit-learn's and SciPy's)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
BINS: Final = 10
"""Equal-width probability bins of the reliability table: [0, 0.1), ..., [0.9, 1]."""


def _arrays(predicted: Any, observed: Any) -> tuple[FloatArray, FloatArray]:
    p = np.asarray(predicted, dtype=float).ravel()
    y = np.asarray(observed, dtype=float).ravel()
    if p.shape != y.shape:
        raise ValueError(f"{p.size} predictions for {y.size} outcomes")
    return p, y


def brier(probability: Any, event: Any) -> float:
    """Mean squared difference between the probability and the 0/1 outcome (lower is better)."""
    p, y = _arrays(probability, event)
    return float(np.mean((p - y) ** 2)) if p.size else float("nan")


def roc_auc(probability: Any, event: Any) -> float | None:
    """Area under the ROC curve: the chance a random event month outranks a random quiet one
    (ties count half). None when the outcomes are all of one kind."""
    p, y = _arrays(probability, event)
    positives = int(np.sum(y > 0))
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    starts = np.r_[0, np.flatnonzero(np.diff(p[order])) + 1]
    ends = np.r_[starts[1:], p.size]
    ranks = np.empty(p.size)
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    wins = float(np.sum(ranks[y > 0])) - positives * (positives + 1) / 2
    return wins / (positives * negatives)


def average_precision(probability: Any, event: Any) -> float | None:
    """Precision averaged over the recall gained at each distinct threshold, from the highest
    probability down. None when there is no event."""
    p, y = _arrays(probability, event)
    y = (y > 0).astype(float)
    total = y.sum()
    if total == 0:
        return None
    order = np.argsort(-p, kind="mergesort")
    p, y = p[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(p)), p.size - 1]
    hits = np.cumsum(y)[last_of_tie]
    precision = hits / (last_of_tie + 1)
    recall = hits / total
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def reliability(probability: Any, event: Any, bins: int = BINS) -> list[dict[str, Any]]:
    """The reliability table: per non-empty probability bin, ``lower``, ``upper``, ``n``,
    ``mean_probability`` and the ``observed`` share of events."""
    p, y = _arrays(probability, event)
    index = np.clip((p * bins).astype(int), 0, bins - 1)
    rows = []
    for b in range(bins):
        picked = index == b
        n = int(picked.sum())
        if n:
            rows.append(
                {
                    "lower": b / bins,
                    "upper": (b + 1) / bins,
                    "n": n,
                    "mean_probability": float(p[picked].mean()),
                    "observed": float((y[picked] > 0).mean()),
                }
            )
    return rows


def calibration_error(probability: Any, event: Any, bins: int = BINS) -> float:
    """Expected calibration error: the reliability table's gaps, weighted by bin size."""
    rows = reliability(probability, event, bins)
    total = sum(row["n"] for row in rows)
    if not total:
        return float("nan")
    return sum(row["n"] * abs(row["mean_probability"] - row["observed"]) for row in rows) / total


def mse_log(expected: Any, count: Any) -> float:
    """Mean squared error between ``log(1 + expected)`` and ``log(1 + count)``."""
    e, c = _arrays(expected, count)
    return float(np.mean((np.log1p(np.maximum(e, 0)) - np.log1p(c)) ** 2)) if e.size else 0.0


def crps_poisson(expected: Any, count: Any, chunk: int = 4096) -> float:
    """Mean continuous ranked probability score of Poisson forecasts with the given means.

    For a count forecast with distribution function F, CRPS = sum over k >= 0 of
    (F(k) - 1[count <= k])^2; the sum runs until both the forecast's mass and the count are
    exhausted. A mean of 0 is a sure zero, whose CRPS is the count itself.
    """
    e, c = _arrays(expected, count)
    if not e.size:
        return float("nan")
    e = np.maximum(e, 0.0)
    total = 0.0
    for begin in range(0, e.size, chunk):
        mu, y = e[begin : begin + chunk], c[begin : begin + chunk]
        top = int(max(y.max(), np.max(mu + 12 * np.sqrt(mu) + 12)))
        k = np.arange(top + 1, dtype=float)
        cdf = stats.poisson.cdf(k[None, :], mu[:, None])
        step = (y[:, None] <= k[None, :]).astype(float)
        total += float(np.sum((cdf - step) ** 2))
    return total / e.size


def crps_nbinom_each(mean: Any, alpha: Any, count: Any, cells: int = 4_000_000) -> FloatArray:
    """The CRPS of each negative binomial forecast (mean ``mean``, variance
    ``mean + alpha * mean**2``; ``alpha`` 0 is a Poisson, a mean of 0 a sure zero).

    CRPS = sum over k >= 0 of (F(k) - 1[count <= k])^2, summed up to the larger of the count and
    the forecast's 1 - 1e-7 quantile (the rest of the sum is below 1e-7 per term and vanishes).
    """
    mu = np.maximum(np.asarray(mean, dtype=float).ravel(), 0.0)
    y = np.asarray(count, dtype=float).ravel()
    a = np.broadcast_to(np.maximum(np.asarray(alpha, dtype=float), 0.0), mu.shape).ravel()
    if mu.shape != y.shape:
        raise ValueError(f"{mu.size} forecasts for {y.size} outcomes")
    out = np.zeros(mu.size)
    if not mu.size:
        return out
    top = np.maximum(y, nbinom_quantile(mu, a, 1 - 1e-7)).astype(int)
    order = np.argsort(top, kind="stable")
    begin = 0
    while begin < order.size:
        end = begin + 1
        while end < order.size and (end - begin + 1) * (int(top[order[end]]) + 1) <= cells:
            end += 1
        rows = order[begin:end]
        k = np.arange(int(top[rows].max()) + 1, dtype=float)
        cdf = _cdf_grid(k, mu[rows], a[rows])
        step = (y[rows, None] <= k[None, :]).astype(float)
        out[rows] = np.sum((cdf - step) ** 2, axis=1)
        begin = end
    return out


def _cdf_grid(k: FloatArray, mu: FloatArray, alpha: FloatArray) -> FloatArray:
    """P(X <= k) on the grid ``k`` = 0, 1, ... for each row's negative binomial, by the
    recursion of its probabilities (p(k) / p(k - 1) = (k - 1 + r) / k * mu / (r + mu), r =
    1 / alpha; mu / k for a Poisson), summed in logs: far faster than the incomplete beta."""
    mu = mu[:, None]
    poisson = alpha[:, None] < 1e-9
    r = 1.0 / np.where(poisson, 1.0, alpha[:, None])
    j = k[None, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(
            poisson,
            np.log(mu) - np.log(j),
            np.log(j - 1 + r) - np.log(j) + np.log(mu / (r + mu)),
        )
        first = np.where(poisson, -mu, r * np.log(r / (r + mu)))
        logp = np.concatenate([first, first + np.cumsum(step, axis=1)], axis=1)
    cdf = np.minimum(np.cumsum(np.exp(logp), axis=1), 1.0)
    return np.asarray(np.where(mu <= 0, 1.0, cdf), dtype=float)


def _nbinom_parts(mu: Any, alpha: Any) -> tuple[Any, Any]:
    size = 1.0 / np.maximum(alpha, 1e-12)
    return size, size / (size + np.maximum(mu, 1e-300))


def nbinom_cdf(k: Any, mu: Any, alpha: Any) -> Any:
    """P(X <= k) of the negative binomial with mean ``mu`` and dispersion ``alpha`` (a Poisson
    when ``alpha`` is below 1e-9, a sure zero when ``mu`` is 0)."""
    mu, alpha = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(alpha, dtype=float))
    k = np.broadcast_to(np.asarray(k, dtype=float), np.broadcast_shapes(np.shape(k), mu.shape))
    size, prob = _nbinom_parts(mu, alpha)
    negative = stats.nbinom.cdf(k, size, prob)
    poisson = stats.poisson.cdf(k, mu)
    cdf = np.where(alpha < 1e-9, poisson, negative)
    return np.where(mu <= 0, 1.0, cdf)


def nbinom_quantile(mu: Any, alpha: Any, q: float) -> FloatArray:
    """The ``q`` quantile (smallest k with P(X <= k) >= q) of each negative binomial."""
    mu = np.maximum(np.asarray(mu, dtype=float), 0.0)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), mu.shape)
    size, prob = _nbinom_parts(mu, alpha)
    with np.errstate(all="ignore"):
        negative = stats.nbinom.ppf(q, size, prob)
        poisson = stats.poisson.ppf(q, mu)
    value = np.where(alpha < 1e-9, poisson, negative)
    return np.asarray(np.where(mu <= 0, 0.0, np.nan_to_num(value, nan=0.0)), dtype=float)


def crps_samples_each(samples: Any, count: Any) -> FloatArray:
    """The CRPS of each ensemble forecast: row i of ``samples`` holds equally likely counts.

    CRPS = E|X - y| - E|X - X'| / 2, with E|X - X'| from the sorted ensemble
    (2 / n^2 * sum over i of (2i - n - 1) x_(i)).
    """
    x = np.asarray(samples, dtype=float)
    y = np.asarray(count, dtype=float).ravel()
    if x.ndim != 2 or x.shape[0] != y.size or x.shape[1] == 0:
        raise ValueError("samples must be (forecasts x members) with one row per outcome")
    n = x.shape[1]
    spread = np.mean(np.abs(x - y[:, None]), axis=1)
    ordered = np.sort(x, axis=1)
    weights = 2 * np.arange(1, n + 1) - n - 1
    pairs = 2.0 / n**2 * (ordered @ weights)
    return np.asarray(spread - pairs / 2, dtype=float)


def samples_quantile(samples: Any, q: float) -> FloatArray:
    """The ``q`` quantile of each row's equally likely counts (the smallest member whose
    cumulative share reaches ``q``)."""
    return np.asarray(
        np.quantile(np.asarray(samples, dtype=float), q, axis=1, method="inverted_cdf")
    )


def recall_at_top(probability: Any, event: Any, k: int) -> tuple[float, float]:
    """Events caught among the ``k`` most probable units, and events in all, for one month.

    Units tied at the cut count by their share of the remaining places (the expected catch of a
    random tie-break), so a forecast that ranks nothing catches ``k / n`` of the events.
    """
    p, y = _arrays(probability, event)
    y = (y > 0).astype(float)
    if p.size <= k:
        return float(y.sum()), float(y.sum())
    cut = np.sort(p)[::-1][k - 1]
    above = p > cut
    tied = p == cut
    share = (k - int(above.sum())) / int(tied.sum())
    return float(y[above].sum() + share * y[tied].sum()), float(y.sum())


def nbinom_alpha(counts: Any, means: Any) -> float:
    """The dispersion ``alpha`` (variance = mean + alpha mean^2) that maximizes the negative
    binomial likelihood of ``counts`` given their ``means``; 0 (a Poisson) at the boundary."""
    from scipy.optimize import minimize_scalar
    from scipy.special import gammaln

    y = np.asarray(counts, dtype=float).ravel()
    mu = np.maximum(np.asarray(means, dtype=float).ravel(), 1e-9)
    if not y.size or y.sum() == 0:
        return 0.0

    def loss(log_alpha: float) -> float:
        a = np.exp(log_alpha)
        r = 1.0 / a
        ll = (
            gammaln(y + r)
            - gammaln(r)
            - gammaln(y + 1)
            + r * np.log(r / (r + mu))
            + y * np.log(mu / (r + mu))
        )
        return -float(ll.sum())

    best = minimize_scalar(loss, bounds=(-9.0, 5.0), method="bounded", options={"xatol": 1e-3})
    alpha = float(np.exp(best.x))
    poisson = -float(stats.poisson.logpmf(y, mu).sum())
    return 0.0 if poisson <= best.fun else alpha
