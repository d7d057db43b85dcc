"""Counting the dead and wounded in a sentence, and the fighters who defected.

A number counts people when a person noun follows it (``three policemen``, ``12 ISKP
fighters``), or a casualty word governs it directly (``killing 12``, ``5 dead``). Each counted
number goes to the casualty word that governs it: the active verb just before it (``killing at
least 12``), else the first casualty word after it across auxiliaries and coordinated numbers
(``three soldiers and five militants were killed``), else the word its coordinated neighbour
went to (``killing three policemen and two civilians``). Subsets (``including four children``),
dates, ages and numbers of things (``two polling centres``) count nothing; ``killing and
wounding 5`` is not split, so it counts nothing; ``no one was killed`` is a stated zero.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Final

from rivalscope.coding import vocabulary as v
from rivalscope.coding.numbers import NUMBER_WORDS, VAGUE, read_number

KILLED: Final = "killed"
INJURED: Final = "injured"

_NO_CASUALTIES: Final = re.compile(
    r"\b(?:no\s+(?:one|body|civilians?|soldiers?|policemen|people)\s+(?:was|were|had\s+been|"
    r"has\s+been|have\s+been)\s+(?:killed|hurt|injured|wounded|harmed)|"
    r"(?<!reports\sof\s)(?<!report\sof\s)no\s+(?:casualties|deaths|fatalities|injuries)"
    r"(?!\s+figures)|without\s+(?:causing\s+)?(?:any\s+)?casualties|caused\s+no\s+casualties|"
    r"no\s+one\s+(?:died|was\s+hurt))\b",
    re.IGNORECASE,
)
_TOLL: Final = re.compile(
    r"\b(?:death\s+toll|toll|number\s+of\s+(?:dead|deaths|those\s+killed))\s+"
    r"(?:has\s+|had\s+)?(?:rose|risen|rises|climbed|reached|jumped|increased|stood|stands|is|was)"
    r"\s+(?:at|to)\s+(?:at\s+least\s+)?(?P<n>\d[\d,]*|[a-z]+(?:[- ][a-z]+)?)",
    re.IGNORECASE,
)
_AUXILIARIES: Final = frozenset(
    {
        "lost",
        "their",
        "were",
        "was",
        "have",
        "had",
        "been",
        "has",
        "are",
        "is",
        "reportedly",
        "also",
        "later",
        "allegedly",
        "people",
        "others",
        "more",
        "being",
        "got",
        "reported",
        "confirmed",
        "critically",
        "seriously",
        "badly",
        "severely",
        "slightly",
        "fatally",
        "all",
        "both",
        "subsequently",
        "eventually",
        "instantly",
        "immediately",
        "then",
        "from",
        "on",
        "each",
        "either",
        "sides",
        "side",
        "gunned",
        "shot",
        "+",
    }
)
_SUBSET: Final = frozenset(
    {
        "including",
        "included",
        "among",
        "whom",
        "include",
        "includes",
        "incl",
        "incl.",
        "mostly",
        "mainly",
        "most",
    }
)
_NOT_ACTIVE: Final = frozenset(
    {"dead", "death", "deaths", "lives", "injuries", "bodies", "fatalities", "wounds", "kia", "wia"}
)
_SINGULAR_PERSONS: Final = frozenset(
    {
        "policeman",
        "soldier",
        "civilian",
        "child",
        "woman",
        "man",
        "boy",
        "girl",
        "commander",
        "fighter",
        "militant",
        "member",
        "cleric",
        "elder",
        "teacher",
        "student",
        "journalist",
        "reporter",
        "doctor",
        "driver",
        "guard",
        "bodyguard",
        "officer",
        "official",
        "judge",
        "chief",
        "governor",
        "spokesman",
        "leader",
        "emir",
        "mullah",
        "imam",
        "prosecutor",
        "worker",
        "farmer",
        "shopkeeper",
        "resident",
        "villager",
        "passenger",
        "insurgent",
        "attacker",
        "gunman",
        "bomber",
        "person",
        "deminer",
        "engineer",
        "trader",
        "tailor",
        "shepherd",
        "nurse",
        "sub-commander",
        "recruiter",
        "activist",
        "lawmaker",
        "senator",
        "mp",
        "general",
        "colonel",
        "commando",
        "suspect",
        "operative",
        "prisoner",
        "inmate",
        "detainee",
        "talib",
        "national",
        "scholar",
        "preacher",
        "cameraman",
        "photographer",
        "translator",
        "interpreter",
        "son",
        "daughter",
        "brother",
        "father",
        "mother",
        "wife",
        "husband",
        "nephew",
        "cousin",
        "uncle",
    }
)
_SINGULAR_STARTS: Final = frozenset({"a", "an", "one", "the", "him", "her", "his", "their"})
_LEADER_NOUNS: Final = frozenset(
    {"commander", "commanders", "leader", "leaders", "chief", "governor", "emir", "spokesman"}
)


_ZERO_WORDS: Final = frozenset({"no", "without"})
_ALL_CASUALTY_WORDS: Final = frozenset(
    {*v.CASUALTY_KILLED, *v.CASUALTY_INJURED, "dead", "down", "lives", "kia", "wia"}
)
_NUMBERISH: Final = frozenset({*NUMBER_WORDS, *VAGUE, *_SINGULAR_STARTS, "a", "an"})


@dataclass(frozen=True, slots=True)
class Count:
    """One counted group: how many, the character span of its words, and its noun."""

    value: int
    cstart: int
    cend: int
    noun: str | None


@dataclass(slots=True)
class Counts:
    """The counts of one sentence."""

    killed: list[Count] = field(default_factory=list)
    injured: list[Count] = field(default_factory=list)
    zero: tuple[int, int] | None = None
    toll: tuple[int, tuple[int, int]] | None = None
    vague_killed: bool = False
    also: bool = False

    @property
    def civilians_killed(self) -> int:
        return sum(c.value for c in self.killed if c.noun in v.CIVILIAN_COUNT_NOUNS)

    def nouns(self) -> set[str]:
        return {c.noun for c in [*self.killed, *self.injured] if c.noun}


@dataclass(frozen=True, slots=True)
class TokenView:
    """The lower-cased tokens of a document with their character offsets."""

    lower: list[str]
    idx: list[int]
    ends: list[int]


def count_casualties(
    tokens: TokenView,
    start: int,
    end: int,
    text: str,
    *,
    skip: frozenset[int] = frozenset(),
    names: dict[int, int] | None = None,
) -> Counts:
    """Killed and wounded counts of the sentence ``tokens[start:end]``.

    Args:
        tokens: the document's tokens.
        start: first token of the sentence.
        end: one past its last token.
        text: the document text.
        skip: token indices never read as numbers (dates).
        names: ``start -> end`` of actor names, which may stand for the counted people
            (``3 IS-K killed``) or sit between a number and its noun (``12 ISKP fighters``).
    """
    lower = tokens.lower
    names = names or {}
    counts = Counts()
    cstart, cend = tokens.idx[start], tokens.ends[end - 1]
    segment = text[cstart:cend]
    words = set(lower[start:end])
    if words & _ZERO_WORDS:
        zero = _NO_CASUALTIES.search(segment)
        if zero:
            counts.zero = (cstart + zero.start(), cstart + zero.end())
    if "toll" in words or "number" in words:
        toll = _TOLL.search(segment)
        if toll:
            value, _, _ = read_number(re.split(r"[\s-]+", toll.group("n").lower()), 0)
            if value is not None:
                counts.toll = (value, (cstart + toll.start(), cstart + toll.end()))
    if not words & _ALL_CASUALTY_WORDS:
        return counts
    triggers = _casualty_words(lower, start, end)
    if not triggers:
        return counts
    combined = _combined(lower, triggers)
    lowered = segment.lower()
    counts.also = any(
        w in lowered
        for w in (" also ", " another ", "in addition", "additionally", " as well", " further ")
    )
    previous: tuple[int, str] | None = None
    k = start
    while k < end:
        if k in skip:
            k += 1
            continue
        if lower[k] == "one" and k > start and lower[k - 1] == "no":
            k += 1
            continue
        token = lower[k]
        if not (token[:1].isdigit() or token in _NUMBERISH):
            k += 1
            continue
        value, stop, vague = read_number(lower, k)
        singular = False
        if value is None and not vague and lower[k] in _SINGULAR_STARTS:
            value, stop, singular = _singular(lower, k, end, names)
        if vague:
            nxt = _forward(
                lower, _noun_after(lower, stop, end, names) or stop, end, triggers, names
            )
            if nxt is not None and nxt[1] == KILLED:
                counts.vague_killed = True
            previous = None
            k = stop
            continue
        if value is None:
            k += 1
            continue
        noun = _noun_after(lower, stop, end, names)
        before = lower[max(start, k - 2) : k]
        if any(w in _SUBSET for w in before) or (
            before[-1:] == ["of"] and k - 2 >= start and lower[k - 2] in ("them", "whom", "which")
        ):
            k = stop if noun is None else noun + 1
            continue
        after_from = stop if noun is None else noun + 1
        governed = _active_before(lower, k, start, triggers)
        if governed is None:
            governed = _forward(lower, after_from, end, triggers, names)
        if (
            governed is None
            and previous is not None
            and k > start
            and (lower[k - 1] == "and" or (lower[k - 1] == "," and not singular))
        ):
            governed = previous
        if governed is None and noun is not None and not singular:
            governed = _passive_later(lower, noun + 1, end, triggers)
        if governed is None or (noun is None and singular and lower[k] not in ("him", "her")):
            k = after_from
            continue
        if governed[0] in combined:
            k = after_from
            previous = None
            continue
        first = tokens.idx[k]
        last = tokens.ends[noun if noun is not None else stop - 1]
        span = (min(first, tokens.idx[governed[0]]), max(last, tokens.ends[governed[0]]))
        word = lower[noun] if noun is not None else None
        entry = Count(value, span[0], span[1], word)
        (counts.killed if governed[1] == KILLED else counts.injured).append(entry)
        previous = governed
        k = after_from
    return counts


def count_fighters(
    tokens: TokenView, start: int, end: int, names: dict[int, int] | None = None
) -> tuple[int | None, tuple[int, int] | None]:
    """The largest number of fighters (not leaders) a defection sentence names, with its span."""
    lower = tokens.lower
    best: tuple[int, tuple[int, int]] | None = None
    for k in range(start, end):
        value, stop, vague = read_number(lower, k)
        if value is None or vague:
            continue
        noun = _noun_after(lower, stop, end, names or {})
        if noun is None and stop < end and lower[stop] == "of":
            noun = _noun_after(lower, stop + 1, end, names or {})
        if noun is None or lower[noun] in VAGUE or lower[noun] in _LEADER_NOUNS:
            continue
        span = (tokens.idx[k], tokens.ends[noun])
        if best is None or value > best[0]:
            best = (value, span)
    return (best[0], best[1]) if best else (None, None)


def _casualty_words(lower: list[str], start: int, end: int) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for k in range(start, end):
        word = lower[k]
        previous = lower[k - 1] if k > start else ""
        if (
            word in v.CASUALTY_KILLED
            or word == "kia"
            or (word in ("dead", "down") and previous in ("shot", "gunned"))
            or (word == "lives" and previous in ("their", "his", "her"))
        ):
            found.append((k, KILLED))
        elif word in v.CASUALTY_INJURED or word == "wia":
            found.append((k, INJURED))
    return found


def _combined(lower: list[str], triggers: list[tuple[int, str]]) -> set[int]:
    """Casualty words joined as one (``killing and wounding``, ``killed or injured``)."""
    joined: set[int] = set()
    for (a, kind_a), (b, kind_b) in itertools.pairwise(triggers):
        if kind_a != kind_b and b - a == 2 and lower[a + 1] in ("and", "or", "/"):
            joined.update((a, b))
    return joined


def _singular(
    lower: list[str], k: int, end: int, names: dict[int, int] | None = None
) -> tuple[int | None, int, bool]:
    """``a policeman``, ``a senior Islamic State commander``, ``him``: one person."""
    if lower[k] in ("him", "her"):
        return 1, k + 1, True
    j = k + 1
    steps = 0
    while j < end and steps < 4:
        if lower[j] in _SINGULAR_PERSONS:
            return 1, j, True
        if names and j in names:
            if lower[names[j] - 1] in _SINGULAR_PERSONS:
                return 1, names[j] - 1, True
            j = names[j]
            steps += 1
            continue
        if lower[j] not in v.ADJECTIVES_BEFORE_PERSON:
            break
        j += 1
        steps += 1
    return None, k + 1, False


def _noun_after(lower: list[str], k: int, end: int, names: dict[int, int]) -> int | None:
    """The person noun a number counts (``three [Afghan] policemen``), or None."""
    steps = 0
    j = k
    while j < end and steps < 4:
        word = lower[j]
        if j in names:
            stop = names[j]
            if stop < end and (
                lower[stop] in v.PERSON_COUNT_NOUNS or lower[stop] in v.ADJECTIVES_BEFORE_PERSON
            ):
                j = stop
                steps += 1
                continue
            return stop - 1
        if (word in v.PERSON_COUNT_NOUNS or word in _SINGULAR_PERSONS) and not (
            word in ("taliban", "daesh", "iskp", "police", "security")
            and j + 1 < end
            and lower[j + 1] in v.PERSON_COUNT_NOUNS
        ):
            return j
        if word in v.ADJECTIVES_BEFORE_PERSON or word == "-":
            j += 1
            steps += 1
            continue
        return None
    return None


def _active_before(
    lower: list[str], k: int, start: int, triggers: list[tuple[int, str]]
) -> tuple[int, str] | None:
    """An active casualty verb right before a number (``killing at least 12``)."""
    positions = dict(triggers)
    j = k - 1
    steps = 0
    while j >= start and steps < 4:
        if j in positions and (
            lower[j] not in _NOT_ACTIVE
            or (lower[j] == "dead" and j > start and lower[j - 1] == "shot")
        ):
            return j, positions[j]
        if lower[j] in v.NUMBER_QUALIFIERS or lower[j] in ("leaving", "left"):
            j -= 1
            steps += 1
            continue
        return None
    return None


def _passive_later(
    lower: list[str], k: int, end: int, triggers: list[tuple[int, str]]
) -> tuple[int, str] | None:
    """``Eleven militants loyal to the Islamic State were killed``: the subject's passive
    casualty verb a few words on, with no other count or casualty word between."""
    positions = dict(triggers)
    for j in range(k, min(end, k + 12)):
        word = lower[j]
        if j in positions:
            previous = lower[j - 1] if j > k else ""
            return (j, positions[j]) if previous in ("were", "was", "been") else None
        if word in (";", ":", ".") or word[:1].isdigit() or word in NUMBER_WORDS:
            return None
    return None


_GROUP_WORDS: Final = frozenset({"groups", "sides", "factions", "camps", "family", "families"})


def _prepositional(lower: list[str], j: int, end: int) -> int | None:
    """The end of ``from the two groups``, ``of a family``, ``on both sides``, or None."""
    k = j + 1
    if k < end and lower[k] in ("a", "an", "the", "their", "his", "her", "its", "both", "each"):
        k += 1
    if k < end and (lower[k] in ("two", "rival", "both", "warring", "opposing", "one")):
        k += 1
    if k < end and lower[k] in _GROUP_WORDS:
        return k + 1
    return None


def _forward(
    lower: list[str],
    k: int,
    end: int,
    triggers: list[tuple[int, str]],
    names: dict[int, int],
) -> tuple[int, str] | None:
    """The casualty word after a counted noun, across auxiliaries and coordinated counts
    (``three soldiers and five militants were killed``)."""
    positions = dict(triggers)
    j = k
    steps = 0
    active = False
    while j < end and steps < 12:
        if j in positions:
            if (
                active
                and lower[j - 1] not in ("been", "were", "was")
                and lower[j] not in ("dead", "died", "die", "dies", "perished")
            ):
                return None
            return j, positions[j]
        word = lower[j]
        if word in ("had", "has", "have"):
            active = True
        if word in ("from", "on", "of", "among", "in") and j + 1 < end:
            skip = _prepositional(lower, j, end)
            if skip:
                j = skip
                steps += 1
                continue
        if word == "," and j + 1 < end and lower[j + 1] in ("among", "including"):
            close = next((c for c in range(j + 2, min(end, j + 9)) if lower[c] == ","), None)
            if close is not None:
                j = close + 1
                steps += 1
                continue
        if word in _AUXILIARIES:
            j += 1
            steps += 1
            continue
        if word == "of" and j + 1 < end:
            nxt = j + 2 if lower[j + 1] == "the" else j + 1
            if nxt in names:
                j = names[nxt]
                steps += 1
                continue
        if word in ("and", ",") and j + 1 < end:
            if lower[j + 1] in _SINGULAR_STARTS:
                one, noun_at, _ = _singular(lower, j + 1, end)
                if one is not None:
                    j = noun_at + 1
                    steps += 1
                    continue
            value, stop, vague = read_number(lower, j + 1)
            if value is not None or vague:
                noun = _noun_after(lower, stop, end, names)
                j = noun + 1 if noun is not None else stop
                steps += 1
                continue
        return None
    return None
