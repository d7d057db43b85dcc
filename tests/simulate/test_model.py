"""The model's guarantees: reproducible, conserving, never negative, and responding as its rules
say (checked as properties over many seeds)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rivalscope.errors import InputError
from rivalscope.simulate.model import (
    ISKP,
    METRICS,
    PROVINCES,
    TALIBAN,
    Model,
    Params,
    Policy,
    Population,
    PrisonBreak,
    RunResult,
    simulate,
)
from tests.simulate.conftest import SMALL

BREAK = (PrisonBreak("AF-PAR", 2, 400), PrisonBreak("AF-KAB", 5, 150))


def _run(seed: int, policy: Policy | None = None, months: int = 24, **params: float) -> RunResult:
    return simulate(SMALL, policy or Policy(), Params().replace(**params), months=months, seed=seed)


def test_same_seed_same_run() -> None:
    first = _run(11, Policy(cooperation=0.7, prison_breaks=BREAK))
    second = _run(11, Policy(cooperation=0.7, prison_breaks=BREAK))
    for name in METRICS:
        np.testing.assert_array_equal(first.series[name], second.series[name], err_msg=name)
    other = _run(12, Policy(cooperation=0.7, prison_breaks=BREAK))
    assert any(not np.array_equal(first.series[name], other.series[name]) for name in METRICS), (
        "a different seed gives a different run"
    )


@pytest.mark.parametrize("seed", range(6))
def test_fighters_are_conserved(seed: int) -> None:
    """start + recruits + defections in - defections out - deaths - desertions = end, for each
    group, in every province and month (agents never change province)."""
    run = _run(seed, Policy(cooperation=0.6, concession=0.5, prison_breaks=BREAK), months=30)
    s = run.series
    for group, other in (("taliban", "iskp"), ("iskp", "taliban")):
        flows = (
            s[f"recruits_{group}"]
            + s[f"defections_to_{group}"]
            - s[f"defections_to_{other}"]
            - s[f"deaths_{group}"]
            - s[f"desertions_{group}"]
        )
        end = run.start[f"{group}_fighters"] + flows.cumsum(axis=0)
        np.testing.assert_array_equal(end, s[f"{group}_fighters"], err_msg=group)
    both = run.start["taliban_fighters"] + run.start["iskp_fighters"]
    total = (
        both
        + (s["recruits_taliban"] + s["recruits_iskp"]).sum(axis=0)
        - (s["deaths_taliban"] + s["deaths_iskp"]).sum(axis=0)
        - (s["desertions_taliban"] + s["desertions_iskp"]).sum(axis=0)
    )
    np.testing.assert_array_equal(total, s["taliban_fighters"][-1] + s["iskp_fighters"][-1])
    assert s["released"].sum() == 550, "both prison breaks released everyone asked for"
    assert (s["recruits_iskp"] >= s["released"]).all()


def test_deaths_add_up() -> None:
    run = _run(3, Policy(cooperation=0.9, error_rate=0.5, strike_tempo=4.0), months=24)
    s = run.series
    np.testing.assert_array_equal(
        s["civilian_deaths"],
        s["attack_civilian_deaths"] + s["strike_civilian_deaths"] + s["informants_killed"],
    )
    np.testing.assert_array_equal(
        s["deaths"], s["deaths_taliban"] + s["deaths_iskp"] + s["civilian_deaths"]
    )
    np.testing.assert_array_equal(s["deaths_iskp"] - s["strike_deaths"] + s["deaths_taliban"]
                                  - s["attack_deaths_taliban"], s["clash_deaths"])  # fmt: skip
    assert (s["strike_hits"] <= s["strikes"]).all() and (s["strike_errors"] <= s["strikes"]).all()
    assert (s["attacks_on_taliban"] + s["attacks_on_religious_sites"] <= s["attacks"]).all()
    assert s["strike_deaths"][s["strike_hits"] == 0].sum() == 0, "only hits kill ISKP fighters"
    assert s["clash_deaths"][s["clashes"] == 0].sum() == 0


policies = st.builds(
    Policy,
    cooperation=st.floats(0, 1),
    concession=st.floats(0, 1),
    crackdown=st.floats(0, 1).map(lambda c: (c,) * len(PROVINCES)),
    recruitment=st.floats(0, 3),
    attack_tempo=st.floats(0, 3),
    strike_tempo=st.floats(0, 6),
    error_rate=st.floats(0, 1),
)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), policy=policies)
def test_no_negative_counts(seed: int, policy: Policy) -> None:
    run = simulate(Population(scale=100), policy, months=12, seed=seed)
    for name in METRICS:
        assert (run.series[name] >= 0).all(), name


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), concession=st.floats(0, 1), strikes=st.floats(0, 5))
def test_without_cooperation_nothing_leaks(seed: int, concession: float, strikes: float) -> None:
    policy = Policy(cooperation=0.0, concession=concession, strike_tempo=strikes)
    model = Model(Population(scale=100), policy, Params(defect_base=0.005), months=12, seed=seed)
    assert not model.intel.any(), "no Taliban fighter holds shared intelligence"
    run = model.run()
    assert run.series["defections_to_iskp"].sum() > 0, "defectors there are, but nothing to leak"
    assert run.series["leaks"].sum() == 0
    assert run.series["informants_killed"].sum() == 0


def _first_month_defectors(seed: int, **policy: float) -> set[int]:
    params = Params(defect_base=0.01)
    model = Model(Population(scale=4), Policy(**policy), params, months=1, seed=seed)
    before = model.group.copy()
    model.step()
    return set(np.flatnonzero((before == TALIBAN) & (model.group == ISKP)).tolist())


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    low=st.floats(0, 0.6),
    gap=st.floats(0.2, 0.4),
    lever=st.sampled_from(["concession", "cooperation"]),
)
def test_more_concession_or_cooperation_more_defectors_same_month(
    seed: int, low: float, gap: float, lever: str
) -> None:
    """Other things equal (same seed, same draws), raising concession or cooperation only raises
    a Taliban fighter's hazard of defecting: every fighter who defects at the lower setting also
    defects at the higher one."""
    fewer = _first_month_defectors(seed, **{lever: low})
    more = _first_month_defectors(seed, **{lever: low + gap})
    assert fewer <= more
    assert len(more) > 10


def _sum_over(metric: str, seeds: range, months: int = 12, **policy: object) -> np.ndarray:
    return np.array(
        [
            simulate(Population(scale=20), Policy(**policy), months=months, seed=s)  # type: ignore[arg-type]
            .total(metric)
            .sum()
            for s in seeds
        ]
    )


@pytest.mark.parametrize(
    ("metric", "lever", "low", "high"),
    [
        ("defections_to_iskp", "concession", 0.1, 0.8),
        ("defections_to_iskp", "cooperation", 0.0, 0.9),
        ("leaks", "cooperation", 0.2, 0.9),
        ("clashes", "crackdown", (0.1,) * 34, (0.9,) * 34),
        ("strike_civilian_deaths", "error_rate", 0.05, 0.5),
        ("strike_deaths", "cooperation", 0.0, 1.0),
        ("recruits_iskp", "recruitment", 0.5, 2.0),
    ],
)
def test_monotone_responses_over_many_seeds(
    metric: str, lever: str, low: object, high: object
) -> None:
    """Over 20 seeds, the rule's direction shows in the mean and in nearly every paired seed."""
    seeds = range(20)
    extra = {"strike_tempo": 4.0} if metric.startswith("strike") else {}
    at_low = _sum_over(metric, seeds, **{lever: low}, **extra)
    at_high = _sum_over(metric, seeds, **{lever: high}, **extra)
    assert at_high.mean() > at_low.mean()
    assert (at_high >= at_low).sum() >= 16, (at_low, at_high)


def test_prison_break_adds_fighters_where_it_happens() -> None:
    quiet = _run(5, Policy(), months=6)
    broken = _run(5, Policy(prison_breaks=(PrisonBreak("AF-PAR", 2, 1000),)), months=6)
    p = PROVINCES.index("AF-PAR")
    assert broken.series["released"][2, p] == 1000
    assert broken.series["prison_breaks"][2, p] == 1
    assert broken.series["iskp_fighters"][2, p] >= quiet.series["iskp_fighters"][2, p] + 800


def test_counts_are_in_people_and_scale_free() -> None:
    """A world at 10 or at 50 people per agent starts with the same people."""
    fine = simulate(Population(scale=10), months=1, seed=1)
    coarse = simulate(Population(scale=50), months=1, seed=1)
    for key in ("taliban_fighters", "iskp_fighters"):
        assert abs(fine.start[key].sum() - coarse.start[key].sum()) <= 50
    assert all((v % 50 == 0).all() for k, v in coarse.series.items() if k in (
        "taliban_fighters", "defections_to_iskp", "recruits_iskp"))  # fmt: skip


def test_bad_inputs_raise() -> None:
    with pytest.raises(InputError, match="cooperation"):
        Policy(cooperation=1.5)
    with pytest.raises(InputError, match="crackdown"):
        Policy(crackdown=(0.5,))
    with pytest.raises(InputError, match="not a province"):
        Policy(prison_breaks=(PrisonBreak("XX-YY", 1, 10),))
    with pytest.raises(InputError, match="scale"):
        Population(scale=0)
    with pytest.raises(InputError, match="unknown model parameter"):
        Params().replace(clash_rat=1.0)
    with pytest.raises(InputError, match="months"):
        simulate(SMALL, months=0)
    model = Model(SMALL, Policy(), Params(), months=1, seed=0)
    model.step()
    with pytest.raises(InputError, match="sized for 1 months"):
        model.step()


def test_every_parameter_is_documented() -> None:
    from tests.simulate.conftest import ROOT

    text = (ROOT / "docs" / "simulator.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(Params):
        assert f"`{field.name}`" in text, field.name
        assert field.metadata["help"] and field.metadata["source"]
    for field in dataclasses.fields(Policy):
        assert f"`{field.name}`" in text, field.name
    for name in METRICS:
        assert f"`{name}`" in text, name


def test_run_table_has_every_metric() -> None:
    run = _run(1, months=3)
    table = run.to_table()
    assert table.num_rows == 3 * len(PROVINCES)
    assert set(METRICS) <= set(table.column_names)
    assert table.column("date")[len(PROVINCES)].as_py().isoformat() == "2022-02-01"


class _Everyone(Model):
    """The model with thinning switched off: every agent's hazards are worked out in full."""

    def _tables(self, events: dict[str, object]) -> dict[str, np.ndarray]:  # type: ignore[override]
        tables = super()._tables(events)  # type: ignore[arg-type]
        tables["bound"] = np.ones_like(tables["bound"])
        return tables


@pytest.mark.parametrize("seed", [1, 2])
def test_thinning_changes_nothing(seed: int) -> None:
    policy = Policy(cooperation=0.7, concession=0.6, prison_breaks=BREAK)
    fast = Model(SMALL, policy, Params(), months=24, seed=seed).run()
    full = _Everyone(SMALL, policy, Params(), months=24, seed=seed).run()
    for name in METRICS:
        np.testing.assert_array_equal(fast.series[name], full.series[name], err_msg=name)


def test_group_counts_follow_the_agents() -> None:
    """The counts the model keeps month to month (from the flows) are those of a recount of
    the agents themselves, so the fighters it reports are the agents it holds."""
    model = Model(SMALL, Policy(cooperation=0.6, concession=0.6, prison_breaks=BREAK), Params(),
                  months=24, seed=8)  # fmt: skip
    for month in range(24):
        model.step()
        recount = np.array([np.bincount(model.province[model.group == g], minlength=34)
                            for g in range(4)])  # fmt: skip
        np.testing.assert_array_equal(model._counts, recount, err_msg=f"month {month}")
        assert model.series["iskp_fighters"][month].sum() == recount[ISKP].sum() * SMALL.scale
