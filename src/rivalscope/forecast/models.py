"""The forecasting models: the baselines a forecaster would pick and two learned candidates.

Every model gives, per unit, a probability of at least one event and a predictive distribution of
the count (:class:`Counts`): a negative binomial, or an ensemble of equally likely counts.

Baselines, from the outcome's own history only:

- ``persistence``: what happened in the last observed month happens again. Probability 1 if
  the unit had an event that month, else 0; count: that month's count, surely (a point mass).
- ``climatology``: the unit's whole history. Probability: the share of the unit's panel months
  up to the origin with an event; count: one of those months' counts, each equally likely.
- ``rolling_12``, ``rolling_36``: rolling climatology over the last 12 or 36 months.
  Probability: the share of those months with an event; count: the negative binomial with their
  mean and variance (a Poisson when the variance is not above the mean).
- ``views_last12``: the benchmark of the VIEWS prediction challenge ("conflictology"): the
  count is one of the unit's last 12 monthly counts, each equally likely; the probability of
  an event is that distribution's, the share of those 12 months with an event.
- ``logit_lags``: a logistic regression (and a Poisson regression with negative binomial
  dispersion for counts) on two lags: ``log(1 + count)`` of the last month and of the last 12
  months, fitted on the same training rows as the learned models.

Learned candidates, both fitted on every (unit, month) row whose target is observed by the
origin, both giving a calibrated probability of at least one event and an expected count:

- ``hgb``: scikit-learn's HistGradientBoostingClassifier (log loss) and
  HistGradientBoostingRegressor (Poisson loss).
- ``glm``: L2-regularized logistic regression and L2-regularized Poisson regression on
  standardized ``log(1 + x)`` features.

Their counts are negative binomial: the count model's mean, with the dispersion that maximizes
the likelihood of the training counts given the model's fitted means.

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

from rivalscope.forecast import metrics

FloatArray = npt.NDArray[np.float64]
LEARNERS: Final = ("hgb", "glm")
BASELINES: Final = (
    "persistence",
    "climatology",
    "rolling_12",
    "rolling_36",
    "views_last12",
    "logit_lags",
)
"""Every baseline, in the order tables list them."""
LAG_WINDOW: Final = 12
"""Months summed in the second lag of ``logit_lags``."""
CALIBRATION_MONTHS: Final = 12
MIN_CALIBRATION_ROWS: Final = 50
SEED: Final = 0


@dataclass(frozen=True)
class Counts:
    """A predictive distribution of each unit's count: a negative binomial with ``mean`` and
    dispersion ``alpha`` (variance ``mean + alpha * mean**2``; 0 is a Poisson), or, when
    ``samples`` is given, its rows' equally likely counts (one column: a point mass)."""

    mean: FloatArray
    alpha: FloatArray | None = None
    samples: FloatArray | None = None

    def quantile(self, q: float) -> FloatArray:
        """Each unit's ``q`` quantile."""
        if self.samples is not None:
            return metrics.samples_quantile(self.samples, q)
        return metrics.nbinom_quantile(self.mean, self._alpha(), q)

    def crps(self, observed: Any) -> FloatArray:
        """Each unit's continuous ranked probability score for the ``observed`` counts."""
        if self.samples is not None:
            return metrics.crps_samples_each(self.samples, observed)
        return metrics.crps_nbinom_each(self.mean, self._alpha(), observed)

    def _alpha(self) -> FloatArray:
        return np.zeros_like(self.mean) if self.alpha is None else self.alpha


@dataclass(frozen=True)
class Prediction:
    """Per unit: ``probability`` of at least one event, ``expected`` count and the count's
    distribution (a Poisson around ``expected`` when none is given)."""

    probability: FloatArray
    expected: FloatArray
    counts: Counts | None = None

    @property
    def distribution(self) -> Counts:
        """The count distribution."""
        return self.counts if self.counts is not None else Counts(self.expected)


def _history(history: Any) -> FloatArray:
    counts = np.asarray(history, dtype=float)
    if counts.ndim != 2 or counts.shape[1] == 0:
        raise ValueError("climatology needs at least one past month per unit")
    return counts


def persistence(last_count: Any) -> Prediction:
    """The persistence baseline from each unit's count in the last observed month."""
    count = np.asarray(last_count, dtype=float)
    return Prediction(
        (count > 0).astype(float), count.copy(), Counts(count, samples=count[:, None])
    )


def climatology(history: Any) -> Prediction:
    """The climatology baseline from a (units x months) array of each unit's past counts."""
    counts = _history(history)
    mean = counts.mean(axis=1)
    return Prediction((counts > 0).mean(axis=1), mean, Counts(mean, samples=counts))


def rolling(history: Any, months: int) -> Prediction:
    """Rolling climatology: each unit's last ``months`` counts (fewer when the history is
    shorter) give the share with an event and a moment-matched negative binomial."""
    counts = _history(history)[:, -months:]
    mean = counts.mean(axis=1)
    variance = counts.var(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(mean > 0, np.maximum(variance - mean, 0.0) / mean**2, 0.0)
    return Prediction((counts > 0).mean(axis=1), mean, Counts(mean, alpha=alpha))


def views_last12(history: Any) -> Prediction:
    """The VIEWS "last 12 months" benchmark: the unit's last 12 counts, equally likely."""
    counts = _history(history)[:, -12:]
    mean = counts.mean(axis=1)
    return Prediction((counts > 0).mean(axis=1), mean, Counts(mean, samples=counts.copy()))


def lag_features(counts: Any) -> FloatArray:
    """The two features of ``logit_lags`` for a (units x months) array of counts: per unit and
    month, ``log(1 + count)`` and ``log(1 + sum of the last 12 counts)`` (units x months x 2)."""
    y = np.asarray(counts, dtype=float)
    total = np.cumsum(y, axis=1)
    shifted = np.concatenate([np.zeros((y.shape[0], LAG_WINDOW)), total], axis=1)
    window = total - shifted[:, : y.shape[1]]
    return np.stack([np.log1p(y), np.log1p(window)], axis=2)


@dataclass
class LagModel:
    """The ``logit_lags`` baseline fitted on one training set (see :func:`fit_lags`)."""

    classifier: Any
    regressor: Any
    alpha: float
    constant: tuple[float, float]
    ceiling: float

    def predict(self, features: Any) -> Prediction:
        x = np.asarray(features, dtype=float)
        if self.classifier is None:
            probability = np.full(len(x), self.constant[0])
        else:
            probability = self.classifier.predict_proba(x)[:, 1]
        if self.regressor is None:
            expected = np.full(len(x), self.constant[1])
        else:
            expected = np.clip(self.regressor.predict(x), 0.0, self.ceiling)
        alpha = np.full(len(x), self.alpha)
        return Prediction(
            np.asarray(probability, dtype=float), expected, Counts(expected, alpha=alpha)
        )


def fit_lags(features: Any, counts: Any, *, classify: bool = True) -> LagModel:
    """Fit ``logit_lags``: a logistic regression of "at least one event" and a Poisson
    regression of the count (with maximum-likelihood negative binomial dispersion) on
    standardized lag features; ``classify=False`` fits the count part only."""
    from sklearn.linear_model import LogisticRegression, PoissonRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(features, dtype=float)
    y = np.asarray(counts, dtype=float)
    event = (y > 0).astype(int)
    constant = (float(event.mean()) if y.size else 0.0, float(y.mean()) if y.size else 0.0)
    classifier = regressor = None
    alpha = 0.0
    with one_thread(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|ITERATIONS).*")
        if classify and 0 < event.sum() < event.size:
            classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
            classifier.fit(x, event)
        if y.sum() > 0:
            regressor = make_pipeline(
                StandardScaler(),
                PoissonRegressor(alpha=1e-4, solver="newton-cholesky", max_iter=300),
            )
            regressor.fit(x, y)
    ceiling = 2.0 * float(y.max()) + 1.0 if y.size else 1.0
    if regressor is not None:
        alpha = metrics.nbinom_alpha(y, np.clip(regressor.predict(x), 0.0, ceiling))
    return LagModel(classifier, regressor, alpha, constant, ceiling)


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
        alpha: the negative binomial dispersion of the counts around the count model's mean.
    """

    name: str
    classifier: Any
    regressor: Any
    platt: tuple[float, float] | None
    constant: tuple[float, float]
    ceiling: float
    trained_through: int
    alpha: float = 0.0

    def predict(self, features: Any) -> Prediction:
        """Calibrated probabilities, expected counts and their distribution for rows of
        ``features``."""
        with one_thread():
            return self._predict(np.asarray(features, dtype=float))

    def _predict(self, x: FloatArray) -> Prediction:
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
        expected = np.asarray(expected, dtype=float)
        return Prediction(
            np.asarray(probability, dtype=float),
            expected,
            Counts(expected, alpha=np.full(len(x), self.alpha)),
        )


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
        alpha = 0.0
        if regressor is not None:
            alpha = metrics.nbinom_alpha(y, np.clip(regressor.predict(x), 0.0, ceiling))
    last = int(months.max()) if months.size else -1
    return FittedModel(name, classifier, regressor, platt, constant, ceiling, last, alpha)


def fit_counts(features: Any, counts: Any) -> FittedModel:
    """The ``nb_glm`` count model (of fatalities): the ``glm`` candidate's Poisson regression on
    standardized ``log(1 + x)`` features, with maximum-likelihood negative binomial dispersion;
    its probability part is the constant share of training rows with a positive count."""
    x = np.asarray(features, dtype=float)
    y = np.asarray(counts, dtype=float)
    constant = (float((y > 0).mean()) if y.size else 0.0, float(y.mean()) if y.size else 0.0)
    regressor = None
    with one_thread(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|ITERATIONS).*")
        if y.sum() > 0:
            regressor = _glm("regressor").fit(x, y)
    ceiling = 2.0 * float(y.max()) + 1.0 if y.size else 1.0
    alpha = 0.0
    if regressor is not None:
        alpha = metrics.nbinom_alpha(y, np.clip(regressor.predict(x), 0.0, ceiling))
    return FittedModel("nb_glm", None, regressor, None, constant, ceiling, -1, alpha)


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
