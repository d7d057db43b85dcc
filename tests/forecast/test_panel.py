"""The unit-month panel on hand-made events with known counts, lags, rolling sums, spatial lags,
rival, state and defection activity, phases, and the review filter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import rivalscope as rs
import rivalscope.fusion as fusion
from rivalscope import review
from rivalscope.analysis.context import Phase
from rivalscope.errors import InputError
from rivalscope.forecast.panel import Panel, build_panel, feature_names, nearest_neighbours
from rivalscope.forecast.spec import resolve
from tests.forecast.fixtures import hand_store, queen_neighbours

D = dt.date


@pytest.fixture
def store(tmp_path: Path) -> Iterator[rs.Store]:
    with hand_store(tmp_path) as opened:
        yield opened


def series(panel: Panel, unit: str, column: str = "y") -> dict[str, object]:
    rows = panel.table.filter(pa.compute.equal(panel.table.column("unit"), unit)).to_pylist()
    return {f"{row['month']:%Y-%m}": row[column] for row in rows}


def build(store: rs.Store, **options: object) -> Panel:
    defaults: dict[str, object] = {"rival": "TALIBAN", "until": "2016-12"}
    return build_panel(store, resolve(store, "ISKP", **{**defaults, **options}))  # type: ignore[arg-type]


def test_grid_is_dense_and_sorted(store: rs.Store) -> None:
    panel = build(store)
    assert panel.spec.since == D(2015, 6, 1), "default start: the actor's first event month"
    assert panel.units.num_rows == 34
    assert panel.table.num_rows == 34 * 19
    keys = list(
        zip(
            panel.table.column("unit").to_pylist(),
            panel.table.column("month").to_pylist(),
            strict=True,
        )
    )
    assert keys == sorted(keys)
    assert panel.table.column_names == ["unit", "month", *panel.features, "deaths"]
    assert panel.features == feature_names(panel.spec)


def test_outcome_deaths_are_the_second_outcome(store: rs.Store) -> None:
    panel = build(store)
    deaths = {m: v for m, v in series(panel, "AF-NAN", "deaths").items() if v}
    assert deaths == {"2015-06": 1, "2016-01": 5, "2016-02": 4, "2016-03": 1, "2016-06": 1}
    assert {m: v for m, v in series(panel, "AF-KAB", "deaths").items() if v} == {"2016-03": 3}


def test_outcome_counts_and_lags(store: rs.Store) -> None:
    panel = build(store)
    nangarhar = series(panel, "AF-NAN")
    assert {m: v for m, v in nangarhar.items() if v} == {
        "2015-06": 1,
        "2016-01": 2,
        "2016-02": 1,
        "2016-03": 1,
        "2016-06": 1,
    }
    june = {c: series(panel, "AF-NAN", c)["2016-06"] for c in panel.features}
    assert (june["y_lag1"], june["y_lag2"], june["y_lag3"], june["y_lag6"], june["y_lag12"]) == (
        0,
        0,
        1,
        0,
        1,
    )
    assert series(panel, "AF-NAN", "y_lag1")["2016-02"] == 2
    assert series(panel, "AF-NAN", "y_sum3")["2016-03"] == 4
    assert june["y_sum6"] == 5
    assert june["y_sum12"] == 5
    assert series(panel, "AF-NAN", "y_sum12")["2016-05"] == 5, "2015-06 is 11 months back"
    assert series(panel, "AF-NAN", "y_sum12")["2016-07"] == 5
    assert series(panel, "AF-NAN", "y_sum12")["2016-06"] == 5
    since = series(panel, "AF-NAN", "months_since")
    assert [
        since[m] for m in ("2015-06", "2015-07", "2016-01", "2016-04", "2016-05", "2016-06")
    ] == [
        0,
        1,
        0,
        1,
        2,
        0,
    ]
    never = series(panel, "AF-KAN", "months_since")
    assert never["2015-06"] == 13 and never["2016-12"] == 31, (
        "no event yet: months since grid start + 1"
    )
    rate = series(panel, "AF-NAN", "y_rate")
    assert rate["2015-06"] == 1.0
    assert rate["2016-03"] == pytest.approx(5 / 10)


def test_warm_up_keeps_lags_before_since(store: rs.Store) -> None:
    panel = build(store, since="2016-01")
    assert panel.table.num_rows == 34 * 12
    assert series(panel, "AF-NAN", "y_lag12")["2016-06"] == 1
    assert series(panel, "AF-NAN", "y_sum12")["2016-01"] == 3
    assert series(panel, "AF-NAN", "y_rate")["2016-01"] == 2.0, "the rate counts from since"


def test_outcome_definitions(store: rs.Store) -> None:
    def totals(panel: Panel) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in panel.table.to_pylist():
            if row["y"]:
                key = f"{row['unit']} {row['month']:%Y-%m}"
                found[key] = row["y"]
        return found

    assert totals(build(store, outcome="clash")) == {
        "AF-NAN 2015-06": 1,
        "AF-NAN 2016-01": 2,
        "AF-NAN 2016-03": 1,
        "AF-NAN 2016-06": 1,
    }
    attack = build(store, outcome="attack", since="2015-06")
    assert totals(attack) == {"AF-KNR 2016-02": 1, "AF-KAB 2016-03": 3}
    assert attack.events_outside == 1, "the attack without a province"
    assert sum(totals(build(store)).values()) == 6 + 1 + 3
    with pytest.raises(InputError, match="the outcome clash needs a rival") as no_rival:
        resolve(store, "ISKP", outcome="clash")
    assert no_rival.value.parameter == "rival"


def test_spatial_lags_follow_adjacency(store: rs.Store) -> None:
    panel = build(store)
    assert panel.neighbour_method == "adjacency"
    pairs = set(
        zip(*(panel.neighbours.column(c).to_pylist() for c in ("unit", "neighbour")), strict=True)
    )
    assert pairs == queen_neighbours()
    y = {(r["unit"], r["month"]): r["y"] for r in panel.table.to_pylist()}
    s3 = {(r["unit"], r["month"]): r["y_sum3"] for r in panel.table.to_pylist()}
    for row in panel.table.to_pylist():
        mine = [b for a, b in pairs if a == row["unit"]]
        assert row["nb_y"] == sum(y[(b, row["month"])] for b in mine)
        assert row["nb_sum3"] == sum(s3[(b, row["month"])] for b in mine)
    kabul = series(panel, "AF-KAB", "nb_y")
    assert kabul["2016-02"] == 2 and kabul["2016-03"] == 1, "Nangarhar + Kunar, then Nangarhar"


def test_rival_state_defections_country_and_phases(store: rs.Store) -> None:
    phases = (Phase("before", D(2015, 1, 1), D(2016, 3, 1)), Phase("after", D(2016, 3, 1)))
    panel = build(store, phases=phases)
    assert series(panel, "AF-NAN", "rival_events")["2016-01"] == 2
    assert series(panel, "AF-HEL", "rival_events")["2016-01"] == 1
    assert series(panel, "AF-NAN", "state_events")["2016-02"] == 1, "the Republic vs ISKP"
    assert series(panel, "AF-HEL", "state_events")["2016-01"] == 1
    assert series(panel, "AF-NAN", "state_events")["2016-01"] == 0, "a Taliban-ISKP clash"
    assert series(panel, "AF-HEL", "state_sum3")["2016-03"] == 1
    assert series(panel, "AF-HEL", "state_sum3")["2016-04"] == 0
    defections = series(panel, "AF-NAN", "defections_sum12")
    assert defections["2016-01"] == 0 and defections["2016-02"] == 1 and defections["2016-12"] == 1
    assert series(panel, "AF-KAB", "country_y")["2016-03"] == 4
    assert series(panel, "AF-KAB", "country_sum3")["2016-03"] == 2 + 2 + 4, "Jan + Feb + Mar"
    assert panel.phase_names == ("before", "after")
    assert series(panel, "AF-KAB", "phase_1")["2016-02"] == 1
    assert series(panel, "AF-KAB", "phase_2")["2016-03"] == 1
    assert "actor_events" not in panel.features, "the outcome already counts every ISKP event"
    attack = build(store, outcome="attack")
    assert series(attack, "AF-NAN", "actor_events")["2016-01"] == 2


def test_state_after_the_takeover_is_the_taliban(tmp_path: Path) -> None:
    from tests.analysis.fixtures import ucdp_row

    rows = [
        ucdp_row(1, 1, "Government of Afghanistan", "IS", "2021-07-10", 1, "Kabul"),
        ucdp_row(2, 1, "Government of Afghanistan", "IS", "2021-09-10", 1, "Kabul"),
        ucdp_row(3, 3, "IS", "Civilians", "2021-12-10", 1, "Kabul"),
    ]
    with hand_store(tmp_path, rows=rows) as store:
        panel = build(store, since="2021-06", until="2021-12")
        state = series(panel, "AF-KAB", "state_events")
        assert state["2021-07"] == 1 and state["2021-09"] == 1
        assert store.events(admin1="AF-KAB").column("actor1").to_pylist()[:2] == [
            "AFG_REPUBLIC",
            "TALIBAN",
        ]


def test_rows_pending_review_do_not_count(store: rs.Store) -> None:
    row = pa.table(
        {
            "event_id": ["text:1"],
            "date_start": [D(2016, 4, 2)],
            "event_type": ["attack"],
            "actor1": ["ISKP"],
            "actor2": ["CIVILIANS"],
            "country_iso3": ["AFG"],
            "admin1_code": ["AF-NAN"],
        }
    )
    store.write_rows("events", row, source="text", for_review=True)
    assert series(build(store), "AF-NAN")["2016-04"] == 0
    review.decide(store, ["text:1"], "accepted")
    assert series(build(store), "AF-NAN")["2016-04"] == 1


def test_distance_neighbours_without_boundaries(tmp_path: Path) -> None:
    with hand_store(tmp_path, boundaries=False) as store:
        panel = build(store)
        assert panel.neighbour_method == "distance"
        pairs = panel.neighbours.to_pylist()
        per_unit: dict[str, int] = {}
        for pair in pairs:
            per_unit[pair["unit"]] = per_unit.get(pair["unit"], 0) + 1
        assert len(per_unit) == 34 and min(per_unit.values()) >= 5
        assert {"unit": "AF-NAN", "neighbour": "AF-LAG"} in pairs


def test_nearest_neighbours_on_a_line() -> None:
    units = pa.table(
        {
            "unit": ["A", "B", "C", "D", "E"],
            "latitude": [0.0, 0.0, 0.0, 0.0, None],
            "longitude": [0.0, 1.0, 3.0, 10.0, None],
        }
    )
    one = {(p["unit"], p["neighbour"]) for p in nearest_neighbours(units, 1).to_pylist()}
    assert one == {("A", "B"), ("B", "A"), ("C", "B"), ("B", "C"), ("D", "C"), ("C", "D")}
    two = {(p["unit"], p["neighbour"]) for p in nearest_neighbours(units, 2).to_pylist()}
    assert ("A", "C") in two and ("D", "B") in two and ("A", "D") not in two
    assert not any("E" in pair for pair in two), "no centre, no neighbours"


ISKP_IN_DISTRICTS = """SELECT count(*) FROM events WHERE (actor1 = 'ISKP' OR actor2 = 'ISKP')
    AND admin1_code IS NOT NULL AND admin2 IS NOT NULL AND date_start >= DATE '2022-01-01'
    AND country_iso3 = 'AFG'"""


@pytest.mark.parametrize("source", ["ucdp", "acled"])
def test_admin2_units_are_districts(synth_store: rs.Store, source: str) -> None:
    spec = resolve(synth_store, "ISKP", unit="admin2", since="2022-01", source=source)
    assert spec.source == source
    panel = build_panel(synth_store, spec)
    codes = panel.units.column("unit").to_pylist()
    assert all(":" in code and code.startswith("AF-") for code in codes)
    assert panel.neighbour_method == "distance"
    expected = synth_store.con.execute(f"{ISKP_IN_DISTRICTS} AND source = ?", [source]).fetchone()
    assert expected is not None
    assert sum(panel.table.column("y").to_pylist()) == expected[0]


def test_the_default_panel_counts_each_fused_event_once(synth_store: rs.Store) -> None:
    spec = resolve(synth_store, "ISKP", unit="admin2", since="2022-01")
    assert spec.source == "fused", "two sources hold events in AFG"
    panel = build_panel(synth_store, spec)
    f = fusion.view(synth_store, "fused", "AFG")
    f = f.filter(
        ((f.actor1 == "ISKP") | (f.actor2 == "ISKP"))
        & f.admin1_code.notnull()
        & f.admin2.notnull()
        & (f.date_start >= dt.date(2022, 1, 1))
        & (f.country_iso3 == "AFG")
    )
    fused = f.count().to_pyarrow().as_py()
    both = synth_store.con.execute(ISKP_IN_DISTRICTS).fetchone()
    assert both is not None
    assert sum(panel.table.column("y").to_pylist()) == fused < both[0]
