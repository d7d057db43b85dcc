"""Dates in reports, absolute and relative to the report date."""

from __future__ import annotations

import datetime as dt

import pytest

from rivalscope.coding.dates import best_date, find_dates, parse_iso, parse_relative

FRIDAY = dt.date(2021, 10, 8)


def resolved(text: str, base: dt.date | None = FRIDAY) -> list[tuple[str, dt.date | None, str]]:
    return [(text[m.start : m.end], m.date, m.precision) for m in find_dates(text, base)]


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("On 28 September 2019, Taliban militants attacked", dt.date(2019, 9, 28), "day"),
        ("on September 28, 2019", dt.date(2019, 9, 28), "day"),
        ("12/03/2018 - Achin district", dt.date(2018, 3, 12), "day"),
        ("2017-08-03 Nangarhar/Kot", dt.date(2017, 8, 3), "day"),
        ("in May 2019 the group", dt.date(2019, 5, 1), "month"),
        ("on Thursday", dt.date(2021, 10, 7), "day"),
        ("on Friday", FRIDAY, "day"),
        ("last Friday", dt.date(2021, 10, 1), "day"),
        ("late on Monday night", dt.date(2021, 10, 4), "day"),
        ("yesterday", dt.date(2021, 10, 7), "day"),
        ("overnight", dt.date(2021, 10, 7), "day"),
        ("last week", dt.date(2021, 10, 1), "week"),
        ("earlier this month", dt.date(2021, 10, 1), "month"),
        ("last month", dt.date(2021, 9, 1), "month"),
        ("over the weekend", dt.date(2021, 10, 2), "day"),
        ("Sept. 28", dt.date(2021, 9, 28), "day"),
        ("on 9 October", dt.date(2021, 10, 9), "day"),
        ("on 20 December", dt.date(2020, 12, 20), "day"),
    ],
)
def test_forms(text: str, date: dt.date, precision: str) -> None:
    found = best_date(find_dates(text, FRIDAY))
    assert found is not None
    assert (found.date, found.precision) == (date, precision)


def test_the_longest_form_wins_and_spans_are_offsets() -> None:
    text = "Clashes broke out on 28 September 2019 in Kot."
    [(words, date, precision)] = resolved(text)
    assert (words, date, precision) == ("28 September 2019", dt.date(2019, 9, 28), "day")


def test_relative_dates_need_a_report_date() -> None:
    assert resolved("on Thursday", None) == [("on Thursday", None, "day")]
    assert best_date(find_dates("on Thursday", None)) is None
    assert resolved("On 28 September 2019", None)[0][1] == dt.date(2019, 9, 28)


def test_may_the_verb_is_no_month() -> None:
    assert resolved("ISKP may attack polling centres") == []


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("two days ago", dt.date(2021, 10, 6)), ("three weeks ago", dt.date(2021, 9, 17))],
)
def test_other_relative_phrases_go_to_dateparser(phrase: str, expected: dt.date) -> None:
    assert resolved(f"Fighting broke out {phrase} in Kunar.")[0][1] == expected


@pytest.mark.parametrize("base", [dt.date(2019, 1, d) for d in range(1, 15)])
@pytest.mark.parametrize("weekday", ["Monday", "Wednesday", "Saturday", "Sunday"])
def test_weekdays_agree_with_dateparser_except_on_the_day_itself(
    base: dt.date, weekday: str
) -> None:
    ours = best_date(find_dates(f"on {weekday}", base))
    assert ours is not None and ours.date is not None
    theirs = parse_relative(weekday, base)
    assert theirs is not None
    if ours.date == base:
        assert theirs == base - dt.timedelta(days=7)
    else:
        assert ours.date == theirs


def test_parse_iso_names_the_cell() -> None:
    assert parse_iso("2021-10-08", "x") == FRIDAY
    assert parse_iso("2021-10-08T10:00:00", "x") == FRIDAY
    assert parse_iso("8 October 2021", "x") == FRIDAY
    assert parse_iso("  ", "x") is None
    with pytest.raises(ValueError, match=r"in\.csv: row 3: column date: 'soon'"):
        parse_iso("soon", "in.csv: row 3: column date")
