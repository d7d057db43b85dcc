"""The forecasting models: two baselines and two learned candidates.

Baselines, from the outcome's own history only:

- ``persistence``: what happened in the last observed month happens again. Probability 1 if
  the unit had an event that month, else 0; expected count: that month's count.
- ``climatology``: the unit's historical rate. Probability: the share of the unit's panel
  months up to the origin with an event; expected count: their mean count.

Learned candidates, both fitted on every (unit, month) row whose target is observed by the
origin, both giving a calibrated probability of at least one event and an expected count:

- ``hgb``: scikit-learn's HistGradientBoostingClassifier (log loss) and
  HistGradientBoostingRegressor (Poisson loss).
- ``glm``: L2-regularized logistic regression and L2-regularized Poisson regression on
  standardized ``log(1 + x)`` features.

Probabilities are calibrated by Platt scaling on an inner time split: the classifier is first
fitted on all but the last :data:`CALIBRATION_MONTHS` target months, a logistic map from its
logit to the outcome is fitted on those held-out months, the classifier is refitted on
everything and the map applied to its output. When the held-out months lack events (or quiet
months) the raw probabilities are used, and the fit says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
LEARNERS: Final = ("hgb", "glm")
BASELINES: Final = ("persistence", "climatology")
CALIBRATION_MONTHS: Final = 12
MIN_CALIBRATION_ROWS: Final = 50
SEED: Final = 0


@dataclass(frozen=True)
class Prediction:
    """Per unit: ``probability`` of at least one event and ``expected`` count."""

    probability: FloatArray
    expected: FloatArray


def persistence(last_count: Any) -> Prediction:
    """The persistence baseline from each unit's count in the last observed month."""
    count = np.asarray(last_count, dtype=float)
    return Prediction((count > 0).astype(float), count.copy())


def climatology(history: Any) -> Prediction:
    """The climatology baseline from a (units x months) array of each unit's past counts."""
    counts = np.asarray(history, dtype=float)
    if counts.ndim != 2 or counts.shape[1] == 0:
        raise ValueError("climatology needs at least one past month per unit")
    return Prediction((counts > 0).mean(axis=1), counts.mean(axis=1))


def _hgb(kind: str) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    options: dict[str, Any] = {
        "max_iter": 60,
        "learning_rate": 0.1,
        "max_leaf_nodes": 15,
        "min_samples_leaf": 20,
        "l2_regularization": 1.0,
        "early_stopping": False,
        "random_state": SEED,
    }
    if kind == "classifier":
        return HistGradientBoostingClassifier(**options)
    return HistGradientBoostingRegressor(loss="poisson", **options)


def _glm(kind: str) -> Any:
    from sklearn.linear_model import LogisticRegression, PoissonRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    def signed_log(x: FloatArray) -> FloatArray:
        return np.asarray(np.sign(x) * np.log1p(np.abs(x)), dtype=float)

    model: Any
    if kind == "classifier":
        model = LogisticRegression(C=1.0, max_iter=2000)
    else:
        model = PoissonRegressor(alpha=0.01, solver="newton-cholesky", max_iter=300)
    return make_pipeline(FunctionTransformer(signed_log), StandardScaler(), model)


ESTIMATORS = {"hgb": _hgb, "glm": _glm}


@contextmanager
def one_thread() -> Iterator[None]:
    """Fit on one thread. A backtest is many small fits; the OpenMP threads of gradient boosting
    mostly wait for each other on small data, and crawl on a machine that is busy elsewhere (on
    two shared cores a fit on two threads took several times as long as on one)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=float)


@dataclass
class FittedModel:
    """A learned candidate fitted on one training set.

    Attributes:
        name: ``hgb`` or ``glm``.
        classifier: the fitted classifier (None when training saw one kind of outcome only).
        regressor: the fitted count model (None when every training count was zero).
        platt: ``(slope, intercept)`` of the calibration map, or None when not calibrated.
        constant: the probability and the expected count used when a part is None.
        ceiling: expected counts are capped here (twice the largest training count, plus one):
            a linear count model can extrapolate wildly from sparse data.
        trained_through: the last target month (index) of the training rows.
    """

    name: str
    classifier: Any
    regressor: Any
    platt: tuple[float, float] | None
    constant: tuple[float, float]
    ceiling: float
    trained_through: int

    def predict(self, features: Any) -> Prediction:
        """Calibrated probabilities and expected counts for rows of ``features``."""
        x = np.asarray(features, dtype=float)
        if self.classifier is None:
            probability = np.full(len(x), self.constant[0])
        else:
            probability = self.classifier.predict_proba(x)[:, 1]
            if self.platt is not None:
                slope, intercept = self.platt
                probability = 1 / (1 + np.exp(-(slope * _logit(probability) + intercept)))
        if self.regressor is None:
            expected = np.full(len(x), self.constant[1])
        else:
            expected = np.clip(self.regressor.predict(x), 0.0, self.ceiling)
        return Prediction(np.asarray(probability, dtype=float), np.asarray(expected, dtype=float))


def fit(
    name: str,
    features: Any,
    counts: Any,
    target_months: Any,
    fitted_before: Mapping[int, Any] | None = None,
) -> FittedModel:
    """Fit a learned candidate with Platt calibration on an inner time split.

    Args:
        name: ``hgb`` or ``glm``.
        features: (rows x features) array.
        counts: the outcome's count in each row's target month.
        target_months: each row's target month as an integer index (for the inner split).
        fitted_before: classifiers already fitted on this same panel, by the last target month
            they trained on; the inner split's classifier is taken from here when present (a
            rolling backtest fitted it 12 origins earlier, on exactly those rows).
    """
    if name not in ESTIMATORS:
        raise ValueError(f"unknown model {name!r}: use one of {', '.join(LEARNERS)}")
    make = ESTIMATORS[name]
    x = np.asarray(features, dtype=float)
    y = np.asarray(counts, dtype=float)
    months = np.asarray(target_months)
    event = (y > 0).astype(int)
    constant = (float(event.mean()) if y.size else 0.0, float(y.mean()) if y.size else 0.0)
    with one_thread(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|ITERATIONS).*")
        classifier = None
        platt = None
        if 0 < event.sum() < event.size:
            platt = _platt(make, x, event, months, fitted_before or {})
            classifier = make("classifier").fit(x, event)
        regressor = make("regressor").fit(x, y) if y.sum() > 0 else None
    ceiling = 2.0 * float(y.max()) + 1.0 if y.size else 1.0
    last = int(months.max()) if months.size else -1
    return FittedModel(name, classifier, regressor, platt, constant, ceiling, last)


def _platt(
    make: Any,
    x: FloatArray,
    event: npt.NDArray[np.int_],
    months: Any,
    fitted_before: Mapping[int, Any],
) -> tuple[float, float] | None:
    from sklearn.linear_model import LogisticRegression

    distinct = np.unique(months)
    if distinct.size <= CALIBRATION_MONTHS:
        return None
    cut = int(distinct[-CALIBRATION_MONTHS - 1])
    held = months > cut
    inner, outer = event[~held], event[held]
    if held.sum() < MIN_CALIBRATION_ROWS or len(set(inner)) < 2 or len(set(outer)) < 2:
        return None
    model = fitted_before.get(cut)
    if model is None:
        model = make("classifier").fit(x[~held], inner)
    raw = model.predict_proba(x[held])[:, 1]
    mapping = LogisticRegression(C=100.0).fit(_logit(raw)[:, None], outer)
    return float(mapping.coef_[0, 0]), float(mapping.intercept_[0])
