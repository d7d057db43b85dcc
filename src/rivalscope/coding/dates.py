"""Dates in reports: ``28 September 2019``, ``Sept. 28``, ``on Thursday``, ``last week``.

Absolute forms and the common relative ones are read by the regular expressions here (fast);
other relative phrases (``three days ago``, ``the day before yesterday``) go to dateparser with
``RELATIVE_BASE`` set to the report's date. Relative dates need a report date: without one they
resolve to nothing.

Conventions: ``on Thursday`` is the latest Thursday on or before the report date (a report dated
Thursday that says ``on Thursday`` means that day; dateparser would take the week before);
``last night`` and ``overnight`` are the day before the report; ``last week`` is seven days
before it (precision ``week``); ``last month`` / ``earlier this month`` are the first day of that
month (precision ``month``); a day and month without a year take the latest such day no more
than two days after the report date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

MONTHS: Final[dict[str, int]] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS: Final[dict[str, int]] = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
PRECISION_RANK: Final[dict[str, int]] = {"day": 0, "week": 1, "month": 2, "year": 3}

_MONTH = (
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"

_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("iso", r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
    ("numeric", r"\b(?P<day>[0-3]?\d)[/.](?P<month>[01]?\d)[/.](?P<year>(?:19|20)\d\d)\b"),
    ("day_month_year", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"),
    ("month_day_year", rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    ("month_year", rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b"),
    ("day_month", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?![\w])"),
    ("month_day", rf"\b{_MONTH}\s+{_DAY}\b(?!\s*(?:,\s*)?(?:19|20)\d\d)(?!:)"),
    (
        "weekday",
        rf"\b(?:(?P<modifier>last|this|early|late|on)\s+)?{_WEEKDAY}"
        r"(?:\s+(?:night|morning|evening|afternoon))?\b",
    ),
    (
        "relative_day",
        r"(?i:\b(?P<word>the day before yesterday|yesterday|today|tonight|last night|overnight|"
        r"this morning|this afternoon|this evening|earlier today|early today|late last night)"
        r"\b)",
    ),
    (
        "relative_period",
        r"(?i:\b(?P<word>(?:earlier |late |early )?(?:this|last|past) (?:week|month)|"
        r"earlier in the (?:week|month)|the previous (?:week|month))\b)",
    ),
    (
        "weekend",
        r"(?i:\b(?P<word>(?:over|at|during) the weekend|(?:this|last) weekend)\b)",
    ),
    (
        "ago",
        r"(?i:\b(?P<word>(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few)\s+"
        r"(?:days?|weeks?|months?)\s+(?:ago|earlier|before))\b)",
    ),
    ("year", r"\b(?:in|during|of)\s+(?P<year>(?:19|20)\d\d)\b"),
)
"""Each date form, most specific first (an earlier form's match blocks a later overlapping one)."""


_COMPILED: Final = tuple((kind, re.compile(source)) for kind, source in _PATTERNS)
_MONTH_WORDS: Final = frozenset({*MONTHS, *(m + "." for m in MONTHS)})
_RELATIVE_DAY_WORDS: Final = frozenset(
    {"yesterday", "today", "tonight", "night", "overnight", "morning", "afternoon", "evening"}
)
_UNITS: Final = frozenset({"day", "days", "week", "weeks", "month", "months"})
_WORD: Final = re.compile(r"[\w.]+")


_ANCHORS: Final[dict[str, frozenset[str]]] = {
    "weekday": frozenset(WEEKDAYS),
    "relative_day": _RELATIVE_DAY_WORDS,
    "relative_period": frozenset({"week", "month"}),
    "weekend": frozenset({"weekend"}),
    "ago": frozenset({"ago", "earlier", "before"}),
}
"""Words one of which every form but the numeric and month ones contains."""
_ANCHOR_WORDS: Final = frozenset().union(*_ANCHORS.values())
_DATE_WORDS: Final = _ANCHOR_WORDS | _MONTH_WORDS
_DIGIT: Final = re.compile(r"\d")
_ANCHOR_KINDS: Final = {
    word: tuple(kind for kind, words in _ANCHORS.items() if word in words) for word in _ANCHOR_WORDS
}


def _windows(
    positions: list[int], idx: Sequence[int], ends: Sequence[int], lo: int, hi: int
) -> list[tuple[int, int]]:
    """Character windows around anchor tokens (merged), where a form is searched."""
    merged: list[tuple[int, int]] = []
    for k in positions:
        a, b = max(lo, idx[k] - 32), min(hi, ends[k] + 32)
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@dataclass(frozen=True)
class DateMention:
    """A date found in text, resolved (or not) against the report date."""

    start: int
    end: int
    date: dt.date | None
    precision: str
    absolute: bool

    @property
    def rank(self) -> tuple[int, int, int]:
        """Lower is better: resolved, then day before month before year, then absolute."""
        return (
            0 if self.date is not None else 1,
            PRECISION_RANK[self.precision],
            0 if self.absolute else 1,
        )


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_number(text: str) -> int:
    return MONTHS[text.lower().rstrip(".")]


def _infer_year(month: int, day: int, base: dt.date | None) -> dt.date | None:
    if base is None:
        return None
    candidate = _safe_date(base.year, month, day)
    if candidate is not None and candidate > base + dt.timedelta(days=2):
        candidate = _safe_date(base.year - 1, month, day)
    return candidate


def _weekday(name: str, modifier: str | None, base: dt.date | None) -> dt.date | None:
    if base is None:
        return None
    back = (base.weekday() - WEEKDAYS[name.lower()]) % 7
    if modifier == "last" and back == 0:
        back = 7
    return base - dt.timedelta(days=back)


def _relative_day(word: str, base: dt.date | None) -> dt.date | None:
    if base is None:
        return None
    word = word.lower()
    if word == "the day before yesterday":
        return base - dt.timedelta(days=2)
    if word in ("yesterday", "last night", "overnight", "late last night"):
        return base - dt.timedelta(days=1)
    return base


def _relative_period(word: str, base: dt.date | None) -> tuple[dt.date | None, str]:
    word = word.lower()
    unit = "week" if word.endswith("week") else "month"
    if base is None:
        return None, unit
    previous = any(w in word for w in ("last", "past", "previous"))
    if unit == "week":
        return (base - dt.timedelta(days=7) if previous else base), "week"
    first = base.replace(day=1)
    if previous:
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first, "month"


@lru_cache(maxsize=4096)
def parse_relative(text: str, base: dt.date) -> dt.date | None:
    """Resolve a relative phrase with dateparser, ``RELATIVE_BASE`` = the report date."""
    import dateparser

    found = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "RELATIVE_BASE": dt.datetime(base.year, base.month, base.day),
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return found.date() if found is not None else None


def _ago(word: str, base: dt.date | None) -> tuple[dt.date | None, str]:
    lowered = word.lower()
    unit = "day" if "day" in lowered else "week" if "week" in lowered else "month"
    if base is None:
        return None, unit
    phrase = re.sub(r"\b(earlier|before)$", "ago", lowered)
    return parse_relative(phrase, base), unit


def find_dates(
    text: str,
    base: dt.date | None,
    *,
    start: int = 0,
    end: int | None = None,
    tokens: tuple[Sequence[str], Sequence[int], Sequence[int]] | None = None,
) -> list[DateMention]:
    """Every date expression in ``text[start:end]``, with offsets into ``text``.

    Where forms overlap the most specific wins (``28 September 2019`` rather than ``28
    September``).

    Args:
        text: the passage.
        base: the report date, for relative expressions.
        start: first character of the segment.
        end: end of the segment (default: the end of the text).
        tokens: the segment's lower-cased tokens with their start and end characters, when the
            caller has them: each form is then looked for only around the words it needs
            (``Thursday``, a month, a digit), which is much faster than reading the whole text.
    """
    hi = len(text) if end is None else end
    words: Sequence[str]
    windows_for: tuple[Sequence[int], Sequence[int]] | None
    if tokens is None:
        words = _WORD.findall(text[start:hi].lower())
        windows_for = None
    else:
        words, idx, ends = tokens
        windows_for = (idx, ends)
    present = set(words)
    hits = present & _DATE_WORDS
    has_digit = _DIGIT.search(text, start, hi) is not None
    if not hits and not has_digit:
        return []
    by_kind: dict[str, list[int]] = {}
    digits: list[int] = []
    months: list[int] = []
    units = not present.isdisjoint(_UNITS)
    for k, w in enumerate(words):
        if has_digit and w[:1].isdigit():
            digits.append(k)
        elif w in hits:
            if w in _MONTH_WORDS:
                months.append(k)
            else:
                for kind in _ANCHOR_KINDS[w]:
                    by_kind.setdefault(kind, []).append(k)
    if not digits and not months and not by_kind:
        return []
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    month_anchors = sorted({*months, *digits}) if months else []
    windows: dict[int, list[tuple[int, int]]] = {}
    for kind, pattern in _COMPILED:
        if kind in _ANCHORS:
            if kind not in by_kind or (kind == "ago" and not units):
                continue
            anchors = by_kind[kind]
        elif kind in ("iso", "numeric", "year"):
            if not digits:
                continue
            anchors = digits
        else:
            if not months:
                continue
            anchors = month_anchors
        if windows_for is None:
            spans = [(start, hi)]
        else:
            spans = windows.get(id(anchors)) or []
            if not spans:
                spans = windows[id(anchors)] = _windows(anchors, *windows_for, start, hi)
        for lo, top in spans:
            for match in pattern.finditer(text, lo, top):
                s, e = match.start(), match.end()
                if any(s < te and ts < e for ts, te in taken):
                    continue
                groups = match.groupdict()
                mention = _resolve(kind, groups, base, s, e)
                if mention is None:
                    continue
                if kind == "weekday" and groups.get("modifier") is None:
                    s = match.start("weekday")
                    mention = DateMention(s, e, mention.date, mention.precision, mention.absolute)
                taken.append((s, e))
                found.append(mention)
    found.sort(key=lambda m: m.start)
    return found


def _resolve(
    kind: str, groups: dict[str, Any], base: dt.date | None, s: int, e: int
) -> DateMention | None:
    if kind in ("iso", "numeric"):
        date = _safe_date(int(groups["year"]), int(groups["month"]), int(groups["day"]))
        return DateMention(s, e, date, "day", True) if date else None
    if kind in ("day_month_year", "month_day_year"):
        date = _safe_date(int(groups["year"]), _month_number(groups["month"]), int(groups["day"]))
        return DateMention(s, e, date, "day", True) if date else None
    if kind in ("day_month", "month_day"):
        day = int(groups["day"])
        if not 1 <= day <= 31:
            return None
        return DateMention(
            s, e, _infer_year(_month_number(groups["month"]), day, base), "day", False
        )
    if kind == "month_year":
        date = _safe_date(int(groups["year"]), _month_number(groups["month"]), 1)
        return DateMention(s, e, date, "month", True)
    if kind == "weekday":
        modifier = groups.get("modifier")
        return DateMention(
            s,
            e,
            _weekday(groups["weekday"], modifier.lower() if modifier else None, base),
            "day",
            False,
        )
    if kind == "relative_day":
        return DateMention(s, e, _relative_day(groups["word"], base), "day", False)
    if kind == "relative_period":
        date, precision = _relative_period(groups["word"], base)
        return DateMention(s, e, date, precision, False)
    if kind == "weekend":
        return DateMention(
            s,
            e,
            _weekday("saturday", "last" if "last" in groups["word"].lower() else None, base),
            "day",
            False,
        )
    if kind == "ago":
        date, precision = _ago(groups["word"], base)
        return DateMention(s, e, date, precision, False)
    if kind == "year":
        year = int(groups["year"])
        return DateMention(s, e, dt.date(year, 1, 1), "year", True)
    return None


def best_date(mentions: list[DateMention]) -> DateMention | None:
    """The most precise resolved mention (the first of equals), or None."""
    resolved = [m for m in mentions if m.date is not None]
    if not resolved:
        return None
    return min(resolved, key=lambda m: (m.rank, m.start))


def parse_iso(value: str | None, where: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` value (or a date at the start of a timestamp); None when empty.

    Raises:
        ValueError: naming ``where`` when the value is not such a date.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        found = find_dates(text, None)
        absolute = [m for m in found if m.absolute and m.date is not None and m.precision == "day"]
        if absolute:
            return absolute[0].date
        raise ValueError(f"{where}: {text!r} is not a date (use YYYY-MM-DD)") from None
