"""The rolling-origin backtest: it never trains on the future, its baselines are exact, its
scores are those of its own forecasts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

import rivalscope as rs
from rivalscope.errors import InputError
from rivalscope.forecast import compare, metrics
from rivalscope.forecast.backtesting import Backtest, backtest, claim, run_backtest
from rivalscope.forecast.models import BASELINES
from rivalscope.forecast.panel import build_panel
from rivalscope.forecast.spec import resolve
from tests.analysis.fixtures import ucdp_row
from tests.forecast.fixtures import ROWS, hand_store

D = dt.date
LATER = [
    ucdp_row(101, 3, "IS", "Civilians", "2016-05-07", 3, "Kunar"),
    ucdp_row(102, 3, "IS", "Civilians", "2016-05-08", 3, "Kunar"),
    ucdp_row(103, 2, "IS", "Taleban", "2016-06-09", 3, "Kabul"),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[rs.Store]:
    with hand_store(tmp_path) as opened:
        yield opened


def run(store: rs.Store, **options: object) -> Backtest:
    return backtest(
        store, "ISKP", rival="TALIBAN", **{"start": "2016-03", "end": "2016-08", **options}
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(("horizon", "refit_every"), [(1, 1), (2, 1), (1, 3)])
def test_never_trains_on_the_future(store: rs.Store, horizon: int, refit_every: int) -> None:
    result = run(store, horizon=horizon, refit_every=refit_every, start="2016-05")
    origins = result.origins.to_pylist()
    assert [row["target_month"] for row in origins] == [D(2016, m, 1) for m in range(5, 9)]
    for row in origins:
        months = (row["target_month"].year - row["origin"].year) * 12
        assert months + row["target_month"].month - row["origin"].month == horizon
        assert row["trained_through"] <= row["origin"] < row["target_month"]
    refits = {row["trained_through"] for row in origins}
    assert len(refits) == (4 if refit_every == 1 else 2)


def test_later_events_do_not_change_earlier_forecasts(tmp_path: Path) -> None:
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.mkdir()
    second.mkdir()
    with hand_store(first) as plain, hand_store(second, rows=[*ROWS, *LATER]) as more:
        before = run(plain).predictions
        after = run(more).predictions
    months = before.column("month")
    early = pc.less_equal(months, D(2016, 5, 1))
    forecasts = ["month", "unit", "model", "probability", "expected"]
    assert before.filter(early).select(forecasts).equals(after.filter(early).select(forecasts))
    assert before.filter(early).column("observed") != after.filter(early).column("observed")
    late = pc.equal(months, D(2016, 6, 1))
    changed = (
        before.filter(late).column("probability").to_numpy()
        != after.filter(late).column("probability").to_numpy()
    )
    assert changed.any(), "2016-05's new events reach the forecast for 2016-06"


def test_baselines_are_exact(store: rs.Store) -> None:
    result = run(store)
    panel = build_panel(store, resolve(store, "ISKP", rival="TALIBAN", until="2016-08"))
    y = {(r["unit"], r["month"]): r["y"] for r in panel.table.to_pylist()}
    months = panel.months
    for row in result.predictions.to_pylist():
        origin = months[months.index(row["month"]) - 1]
        past = [y[(row["unit"], m)] for m in months if m <= origin]
        assert row["observed"] == y[(row["unit"], row["month"])]
        if row["model"] == "persistence":
            assert row["probability"] == float(y[(row["unit"], origin)] > 0)
            assert row["expected"] == y[(row["unit"], origin)]
        if row["model"] == "climatology":
            assert row["probability"] == pytest.approx(np.mean([v > 0 for v in past]))
            assert row["expected"] == pytest.approx(np.mean(past))
        for window in (12, 36):
            if row["model"] == f"rolling_{window}":
                recent = past[-window:]
                assert row["probability"] == pytest.approx(np.mean([v > 0 for v in recent]))
                assert row["expected"] == pytest.approx(np.mean(recent))
        if row["model"] == "views_last12":
            assert row["expected"] == pytest.approx(np.mean(past[-12:]))


def test_scores_are_those_of_the_forecasts(store: rs.Store) -> None:
    result = run(store)
    assert result.metrics.column("model").to_pylist() == ["hgb", "glm", *BASELINES]
    assert sum(result.metrics.column("chosen").to_pylist()) == 1
    chosen = result.scores(result.chosen)
    assert chosen["brier"] == min(result.scores(n)["brier"] for n in ("hgb", "glm"))
    for row in result.metrics.to_pylist():
        mine = result.predictions.filter(pc.equal(result.predictions.column("model"), row["model"]))
        p = mine.column("probability").to_numpy()
        observed = mine.column("observed").to_numpy()
        assert row["forecasts"] == 6 * 34
        assert row["events"] == int((observed > 0).sum())
        assert row["brier"] == pytest.approx(metrics.brier(p, observed > 0))
        low, high = mine.column("low").to_numpy(), mine.column("high").to_numpy()
        assert row["coverage_80"] == pytest.approx(np.mean((low <= observed) & (observed <= high)))
        if row["model"] == "persistence":
            expected = mine.column("expected").to_numpy()
            assert row["crps"] == pytest.approx(np.mean(np.abs(expected - observed)))
    monthly = result.monthly.filter(pc.equal(result.monthly.column("model"), "persistence"))
    assert monthly.column("observed_units").to_pylist() == [2, 0, 0, 1, 0, 0]
    assert "Over 2016-03..2016-08 (6 months x 34 admin1 units" in result.summary
    data = result.to_dict()
    assert data["months"] == 6 and data["chosen"] == result.chosen
    assert "predictions" not in data


def test_windows_outside_the_history_are_refused(store: rs.Store) -> None:
    with pytest.raises(InputError, match="start at 2016-01 or later"):
        run(store, start="2015-12")
    panel = build_panel(store, resolve(store, "ISKP", until="2016-08"))
    with pytest.raises(InputError, match="after the last observed month"):
        run_backtest(panel, end="2016-09")
    with pytest.raises(InputError, match="2017-01 is after the last month with data in AFG"):
        run(store, end="2017-01")
    with pytest.raises(InputError, match="2016-07 is after the end, 2016-05") as reversed_:
        run_backtest(panel, start="2016-07", end="2016-05")
    assert reversed_.value.parameter == "start"
    with pytest.raises(InputError, match="use one of hgb, glm") as unknown:
        run_backtest(panel, learners=("forest",))
    assert unknown.value.parameter == "learners"


def comparison(metric: str, verdict: str) -> dict[str, object]:
    return {"metric": metric, "verdict": verdict}


@pytest.mark.parametrize(
    ("verdicts", "said"),
    [
        (["no clear difference"] * 3, "It beats the best baseline on no score: treat it as no"),
        (["better", "no clear difference", "worse"], "It beats the best baseline on Brier only; "
         "it is worse than the best baseline on CRPS."),
        (["better"] * 3, "It beats the best baseline on every score."),
        (["worse", "no clear difference", "worse"], "on no score: treat it as no better than "
         "them; it is worse than the best baseline on Brier, CRPS."),
    ],
)  # fmt: skip
def test_summary_claims_a_win_only_where_the_interval_shows_it(
    verdicts: list[str], said: str
) -> None:
    rows = [
        comparison(metric, verdict)
        for metric, verdict in zip(["brier", "average_precision", "crps"], verdicts, strict=True)
    ]
    assert said in claim(rows)


def test_bootstrap_verdicts() -> None:
    """A model whose forecasts are much better every month is ``better``; an exact copy of the
    best baseline shows ``no clear difference``; the best baseline is the best per score."""
    rng = np.random.default_rng(3)
    observed = rng.poisson(1.0, size=(24, 30)).astype(float)

    def scored(probability: np.ndarray, expected: np.ndarray) -> compare.Scored:
        crps = np.abs(expected - observed)
        return compare.Scored(probability, expected, crps, expected, expected)

    truth = (observed > 0).astype(float)
    good = scored(np.clip(truth * 0.9 + 0.05, 0, 1), observed + 0.1)
    noise = rng.random(observed.shape)
    weak = scored(noise, observed + 2.0)
    weaker = scored(noise * 0.5, observed + 3.0)
    models = {"model": good, "copy": weak, "weak": weak, "weaker": weaker}
    names = ("brier", "average_precision", "crps", "mse_log")
    rows = compare.compare(models, observed, "model", ("weak", "weaker"), names)
    assert [r["verdict"] for r in rows] == ["better"] * 4
    assert all(r["best_baseline"] == "weak" for r in rows)
    same = compare.compare(models, observed, "copy", ("weak", "weaker"), names)
    assert [r["verdict"] for r in same] == ["no clear difference"] * 4
    again = compare.compare(models, observed, "model", ("weak", "weaker"), names)
    assert again == rows, "seeded: the same intervals every run"
