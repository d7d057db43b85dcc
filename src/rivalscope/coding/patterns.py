"""The spaCy side of the coder: a blank English pipeline and matchers built from the registry,
the gazetteer and the vocabulary.

There is no statistical English model on PyPI, so nothing here is learned: spaCy gives the
tokenizer, the rule-based sentencizer and two :class:`~spacy.matcher.PhraseMatcher` (one on
lower case for names and words, one on exact case for acronyms such as ``IS`` and ``US``).
Phrases with a free middle (``pledged their allegiance``) are matched on their fixed word and
checked around it by the coder, which is much faster than a token ``Matcher`` with a wildcard.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from rivalscope.coding import vocabulary as v
from rivalscope.coding.actors import ActorNames
from rivalscope.coding.places import DEMONYMS, WORLD_DEMONYMS, Gazetteer, first_words_of

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

ACTOR: Final = "actor"
PLACE: Final = "place"
TRIGGER: Final = "trigger"
STATE_NOUN: Final = "state_noun"
NATIONALITY: Final = "nationality"
FOREIGN: Final = "foreign"
UNIDENTIFIED: Final = "unidentified"
MILITANT: Final = "militant"
CIVILIAN: Final = "civilian"
TARGET: Final = "target"
PRISON: Final = "prison"
CLAIM: Final = "claim"


_WORLD_MAX_TOKENS: Final = 6
_NOT_STATES: Final = frozenset({"Kurdish", "Myanmar", "Palestinian"})
"""Demonyms whose forces are not one state's (``Kurdish forces``)."""


class Match(NamedTuple):
    """One matcher hit: token span ``[start, end)``, what it is, and its value."""

    start: int
    end: int
    kind: str
    value: str


def phrase_at(
    lower: list[str], k: int, end: int, table: dict[str, tuple[tuple[str, ...], ...]]
) -> int | None:
    """The end of the longest phrase of ``table`` that starts at token ``k``, or None."""
    options = table.get(lower[k]) if k < end else None
    if not options:
        return None
    for option in options:
        stop = k + len(option)
        if stop <= end and tuple(lower[k:stop]) == option:
            return stop
    return None


class Patterns:
    """The pipeline and matchers; :meth:`matches` runs them over a parsed document."""

    def __init__(self, actors: ActorNames, places: Gazetteer) -> None:
        import spacy
        from spacy.matcher import PhraseMatcher

        self.nlp: Language = spacy.blank("en")
        self._tokenizer: Any = self.nlp.tokenizer
        vocab = self.nlp.vocab
        self._breaks = frozenset(
            vocab.strings.add(p)
            for p in (".", "!", "?", "...", "…", "\n\n", "\n\n\n", " \n\n", "\n \n")
        )
        self._lower = PhraseMatcher(vocab, attr="LOWER")
        self._exact = PhraseMatcher(vocab, attr="ORTH")
        self._labels: dict[int, tuple[str, str]] = {}
        lower: dict[tuple[str, str], set[str]] = {}
        exact: dict[tuple[str, str], set[str]] = {}

        def add(table: dict[tuple[str, str], set[str]], kind: str, value: str, text: str) -> None:
            table.setdefault((kind, value), set()).add(text)

        for spelling, key in actors.spellings.items():
            forms = {spelling}
            if len(spelling) > 2 and spelling[-2] == "-" and spelling[-1].isalpha():
                forms.add(spelling + ".")
            for form in forms:
                add(exact if actors.case_sensitive(spelling) else lower, ACTOR, key, form)
        for category, phrases in v.TRIGGERS.items():
            for phrase in phrases:
                add(lower, TRIGGER, category, phrase)
        for noun in v.STATE_FORCE_NOUNS:
            add(lower, STATE_NOUN, noun, noun)
        nationalities = dict(v.NATIONALITIES)
        for word, iso3 in (*DEMONYMS.items(), *WORLD_DEMONYMS.items()):
            if word not in _NOT_STATES:
                nationalities.setdefault(word.lower(), iso3)
        for word, iso3 in nationalities.items():
            add(exact if word == "us" else lower, NATIONALITY, iso3, "US" if word == "us" else word)
        for word in v.FOREIGN_FORCE_WORDS:
            add(lower, FOREIGN, word, word)
        for noun in v.UNIDENTIFIED_NOUNS:
            add(lower, UNIDENTIFIED, noun, noun)
        for noun in v.MILITANT_NOUNS:
            add(lower, MILITANT, noun, noun)
        for noun in v.CIVILIAN_NOUNS:
            if noun not in v.NON_SIDE_CIVILIAN_NOUNS:
                add(lower, CIVILIAN, noun, noun)
        for target, nouns in v.TARGET_OBJECTS.items():
            for noun in nouns:
                add(lower, TARGET, target, noun)
        for noun in v.PRISON_NOUNS:
            add(lower, PRISON, noun, noun)
        for phrase in v.CLAIM_PHRASES:
            add(lower, CLAIM, phrase, phrase)
        for noun in v.ALLEGIANCE_NOUNS:
            add(lower, TRIGGER, "allegiance", noun)
        self._add(self._lower, lower)
        self._add(self._exact, exact)
        self._world = places.world
        core_places = {surface.lower() for surface in places.surfaces}
        first_words = dict(places.world.first_words) if places.world is not None else {}
        for word, longest in first_words_of(core_places).items():
            first_words[word] = max(first_words.get(word, 0), longest)
        self._place_first: dict[int, int] = {
            vocab.strings.add(w): n for w, n in first_words.items()
        }
        self._place_labels: dict[str, int] = {}
        self._core_places = frozenset(core_places)
        self._trigger_ids = frozenset(
            mid for mid, (kind, _) in self._labels.items() if kind == TRIGGER
        )
        self.group_nouns = self.phrases(v.GROUP_PERSON_NOUNS)
        self.role_nouns = self.phrases(v.ROLE_NOUNS)

    def phrases(self, words: Iterable[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
        """Phrases as token tuples by first token, longest first, for :func:`phrase_at`."""
        table: dict[str, list[tuple[str, ...]]] = {}
        for phrase in words:
            tokens = tuple(t.lower_ for t in self.nlp.make_doc(phrase))
            table.setdefault(tokens[0], []).append(tokens)
        return {
            first: tuple(sorted(set(options), key=len, reverse=True))
            for first, options in table.items()
        }

    def _label(self, kind: str, value: str) -> str:
        name = f"{kind}\x1f{value}"
        self._labels[self.nlp.vocab.strings.add(name)] = (kind, value)
        return name

    def _add(self, matcher: Any, table: dict[tuple[str, str], set[str]]) -> None:
        for (kind, value), texts in table.items():
            docs = list(self._tokenizer.pipe(sorted(texts)))
            matcher.add(self._label(kind, value), docs)

    def pipe(self, texts: Iterable[str], batch_size: int = 256) -> Iterable[Doc]:
        """Tokenize (spaCy's English tokenizer)."""
        docs: Iterable[Doc] = self._tokenizer.pipe(texts, batch_size=batch_size)
        return docs

    def matches(self, doc: Doc) -> list[Match]:
        """Every hit of every matcher, in document order."""
        labels = self._labels
        found = [Match(start, end, *labels[mid]) for mid, start, end in self.raw(doc)]
        found.sort()
        return found

    def raw(self, doc: Doc) -> list[tuple[int, int, int]]:
        """The matchers' own hits: ``(label id, start, end)``."""
        return [*self._lower(doc), *self._exact(doc)]

    def places(
        self, text: str, idx: list[int], ends: list[int], hashes: list[int]
    ) -> list[tuple[int, int, int]]:
        """Hits of the gazetteer's places, as ``(label id, start, end)`` like :meth:`raw`: a
        dictionary lookup of the text from each capitalized word that starts a spelling, the
        longest spelling first (cheaper to build than a matcher over tens of thousands of
        spellings). A world-layer spelling does not match inside a hyphenated name
        (``Qala`` in ``Qala-e-Zal``)."""
        first = self._place_first
        core = self._core_places
        world = self._world.lower if self._world is not None else {}
        labels = self._place_labels
        found: list[tuple[int, int, int]] = []
        count = len(hashes)
        k = 0
        while k < count:
            longest = first.get(hashes[k])
            if longest is None or not text[idx[k]].isupper():
                k += 1
                continue
            start = idx[k]
            stop = k
            while stop + 1 < count and ends[stop + 1] - start <= longest:
                stop += 1
            hit = 0
            key = ""
            for last in range(stop, k - 1, -1):
                key = text[start : ends[last]].lower()
                if key in core:
                    hit = last + 1 - k
                    break
                hyphenated = text.startswith("-", ends[last]) or text[start - 1 : start] == "-"
                if key in world and not hyphenated:
                    hit = last + 1 - k
                    break
            if hit:
                label = labels.get(key)
                if label is None:
                    label = labels[key] = self._world_label(key)
                found.append((label, k, k + hit))
                k += hit
            else:
                k += 1
        return found

    def _world_label(self, key: str) -> int:
        label: int = self.nlp.vocab.strings.add(f"{PLACE}\x1f{key}")
        self._labels.setdefault(label, (PLACE, key))
        return label

    def trigger_starts(self, raw: list[tuple[int, int, int]]) -> list[int]:
        """Token positions where a trigger word starts."""
        triggers = self._trigger_ids
        return sorted(start for mid, start, _ in raw if mid in triggers)

    def grouped(self, raw: list[tuple[int, int, int]], owner: list[int]) -> dict[str, list[Match]]:
        """Hits by kind, only those starting in a token whose ``owner`` is not -1."""
        labels = self._labels
        by_kind: dict[str, list[Match]] = {}
        for mid, start, end in raw:
            if owner[start] < 0:
                continue
            kind, value = labels[mid]
            by_kind.setdefault(kind, []).append(Match(start, end, kind, value))
        return by_kind

    def sentences(
        self, text: str, idx: list[int], ends: list[int], hashes: Any
    ) -> list[tuple[int, int, int, int]]:
        """Sentence bounds ``(start, end, start_char, end_char)``: after ``.``/``!``/``?`` (and
        a closing quote or bracket) when the next token starts a sentence, and at blank lines.

        Args:
            text: the passage.
            idx: each token's first character.
            ends: each token's end character.
            hashes: each token's ``LOWER`` hash.
        """
        count = len(idx)
        bounds: list[tuple[int, int, int, int]] = []
        start = 0
        breaks = self._breaks
        for k in [k for k, h in enumerate(hashes) if h in breaks]:
            if k < start:
                continue
            if text[idx[k]] in " \n\r\t":
                if "\n\n" not in text[idx[k] : ends[k]]:
                    continue
            else:
                nxt = k + 1
                while nxt < count and text[idx[nxt]] in "\"')”’":
                    nxt += 1
                if nxt < count and text[idx[nxt]].islower():
                    continue
                k = nxt - 1
            if k + 1 > start:
                bounds.append((start, k + 1, idx[start], ends[k]))
            start = k + 1
        if start < count:
            bounds.append((start, count, idx[start], ends[count - 1]))
        return bounds
