"""The coder in any country, defectors' names, and influence activities (issue 23).

The notes are written by the developers in the style of ACLED's notes and of news reports; see
tests/data/coder_notes.jsonl and docs/coding.md for the evaluation sets.
"""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

from rivalscope.coding import Coder, influence_type
from rivalscope.coding.evaluate import evaluate, load_gold
from rivalscope.coding.places import cached
from rivalscope.coding.records import SENSITIVE_FIELDS, defection_rows
from rivalscope.redact import SENSITIVE_COLUMNS
from rivalscope.schema import INFLUENCE_TYPES
from tests.coding.conftest import only

NOTES = Path(__file__).resolve().parents[1] / "data" / "coder_notes.jsonl"


def test_a_suicide_bomber_from_isis_k_is_iskp(coder: Coder) -> None:
    record = only(
        coder.code(
            "A suicide bomber from ISIS-K struck a Shia mosque in Kunduz city, killing 50 "
            "worshippers.",
            dt.date(2021, 10, 8),
        )
    )
    assert (record.event_type, record.actor1, record.actor2) == ("attack", "ISKP", "CIVILIANS")
    assert record.quote("actor1") == "ISIS-K"
    assert record.admin1_code == "AF-KDZ"


def test_a_defectors_name_and_role_are_captured_and_marked_sensitive(coder: Coder) -> None:
    record = only(
        coder.code(
            "Mawlawi Abdul Rahman, a Taliban commander, defected to ISKP with 30 fighters in "
            "Achin district.",
            dt.date(2015, 2, 10),
        )
    )
    assert record.kind == "defection"
    assert (record.person, record.role, record.fighters) == (
        "Mawlawi Abdul Rahman",
        "commander",
        30,
    )
    assert (record.from_actor, record.to_actor, record.admin1_code) == ("TALIBAN", "ISKP", "AF-NAN")
    assert record.quote("person") == "Mawlawi Abdul Rahman"
    assert record.date_start == dt.date(2015, 2, 10)
    line = record.to_dict()
    assert line["person"] == "Mawlawi Abdul Rahman" and line["sensitive"] == ["person"]
    assert set(SENSITIVE_FIELDS) <= set(SENSITIVE_COLUMNS)
    assert defection_rows([record]).column("person").to_pylist() == ["Mawlawi Abdul Rahman"]


@pytest.mark.parametrize(
    ("text", "person"),
    [
        (
            "Taliban commander Mawlawi Abdul Rahman and 30 of his fighters defected to ISKP in "
            "Achin district.",
            "Mawlawi Abdul Rahman",
        ),
        (
            "Qari Hekmatullah, an IMU commander, pledged allegiance to ISKP with 40 of his men in "
            "Darzab district.",
            "Qari Hekmatullah",
        ),
        ("A Taliban commander and 40 fighters pledged allegiance to ISKP in Achin district.", None),
    ],
)
def test_names_of_defectors(coder: Coder, text: str, person: str | None) -> None:
    record = only(coder.code(text, dt.date(2016, 5, 20)))
    assert record.person == person
    assert record.to_dict()["sensitive"] == (["person"] if person else [])


@pytest.mark.parametrize(
    ("text", "country", "province", "actors", "event_type"),
    [
        (
            "On 3 February 2022, Boko Haram militants abducted 12 women collecting firewood near "
            "Gwoza (Gwoza, Borno).",
            "NGA",
            "NG-BO",
            ("BOKO_HARAM", "CIVILIANS"),
            "attack",
        ),
        (
            "On 2 October 2022, SDF forces clashed with ISIS cells near Al-Shuhayl (Deir ez-Zor). "
            "1 SDF fighter was killed.",
            "SYR",
            "SY-DY",
            ("SDF", "IS"),
            "clash",
        ),
        (
            "On 2 May 2022, members of the CJNG shot and killed 4 men at a bar in Celaya "
            "(Guanajuato).",
            "MEX",
            "MX-GUA",
            ("CJNG", None),
            "attack",
        ),
        (
            "On 19 June 2022, the Myanmar military conducted an airstrike on Mon Taung village "
            "(Pale, Sagaing), killing 5 civilians.",
            "MMR",
            "MM-01",
            ("MMR", "CIVILIANS"),
            "state_operation",
        ),
        (
            "On 25 April 2022, Russian forces shelled residential areas of Kharkiv city (Kharkiv). "
            "4 civilians were killed.",
            "UKR",
            "UA-63",
            ("RUS", "CIVILIANS"),
            "state_operation",
        ),
        (
            "On 1 August 2022, around 300 people protested in Lagos (Lagos) against fuel "
            "shortages.",
            "NGA",
            "NG-LA",
            ("PROTESTERS", None),
            "other",
        ),
    ],
)
def test_notes_from_any_country(
    coder: Coder,
    text: str,
    country: str,
    province: str,
    actors: tuple[str | None, str | None],
    event_type: str,
) -> None:
    record = only(coder.code(text))
    assert (record.country_iso3, record.admin1_code) == (country, province)
    assert record.event_type == event_type
    assert record.actor1 == actors[0]
    if actors[1] is not None:
        assert record.actor2 == actors[1]


def test_a_group_name_that_holds_a_place_is_not_the_place(coder: Coder) -> None:
    record = only(
        coder.code(
            "On 23 June 2022, gunmen of the Sinaloa Cartel killed 2 police officers in Caborca "
            "(Sonora).",
            dt.date(2022, 6, 23),
        )
    )
    assert (record.actor1, record.admin1_code) == ("SINALOA_CARTEL", "MX-SON")


@pytest.mark.parametrize(
    ("text", "event_type", "actor1", "actor2"),
    [
        (
            "On 12 May 2022, ISKP released a propaganda video on its Telegram channels calling on "
            "Muslims in Central Asia to join the group.",
            "propaganda",
            "ISKP",
            None,
        ),
        (
            "On 27 May 2022, ISKP preachers delivered sermons in mosques of Kunar urging villagers "
            "to embrace the group's creed.",
            "proselytization",
            "ISKP",
            None,
        ),
        (
            "On 1 June 2022, Al Shabaab militants collected zakat from pastoralists in Jamaame "
            "(Lower Juba), forcing herders to pay in livestock.",
            "extortion",
            "AL_SHABAAB",
            "CIVILIANS",
        ),
        (
            "On 9 August 2022, Al Shabaab's court in Jilib (Middle Juba) sentenced two men to "
            "death for spying.",
            "governance",
            "AL_SHABAAB",
            None,
        ),
        (
            "On 17 February 2020, ISKP recruiters approached students at a madrasa in Peshawar "
            "offering money to join the group.",
            "recruitment",
            "ISKP",
            None,
        ),
    ],
)
def test_influence_activities_are_coded_with_evidence(
    coder: Coder, text: str, event_type: str, actor1: str, actor2: str | None
) -> None:
    record = only(coder.code(text))
    assert (record.event_type, record.actor1, record.actor2) == (event_type, actor1, actor2)
    assert event_type in INFLUENCE_TYPES
    assert record.quote("event_type")
    assert record.quote("actor1")


def test_influence_needs_an_armed_side_and_loses_to_violence(coder: Coder) -> None:
    assert coder.code("The governor released a propaganda video about the new road.") == []
    record = only(
        coder.code(
            "On 4 May 2022, Taliban militants attacked an army post in Andar district (Ghazni) "
            "after releasing a propaganda video. 3 soldiers were killed.",
            dt.date(2022, 5, 4),
        )
    )
    assert record.event_type == "clash"


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        (
            "On 5 March 2022, Al Shabaab militants extorted money from bus drivers near Afgooye.",
            "extortion",
        ),
        (
            "On 8 April 2022, Al Shabaab forced traders in Beledweyne to pay taxes at checkpoints.",
            "extortion",
        ),
        (
            "On 20 June 2019, Taliban militants set up a checkpoint in Sayedabad and collected "
            "taxes from truck drivers.",
            "governance",
        ),
        (
            "On 3 October 2022, JNIM appointed a qadi to settle land disputes in Dinangourou.",
            "governance",
        ),
        (
            "On 15 February 2022, ISKP's Al-Azaim media foundation published a magazine urging "
            "fighters to travel to Afghanistan.",
            "propaganda",
        ),
        (
            "On 10 April 2019, the Taliban distributed night letters in Achin district.",
            "propaganda",
        ),
        (
            "On 14 July 2022, JNIM militants held a preaching session in the mosque of Boulkessi.",
            "proselytization",
        ),
        (
            "On 19 December 2021, Islamic State recruited dozens of young men in Ghazni city.",
            "recruitment",
        ),
        ("On 12 March 2019, Taliban militants attacked an ANA checkpoint in Andar.", None),
        ("", None),
    ],
)
def test_influence_type_of_a_note(note: str, expected: str | None) -> None:
    assert influence_type(note) == expected


def test_the_notes_sets_are_split_and_varied() -> None:
    gold = load_gold(NOTES)
    splits = {g.split for g in gold}
    assert splits == {"dev", "holdout", "holdout2"}
    countries = {e.get("country_iso3") for g in gold for e in g.events}
    assert len(countries) >= 15
    assert sum(1 for g in gold if not g.events) >= 6
    assert {e["event_type"] for g in gold for e in g.events} >= {*INFLUENCE_TYPES, "defection"}


@pytest.mark.parametrize(
    ("split", "floors"),
    [
        # Regression floors a little under the figures in docs/coding.md, not goals.
        ("dev", {"event_type_accuracy": 0.9, "country_accuracy": 0.93, "actor_found": 0.88}),
        ("holdout", {"event_type_accuracy": 0.75, "country_accuracy": 0.9, "actor_found": 0.78}),
        ("holdout2", {"event_type_accuracy": 0.9, "country_accuracy": 0.9, "actor_found": 0.75}),
    ],
)
def test_figures_on_the_notes_sets(coder: Coder, split: str, floors: dict[str, float]) -> None:
    result = evaluate(coder, load_gold(NOTES), split=split)
    headline = result.headline()
    for name, floor in floors.items():
        assert headline[name] >= floor, (name, headline)
    assert result.negative_false_event_rate == 0.0
    assert result.province_accuracy >= 0.9


def test_the_place_cache_is_rebuilt_when_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built: list[int] = []

    def build() -> dict[str, int]:
        built.append(1)
        return {"answer": 42}

    assert cached("test-block", build) == {"answer": 42}
    assert cached("test-block", build) == {"answer": 42}
    assert len(built) == 1
    (path,) = (tmp_path / "rivalscope").glob("coder-test-*.pickle")
    path.write_bytes(b"not a pickle")
    assert cached("test-block", build) == {"answer": 42}
    assert len(built) == 2
    assert pickle.loads(path.read_bytes()) == {"answer": 42}


def test_a_stored_defection_keeps_the_person_for_redaction(coder: Coder) -> None:
    import rivalscope
    from rivalscope.coding import store_records

    records = coder.code(
        "Mawlawi Abdul Rahman, a Taliban commander, defected to ISKP with 30 fighters in "
        "Achin district.",
        dt.date(2015, 2, 10),
    )
    store = rivalscope.open(":memory:")
    store_records(store, records, file="reports.txt")
    rows = store.table("defections").select("person", "role", "fighters").to_pyarrow()
    assert rows.to_pylist() == [
        {"person": "Mawlawi Abdul Rahman", "role": "commander", "fighters": 30}
    ]
