"""Pseudonyms for the names of individuals (defectors) before anything leaves the team.

A pseudonym is stable for one store (an HMAC of the name under a secret kept in the store's
``meta`` table), so the same person gets the same pseudonym in every export of that store and
different stores cannot be linked by pseudonym.

Names are found in two ways: the persons recorded in ``defections.person`` (wherever their
names appear in text, in any case), and a title followed by capitalised words
(``Mawlawi Abdul Rahim``, ``commander Zahir Khan``: the title stays, the name is replaced).
A name written without a title and never recorded as a person is not found.
:class:`Redactor` applies both to every output: tables, record batches, text, raw rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

if TYPE_CHECKING:
    from rivalscope.store import Store

SENSITIVE_COLUMNS: tuple[str, ...] = ("person",)
"""Columns that hold a name: replaced whole by its pseudonym."""
TEXT_COLUMNS: tuple[str, ...] = ("notes", "passage", "raw")
"""Columns of free text: names found in them are replaced (``raw``: a quarantined row)."""
PERSON_KEYS: Final = frozenset({"person", "person_name", "defector", "name_of_person"})
"""Keys of a quarantined raw row (JSON) whose value is a person's name."""

TITLES: Final = (
    "Mawlawi",
    "Mawlavi",
    "Maulawi",
    "Maulvi",
    "Molvi",
    "Maulana",
    "Mullah",
    "Mulla",
    "Mollah",
    "Qari",
    "Haji",
    "Hajji",
    "Hafiz",
    "Mufti",
    "Sheikh",
    "Shaikh",
    "Shaykh",
    "Ustad",
    "Sardar",
    "Commander",
    "Cmdr.",
    "Sub-commander",
    "Emir",
    "Amir",
    "General",
    "Gen.",
    "Colonel",
    "Col.",
    "Major",
    "Captain",
    "Capt.",
    "Engineer",
    "Eng.",
    "Dr.",
    "Dr",
    "Mr.",
    "Mr",
    "Mrs.",
    "Ms.",
)
"""Words before a person's name that the coder's role nouns and news reports use."""

_NOT_NAMES: Final = frozenset(
    {"The", "Of", "Staff", "Command", "Forces", "Directorate", "Police", "Army", "Assembly"}
)
_WORD = r"(?:[A-Z][a-z][\w'\u2019-]*|(?:al|ul|ud|ad|as|bin|ibn|bint|abu|Abu)-[A-Z][\w'\u2019-]*)"
_TITLE = "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True))
_TITLED: Final = re.compile(
    rf"(?<![\w-])(?i:{_TITLE})(?!\w)[ \t]+(?P<name>{_WORD}(?:[ \t]+{_WORD}){{0,3}})"
)
_LEADING_TITLES: Final = re.compile(rf"^(?:(?i:{_TITLE})(?!\w)\s*)+")


def canonical(name: str) -> str:
    """The form a name is pseudonymized in: leading titles dropped, spaces collapsed, folded
    (``Mawlawi  Abdul Rahim`` and ``abdul rahim`` are one person)."""
    words = " ".join(name.split())
    bare = _LEADING_TITLES.sub("", words).strip()
    return (bare or words).casefold()


def store_secret(store: Store) -> bytes:
    """The store's pseudonym secret, created on first use (in memory for a read-only store)."""
    kept = store.meta("pseudonym_secret")
    if kept is not None:
        return bytes.fromhex(kept)
    secret = secrets.token_bytes(32)
    if not store.read_only:
        store.set_meta("pseudonym_secret", secret.hex())
    return secret


def pseudonym(name: str, secret: bytes) -> str:
    """``Person-XXXXXXXX``: the same name and secret always give the same pseudonym."""
    digest = hmac.new(secret, canonical(name).encode(), hashlib.sha256).digest()
    return "Person-" + base64.b32encode(digest[:5]).decode()


@dataclass(frozen=True)
class Redactor:
    """Replaces names of individuals by pseudonyms under one secret.

    Attributes:
        secret: the store's pseudonym secret.
        names: the persons recorded in the store (found in text wherever they appear).
    """

    secret: bytes
    names: tuple[str, ...] = ()
    _known: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        spelled = {" ".join(n.split()) for n in self.names if n and n.strip()}
        spelled |= {_LEADING_TITLES.sub("", n).strip() for n in spelled} - {""}
        if spelled:
            words = sorted(spelled, key=len, reverse=True)
            alternation = "|".join(r"\s+".join(map(re.escape, n.split())) for n in words)
            known = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
            object.__setattr__(self, "_known", known)

    def name(self, value: str | None) -> str | None:
        """A recorded name's pseudonym (None stays None)."""
        return None if value is None else pseudonym(value, self.secret)

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        if self._known is not None:
            found += [(m.start(), m.end(), m.group()) for m in self._known.finditer(text)]
        for m in _TITLED.finditer(text):
            words = m.group("name").split()
            while words and words[-1] in _NOT_NAMES:
                words.pop()
            if words and words[0] not in _NOT_NAMES:
                start = m.start("name")
                end = m.start("name") + _span_length(m.group("name"), len(words))
                found.append((start, end, text[start:end]))
        found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        chosen: list[tuple[int, int, str]] = []
        for start, end, name in found:
            if not chosen or start >= chosen[-1][1]:
                chosen.append((start, end, pseudonym(name, self.secret)))
        return chosen

    def text(self, value: str | None) -> str | None:
        """Free text with every name found replaced by its pseudonym."""
        return None if value is None else self.text_with_offsets(value)[0]

    def text_with_offsets(self, text: str) -> tuple[str, Callable[[int, bool], int]]:
        """The redacted text and a map of offsets in ``text`` to offsets in it (an offset
        inside a replaced name goes to the pseudonym's start, or its end when ``end``)."""
        spans = self._spans(text)
        if not spans:
            return text, lambda offset, end: offset
        parts, shifts, last, delta = [], [], 0, 0
        for start, stop, replacement in spans:
            parts += [text[last:start], replacement]
            shifts.append((start, stop, start + delta, len(replacement)))
            delta += len(replacement) - (stop - start)
            last = stop
        parts.append(text[last:])

        def mapped(offset: int, end: bool) -> int:
            moved = 0
            for start, stop, new_start, size in shifts:
                if offset <= start:
                    break
                if offset < stop:
                    return new_start + (size if end else 0)
                moved = new_start + size - stop
            return offset + moved

        return "".join(parts), mapped

    def passage(self, passage: str | None, evidence: str | None) -> tuple[str | None, str | None]:
        """A coded passage and its evidence (JSON: field -> [start, end]), spans moved to the
        redacted passage."""
        if passage is None:
            return None, evidence
        text, mapped = self.text_with_offsets(passage)
        if not evidence:
            return text, evidence
        try:
            spans = json.loads(evidence)
            moved = {
                k: [mapped(int(s), False), mapped(int(e), True)] for k, (s, e) in spans.items()
            }
        except (ValueError, TypeError, AttributeError):
            return text, None
        return text, json.dumps(moved)

    def raw_row(self, raw: str | None) -> str | None:
        """A quarantined row (JSON of the file's fields, or text): person fields pseudonymized,
        names in the other values replaced."""
        if raw is None:
            return None
        try:
            row = json.loads(raw)
        except ValueError:
            return self.text(raw)
        return json.dumps(self.value(row), ensure_ascii=False)

    def value(self, data: Any, key: str | None = None) -> Any:
        """Plain data (dicts, lists, strings) with names replaced: values under a person key
        or a sensitive column by pseudonyms, every other string as free text."""
        if isinstance(data, dict):
            return {k: self.value(v, str(k)) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v, key) for v in data]
        if isinstance(data, str):
            if key is not None and key.strip().casefold() in PERSON_KEYS | set(SENSITIVE_COLUMNS):
                return self.name(data)
            return self.text(data)
        return data

    def table(self, table: pa.Table) -> pa.Table:
        """A table with its sensitive and text columns redacted (other columns untouched)."""
        names = table.column_names
        for column in SENSITIVE_COLUMNS + TEXT_COLUMNS:
            if column not in names or not pa.types.is_string(table.schema.field(column).type):
                continue
            if column == "passage":
                continue
            redact = {"raw": self.raw_row, "notes": self.text}.get(column, self.name)
            values = [redact(v) for v in table.column(column).to_pylist()]
            index = names.index(column)
            table = table.set_column(index, table.field(column), pa.array(values, pa.string()))
        if "passage" in names:
            evidence = (
                table.column("evidence").to_pylist()
                if "evidence" in names
                else [None] * table.num_rows
            )
            pairs = [
                self.passage(p, e)
                for p, e in zip(table.column("passage").to_pylist(), evidence, strict=True)
            ]
            for column, values in (
                ("passage", [p for p, _ in pairs]),
                ("evidence", [e for _, e in pairs]),
            ):
                if column in names:
                    index = names.index(column)
                    array = pa.array(values, pa.string()).cast(table.schema.field(column).type)
                    table = table.set_column(index, table.field(column), array)
        return table

    def batches(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Record batches redacted one at a time (same schema)."""
        for batch in batches:
            table = self.table(pa.Table.from_batches([batch]))
            yield from table.combine_chunks().to_batches() or [
                pa.RecordBatch.from_pylist([], schema=batch.schema)
            ]


def _span_length(name: str, words: int) -> int:
    """The length of the first ``words`` words of ``name`` with their separators."""
    found = list(re.finditer(r"\S+", name))
    return found[words - 1].end()


def recorded_names(store: Store) -> tuple[str, ...]:
    """The distinct persons of the store's defections (pending and rejected rows included)."""
    d = store.table("defections")
    persons = d.filter(d.person.notnull()).select("person").distinct().to_pyarrow()
    return tuple(sorted(str(v) for v in persons.column(0).to_pylist() if str(v).strip()))


def redactor(store: Store) -> Redactor:
    """The redactor of ``store``: its secret and its recorded persons."""
    return Redactor(store_secret(store), recorded_names(store))


def redact_table(table: pa.Table, secret: bytes, names: Iterable[str] = ()) -> pa.Table:
    """Replace names of individuals in ``table`` (see :meth:`Redactor.table`)."""
    return Redactor(secret, tuple(names)).table(table)
