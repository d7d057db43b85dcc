"""Numbers as reports write them."""

from __future__ import annotations

import pytest

from rivalscope.coding.numbers import parse_number, read_number


@pytest.mark.parametrize(
    ("words", "value"),
    [
        (["170"], 170),
        (["1,200"], 1200),
        (["twenty", "-", "five"], 25),
        (["twenty", "five"], 25),
        (["three", "hundred"], 300),
        (["two", "thousand", "five", "hundred"], 2500),
        (["a", "dozen"], 12),
        (["eleven"], 11),
        (["dozens"], None),
        (["policemen"], None),
    ],
)
def test_parse_number(words: list[str], value: int | None) -> None:
    assert parse_number(words) == value


def test_read_number_stops_at_the_noun_and_reports_vague_amounts() -> None:
    words = ["at", "least", "170", "people", "and", "two", "policemen", "and", "dozens"]
    words += ["of", "others"]
    assert read_number(words, 2) == (170, 3, False)
    assert read_number(words, 5) == (2, 6, False)
    value, end, vague = read_number(words, 8)
    assert (value, vague, words[end]) == (None, True, "others")
    assert read_number(words, 3) == (None, 3, False)


def test_a_alone_is_no_number_but_a_dozen_is() -> None:
    assert read_number(["a", "policeman"], 0)[0] is None
    assert read_number(["a", "dozen", "fighters"], 0)[:2] == (12, 2)
