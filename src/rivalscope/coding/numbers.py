"""Numbers as reports write them: ``at least 170``, ``1,200``, ``twenty-five``, ``two policemen``.

A vague amount (``dozens``, ``scores``, ``several``) is a number the text does not state:
:func:`parse_number` returns ``None`` for it and :func:`is_vague` says so.
"""

from __future__ import annotations

import re
from typing import Final

UNITS: Final[dict[str, int]] = {
    "zero": 0,
    "no": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "dozen": 12,
}
TENS: Final[dict[str, int]] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES: Final[dict[str, int]] = {"hundred": 100, "thousand": 1000}
VAGUE: Final = frozenset(
    {
        "dozens",
        "scores",
        "hundreds",
        "thousands",
        "several",
        "many",
        "numerous",
        "some",
        "few",
        "multiple",
        "countless",
        "tens",
        "number",
        "handful",
    }
)
"""Words of quantity that state no number (``dozens of people`` has no count)."""

NUMBER_WORDS: Final = frozenset({*UNITS, *TENS, *SCALES} - {"a", "an", "no"})
_DIGITS: Final = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d+$")
_ORDINAL: Final = re.compile(r"^\d+(?:st|nd|rd|th)$")


def digits_value(token: str) -> int | None:
    """The value of ``170`` or ``1,200``; None for anything else (``2019-09-28``, ``3rd``)."""
    if _DIGITS.match(token):
        return int(token.replace(",", ""))
    return None


def is_number_token(token: str) -> bool:
    """Whether a lower-cased token is part of a number (digits or a number word)."""
    return bool(_DIGITS.match(token)) or token in NUMBER_WORDS


def is_vague(token: str) -> bool:
    """Whether a lower-cased token is a vague quantity (``dozens``, ``several``)."""
    return token in VAGUE


def parse_number(words: list[str]) -> int | None:
    """The value of a number written in words and/or digits, lower-cased and split on spaces
    and hyphens: ``["twenty", "five"]`` -> 25, ``["three", "hundred"]`` -> 300,
    ``["1,200"]`` -> 1200, ``["a", "dozen"]`` -> 12. None when it is no number or is vague.
    """
    total = 0
    current = 0
    seen = False
    for word in words:
        if word in ("and", "-", ""):
            continue
        value = digits_value(word)
        if value is not None:
            current += value
            seen = True
        elif word in TENS:
            current += TENS[word]
            seen = True
        elif word in UNITS:
            if word in ("a", "an") and seen:
                return None
            if word == "dozen":
                current = (current or 1) * 12
            else:
                current += UNITS[word]
            seen = True
        elif word in SCALES:
            current = (current or 1) * SCALES[word]
            if SCALES[word] >= 1000:
                total += current
                current = 0
            seen = True
        else:
            return None
    return total + current if seen else None


def read_number(lowers: list[str], start: int) -> tuple[int | None, int, bool]:
    """Read the number that begins at ``lowers[start]``.

    Returns:
        ``(value, end, vague)``: the value (None when vague or absent), the index just past
        the number, and whether a vague quantity was read (``dozens``).
    """
    if start >= len(lowers):
        return None, start, False
    word = lowers[start]
    if word in VAGUE:
        end = start + 1
        if end < len(lowers) and lowers[end] == "of":
            end += 1
        return None, end, True
    if word in ("a", "an") and start + 1 < len(lowers) and lowers[start + 1] in VAGUE:
        end = start + 2
        if end < len(lowers) and lowers[end] == "of":
            end += 1
        return None, end, True
    words: list[str] = []
    end = start
    while end < len(lowers):
        token = lowers[end]
        if token == "-" and words and end + 1 < len(lowers) and lowers[end + 1] in UNITS:
            end += 1
            continue
        if (
            token == "and"
            and words
            and end + 1 < len(lowers)
            and (lowers[end + 1] in TENS or (lowers[end + 1] in UNITS and lowers[end + 1] != "a"))
            and words[-1] in SCALES
        ):
            end += 1
            continue
        if is_number_token(token) or (token in ("a", "an") and not words):
            if token in ("a", "an") and not (
                end + 1 < len(lowers) and lowers[end + 1] in ("dozen", "hundred", "thousand")
            ):
                break
            if words and digits_value(token) is not None:
                break
            words.append(token)
            end += 1
            continue
        break
    if not words:
        return None, start, False
    return parse_number(words), end, False


def is_ordinal(token: str) -> bool:
    """``3rd``, ``28th``: a date or rank, never a count."""
    return bool(_ORDINAL.match(token))
