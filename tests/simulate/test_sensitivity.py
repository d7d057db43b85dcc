"""Sensitivity analysis ranks the factors the rules make matter."""

from __future__ import annotations

import pytest

from rivalscope.errors import InputError
from rivalscope.simulate.model import Population
from rivalscope.simulate.scenario import Scenario
from rivalscope.simulate.sensitivity import FACTORS, sensitivity

WORLD = Scenario(population=Population(scale=50))


def test_morris_ranks_what_the_rules_say() -> None:
    result = sensitivity(WORLD, samples=6, months=24, seed=1, outputs=("leaks", "clashes"))
    assert result.method == "morris"
    assert result.runs == 6 * (len(FACTORS) + 1)
    leaks = result.ranking("leaks")
    assert set(leaks[:4]) & {"cooperation", "intel_share", "defect_base"}
    assert leaks.index("cooperation") < leaks.index("error_rate")
    clashes = result.ranking("clashes")
    assert clashes.index("clash_rate") < len(FACTORS) // 2
    rows = result.table.to_pylist()
    assert {r["output"] for r in rows} == {"leaks", "clashes"}
    assert all(r["importance"] is None or r["importance"] >= 0 for r in rows)
    by_factor = {r["factor"]: r for r in rows if r["output"] == "leaks"}
    assert by_factor["clash_rate"]["scale"] == "log10"
    assert sorted(r["rank"] for r in rows if r["output"] == "leaks") == list(
        range(1, len(FACTORS) + 1)
    )


def test_sobol() -> None:
    result = sensitivity(WORLD, method="sobol", samples=8, months=12, seed=2,
                         outputs=("defections_to_iskp",))  # fmt: skip
    assert result.runs == 8 * (len(FACTORS) + 2)
    top = result.ranking("defections_to_iskp")[:5]
    assert "defect_base" in top


def test_bad_requests() -> None:
    with pytest.raises(InputError, match="unknown output"):
        sensitivity(WORLD, outputs=("nothing",))
    with pytest.raises(InputError, match="unknown method"):
        sensitivity(WORLD, method="fast")  # type: ignore[arg-type]
