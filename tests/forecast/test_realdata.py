"""The backtest and the forecast on the real UCDP GED 21.1 rows of Afghanistan (1989-2020).

The backtest evaluates 2019-01..2020-12 (24 months x 34 provinces = 816 province-months), each
month forecast by models trained only on the months before it, for events with the Taliban on
either side and for events with ISKP. The baselines' and the onset scores' numbers are
recomputed here apart from the library: the store's events counted per province and month with
pandas, the baselines with pandas' rolling windows, a logistic regression with scikit-learn, the
scores with scikit-learn, CRPS by brute force with SciPy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import rivalscope as rs
from rivalscope.forecast.backtesting import Backtest, backtest, claim
from rivalscope.forecast.prediction import predict
from rivalscope.forecast.report import write_html
from tests.conftest import shared_file
from tests.forecast.test_browser import look, need_chromium
from tests.test_cli import run

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
ROW = re.compile(r"^│ (\w+)( \*)?\s+│ ([\d.]+)\s+│ ([\d.]+)\s+│ ([\d.]+)\s+│", re.MULTILINE)
START, END = "2019-01", "2020-12"


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("real") / "afg.duckdb"
    with rs.open(path) as store:
        store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        store.load_boundaries(shared_file("geoBoundaries-AFG-ADM1.geojson"))
    return path


@pytest.fixture(scope="module")
def results(real_db: Path) -> dict[str, tuple[Backtest, pd.DataFrame]]:
    """The library's backtest (glm only: the baselines do not depend on the learners) and the
    monthly counts per province counted here, for both actors."""
    found = {}
    with rs.open(real_db, read_only=True) as store:
        events = store.table("events").to_pyarrow().to_pandas()
        provinces = sorted(store.places("AFG").column("code").to_pylist())
        for actor in ("TALIBAN", "ISKP"):
            result = backtest(store, actor, start=START, end=END, learners=("glm",))
            found[actor] = (result, monthly_counts(events, actor, provinces))
    return found


def monthly_counts(events: pd.DataFrame, actor: str, provinces: list[str]) -> pd.DataFrame:
    """Events with the actor on either side per province (rows) and month (columns), from 12
    months before the actor's first event in Afghanistan to 2020-12."""
    mine = events[
        (events.country_iso3 == "AFG")
        & (events.source == "ucdp")
        & ((events.actor1 == actor) | (events.actor2 == actor))
    ]
    month = pd.to_datetime(mine.date_start).dt.to_period("M")
    months = pd.period_range(month.min() - 12, pd.Period(END, "M"), freq="M")
    counts = (
        mine.assign(month=month)
        .dropna(subset=["admin1_code"])
        .groupby(["admin1_code", "month"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=provinces, columns=months, fill_value=0)
    )
    counts.attrs["first"] = month.min()
    return counts


@pytest.fixture(scope="module")
def independent(
    results: dict[str, tuple[Backtest, pd.DataFrame]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """The baselines recomputed here, once per actor."""
    return {actor: baselines(counts) for actor, (_, counts) in results.items()}


def baselines(counts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each baseline's probability, mean and CRPS per target month (rows) and province."""
    y = counts.T.astype(float)  # months x provinces
    since = counts.attrs["first"]
    panel = y.loc[since:]
    targets = pd.period_range(START, END, freq="M")
    out: dict[str, dict[str, Any]] = {}
    for name, window in (("rolling_12", 12), ("rolling_36", 36), ("climatology", None)):
        probability, mean, crps = [], [], []
        for target in targets:
            history = panel.loc[: target - 1]
            if window is not None:
                history = history.iloc[-window:]
            probability.append((history > 0).mean().to_numpy())
            mean.append(history.mean().to_numpy())
            observed = y.loc[target].to_numpy()
            if window is not None:
                m, v = history.mean().to_numpy(), history.var(ddof=0).to_numpy()
                crps.append([nb_crps(a, b, c) for a, b, c in zip(m, v, observed, strict=True)])
            else:
                crps.append(ensemble_crps(history.to_numpy().T, observed))
        out[name] = {"p": np.array(probability), "mean": np.array(mean), "crps": np.array(crps)}
    views = out["rolling_12"] | {
        "crps": np.array(
            [
                ensemble_crps(panel.loc[: t - 1].iloc[-12:].to_numpy().T, y.loc[t].to_numpy())
                for t in targets
            ]
        )
    }
    out["views_last12"] = views
    last = np.array([panel.loc[t - 1].to_numpy() for t in targets])
    out["persistence"] = {"p": (last > 0).astype(float), "mean": last, "crps": None}
    out["logit_lags"] = {"p": logistic_on_lags(y, since, targets)}
    out["_observed"] = {"y": np.array([y.loc[t].to_numpy() for t in targets])}
    quiet = np.array([(y.loc[t - 12 : t - 1].sum() == 0).to_numpy() for t in targets])
    out["_onset"] = {"mask": quiet}
    return out


def nb_crps(mean: float, variance: float, count: float) -> float:
    """CRPS of the moment-matched negative binomial (a Poisson when not overdispersed)."""
    if mean == 0:
        return float(count)
    k = np.arange(0, int(max(count, mean + 60 * np.sqrt(variance + mean) + 60)) + 1)
    if variance > mean:
        size = mean**2 / (variance - mean)
        cdf = stats.nbinom.cdf(k, size, size / (size + mean))
    else:
        cdf = stats.poisson.cdf(k, mean)
    return float(np.sum((cdf - (count <= k)) ** 2))


def ensemble_crps(members: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """CRPS of equally likely members (one row per forecast) by its pairwise definition."""
    spread = np.abs(members - observed[:, None]).mean(axis=1)
    pairs = np.abs(members[:, :, None] - members[:, None, :]).mean(axis=(1, 2))
    return np.asarray(spread - pairs / 2)


def logistic_on_lags(y: pd.DataFrame, since: pd.Period, targets: pd.PeriodIndex) -> np.ndarray:
    """A logistic regression of "an event next month" on log(1 + this month's count) and
    log(1 + the last 12 months' count), refitted at every origin on the rows it knew."""
    panel = y.loc[since:]
    sum12 = y.rolling(12, min_periods=1).sum().loc[since:]
    features = np.stack([np.log1p(panel.to_numpy()), np.log1p(sum12.to_numpy())], axis=2)
    event = (panel.to_numpy() > 0).astype(int)
    index = {month: i for i, month in enumerate(panel.index)}
    out = []
    for target in targets:
        o = index[target - 1]
        x = features[:o].reshape(-1, 2)
        label = event[1 : o + 1].reshape(-1)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, label)
        out.append(model.predict_proba(features[o])[:, 1])
    return np.array(out)


def recall_top(probability: np.ndarray, event: np.ndarray, mask: np.ndarray, k: int) -> float:
    """Onsets caught among each month's k most probable quiet provinces (ties share places)."""
    caught = total = 0.0
    for p, y, m in zip(probability, event, mask, strict=True):
        frame = pd.DataFrame({"p": p[m], "y": y[m]})
        total += frame.y.sum()
        if len(frame) <= k:
            caught += frame.y.sum()
            continue
        cut = frame.p.nlargest(k).iloc[-1]
        above, tied = frame[frame.p > cut], frame[frame.p == cut]
        caught += above.y.sum() + (k - len(above)) / len(tied) * tied.y.sum()
    return caught / total


@pytest.mark.parametrize("actor", ["TALIBAN", "ISKP"])
def test_baseline_scores_match_an_independent_computation(
    results: dict[str, tuple[Backtest, pd.DataFrame]],
    independent: dict[str, dict[str, dict[str, Any]]],
    actor: str,
) -> None:
    result, _ = results[actor]
    mine = independent[actor]
    y = mine["_observed"]["y"]
    event = (y > 0).ravel()
    assert result.metrics.column("forecasts")[0].as_py() == y.size == 816
    assert result.metrics.column("events")[0].as_py() == int(event.sum())
    for name in ("persistence", "climatology", "rolling_12", "rolling_36", "views_last12"):
        row = result.scores(name)
        p = mine[name]["p"].ravel()
        assert row["brier"] == pytest.approx(brier_score_loss(event, p), abs=1e-9), name
        assert row["average_precision"] == pytest.approx(average_precision_score(event, p)), name
        assert row["roc_auc"] == pytest.approx(roc_auc_score(event, p)), name
        expected = mine[name]["mean"].ravel()
        mse = np.mean((np.log1p(expected) - np.log1p(y.ravel())) ** 2)
        assert row["mse_log"] == pytest.approx(mse), name
        crps = mine[name]["crps"]
        truth = np.abs(expected - y.ravel()).mean() if crps is None else np.mean(crps)
        assert row["crps"] == pytest.approx(truth, rel=1e-6), name
    lags = result.scores("logit_lags")
    p = mine["logit_lags"]["p"].ravel()
    assert lags["brier"] == pytest.approx(brier_score_loss(event, p), abs=2e-4)
    assert lags["average_precision"] == pytest.approx(average_precision_score(event, p), abs=5e-3)


@pytest.mark.parametrize("actor", ["TALIBAN", "ISKP"])
def test_onset_scores_match_an_independent_computation(
    results: dict[str, tuple[Backtest, pd.DataFrame]],
    independent: dict[str, dict[str, dict[str, Any]]],
    actor: str,
) -> None:
    result, _ = results[actor]
    mine = independent[actor]
    mask = mine["_onset"]["mask"]
    y = mine["_observed"]["y"]
    onset = result.onset
    assert onset["forecasts"] == int(mask.sum())
    assert onset["events"] == int((y[mask] > 0).sum())
    assert onset["base_rate"] == pytest.approx((y[mask] > 0).mean())
    rows = {row["model"]: row for row in onset["metrics"].to_pylist()}
    for name in ("climatology", "rolling_36", "rolling_12", "persistence"):
        p = mine[name]["p"]
        assert rows[name]["brier"] == pytest.approx(brier_score_loss(y[mask] > 0, p[mask]))
        if onset["events"]:
            assert rows[name]["average_precision"] == pytest.approx(
                average_precision_score(y[mask] > 0, p[mask])
            )
            assert rows[name]["recall_at_k"] == pytest.approx(recall_top(p, y > 0, mask, 5))


def test_iskp_figures_of_the_issue(results: dict[str, tuple[Backtest, pd.DataFrame]]) -> None:
    """ISKP: 9 onsets in 615 quiet province-months; a quiet province's own last 12 months say
    nothing, so rolling_12 ranks no onset above another (average precision = the base rate)."""
    result, _ = results["ISKP"]
    assert (result.onset["forecasts"], result.onset["events"]) == (615, 9)
    rows = {row["model"]: row for row in result.onset["metrics"].to_pylist()}
    assert rows["rolling_12"]["average_precision"] == pytest.approx(9 / 615)
    assert result.scores("rolling_12")["brier"] == pytest.approx(0.0373, abs=5e-5)
    assert result.scores("logit_lags")["average_precision"] == pytest.approx(0.652, abs=2e-3)


@pytest.mark.parametrize("actor", ["TALIBAN", "ISKP"])
def test_summary_claims_only_what_the_intervals_show(
    results: dict[str, tuple[Backtest, pd.DataFrame]], actor: str
) -> None:
    result, _ = results[actor]
    names = {"brier": "Brier", "average_precision": "average precision", "roc_auc": "ROC AUC"}
    names |= {"mse_log": "MSE of log counts", "crps": "CRPS"}
    rows = result.comparisons.to_pylist()
    better = [names[r["metric"]] for r in rows if r["verdict"] == "better"]
    for row in rows:
        scores = {m["model"]: m[row["metric"]] for m in result.metrics.to_pylist()}
        baselines_only = {k: v for k, v in scores.items() if k != "glm"}
        best = (min if row["better_when"] == "lower" else max)(baselines_only.values())
        assert row["baseline_value"] == pytest.approx(best), "the best baseline on that score"
        if row["verdict"] == "better":
            assert (row["low"] > 0) if row["better_when"] == "higher" else (row["high"] < 0)
    assert "beats both baselines" not in result.summary
    assert claim(rows) in result.summary
    if not better:
        assert "It beats the best baseline on no score" in result.summary
    assert 0.5 < result.scores("glm")["coverage_80"] <= 1


def test_iskp_backtest_prints_the_table(real_db: Path) -> None:
    done = run(
        "forecast", "backtest", "--db", str(real_db), "--actor", "ISKP", "--start", START,
        "--end", END, "--model", "glm", "--refit-every", "6",
    )  # fmt: skip
    assert (
        f"Backtest {START}..{END}: events involving Islamic State Khorasan Province (ucdp events)"
        in " ".join(done.stdout.split())
    )
    rows = {name: float(b) for name, _, b, _, _ in ROW.findall(done.stdout)}
    assert set(rows) >= {"glm", "persistence", "rolling_12", "views_last12", "logit_lags"}
    assert "against the best baseline per score" in done.stdout
    assert "onsets" in done.stdout


def test_real_forecast_page_says_it_is_stale(real_db: Path, tmp_path: Path) -> None:
    need_chromium()
    with rs.open(real_db, read_only=True) as store:
        result = predict(store, "ISKP", outcome="any", evaluate=6, model="glm")
    assert result.spec.target_month.isoformat() == "2021-01-01"
    stale = result.staleness
    assert stale is not None and stale["stale"] is True
    assert stale["data_end"] == "2020-12"
    assert [(s["source"], s["last_month"]) for s in stale["sources"]] == [("ucdp", "2020-12")]
    assert result.map["kind"] == "choropleth"
    assert len(result.map["geojson"]["features"]) == 34
    top = result.table.slice(0, 2).column("unit").to_pylist()
    assert set(top) <= {"AF-NAN", "AF-KAB", "AF-KNR"}, "where ISKP was active in 2020"
    path = write_html(result, tmp_path / "real.html")
    found = look(path, {"page": "forecast-real.png"}, charts=3)
    assert found["rows"] == 34
    assert "STALE: made " in str(found["text"]) and "data end 2020-12" in str(found["text"])
