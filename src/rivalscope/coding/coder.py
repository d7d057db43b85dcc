"""The event coder: passages in, events and defections with the evidence for each field out.

How a passage is read (every step a rule, nothing learned):

1. spaCy tokenizes it and splits sentences; the matchers (:mod:`~rivalscope.coding.patterns`)
   find actor names, places, trigger words, victims, targets and roles.
2. Each sentence keeps only the triggers that report something that happened: not negated,
   planned, threatened or feared (``could attack``, ``denied attacking``), not a foiled plot,
   not a summary, a statistic or a habit (``since 2015``, ``so far this year``, ``have clashed
   repeatedly``) unless it names a day, and not a mere mention of a known event (``the victims
   of the Kabul airport bombing``).
3. A sentence with a trigger starts an event, or continues the last one when it names no other
   province or day and does not open with ``Separately``/``Elsewhere``; up to three sentences
   without a trigger add what the event still lacks (casualties, place, date, who claimed it).
4. The sides: ``between A and B``; ``by X``; ``an X attack``; ``X claimed responsibility``; the
   subject of the main verb (not a speaker: ``police said``; not inside ``on``/``in`` phrases),
   ``its fighters`` meaning the group that speaks; the object, or the victims counted.
5. Where: a district resolves to its province through the gazetteer (``Achin`` -> Nangarhar); a
   dateline (``KABUL (AP) -``) counts only when the text names no other place. When: the most
   precise date in the event's sentences, else an absolute date in the first sentence, else the
   report date (``date_source: report``).
6. The type follows from the strongest trigger and the sides: explosives by a group are an
   ``attack``, air and drone strikes a ``state_operation``; raids and arrests by a state are a
   ``state_operation``; an attack on an armed side is a ``clash``, on civilians, a place of
   worship or a building an ``attack``; the killing of one person singled out is an ``attack``.

Precision comes first: a sentence that names groups but reports no act yields nothing.

Coding time grows linearly with the length of a passage (``benchmarks/code_size.py``). A passage
longer than :data:`MAX_PASSAGE_CHARS` characters is refused with :class:`PassageTooLong` before
anything is coded: it is almost always a whole corpus read as one report.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from rivalscope.actor_names import alias_key
from rivalscope.coding import vocabulary as v
from rivalscope.coding.actors import ARMED_KINDS, ActorNames
from rivalscope.coding.casualties import Counts, TokenView, count_casualties, count_fighters
from rivalscope.coding.dates import DateMention, best_date, find_dates
from rivalscope.coding.numbers import read_number
from rivalscope.coding.patterns import (
    ACTOR,
    CIVILIAN,
    CLAIM,
    FOREIGN,
    MILITANT,
    NATIONALITY,
    PLACE,
    PRISON,
    STATE_NOUN,
    TARGET,
    TRIGGER,
    UNIDENTIFIED,
    Match,
    Patterns,
    phrase_at,
)
from rivalscope.coding.places import (
    DEFAULT_COUNTRIES,
    DEMONYMS,
    LEVEL_COUNTRY,
    LEVEL_DISTRICT,
    LEVEL_PROVINCE,
    LEVEL_TOWN,
    WORLD_DEMONYMS,
    Gazetteer,
)
from rivalscope.coding.records import Coded, Passage
from rivalscope.errors import InputError
from rivalscope.redact import TITLES as REDACT_TITLES
from rivalscope.schema import INFLUENCE_TYPES

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from rivalscope.store import Store


MAX_PASSAGE_CHARS: Final = 2_000_000
"""The longest passage :meth:`Coder.code_passages` codes by default, in characters (about
2 MB of English, a few seconds of coding; news reports run to a few thousand characters)."""


class PassageTooLong(InputError):
    """A passage is longer than the coder's limit; names the passage, its length and the limit."""

    def __init__(self, passage: Passage, limit: int) -> None:
        self.where = passage_name(passage)
        self.size = len(passage.text)
        self.limit = limit
        super().__init__(
            f"{self.where}: {self.size:,} characters, over the limit of {limit:,} characters "
            "per passage: split it into reports"
        )


def passage_name(passage: Passage) -> str:
    """Where a passage came from, as errors name it: ``feed.csv: row 3``, ``notes.txt``."""
    if passage.file is None:
        return f"passage {passage.input_id}" if passage.input_id else "passage"
    if passage.row is None:
        return passage.file
    name = passage.file.lower().removesuffix(".gz")
    unit = (
        "row"
        if name.endswith(".csv")
        else "line"
        if name.endswith((".jsonl", ".ndjson"))
        else "passage"
    )
    return f"{passage.file}: {unit} {passage.row}"


def _gated(
    patterns: tuple[tuple[tuple[str, ...], str], ...],
) -> dict[str, tuple[re.Pattern[str], ...]]:
    by_word: dict[str, tuple[re.Pattern[str], ...]] = {}
    for gates, pattern in patterns:
        compiled = re.compile(pattern, re.IGNORECASE)
        for gate in gates:
            by_word[gate] = (*by_word.get(gate, ()), compiled)
    return by_word


_AGGREGATE_BY_WORD: Final = _gated(v.AGGREGATE_PATTERNS)
_BACKGROUND_BY_WORD: Final = _gated(v.BACKGROUND_PATTERNS)


_DATELINE: Final = re.compile(
    r"^\s*[A-Z][A-Z'.]{2,}(?:[ -][A-Z][A-Z'.]+)*"
    r"(?:,\s*[A-Z][A-Za-z .'-]{1,40}?)?"
    r"(?:,?\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:,\s*\d{4})?)?"
    r"\s*(?:\([A-Za-z .]+\))?\s*[-–—]{1,2}\s"
)
_INTRANSITIVE: Final = frozenset(
    {
        "exploded",
        "explode",
        "explodes",
        "exploding",
        "went off",
        "blast",
        "explosion",
        "explosions",
        "blasts",
    }
)
_IRREGULAR_VERBS: Final = frozenset(
    {
        "fought",
        "overran",
        "overrun",
        "blew",
        "shot",
        "struck",
        "hit",
        "broke",
        "swore",
        "sworn",
        "slain",
        "seized",
        "stormed",
        "gunned",
        "took",
        "taken",
        "retook",
        "killed",
        "escaped",
    }
)
_NOUN_INGS: Final = frozenset(
    {
        "fighting",
        "shelling",
        "bombing",
        "bombings",
        "killing",
        "killings",
        "kidnapping",
        "beheading",
        "wedding",
        "building",
        "bombardment",
        "infighting",
        "offensive",
    }
)
_PASSIVE: Final = frozenset({"was", "were", "been", "being", "be", "got", "is", "are"})
_BY_BLOCKERS: Final = frozenset(
    {
        "backed",
        "supported",
        "aided",
        "accompanied",
        "assisted",
        "joined",
        "followed",
        "led",
        "helped",
        "reinforced",
        "flanked",
        "organised",
        "organized",
        "confirmed",
        "reported",
        "announced",
        "said",
        "stated",
        "published",
        "issued",
        "released",
        "quoted",
        "run",
        "controlled",
        "held",
        "owned",
        "built",
        "used",
        "operated",
        "denied",
        "rejected",
        "claimed",
        "blamed",
        "caused",
        "ordered",
        "funded",
        "armed",
        "trained",
        "protected",
        "guarded",
        "manned",
    }
)
_DETERMINERS: Final = frozenset(
    {
        "the",
        "a",
        "an",
        "suspected",
        "alleged",
        "unknown",
        "unidentified",
        "its",
        "their",
        "his",
        "some",
        "several",
        "local",
        "armed",
        "rival",
        "fighters",
        "of",
        "militants",
        "members",
        "heavily",
        "masked",
        "two",
        "three",
        "four",
        "five",
        "dozens",
    }
)
_PREPOSITIONS: Final = frozenset(
    {
        "on",
        "at",
        "against",
        "in",
        "near",
        "with",
        "of",
        "from",
        "to",
        "into",
        "inside",
        "outside",
        "for",
        "toward",
        "towards",
        "among",
        "upon",
        "onto",
        "over",
        "under",
        "behind",
        "targeting",
        "carrying",
        "including",
        "between",
    }
)
_REPORTING: Final = frozenset(
    {
        "said",
        "says",
        "say",
        "told",
        "confirmed",
        "reported",
        "added",
        "stated",
        "announced",
        "tweeted",
        "wrote",
        "noted",
        "explained",
        "insisted",
        "alleged",
        "denied",
        "claimed",
        "claims",
        "claim",
        "reports",
        "quoted",
        "warned",
        "declared",
        "tells",
        "posted",
    }
)
_SELF_WORDS: Final = frozenset({"its", "their", "our", "his", "group's", "movement's", "own"})
_CLAUSE_BREAKS: Final = frozenset({",", ";", ":", "(", ")", "—", "–", '"', "."})
_AIR_WORDS: Final = frozenset(
    {
        "aircraft",
        "jets",
        "jet",
        "warplanes",
        "warplane",
        "drone",
        "drones",
        "helicopters",
        "helicopter",
        "gunships",
        "planes",
        "artillery",
    }
)
_AIR_STRIKE_CUES: Final = frozenset(
    {
        "force",
        "aircraft",
        "drone",
        "drones",
        "jets",
        "jet",
        "warplanes",
        "warplane",
        "helicopter",
        "helicopters",
        "aerial",
        "air",
        "missile",
        "artillery",
        "precision",
        "gunship",
        "gunships",
        "fighter",
        "planes",
        "plane",
    }
)
_NEEDS_MODIFIER: Final = frozenset(
    {
        "forces",
        "officers",
        "personnel",
        "servicemen",
        "military",
        "government",
        "army",
        "militiamen",
    }
)
_FROM_CUES: Final = frozenset(
    {
        "from",
        "left",
        "leaving",
        "quit",
        "quitting",
        "abandoned",
        "abandoning",
        "deserted",
        "deserting",
        "former",
        "ex",
        "ex-",
        "breakaway",
        "renounced",
        "renouncing",
        "broke",
    }
)
_TO_CUES: Final = frozenset({"to", "joined", "join", "joining", "rejoined", "ranks", "with"})
_DEFECT_FROM_ONLY: Final = frozenset(
    {
        "defected",
        "defect",
        "defection",
        "defections",
        "deserted",
        "broke away",
        "defecting",
        "defects",
    }
)
_SENTENCE_SCOPE_DENIAL: Final = frozenset(
    {"denied", "deny", "denies", "denying", "rejected", "dismissed", "refuted", "rejects"}
)
_WITHDRAWAL: Final = re.compile(
    r"\b(?:withdrew|withdrawn|withdrawal|without (?:a |any )?(?:fight|resistance|fighting)|"
    r"handed over|surrendered the|abandoned (?:the|their))\b",
    re.IGNORECASE,
)
_SAME_DAY: Final = re.compile(r"\b(?:on )?the same day\b|\bat the same time\b", re.IGNORECASE)
_VILLAGE: Final = re.compile(
    r"\b(?:village|town|area|hamlet|locality|bazaar) of (?P<a>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)"
    r"|\b(?P<b>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:village|area|bazaar)\b"
)
_DIGIT: Final = re.compile(r"\d")
_DISTRICT_CUES: Final = frozenset({"district", "districts", "valley"})
_IRREALIS_SOFT: Final = v.IRREALIS - {"no", "not", "n't", "without"}
_ATTACHED: Final = 2
"""Sentences without a trigger that may still add to the event before them."""
_VILLAGE_WORDS: Final = frozenset({"village", "town", "area", "hamlet", "locality", "bazaar"})
_PLACE_LINKERS: Final = frozenset({"-", "e", "i", "wa", "ye", "al", "-e", "-i"})
_PLACE_CUES: Final[dict[str, tuple[int, ...]]] = {
    "province": (LEVEL_PROVINCE,),
    "provinces": (LEVEL_PROVINCE,),
    "district": (LEVEL_DISTRICT,),
    "districts": (LEVEL_DISTRICT,),
    "city": (LEVEL_TOWN, LEVEL_DISTRICT, LEVEL_PROVINCE),
    "town": (LEVEL_TOWN, LEVEL_DISTRICT),
    "village": (LEVEL_TOWN, LEVEL_DISTRICT),
    "valley": (LEVEL_DISTRICT,),
}
_PRECEDING_CUES: Final = frozenset(
    {"in", "near", "of", "from", "at", "outside", "across", "into", "/", ",", "(", "-", ":"}
)
_ADJACENT: Final = frozenset({"/", ",", "(", "-", ":"})
_FROM_AGENTS: Final = frozenset(
    {
        "bomber",
        "bombers",
        "attacker",
        "attackers",
        "gunman",
        "gunmen",
        "militant",
        "militants",
        "fighters",
        "assailants",
        "insurgents",
        "members",
        "cell",
        "cells",
    }
)
"""``A suicide bomber from ISIS-K struck ...``: the group after ``from`` is the agent."""
_TITLE_WORDS: Final = frozenset(t.rstrip(".") for t in REDACT_TITLES)
_TITLE_PATTERN: Final = "|".join(
    re.escape(t) for t in sorted({t.rstrip(".") for t in REDACT_TITLES}, key=len, reverse=True)
)
_NAME_WORD: Final = r"(?:[A-Z][a-z][\w'\u2019-]*|(?:al|ul|ud|bin|ibn|abu|Abu)-[A-Z][\w'-]*)"
_NAME: Final = rf"(?:(?:{_TITLE_PATTERN})\.?\s+)*{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}}"
_PERSON_ROLES: Final = (
    "commander",
    "sub-commander",
    "deputy commander",
    "leader",
    "emir",
    "amir",
    "shadow governor",
    "district chief",
    "spokesman",
    "cleric",
    "judge",
    "recruiter",
    "official",
    "member",
)
"""Roles a named person holds in ``X, a Taliban commander`` and ``Taliban commander X``."""
_ROLE_WORDS: Final = "|".join(re.escape(r) for r in sorted(_PERSON_ROLES, key=len, reverse=True))
_APPOSITION: Final = re.compile(
    rf"(?<![\w-])(?P<name>{_NAME}),\s+(?:a|an|the)\s+(?:[\w'-]+\s+){{0,4}}?(?i:{_ROLE_WORDS})\b"
)
_ROLE_THEN_NAME: Final = re.compile(rf"\b(?i:{_ROLE_WORDS})\s+(?P<name>{_NAME})")
_TITLED_NAME: Final = re.compile(
    rf"(?<![\w-])(?P<name>(?:{_TITLE_PATTERN})\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}})"
)
_NOT_PERSON_WORDS: Final = frozenset(
    {"on", "in", "the", "a", "an", "local", "officials", "police", "said", "sources", "and"}
)
"""Words a person's name never holds (the patterns' false starts)."""
_ACTOR_SPAN: Final = 12
"""The most tokens an actor name spans (for the places it shadows)."""
_DEMONYM_NAMES: Final = frozenset({*DEMONYMS, *WORLD_DEMONYMS})
_COUNTRY_VOTES: Final = {LEVEL_COUNTRY: 3, LEVEL_PROVINCE: 2, LEVEL_DISTRICT: 2, LEVEL_TOWN: 1}
_BREAK_WORDS: Final = frozenset(
    {
        "jailbreak",
        "prison break",
        "prison-break",
        "jail break",
        "jail-break",
        "escaped",
        "broke out",
        "break out",
    }
)
_NOT_EVENT_AFTER: Final[dict[str, frozenset[str]]] = {
    "attack": frozenset({"helicopter", "helicopters", "dog", "dogs", "plan", "plans"}),
    "bomb": frozenset(
        {
            "disposal",
            "squad",
            "squads",
            "factory",
            "maker",
            "makers",
            "expert",
            "experts",
            "threat",
            "threats",
            "scare",
            "vest",
            "vests",
            "-",
            "making",
        }
    ),
    "bombs": frozenset({"disposal", "factory"}),
    "fighting": frozenset({"season", "age", "force", "chance", "men", "capability"}),
    "battle": frozenset({"-", "hardened", "lines", "plan"}),
    "operation": frozenset({"room", "rooms", "centre", "center"}),
    "operations": frozenset({"room", "rooms", "centre", "center", "chief", "commander"}),
    "offensive": frozenset({"weapons", "language"}),
}
_DAY_WORDS: Final = frozenset(
    {
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "the",
        "an",
        "afghanistan",
        "pakistan",
        "a",
    }
)
_STATE_OBJECT_WORDS: Final = frozenset({"police", "army", "military", "security", "intelligence"})
_DEFINITE: Final = frozenset({"the", "that", "this", "those", "these"})
_RELATIVE: Final = frozenset({"who", "whom", "which", "that"})
_SPOKEN: Final = re.compile(
    r"\b(?:said|says|told [\w ]{1,20}?|reported|announced|added|confirmed|stated|claimed)"
    r"(?: in a statement)?\s*(?:on\s*)?$"
)
"""``a spokesman said on Saturday``: the day of the telling, not of the event, when the
sentence names another day too."""
_LOCATIVE: Final = frozenset(
    {"in", "into", "from", "across", "to", "inside", "throughout", "near", "of", "at", ","}
)
_COUNTRY_KEYS: Final = frozenset(
    {
        "pakistan",
        "united states",
        "iran",
        "india",
        "iraq",
        "tajikistan",
        "uzbekistan",
        "afghanistan",
        "united kingdom",
        "us",
        "usa",
        "u.s.",
    }
)
_PURPOSE_VERBS: Final = frozenset(
    {
        "launch",
        "carry",
        "conduct",
        "stage",
        "mount",
        "commit",
        "make",
        "step",
        "intensify",
        "escalate",
        "resume",
        "continue",
        "wage",
        "avenge",
        "repel",
        "prevent",
        "stop",
        "thwart",
        "counter",
        "join",
        "fight",
    }
)
"""``to launch attacks``: a trigger two words after ``to`` is a purpose, not an act."""
_INTENT_WORDS: Final = frozenset(
    {
        "urged",
        "urges",
        "urging",
        "called",
        "calls",
        "vowed",
        "vows",
        "threatened",
        "threatens",
        "plans",
        "planned",
        "planning",
        "wants",
        "wanted",
        "intends",
        "intended",
        "aims",
        "aimed",
        "promised",
        "promises",
        "ordered",
        "orders",
        "instructed",
        "encouraged",
        "warned",
        "warns",
        "expects",
        "expected",
        "prepared",
        "preparing",
        "seeks",
        "sought",
    }
)
"""``X urged fighters ... to attack``: a trigger after such a word and ``to`` did not happen."""
_ACCIDENTS: Final = frozenset(
    {
        "crashed",
        "crash",
        "accident",
        "accidentally",
        "collapsed",
        "collapse",
        "flood",
        "floods",
        "flooding",
        "earthquake",
        "avalanche",
        "landslide",
        "drowned",
        "electrocuted",
        "stampede",
        "overturned",
        "misfire",
        "misfired",
    }
)
"""Deaths these words report are no attack or clash (``killed`` alone starts no event)."""
_NON_SIDE_VICTIMS: Final = frozenset({"people", "persons", "passers-by", "bystanders"})


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    cstart: int
    cend: int
    kind: str
    key: str | None = None
    country: str | None = None
    speaker: bool = False

    @property
    def armed(self) -> bool:
        return self.kind in ("named", "state", "unidentified", "militant", "foreign")


@dataclass(slots=True)
class _Trigger:
    start: int
    end: int
    cstart: int
    cend: int
    category: str
    text: str
    verb: bool = False

    @property
    def rank(self) -> int:
        return v.CATEGORY_RANK.get(self.category, 0)


@dataclass(slots=True)
class _PlaceMention:
    start: int
    end: int
    cstart: int
    cend: int
    places: list[int]
    cue: str | None
    dateline: bool = False
    score: int = 0


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    cstart: int
    cend: int
    triggers: list[_Trigger] = field(default_factory=list)
    all_triggers: list[_Trigger] = field(default_factory=list)
    mentions: list[_Mention] = field(default_factory=list)
    places: list[_PlaceMention] = field(default_factory=list)
    targets: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    prisons: list[tuple[int, int]] = field(default_factory=list)
    roles: list[tuple[int, int, int, int, str]] | None = None
    claims: list[tuple[int, int, str]] = field(default_factory=list)
    found_dates: list[DateMention] | None = None
    counts: Counts | None = None
    fuzzy_done: bool = False
    aggregate: bool = False
    background: bool = False
    separator: bool = False
    position: int = -1


@dataclass(slots=True)
class _Frame:
    kind: str
    sentences: list[_Sentence]
    triggers: list[_Trigger]
    typed: _Trigger | None = None
    # What _continues has gathered from the first sentences of the frame (its sentences only
    # grow while frames are built), so a long frame costs linear time, not quadratic.
    provinces: set[str] = field(default_factory=set)
    provinces_seen: int = 0
    dates: set[dt.date] = field(default_factory=set)
    dates_seen: int = 0

    @property
    def head(self) -> _Sentence:
        return self.sentences[0]


@dataclass(slots=True)
class _ReportPlaces:
    """The report-wide place fallback, folded one mention at a time: what
    ``_choose_place(every mention, province_only=True)`` would pick, kept up to date as fuzzy
    mentions are added, so that each event without a place does not rescan the whole report."""

    province: tuple[tuple[int, int, int], int, tuple[int, int], str] | None = None
    towns: dict[str | None, tuple[tuple[int, int], str, tuple[int, int], int]] = field(
        default_factory=dict
    )
    country: tuple[tuple[int, int], str] | None = None
    folded: int = 0


@dataclass(slots=True)
class _Doc:
    """A parsed passage: lower-cased tokens (filled only in the sentences that matter) and
    their character offsets."""

    text: str
    lower: list[str]
    idx: list[int]
    ends: list[int]
    dateline_end: int
    report_date: dt.date | None
    hashes: list[int] = field(default_factory=list)
    names: dict[int, int] = field(default_factory=dict)
    covered: set[int] = field(default_factory=set)
    fuzzy_found: list[_PlaceMention] = field(default_factory=list)
    report_places: _ReportPlaces | None = None
    country: str | None = None

    def chars(self, start: int, end: int) -> tuple[int, int]:
        return self.idx[start], self.ends[end - 1]

    def word(self, k: int) -> str:
        return self.text[self.idx[k] : self.ends[k]]

    def words(self, start: int, end: int) -> str:
        return " ".join(self.word(k) for k in range(start, end))

    def view(self) -> TokenView:
        return TokenView(self.lower, self.idx, self.ends)


@dataclass(slots=True)
class _PlaceChoice:
    province: int | None = None
    province_span: tuple[int, int] | None = None
    district: int | None = None
    district_span: tuple[int, int] | None = None
    location: tuple[str, tuple[int, int], int | None] | None = None
    country: str | None = None


class Coder:
    """Codes passages into :class:`~rivalscope.coding.records.Coded` events and defections.

    Args:
        actors: the actor names (default: the registry that ships with Rivalscope).
        places: the gazetteer (default: provinces, well-known districts, towns).
        country: the country assumed when a passage names no place (ISO3).
    """

    def __init__(
        self,
        actors: ActorNames | None = None,
        places: Gazetteer | None = None,
        *,
        country: str = "AFG",
    ) -> None:
        self.actors = actors or ActorNames.builtin()
        self.places = places or Gazetteer.builtin()
        self.country = country
        self.patterns = Patterns(self.actors, self.places)
        self._unidentified = self._fixed("unidentified armed group")
        self._civilians = self._fixed("civilians")
        self._coalition = self._fixed("coalition forces")
        self._protesters = self._fixed("protesters")
        self._rioters = self._fixed("rioters")
        self._crowds = frozenset(a for a in (self._protesters, self._rioters) if a)
        self._strings: dict[int, str] = {}
        self._role_of = {
            " ".join(t.lower_ for t in self.patterns.nlp.make_doc(noun)): role
            for noun, role in v.ROLE_NOUNS.items()
        }
        strings = self.patterns.nlp.vocab.strings
        self._aggregate_gates = {strings.add(w): ps for w, ps in _AGGREGATE_BY_WORD.items()}
        self._background_gates = {strings.add(w): ps for w, ps in _BACKGROUND_BY_WORD.items()}
        self._gate_hashes = frozenset(self._aggregate_gates) | frozenset(self._background_gates)
        self._casualty_hashes = frozenset(
            strings.add(w)
            for w in (
                *v.CASUALTY_KILLED,
                *v.CASUALTY_INJURED,
                "dead",
                "down",
                "lives",
                "kia",
                "wia",
                "toll",
                "no",
                "without",
            )
        )
        lower_surfaces: dict[str, set[int]] = {}
        for surface, owners in self.places.surfaces.items():
            lower_surfaces.setdefault(surface.lower(), set()).update(owners)
        self._lower_surfaces = {key: sorted(owners) for key, owners in lower_surfaces.items()}
        self._province_index = {
            p.code: i
            for i, p in enumerate(self.places.places)
            if p.level == LEVEL_PROVINCE and p.code
        }

    def _fixed(self, alias: str) -> str | None:
        entry = self.actors.resolve(alias, None, None)
        return entry.actor_id if entry else None

    @classmethod
    def from_store(cls, store: Store, *, country: str = "AFG") -> Coder:
        """A coder that knows the store's registry (with user aliases) and loaded districts."""
        countries = tuple(sorted({*DEFAULT_COUNTRIES, country}))
        return cls(
            ActorNames.from_store(store), Gazetteer.from_store(store, countries), country=country
        )

    # --- public API ---------------------------------------------------------------------------
    def code(
        self,
        text: str,
        report_date: dt.date | None = None,
        *,
        input_id: str | None = None,
        file: str | None = None,
        row: int | None = None,
        max_chars: int | None = MAX_PASSAGE_CHARS,
    ) -> list[Coded]:
        """Code one passage (see :meth:`code_passages` for ``max_chars``)."""
        passage = Passage(text, report_date, input_id, file, row)
        return next(iter(self.code_passages([passage], max_chars=max_chars)))[1]

    def code_passages(
        self,
        passages: Iterable[Passage],
        *,
        batch_size: int = 256,
        max_chars: int | None = MAX_PASSAGE_CHARS,
    ) -> Iterator[tuple[Passage, list[Coded]]]:
        """Code many passages (spaCy batches them); yields each passage with its records.

        Raises:
            PassageTooLong: a passage is longer than ``max_chars`` characters (None: no limit),
                raised before any passage is coded.
        """
        items = passages if isinstance(passages, list) else list(passages)
        if max_chars is not None:
            for passage in items:
                if len(passage.text) > max_chars:
                    raise PassageTooLong(passage, max_chars)
        docs = self.patterns.pipe((p.text for p in items), batch_size=batch_size)
        for passage, doc in zip(items, docs, strict=True):
            yield passage, self._code_doc(doc, passage)

    # --- one document -------------------------------------------------------------------------
    def _code_doc(self, doc: Doc, passage: Passage) -> list[Coded]:
        raw = self.patterns.raw(doc)
        trigger_starts = self.patterns.trigger_starts(raw)
        if not trigger_starts:
            return []
        from spacy.attrs import IDX, LENGTH, LOWER

        array = doc.to_array([IDX, LENGTH, LOWER])
        idx = array[:, 0].tolist()
        ends = (array[:, 0] + array[:, 1]).tolist()
        hashes = array[:, 2].tolist()
        raw.extend(self.patterns.places(passage.text, idx, ends, hashes))
        bounds = self.patterns.sentences(passage.text, idx, ends, hashes)
        active: set[int] = {0}
        aggregate: set[int] = set()
        background: set[int] = set()
        position = 0
        text = passage.text
        for number, (start, end, cstart, cend) in enumerate(bounds):
            while position < len(trigger_starts) and trigger_starts[position] < start:
                position += 1
            if position < len(trigger_starts) and trigger_starts[position] < end:
                present = self._gate_hashes.intersection(hashes[start:end])
                if present and self._gated(text[cstart:cend], present, self._background_gates):
                    background.add(number)
                    active.add(number)
                elif present and self._gated(text[cstart:cend], present, self._aggregate_gates):
                    aggregate.add(number)
                    active.add(number)
                else:
                    active.update(range(number, number + _ATTACHED + 1))
        lower = [""] * len(idx)
        owner = [-1] * len(idx)
        get = self._strings.get
        sentences: list[_Sentence] = []
        for number in sorted(active):
            if number >= len(bounds):
                break
            start, end, cstart, cend = bounds[number]
            lower[start:end] = [get(h) or self._string(doc, h) for h in hashes[start:end]]
            owner[start:end] = [len(sentences)] * (end - start)
            sentences.append(
                _Sentence(
                    start,
                    end,
                    cstart,
                    cend,
                    aggregate=number in aggregate or number in background,
                    background=number in background,
                    position=len(sentences),
                )
            )
        dateline = _DATELINE.match(passage.text)
        d = _Doc(
            passage.text,
            lower,
            idx,
            ends,
            dateline.end() if dateline else 0,
            passage.report_date,
            hashes,
        )
        self._fill(sentences, self.patterns.grouped(raw, owner), d, owner)
        records: list[Coded] = []
        previous: tuple[dt.date, str, tuple[int, int] | None] | None = None
        for frame in self._frames(sentences, d):
            if frame.kind == "defection":
                record = self._defection(frame, sentences, d, passage)
            else:
                record = self._event(frame, sentences, d, passage, previous)
            if record is not None:
                records.append(record)
                if record.date_start is not None and record.kind == "event":
                    previous = (
                        record.date_start,
                        record.date_precision or "day",
                        record.evidence.get("date_start"),
                    )
        return records

    @staticmethod
    def _gated(
        segment: str, present: AbstractSet[int], table: dict[int, tuple[re.Pattern[str], ...]]
    ) -> bool:
        patterns = {p for h in present for p in table.get(h, ())}
        return any(pattern.search(segment) for pattern in patterns)

    def _string(self, doc: Doc, key: int) -> str:
        text = doc.vocab.strings[key]
        if len(self._strings) < 200_000:
            self._strings[key] = text
        return text

    def _dates(self, sentence: _Sentence, d: _Doc) -> list[DateMention]:
        if sentence.found_dates is None:
            sentence.found_dates = find_dates(
                d.text,
                d.report_date,
                start=sentence.cstart,
                end=sentence.cend,
                tokens=(
                    d.lower[sentence.start : sentence.end],
                    d.idx[sentence.start : sentence.end],
                    d.ends[sentence.start : sentence.end],
                ),
            )
        return sentence.found_dates

    def _roles(self, sentence: _Sentence, d: _Doc) -> list[tuple[int, int, int, int, str]]:
        """Who defected, as words of the sentence (``commander``, ``40 fighters``)."""
        if sentence.roles is None:
            table = self.patterns.role_nouns
            found = []
            lower = d.lower
            for k in range(sentence.start, sentence.end):
                for option in table.get(lower[k], ()):
                    stop = k + len(option)
                    if stop <= sentence.end and tuple(lower[k:stop]) == option:
                        text = " ".join(option)
                        found.append((k, stop, *d.chars(k, stop), self._role_of[text]))
            sentence.roles = found
        return sentence.roles

    def _counts(self, sentence: _Sentence, d: _Doc) -> Counts:
        if sentence.counts is None and not self._casualty_hashes.intersection(
            d.hashes[sentence.start : sentence.end]
        ):
            sentence.counts = Counts()
        if sentence.counts is None:
            lower = d.lower
            digits = (
                [k for k in range(sentence.start, sentence.end) if lower[k][:1].isdigit()]
                if _DIGIT.search(d.text, sentence.cstart, sentence.cend)
                else []
            )
            dates = self._dates(sentence, d) if digits else []
            skip = frozenset(k for m in dates for k in digits if m.start <= d.idx[k] < m.end)
            sentence.counts = count_casualties(
                d.view(), sentence.start, sentence.end, d.text, skip=skip, names=d.names
            )
        return sentence.counts

    def _fill(
        self,
        sentences: list[_Sentence],
        by_kind: dict[str, list[Match]],
        d: _Doc,
        owner: list[int],
    ) -> None:
        place_matches = by_kind.get(PLACE, [])
        actor_matches = by_kind.get(ACTOR)
        if actor_matches and place_matches:
            # A place inside a longer actor name (``Sinaloa Cartel``) is the actor's name.
            actor_end: dict[int, int] = {}
            for a in actor_matches:
                actor_end[a.start] = max(actor_end.get(a.start, 0), a.end)
            place_matches = [
                p
                for p in place_matches
                if not any(
                    actor_end.get(k, 0) >= p.end and actor_end[k] - k > p.end - p.start
                    for k in range(max(0, p.start - _ACTOR_SPAN), p.start + 1)
                )
            ]
        places = self._place_mentions(place_matches, d)
        levels = self.places.places
        place_tokens = {
            k
            for p in places
            if any(levels[i].level != LEVEL_COUNTRY for i in p.places)
            for k in range(p.start, p.end)
        }
        mentions = self._mentions(by_kind, d, place_tokens)
        d.names = {m.start: m.end for m in mentions if m.kind == "named"}
        triggers = [
            _Trigger(
                m.start,
                m.end,
                *d.chars(m.start, m.end),
                m.value,
                " ".join(d.lower[m.start : m.end]),
            )
            for m in _longest(by_kind.get(TRIGGER, []))
            if not any(k in place_tokens for k in range(m.start, m.end))
        ]
        for trigger in triggers:
            trigger.verb = _is_verb(trigger, d.lower)
            if trigger.text in ("captured", "seized"):
                trigger.category = _capture_or_arrest(trigger, d, place_tokens)
            if trigger.category == "allegiance":
                _allegiance(trigger, d)
        for mention in mentions:
            sentences[owner[mention.start]].mentions.append(mention)
        for place in places:
            sentences[owner[place.start]].places.append(place)
        for trigger in triggers:
            sentences[owner[trigger.start]].all_triggers.append(trigger)
        for match in _longest(by_kind.get(TARGET, [])):
            if match.start not in place_tokens:
                sentences[owner[match.start]].targets.append(
                    (match.start, match.end, *d.chars(match.start, match.end), match.value)
                )
        for match in by_kind.get(PRISON, ()):
            sentences[owner[match.start]].prisons.append((match.start, match.end))
        for match in by_kind.get(CLAIM, ()):
            sentences[owner[match.start]].claims.append((match.start, match.end, match.value))
        for sentence in sentences:
            for mention in sentence.mentions:
                mention.speaker = _is_speaker(mention, sentence, d.lower)
            if sentence.all_triggers and sentence.aggregate and not sentence.background:
                sentence.aggregate = not any(
                    m.precision == "day" and m.start >= d.dateline_end
                    for m in self._dates(sentence, d)
                )
            first = d.lower[sentence.start]
            second = d.lower[sentence.start + 1] if sentence.start + 1 < sentence.end else ""
            sentence.separator = first in v.SEPARATORS or (
                first == "in"
                and (
                    second == "another"
                    or (
                        second in ("a", "separate")
                        and "separate" in d.text[sentence.cstart : sentence.cstart + 40].lower()
                    )
                )
            )
            sentence.triggers = [
                t
                for t in sentence.all_triggers
                if t.category != "allegiance" and self._real(t, sentence, d)
            ]

    # --- mentions -----------------------------------------------------------------------------
    def _mentions(
        self, by_kind: dict[str, list[Match]], d: _Doc, place_tokens: set[int]
    ) -> list[_Mention]:
        taken: set[int] = set()
        found: list[_Mention] = []
        groups = self.patterns.group_nouns
        state_end = _ends(by_kind.get(STATE_NOUN, []))
        lower = d.lower
        count = len(lower)

        def group_end(k: int) -> int | None:
            return phrase_at(lower, k, count, groups)

        def extend(end: int) -> int:
            while end < len(lower):
                if lower[end] in ("'s", "’s") and end + 1 < len(lower):
                    nxt = group_end(end + 1) or state_end.get(end + 1)
                    if nxt:
                        end = nxt
                        continue
                    break
                nxt = group_end(end) or state_end.get(end)
                if nxt:
                    end = nxt
                    continue
                if lower[end] in _AIR_WORDS or lower[end] == "militia":
                    end += 1
                    continue
                break
            return end

        def add(
            start: int,
            end: int,
            kind: str,
            key: str | None = None,
            country: str | None = None,
            over_places: bool = False,
        ) -> None:
            span = range(start, end)
            if not taken.isdisjoint(span):
                return
            if not over_places and not place_tokens.isdisjoint(span):
                return
            taken.update(span)
            found.append(_Mention(start, end, *d.chars(start, end), kind, key, country))

        for match in _longest(by_kind.get(ACTOR, [])):
            if (
                (
                    match.start >= 2
                    and lower[match.start - 1] == "-"
                    and lower[match.start - 2] in ("pro", "anti")
                )
                or d.idx[match.start] < d.dateline_end
                or (
                    match.value in _COUNTRY_KEYS
                    and match.start > 0
                    and lower[match.start - 1] in _LOCATIVE
                )
            ):
                taken.update(range(match.start, match.end))
                continue
            kinds = {self.actors.kind(e.actor_id) for e in self.actors.by_key.get(match.value, [])}
            if kinds == {"civilians"}:
                add(match.start, match.end, "civilian")
            else:
                add(match.start, extend(match.end), "named", match.value, over_places=True)
        for match in _longest(by_kind.get(NATIONALITY, []) + by_kind.get(FOREIGN, [])):
            end = match.end
            nxt = state_end.get(end) or group_end(end)
            if nxt is None and end < len(lower) and lower[end] in _AIR_WORDS:
                nxt = end + 1
            if nxt is None:
                continue
            if match.kind == FOREIGN:
                add(match.start, extend(nxt), "foreign")
            else:
                add(match.start, extend(nxt), "state", country=match.value)
        for match in _longest(by_kind.get(UNIDENTIFIED, [])):
            add(match.start, match.end, "unidentified")
        for match in _longest(by_kind.get(STATE_NOUN, [])):
            if match.value in _NEEDS_MODIFIER or (
                match.end < len(lower) and lower[match.end] in ("district", "districts", "pd")
            ):
                continue
            add(match.start, extend(match.end), "state")
        for match in _longest(by_kind.get(MILITANT, [])):
            add(match.start, match.end, "militant")
        for match in _longest(by_kind.get(CIVILIAN, [])):
            if match.value in v.NON_SIDE_CIVILIAN_NOUNS:
                continue
            add(match.start, match.end, "civilian")
        found.sort(key=lambda m: m.start)
        return found

    def _place_mentions(self, matches: list[Match], d: _Doc) -> list[_PlaceMention]:
        found: list[_PlaceMention] = []
        covered: set[int] = set()
        gazetteer = self.places
        pending: list[tuple[Match, list[int]]] = []
        for match in _longest(matches):
            if not d.text[d.idx[match.start]].isupper():
                continue
            indices = self._lower_surfaces.get(match.value, []) + self.places.world_surface(
                match.value
            )
            if indices:
                pending.append((match, indices))
        starts = {m.start for m, _ in pending}
        ends = {m.end for m, _ in pending}
        for match, indices in pending:
            cue = _cue_after(d.lower, match.end)
            before = d.lower[match.start - 1] if match.start > 0 else ""
            after = d.lower[match.end] if match.end < len(d.lower) else ""
            adjacent = (before in _ADJACENT and match.start - 1 in ends) or (
                after in _ADJACENT and match.end + 1 in starts
            )
            weak_ok = cue is not None or before in _PRECEDING_CUES or adjacent
            strong_ok = (
                cue is not None
                or adjacent
                or (after == ")" and "(" in d.lower[max(0, match.start - 6) : match.start])
            )
            kept = [
                i
                for i in indices
                if not gazetteer.places[i].weak
                or (strong_ok if gazetteer.places[i].world else weak_ok)
            ]
            if not kept:
                continue
            covered.update(range(match.start, match.end))
            found.append(self._place_mention(match.start, match.end, kept, cue, d))
        d.country = self._narrow_to_country(found)
        if d.country is not None:
            places = gazetteer.places
            kept_mentions = [
                m
                for m in found
                if not all(
                    places[i].world and places[i].country_iso3 != d.country for i in m.places
                )
            ]
            if len(kept_mentions) < len(found):
                found = kept_mentions
                covered = {k for m in found for k in range(m.start, m.end)}
        d.covered = covered
        return found

    def _narrow_to_country(self, mentions: list[_PlaceMention]) -> str | None:
        """The passage's country, by the votes of its place mentions (a country named 3, a
        province or district 2, a town or a demonym 1; a mention that several countries share
        gives each its best vote); a mention that names places in several countries keeps only
        those of the winner. Ties go to the coder's default country, then the first named."""
        if not mentions:
            return None
        places = self.places.places
        votes: dict[str, int] = {}
        order: dict[str, int] = {}
        for mention in mentions:
            best: dict[str, int] = {}
            for index in mention.places:
                place = places[index]
                weight = _COUNTRY_VOTES[place.level]
                if place.level == LEVEL_COUNTRY and place.name in _DEMONYM_NAMES:
                    weight = 1
                if weight > best.get(place.country_iso3, 0):
                    best[place.country_iso3] = weight
            for country, weight in best.items():
                votes[country] = votes.get(country, 0) + weight
                order.setdefault(country, len(order))
        if not votes:
            return None
        winner = max(votes, key=lambda c: (votes[c], c == self.country, -order[c]))
        for mention in mentions:
            if len({places[i].country_iso3 for i in mention.places}) > 1:
                kept = [i for i in mention.places if places[i].country_iso3 == winner]
                if kept:
                    mention.places = kept
        return winner

    def _place_mention(
        self, start: int, end: int, indices: list[int], cue: str | None, d: _Doc
    ) -> _PlaceMention:
        cstart, cend = d.chars(start, end)
        before = d.lower[start - 1] if start > 0 else ""
        after = d.lower[end] if end < len(d.lower) else ""
        score = 0
        score += 2 if cue in ("district", "districts", "province", "provinces", "city") else 0
        score += 1 if before in ("in", "near", "of", "at", "outside") else 0
        score -= 2 if after == "-" or before == "-" else 0
        score -= 1 if after in ("'s", "’s") and cue is None else 0
        return _PlaceMention(start, end, cstart, cend, indices, cue, cstart < d.dateline_end, score)

    def _fuzzy_places(self, sentence: _Sentence, d: _Doc) -> list[_PlaceMention]:
        """Unknown spellings named as places (``Nangahar province``, ``in Kundoz``)."""
        found: list[_PlaceMention] = []
        lower = d.lower
        covered = d.covered
        for i in range(sentence.start, sentence.end):
            word = lower[i]
            if word not in _PLACE_CUES:
                continue
            levels = _PLACE_CUES.get(word)
            if levels is None or i == 0 or (i - 1) in covered:
                continue
            start = i
            while start > 0 and i - start < 5:
                prev = start - 1
                if prev in covered:
                    break
                if not lower[prev]:
                    break
                if d.word(prev)[:1].isupper() or (lower[prev] in _PLACE_LINKERS and start < i):
                    start = prev
                    continue
                break
            while start < i and lower[start] in _PLACE_LINKERS:
                start += 1
            for s in range(start, i):
                if lower[s] in _PLACE_LINKERS or not d.word(s)[:1].isupper():
                    continue
                name = d.words(s, i)
                indices = [
                    j for j in self.places.lookup(name) if self.places.places[j].level in levels
                ] or self.places.fuzzy(name, levels, 86.0)
                if indices:
                    found.append(self._place_mention(s, i, indices, word, d))
                    covered.update(range(s, i))
                    break
        for i in range(sentence.start, sentence.end - 1):
            if lower[i] not in ("in", "near"):
                continue
            j = i + 1
            if j in covered or not d.word(j)[:1].isupper() or len(lower[j]) < 5:
                continue
            if lower[j] in _DAY_WORDS:
                continue
            end = j + 1
            if (
                end < len(lower)
                and lower[end]
                and d.word(end)[:1].isupper()
                and (end not in covered)
            ):
                end += 1
            name = d.words(j, end)
            indices = self.places.fuzzy(name, (LEVEL_PROVINCE,), 90.0) or self.places.fuzzy(
                name, (LEVEL_DISTRICT, LEVEL_TOWN), 92.0
            )
            if indices:
                found.append(self._place_mention(j, end, indices, None, d))
                covered.update(range(j, end))
        return found

    # --- triggers -----------------------------------------------------------------------------
    def _real(self, trigger: _Trigger, sentence: _Sentence, d: _Doc) -> bool:
        """Whether a trigger reports something that happened."""
        if sentence.aggregate:
            return False
        lower = d.lower
        start, end = trigger.start, trigger.end
        following = lower[end] if end < sentence.end else ""
        if following in _NOT_EVENT_AFTER.get(trigger.text, ()):
            return False
        if (
            trigger.text in ("fighting", "clashes", "battles", "war")
            and start >= 2
            and (
                lower[start - 1] == "of"
                and lower[start - 2] in ("days", "weeks", "months", "years", "decades", "hours")
            )
        ):
            return False
        if trigger.text in ("strike", "strikes") or (
            trigger.category == "air" and trigger.text == "bombed"
        ):
            cues = set(lower[max(sentence.start, start - 3) : start])
            if trigger.text != "bombed" and not cues & _AIR_STRIKE_CUES:
                return False
        window: list[str] = []
        i = start - 1
        while i >= sentence.start and len(window) < 4:
            if lower[i] in _CLAUSE_BREAKS:
                break
            window.append(lower[i])
            i -= 1
        if window and window[0] == "to":
            before_to = window[1] if len(window) > 1 else ""
            if before_to in v.ATTEMPT_WORDS and trigger.category != "defect":
                return True
            if trigger.category != "defect" or trigger.text in ("join", "surrender", "defect"):
                return False
        if (
            len(window) > 1
            and window[1] == "to"
            and window[0] in _PURPOSE_VERBS
            and not (len(window) > 2 and window[2] in v.ATTEMPT_WORDS)
        ):
            return False
        if window and window[0] in ("any", "every", "possible", "future", "potential"):
            return False
        for distance, word in enumerate(window):
            if word in ("not", "no", "never", "n't", "without") and distance <= 2:
                return False
            if word in v.IRREALIS and word not in ("not", "no", "never", "n't", "without"):
                if word == "tried" and trigger.category != "defect":
                    continue
                return False
        before_all = lower[sentence.start : start]
        if not _SENTENCE_SCOPE_DENIAL.isdisjoint(before_all):
            return False
        if not _INTENT_WORDS.isdisjoint(before_all):
            for k, word in enumerate(before_all):
                if word in _INTENT_WORDS and "to" in before_all[k + 1 :]:
                    return False
        if trigger.category in v.WEAK_CATEGORIES and not _ACCIDENTS.isdisjoint(
            lower[sentence.start : sentence.end]
        ):
            return False
        if trigger.category in v.WEAK_CATEGORIES and not _IRREALIS_SOFT.isdisjoint(before_all):
            return False
        if trigger.category in ("bomb", "assault", "raid"):
            lo, hi = max(sentence.start, start - 6), min(sentence.end, end + 6)
            if not v.FOILED.isdisjoint(lower[lo:hi]):
                return False
        if trigger.category == "defect" and trigger.text in (
            "join",
            "joined",
            "joining",
            "rejoined",
        ):
            after = lower[end : min(sentence.end, end + 3)]
            if after[:1] in (["forces"], ["hands"]) or after[:2] == ["the", "fight"]:
                return False
        return not (trigger.category == "free" and not sentence.prisons)

    def _background(self, sentence: _Sentence, triggers: list[_Trigger], d: _Doc) -> bool:
        """A sentence that only refers to a known event (``the victims of the Kabul airport
        bombing``): nominal, definite, with no count or claim of its own."""
        if any(t.verb for t in triggers) or sentence.claims:
            return False
        lower = d.lower
        for trigger in triggers:
            k = trigger.start - 1
            steps = 0
            while (
                k >= sentence.start
                and steps < 4
                and lower[k] not in _PREPOSITIONS
                and (
                    lower[k] not in _CLAUSE_BREAKS
                    and lower[k] not in _DEFINITE
                    and lower[k] not in ("a", "an", "another")
                )
            ):
                k -= 1
                steps += 1
            if k < sentence.start or lower[k] not in _DEFINITE:
                return False
            if (
                k > sentence.start
                and lower[k - 1] not in _PREPOSITIONS
                and lower[k - 1]
                not in ("after", "since", "before", "during", "following", "about", "like")
            ):
                return False
        counts = self._counts(sentence, d)
        return not (counts.killed or counts.injured)

    # --- frames -------------------------------------------------------------------------------
    def _frames(self, sentences: list[_Sentence], d: _Doc) -> list[_Frame]:
        frames: list[_Frame] = []
        current: _Frame | None = None
        attached = 0
        for sentence in sentences:
            if not sentence.triggers:
                if current is not None and attached < _ATTACHED:
                    current.sentences.append(sentence)
                    attached += 1
                continue
            violent = [t for t in sentence.triggers if t.category not in ("defect", "free")]
            defect = [t for t in sentence.triggers if t.category == "defect"]
            prison = bool(sentence.prisons) and (
                any(t.text in _BREAK_WORDS for t in sentence.triggers)
                or any(t.category in ("assault", "bomb", "raid", "combat") for t in violent)
            )
            if prison:
                violent = [
                    _Trigger(t.start, t.end, t.cstart, t.cend, "prison", t.text, t.verb)
                    for t in sentence.triggers
                    if t.category in ("free", "assault", "bomb", "raid", "combat")
                ] + violent
            if defect and not self._defection_ok(sentence, defect, d):
                defect = []
            if (
                violent
                and all(t.category in v.WEAK_CATEGORIES for t in violent)
                and (not self._kill_ok(sentence, current, d))
            ):
                violent = []
            if (
                violent
                and (current is None or sentence.separator)
                and self._background(sentence, violent, d)
            ):
                violent = []
            if defect and violent and all(t.rank < 40 for t in violent):
                violent = []
            if defect and violent:
                lower = d.lower
                violent = [
                    t
                    for t in violent
                    if not _RELATIVE.intersection(lower[max(sentence.start, t.start - 3) : t.start])
                ]
            if not violent and not defect:
                if current is not None and attached < _ATTACHED:
                    current.sentences.append(sentence)
                    attached += 1
                continue
            if defect:
                frames.append(_Frame("defection", [sentence], defect))
            if violent:
                if current is not None and self._continues(current, sentence, violent, d):
                    current.sentences.append(sentence)
                    current.triggers.extend(violent)
                else:
                    current = _Frame("event", [sentence], violent)
                    frames.append(current)
                attached = 0
        frames.sort(key=lambda f: f.head.start)
        return frames

    def _continues(
        self, frame: _Frame, sentence: _Sentence, violent: list[_Trigger], d: _Doc
    ) -> bool:
        if sentence.separator:
            return False
        if frame.provinces_seen < len(frame.sentences):
            frame.provinces |= self._provinces_named(frame.sentences[frame.provinces_seen :])
            frame.provinces_seen = len(frame.sentences)
        frame_provinces = frame.provinces
        here = self._provinces_named([sentence])
        if here and frame_provinces and not (here & frame_provinces):
            return False
        here_dates = {m.date for m in self._dates(sentence, d) if m.date and m.precision == "day"}
        if here_dates:
            frame.dates.update(
                m.date
                for s in frame.sentences[frame.dates_seen :]
                for m in self._dates(s, d)
                if m.date
            )
            frame.dates_seen = len(frame.sentences)
            frame_dates = frame.dates
            if frame_dates and not (here_dates & frame_dates):
                return False
        new = max(violent, key=lambda t: t.rank)
        return not (
            new.category == "prison" and all(t.category != "prison" for t in frame.triggers)
        )

    def _provinces_named(self, sentences: Iterable[_Sentence]) -> set[str]:
        found: set[str] = set()
        for sentence in sentences:
            for mention in sentence.places:
                if mention.dateline:
                    continue
                provinces = {
                    self.places.places[i].province
                    for i in mention.places
                    if self.places.places[i].level != LEVEL_COUNTRY
                }
                if len(provinces) == 1:
                    found |= {p for p in provinces if p}
        return found

    def _kill_ok(self, sentence: _Sentence, current: _Frame | None, d: _Doc) -> bool:
        """A plain ``killed`` starts an event only with a named side or civilian victims."""
        if current is not None and not sentence.separator:
            return True
        sides = [m for m in sentence.mentions if not m.speaker]
        named = [m for m in sides if m.kind in ("named", "state", "unidentified", "foreign")]
        victims = [m for m in sides if m.kind == "civilian"]
        return bool(named or victims) and bool(
            sentence.places or self._dates(sentence, d) or len(named) >= 2 or victims
        )

    def _defection_ok(self, sentence: _Sentence, triggers: list[_Trigger], d: _Doc) -> bool:
        named = [m for m in sentence.mentions if m.kind in ("named", "state", "foreign")]
        if not named:
            return False
        lower = d.lower
        people = bool(self._roles(sentence, d)) or any(
            word in ("he", "they", "defectors", "defector", "himself", "themselves")
            for word in lower[sentence.start : sentence.end]
        )
        if not people:
            for k in range(sentence.start, sentence.end):
                value, stop, vague = read_number(lower, k)
                if (value is not None or vague) and any(
                    lower[j] in v.PERSON_COUNT_NOUNS
                    for j in range(stop, min(stop + 3, sentence.end))
                ):
                    people = True
                    break
        words = {t.text for t in triggers}
        strong = bool(
            words
            - {"join", "joined", "joining", "rejoined", "surrender", "surrendered", "surrendering"}
        )
        return people or (strong and len(named) >= 2)

    # --- events -------------------------------------------------------------------------------
    def _event(
        self,
        frame: _Frame,
        sentences: list[_Sentence],
        d: _Doc,
        passage: Passage,
        previous: tuple[dt.date, str, tuple[int, int] | None] | None,
    ) -> Coded | None:
        head = frame.head
        kind_trigger = self._type_trigger(frame)
        date = self._date(frame, passage, sentences, d, previous)
        country, choice = self._place(frame, sentences, d)
        when = date[0] if date else passage.report_date
        actor1, actor2, how = self._sides(frame, d)
        a1 = self._resolve(actor1, country, when)
        a2 = self._resolve(actor2, country, when)
        if a1 is not None and a1 == a2:
            a2, actor2 = None, None
        counts = self._casualties(frame, d)
        killed, injured, civilian_deaths, kill_span, injure_span, victim, single = counts
        if a2 is None and victim is not None:
            resolved = self._resolve(victim, country, when)
            if resolved is not None and resolved != a1:
                a2, actor2 = resolved, victim
        target, target_span = self._target(frame, a2, country, when, actor2)
        a2_span = (actor2.cstart, actor2.cend) if actor2 is not None and a2 else None
        if (
            a2 is None
            and target == "state_security"
            and target_span
            and (actor1 is not None or kind_trigger.category in ("assault", "bomb", "combat"))
        ):
            gov = self.actors.government(country, when)
            if gov is not None and gov != a1 and not self.actors.is_state(a1, country, when):
                a2, a2_span = gov, target_span
        if a2 is None and target in ("civilians", "religious_site") and target_span:
            a2, a2_span = self._civilians, target_span
        event_type = self._event_type(
            frame, kind_trigger, a1, a2, actor1, target, country, when, single, d
        )
        if event_type is None:
            return None
        if event_type in INFLUENCE_TYPES:
            # Extortion is of civilians by definition; the other influence types act on no side.
            a2, a2_span, actor2 = None, None, None
            if event_type == "extortion":
                a2, target = self._civilians, "civilians"
        elif kind_trigger.category in ("protest", "riot"):
            if a1 is None:
                a1 = self._protesters if kind_trigger.category == "protest" else self._rioters
            if a2 == self._civilians:
                a2, a2_span, actor2 = None, None, None
        if event_type == "attack" and a2 is None and self._people_killed(frame, d):
            a2 = self._civilians
            target = target or "civilians"
        if event_type == "prison_break":
            a2, a2_span, actor2 = None, None, None
            target = None
        if a2 is not None and target is None:
            target, _ = self._target(frame, a2, country, when, actor2)
        record = Coded(
            kind="event",
            event_type=event_type,
            passage=passage,
            span=(frame.sentences[0].cstart, frame.sentences[-1].cend),
            trigger=(kind_trigger.cstart, kind_trigger.cend),
            actor1=a1,
            actor2=a2,
            actor1_raw=d.text[actor1.cstart : actor1.cend] if actor1 and a1 else None,
            actor2_raw=d.text[a2_span[0] : a2_span[1]] if a2_span and a2 else None,
            country_iso3=country,
            fatalities=killed,
            injured=injured,
            civilian_deaths=civilian_deaths,
            target_type=target,
        )
        evidence = record.evidence
        evidence["event_type"] = (kind_trigger.cstart, kind_trigger.cend)
        if actor1 is not None and a1 is not None:
            evidence["actor1"] = (actor1.cstart, actor1.cend)
        if a2 is not None and a2_span is not None:
            evidence["actor2"] = a2_span
        if kill_span:
            evidence["fatalities"] = kill_span
        if injure_span:
            evidence["injured"] = injure_span
        if target is not None and (target_span or a2_span):
            evidence["target_type"] = target_span or a2_span  # type: ignore[assignment]
        self._apply_place(record, choice)
        _apply_date(record, date)
        record.confidence = self._confidence(record, frame, how, head, d)
        return record

    def _type_trigger(self, frame: _Frame) -> _Trigger:
        """The trigger that decides the type: a prison break, an air strike or explosives
        anywhere in the event; else the main verb of its first sentence."""
        if frame.typed is None:
            frame.typed = self._find_type_trigger(frame)
        return frame.typed

    def _find_type_trigger(self, frame: _Frame) -> _Trigger:
        for group in (("prison",), ("air",), ("bomb",)):
            chosen = [t for t in frame.triggers if t.category in group]
            if chosen:
                return min(chosen, key=lambda t: t.start)
        head = [t for t in frame.triggers if frame.head.start <= t.start < frame.head.end]
        strong = [t for t in head if t.category not in v.WEAK_CATEGORIES] or [
            t for t in frame.triggers if t.category not in v.WEAK_CATEGORIES
        ]
        verbs = [t for t in strong if t.verb]
        if verbs:
            main = min(verbs, key=lambda t: t.start)
            if main.category in ("arrest", "capture", "abduct"):
                stronger = [t for t in strong if t.category in ("combat", "raid", "assault")]
                if stronger:
                    return min(stronger, key=lambda t: t.start)
            return main
        if strong:
            return max(strong, key=lambda t: (t.rank, -t.start))
        return min(frame.triggers, key=lambda t: t.start)

    def _split(self, frame: _Frame) -> _Trigger:
        """Where the first sentence divides its subject from its object: the main verb."""
        head = [t for t in frame.triggers if frame.head.start <= t.start < frame.head.end]
        if not head:
            return self._type_trigger(frame)
        verbs = [t for t in head if t.verb and t.category not in v.WEAK_CATEGORIES]
        verbs = verbs or [t for t in head if t.verb]
        if verbs:
            return min(verbs, key=lambda t: t.start)
        return max(head, key=lambda t: (t.rank, -t.start))

    def _sides(self, frame: _Frame, d: _Doc) -> tuple[_Mention | None, _Mention | None, str]:
        """The acting side and the side acted on, and how actor1 was found."""
        lower = d.lower
        head = frame.head
        mentions = [m for m in head.mentions if not m.speaker]
        split = self._split(frame)
        passive = split.verb and any(
            lower[k] in _PASSIVE for k in range(max(head.start, split.start - 3), split.start)
        )
        intransitive = split.text in _INTRANSITIVE or (
            split.category == "bomb"
            and split.verb
            and any(
                t.category == "bomb" and not t.verb and t.start < split.start for t in head.triggers
            )
        )
        between = self._between(head, mentions, lower)
        if between is not None:
            return between[0], between[1], "between"
        actor1: _Mention | None = None
        actor2: _Mention | None = None
        how = "subject"
        agent = self._agent(head, mentions, lower)
        modifier = self._modifier(frame, mentions, lower)
        if modifier is not None and split.category in v.SYMMETRIC_CATEGORIES:
            named = [m for m in mentions if m.kind in ("named", "state", "foreign")]
            pairs = [
                (a, b)
                for a, b in itertools.pairwise(named)
                if b is modifier and _joined_by_and(a, b, lower)
            ]
            if pairs:
                return pairs[0][0], pairs[0][1], "pair"
        claimant = self._claimant(frame, d)
        if agent is not None:
            actor1, how = agent, "by"
        elif modifier is not None:
            actor1, how = modifier, "modifier"
        elif claimant is not None:
            actor1, how = claimant, "claim"
        if actor1 is None:
            own = self._self_reference(frame, split, d)
            if own is not None:
                actor1, how = own, "self"
        before = [m for m in mentions if m.end <= split.start and m is not actor1]
        after = [m for m in mentions if m.start >= split.end and m is not actor1]
        if passive or intransitive:
            victims = [m for m in before if m.kind != "militant"]
            if victims:
                actor2 = victims[-1]
            if actor1 is None:
                armed_after = [m for m in after if m.armed and m.kind != "militant"]
                if armed_after and not intransitive:
                    actor1, how = armed_after[0], "after"
        else:
            if actor1 is None:
                subjects = [m for m in before if m.armed and _subject_position(m, lower, head)]
                if subjects:
                    actor1 = subjects[-1]
                    if split.category in v.SYMMETRIC_CATEGORIES and len(subjects) >= 2:
                        pair = [m for m in subjects if m.kind in ("named", "state", "foreign")]
                        if len(pair) >= 2 and _joined_by_and(pair[-2], pair[-1], lower):
                            return pair[-2], pair[-1], "pair"
            objects = [m for m in after if m.kind != "militant" and m is not actor1]
            anchor = min(split.end, self._type_trigger(frame).end)
            soft = [
                t
                for t in head.targets
                if t[4] in ("religious_site", "civilians")
                and t[0] >= anchor
                and not (t[1] < head.end and lower[t[1]] == "of")
            ]
            if objects and soft and soft[0][0] < objects[0].start and objects[0].kind != "civilian":
                objects = []
            if objects:
                actor2 = objects[0]
            elif actor1 is not None:
                earlier = [
                    m
                    for m in before
                    if m.end <= actor1.start
                    and m.kind != "militant"
                    and not _subject_position(m, lower, head)
                ]
                if earlier:
                    actor2 = earlier[-1]
        if actor1 is None or actor1.kind in ("militant",):
            own = self._self_reference(frame, split, d)
            if own is not None:
                actor1, how = own, "self"
        if actor1 is None or actor1.kind == "militant":
            blamed = self._blamed(frame, d)
            if blamed is not None:
                actor1, how = blamed, "blame"
        if actor1 is not None and actor1.kind == "civilian":
            actor2, actor1 = actor2 or actor1, None
        if actor1 is not None and actor1.kind == "militant":
            actor1 = None
        if actor2 is not None and actor2.kind == "militant":
            actor2 = None
        return actor1, actor2, how

    def _between(
        self, head: _Sentence, mentions: list[_Mention], lower: list[str]
    ) -> tuple[_Mention, _Mention] | None:
        for k in range(head.start, head.end):
            if lower[k] != "between":
                continue
            after = [m for m in mentions if m.start > k and m.kind not in ("civilian",)]
            if len(after) >= 2 and _joined_by_and(after[0], after[1], lower):
                return after[0], after[1]
            if (
                after
                and after[0].start - k <= 3
                and after[0].end < head.end
                and lower[after[0].end] in ("factions", "groups", "commanders", "units")
            ):
                return after[0], None  # type: ignore[return-value]
        return None

    def _agent(
        self, head: _Sentence, mentions: list[_Mention], lower: list[str]
    ) -> _Mention | None:
        for mention in mentions:
            if not mention.armed or mention.kind == "militant":
                continue
            k = mention.start - 1
            while k >= head.start and lower[k] in _DETERMINERS:
                k -= 1
            if k >= head.start and lower[k] == "by":
                before = lower[k - 1] if k - 1 >= head.start else ""
                if before not in _BY_BLOCKERS:
                    return mention
            if k > head.start and lower[k] == "from" and lower[k - 1] in _FROM_AGENTS:
                return mention
        return None

    def _modifier(
        self, frame: _Frame, mentions: list[_Mention], lower: list[str]
    ) -> _Mention | None:
        """``a Taliban attack``, ``an ISKP-claimed bombing``, ``US drone strike``."""
        head = frame.head
        for trigger in sorted(frame.triggers, key=lambda t: -t.rank):
            if trigger.verb or not head.start <= trigger.start < head.end:
                continue
            for mention in mentions:
                if not mention.armed or mention.kind == "militant":
                    continue
                if mention.end > trigger.start:
                    continue
                gap = lower[mention.end : trigger.start]
                if not gap or (
                    len(gap) <= 2 and all(w in ("-", "'s", "’s", "claimed", "led") for w in gap)
                ):
                    return mention
        return None

    def _claimant(self, frame: _Frame, d: _Doc) -> _Mention | None:
        lower = d.lower
        for sentence in frame.sentences:
            for start, end, phrase in sentence.claims:
                window = lower[max(sentence.start, start - 4) : start]
                if any(w in ("no", "not", "n't", "never", "denied", "yet") for w in window):
                    continue
                if phrase == "claimed by":
                    later = [m for m in sentence.mentions if m.start >= end and m.kind == "named"]
                    if later:
                        return later[0]
                    continue
                following = lower[end] if end < sentence.end else "."
                if (
                    phrase in ("claimed", "claim")
                    and not any(
                        w
                        in (
                            "responsibility",
                            "attack",
                            "bombing",
                            "credit",
                            "killing",
                            "blast",
                            "via",
                            "through",
                            "in",
                            "on",
                            "it",
                            "that",
                            "its",
                            "the",
                        )
                        for w in lower[end : min(sentence.end, end + 3)]
                    )
                    and phrase != "claim"
                    and following not in (",", ".", ";", ")")
                ):
                    continue
                before = [
                    m
                    for m in sentence.mentions
                    if m.end <= start and m.kind == "named" and start - m.end <= 6
                ]
                if before:
                    return before[-1]
        return None

    def _self_reference(self, frame: _Frame, split: _Trigger, d: _Doc) -> _Mention | None:
        """``ISKP said its fighters ...``: the speaking group is the one acting."""
        lower = d.lower
        for sentence in frame.sentences:
            limit = split.start if sentence is frame.head else sentence.end
            named = [m for m in sentence.mentions if m.kind == "named" and m.start < limit]
            if not named:
                continue
            for k in range(sentence.start, limit):
                if (
                    lower[k] in _SELF_WORDS
                    and k + 1 < sentence.end
                    and (
                        lower[k + 1] in v.GROUP_PERSON_NOUNS
                        or lower[k + 1] == "mujahideen"
                        or lower[k + 1] in ("soldiers", "men", "fighters")
                    )
                    and any(m.end <= k for m in named)
                ):
                    return [m for m in named if m.end <= k][-1]
                if (
                    lower[k] == "the"
                    and k + 2 < sentence.end
                    and lower[k + 1] in ("group", "movement")
                    and lower[k + 2] in ("'s", "’s")
                    and any(m.end <= k for m in named)
                ):
                    return [m for m in named if m.end <= k][-1]
        return None

    def _blamed(self, frame: _Frame, d: _Doc) -> _Mention | None:
        lower = d.lower
        for sentence in frame.sentences:
            for k in range(sentence.start, sentence.end):
                if lower[k] in v.BLAME_WORDS:
                    later = [m for m in sentence.mentions if m.start > k and m.kind == "named"]
                    if later:
                        return later[0]
        return None

    def _resolve(
        self, mention: _Mention | None, country: str | None, date: dt.date | None
    ) -> str | None:
        if mention is None:
            return None
        if mention.kind == "named" and mention.key:
            entry = self.actors.resolve(mention.key, country or self.country, date)
            return entry.actor_id if entry else None
        if mention.kind == "state":
            return self.actors.government(mention.country or country or self.country, date)
        if mention.kind == "foreign":
            return self._coalition
        if mention.kind == "unidentified":
            return self._unidentified
        if mention.kind == "civilian":
            return self._civilians
        return None

    def _event_type(
        self,
        frame: _Frame,
        trigger: _Trigger,
        a1: str | None,
        a2: str | None,
        actor1: _Mention | None,
        target: str | None,
        country: str | None,
        date: dt.date | None,
        single: bool,
        d: _Doc,
    ) -> str | None:
        state = self.actors.is_state(a1, country, date) or (
            actor1 is not None and actor1.kind in ("state", "foreign")
        )
        categories = {t.category for t in frame.triggers}
        category = trigger.category
        armed_target = (
            a2 is not None
            and a2 != self._civilians
            and (self.actors.kind(a2) in ARMED_KINDS or self.actors.is_state(a2, country, date))
        ) or target in ("state_security", "group_personnel")
        civilian_target = a2 == self._civilians or target in (
            "civilians",
            "religious_site",
            "infrastructure",
        )
        if category in v.INFLUENCE_CATEGORIES:
            armed = (actor1 is not None and actor1.armed) or any(
                m.armed and not m.speaker for m in frame.head.mentions
            )
            return category if armed else None
        if category == "loot" and categories & {"kill", "killing", "abduct"}:
            return "attack"
        if category in v.PEACEFUL_CATEGORIES or (
            categories & {"riot", "protest"} and (actor1 is None or a1 in self._crowds)
        ):
            return "other"
        if category == "prison":
            return "state_operation" if state else "prison_break"
        if category == "air":
            if trigger.text == "bombed" and a1 is not None and not state:
                return "attack"
            return "state_operation"
        if category == "bomb":
            return "state_operation" if state else "attack"
        if category == "raid":
            if state:
                return "state_operation"
            if a1 is not None:
                return "clash"
            state_nouns = any(m.kind == "state" for s in frame.sentences for m in s.mentions)
            return "state_operation" if state_nouns or "night" in trigger.text else None
        if category == "combat":
            return "clash"
        if category == "assault":
            if (
                state
                and actor1 is not None
                and _AIR_WORDS.intersection(d.lower[actor1.start : actor1.end])
            ):
                return "state_operation"
            if civilian_target and not armed_target:
                return "attack"
            if armed_target:
                return "clash"
            return "attack"
        if category in ("killing", "abduct"):
            return "attack"
        if category == "capture":
            segment = d.text[frame.head.cstart : frame.head.cend]
            if _WITHDRAWAL.search(segment) and not categories & {"combat", "assault"}:
                return "other"
            return "clash" if a1 is not None or a2 is not None else None
        if category == "arrest":
            if state:
                return "state_operation"
            return "attack" if a1 is not None else None
        if category == "kill":
            if civilian_target:
                return "attack"
            if a1 is None and a2 is None:
                return None
            if single and not categories & {"combat", "assault"}:
                return "attack"
            if state and armed_target and not categories & {"combat", "assault"}:
                return "state_operation" if "raid" in categories else "clash"
            return "clash" if armed_target else "attack"
        return None

    def _target(
        self,
        frame: _Frame,
        a2: str | None,
        country: str | None,
        date: dt.date | None,
        actor2: _Mention | None,
    ) -> tuple[str | None, tuple[int, int] | None]:
        objects: dict[str, tuple[int, int]] = {}
        for sentence in frame.sentences:
            for _, _, cstart, cend, target_kind in sentence.targets:
                objects.setdefault(target_kind, (cstart, cend))
        span = (actor2.cstart, actor2.cend) if actor2 is not None else None
        if "religious_site" in objects:
            return "religious_site", objects["religious_site"]
        if "foreign" in objects:
            return "foreign", objects["foreign"]
        kind = self.actors.kind(a2)
        if a2 is not None and (
            kind == "international"
            or (
                kind == "state"
                and not self.actors.is_state(a2, country, date)
                and self.actors.countries.get(a2) not in (None, country)
            )
        ):
            return "foreign", span
        if a2 is not None and a2 == self._civilians:
            return "civilians", span or objects.get("civilians")
        if a2 is not None and self.actors.is_state(a2, country, date):
            return "state_security", span or objects.get("state_security")
        if a2 is not None and kind in ("armed_group", "ambiguous"):
            return "group_personnel", span or objects.get("group_personnel")
        for name in ("civilians", "state_security", "group_personnel", "infrastructure"):
            if name in objects:
                return name, objects[name]
        return None, None

    def _people_killed(self, frame: _Frame, d: _Doc) -> bool:
        """Whether the victims counted are ``people`` (no side named): in an attack, civilians."""
        for sentence in frame.sentences:
            counts = self._counts(sentence, d)
            if any(c.noun in _NON_SIDE_VICTIMS for c in [*counts.killed, *counts.injured]):
                return True
        return False

    # --- casualties ---------------------------------------------------------------------------
    def _casualties(
        self, frame: _Frame, d: _Doc
    ) -> tuple[
        int | None,
        int | None,
        int | None,
        tuple[int, int] | None,
        tuple[int, int] | None,
        _Mention | None,
        bool,
    ]:
        killed: int | None = None
        injured: int | None = None
        civilians: int | None = None
        spans: dict[str, tuple[int, int] | None] = {"killed": None, "injured": None}
        victim: _Mention | None = None
        groups: set[str] = set()
        single = False
        for index, sentence in enumerate(frame.sentences):
            if sentence.aggregate:
                continue
            counts = self._counts(sentence, d)
            if counts.zero and killed is None and not counts.killed:
                killed, spans["killed"] = 0, counts.zero
                if injured is None and not counts.injured:
                    injured = 0
            for name in ("killed", "injured"):
                values = counts.killed if name == "killed" else counts.injured
                if not values:
                    continue
                total = sum(c.value for c in values)
                span = (min(c.cstart for c in values), max(c.cend for c in values))
                current = killed if name == "killed" else injured
                nouns = {c.noun for c in values if c.noun}
                if current is None or current == 0:
                    new = total
                elif counts.also or (nouns and not nouns & groups and index > 0):
                    new = current + total
                else:
                    new = max(current, total)
                groups |= nouns
                if name == "killed":
                    killed = new
                    single = single or (index == 0 and total == 1 and len(values) == 1)
                else:
                    injured = new
                old = spans[name]
                spans[name] = span if old is None else (min(old[0], span[0]), max(old[1], span[1]))
            if counts.toll is not None:
                killed, spans["killed"] = counts.toll
            if counts.civilians_killed:
                civilians = (civilians or 0) + counts.civilians_killed
            if victim is None:
                for count in [*counts.killed, *counts.injured]:
                    found = next(
                        (
                            m
                            for m in sentence.mentions
                            if m.cstart < count.cend
                            and count.cstart < m.cend
                            and not m.speaker
                            and m.kind != "militant"
                        ),
                        None,
                    )
                    if found is not None:
                        victim = found
                        break
        if killed is not None and killed != 1:
            single = False
        return killed, injured, civilians, spans["killed"], spans["injured"], victim, single

    # --- places and dates ---------------------------------------------------------------------
    def _place(
        self, frame: _Frame, sentences: list[_Sentence], d: _Doc
    ) -> tuple[str | None, _PlaceChoice | None]:
        mentions = [p for s in frame.sentences for p in s.places if not p.dateline]
        choice = self._choose_place(mentions)
        cued = any(not _DISTRICT_CUES.isdisjoint(d.lower[s.start : s.end]) for s in frame.sentences)
        if choice is None or choice.province is None or (choice.district is None and cued):
            for sentence in frame.sentences:
                if not sentence.fuzzy_done:
                    sentence.fuzzy_done = True
                    fuzzy = self._fuzzy_places(sentence, d)
                    sentence.places.extend(fuzzy)
                    d.fuzzy_found.extend(fuzzy)
                    sentence.places.sort(key=lambda p: p.start)
            mentions = [p for s in frame.sentences for p in s.places if not p.dateline]
            choice = self._choose_place(mentions) or choice
        if choice is None:
            dateline = [p for p in sentences[0].places if p.dateline] if sentences else []
            choice = self._choose_place(dateline)
        if choice is None:
            choice = self._report_province(sentences, d)
        village = None
        for sentence in frame.sentences:
            if not _VILLAGE_WORDS.intersection(d.lower[sentence.start : sentence.end]):
                continue
            village = _village(sentence, d.text)
            if village is not None:
                break
        if choice is not None and village is not None and choice.location is None:
            choice.location = village
        elif choice is None and village is not None:
            choice = _PlaceChoice(location=village)
        country = choice.country if choice and choice.country else d.country or self.country
        return country, choice

    def _report_province(self, sentences: list[_Sentence], d: _Doc) -> _PlaceChoice | None:
        """``_choose_place`` over every place the report names, ``province_only``; linear in
        the report over all the events that ask for it."""
        state = d.report_places
        if state is None:
            state = d.report_places = _ReportPlaces()
            for sentence in sentences:
                for mention in sentence.places:
                    self._fold_report_place(state, mention)
        else:
            for mention in d.fuzzy_found[state.folded :]:
                self._fold_report_place(state, mention)
        state.folded = len(d.fuzzy_found)
        places = self.places.places
        if state.province is not None:
            _, index, span, code = state.province
            choice = _PlaceChoice(province=index, province_span=span)
            choice.country = places[index].country_iso3
            town = state.towns.get(code)
            if town is not None:
                choice.location = town[1:]
            return choice
        if state.country is not None:
            return _PlaceChoice(country=state.country[1])
        return None

    def _fold_report_place(self, state: _ReportPlaces, mention: _PlaceMention) -> None:
        if mention.dateline:
            return
        places = self.places.places
        key = (-mention.score, mention.start)
        if mention.cue in (None, "province", "provinces", "city"):
            for position, index in enumerate(mention.places):
                place = places[index]
                if place.level == LEVEL_PROVINCE and place.code:
                    rank = (*key, position)
                    if state.province is None or rank < state.province[0]:
                        state.province = (rank, index, (mention.cstart, mention.cend), place.code)
                    break
        for index in mention.places:
            if places[index].level == LEVEL_COUNTRY:
                if state.country is None or key < state.country[0]:
                    state.country = (key, places[index].country_iso3)
                break
        if mention.cue in ("city", "town"):
            seen: set[str | None] = set()
            for index in mention.places:
                place = places[index]
                if place.level != LEVEL_TOWN or place.province in seen:
                    continue
                seen.add(place.province)
                held = state.towns.get(place.province)
                if held is None or key < held[0]:
                    span = (mention.cstart, mention.cend)
                    state.towns[place.province] = (key, place.name, span, index)

    def _choose_place(
        self, mentions: list[_PlaceMention], *, province_only: bool = False
    ) -> _PlaceChoice | None:
        """Province, district and town from the place mentions, the best-cued first."""
        if not mentions:
            return None
        places = self.places.places
        ordered = sorted(mentions, key=lambda m: (-m.score, m.start))
        provinces: dict[str, tuple[int, tuple[int, int]]] = {}
        countries: list[str] = []
        for mention in ordered:
            for index in mention.places:
                place = places[index]
                if (
                    place.level == LEVEL_PROVINCE
                    and place.code
                    and mention.cue in (None, "province", "provinces", "city")
                ):
                    provinces.setdefault(place.code, (index, (mention.cstart, mention.cend)))
                if place.level == LEVEL_COUNTRY:
                    countries.append(place.country_iso3)
        choice = _PlaceChoice()
        if not province_only:
            for mention in ordered:
                if self._choose_district(mention, provinces, choice):
                    break
        if choice.province is None and provinces:
            code, (index, span) = next(iter(provinces.items()))
            choice.province, choice.province_span = index, span
            choice.country = places[index].country_iso3
            for mention in ordered:
                towns = [
                    i
                    for i in mention.places
                    if places[i].level == LEVEL_TOWN and places[i].province == code
                ]
                if towns and mention.cue in ("city", "town"):
                    choice.location = (
                        places[towns[0]].name,
                        (mention.cstart, mention.cend),
                        towns[0],
                    )
                    break
        if choice.province is None and choice.location is None and countries:
            choice.country = countries[0]
        if choice.province is None and choice.location is None and choice.country is None:
            return None
        return choice

    def _choose_district(
        self,
        mention: _PlaceMention,
        provinces: dict[str, tuple[int, tuple[int, int]]],
        choice: _PlaceChoice,
    ) -> bool:
        places = self.places.places
        levels = {places[i].level for i in mention.places}
        wants_district = mention.cue in ("district", "districts", "valley")
        if LEVEL_PROVINCE in levels and not wants_district and mention.cue not in ("city", "town"):
            return False
        districts = [i for i in mention.places if places[i].level == LEVEL_DISTRICT]
        towns = [i for i in mention.places if places[i].level == LEVEL_TOWN]
        candidates = districts or ([] if wants_district else towns)
        if not candidates:
            return False
        if len({places[i].province for i in candidates}) > 1 or provinces:
            narrowed = [i for i in candidates if places[i].province in provinces]
            if not narrowed and (
                len({places[i].province for i in candidates}) > 1
                or not (mention.cue in ("district", "districts") and mention.score >= 2)
            ):
                return False
            candidates = narrowed or candidates
        index = candidates[0]
        place = places[index]
        span = (mention.cstart, mention.cend)
        if districts and place.level == LEVEL_DISTRICT:
            choice.district, choice.district_span = index, span
        if place.level == LEVEL_TOWN or (towns and mention.cue in ("city", "town")):
            same = [t for t in towns if places[t].province == place.province] or towns
            choice.location = (places[same[0]].name, span, same[0])
        code = place.province
        if code in provinces:
            choice.province, choice.province_span = provinces[code]
        elif len(provinces) == 1:
            choice.province, choice.province_span = next(iter(provinces.values()))
        elif code in self._province_index:
            choice.province, choice.province_span = self._province_index[code], span
        choice.country = place.country_iso3
        return True

    def _apply_place(self, record: Coded, choice: _PlaceChoice | None) -> None:
        if choice is None:
            return
        places = self.places.places
        if choice.province is not None:
            province = places[choice.province]
            record.admin1_code = province.code
            record.admin1 = province.name
            if choice.province_span:
                record.evidence["admin1_code"] = choice.province_span
            record.geo_precision = 3
        if choice.district is not None:
            district = places[choice.district]
            record.admin2 = district.name
            if choice.district_span:
                record.evidence["admin2"] = choice.district_span
            if district.latitude is not None:
                record.latitude, record.longitude = district.latitude, district.longitude
                record.geo_precision = 2
        if choice.location is not None:
            name, span, town = choice.location
            record.location = name
            record.evidence["location"] = span
            if town is not None and places[town].latitude is not None:
                record.latitude = places[town].latitude
                record.longitude = places[town].longitude
                record.geo_precision = 1
        if choice.country:
            record.country_iso3 = choice.country

    def _date(
        self,
        frame: _Frame,
        passage: Passage,
        sentences: list[_Sentence],
        d: _Doc,
        previous: tuple[dt.date, str, tuple[int, int] | None] | None = None,
    ) -> tuple[dt.date, str, tuple[int, int] | None] | None:
        head = [m for m in self._dates(frame.head, d) if m.start >= d.dateline_end]
        spoken = [m for m in head if _SPOKEN.search(d.text, max(0, m.start - 30), m.start)]
        if spoken and len(spoken) < len(head):
            head = [m for m in head if m not in spoken]
        found = best_date(head)
        if found is None:
            found = best_date(
                [
                    m
                    for s in frame.sentences[1:]
                    for m in self._dates(s, d)
                    if m.start >= d.dateline_end
                ]
            )
        if found is not None and found.date is not None:
            return found.date, found.precision, (found.start, found.end)
        if previous is not None and any(
            _SAME_DAY.search(d.text[s.cstart : s.cend]) for s in frame.sentences
        ):
            return previous
        if sentences and frame.head is not sentences[0] and not frame.head.separator:
            first = [
                m for m in self._dates(sentences[0], d) if m.absolute or m.start < d.dateline_end
            ]
        elif sentences:
            first = [m for m in self._dates(sentences[0], d) if m.start < d.dateline_end]
        else:
            first = []
        found = best_date(first)
        if found is not None and found.date is not None:
            return found.date, found.precision, (found.start, found.end)
        if passage.report_date is not None:
            return passage.report_date, "day", None
        return None

    # --- defections ---------------------------------------------------------------------------
    def _defection(
        self, frame: _Frame, sentences: list[_Sentence], d: _Doc, passage: Passage
    ) -> Coded | None:
        head = frame.head
        lower = d.lower
        main = [
            t
            for t in frame.triggers
            if not any(
                w in ("who", "which", "that", "whom")
                for w in lower[max(head.start, t.start - 3) : t.start]
            )
        ]
        trigger = min(main or frame.triggers, key=lambda t: t.start)
        position = head.position
        follow = sentences[position + 1 : position + 3]
        context = _Frame("defection", [head, *follow], frame.triggers)
        date = self._date(_Frame("defection", [head], frame.triggers), passage, sentences, d)
        country, choice = self._place(context, sentences, d)
        when = date[0] if date else passage.report_date
        named = [m for m in head.mentions if m.kind in ("named", "state", "foreign")]
        to_mention: _Mention | None = None
        from_mention: _Mention | None = None
        for mention in named:
            cue = _cue_before(mention, lower, head.start)
            if cue in _FROM_CUES and from_mention is None:
                from_mention = mention
            elif cue in _TO_CUES and to_mention is None and mention.start >= trigger.start:
                to_mention = mention
        if to_mention is None:
            later = [m for m in named if m.start >= trigger.end and m is not from_mention]
            if later and trigger.text not in _DEFECT_FROM_ONLY:
                to_mention = later[0]
        if trigger.text == "rejoined":
            earlier = [m for m in named if m.end <= trigger.start and m is not to_mention]
            if earlier:
                from_mention = earlier[-1]
        if from_mention is None:
            earlier = [
                m for m in named if m.end <= trigger.start and m is not to_mention and not m.speaker
            ]
            if earlier:
                from_mention = earlier[-1]
        if to_mention is None:
            others = [m for m in named if m is not from_mention]
            if others:
                to_mention = others[0]
        if to_mention is None and trigger.text.startswith("surrender"):
            states = [m for s in frame.sentences for m in s.mentions if m.kind == "state"]
            if states:
                to_mention = states[0]
        from_actor = self._resolve(from_mention, country, when)
        to_actor = self._resolve(to_mention, country, when)
        if from_actor == to_actor:
            from_actor, from_mention = None, None
        if to_actor is None and from_actor is None:
            return None
        fighters, fighters_span = count_fighters(d.view(), head.start, head.end, d.names)
        role, role_span = _role(self._roles(head, d))
        if role is None and fighters is not None:
            role = "fighter"
        person, person_span = self._person(head, d)
        record = Coded(
            kind="defection",
            event_type="defection",
            passage=passage,
            span=(head.cstart, head.cend),
            trigger=(trigger.cstart, trigger.cend),
            actor1=from_actor,
            actor2=to_actor,
            actor1_raw=(
                d.text[from_mention.cstart : from_mention.cend]
                if from_mention and from_actor
                else None
            ),
            actor2_raw=(
                d.text[to_mention.cstart : to_mention.cend] if to_mention and to_actor else None
            ),
            from_actor=from_actor,
            to_actor=to_actor,
            country_iso3=country,
            fighters=fighters,
            role=role,
            person=person,
        )
        evidence = record.evidence
        evidence["event_type"] = (trigger.cstart, trigger.cend)
        if person_span is not None:
            evidence["person"] = person_span
        if from_mention is not None and from_actor is not None:
            evidence["from_actor"] = evidence["actor1"] = (from_mention.cstart, from_mention.cend)
        if to_mention is not None and to_actor is not None:
            evidence["to_actor"] = evidence["actor2"] = (to_mention.cstart, to_mention.cend)
        if fighters_span is not None:
            evidence["fighters"] = fighters_span
        if role_span is not None:
            evidence["role"] = role_span
        self._apply_place(record, choice)
        _apply_date(record, date)
        record.confidence = self._confidence(record, frame, "defection", head, d)
        return record

    def _person(self, head: _Sentence, d: _Doc) -> tuple[str | None, tuple[int, int] | None]:
        """The defector's name: ``Mawlawi Abdul Rahman, a Taliban commander, ...``, ``Taliban
        commander Mawlawi Abdul Rahman ...``, or a title and a name (``Qari Hekmatullah``). A
        name that is a registered actor or a place is not a person."""
        segment = d.text[head.cstart : head.cend]
        for pattern in (_APPOSITION, _ROLE_THEN_NAME, _TITLED_NAME):
            for match in pattern.finditer(segment):
                name = match.group("name").strip()
                if not self._is_person_name(name):
                    continue
                start = head.cstart + match.start("name")
                return name, (start, start + len(name))
        return None, None

    def _is_person_name(self, name: str) -> bool:
        words = name.split()
        bare = [w for w in words if w.rstrip(".") not in _TITLE_WORDS]
        if not bare or any(w.lower() in _NOT_PERSON_WORDS for w in words):
            return False
        for size in range(len(bare), 0, -1):
            for first in range(len(bare) - size + 1):
                part = " ".join(bare[first : first + size])
                if self.actors.by_key.get(alias_key(part)):
                    return False
        return not self.places.lookup(" ".join(bare))

    # --- confidence ---------------------------------------------------------------------------
    def _confidence(
        self, record: Coded, frame: _Frame, how: str, head: _Sentence, d: _Doc
    ) -> float:
        """A score in (0, 1) from how the record was found; it orders the review queue."""
        weak = all(t.category in v.WEAK_CATEGORIES for t in frame.triggers)
        score = 0.35 if weak else 0.5
        if record.kind == "defection":
            score += 0.15 if record.to_actor else 0.0
            score += 0.15 if record.from_actor else 0.0
        else:
            weights = {
                "by": 0.15,
                "between": 0.15,
                "pair": 0.15,
                "modifier": 0.12,
                "subject": 0.12,
                "claim": 0.1,
                "self": 0.1,
                "after": 0.08,
                "blame": 0.03,
            }
            score += weights.get(how, 0.0) if record.actor1 else 0.0
            score += 0.08 if record.actor2 else 0.0
        score += 0.08 if record.admin1_code else 0.0
        score += 0.05 if record.date_source == "text" else 0.0
        score += 0.04 if record.fatalities is not None or record.fighters is not None else 0.0
        if set(d.lower[head.start : head.end]) & v.HEDGES:
            score -= 0.1
        return max(0.05, min(0.98, score))


def _apply_date(record: Coded, date: tuple[dt.date, str, tuple[int, int] | None] | None) -> None:
    if date is None:
        return
    record.date_start, record.date_precision, span = date
    if span is not None:
        record.evidence["date_start"] = span
        record.date_source = "text"
    else:
        record.date_source = "report"


def _is_speaker(mention: _Mention, sentence: _Sentence, lower: list[str]) -> bool:
    """``police said``, ``a Taliban spokesman, Zabihullah Mujahid, told``, ``according to``."""
    k = mention.end
    steps = 0
    while k < sentence.end and steps < 5:
        word = lower[k]
        if word in _REPORTING:
            return True
        if word in (
            ",",
            "spokesman",
            "spokesperson",
            "official",
            "officials",
            "sources",
            "source",
            "commander",
            "chief",
            "later",
            "also",
            "has",
            "have",
            "had",
        ) or (word[:1].isalpha() and not word.islower()):
            k += 1
            steps += 1
            continue
        break
    before = lower[max(sentence.start, mention.start - 3) : mention.start]
    return "according" in before or (before[-2:] == ["a", "spokesman"])


def _allegiance(trigger: _Trigger, d: _Doc) -> None:
    """``pledged [their] allegiance``: an allegiance noun after a pledging verb is a defection."""
    for k in range(trigger.start - 1, max(-1, trigger.start - 4), -1):
        if d.lower[k] in v.ALLEGIANCE_VERBS:
            trigger.start, trigger.cstart = k, d.idx[k]
            trigger.category = "defect"
            trigger.text = " ".join(d.lower[k : trigger.end])
            trigger.verb = True
            return


_TERRITORY: Final = frozenset(
    {
        "district",
        "centre",
        "center",
        "city",
        "town",
        "village",
        "villages",
        "base",
        "bases",
        "checkpoint",
        "checkpoints",
        "post",
        "posts",
        "outpost",
        "area",
        "areas",
        "territory",
        "headquarters",
        "control",
        "compound",
        "crossing",
        "border",
        "highway",
        "road",
        "province",
        "capital",
        "airport",
        "positions",
        "hill",
        "valley",
    }
)


def _capture_or_arrest(trigger: _Trigger, d: _Doc, place_tokens: set[int]) -> str:
    """``captured the district centre`` takes ground; ``captured five fighters`` arrests."""
    for k in range(trigger.end, min(len(d.lower), trigger.end + 5)):
        if k in place_tokens or d.lower[k] in _TERRITORY:
            return "capture"
        if d.lower[k] in v.PERSON_COUNT_NOUNS or d.lower[k] in (".", ";"):
            return "arrest"
    return "arrest" if trigger.text == "captured" else "capture"


def _subject_position(mention: _Mention, lower: list[str], sentence: _Sentence) -> bool:
    """Not inside a prepositional phrase (``on a police station``, ``in Taliban custody``);
    ``A and B`` share A's position."""
    start = mention.start
    for _ in range(4):
        k = start - 1
        while k >= sentence.start and lower[k] in _DETERMINERS:
            k -= 1
        if k < sentence.start:
            return True
        if lower[k] in ("and", ","):
            previous = [m for m in sentence.mentions if m.end == k]
            if previous:
                start = previous[0].start
                continue
            return True
        return lower[k] not in _PREPOSITIONS
    return True


def _role(
    roles: list[tuple[int, int, int, int, str]],
) -> tuple[str | None, tuple[int, int] | None]:
    best: tuple[int, str, tuple[int, int]] | None = None
    for _, _, cstart, cend, role in roles:
        rank = v.ROLE_SENIORITY.index(role) if role in v.ROLE_SENIORITY else len(v.ROLE_SENIORITY)
        if best is None or rank < best[0]:
            best = (rank, role, (cstart, cend))
    return (best[1], best[2]) if best else (None, None)


def _village(sentence: _Sentence, text: str) -> tuple[str, tuple[int, int], None] | None:
    """A village or area the gazetteer does not know (``the village of Shadal``)."""
    segment = text[sentence.cstart : sentence.cend]
    for match in _VILLAGE.finditer(segment):
        group = "a" if match.group("a") else "b"
        name = match.group(group)
        if name.split()[0].lower() in _DAY_WORDS or name.split()[0].lower() in (
            "the",
            "this",
            "that",
            "in",
            "on",
            "at",
        ):
            continue
        start = sentence.cstart + match.start(group)
        return name, (start, start + len(name)), None
    return None


def _longest(matches: Sequence[Match]) -> list[Match]:
    """Non-overlapping matches, longest first (then earliest), in document order."""
    if len(matches) < 2:
        return list(matches)
    matches = sorted(matches)
    if all(a.end <= b.start for a, b in itertools.pairwise(matches)):
        return matches
    chosen: list[Match] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (-(m.end - m.start), m.start)):
        if any(i in taken for i in range(match.start, match.end)):
            continue
        chosen.append(match)
        taken.update(range(match.start, match.end))
    chosen.sort(key=lambda m: m.start)
    return chosen


def _ends(matches: Sequence[Match]) -> dict[int, int]:
    ends: dict[int, int] = {}
    for match in matches:
        if match.end > ends.get(match.start, -1):
            ends[match.start] = match.end
    return ends


def _cue_after(lower: list[str], end: int) -> str | None:
    if end < len(lower) and lower[end] in _PLACE_CUES:
        return lower[end]
    return None


def _cue_before(mention: _Mention, lower: list[str], floor: int) -> str:
    k = mention.start - 1
    while k >= floor and lower[k] in ("the", "a", "an", "of", "its", "rival", "local", "-"):
        if lower[k] == "of" and k - 1 >= floor and lower[k - 1] == "ranks":
            return "ranks"
        k -= 1
    return lower[k] if k >= floor else ""


def _joined_by_and(first: _Mention, second: _Mention, lower: list[str]) -> bool:
    between = lower[first.end : second.start]
    return 0 < len(between) <= 3 and "and" in between


def _is_verb(trigger: _Trigger, lower: list[str]) -> bool:
    words = lower[trigger.start : trigger.end]
    first = words[0]
    if trigger.category == "bomb" and first in (
        "suicide",
        "roadside",
        "car",
        "truck",
        "magnetic",
        "sticky",
    ):
        return False
    if any(w in _IRREGULAR_VERBS for w in words):
        return True
    if first in _NOUN_INGS or words[-1] in _NOUN_INGS:
        return first in ("killing",) and not (
            trigger.start > 0 and lower[trigger.start - 1] in ("the", "a", "targeted", "of")
        )
    return first.endswith(("ed", "ing")) or words[-1].endswith(("ed", "ing"))
