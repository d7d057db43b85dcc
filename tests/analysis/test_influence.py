"""The influence section on coded rows with known answers, and its exact tests."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pyarrow as pa
import pytest

import rivalscope as rs
from rivalscope.analysis import influence
from rivalscope.analysis.context import Dyad, Phase

PHASES = (
    Phase("early", dt.date(2019, 1, 1), dt.date(2019, 7, 1)),
    Phase("late", dt.date(2019, 7, 1)),
)
PROVINCES = ("AF-NAN", "AF-KNR", "AF-KAB", "AF-LAG", "AF-NUR", "AF-JOW")


def rows(spec: list[tuple[str, str, str, str, str | None]]) -> pa.Table:
    """(day, type, actor1, actor2, province) rows as coded text would write them."""
    return pa.table(
        {
            "event_id": [f"text:{i}" for i in range(len(spec))],
            "date_start": pa.array([dt.date.fromisoformat(s[0]) for s in spec], pa.date32()),
            "event_type": [s[1] for s in spec],
            "actor1": [s[2] for s in spec],
            "actor2": [s[3] for s in spec],
            "country_iso3": ["AFG"] * len(spec),
            "admin1_code": [s[4] for s in spec],
        }
    )


def test_counts_by_type_and_phase(store: rs.Store) -> None:
    store.write_rows(
        "events",
        rows(
            [
                ("2019-02-01", "propaganda", "ISKP", None, "AF-NAN"),
                ("2019-03-01", "propaganda", "ISKP", None, "AF-NAN"),
                ("2019-08-01", "extortion", "ISKP", "CIVILIANS", "AF-KNR"),
                ("2019-09-01", "governance", "TALIBAN", None, "AF-KAB"),
                ("2019-10-01", "clash", "ISKP", "TALIBAN", "AF-NAN"),
            ]
        ),
        source="text",
    )
    result = influence.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG", phases=PHASES))
    assert result.counts.to_pylist() == [
        {"side": "ISKP", "phase": "all", "event_type": "propaganda", "events": 2},
        {"side": "ISKP", "phase": "all", "event_type": "extortion", "events": 1},
        {"side": "ISKP", "phase": "early", "event_type": "propaganda", "events": 2},
        {"side": "ISKP", "phase": "late", "event_type": "extortion", "events": 1},
        {"side": "TALIBAN", "phase": "all", "event_type": "governance", "events": 1},
        {"side": "TALIBAN", "phase": "late", "event_type": "governance", "events": 1},
    ]
    nangarhar = next(
        r
        for r in result.provinces.to_pylist()
        if (r["side"], r["admin1_code"]) == ("ISKP", "AF-NAN")
    )
    assert (nangarhar["influence"], nangarhar["violence"], nangarhar["influence_first"]) == (
        2,
        1,
        True,
    )
    assert nangarhar["expected"] == pytest.approx(2 / 3)
    assert result.summary.startswith(
        "Islamic State Khorasan Province is recorded in 3 influence activities: 2 propaganda "
        "(67%) and 1 extortion (33%). In 1 of the 1 province where Islamic State Khorasan "
        "Province is recorded both influencing and fighting, its first influence activity came "
        "before its first violence (100%, 95% CI 2%-100%); in random order 0.7 would be "
        "expected (p = 0.667). Too thin to conclude that its influence comes first (fewer than "
        "5 provinces)."
    )
    assert "Taliban is recorded in 1 influence activity: 1 governance" in result.summary


def test_influence_before_violence_in_every_province_is_detected(store: rs.Store) -> None:
    spec = []
    for number, code in enumerate(PROVINCES):
        spec.append((f"2019-0{number + 1}-01", "propaganda", "ISKP", None, code))
        spec.append((f"2019-0{number + 2}-15", "clash", "ISKP", "TALIBAN", code))
        spec.append((f"2019-0{number + 3}-15", "attack", "ISKP", "CIVILIANS", code))
    store.write_rows("events", rows(spec), source="text")
    result = influence.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG", phases=()))
    test = result.precedence[0]
    assert (test.provinces, test.influence_first) == (6, 6)
    assert test.expected == pytest.approx(6 / 3)
    assert test.p_value == pytest.approx((1 / 3) ** 6)
    assert test.conclusive
    assert "an order in time, not proof" in result.summary
    # The Taliban's side: clashes only, no influence: nothing to order.
    assert result.precedence[1].provinces == 0


def test_the_poisson_binomial_tail_equals_enumeration() -> None:
    probabilities = [0.2, 0.5, 0.9, 0.35, 0.6]
    for k in range(len(probabilities) + 1):
        exact = 0.0
        for draw in itertools.product([0, 1], repeat=len(probabilities)):
            if sum(draw) >= k:
                chance = 1.0
                for hit, p in zip(draw, probabilities, strict=True):
                    chance *= p if hit else 1 - p
                exact += chance
        assert influence.poisson_binomial_tail(probabilities, k) == pytest.approx(exact)


def test_the_interval_is_clopper_pearson_as_statsmodels_gives_it() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for k, n in ((0, 5), (3, 7), (7, 7), (12, 40)):
        expected = proportion_confint(k, n, alpha=0.05, method="beta")
        assert influence.clopper_pearson(k, n) == pytest.approx(expected)


def test_without_influence_it_says_which_sources_were_read(store: rs.Store) -> None:
    store.write_rows(
        "events", rows([("2019-02-01", "clash", "ISKP", "TALIBAN", "AF-NAN")]), source="text"
    )
    result = influence.compute(Dyad.of(store, "ISKP", "TALIBAN", country="AFG"))
    assert result.counts.num_rows == 0
    assert result.summary.startswith(
        "No influence activity (propaganda, proselytization, extortion, governance, recruitment) "
        "by Islamic State Khorasan Province or Taliban is recorded in the window (TEXT read)."
    )


ACLED = (
    "event_id_cnty,event_date,event_type,sub_event_type,actor1,assoc_actor_1,actor2,"
    "assoc_actor_2,inter1,inter2,civilian_targeting,country,iso,admin1,latitude,longitude,"
    "fatalities,notes\n"
    "AFG1,10 April 2019,Strategic developments,Other,Islamic State Khorasan Province,,,,,,,"
    'Afghanistan,4,Nangarhar,34.2,70.5,0,"On 10 April 2019, ISKP distributed night letters in '
    'Achin district (Nangarhar) warning residents against supporting the government."\n'
    "AFG2,11 April 2019,Strategic developments,Other,Taliban,,Civilians (Afghanistan),,,,,"
    'Afghanistan,4,Kunar,34.8,71.1,0,"On 11 April 2019, Taliban militants forced traders in '
    'Asadabad to pay taxes at gunpoint."\n'
    "AFG3,12 April 2019,Strategic developments,Headquarters or base established,Taliban,,,,,,,"
    'Afghanistan,4,Kunar,34.8,71.1,0,"On 12 April 2019, Taliban established a base in Kunar."\n'
    "AFG4,20 May 2019,Battles,Armed clash,Islamic State Khorasan Province,,Taliban,,,,,"
    'Afghanistan,4,Nangarhar,34.2,70.5,3,"On 20 May 2019, ISKP and Taliban clashed in Achin."\n'
)


def test_acled_strategic_developments_become_influence_by_their_notes(
    store: rs.Store, tmp_path: Path
) -> None:
    path = tmp_path / "acled.csv"
    path.write_text(ACLED, encoding="utf-8")
    store.ingest_acled(path)
    typed = store.query("SELECT event_id, event_type, initiator FROM events ORDER BY 1")
    assert typed.to_pylist() == [
        {"event_id": "acled:AFG1", "event_type": "propaganda", "initiator": "actor1"},
        {"event_id": "acled:AFG2", "event_type": "extortion", "initiator": "actor1"},
        {"event_id": "acled:AFG3", "event_type": "other", "initiator": None},
        {"event_id": "acled:AFG4", "event_type": "clash", "initiator": None},
    ]
    result = rs.profile(store, "ISKP", "TALIBAN", country="AFG").influence
    assert {(r["side"], r["event_type"]) for r in result.counts.to_pylist()} == {
        ("ISKP", "propaganda"),
        ("TALIBAN", "extortion"),
    }
    assert result.precedence[0].provinces == 1
    assert result.precedence[0].influence_first == 1
