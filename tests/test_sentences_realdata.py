"""The profile's sentences, checked against figures recomputed from the raw UCDP GED 21.1 CSVs.

For two rivalries (ISKP vs the Taliban in Afghanistan, IS vs the SDF in Syria) this module
recomputes every figure the timeline, targets and spread sentences state with its own pandas
code, written apart from the library: rivalscope is used only to build the store and the
profile, never for the oracle. The oracle applies UCDP's own role model:

* one-sided violence (type 3) is the only kind where UCDP names who acted: side_a, the
  perpetrator, against side_b, `Civilians`;
* state-based (1) and non-state (2) events credit neither side with starting anything; each
  counts for both sides, whichever is side_a;
* "the state" is the government of the day in the event's country (UCDP writes
  `Government of Afghanistan` for whoever held Kabul); a fight with the state is a type 1 event
  between the side and that government; any other `Government of X` is a foreign force.

Expected sentences are built from the oracle's numbers (display names from ``p.dyad.name``,
numbers of 1,000 or more with thousands separators, percentages rounded half up with "<1%"
for those that round to 0) and asserted to be in the library's summaries.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import rivalscope as rs
from tests.conftest import shared_file

if TYPE_CHECKING:  # the type only: the oracle uses none of rivalscope's analysis code
    from rivalscope.analysis.profile import Profile

pytestmark = pytest.mark.realdata

CIVILIANS = "Civilians"
CORE_SECTIONS = ("timeline", "spread", "targets", "phases", "harm", "defections")
REWRITTEN_SECTIONS = ("hotspots", "network")
ALL_SECTIONS = CORE_SECTIONS + REWRITTEN_SECTIONS


# --- The two rivalries -------------------------------------------------------------------------


def _afghan_regime(day: pd.Timestamp) -> str:
    """Who `Government of Afghanistan` is on ``day``: whoever held Kabul (historical dates)."""
    if day < pd.Timestamp("1992-04-28"):  # the mujahideen take Kabul
        return "AFG_DRA"
    if day < pd.Timestamp("1996-09-27"):  # the Taliban take Kabul
        return "AFG_ISA"
    if day < pd.Timestamp("2001-12-22"):  # the Interim Administration takes office
        return "TALIBAN"
    return "AFG_REPUBLIC"  # the data ends in 2020, before the Taliban's return in August 2021


def _syrian_regime(day: pd.Timestamp) -> str:
    return "SYR"


@dataclass(frozen=True)
class Rivalry:
    key: str
    csv: str
    country: str  # the CSV's `country` value
    iso3: str
    host_government: str  # UCDP's spelling of the host country's government
    regime: Callable[[pd.Timestamp], str]  # the host government's id on a day
    regimes: tuple[str, ...]  # every id the host government can resolve to
    actor_ucdp: str
    rival_ucdp: str
    actor_id: str | None  # None: ask the store for the UCDP name's id
    rival_id: str | None
    provinces: int | None  # the country's first-level divisions; None: none placed in the data

    def store_ids(self, store: rs.Store) -> tuple[str, str]:
        actor = self.actor_id or store.actor_id(self.actor_ucdp)
        rival = self.rival_id or store.actor_id(self.rival_ucdp)
        return actor, rival


AFG = Rivalry(
    key="ISKP-Taliban-AFG",
    csv="ucdp_ged211_afghanistan.csv",
    country="Afghanistan",
    iso3="AFG",
    host_government="Government of Afghanistan",
    regime=_afghan_regime,
    regimes=("AFG_DRA", "AFG_ISA", "TALIBAN", "AFG_REPUBLIC"),
    actor_ucdp="IS",
    rival_ucdp="Taleban",
    actor_id="ISKP",
    rival_id="TALIBAN",
    provinces=34,
)

SYR = Rivalry(
    key="IS-SDF-SYR",
    csv="ucdp_ged211_world_precise.csv",
    country="Syria",
    iso3="SYR",
    host_government="Government of Syria",
    regime=_syrian_regime,
    regimes=("SYR",),
    actor_ucdp="IS",
    rival_ucdp="SDF",
    actor_id=None,
    rival_id=None,
    provinces=None,  # adm_1 is empty in the world file and no boundaries are loaded
)


# --- The pandas oracle -------------------------------------------------------------------------


@dataclass
class SideFigures:
    """What one side did in the country, over the whole data (the profile's default window)."""

    events: int
    relations: Counter[str]  # state, civilians, rival, foreign, group -> events
    state_regimes: Counter[str]  # host government id -> events against it
    state_fights: int  # type 1 events against the government of the day
    attacks: int  # type 3 events with the side as side_a
    attacks_all_on_civilians: bool
    self_fights: int  # events against itself (e.g. the Taliban as the state vs the Taliban)


@dataclass
class Oracle:
    actor: str
    rival: str
    clashes: int
    clash_types: Counter[int]
    clash_deaths: int
    first_clash: pd.Timestamp
    last_clash: pd.Timestamp
    clashes_by_year: Counter[int]
    clash_provinces: Counter[str]
    rival_rows_by_type: Counter[int]
    sides: dict[str, SideFigures] = field(default_factory=dict)


def _read(rivalry: Rivalry) -> pd.DataFrame:
    raw = pd.read_csv(shared_file(rivalry.csv), dtype=str, keep_default_na=False)
    rows = raw[raw["country"] == rivalry.country].copy()
    rows["violence"] = rows["type_of_violence"].astype(int)
    rows["deaths"] = rows["best"].astype(int)
    rows["day"] = pd.to_datetime(rows["date_start"])
    return rows


def _who(rivalry: Rivalry, actor: str, rival: str) -> Callable[[str, pd.Timestamp], str]:
    """Map a UCDP side name on a day to the oracle's label for it."""

    def who(name: str, day: pd.Timestamp) -> str:
        if name == rivalry.actor_ucdp:
            return actor
        if name == rivalry.rival_ucdp:
            return rival
        if name == rivalry.host_government:
            return rivalry.regime(day)
        if name == CIVILIANS:
            return CIVILIANS
        if name.startswith("Government of "):
            return "foreign:" + name
        return "group:" + name

    return who


def _oracle(rivalry: Rivalry, rows: pd.DataFrame, actor: str, rival: str) -> Oracle:
    who = _who(rivalry, actor, rival)
    a = pd.Series(
        [who(n, d) for n, d in zip(rows["side_a"], rows["day"], strict=True)], index=rows.index
    )
    b = pd.Series(
        [who(n, d) for n, d in zip(rows["side_b"], rows["day"], strict=True)], index=rows.index
    )
    between = ((a == actor) & (b == rival)) | ((a == rival) & (b == actor))
    pair = rows[between]
    clashes = pair[pair["violence"].isin([1, 2])]
    provinces = Counter(
        name.removesuffix(" province") for name in clashes["adm_1"] if name.strip() != ""
    )
    oracle = Oracle(
        actor=actor,
        rival=rival,
        clashes=len(clashes),
        clash_types=Counter(clashes["violence"]),
        clash_deaths=int(clashes["deaths"].sum()),
        first_clash=clashes["day"].min(),
        last_clash=clashes["day"].max(),
        clashes_by_year=Counter(clashes["day"].dt.year),
        clash_provinces=provinces,
        rival_rows_by_type=Counter(pair["violence"]),
    )
    for side, other_side in ((actor, rival), (rival, actor)):
        mine = (a == side) | (b == side)
        other = b.where(a == side, a)[mine]
        kinds = rows.loc[mine, "violence"]
        relation = pd.Series("group", index=other.index)
        relation[other.str.startswith("foreign:")] = "foreign"
        relation[other.isin(rivalry.regimes) & (other != side)] = "state"
        relation[other == other_side] = "rival"
        relation[kinds == 3] = "civilians"
        own_attacks = rows[(a == side) & (rows["violence"] == 3)]
        oracle.sides[side] = SideFigures(
            events=int(mine.sum()),
            relations=Counter(relation),
            state_regimes=Counter(other[relation == "state"]),
            state_fights=int(((relation == "state") & (kinds == 1)).sum()),
            attacks=len(own_attacks),
            attacks_all_on_civilians=bool((own_attacks["side_b"] == CIVILIANS).all()),
            self_fights=int(((a == side) & (b == side)).sum()),
        )
    return oracle


# --- Fixtures ----------------------------------------------------------------------------------


@dataclass
class Case:
    rivalry: Rivalry
    store: rs.Store
    profile: Profile
    oracle: Oracle
    rows: pd.DataFrame

    def name(self, actor_id: str) -> str:
        shown = self.profile.dyad.name(actor_id)
        assert shown != actor_id, f"{actor_id} has no display name"
        return shown

    def summaries(self, sections: tuple[str, ...] = ALL_SECTIONS) -> dict[str, str]:
        return {section: getattr(self.profile, section).summary for section in sections}


@pytest.fixture(scope="module")
def stores() -> Iterator[dict[str, rs.Store]]:
    """One store per CSV, shared by the module (the world file takes a while to ingest)."""
    opened: dict[str, rs.Store] = {}
    yield opened
    for store in opened.values():
        store.close()


def _store(stores: dict[str, rs.Store], csv: str, folder: Path) -> rs.Store:
    if csv not in stores:
        store = rs.open(folder / (Path(csv).stem + ".duckdb"))
        store.ingest_ucdp(shared_file(csv))
        stores[csv] = store
    return stores[csv]


@pytest.fixture(scope="module", params=[AFG, SYR], ids=lambda rivalry: rivalry.key)
def case(
    request: pytest.FixtureRequest,
    stores: dict[str, rs.Store],
    tmp_path_factory: pytest.TempPathFactory,
) -> Case:
    rivalry: Rivalry = request.param
    rows = _read(rivalry)
    store = _store(stores, rivalry.csv, tmp_path_factory.mktemp("sentences"))
    actor, rival = rivalry.store_ids(store)
    profile = rs.profile(store, actor, rival, country=rivalry.iso3)
    return Case(rivalry, store, profile, _oracle(rivalry, rows, actor, rival), rows)


@pytest.fixture(scope="module")
def afghan(stores: dict[str, rs.Store], tmp_path_factory: pytest.TempPathFactory) -> Case:
    rows = _read(AFG)
    store = _store(stores, AFG.csv, tmp_path_factory.mktemp("sentences"))
    actor, rival = AFG.store_ids(store)
    profile = rs.profile(store, actor, rival, country=AFG.iso3)
    return Case(AFG, store, profile, _oracle(AFG, rows, actor, rival), rows)


# --- Helpers for expected text -----------------------------------------------------------------


def _share(part: int, whole: int) -> str:
    """A percentage rounded half up; "<1%" for a share that rounds to 0."""
    percent = math.floor(100 * part / whole + 0.5)
    return "<1%" if percent == 0 else f"{percent}%"


def _month(day: pd.Timestamp) -> str:
    return f"{calendar.month_name[day.month]} {day.year}"


def _and(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _targets_sentence(case: Case, side: str) -> str:
    """The targets sentence for one side, from the oracle's figures."""
    figures = case.oracle.sides[side]
    other = case.oracle.rival if side == case.oracle.actor else case.oracle.actor
    counts = sorted(figures.relations.items(), key=lambda item: -item[1])
    assert len({n for _, n in counts}) == len(counts), f"tied relations, order undefined: {counts}"
    regimes = [regime for regime, _ in figures.state_regimes.most_common()]
    label = {
        "state": "the state (" + _and([case.name(r) for r in regimes]) + ")",
        "civilians": "civilians",
        "rival": case.name(other),
        "foreign": "foreign forces",
        "group": "other armed groups",
    }
    parts = [f"{n:,} ({_share(n, figures.events)}) against {label[rel]}" for rel, n in counts]
    return f"{case.name(side)} took part in {figures.events:,} events: {_and(parts)}."


def _who_acted_sentence(case: Case, side: str) -> str:
    figures = case.oracle.sides[side]
    shown = case.name(side)
    if figures.attacks == 0:
        return (
            "The sources name no side as the one that acted in any of them, so none is "
            f"credited to {shown} as its initiative."
        )
    assert figures.attacks_all_on_civilians
    return (
        f"The sources name who acted in {figures.attacks:,} of them: {shown} in "
        f"{figures.attacks:,}; every attack or operation of {shown} hit civilians; in the other "
        f"{figures.events - figures.attacks:,} they name no initiator, so neither side is "
        "credited with starting them."
    )


# --- The oracle itself -------------------------------------------------------------------------


def test_oracle_finds_the_iskp_done_when_figures(afghan: Case) -> None:
    iskp = afghan.oracle.sides["ISKP"]
    assert iskp.events == 827
    assert iskp.state_fights == 677
    assert iskp.state_regimes == Counter({"AFG_REPUBLIC": 677})
    assert iskp.relations["rival"] == afghan.oracle.clashes == 71
    assert iskp.relations["civilians"] == iskp.attacks == 78
    assert afghan.oracle.clash_types == Counter({2: 71})
    for side in afghan.oracle.sides.values():
        assert side.self_fights == 0


# --- Numbers in the sentences ------------------------------------------------------------------


def test_timeline_states_the_clash_figures(case: Case) -> None:
    o = case.oracle
    summary = case.profile.timeline.summary
    busiest, count = o.clashes_by_year.most_common(1)[0]
    assert list(o.clashes_by_year.values()).count(count) == 1, "tied busiest years"
    expected = (
        f"{case.name(o.actor)} and {case.name(o.rival)} clashed {o.clashes:,} times from "
        f"{_month(o.first_clash)} to {_month(o.last_clash)}, with {o.clash_deaths:,} deaths "
        f"(best estimates); the busiest year was {busiest} with {count:,} clashes."
    )
    assert expected in summary, f"expected {expected!r}\nprinted  {summary!r}"


def test_timeline_states_fights_with_the_state_and_attacks(case: Case) -> None:
    o = case.oracle
    actor, rival = o.sides[o.actor], o.sides[o.rival]
    a, r = case.name(o.actor), case.name(o.rival)
    summary = case.profile.timeline.summary
    fights = (
        f"{a} fought the state {actor.state_fights:,} times and {r} {rival.state_fights:,} times"
    )
    attacks = (
        f"the sources name {a} as the attacker in {actor.attacks:,} attacks "
        f"and {r} in {rival.attacks:,}"
    )
    assert fights in summary, f"expected {fights!r}\nprinted  {summary!r}"
    assert attacks in summary, f"expected {attacks!r}\nprinted  {summary!r}"


@pytest.mark.parametrize("which", ["actor", "rival"])
def test_targets_states_each_sides_events_by_target(case: Case, which: str) -> None:
    side = getattr(case.oracle, which)
    summary = case.profile.targets.summary
    expected = _targets_sentence(case, side)
    assert expected in summary, f"expected {expected!r}\nprinted  {summary!r}"


@pytest.mark.parametrize("which", ["actor", "rival"])
def test_targets_states_who_acted(case: Case, which: str) -> None:
    side = getattr(case.oracle, which)
    summary = case.profile.targets.summary
    expected = _who_acted_sentence(case, side)
    assert expected in summary, f"expected {expected!r}\nprinted  {summary!r}"


def test_spread_states_the_provinces(case: Case) -> None:
    o = case.oracle
    summary = case.profile.spread.summary
    pair = f"{case.name(o.actor)} and {case.name(o.rival)}"
    if case.rivalry.provinces is None:
        assert not o.clash_provinces  # the raw file places no clash in a province
        assert "no clash has a known province" in summary
        assert not re.search(r"\bprovinces \(\d+%\)", summary)
        expected = f"{pair} clashed {o.clashes:,} times"
        assert expected in summary, f"expected {expected!r}\nprinted  {summary!r}"
        return
    assert len(set(case.rows["adm_1"])) == case.rivalry.provinces
    assert sum(o.clash_provinces.values()) == o.clashes
    (top, most), *rest = o.clash_provinces.most_common()
    assert not rest or rest[0][1] < most, "tied top provinces"
    k, total = len(o.clash_provinces), case.rivalry.provinces
    expected = (
        f"{pair} clashed in {k} of {case.rivalry.country}'s {total} provinces "
        f"({_share(k, total)}). {top} saw most of it: {most:,} of {o.clashes:,} clashes."
    )
    assert expected in summary, f"expected {expected!r}\nprinted  {summary!r}"


# --- What no sentence may claim ----------------------------------------------------------------


def test_timeline_never_denies_state_operations_when_there_are_state_fights(case: Case) -> None:
    o = case.oracle
    assert o.sides[o.actor].state_fights + o.sides[o.rival].state_fights > 0
    summary = case.profile.timeline.summary
    assert not re.search(r"\bno state operations?\b", summary, re.IGNORECASE), summary


ROLE_CLAIMS = re.compile(r"\b(acted first|started|initiated|never acted)\b", re.IGNORECASE)


def test_no_sentence_credits_a_side_with_starting_a_clash(case: Case) -> None:
    assert case.oracle.rival_rows_by_type.get(2, 0) > 0
    for section, summary in case.summaries(CORE_SECTIONS).items():
        found = ROLE_CLAIMS.findall(summary)
        assert not found, f"{section} says {found}: {summary!r}"


def _raw_ids(case: Case) -> list[str]:
    """The ids of the two sides and the host governments, as long as they differ from the display
    names; the country code (also the id of a state such as `SYR`) may name the country."""
    o = case.oracle
    ids = {o.actor, o.rival, *case.rivalry.regimes} - {case.rivalry.iso3}
    return sorted(i for i in ids if i != case.profile.dyad.name(i))


def _check_no_partner(case: Case, sections: tuple[str, ...]) -> None:
    for section, summary in case.summaries(sections).items():
        assert not re.search(r"partner", summary, re.IGNORECASE), f"{section}: {summary!r}"


def _check_no_raw_ids(case: Case, sections: tuple[str, ...]) -> None:
    ids = _raw_ids(case)
    assert ids  # at least the two sides have display names that differ from their ids
    for section, summary in case.summaries(sections).items():
        found = [i for i in ids if re.search(rf"\b{re.escape(i)}\b", summary)]
        assert not found, f"{section} prints raw ids {found}: {summary!r}"


def test_no_core_sentence_says_partner(case: Case) -> None:
    _check_no_partner(case, CORE_SECTIONS)


def test_no_core_sentence_prints_a_raw_id(case: Case) -> None:
    _check_no_raw_ids(case, CORE_SECTIONS)


def test_network_and_hotspots_never_say_partner(case: Case) -> None:
    _check_no_partner(case, REWRITTEN_SECTIONS)


def test_network_and_hotspots_print_no_raw_id(case: Case) -> None:
    _check_no_raw_ids(case, REWRITTEN_SECTIONS)


# --- The table and the JSON --------------------------------------------------------------------


def test_rival_rows_credit_no_initiator(case: Case) -> None:
    o = case.oracle
    # UCDP names no initiator in non-state conflict, and the two meet only there (or in type 1).
    assert o.rival_rows_by_type.get(2, 0) > 0
    assert set(o.rival_rows_by_type) <= {1, 2}
    table = case.profile.targets.table.to_pylist()
    for side in (o.actor, o.rival):
        rows = [row for row in table if row["side"] == side and row["relation"] == "rival"]
        assert rows, f"no rival rows for {side}"
        for row in rows:
            assert (row["acted_side"], row["acted_other"]) == (0, 0), row
        overall = [row for row in rows if row["phase"] == "all"]
        assert [row["events"] for row in overall] == [o.clashes]


def test_only_one_sided_rows_credit_an_initiator(case: Case) -> None:
    o = case.oracle
    table = case.profile.targets.table.to_pylist()
    for side in (o.actor, o.rival):
        figures = o.sides[side]
        overall = {
            row["relation"]: row for row in table if row["side"] == side and row["phase"] == "all"
        }
        assert {rel: row["events"] for rel, row in overall.items()} == dict(figures.relations)
        for relation, row in overall.items():
            if relation == "civilians":
                assert (row["acted_side"], row["acted_other"]) == (figures.attacks, 0), row
            else:
                assert (row["acted_side"], row["acted_other"]) == (0, 0), row


def test_json_names_map_ids_to_the_display_names_used(case: Case) -> None:
    o = case.oracle
    data = case.profile.to_dict()
    names = data["names"]
    summaries = case.summaries()
    used = {o.actor, o.rival}
    for side in (o.actor, o.rival):
        used |= set(o.sides[side].state_regimes)
    for actor_id in sorted(used):
        shown = case.name(actor_id)
        assert any(shown in text for text in summaries.values()), f"{shown} is not printed"
        assert names.get(actor_id) == shown, f"names[{actor_id!r}] is {names.get(actor_id)!r}"
    for actor_id, shown in names.items():
        assert shown == case.profile.dyad.name(actor_id)
    assert data["dyad"]["actor_name"] == names[o.actor]
    assert data["dyad"]["rival_name"] == names[o.rival]
