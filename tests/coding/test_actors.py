"""Actor names resolve through the registry by country and date."""

from __future__ import annotations

import datetime as dt

import pytest

import rivalscope as rs
from rivalscope.actors import alias_key
from rivalscope.coding.actors import ActorNames

BEFORE = dt.date(2021, 8, 14)
AFTER = dt.date(2021, 8, 15)


@pytest.fixture(scope="module")
def names() -> ActorNames:
    return ActorNames.builtin()


def resolve(names: ActorNames, spelling: str, country: str | None, date: dt.date | None) -> str:
    entry = names.resolve(alias_key(spelling), country, date)
    assert entry is not None, spelling
    return entry.actor_id


@pytest.mark.parametrize(
    ("spelling", "date", "actor"),
    [
        ("Afghan forces", BEFORE, "AFG_REPUBLIC"),
        ("Afghan forces", AFTER, "TALIBAN"),
        ("Afghan security forces", AFTER, "TALIBAN"),
        ("ISIS-K", AFTER, "ISKP"),
        ("Taliban", BEFORE, "TALIBAN"),
    ],
)
def test_validity_dates(names: ActorNames, spelling: str, date: dt.date, actor: str) -> None:
    assert resolve(names, spelling, "AFG", date) == actor


def test_country_bound_aliases(names: ActorNames) -> None:
    assert resolve(names, "Daesh", "AFG", BEFORE) == "ISKP"
    assert resolve(names, "Daesh", "SYR", BEFORE) == "IS"
    assert resolve(names, "Soldiers of the Caliphate", "PAK", BEFORE) == "ISKP"


def test_the_government_of_a_country_on_a_day(names: ActorNames) -> None:
    assert names.government("AFG", BEFORE) == "AFG_REPUBLIC"
    assert names.government("AFG", AFTER) == "TALIBAN"
    assert names.government("AFG", dt.date(1998, 1, 1)) == "TALIBAN"
    assert names.government("PAK", AFTER) == "PAK"
    assert names.government("USA", AFTER) == "US"
    assert names.is_state("TALIBAN", "AFG", AFTER)
    assert not names.is_state("TALIBAN", "AFG", BEFORE)
    assert names.is_state("NATO", "AFG", BEFORE)


def test_bounded_aliases_need_a_date(names: ActorNames) -> None:
    assert names.resolve(alias_key("Afghan forces"), "AFG", None) is None
    assert resolve(names, "Taliban", "AFG", None) == "TALIBAN"


def test_acronyms_match_only_as_written(names: ActorNames) -> None:
    assert names.case_sensitive("IS")
    assert names.case_sensitive("US")
    assert not names.case_sensitive("Daesh")
    assert not names.case_sensitive("Taliban")


def test_a_store_adds_the_users_aliases(store: rs.Store, tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[actor]]\nid = "LASHKAR_X"\nname = "Lashkar X"\naliases = ["Lashkar-e-Xyz"]\n',
        encoding="utf-8",
    )
    store.load_actors(path)
    names = ActorNames.from_store(store)
    assert resolve(names, "Lashkar-e-Xyz", "AFG", BEFORE) == "LASHKAR_X"
    assert resolve(names, "Afghan forces", "AFG", AFTER) == "TALIBAN"
