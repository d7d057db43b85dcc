"""Scores of probability and count forecasts, in NumPy: Brier score, ROC AUC, average precision,
the reliability table and its calibration error, MSE on log counts, and the CRPS of a Poisson
forecast. Each follows the usual definition (the tests compare them with scikit-learn's)."""

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
    ranks = stats.rankdata(p)
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
