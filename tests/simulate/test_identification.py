"""Comparisons that rest on weakly identified parameters are marked, and a failed posterior
predictive check is said plainly in every sentence."""

from __future__ import annotations

import dataclasses

import numpy as np

from rivalscope.simulate.calibrate import PRIORS, Posterior
from rivalscope.simulate.compare import compare, render_html, table_rows
from rivalscope.simulate.model import Policy
from rivalscope.simulate.scenario import Scenario
from tests.simulate.conftest import SMALL


def _posterior(ppc: dict | None = None) -> Posterior:
    """defect_base as wide as its prior (weak); clash_rate pinned down."""
    rng = np.random.default_rng(0)
    n = 200
    return Posterior(
        samples={"defect_base": np.exp(rng.uniform(np.log(1e-5), np.log(1e-2), n)),
                 "clash_rate": rng.uniform(0.45, 0.55, n)},
        distances=np.zeros(n), epsilon=0.0, observed={"clashes_per_year": 12.0},
        statistics=("clashes_per_year",), draws=n,
        priors={k: dataclasses.asdict(PRIORS[k]) for k in ("defect_base", "clash_rate")},
        ppc=ppc,
    )  # fmt: skip


HARD = Scenario(name="hard", population=SMALL, policy=Policy(concession=0.8))
SOFT = Scenario(name="soft", population=SMALL, policy=Policy(concession=0.2))


def test_differences_that_hinge_on_a_weak_parameter_are_marked() -> None:
    posterior = _posterior()
    assert posterior.weak() == ["defect_base"]
    result = compare([HARD, SOFT], runs=30, months=24, seed=3, posterior=posterior)
    defections = result.difference("hard", "defections_to_iskp")
    assert defections["depends_on"][0] == "defect_base"
    assert defections["weakly_identified"] == ["defect_base"]
    for row in result.differences.to_pylist():
        assert "clash_rate" not in row["weakly_identified"], "clash_rate is identified"
        assert set(row["weakly_identified"]) <= {"defect_base"}
    assert "WEAKLY IDENTIFIED" in result.sentences[0]
    assert "defections to ISKP" in result.sentences[0].split("WEAKLY IDENTIFIED")[1]
    assert "FAILS" not in result.sentences[0], "no check, no claim about it"
    assert result.calibration is not None and result.calibration["weak"] == ["defect_base"]
    rows = table_rows(result)
    assert any(row[1] == "defections to ISKP" and row[6] == "defect_base" for row in rows)
    html = render_html(result)
    assert 'id="calibration"' in html and "weakly identified: defect_base" in html
    assert "no posterior predictive check" in html


def test_a_failed_check_is_said_in_every_sentence_and_on_the_page() -> None:
    row = {"statistic": "clashes_per_year", "label": "clashes per year", "observed": 12.0,
           "p05": 1.0, "p50": 3.0, "p95": 6.0, "rank": 1.0, "outside": True, "fitted": True,
           "runs": 20}  # fmt: skip
    ppc = {"runs": 20, "months": 24, "seed": 0, "rows": [row], "outside": ["clashes_per_year"],
           "passes": False, "sentences": ["The model FAILS ..."]}  # fmt: skip
    result = compare([HARD, SOFT], runs=10, months=24, seed=3, posterior=_posterior(ppc))
    assert "FAILS its posterior predictive check (clashes per year" in result.sentences[0]
    assert result.to_dict()["calibration"]["ppc"] == ppc
    html = render_html(result)
    assert 'id="ppc-failed"' in html and 'id="figure-ppc"' in html
    assert 'class="outside"' in html and "OUTSIDE" in html


def test_without_a_posterior_nothing_is_claimed() -> None:
    result = compare([HARD, SOFT], runs=4, months=12, seed=3)
    assert result.calibration is None
    assert all(row["weakly_identified"] == [] for row in result.differences.to_pylist())
    html = render_html(result)
    assert 'id="calibration"' not in html
