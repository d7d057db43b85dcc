"""What the coder reads from a passage, field by field, with the evidence for each."""

from __future__ import annotations

import datetime as dt

import pytest

import rivalscope as rs
from rivalscope.coding import Coder, Passage
from rivalscope.coding.records import event_rows
from tests.coding.conftest import day, only


def test_the_issue_example_defection(coder: Coder) -> None:
    text = "A Taliban commander and 40 fighters pledged allegiance to ISKP in Achin district."
    record = only(coder.code(text, day("2015-02-10")))
    assert (record.kind, record.event_type) == ("defection", "defection")
    assert (record.from_actor, record.to_actor, record.fighters, record.role) == (
        "TALIBAN",
        "ISKP",
        40,
        "commander",
    )
    assert (record.admin1_code, record.admin2) == ("AF-NAN", "Achin")
    assert record.quote("from_actor") == "Taliban commander"
    assert record.quote("to_actor") == "ISKP"
    assert record.quote("fighters") == "40 fighters"
    assert record.quote("admin2") == "Achin"
    assert record.quote("event_type") == "pledged allegiance"
    assert (record.date_start, record.date_source) == (day("2015-02-10"), "report")


def test_the_issue_example_field_note(coder: Coder) -> None:
    text = (
        "On 28 September 2019, Taliban militants attacked two polling centres in Khas Balkh "
        "district"
    )
    record = only(coder.code(text))
    assert (record.event_type, record.actor1, record.actor2) == ("attack", "TALIBAN", None)
    assert (record.admin1_code, record.admin2) == ("AF-BAL", "Balkh")
    assert record.date_start == day("2019-09-28")
    assert record.fatalities is None
    assert record.target_type == "infrastructure"
    assert record.quote("date_start") == "28 September 2019"
    assert record.quote("target_type") == "polling centres"


def test_a_wire_report_every_field(coder: Coder) -> None:
    text = (
        "KABUL, Oct 8 (Reuters) - Islamic State militants attacked a Taliban checkpoint in "
        "the Achin district of eastern Nangarhar province on Thursday, killing three Taliban "
        "fighters and wounding two others, a Taliban spokesman said."
    )
    record = only(coder.code(text, day("2021-10-08")))
    assert record.to_dict() | {"id": None, "evidence": None, "span": None} == {
        "id": None,
        "kind": "event",
        "input_id": None,
        "file": None,
        "row": None,
        "event_type": "clash",
        "actor1": "ISKP",
        "actor2": "TALIBAN",
        "actor1_raw": "Islamic State militants",
        "actor2_raw": "Taliban",
        "country_iso3": "AFG",
        "admin1_code": "AF-NAN",
        "admin1": "Nangarhar",
        "admin2": "Achin",
        "location": None,
        "latitude": None,
        "longitude": None,
        "date_start": "2021-10-07",
        "date_precision": "day",
        "date_source": "text",
        "fatalities": 3,
        "injured": 2,
        "target_type": "state_security",
        "confidence": record.confidence,
        "evidence": None,
        "span": None,
    }
    quotes = {name: record.quote(name) for name in record.evidence}
    assert quotes["event_type"] == "attacked"
    assert quotes["admin1_code"] == "Nangarhar"
    assert quotes["date_start"] == "on Thursday"
    assert quotes["fatalities"] == "killing three Taliban fighters"
    assert quotes["injured"] == "wounding two others"
    assert 0.5 < record.confidence < 1


@pytest.mark.parametrize(
    "text",
    [
        "The Taliban and ISKP have been rivals since the group emerged in Nangarhar in 2015.",
        "ISKP could attack polling centres in Kabul during the election, officials warned.",
        "The Taliban denied any role in the killing of the elder in Kunar.",
        "Attacks by the Islamic State killed more than 300 civilians in Afghanistan last year.",
        "Officials said they foiled a suicide attack after agents defused a car bomb in Kabul.",
        "The Taliban threatened to attack checkpoints in Zabul if the talks failed.",
        "A spokesman rejected reports that commanders in Kunduz had joined the Islamic State.",
        "Relatives of the victims of the Kabul airport bombing demanded an inquiry on Monday.",
        "UNAMA documented 1,392 civilian casualties in the first quarter of 2021.",
        "The army plans an operation to clear Helmand's Marja district this spring.",
    ],
)
def test_sentences_that_report_no_event_yield_nothing(coder: Coder, text: str) -> None:
    assert coder.code(text, day("2021-10-08")) == []


def test_generic_forces_are_the_government_of_the_day(coder: Coder) -> None:
    text = "Afghan forces killed six Daesh militants in a raid in Kunar's Chawkay district."
    before = only(coder.code(text, day("2021-08-14")))
    after = only(coder.code(text, day("2021-08-16")))
    assert (before.actor1, before.actor2, before.event_type) == (
        "AFG_REPUBLIC",
        "ISKP",
        "state_operation",
    )
    assert (after.actor1, after.actor2, after.event_type) == ("TALIBAN", "ISKP", "state_operation")
    police = only(
        coder.code("Police arrested four ISKP members in Jalalabad on Monday.", day("2022-01-12"))
    )
    assert (police.actor1, police.event_type, police.date_start) == (
        "TALIBAN",
        "state_operation",
        day("2022-01-10"),
    )


def test_a_raid_by_a_group_is_a_clash_and_by_the_taliban_state_an_operation(coder: Coder) -> None:
    text = "Taliban fighters raided an Islamic State hideout in Nangarhar's Kot district."
    assert only(coder.code(text, day("2018-03-01"))).event_type == "clash"
    assert only(coder.code(text, day("2022-03-01"))).event_type == "state_operation"


def test_country_decides_what_islamic_state_means(coder: Coder) -> None:
    afghan = only(
        coder.code("Islamic State fighters attacked a Taliban post in Kunar.", day("2020-01-01"))
    )
    syrian = only(
        coder.code(
            "Islamic State fighters attacked a prison in Hasakah, the Syrian "
            "Democratic Forces said.",
            day("2022-01-21"),
        )
    )
    assert afghan.actor1 == "ISKP"
    assert (syrian.actor1, syrian.country_iso3, syrian.event_type) == ("IS", "SYR", "prison_break")


def test_claims_blame_and_passive_voice(coder: Coder) -> None:
    claimed = only(
        coder.code(
            "A bomb exploded in a crowded market in Kabul on Sunday, killing seven people. The "
            "Islamic State group later claimed responsibility.",
            day("2022-05-09"),
        )
    )
    assert (claimed.actor1, claimed.actor2, claimed.fatalities) == ("ISKP", "CIVILIANS", 7)
    assert claimed.quote("actor1") == "Islamic State group"
    passive = only(
        coder.code(
            "Four policemen were killed by Taliban fighters in Kandahar's Zhari district on "
            "Friday.",
            day("2019-06-08"),
        )
    )
    assert (passive.actor1, passive.actor2, passive.fatalities) == ("TALIBAN", "AFG_REPUBLIC", 4)


def test_casualty_counts(coder: Coder) -> None:
    def killed(text: str) -> tuple[int | None, int | None]:
        record = only(coder.code(text, day("2020-01-05")))
        return record.fatalities, record.injured

    assert killed("A suicide bomber killed at least 170 people in Kabul.") == (170, None)
    assert killed("Gunmen attacked a wedding in Kabul, killing dozens of guests.") == (None, None)
    assert killed("A roadside bomb killed two policemen and a civilian in Ghazni.") == (3, None)
    assert killed("Three soldiers and five militants were killed in clashes in Faryab.") == (
        8,
        None,
    )
    assert killed(
        "A blast in Kandahar killed 12 people, including four children, and wounded 30."
    ) == (12, 30)
    assert killed("Rockets hit Kabul; no one was killed.") == (0, 0)
    assert killed("ISKP attacked a Taliban post in Kunar, killing and wounding 9 of them.") == (
        None,
        None,
    )


def test_two_events_in_one_passage(coder: Coder) -> None:
    text = (
        "Taliban fighters ambushed a police convoy in Zabul on Tuesday, killing five "
        "policemen. Separately, a roadside bomb killed two civilians in Helmand's Sangin "
        "district on the same day."
    )
    first, second = coder.code(text, day("2020-05-21"))
    assert (first.event_type, first.admin1_code, first.fatalities) == ("clash", "AF-ZAB", 5)
    assert (second.event_type, second.admin1_code, second.admin2, second.fatalities) == (
        "attack",
        "AF-HEL",
        "Sangin",
        2,
    )
    assert first.date_start == second.date_start == day("2020-05-19")
    assert first.id != second.id


def test_follow_up_sentences_complete_the_event(coder: Coder) -> None:
    text = (
        "ISKP fighters ambushed a Taliban patrol in Achin on Monday. Six Taliban were killed "
        "and three wounded, a local elder said. ISKP claimed the attack on Telegram."
    )
    record = only(coder.code(text, day("2022-02-15")))
    assert (record.fatalities, record.injured, record.admin2) == (6, 3, "Achin")


def test_ids_hash_the_text_and_span(coder: Coder) -> None:
    text = "Taliban fighters attacked a checkpoint in Kunduz on Monday."
    first = only(coder.code(text, day("2020-01-01")))
    again = only(coder.code(text, day("2020-01-01"), input_id="x", file="y.txt"))
    other = only(coder.code(text + " ", day("2020-01-01")))
    assert first.id == again.id != other.id
    assert first.id.startswith("text:")


def test_evidence_spans_point_at_their_words(coder: Coder) -> None:
    passages = [
        Passage(
            "Unknown gunmen shot dead a tribal elder in Pachir wa Agam district of Nangarhar "
            "on Monday.",
            day("2019-02-05"),
        ),
        Passage(
            "More than 200 Islamic State fighters surrendered to Afghan security forces in "
            "Nangarhar's Achin district on Saturday.",
            day("2019-11-17"),
        ),
    ]
    for passage, records in coder.code_passages(passages):
        record = only(records)
        for name, (start, end) in record.evidence.items():
            assert 0 <= start < end <= len(passage.text), name
            words = passage.text[start:end]
            assert words == words.strip() and words, name


def test_rows_for_the_store(coder: Coder, store: rs.Store) -> None:
    records = coder.code(
        "Taliban fighters attacked a checkpoint in Kunduz on Monday, killing two soldiers.",
        day("2020-01-08"),
        input_id="r-1",
        file="r.csv",
        row=4,
    )
    rows = event_rows(records).to_pylist()
    assert rows[0]["event_id"] == records[0].id
    assert rows[0]["fatalities_best"] == 2
    assert rows[0]["notes"] == "coded from text (r.csv, row 4); input_id r-1"
    result = store.write_rows("events", event_rows(records), source="text")
    assert result.rows_stored == 1


def test_a_coder_from_a_store_knows_loaded_districts(store: rs.Store, tmp_path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("province,district,district_id\nNangarhar,Acheen,810\n", encoding="utf-8")
    from rivalscope.districts import load_districts

    load_districts(store, path)
    record = only(
        Coder.from_store(store).code(
            "Taliban fighters clashed with ISKP in Achin on Friday.", dt.date(2016, 5, 7)
        )
    )
    assert (record.admin1_code, record.admin2) == ("AF-NAN", "Acheen")
