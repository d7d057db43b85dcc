"""Network: each side's allies and the actors active near it, on hand-made ACLED and UCDP files."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.analysis import network
from rivalscope.analysis.context import Dyad
from rivalscope.analysis.hotspots import EARTH_RADIUS_KM, great_circle_km
from rivalscope.errors import InputError
from tests.analysis.fixtures import UCDP_HEADER, ucdp_row
from tests.conftest import shared_file

HEADER = (
    "event_id_cnty,event_date,event_type,sub_event_type,actor1,assoc_actor_1,actor2,"
    "assoc_actor_2,inter1,inter2,civilian_targeting,country,iso,admin1,latitude,longitude,"
    "fatalities,notes\n"
)
KANDAHAR = (31.61, 65.71)
JALALABAD = (34.43, 70.45)
KUNAR = (34.85, 71.10)
ISKP = "Islamic State Khorasan Province"
ARMY = "Military Forces of Afghanistan (2004-2021)"
CIVILIANS = "Civilians (Afghanistan)"
TTP = "Tehrik-i-Taliban Pakistan"
UNIDENTIFIED = "Unidentified Armed Group (Afghanistan)"


def east(seed: tuple[float, float], km: float) -> tuple[float, float]:
    """A point ``km`` due east of ``seed`` (to well under a metre at these distances)."""
    per_degree = EARTH_RADIUS_KM * math.pi / 180
    return seed[0], seed[1] + km / (per_degree * math.cos(math.radians(seed[0])))


def acled(
    number: int,
    date: str,
    actor1: str,
    actor2: str,
    point: tuple[float, float],
    *,
    assoc1: str = "",
    assoc2: str = "",
    event_type: str = "Violence against civilians",
) -> list[object]:
    sub = "Armed clash" if event_type == "Battles" else "Attack"
    targeting = "Civilian targeting" if event_type == "Violence against civilians" else ""
    return [
        f"AFG{number}", date, event_type, sub, actor1, assoc1, actor2, assoc2, "", "",
        targeting, "Afghanistan", 4, "Nangarhar", point[0], point[1], 1, "",
    ]  # fmt: skip


def fixture_rows() -> list[list[object]]:
    """Allies: TALIBAN with Haqqani and al-Qaeda in 3 events, with Haqqani (and an unidentified
    group) as actor2's associates once more; ISKP with Lashkar-e-Islam in 2, with TTP in 1 but
    TTP fought ISKP too, and with civilians once.

    Nearby (defaults 3 days, 25 km; the side as actor1 or actor2): TTP 3 km from ISKP events
    of 2020-05-10 a day later (an attack and the army's clash with ISKP: 2 events) and 4 km
    from another two days later (3 ISKP events with TTP near); TTP 40 km away and 10 days later
    counts for nothing. The army 2 km from an ISKP event a day later (1; the army's clash with
    ISKP is a fight, not a presence nearby). An unidentified group, an ambiguous attribution
    and the Taliban next to ISKP events are left out. Near the Taliban's attack of 2020-06-11:
    TTP 4 km a day later and the army 2 km the same day (1 each).
    """
    clash = "Battles"
    return [
        acled(1, "2019-01-01", "Taliban", ARMY, KANDAHAR, assoc1="Haqqani Network; Al Qaeda",
              event_type=clash),
        acled(2, "2019-01-02", "Taliban", ARMY, KANDAHAR, assoc1="Haqqani Network; Al Qaeda",
              event_type=clash),
        acled(3, "2019-01-03", "Taliban", ARMY, KANDAHAR, assoc1="Haqqani Network; Al Qaeda",
              event_type=clash),
        acled(4, "2019-01-04", ARMY, "Taliban", KANDAHAR,
              assoc2=f"Haqqani Network; {UNIDENTIFIED}", event_type=clash),
        acled(5, "2019-06-01", ISKP, CIVILIANS, JALALABAD, assoc1="Lashkar-e-Islam"),
        acled(6, "2019-06-02", ISKP, CIVILIANS, JALALABAD, assoc1="Lashkar-e-Islam"),
        acled(7, "2019-06-10", TTP, CIVILIANS, KUNAR, assoc1="Lashkar-e-Islam"),
        acled(8, "2018-01-01", ARMY, ISKP, KUNAR, assoc2=CIVILIANS, event_type=clash),
        acled(9, "2016-01-01", ISKP, CIVILIANS, KUNAR, assoc1=TTP),
        acled(20, "2016-06-01", TTP, ISKP, KUNAR, event_type=clash),
        acled(10, "2020-05-10", ISKP, CIVILIANS, JALALABAD),
        acled(11, "2020-06-10", ISKP, CIVILIANS, JALALABAD),
        acled(12, "2020-05-11", TTP, CIVILIANS, east(JALALABAD, 3)),
        acled(13, "2020-06-12", TTP, CIVILIANS, east(JALALABAD, 4)),
        acled(14, "2020-05-10", TTP, CIVILIANS, east(JALALABAD, 40)),
        acled(15, "2020-05-20", TTP, CIVILIANS, JALALABAD),
        acled(16, "2020-05-10", ARMY, ISKP, JALALABAD, event_type=clash),
        acled(17, "2020-05-11", UNIDENTIFIED, CIVILIANS, JALALABAD),
        acled(18, "2020-06-11", "Taliban", CIVILIANS, JALALABAD),
        acled(19, "2020-05-11", f"Taliban and/or {ISKP}", CIVILIANS, JALALABAD),
        acled(21, "2020-06-11", ARMY, CIVILIANS, east(JALALABAD, 2)),
    ]  # fmt: skip


def write_acled(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(HEADER)
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


@pytest.fixture(scope="module")
def acled_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rs.Store]:
    path = write_acled(tmp_path_factory.mktemp("network") / "acled.csv", fixture_rows())
    with rs.open() as opened:
        assert opened.ingest_acled(path).rows_quarantined == 0
        yield opened


@pytest.fixture
def dyad(acled_store: rs.Store) -> Dyad:
    return Dyad.of(acled_store, "ISKP", "TALIBAN", country="AFG", phases=())


def edges(result: network.Network) -> list[tuple[str, str, str, int]]:
    return [(e["source"], e["target"], e["kind"], e["weight"]) for e in result.edges.to_pylist()]


def allies(result: network.Network) -> list[tuple[str, str, int, int]]:
    return [(a["side"], a["ally"], a["events"], a["rank"]) for a in result.allies.to_pylist()]


def nearby(result: network.Network) -> list[tuple[str, str, int, bool, int, int]]:
    return [
        (n["side"], n["neighbour"], n["near"], n["fought"], n["fights"], n["rank"])
        for n in result.nearby.to_pylist()
    ]


def ids_in(text: str, dyad: Dyad, result: network.Network) -> set[str]:
    """The actor ids of ``result`` that ``text`` spells out as words."""
    named = {
        *result.edges["source"].to_pylist(),
        *result.edges["target"].to_pylist(),
        dyad.actor,
        dyad.rival,
    }
    return {i for i in named if i != dyad.name(i) and re.search(rf"\b{re.escape(i)}\b", text)}


def test_fixture_distances() -> None:
    assert great_circle_km(*JALALABAD, *east(JALALABAD, 3)) == pytest.approx(3, abs=0.01)
    assert great_circle_km(*JALALABAD, *east(JALALABAD, 40)) == pytest.approx(40, abs=0.05)


def test_allies_nearby_and_edges(dyad: Dyad) -> None:
    result = network.compute(dyad)
    assert (result.days, result.km, result.top) == (3, 25.0, 10)
    assert result.edges.schema == network.EDGE_SCHEMA
    assert result.allies.schema == network.ALLY_SCHEMA
    assert result.nearby.schema == network.NEARBY_SCHEMA
    assert not hasattr(result, "partners")
    assert allies(result) == [
        ("ISKP", "LI", 2, 1),
        ("TALIBAN", "HAQQANI", 4, 1),
        ("TALIBAN", "AQ", 3, 2),
    ]
    assert nearby(result) == [
        ("ISKP", "TTP", 3, True, 1, 1),
        ("ISKP", "AFG_REPUBLIC", 1, True, 2, 2),
        ("TALIBAN", "AFG_REPUBLIC", 1, True, 4, 1),
        ("TALIBAN", "TTP", 1, False, 0, 2),
    ]
    assert edges(result) == [
        ("TALIBAN", "HAQQANI", "ally", 4),
        ("TALIBAN", "AQ", "ally", 3),
        ("ISKP", "LI", "ally", 2),
        ("ISKP", "TTP", "nearby", 3),
        ("ISKP", "AFG_REPUBLIC", "nearby", 1),
        ("TALIBAN", "AFG_REPUBLIC", "nearby", 1),
        ("TALIBAN", "TTP", "nearby", 1),
    ]


def test_tables_carry_display_names(dyad: Dyad) -> None:
    result = network.compute(dyad)
    for row in result.allies.to_pylist():
        assert row["side_name"] == dyad.name(row["side"])
        assert row["ally_name"] == dyad.name(row["ally"])
    for row in result.nearby.to_pylist():
        assert row["side_name"] == dyad.name(row["side"])
        assert row["neighbour_name"] == dyad.name(row["neighbour"])
    assert {r["ally"]: r["ally_name"] for r in result.allies.to_pylist()}["HAQQANI"] != "HAQQANI"
    assert {r["side_name"] for r in result.allies.to_pylist()} == {
        "Islamic State Khorasan Province",
        "Taliban",
    }
    for row in result.edges.to_pylist():
        assert row["source_name"] == dyad.name(row["source"])
        assert row["target_name"] == dyad.name(row["target"])
    names = {r["neighbour"]: r["neighbour_name"] for r in result.nearby.to_pylist()}
    assert names["AFG_REPUBLIC"] == "Islamic Republic of Afghanistan"


def test_sentences_use_names_and_never_say_partner(dyad: Dyad) -> None:
    result = network.compute(dyad)
    name = dyad.name
    assert result.summary == (
        f"{name('ISKP')}'s recorded ally (named on its side of an event, never fighting it) is "
        f"{name('LI')} (2 events); the actors most often active within 3 days and 25 km of its "
        f"events (any relation) are {name('TTP')} (near 3 of its events; fought it once) and "
        f"{name('AFG_REPUBLIC')} (near 1 of its events; fought it twice). "
        f"{name('TALIBAN')}'s recorded allies (named on its side of an event, never fighting it) "
        f"are {name('HAQQANI')} (4 events) and {name('AQ')} (3 events); the actors most often "
        f"active within 3 days and 25 km of its events (any relation) are "
        f"{name('AFG_REPUBLIC')} (near 1 of its events; fought it 4 times) and {name('TTP')} "
        f"(near 1 of its events; never fought it)."
    )
    assert result.summary.startswith("Islamic State Khorasan Province's recorded ally")
    assert "partner" not in result.summary.lower()
    assert ids_in(result.summary, dyad, result) == set()


def test_a_fighter_is_never_an_ally(dyad: Dyad) -> None:
    """TTP is named with ISKP once but also fought it: a neighbour that fought it, no ally.
    The army fights both sides: near both, never an ally of either."""
    result = network.compute(dyad)
    for side in ("ISKP", "TALIBAN"):
        assert ("AFG_REPUBLIC", True) in {
            (n["neighbour"], n["fought"]) for n in result.nearby.to_pylist() if n["side"] == side
        }
    ally_pairs = {(a["side"], a["ally"]) for a in result.allies.to_pylist()}
    assert ("ISKP", "TTP") not in ally_pairs
    assert not {a for _, a in ally_pairs} & {"AFG_REPUBLIC", "ISKP", "TALIBAN"}
    assert {(e[0], e[1]) for e in edges(result) if e[2] == "ally"} == ally_pairs


def test_an_associate_of_the_other_side_fought_it(tmp_path: Path) -> None:
    """Named with the army against ISKP once, Lashkar-e-Islam fought ISKP: not its ally, though
    named with it twice."""
    rows = [
        acled(1, "2019-06-01", ISKP, CIVILIANS, JALALABAD, assoc1="Lashkar-e-Islam"),
        acled(2, "2019-06-02", ISKP, CIVILIANS, JALALABAD, assoc1="Lashkar-e-Islam"),
        acled(3, "2019-09-01", ARMY, ISKP, KUNAR, assoc1="Lashkar-e-Islam", event_type="Battles"),
        acled(4, "2019-09-01", "Taliban", CIVILIANS, KANDAHAR, assoc1="Lashkar-e-Islam"),
    ]
    with rs.open() as store:
        store.ingest_acled(write_acled(tmp_path / "acled.csv", rows))
        result = network.compute(Dyad.of(store, "ISKP", "TALIBAN", phases=()))
    assert allies(result) == [("TALIBAN", "LI", 1, 1)]
    assert result.summary.startswith(
        "Islamic State Khorasan Province has no recorded ally in the window; no other actor was "
        "active within 3 days and 25 km of its events."
    )


def test_ucdp_secondary_parties(tmp_path: Path) -> None:
    """A UCDP side naming two governments: the second is the first's ally, and both fought
    the other side."""
    both = '"Government of Afghanistan, Government of United States of America"'
    path = tmp_path / "ged.csv"
    path.write_text(
        "\n".join(
            [
                UCDP_HEADER,
                ucdp_row(1, 1, both, "Taleban", "2019-01-01", 3, "Nangarhar"),
                ucdp_row(2, 1, both, "Taleban", "2019-02-01", 3, "Nangarhar"),
                ucdp_row(3, 1, both, "IS", "2019-03-01", 3, "Nangarhar"),
                ucdp_row(4, 1, "Government of Afghanistan", "IS", "2019-03-02", 3, "Nangarhar"),
                ucdp_row(
                    5, 1, "Government of Afghanistan", "Taleban", "2019-03-03", 3, "Nangarhar"
                ),
                ucdp_row(6, 3, "IS", "Civilians", "2019-03-04", 2, "Nangarhar"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with rs.open() as store:
        assert store.ingest_ucdp(path).rows_quarantined == 0
        republic = network.compute(Dyad.of(store, "AFG_REPUBLIC", "TALIBAN", phases=()))
        iskp_dyad = Dyad.of(store, "ISKP", "TALIBAN", phases=())
        iskp = network.compute(iskp_dyad)
        _, fights = network._same_and_opposite(iskp_dyad)
    assert allies(republic) == [("AFG_REPUBLIC", "US", 3, 1)]
    assert "Islamic Republic of Afghanistan's recorded ally" in republic.summary
    assert "Taliban has no recorded ally in the window" in republic.summary
    assert allies(iskp) == []
    # Both governments fought ISKP, the second as the first's associate.
    assert fights[("ISKP", "AFG_REPUBLIC")] == 2
    assert fights[("ISKP", "US")] == 1
    # The Republic fights the Taliban the day before ISKP's attack on civilians: a neighbour of
    # ISKP there (its clashes with ISKP are fights, not presence nearby), one that fought it.
    assert nearby(iskp) == [("ISKP", "AFG_REPUBLIC", 1, True, 2, 1)]


def test_never_allies_nor_neighbours(dyad: Dyad) -> None:
    """The rival, civilians, unidentified or ambiguous actors: in neither table."""
    result = network.compute(dyad, days=30, km=100.0)
    assert "TALIBAN_OR_ISKP" in set(dyad.events().actor1.to_pyarrow().to_pylist())
    named = set(result.allies["ally"].to_pylist()) | set(result.nearby["neighbour"].to_pylist())
    named |= set(result.edges["target"].to_pylist())
    assert named
    assert not named & {"CIVILIANS", "UNIDENTIFIED", "TALIBAN_OR_ISKP", "ISKP", "TALIBAN"}


@pytest.mark.parametrize(
    ("days", "km", "iskp_ttp", "taliban_ttp"),
    [
        (3, 2.0, None, None),
        (0, 25.0, None, None),
        (1, 25.0, 2, 1),
        (3, 50.0, 3, 1),
        (30, 50.0, 3, 1),
    ],
)
def test_colocation_window(
    dyad: Dyad, days: int, km: float, iskp_ttp: int | None, taliban_ttp: int | None
) -> None:
    result = network.compute(dyad, days=days, km=km)
    near = {(n[0], n[1]): n[2] for n in nearby(result)}
    assert near.get(("ISKP", "TTP")) == iskp_ttp
    assert near.get(("TALIBAN", "TTP")) == taliban_ttp


def test_top_and_swapped_sides(acled_store: rs.Store) -> None:
    swapped = Dyad.of(acled_store, "TALIBAN", "ISKP", country="AFG", phases=())
    result = network.compute(swapped, top=1)
    assert allies(result) == [("TALIBAN", "HAQQANI", 4, 1), ("ISKP", "LI", 2, 1)]
    assert nearby(result) == [
        ("TALIBAN", "AFG_REPUBLIC", 1, True, 4, 1),
        ("ISKP", "TTP", 3, True, 1, 1),
    ]
    assert result.summary.startswith(
        "Taliban's 2 recorded allies (named on its side of an event, never fighting it) include "
        "Haqqani Network (4 events); the actor most often active"
    )
    assert "the actor most often active within 3 days and 25 km" in result.summary


def test_window_limits_the_events(acled_store: rs.Store) -> None:
    """From 2020 on nobody is named with either side, and TTP never fought ISKP."""
    later = Dyad.of(acled_store, "ISKP", "TALIBAN", since="2020-01-01", phases=())
    result = network.compute(later)
    assert allies(result) == []
    assert nearby(result) == [
        ("ISKP", "TTP", 3, False, 0, 1),
        ("ISKP", "AFG_REPUBLIC", 1, True, 1, 2),
        ("TALIBAN", "AFG_REPUBLIC", 1, False, 0, 1),
        ("TALIBAN", "TTP", 1, False, 0, 2),
    ]
    assert "Tehrik-i-Taliban Pakistan (near 3 of its events; never fought it)" in result.summary


def test_empty_store() -> None:
    with rs.open() as empty:
        dyad = Dyad.of(empty, "ISKP", "TALIBAN", phases=())
        result = network.compute(dyad)
    assert result.edges.num_rows == result.allies.num_rows == result.nearby.num_rows == 0
    assert result.edges.schema == network.EDGE_SCHEMA
    assert result.allies.schema == network.ALLY_SCHEMA
    assert result.nearby.schema == network.NEARBY_SCHEMA
    assert result.summary == (
        "Islamic State Khorasan Province has no recorded ally in the window; no other actor was "
        "active within 3 days and 25 km of its events. Taliban has no recorded ally in the "
        "window; no other actor was active within 3 days and 25 km of its events."
    )


@pytest.mark.parametrize("options", [{"days": -1}, {"km": 0.0}, {"km": -5.0}, {"top": 0}], ids=str)
def test_bad_parameters(dyad: Dyad, options: dict[str, float]) -> None:
    with pytest.raises(InputError):
        network.compute(dyad, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def afghan_store(tmp_path_factory: pytest.TempPathFactory) -> rs.Store:
    store = rs.open(tmp_path_factory.mktemp("real-network") / "afg.duckdb")
    store.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
    return store


@pytest.fixture(scope="module")
def world_store(tmp_path_factory: pytest.TempPathFactory) -> rs.Store:
    store = rs.open(tmp_path_factory.mktemp("real-network") / "world.duckdb")
    store.ingest_ucdp(shared_file("ucdp_ged211_world_precise.csv"))
    return store


@pytest.mark.realdata
def test_real_iskp_has_no_enemy_for_an_ally(afghan_store: rs.Store) -> None:
    dyad = Dyad.of(afghan_store, "ISKP", "TALIBAN", country="AFG")
    result = network.compute(dyad)
    iskp_allies = {r["ally"] for r in result.allies.to_pylist() if r["side"] == "ISKP"}
    assert not iskp_allies & {"AFG_REPUBLIC", "TALIBAN", "US"}
    near = {r["neighbour"]: r for r in result.nearby.to_pylist() if r["side"] == "ISKP"}
    assert near["AFG_REPUBLIC"]["fought"] and near["AFG_REPUBLIC"]["fights"] > 100
    for row in result.nearby.to_pylist():
        assert row["neighbour"] not in {"ISKP", "TALIBAN", "CIVILIANS", "UNIDENTIFIED"}
        assert row["fought"] == (row["fights"] > 0)
    assert "partner" not in result.summary.lower()
    assert ids_in(result.summary, dyad, result) == set()
    assert dyad.name("AFG_REPUBLIC") in result.summary


@pytest.mark.realdata
def test_real_syrian_government_is_no_ally_of_is(world_store: rs.Store) -> None:
    sdf = world_store.actor_id("SDF")
    dyad = Dyad.of(world_store, "IS", sdf, country="SYR")
    result = network.compute(dyad)
    is_allies = {r["ally"] for r in result.allies.to_pylist() if r["side"] == "IS"}
    assert "SYR" not in is_allies
    near = {r["neighbour"]: r for r in result.nearby.to_pylist() if r["side"] == "IS"}
    assert near["SYR"]["fought"]
    assert "partner" not in result.summary.lower()


@pytest.fixture(scope="module")
def synth_dyad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dyad]:
    from rivalscope.synth import generate

    files = generate(
        tmp_path_factory.mktemp("network-synth"), seed=5, ged_rows=3000, acled_rows=2000
    )
    with rs.open() as opened:
        opened.ingest("ucdp", files.ged_csv)
        opened.ingest("acled", files.acled_csv)
        yield Dyad.of(opened, "ISKP", "TALIBAN", country="AFG", phases=())


def brute_force(dyad: Dyad, days: int, km: float) -> dict[tuple[str, str], int]:
    """Every pair of events, checked one by one: the definition, written out (an actor's
    events: those naming it as actor1 or actor2)."""
    never = set(network._never(dyad))
    t = dyad.events()
    placed = t.filter(t.latitude.notnull(), t.longitude.notnull(), t.date_start.notnull())
    rows = placed.select(
        "event_id", "actor1", "actor2", "date_start", "latitude", "longitude"
    ).to_pyarrow()
    events = [
        {**r, "actor": r[mine], "target": r[theirs] or ""}
        for r in rows.to_pylist()
        for mine, theirs in (("actor1", "actor2"), ("actor2", "actor1"))
        if r[mine] is not None and r[mine] not in never
    ]
    sides = (dyad.actor, dyad.rival)
    found: dict[tuple[str, str], int] = {}
    for mine in (e for e in events if e["actor"] in sides):
        others = {
            other["actor"]
            for other in events
            if other["actor"] not in sides
            and other["actor"] != mine["target"]
            and other["target"] != mine["actor"]
            and abs((other["date_start"] - mine["date_start"]).days) <= days
            and great_circle_km(
                mine["latitude"], mine["longitude"], other["latitude"], other["longitude"]
            )
            <= km
        }
        for other in others:
            key = (mine["actor"], other)
            found[key] = found.get(key, 0) + 1
    return found


@pytest.mark.parametrize(("days", "km"), [(0, 10.0), (3, 25.0), (10, 60.0)])
def test_colocation_matches_brute_force_both_ways(
    synth_dyad: Dyad, days: int, km: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of bits and the backend's join of event pairs give the definition's counts."""
    expected = brute_force(synth_dyad, days, km)
    assert len(expected) >= 2, "the synthetic window should give several neighbours"
    by_places = network.compute(synth_dyad, days=days, km=km)
    monkeypatch.setattr(network, "MAX_PLACE_DAYS", 0)
    by_pairs = network.compute(synth_dyad, days=days, km=km)
    for result in (by_places, by_pairs):
        got = {(e[0], e[1]): e[3] for e in edges(result) if e[2] == "nearby"}
        assert got == expected
