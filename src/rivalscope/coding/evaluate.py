"""Score the coder against a gold file: per-field precision, recall and F1.

A gold file is JSON Lines, one passage per line::

    {"id": "d001", "text": "...", "report_date": "2021-10-08", "split": "dev",
     "events": [{"event_type": "clash", "actor1": "ISKP", "actor2": "TALIBAN",
                 "admin1_code": "AF-NAN", "admin2": "Achin", "date_start": "2021-10-07",
                 "fatalities": 3}]}

Defections carry ``from_actor``, ``to_actor`` (and may carry ``fighters``, ``role``). A passage
with ``"events": []`` is a negative example: any record coded from it is a false event.

Within a passage, coded records are paired with gold events greedily by agreement (kind,
type, province, sides, date). For each field a predicted value counts as a true positive when it
equals the gold value (the two sides of a ``clash`` are compared as a pair, in either order: a
clash has no aggressor in the data model, and dyads are symmetric in every analysis), as a false
positive when it differs or the gold has none, and a missed gold value as a false negative;
records left unpaired count against every field they (or the gold) fill. Districts are compared
on their transliteration skeleton (``Achin`` = ``Acheen``).

A line may list the fields its gold annotates (``"scored": ["event_type", "actor1", ...]``):
the others are neither scored nor listed as mistakes. ``country_iso3`` is scored only for gold
events that name a country. Besides per-field F1, an evaluation reports shares of all gold
events (a missed event counts as wrong): ``event_type_accuracy``, ``country_accuracy`` and
``actor_found`` (the gold sides the paired record names, on either side), the figures issue 23
sets goals for on real notes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from rivalscope.coding.coder import Coder
from rivalscope.coding.places import skeleton
from rivalscope.coding.records import Coded, Passage
from rivalscope.errors import InputError
from rivalscope.schema import EVENT_TYPES

FIELDS: Final = (
    "event_type",
    "actor1",
    "actor2",
    "country_iso3",
    "admin1_code",
    "admin2",
    "date_start",
    "fatalities",
    "direction",
)
TARGETS: Final[dict[str, float]] = {
    "event_type_macro_f1": 0.85,
    "province_accuracy": 0.90,
    "actor_micro_f1": 0.85,
    "fatalities_exact": 0.85,
    "negative_false_event_rate": 0.05,
    "event_type_accuracy": 0.85,
    "country_accuracy": 0.95,
    "actor_found": 0.95,
}
"""The goals of issue 4 (the false event rate is a ceiling, the others floors) and of issue 23
(``event_type_accuracy``, ``country_accuracy``, ``actor_found``: shares of all gold events, an
event the coder missed counting as wrong)."""


@dataclass(frozen=True)
class GoldPassage:
    """One gold passage and its events (a list of field dicts)."""

    id: str
    text: str
    report_date: dt.date | None
    split: str
    style: str
    events: tuple[dict[str, Any], ...]
    scored: tuple[str, ...] = FIELDS
    """The fields the gold annotates (a line's ``scored`` list; default all): the others are
    neither scored nor listed as mistakes."""


@dataclass
class Score:
    """True positives, false positives and false negatives of one field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, predicted: Any, gold: Any, same: bool) -> None:
        if predicted is not None and gold is not None:
            if same:
                self.tp += 1
            else:
                self.fp += 1
                self.fn += 1
        elif predicted is not None:
            self.fp += 1
        elif gold is not None:
            self.fn += 1

    def to_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Evaluation:
    """The coder's scores on a gold set."""

    passages: int = 0
    gold_events: int = 0
    coded_events: int = 0
    matched: int = 0
    negatives: int = 0
    negatives_with_events: int = 0
    fields: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in FIELDS})
    types: dict[str, Score] = field(default_factory=lambda: {t: Score() for t in EVENT_TYPES})
    actors: Score = field(default_factory=Score)
    province_right: int = 0
    province_total: int = 0
    fatalities_right: int = 0
    fatalities_total: int = 0
    type_right: int = 0
    type_total: int = 0
    country_right: int = 0
    country_total: int = 0
    actors_found: int = 0
    actors_total: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def event_type_macro_f1(self) -> float:
        used = [s for s in self.types.values() if s.tp + s.fp + s.fn]
        return sum(s.f1 for s in used) / len(used) if used else 1.0

    @property
    def province_accuracy(self) -> float:
        return self.province_right / self.province_total if self.province_total else 1.0

    @property
    def fatalities_exact(self) -> float:
        return self.fatalities_right / self.fatalities_total if self.fatalities_total else 1.0

    @property
    def event_type_accuracy(self) -> float:
        """Gold events whose coded record has their type (a missed event is wrong)."""
        return self.type_right / self.type_total if self.type_total else 1.0

    @property
    def country_accuracy(self) -> float:
        """Gold events naming a country whose coded record has that country."""
        return self.country_right / self.country_total if self.country_total else 1.0

    @property
    def actor_found(self) -> float:
        """Gold sides (registered actors) that the paired record names, on either side."""
        return self.actors_found / self.actors_total if self.actors_total else 1.0

    @property
    def negative_false_event_rate(self) -> float:
        return self.negatives_with_events / self.negatives if self.negatives else 0.0

    def headline(self) -> dict[str, float]:
        """The figures issue 4 sets targets for."""
        return {
            "event_type_macro_f1": round(self.event_type_macro_f1, 4),
            "province_accuracy": round(self.province_accuracy, 4),
            "actor_micro_f1": round(self.actors.f1, 4),
            "fatalities_exact": round(self.fatalities_exact, 4),
            "negative_false_event_rate": round(self.negative_false_event_rate, 4),
            "event_type_accuracy": round(self.event_type_accuracy, 4),
            "country_accuracy": round(self.country_accuracy, 4),
            "actor_found": round(self.actor_found, 4),
        }

    def met(self) -> dict[str, bool]:
        """Whether each target is met."""
        values = self.headline()
        return {
            name: values[name] <= goal
            if name == "negative_false_event_rate"
            else values[name] >= goal
            for name, goal in TARGETS.items()
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, for ``--json``."""
        return {
            "passages": self.passages,
            "gold_events": self.gold_events,
            "coded_events": self.coded_events,
            "matched": self.matched,
            "negatives": self.negatives,
            "negatives_with_events": self.negatives_with_events,
            "headline": self.headline(),
            "targets": TARGETS,
            "met": self.met(),
            "province_counted": self.province_total,
            "fatalities_counted": self.fatalities_total,
            "types_counted": self.type_total,
            "countries_counted": self.country_total,
            "actors_counted": self.actors_total,
            "fields": {name: score.to_dict() for name, score in self.fields.items()},
            "actors": self.actors.to_dict(),
            "event_types": {
                name: score.to_dict()
                for name, score in self.types.items()
                if score.tp + score.fp + score.fn
            },
        }


def load_gold(path: str | Path) -> list[GoldPassage]:
    """Read a gold JSONL file.

    Raises:
        InputError: naming the file, line and field at fault.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read gold file ({exc})") from exc
    passages: list[GoldPassage] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise InputError(f"{where}: field text: a passage needs a text string")
        events = item.get("events", [])
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise InputError(f"{where}: field events: expected a list of objects")
        for event in events:
            kind = event.get("event_type")
            if kind not in EVENT_TYPES:
                raise InputError(
                    f"{where}: field event_type: {kind!r} is not one of {', '.join(EVENT_TYPES)}"
                )
        report = item.get("report_date")
        try:
            report_date = dt.date.fromisoformat(report) if report else None
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: field report_date: {report!r} is not YYYY-MM-DD") from exc
        passages.append(
            GoldPassage(
                str(item.get("id", number)),
                item["text"],
                report_date,
                str(item.get("split", "dev")),
                str(item.get("style", "")),
                tuple(events),
                _scored(item.get("scored"), where),
            )
        )
    return passages


def _scored(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return FIELDS
    if not isinstance(value, list) or any(name not in FIELDS for name in value):
        raise InputError(f"{where}: field scored: expected a list of {', '.join(FIELDS)}")
    return tuple(value)


def _value(record: Coded | dict[str, Any], name: str) -> Any:
    if isinstance(record, Coded):
        if name == "direction":
            return (record.from_actor, record.to_actor) if record.kind == "defection" else None
        if name in ("actor1", "actor2") and record.kind == "defection":
            return record.from_actor if name == "actor1" else record.to_actor
        value = getattr(record, name)
        return value.isoformat() if isinstance(value, dt.date) else value
    if name == "direction":
        if record.get("event_type") != "defection":
            return None
        return (record.get("from_actor"), record.get("to_actor"))
    if name in ("actor1", "actor2") and record.get("event_type") == "defection":
        return record.get("from_actor" if name == "actor1" else "to_actor")
    return record.get(name)


def _same(name: str, predicted: Any, gold: Any) -> bool:
    if name == "admin2" and predicted is not None and gold is not None:
        return skeleton(str(predicted)) == skeleton(str(gold))
    return bool(predicted == gold)


def _affinity(record: Coded, gold: dict[str, Any]) -> int:
    if (record.kind == "defection") != (gold.get("event_type") == "defection"):
        return -1
    score = 1
    score += 3 if record.event_type == gold.get("event_type") else 0
    score += 2 if record.admin1_code and record.admin1_code == gold.get("admin1_code") else 0
    for name in ("actor1", "actor2"):
        value = _value(record, name)
        score += 1 if value is not None and value == _value(gold, name) else 0
    score += 1 if _value(record, "date_start") == gold.get("date_start") else 0
    return score


def pair(
    records: Sequence[Coded], gold: Sequence[dict[str, Any]]
) -> list[tuple[Coded | None, dict[str, Any] | None]]:
    """Pair coded records with gold events (greedy on agreement); unpaired ones with None."""
    options = sorted(
        ((_affinity(r, g), i, j) for i, r in enumerate(records) for j, g in enumerate(gold)),
        reverse=True,
    )
    used_r: set[int] = set()
    used_g: set[int] = set()
    pairs: list[tuple[Coded | None, dict[str, Any] | None]] = []
    for score, i, j in options:
        if score < 1 or i in used_r or j in used_g:
            continue
        used_r.add(i)
        used_g.add(j)
        pairs.append((records[i], gold[j]))
    pairs += [(r, None) for i, r in enumerate(records) if i not in used_r]
    pairs += [(None, g) for j, g in enumerate(gold) if j not in used_g]
    return pairs


def evaluate(coder: Coder, gold: Iterable[GoldPassage], *, split: str | None = None) -> Evaluation:
    """Code every gold passage and score the result (``split`` picks ``dev`` or ``holdout``)."""
    chosen = [g for g in gold if split is None or g.split == split]
    result = Evaluation(passages=len(chosen))
    passages = [Passage(g.text, g.report_date, g.id) for g in chosen]
    coded = dict((p.input_id, records) for p, records in coder.code_passages(passages))
    for item in chosen:
        records = coded[item.id]
        result.gold_events += len(item.events)
        result.coded_events += len(records)
        if not item.events:
            result.negatives += 1
            if records:
                result.negatives_with_events += 1
        for predicted, gold_event in pair(records, list(item.events)):
            _score(result, predicted, gold_event, item)
    return result


def _score(
    result: Evaluation,
    predicted: Coded | None,
    gold: dict[str, Any] | None,
    item: GoldPassage,
) -> None:
    if predicted is not None and gold is not None:
        result.matched += 1
    mistakes: dict[str, Any] = {}
    symmetric = (
        predicted is not None
        and gold is not None
        and predicted.event_type == "clash"
        and gold.get("event_type") == "clash"
        and {predicted.actor1, predicted.actor2} == {gold.get("actor1"), gold.get("actor2")}
    )
    for name in item.scored:
        if name == "country_iso3" and (gold is None or "country_iso3" not in gold):
            continue
        p = _value(predicted, name) if predicted is not None else None
        g = _value(gold, name) if gold is not None else None
        if symmetric and name in ("actor1", "actor2"):
            g = p
        same = _same(name, p, g)
        result.fields[name].add(p, g, same)
        if name in ("actor1", "actor2"):
            result.actors.add(p, g, same)
        if (p is not None or g is not None) and not same:
            mistakes[name] = {"coded": p, "gold": g}
    p_type = predicted.event_type if predicted is not None else None
    g_type = gold.get("event_type") if gold is not None else None
    if p_type is not None and p_type == g_type:
        result.types[p_type].tp += 1
    else:
        if p_type is not None:
            result.types[p_type].fp += 1
        if g_type is not None:
            result.types[g_type].fn += 1
    if predicted is not None and gold is not None:
        if gold.get("admin1_code"):
            result.province_total += 1
            result.province_right += predicted.admin1_code == gold.get("admin1_code")
        if gold.get("event_type") != "defection" and "fatalities" in item.scored:
            result.fatalities_total += 1
            result.fatalities_right += predicted.fatalities == gold.get("fatalities")
    if gold is not None:
        result.type_total += 1
        result.type_right += predicted is not None and predicted.event_type == g_type
        if gold.get("country_iso3"):
            result.country_total += 1
            result.country_right += (
                predicted is not None and predicted.country_iso3 == gold["country_iso3"]
            )
        sides = (
            {_value(predicted, "actor1"), _value(predicted, "actor2")} - {None}
            if predicted is not None
            else set()
        )
        for name in ("actor1", "actor2"):
            wanted = _value(gold, name)
            if wanted is not None:
                result.actors_total += 1
                result.actors_found += wanted in sides
    if mistakes:
        result.errors.append({"id": item.id, "split": item.split, "mistakes": mistakes})


def format_table(evaluation: Evaluation) -> list[list[str]]:
    """Rows ``field, precision, recall, F1, tp, fp, fn`` for printing."""
    rows = []
    for name, score in [*evaluation.fields.items(), ("actors (micro)", evaluation.actors)]:
        rows.append(
            [
                name,
                f"{score.precision:.3f}",
                f"{score.recall:.3f}",
                f"{score.f1:.3f}",
                str(score.tp),
                str(score.fp),
                str(score.fn),
            ]
        )
    return rows
