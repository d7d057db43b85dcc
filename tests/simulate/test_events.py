"""The simulated event stream: canonical rows that add up to the run, written into a real store,
where every analysis (the whole profile) runs on them."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

import rivalscope as rs
from rivalscope.schema import EVENT_COLUMN_NAMES, EVENT_TYPES, TARGET_TYPES
from rivalscope.simulate.events import defections_table, events_table, write_run
from rivalscope.simulate.model import PROVINCES, Params, Policy, PrisonBreak, RunResult, simulate
from tests.simulate.conftest import SMALL


@pytest.fixture(scope="module")
def run() -> RunResult:
    policy = Policy(
        cooperation=0.9,
        concession=0.6,
        strike_tempo=3.0,
        error_rate=0.3,
        prison_breaks=(PrisonBreak("AF-PAR", 4, 600),),
    )
    leaky = Params(intel_share=0.3, defect_base=0.002)
    return simulate(SMALL, policy, leaky, months=36, seed=21, label="events-test")


def _sum(table: object, column: str, **equal: str) -> int:
    import pyarrow as pa

    assert isinstance(table, pa.Table)
    for key, value in equal.items():
        table = table.filter(pc.equal(table[key], value))
    return int(pc.sum(table[column]).as_py() or 0)


def test_events_add_up_to_the_run(run: RunResult) -> None:
    events = events_table(run)
    s = run.series
    assert set(events.column_names) <= set(EVENT_COLUMN_NAMES)
    assert set(events.column("event_type").to_pylist()) <= set(EVENT_TYPES)
    assert set(events.column("target_type").to_pylist()) <= set(TARGET_TYPES)
    kinds = events.column("source_sub_event_type").to_pylist()
    assert kinds.count("clash") == s["clashes"].sum()
    assert kinds.count("us_strike") == s["strikes"].sum()
    assert kinds.count("informant_killing") == s["informants_killed"].sum() > 0
    assert kinds.count("attack_on_religious_site") == s["attacks_on_religious_sites"].sum()
    assert kinds.count("prison_break") == 1
    assert _sum(events, "fatalities_best") == s["deaths"].sum()
    assert _sum(events, "civilian_deaths") == s["civilian_deaths"].sum()
    assert _sum(events, "fatalities_best", source_sub_event_type="clash") == s["clash_deaths"].sum()
    strikes = events.filter(pc.equal(events["event_type"], "state_operation"))
    assert set(strikes.column("actor1").to_pylist()) == {"US"}
    assert _sum(strikes, "fatalities_best") - _sum(strikes, "civilian_deaths") == (
        s["strike_deaths"].sum()
    )
    ids = events.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids) and all(i.startswith("sim:events-test:") for i in ids)
    dates = events.column("date_start").to_pylist()
    assert dates == sorted(dates)
    assert dates[0].isoformat() >= "2022-01-01" and dates[-1].isoformat() <= "2024-12-31"
    for row in events.slice(0, 50).to_pylist():
        month = (row["date_start"].year - 2022) * 12 + row["date_start"].month - 1
        province = PROVINCES.index(row["admin1_code"])
        assert s["clashes"][month, province] + s["attacks"][month, province] + s["strikes"][
            month, province] + s["informants_killed"][month, province] + s["prison_breaks"][
            month, province] > 0  # fmt: skip


def test_defections_add_up(run: RunResult) -> None:
    table = defections_table(run)
    to_isk = table.filter(pc.equal(table["to_actor"], "ISKP"))
    assert _sum(to_isk, "fighters") == run.series["defections_to_iskp"].sum() > 0
    to_tal = table.filter(pc.equal(table["to_actor"], "TALIBAN"))
    assert _sum(to_tal, "fighters") == run.series["defections_to_taliban"].sum() > 0


def test_same_run_same_stream(run: RunResult) -> None:
    again = simulate(
        run.population, run.policy, run.params, months=36, seed=21, label="events-test"
    )
    assert events_table(again).equals(events_table(run))
    assert defections_table(again).equals(defections_table(run))


def test_profile_runs_on_a_simulated_store(run: RunResult) -> None:
    with rs.open() as store:
        written = write_run(store, run)
        assert written.events.rows_stored == events_table(run).num_rows
        assert written.displacement is not None
        assert written.displacement.rows_stored == run.months * len(PROVINCES)
        info = store.info()
        assert [s["source"] for s in info["sources"]] == ["sim"]
        assert info["unregistered_actors"] == []
        profile = rs.profile(store, "ISKP", "TALIBAN", country="AFG")
        assert f"clashed {run.series['clashes'].sum()} times" in profile.timeline.summary
        clashed = int((run.series["clashes"].sum(axis=0) > 0).sum())
        assert f"in {clashed} of Afghanistan's 34 provinces" in profile.spread.summary
        assert "Newly displaced people" in profile.harm.summary
        assert profile.defections.flows.num_rows >= 2
        again = write_run(store, run)
        assert again.events.rows_stored == 0
        assert again.events.rows_unchanged == written.events.rows_read
        assert again.defections.rows_stored == 0
