"""Network: associated actors and co-located actors of each side, on a hand-made ACLED file."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator

import pytest

import rivalscope as rs
from rivalscope.analysis import network
from rivalscope.analysis.context import Dyad
from rivalscope.analysis.hotspots import EARTH_RADIUS_KM, great_circle_km
from rivalscope.errors import InputError
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
    """Allies: TALIBAN with Haqqani and al-Qaeda in 3 events, with Haqqani as actor2 once more;
    ISKP with Lashkar-e-Islam in 2. Co-location (defaults 3 days, 25 km): TTP 3 km from an ISKP
    event a day later and 4 km from another two days later (2 ISKP events with TTP near); TTP
    40 km from the first (within 50 km it is a second TTP event near the same ISKP event, still
    one), TTP 10 days later, an army clash with ISKP, an unidentified group, an ambiguous
    attribution and the Taliban next to ISKP events (none counted); TTP 4 km from a Taliban
    event a day later (1 Taliban event with TTP near).
    """
    clash = "Battles"
    return [
        acled(1, "2019-01-01", "Taliban", ARMY, KANDAHAR, assoc1="Haqqani Network; Al Qaeda",
              event_type=clash),
        acled(2, "2019-01-02", "Taliban", ARMY, KANDAHAR, assoc1="Haqqani Network; Al Qaeda",
              event_type=clash),
        acled(3, "2019-01-03", "Taliban", ARMY, KANDAHAR, assoc1="Haqqani Network; Al Qaeda",
              event_type=clash),
        acled(4, "2019-01-04", ARMY, "Taliban", KANDAHAR, assoc2="Haqqani Network",
              event_type=clash),
        acled(5, "2019-06-01", ISKP, CIVILIANS, JALALABAD, assoc1="Lashkar-e-Islam"),
        acled(6, "2019-06-02", ISKP, CIVILIANS, JALALABAD, assoc1="Lashkar-e-Islam"),
        acled(7, "2019-06-10", "Tehrik-i-Taliban Pakistan", CIVILIANS, KUNAR,
              assoc1="Lashkar-e-Islam"),
        acled(8, "2018-01-01", ARMY, ISKP, KUNAR, assoc2=CIVILIANS, event_type=clash),
        acled(10, "2020-05-10", ISKP, CIVILIANS, JALALABAD),
        acled(11, "2020-06-10", ISKP, CIVILIANS, JALALABAD),
        acled(12, "2020-05-11", "Tehrik-i-Taliban Pakistan", CIVILIANS, east(JALALABAD, 3)),
        acled(13, "2020-06-12", "Tehrik-i-Taliban Pakistan", CIVILIANS, east(JALALABAD, 4)),
        acled(14, "2020-05-10", "Tehrik-i-Taliban Pakistan", CIVILIANS, east(JALALABAD, 40)),
        acled(15, "2020-05-20", "Tehrik-i-Taliban Pakistan", CIVILIANS, JALALABAD),
        acled(16, "2020-05-10", ARMY, ISKP, JALALABAD, event_type=clash),
        acled(17, "2020-05-11", "Unidentified Armed Group (Afghanistan)", CIVILIANS, JALALABAD),
        acled(18, "2020-06-11", "Taliban", CIVILIANS, JALALABAD),
        acled(19, "2020-05-11", "Taliban and/or Islamic State Khorasan Province", CIVILIANS,
              JALALABAD),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def acled_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rs.Store]:
    path = tmp_path_factory.mktemp("network") / "acled.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(HEADER)
        csv.writer(handle, lineterminator="\n").writerows(fixture_rows())
    with rs.open() as opened:
        assert opened.ingest_acled(path).rows_quarantined == 0
        yield opened


@pytest.fixture
def dyad(acled_store: rs.Store) -> Dyad:
    return Dyad.of(acled_store, "ISKP", "TALIBAN", country="AFG", phases=())


def edges(result: network.Network) -> list[tuple[str, str, str, int]]:
    return [(e["source"], e["target"], e["kind"], e["weight"]) for e in result.edges.to_pylist()]


def partners(result: network.Network) -> list[tuple[str, str, int, int, int, int]]:
    return [
        (p["side"], p["partner"], p["assoc"], p["colocated"], p["weight"], p["rank"])
        for p in result.partners.to_pylist()
    ]


def test_fixture_distances() -> None:
    assert great_circle_km(*JALALABAD, *east(JALALABAD, 3)) == pytest.approx(3, abs=0.01)
    assert great_circle_km(*JALALABAD, *east(JALALABAD, 40)) == pytest.approx(40, abs=0.05)


def test_edges_and_partners(dyad: Dyad) -> None:
    result = network.compute(dyad)
    assert (result.days, result.km, result.top) == (3, 25.0, 10)
    assert result.edges.schema == network.EDGE_SCHEMA
    assert result.partners.schema == network.PARTNER_SCHEMA
    assert edges(result) == [
        ("HAQQANI", "TALIBAN", "assoc", 4),
        ("AQ", "HAQQANI", "assoc", 3),
        ("AQ", "TALIBAN", "assoc", 3),
        ("ISKP", "LI", "assoc", 2),
        ("ISKP", "TTP", "colocated", 2),
        ("TALIBAN", "TTP", "colocated", 1),
    ]
    assert partners(result) == [
        ("ISKP", "LI", 2, 0, 2, 1),
        ("ISKP", "TTP", 0, 2, 2, 2),
        ("TALIBAN", "HAQQANI", 4, 0, 4, 1),
        ("TALIBAN", "AQ", 3, 0, 3, 2),
        ("TALIBAN", "TTP", 0, 1, 1, 3),
    ]
    assert result.summary == (
        "ISKP's strongest partners are LI (ally in 2 events) and TTP (near 2 of its events: "
        "within 3 days and 25 km). TALIBAN's strongest partners are HAQQANI (ally in 4 events), "
        "AQ (ally in 3 events) and TTP (near 1 of its events: within 3 days and 25 km)."
    )


def test_never_partners(dyad: Dyad) -> None:
    """The rival, civilians, unidentified or ambiguous actors, an army fighting it: left out."""
    result = network.compute(dyad, days=30, km=100.0)
    named = set(result.edges["source"].to_pylist()) | set(result.edges["target"].to_pylist())
    assert "TALIBAN_OR_ISKP" in set(dyad.events().actor1.to_pyarrow().to_pylist())
    assert not named & {"CIVILIANS", "UNIDENTIFIED", "TALIBAN_OR_ISKP"}
    assert ("ISKP", "TALIBAN") not in {(e[0], e[1]) for e in edges(result)}
    by_side = {(p[0], p[1]) for p in partners(result)}
    assert ("ISKP", "TALIBAN") not in by_side
    assert ("TALIBAN", "ISKP") not in by_side
    assert ("ISKP", "AFG_REPUBLIC") not in by_side


@pytest.mark.parametrize(
    ("days", "km", "iskp_ttp", "taliban_ttp"),
    [
        (3, 2.0, None, None),
        (0, 25.0, None, None),
        (1, 25.0, 1, 1),
        (3, 50.0, 2, 1),
        (30, 50.0, 2, 1),
    ],
)
def test_colocation_window(
    dyad: Dyad, days: int, km: float, iskp_ttp: int | None, taliban_ttp: int | None
) -> None:
    result = network.compute(dyad, days=days, km=km)
    colocated = {(e[0], e[1]): e[3] for e in edges(result) if e[2] == "colocated"}
    assert colocated.get(("ISKP", "TTP")) == iskp_ttp
    assert colocated.get(("TALIBAN", "TTP")) == taliban_ttp
    assert len(colocated) == (iskp_ttp is not None) + (taliban_ttp is not None)


def test_top_and_swapped_sides(acled_store: rs.Store) -> None:
    swapped = Dyad.of(acled_store, "TALIBAN", "ISKP", country="AFG", phases=())
    result = network.compute(swapped, top=1)
    assert partners(result) == [
        ("TALIBAN", "HAQQANI", 4, 0, 4, 1),
        ("ISKP", "LI", 2, 0, 2, 1),
    ]
    assert result.summary.startswith("TALIBAN's strongest partner is HAQQANI (ally in 4 events).")


def test_window_limits_the_events(acled_store: rs.Store) -> None:
    later = Dyad.of(acled_store, "ISKP", "TALIBAN", since="2020-01-01", phases=())
    result = network.compute(later)
    assert [e[2] for e in edges(result)] == ["colocated", "colocated"]
    assert partners(result) == [("ISKP", "TTP", 0, 2, 2, 1), ("TALIBAN", "TTP", 0, 1, 1, 1)]


def test_empty_store() -> None:
    with rs.open() as empty:
        result = network.compute(Dyad.of(empty, "ISKP", "TALIBAN", phases=()))
    assert result.edges.num_rows == 0
    assert result.edges.schema == network.EDGE_SCHEMA
    assert result.partners.num_rows == 0
    assert result.partners.schema == network.PARTNER_SCHEMA
    assert result.summary.startswith("ISKP has no partners in the window")
    assert "TALIBAN has no partners in the window" in result.summary


@pytest.mark.parametrize("options", [{"days": -1}, {"km": 0.0}, {"km": -5.0}, {"top": 0}], ids=str)
def test_bad_parameters(dyad: Dyad, options: dict[str, float]) -> None:
    with pytest.raises(InputError):
        network.compute(dyad, **options)  # type: ignore[arg-type]


@pytest.mark.realdata
def test_real_network_keeps_its_rules() -> None:
    with rs.open() as real:
        real.ingest_ucdp(shared_file("ucdp_ged211_afghanistan.csv"))
        result = network.compute(Dyad.of(real, "ISKP", "TALIBAN", country="AFG"))
    rows = result.partners.to_pylist()
    assert rows, "UCDP should give both sides some partner"
    for row in rows:
        assert row["partner"] not in {"ISKP", "TALIBAN", "CIVILIANS", "UNIDENTIFIED"}
        assert row["weight"] == row["assoc"] + row["colocated"]
    for edge in result.edges.to_pylist():
        assert edge["source"] < edge["target"]
    iskp = [r for r in rows if r["side"] == "ISKP"]
    assert iskp[0]["partner"] == "AFG_REPUBLIC"


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
    """Every pair of events, checked one by one: the definition, written out."""
    never = set(network._never_partners(dyad))
    t = dyad.events()
    placed = t.filter(t.latitude.notnull(), t.longitude.notnull(), t.actor1.notnull())
    rows = placed.select("actor1", "actor2", "date_start", "latitude", "longitude").to_pyarrow()
    events = [r for r in rows.to_pylist() if r["actor1"] not in never]
    sides = (dyad.actor, dyad.rival)
    found: dict[tuple[str, str], int] = {}
    for mine in (e for e in events if e["actor1"] in sides):
        partners = {
            other["actor1"]
            for other in events
            if other["actor1"] not in sides
            and other["actor1"] != (mine["actor2"] or "")
            and (other["actor2"] or "") != mine["actor1"]
            and abs((other["date_start"] - mine["date_start"]).days) <= days
            and great_circle_km(
                mine["latitude"], mine["longitude"], other["latitude"], other["longitude"]
            )
            <= km
        }
        for partner in partners:
            key = (min(mine["actor1"], partner), max(mine["actor1"], partner))
            found[key] = found.get(key, 0) + 1
    return found


@pytest.mark.parametrize(("days", "km"), [(0, 10.0), (3, 25.0), (10, 60.0)])
def test_colocation_matches_brute_force_both_ways(
    synth_dyad: Dyad, days: int, km: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of bits and the backend's join of event pairs give the definition's counts."""
    expected = brute_force(synth_dyad, days, km)
    assert len(expected) >= 2, "the synthetic window should give several co-located partners"
    by_places = network.compute(synth_dyad, days=days, km=km)
    monkeypatch.setattr(network, "MAX_PLACE_DAYS", 0)
    by_pairs = network.compute(synth_dyad, days=days, km=km)
    for result in (by_places, by_pairs):
        got = {(e[0], e[1]): e[3] for e in edges(result) if e[2] == "colocated"}
        assert got == expected
