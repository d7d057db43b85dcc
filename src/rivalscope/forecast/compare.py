"""Is the model better than the best baseline? A paired bootstrap over forecast origins.

For each score, the best baseline is the one with the best value over the window. The model and
that baseline are scored on the same resampled sets of target months (origins drawn with
replacement, :data:`DRAWS` times, seeded): the 2.5% and 97.5% percentiles of the difference
(model minus baseline) form the interval. The model is ``better`` only where the interval lies
wholly on the better side of 0, ``worse`` where it lies wholly on the other side, and
``no clear difference`` otherwise. Resampling whole months keeps the units of one month together:
their errors share the month's shocks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from rivalscope.forecast import metrics

FloatArray = npt.NDArray[np.float64]
DRAWS: Final = 1000
SEED: Final = 0
LEVEL: Final = 0.95

COMPARISON_SCHEMA: Final = pa.schema(
    [
        ("metric", pa.string()),
        ("better_when", pa.string()),
        ("model", pa.string()),
        ("model_value", pa.float64()),
        ("best_baseline", pa.string()),
        ("baseline_value", pa.float64()),
        ("difference", pa.float64()),
        ("low", pa.float64()),
        ("high", pa.float64()),
        ("verdict", pa.string()),
    ]
)


@dataclass(frozen=True)
class Scored:
    """One model's forecasts over a window, each (target months x units).

    ``probability`` may be None for a count-only model; ``crps``, ``low`` and ``high`` are the
    score and the 80% interval of each forecast's count distribution."""

    probability: FloatArray | None
    expected: FloatArray
    crps: FloatArray
    low: FloatArray
    high: FloatArray


LOWER: Final = "lower"
HIGHER: Final = "higher"
MEAN_METRICS: Final = {"brier": LOWER, "mse_log": LOWER, "crps": LOWER}
RANK_METRICS: Final = {"average_precision": HIGHER, "roc_auc": HIGHER}


def _per_row(name: str, scored: Scored, observed: FloatArray) -> FloatArray:
    if name == "brier":
        assert scored.probability is not None
        return np.asarray((scored.probability - (observed > 0)) ** 2, dtype=float)
    if name == "mse_log":
        return np.asarray(
            (np.log1p(np.maximum(scored.expected, 0)) - np.log1p(observed)) ** 2, dtype=float
        )
    if name == "crps":
        return scored.crps
    raise KeyError(name)


def _rank_metric(name: str) -> Callable[[Any, Any], float | None]:
    return metrics.average_precision if name == "average_precision" else metrics.roc_auc


def value(name: str, scored: Scored, observed: FloatArray, mask: npt.NDArray[np.bool_]) -> float:
    """The score ``name`` of the forecasts picked by ``mask`` (NaN where it is undefined)."""
    if not mask.any():
        return float("nan")
    if name in MEAN_METRICS:
        return float(np.mean(_per_row(name, scored, observed)[mask]))
    if name == "recall_at_k":
        raise KeyError("recall_at_k needs its k: see recall")
    assert scored.probability is not None
    found = _rank_metric(name)(scored.probability[mask], observed[mask] > 0)
    return float("nan") if found is None else float(found)


def recall(
    scored: Scored, observed: FloatArray, mask: npt.NDArray[np.bool_], k: int
) -> tuple[FloatArray, FloatArray]:
    """Per target month: events caught among the ``k`` most probable picked units, and events."""
    assert scored.probability is not None
    hits = np.zeros(observed.shape[0])
    events = np.zeros(observed.shape[0])
    for t in range(observed.shape[0]):
        picked = mask[t]
        if picked.any():
            hits[t], events[t] = metrics.recall_at_top(
                scored.probability[t, picked], observed[t, picked], k
            )
    return hits, events


def compare(
    models: Mapping[str, Scored],
    observed: FloatArray,
    model: str,
    baselines: Sequence[str],
    names: Sequence[str],
    *,
    mask: npt.NDArray[np.bool_] | None = None,
    top_k: int | None = None,
) -> list[dict[str, Any]]:
    """The model against the best baseline on each score of ``names``.

    Args:
        models: every model's forecasts.
        observed: the counts (target months x units).
        model: the model compared.
        baselines: the baselines it is compared with.
        names: scores among ``brier``, ``mse_log``, ``crps``, ``average_precision``,
            ``roc_auc`` and ``recall_at_k`` (which needs ``top_k``).
        mask: the forecasts scored (default: all).
        top_k: k of ``recall_at_k``.

    Returns:
        One row per score (see :data:`COMPARISON_SCHEMA`).
    """
    picked = np.ones(observed.shape, dtype=bool) if mask is None else mask
    months = observed.shape[0]
    rng = np.random.default_rng(SEED)
    draws = rng.integers(0, months, size=(DRAWS, months))
    weights = np.stack([np.bincount(d, minlength=months) for d in draws]).astype(float)
    tail = (1 - LEVEL) / 2 * 100
    rows = []
    for name in names:
        direction = HIGHER if name in RANK_METRICS or name == "recall_at_k" else LOWER
        resampled: dict[str, FloatArray] = {}
        point: dict[str, float] = {}
        for candidate in (model, *baselines):
            scored = models[candidate]
            if name in MEAN_METRICS:
                per = np.where(picked, _per_row(name, scored, observed), 0.0)
                sums, counts = per.sum(axis=1), picked.sum(axis=1).astype(float)
                point[candidate] = float(sums.sum() / counts.sum()) if counts.sum() else np.nan
                with np.errstate(invalid="ignore", divide="ignore"):
                    resampled[candidate] = (weights @ sums) / (weights @ counts)
            elif name == "recall_at_k":
                if top_k is None:
                    raise ValueError("recall_at_k needs top_k")
                hits, events = recall(scored, observed, picked, top_k)
                point[candidate] = float(hits.sum() / events.sum()) if events.sum() else np.nan
                with np.errstate(invalid="ignore", divide="ignore"):
                    resampled[candidate] = (weights @ hits) / (weights @ events)
            else:
                point[candidate] = value(name, scored, observed, picked)
                resampled[candidate] = _resample_rank(name, scored, observed, picked, draws)
        best = _best(point, baselines, direction)
        row: dict[str, Any] = {
            "metric": name,
            "better_when": direction,
            "model": model,
            "model_value": point[model],
            "best_baseline": best,
            "baseline_value": point[best] if best is not None else None,
            "difference": None,
            "low": None,
            "high": None,
            "verdict": "n/a",
        }
        if best is not None and np.isfinite(point[model]):
            difference = resampled[model] - resampled[best]
            difference = difference[np.isfinite(difference)]
            if difference.size:
                low, high = np.percentile(difference, [tail, 100 - tail])
                row |= {
                    "difference": point[model] - point[best],
                    "low": float(low),
                    "high": float(high),
                    "verdict": _verdict(float(low), float(high), direction),
                }
        rows.append(row)
    return rows


def _resample_rank(
    name: str,
    scored: Scored,
    observed: FloatArray,
    picked: npt.NDArray[np.bool_],
    draws: npt.NDArray[np.int_],
) -> FloatArray:
    assert scored.probability is not None
    score = _rank_metric(name)
    p = [scored.probability[t, picked[t]] for t in range(observed.shape[0])]
    y = [observed[t, picked[t]] > 0 for t in range(observed.shape[0])]
    out = np.full(len(draws), np.nan)
    for b, draw in enumerate(draws):
        found = score(np.concatenate([p[t] for t in draw]), np.concatenate([y[t] for t in draw]))
        if found is not None:
            out[b] = found
    return out


def _best(point: Mapping[str, float], baselines: Sequence[str], direction: str) -> str | None:
    usable = [b for b in baselines if np.isfinite(point[b])]
    if not usable:
        return None
    sign = 1.0 if direction == LOWER else -1.0
    return min(usable, key=lambda b: sign * point[b])


def _verdict(low: float, high: float, direction: str) -> str:
    if direction == LOWER:
        return "better" if high < 0 else "worse" if low > 0 else "no clear difference"
    return "better" if low > 0 else "worse" if high < 0 else "no clear difference"


def table(rows: list[dict[str, Any]]) -> pa.Table:
    """Comparison rows as an Arrow table."""
    return pa.Table.from_pylist(rows, schema=COMPARISON_SCHEMA)
