"""The phases section: counts per phase and rate ratios at boundaries, checked against a hand
computation."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import rivalscope as rs
from rivalscope.analysis import phases
from rivalscope.analysis.context import Dyad, Phase
from tests.analysis.fixtures import UCDP_HEADER
from tests.conftest import shared_file

PHASES = (
    Phase("before the data", dt.date(2019, 1, 1), dt.date(2020, 1, 1)),
    Phase("early", dt.date(2020, 1, 1), dt.date(2020, 4, 1)),
    Phase("late", dt.date(2020, 4, 1), dt.date(2020, 7, 1)),
    Phase("after the data", dt.date(2020, 7, 1)),
)


def ucdp_row(
    id_: int, violence: int, side_a: str, side_b: str, day: str, best: int, province: str
) -> str:
    civilians = best if violence == 3 else ""
    return (
        f"{id_},{violence},{side_a},{side_b},Afghanistan,{day},{day},{best},{best},{best},"
        f"34.0,69.0,{province} province,{civilians}"
    )


ROWS = [
    # early (January to March 2020, 3 months): 3 clashes in 2 provinces, 6 deaths, no attack.
    ucdp_row(1, 2, "IS", "Taleban", "2020-01-05", 2, "Nangarhar"),
    ucdp_row(2, 2, "Taleban", "IS", "2020-02-10", 1, "Nangarhar"),
    ucdp_row(3, 2, "IS", "Taleban", "2020-03-15", 3, "Kunar"),
    ucdp_row(4, 1, "Government of Afghanistan", "Taleban", "2020-03-01", 10, "Helmand"),
    # late (April to June 2020, 3 months): 6 clashes in 4 provinces with 5 deaths, and two
    # attacks (one by each side) with 10 more.
    ucdp_row(5, 2, "IS", "Taleban", "2020-04-02", 1, "Nangarhar"),
    ucdp_row(6, 2, "IS", "Taleban", "2020-04-20", 1, "Jowzjan"),
    ucdp_row(7, 2, "Taleban", "IS", "2020-05-05", 0, "Jowzjan"),
    ucdp_row(8, 2, "IS", "Taleban", "2020-05-06", 2, "Kunar"),
    ucdp_row(9, 2, "IS", "Taleban", "2020-05-25", 0, "Nangarhar"),
    ucdp_row(10, 3, "IS", "Civilians", "2020-05-01", 7, "Kabul"),
    ucdp_row(11, 3, "Taleban", "Civilians", "2020-06-10", 3, "Kandahar"),
    ucdp_row(12, 2, "IS", "Taleban", "2020-06-30", 1, "Logar"),
]


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[rs.Store]:
    path = tmp_path / "ged.csv"
    path.write_text("\n".join([UCDP_HEADER, *ROWS]) + "\n", encoding="utf-8")
    with rs.open() as store:
        assert store.ingest_ucdp(path).rows_quarantined == 0
        yield store


def test_periods(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.periods.column_names == [
        "phase",
        "start",
        "end",
        "months",
        "clashes",
        "clash_deaths",
        "attacks_by_actor",
        "attacks_by_rival",
        "provinces",
    ]
    rows = [tuple(row.values())[3:] for row in result.periods.to_pylist()]
    assert rows == [
        (0, 0, 0, 0, 0, 0),
        (3, 3, 6, 0, 0, 2),
        (3, 6, 5, 1, 1, 4),
        (0, 0, 0, 0, 0, 0),
    ]
    assert result.periods.column("end").to_pylist()[-1] is None


def test_poisson_counts_get_a_poisson_ratio(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    rows = {row["measure"]: row for row in result.boundaries.to_pylist()}
    assert list(rows) == ["clashes", "clash_deaths", "attacks_by_actor", "attacks_by_rival"]
    clashes = rows["clashes"]
    assert (clashes["boundary"], clashes["before"], clashes["after"]) == (
        dt.date(2020, 4, 1),
        "early",
        "late",
    )
    # 1, 1, 1 clashes a month, then 2, 3, 1: the Poisson fit's Pearson chi-square is
    # 0 + (0 + 1 + 1) / 2 = 1 on 4 degrees of freedom, dispersion 0.25, so a Poisson model.
    # RR = 2; se = sqrt(1/3 + 1/6) = 0.70711, exp(ln 2 -/+ 1.95996 * se) = 0.50016 / 7.99744.
    assert clashes["model"] == "poisson"
    assert clashes["dispersion"] == pytest.approx(0.25)
    assert clashes["alpha"] is None
    assert (clashes["rate_ratio"], clashes["ci_low"], clashes["ci_high"]) == pytest.approx(
        (2.0, 0.50016, 7.99744), rel=1e-4
    )
    assert (clashes["clear"], clashes["reading"]) == (False, "too thin to conclude")
    # Neither side attacked early on: no model, no ratio.
    assert rows["attacks_by_actor"]["model"] == "none"
    assert rows["attacks_by_actor"]["reading"] == "none in one phase"
    assert rows["attacks_by_actor"]["rate_ratio"] is None


def test_overdispersed_counts_get_a_negative_binomial_like_statsmodels() -> None:
    import numpy as np
    import statsmodels.api as sm

    before, after = [0, 12, 1, 0, 30, 2, 0, 0, 9, 1], [40, 0, 3, 55, 1, 0, 70, 2]
    got = phases.change(before, after)
    y = np.array(before + after, float)
    x = sm.add_constant(np.r_[np.zeros(len(before)), np.ones(len(after))])
    nb = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0, maxiter=500)
    low, high = np.exp(nb.conf_int()[1])
    assert got["model"] == "negative binomial"
    assert got["dispersion"] > 10
    assert got["rate_ratio"] == pytest.approx(np.exp(nb.params[1]), rel=1e-6)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high), rel=1e-6)
    assert got["alpha"] == pytest.approx(nb.params[2], rel=1e-6)
    # A Poisson interval on the same counts would be far narrower, and exclude 1.
    poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    assert np.exp(poisson.conf_int()[1][0]) > 1
    assert got["ci_low"] < 1


def test_holm_corrects_across_boundaries(loaded: rs.Store) -> None:
    from statsmodels.stats.multitest import multipletests

    many = (
        Phase("one", dt.date(2020, 1, 1), dt.date(2020, 3, 1)),
        Phase("two", dt.date(2020, 3, 1), dt.date(2020, 5, 1)),
        Phase("three", dt.date(2020, 5, 1)),
    )
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=many))
    rows = [r for r in result.boundaries.to_pylist() if r["measure"] == "clashes"]
    raw = [r["p_value"] for r in rows]
    assert [r["p_holm"] for r in rows] == pytest.approx(list(multipletests(raw, method="holm")[1]))
    assert [r["clear"] for r in rows] == [p < 0.05 for p in multipletests(raw, method="holm")[1]]


def test_summary_says_too_thin_where_nothing_survives(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.summary.startswith(
        "Across 4 phases, Islamic State Khorasan Province and Taliban clashed most often in "
        'the phase "late" (2.0 a month). No change in the clash rate between consecutive '
        "phases survives the correction for testing 1 boundary (Holm, 5%): too thin to "
        "conclude that it changed at any of them."
    )
    assert result.summary.endswith(
        'The data do not reach the phases "before the data", "after the data": nothing is '
        "said of them."
    )
    assert "clear change" not in result.summary


def test_months_respect_the_window(loaded: rs.Store) -> None:
    dyad = Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", since="2020-02-01", phases=PHASES)
    result = phases.compute(dyad)
    months = dict(
        zip(
            result.periods.column("phase").to_pylist(),
            result.periods.column("months").to_pylist(),
            strict=True,
        )
    )
    assert months == {"before the data": 0, "early": 2, "late": 3, "after the data": 0}


def test_no_phases(loaded: rs.Store) -> None:
    result = phases.compute(Dyad.of(loaded, "ISKP", "TALIBAN", country="AFG", phases=()))
    assert result.periods.num_rows == result.boundaries.num_rows == 0
    assert result.boundaries.column_names == list(phases.BOUNDARIES_SCHEMA.names)
    assert "dispersion" in result.boundaries.column_names
    assert "No phases" in result.summary


def test_default_phases_on_an_empty_store(store: rs.Store) -> None:
    result = phases.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.periods.num_rows == 6
    assert set(result.periods.column("months").to_pylist()) == {0}
    assert result.boundaries.num_rows == 0
    assert result.summary.startswith("No events are recorded in the window")


def _oracle_series(raw: pd.DataFrame) -> dict[str, pd.Series]:
    """Monthly counts from the raw GED rows, written apart from the library."""
    raw = raw.assign(month=pd.to_datetime(raw["date_start"]).dt.to_period("M"))
    pair = {"IS", "Taleban"}
    clash = raw[
        (raw["type_of_violence"] == 2)
        & raw.apply(lambda r: {r["side_a"], r["side_b"]} == pair, axis=1)
    ]
    one_sided = raw[raw["type_of_violence"] == 3]
    return {
        "clashes": clash.groupby("month").size(),
        "clash_deaths": clash.groupby("month")["best"].sum(),
        "attacks_by_actor": one_sided[one_sided["side_a"] == "IS"].groupby("month").size(),
        "attacks_by_rival": one_sided[one_sided["side_a"] == "Taleban"].groupby("month").size(),
    }


@pytest.mark.realdata
def test_real_ratios_equal_statsmodels_fitted_apart() -> None:
    import tomllib

    import numpy as np
    import statsmodels.api as sm

    path = shared_file("ucdp_ged211_afghanistan.csv")
    with rs.open() as store:
        store.ingest_ucdp(path)
        result = phases.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    raw = pd.read_csv(path, low_memory=False)
    series = _oracle_series(raw)
    days = pd.to_datetime(raw["date_start"])
    first, last = days.min().to_period("M"), days.max().to_period("M")
    shipped = Path(rs.__file__).parent / "data" / "phases_afg.toml"
    spans = [
        (
            p["name"],
            max(pd.Period(p["start"], "M"), first),
            min(pd.Period(pd.Timestamp(p["end"]) - pd.Timedelta(days=1), "M"), last)
            if "end" in p
            else last,
        )
        for p in tomllib.loads(shipped.read_text())["phase"]
    ]
    spans = [s for s in spans if s[1] <= s[2]]
    rows = result.boundaries.to_pylist()
    assert len(rows) == 4 * (len(spans) - 1)
    for (_, s0, e0), (name, s1, e1) in itertools.pairwise(spans):
        for measure, counts in series.items():
            y0 = [int(counts.get(m, 0)) for m in pd.period_range(s0, e0, freq="M")]
            y1 = [int(counts.get(m, 0)) for m in pd.period_range(s1, e1, freq="M")]
            row = next(r for r in rows if r["after"] == name and r["measure"] == measure)
            if sum(y0) == 0 or sum(y1) == 0:
                assert row["model"] == "none"
                continue
            y = np.array(y0 + y1, float)
            x = sm.add_constant(np.r_[np.zeros(len(y0)), np.ones(len(y1))])
            poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
            dispersion = poisson.pearson_chi2 / poisson.df_resid
            assert row["dispersion"] == pytest.approx(dispersion, rel=1e-9)
            if dispersion <= 1.2:
                fit = poisson
            else:
                fit = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0, maxiter=500)
            low, high = np.exp(fit.conf_int()[1])
            got = (row["rate_ratio"], row["ci_low"], row["ci_high"])
            assert got == pytest.approx((np.exp(fit.params[1]), low, high), rel=1e-6), (
                name,
                measure,
            )
    deaths = [r for r in rows if r["measure"] == "clash_deaths" and r["model"] != "none"]
    assert all(r["dispersion"] > 10 for r in deaths)
    assert "against the Taliban state" not in {r["after"] for r in rows}
