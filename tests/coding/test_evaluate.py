"""Scoring against a gold file: pairing, per-field counts, the headline figures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rivalscope.coding import Coder
from rivalscope.coding.evaluate import Score, evaluate, load_gold
from rivalscope.errors import InputError


def gold_file(tmp_path: Path, items: list[dict[str, object]]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    return path


def test_score_arithmetic() -> None:
    score = Score()
    score.add("A", "A", True)
    score.add("A", "B", False)
    score.add("A", None, False)
    score.add(None, "B", False)
    score.add(None, None, True)
    assert (score.tp, score.fp, score.fn) == (1, 2, 2)
    assert score.precision == pytest.approx(1 / 3)
    assert score.recall == pytest.approx(1 / 3)


def test_evaluate_counts_hits_misses_and_false_events(coder: Coder, tmp_path: Path) -> None:
    items = [
        {
            "id": "a",
            "report_date": "2021-10-08",
            "text": "ISKP fighters attacked a Taliban checkpoint in Achin on Thursday, "
            "killing two.",
            "events": [
                {
                    "event_type": "clash",
                    "actor1": "TALIBAN",
                    "actor2": "ISKP",
                    "admin1_code": "AF-NAN",
                    "admin2": "Acheen",
                    "date_start": "2021-10-07",
                    "fatalities": 3,
                }
            ],
        },
        {"id": "b", "text": "The Taliban and ISKP are rivals.", "events": []},
        {
            "id": "c",
            "report_date": "2021-10-08",
            "text": "Taliban fighters attacked a police post in Kunar on Friday.",
            "events": [],
        },
        {
            "id": "d",
            "text": "Nothing here.",
            "split": "holdout",
            "events": [{"event_type": "attack", "actor1": "UNIDENTIFIED", "admin1_code": "AF-KAB"}],
        },
    ]
    result = evaluate(coder, load_gold(gold_file(tmp_path, items)))
    assert (result.passages, result.gold_events, result.coded_events, result.matched) == (
        4,
        2,
        2,
        1,
    )
    assert (result.negatives, result.negatives_with_events) == (2, 1)
    assert result.negative_false_event_rate == 0.5
    assert result.fields["actor1"].tp == 1
    assert result.fields["admin2"].tp == 1
    assert (result.fatalities_right, result.fatalities_total) == (0, 1)
    assert result.types["clash"].tp == 1 and result.types["clash"].fp == 1
    assert result.types["attack"].fn == 1
    assert (result.province_right, result.province_total) == (1, 1)
    ids = [e["id"] for e in result.errors]
    assert ids == ["a", "c", "d"]
    only_holdout = evaluate(coder, load_gold(gold_file(tmp_path, items)), split="holdout")
    assert only_holdout.passages == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": 5}', "line 1: field text"),
        ('{"text": "x", "events": [{"event_type": "brawl"}]}', "line 1: field event_type"),
        ('{"text": "x", "report_date": "soon"}', "line 1: field report_date"),
        ("not json", "line 1: not JSON"),
    ],
)
def test_bad_gold_files(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_gold(path)


def test_gold_dates(tmp_path: Path) -> None:
    [item] = load_gold(gold_file(tmp_path, [{"text": "x", "report_date": "2020-02-02"}]))
    assert item.report_date == dt.date(2020, 2, 2)
    assert (item.split, item.events) == ("dev", ())
