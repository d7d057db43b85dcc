"""Harm: a Callaway & Sant'Anna event study, checked on panels with known answers and against
the ``differences`` package (the oracle) on the same panels."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import rivalscope as rs
from rivalscope.analysis import harm
from rivalscope.analysis.context import Dyad, plain
from tests.analysis.fixtures import UCDP_HEADER
from tests.conftest import shared_file

TREATED = ("Nangarhar", "Kunar", "Laghman", "Kabul", "Herat", "Balkh")
CONTROLS = {"Kandahar": 3, "Helmand": 4, "Jowzjan": 5}
FIRST_CLASH = tuple(dt.date(2020, month, 1) for month in range(1, 7))
GRID_START, GRID_END = dt.date(2018, 7, 1), dt.date(2021, 6, 1)


# --------------------------------------------------------------------------- the oracle


def _oracle(
    y: np.ndarray, cohort: np.ndarray, *, control: str, base_period: str
) -> tuple[dict[tuple[int, int], float], dict[int, float]]:
    """ATT(g,t) and the event-time aggregation from ``differences.ATTgt`` on the panel."""
    from differences import ATTgt

    n, t = y.shape
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), t),
            "time": np.tile(np.arange(t), n),
            "y": y.ravel(),
            "cohort": np.repeat(np.where(cohort >= 1, cohort, np.nan), t),
        }
    ).set_index(["unit", "time"])
    group = {"never": "never_treated", "notyet": "not_yet_treated"}[control]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ATTgt(data=frame, cohort_column="cohort", base_period=base_period)
        model.fit(formula="y", control_group=group, progress_bar=False)
        cells = model.results().reset_index()
        model.aggregate("event")
        events = model.results("event").reset_index()
    att_gt = {
        (int(row.iloc[0]), int(row.iloc[2])): float(row.iloc[3])
        for _, row in cells.iterrows()
        if np.isfinite(row.iloc[3])
    }
    dynamic = {int(row.iloc[0]): float(row.iloc[1]) for _, row in events.iterrows()}
    return att_gt, dynamic


def _mine(
    y: np.ndarray, cohort: np.ndarray, *, control: str, base_period: str
) -> tuple[dict[tuple[int, int], float], dict[int, float]]:
    cohorts, att, sizes, _ = harm.att_gt(
        y,
        cohort,
        control=control,  # type: ignore[arg-type]
        base_period=base_period,  # type: ignore[arg-type]
    )
    cells = {
        (int(g), t): float(att[0, k, t])
        for k, g in enumerate(cohorts)
        for t in range(y.shape[1])
        if np.isfinite(att[0, k, t])
    }
    events = range(-y.shape[1], y.shape[1])
    theta, _ = harm.dynamic(cohorts, att, sizes, events)
    return cells, {e: float(theta[0, i]) for i, e in enumerate(events) if np.isfinite(theta[0, i])}


def _staggered(seed: int, *, trend: float = 0.0, effect: float = 3.0) -> tuple[np.ndarray, ...]:
    """40 units x 36 months: 20 treated in 4 cohorts, unit and month effects, noise, an effect
    after treatment and (``trend``) a rise per month before it in the treated units."""
    rng = np.random.default_rng(seed)
    n, t = 40, 36
    cohort = np.full(n, harm.NEVER)
    cohort[:20] = np.repeat([14, 17, 20, 23], 5)
    months = np.arange(t)
    y = rng.normal(5, 1, (n, 1)) + rng.normal(0, 1, (1, t)) + rng.normal(0, 0.5, (n, t))
    treated = cohort >= 1
    relative = months[None, :] - cohort[:, None]
    y += np.where(treated[:, None] & (relative >= 0), effect, 0.0)
    y += np.where(treated[:, None] & (relative < 0), trend * relative, 0.0)
    return y, cohort


def _panel(y: np.ndarray, cohort: np.ndarray) -> harm._Panel:
    return harm._Panel([f"P{i:02d}" for i in range(len(y))], 24000, y, cohort, [])


def test_constant_effect_gives_that_att() -> None:
    n, t = 12, 30
    cohort = np.array([10, 10, 14, 14, 18, 18] + [harm.NEVER] * 6)
    months = np.arange(t)
    y: np.ndarray = np.arange(n)[:, None] * 2.0 + np.sin(months)[None, :]
    y = y + np.where((cohort[:, None] >= 1) & (months[None, :] >= cohort[:, None]), 4.0, 0.0)
    cohorts, att, sizes, _ = harm.att_gt(y, cohort)
    assert cohorts.tolist() == [10, 14, 18]
    for k, g in enumerate(cohorts):
        np.testing.assert_allclose(att[0, k, g:], 4.0, atol=1e-12)
        np.testing.assert_allclose(att[0, k, :g], 0.0, atol=1e-12)
    events = range(-6, 7)
    theta, counts = harm.dynamic(cohorts, att, sizes, events)
    np.testing.assert_allclose(theta[0], [0.0] * 6 + [4.0] * 7, atol=1e-12)
    assert counts.tolist() == [3] * 13
    assert harm.overall(theta, events, range(0, 7))[0] == pytest.approx(4.0)


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("base_period", ["universal", "varying"])
def test_agrees_with_differences(control: str, base_period: str) -> None:
    rng = np.random.default_rng(7)
    y = rng.poisson(3, (30, 20)).astype(float)
    cohort = np.full(30, harm.NEVER)
    cohort[:14] = rng.choice([3, 5, 8, 12, 19], 14)
    y[cohort >= 1] += 2.0 * (np.arange(20)[None, :] >= cohort[cohort >= 1, None])
    expected_cells, expected_events = _oracle(y, cohort, control=control, base_period=base_period)
    cells, events = _mine(y, cohort, control=control, base_period=base_period)
    assert cells.keys() == expected_cells.keys()
    for key, value in expected_cells.items():
        assert cells[key] == pytest.approx(value, abs=1e-6), key
    assert events.keys() == expected_events.keys()
    for e, value in expected_events.items():
        assert events[e] == pytest.approx(value, abs=1e-6), e


def test_parallel_pretrends_are_not_rejected() -> None:
    y, cohort = _staggered(0)
    fit = harm._fit(
        _panel(y, cohort),
        control="never",
        base_period="universal",
        n_boot=400,
        seed=1,
        loo_units=[],
    )
    assert fit.estimate == pytest.approx(3.0, abs=0.5)
    assert fit.ci_low is not None and fit.ci_high is not None
    assert fit.ci_low < 3.0 < fit.ci_high
    assert fit.pretrend["df"] == 11
    assert fit.pretrend["p_value"] > 0.05
    assert fit.pretrend["verdict"] == "no pre-trend detected"
    assert fit.placebo["ci_low"] <= 0 <= fit.placebo["ci_high"]
    assert fit.placebo["verdict"] == "covers no change"


def test_a_built_in_pretrend_is_detected() -> None:
    y, cohort = _staggered(0, trend=0.3)
    fit = harm._fit(
        _panel(y, cohort),
        control="never",
        base_period="universal",
        n_boot=400,
        seed=1,
        loo_units=[],
    )
    assert fit.pretrend["p_value"] < 0.01
    assert fit.pretrend["verdict"] == "pre-trend detected"
    assert fit.placebo["verdict"] == "excludes no change"
    assert any("diverged before the first clash" in w for w in harm._warnings(fit, 10))


def test_leave_one_out_drops_each_unit() -> None:
    y, cohort = _staggered(5)
    y[30] += 50.0 * (np.arange(y.shape[1]) >= 15)
    fit = harm._fit(
        _panel(y, cohort),
        control="never",
        base_period="universal",
        n_boot=50,
        seed=0,
        loo_units=[30, 0],
    )
    keep = np.ones(len(y), bool)
    keep[30] = False
    cohorts, att, sizes, _ = harm.att_gt(y[keep], cohort[keep])
    events = range(-harm.PRE, harm.POST + 1)
    theta, _ = harm.dynamic(cohorts, att, sizes, events)
    assert fit.loo[0] == pytest.approx(harm.overall(theta, events, range(0, 13))[0])
    assert fit.loo[0] is not None and fit.estimate is not None
    assert fit.loo[0] > fit.estimate  # the control that jumped pulled the estimate down


# --------------------------------------------------------------------------- through a store


def _months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _add(day: dt.date, months: int) -> dt.date:
    number = day.year * 12 + day.month - 1 + months
    return dt.date(number // 12, number % 12 + 1, 1)


class _Ucdp:
    def __init__(self) -> None:
        self.rows: list[str] = [UCDP_HEADER]

    def add(self, violence: int, a: str, b: str, day: dt.date, province: str, civ: str) -> None:
        date = (day + dt.timedelta(days=4)).isoformat()
        best = civ or "7"
        self.rows.append(
            f"{len(self.rows)},{violence},{a},{b},Afghanistan,{date},{date},{best},{best},{best},"
            f"34.4,70.4,{province} province,{civ}"
        )

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(self.rows) + "\n", encoding="utf-8")
        return path


def _fixture(tmp_path: Path, *, treated: tuple[str, ...] = TREATED) -> Path:
    """A GED file whose answer is known.

    In treated provinces ISKP kills 2 civilians a month before the first clash (staggered over
    2020-01..2020-06) and 12 from it on; in the controls the Taliban kill 3, 4 and 5 a month,
    and each has a state-based event a month whose source gives no civilian count.
    """
    ucdp = _Ucdp()
    for province, first in zip(treated, FIRST_CLASH, strict=False):
        for month in _months(GRID_START, GRID_END):
            ucdp.add(3, "IS", "Civilians", month, province, "2" if month < first else "12")
        ucdp.add(2, "IS", "Taleban", first, province, "")
        ucdp.add(2, "Taleban", "IS", _add(first, 2), province, "")
    for province, deaths in CONTROLS.items():
        for month in _months(GRID_START, GRID_END):
            ucdp.add(3, "Taleban", "Civilians", month, province, str(deaths))
            ucdp.add(1, "Government of Afghanistan", "Taleban", month, province, "")
    return ucdp.write(tmp_path / "ged.csv")


def _displacement(tmp_path: Path) -> Path:
    """IDPs: treated 50 a month before the first clash and 150 from it; controls 20 a month."""
    lines = ["admin1,month,idps"]
    for province, first in zip(TREATED, FIRST_CLASH, strict=True):
        for month in _months(GRID_START, GRID_END):
            lines.append(f"{province},{month:%Y-%m},{50 if month < first else 150}")
    for province in CONTROLS:
        lines.extend(f"{province},{month:%Y-%m},20" for month in _months(GRID_START, GRID_END))
    path = tmp_path / "idps.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _outcome(result: harm.Harm, name: str) -> dict[str, object]:
    rows = [row for row in result.outcomes.to_pylist() if row["outcome"] == name]
    assert len(rows) == 1
    return rows[0]


def test_known_jump_of_ten_is_found_exactly(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=100, min_treated=5)

    assert result.event_time.schema == harm.EVENT_TIME_SCHEMA
    assert result.att_gt.schema == harm.ATT_GT_SCHEMA
    rows = result.event_time.to_pylist()
    assert [r["e"] for r in rows] == list(range(-12, 13))
    for row in rows:
        assert row["att"] == pytest.approx(0.0 if row["e"] < 0 else 10.0)
    assert (result.treated, result.controls) == (6, 3)
    assert result.att["estimate"] == pytest.approx(10.0)
    assert result.att["ci_low"] == pytest.approx(10.0)
    assert result.att["ci_high"] == pytest.approx(10.0)
    assert result.conclusive is True
    assert _outcome(result, "actor")["att"] == pytest.approx(10.0)
    assert _outcome(result, "rival")["att"] == pytest.approx(0.0)
    assert _outcome(result, "others")["att"] == pytest.approx(0.0)
    assert result.placebo["att"] == pytest.approx(0.0)
    assert result.placebo["shift_months"] == 12
    assert result.pretrend["verdict"] == "untestable"  # no noise: nothing varies before
    assert result.design["first_month"] == dt.date(2018, 12, 1)
    assert result.outcome.startswith("civilian deaths per province-month")
    assert "name Islamic State Khorasan Province or Taliban as the perpetrator" in result.outcome
    assert "were 10.00 a month per province higher" in result.summary
    assert "not proof that the clashes caused it" in result.summary
    assert "too thin" not in result.summary.split(". ")[0]
    assert "Taliban +0.00 (95% CI +0.00 to +0.00, too thin to conclude)" in result.summary
    assert "ISKP" not in result.summary and "TALIBAN" not in result.summary
    assert "No displacement table is loaded" in result.summary


def test_json_has_pretrend_and_placebo(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=50)
    data = json.loads(json.dumps(plain(result)))
    assert set(data["pretrend"]) == {"statistic", "df", "p_value", "periods", "verdict"}
    assert set(data["placebo"]) >= {"shift_months", "att", "ci_low", "ci_high"}
    assert {r["e"] for r in data["event_time"]} == set(range(-12, 13))
    assert data["att"]["estimate"] == pytest.approx(10.0)


def test_few_treated_provinces_are_too_thin(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=50)
    assert result.conclusive is False
    assert "only 6 provinces saw a first clash (fewer than 10)" in result.warnings[0]
    assert result.summary.startswith(
        "The data is too thin to conclude whether civilian deaths in events whose sources name "
        "Islamic State Khorasan Province or Taliban as the perpetrator changed"
    )


def test_unknown_civilian_deaths_are_never_zero(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    attack = pa.table(
        {
            "event_id": ["text:unknown"],
            "date_start": [dt.date(2020, 8, 20)],
            "event_type": ["attack"],
            "actor1": ["ISKP"],
            "actor2": ["CIVILIANS"],
            "target_type": ["civilians"],
            "country_iso3": ["AFG"],
            "admin1_code": ["AF-NAN"],
            "fatalities_best": [50],
        }
    )
    store.write_rows("events", attack, source="text")
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", source="ucdp"), n_boot=50)
    unknown = result.unknown_civilian_deaths
    assert unknown["by_perpetrator"]["actor"] == 0
    both = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=50)
    unknown = both.unknown_civilian_deaths
    assert unknown["by_perpetrator"]["actor"] == 1
    # 2018-12..2021-06: a state-based event per control a month, and the 12 clashes
    unattributed = 3 * 31 + 12
    assert unknown["by_perpetrator"]["unattributed"] == unattributed
    assert unknown["events"] == 1 + unattributed
    assert unknown["deaths_best"] == 50 + 7 * unattributed
    assert both.att["estimate"] == pytest.approx(10.0)  # not a 0 (and not a 50) in Nangarhar
    assert f"{1 + unattributed} events in these provinces and months" in both.summary
    assert "left out, not counted as 0 (1 of them name" in both.summary


def test_country_controls_and_the_capital_first(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"), n_boot=50)
    assert (result.treated, result.controls) == (6, 34 - 6)
    assert result.att["estimate"] == pytest.approx(10.0)
    loo = result.leave_one_out.to_pylist()
    assert loo[0]["dropped"] == "AF-KAB"
    assert (loo[0]["province"], loo[0]["role"], loo[0]["capital"]) == ("Kabul", "treated", True)
    assert {r["dropped"] for r in loo if r["role"] == "treated"} >= {"AF-NAN", "AF-KAB"}
    assert {r["role"] for r in loo if r["dropped"] in {"AF-KAN", "AF-HEL", "AF-JOW"}} == {"control"}
    assert all(r["att"] == pytest.approx(10.0) for r in loo)
    assert "without Kabul (the capital, a treated province" in result.summary


def test_not_yet_treated_controls(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=50, control="notyet")
    assert result.att["estimate"] == pytest.approx(10.0)
    assert result.design["control"] == "notyet"


def test_since_leaves_out_provinces_treated_before_it(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", since="2020-03-01"), n_boot=50)
    # Nangarhar, Kunar and Laghman first clashed before 2020-03 (Kunar again in 2020-04): they
    # are already treated when the panel starts, not a later cohort
    assert result.design["excluded"] == ["AF-KNR", "AF-LAG", "AF-NAN"]
    assert (result.treated, result.controls) == (3, 3)
    assert result.att["estimate"] == pytest.approx(10.0)


def test_displacement_follows_the_same_design(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path))
    store.ingest_displacement(_displacement(tmp_path))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"), n_boot=50)
    idps = _outcome(result, "idps")
    assert idps["att"] == pytest.approx(100.0)
    assert idps["ci_low"] == pytest.approx(100.0)
    assert "Newly displaced people rose by 100.0" in result.summary
    assert "No displacement table" not in result.summary


def test_bootstrap_is_seeded(store: rs.Store, tmp_path: Path) -> None:
    ucdp = _Ucdp()
    rng = np.random.default_rng(0)
    for province, clash in zip(TREATED, FIRST_CLASH, strict=True):
        for month in _months(GRID_START, GRID_END):
            ucdp.add(3, "IS", "Civilians", month, province, str(int(rng.integers(0, 20))))
        ucdp.add(2, "IS", "Taleban", clash, province, "")
    for province in CONTROLS:
        for month in _months(GRID_START, GRID_END):
            ucdp.add(3, "Taleban", "Civilians", month, province, str(int(rng.integers(0, 20))))
    store.ingest_ucdp(ucdp.write(tmp_path / "ged.csv"))
    dyad = Dyad.of(store, "ISKP", "TALIBAN")
    first = harm.compute(dyad, n_boot=200, seed=11)
    assert harm.compute(dyad, n_boot=200, seed=11).event_time.equals(first.event_time)
    other = harm.compute(dyad, n_boot=200, seed=12)
    assert not other.event_time.equals(first.event_time)
    assert other.att["estimate"] == first.att["estimate"]
    assert first.pretrend["p_value"] is not None


def test_no_clashes_gives_empty_tables(store: rs.Store, tmp_path: Path) -> None:
    store.ingest_ucdp(_fixture(tmp_path, treated=()))
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN"))
    assert result.event_time.num_rows == 0
    assert result.event_time.schema == harm.EVENT_TIME_SCHEMA
    assert result.outcomes.num_rows == 0
    assert result.conclusive is False
    assert "never clashed" in result.summary
    assert "too thin to conclude" in result.summary


def test_empty_store(store: rs.Store) -> None:
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.outcomes.num_rows == 0
    assert isinstance(result.event_time, pa.Table)
    assert result.conclusive is False
    assert plain(result)["pretrend"]["verdict"] == "untestable"


def test_arguments_are_checked(store: rs.Store) -> None:
    dyad = Dyad.of(store, "ISKP", "TALIBAN")
    with pytest.raises(rs.InputError, match="n_boot"):
        harm.compute(dyad, n_boot=1)
    with pytest.raises(rs.InputError, match="control"):
        harm.compute(dyad, control="all")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- real data


def _real_panel(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """The primary outcome's panel built from the raw GED CSV, without rivalscope."""
    ged = pd.read_csv(path, low_memory=False)
    ged = ged[ged["country"] == "Afghanistan"]
    month = (
        pd.to_datetime(ged["date_start"]).dt.year * 12
        + pd.to_datetime(ged["date_start"]).dt.month
        - 1
    )
    ged = ged.assign(month=month)
    pair = {"IS", "Taleban"}
    clash = ged[
        (ged["type_of_violence"] == 2)
        & ged["side_a"].isin(pair)
        & ged["side_b"].isin(pair)
        & ged["adm_1"].notna()
    ]
    firsts = clash.groupby("adm_1")["month"].min().to_dict()
    lo = min(firsts.values()) - 13
    hi = min(int(ged["month"].max()), max(firsts.values()) + 12)
    provinces = sorted(ged["adm_1"].dropna().unique())
    provinces += [f"empty {i}" for i in range(34 - len(provinces))]
    harmed = ged[(ged["type_of_violence"] == 3) & ged["side_a"].isin(pair)]
    harmed = harmed[(harmed["month"] >= lo) & (harmed["month"] <= hi)]
    sums = harmed.groupby(["adm_1", "month"])["best"].sum()
    y = np.zeros((len(provinces), hi - lo + 1))
    index = {p: i for i, p in enumerate(provinces)}
    for (province, m), deaths in sums.items():
        y[index[province], m - lo] = deaths
    cohort = np.array([firsts[p] - lo if p in firsts else harm.NEVER for p in provinces])
    return y, cohort, lo


@pytest.mark.realdata
def test_real_ged_iskp_taliban_matches_the_oracle(store: rs.Store) -> None:
    path = shared_file("ucdp_ged211_afghanistan.csv")
    store.ingest_ucdp(path)
    result = harm.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"), n_boot=300)

    y, cohort, lo = _real_panel(path)
    assert (result.treated, result.controls) == (int((cohort >= 1).sum()), 34 - 9)
    assert result.treated == 9
    cells, dynamic = _oracle(y, cohort, control="never", base_period="universal")
    for row in result.att_gt.to_pylist():
        g = row["g"].year * 12 + row["g"].month - 1 - lo
        t = row["t"].year * 12 + row["t"].month - 1 - lo
        assert row["att"] == pytest.approx(cells[(g, t)], abs=1e-6), (g, t)
    assert result.att_gt.num_rows == 9 * 25
    post = [dynamic[e] for e in range(0, 13) if e in dynamic]
    assert result.att["estimate"] == pytest.approx(float(np.mean(post)), abs=1e-6)
    for row in result.event_time.to_pylist():
        assert row["att"] == pytest.approx(dynamic[row["e"]], abs=1e-6), row["e"]

    data = plain(result)
    assert {"pretrend", "placebo"} <= data.keys()
    assert data["pretrend"]["p_value"] is not None
    assert data["placebo"]["att"] is not None
    assert data["leave_one_out"][0]["dropped"] == "AF-KAB"
    assert any("fewer than 10" in w for w in result.warnings)
    if result.att["ci_low"] <= 0 <= result.att["ci_high"]:
        assert "too thin to conclude" in result.summary
