"""What the coder produces: one :class:`Coded` per event or defection, as JSON or store rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

if TYPE_CHECKING:
    from rivalscope.store import IngestResult, Store

SOURCE: Final = "text"
SENSITIVE_FIELDS: Final = ("person",)
"""Fields that hold a person's name: a record lists those it fills under ``sensitive``, and the
store keeps them in the columns :mod:`rivalscope.redact` pseudonymizes
(:data:`rivalscope.redact.SENSITIVE_COLUMNS`) before anything leaves the team."""


@dataclass(frozen=True)
class Passage:
    """One input text with where it came from and the date it was reported."""

    text: str
    report_date: dt.date | None = None
    input_id: str | None = None
    file: str | None = None
    row: int | None = None


@dataclass
class Coded:
    """An event or a defection coded from a passage.

    ``evidence`` maps each field the text supports to the ``[start, end)`` character span of the
    passage that supports it. ``span`` covers the sentences the record was read from.
    """

    kind: str
    event_type: str
    passage: Passage
    span: tuple[int, int]
    trigger: tuple[int, int]
    actor1: str | None = None
    actor2: str | None = None
    actor1_raw: str | None = None
    actor2_raw: str | None = None
    country_iso3: str | None = None
    admin1_code: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: int | None = None
    date_start: dt.date | None = None
    date_precision: str | None = None
    date_source: str | None = None
    fatalities: int | None = None
    injured: int | None = None
    civilian_deaths: int | None = None
    target_type: str | None = None
    from_actor: str | None = None
    to_actor: str | None = None
    fighters: int | None = None
    role: str | None = None
    person: str | None = None
    """A defector's name as written: sensitive (see :data:`SENSITIVE_FIELDS`)."""
    confidence: float = 0.0
    evidence: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """``text:`` + a hash of the passage text, the record kind and its trigger span."""
        digest = hashlib.sha256(
            f"{self.kind}\x1f{self.trigger[0]}:{self.trigger[1]}\x1f{self.passage.text}".encode()
        ).hexdigest()
        return f"text:{digest[:20]}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON line ``rivalscope code`` writes."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "input_id": self.passage.input_id,
            "file": self.passage.file,
            "row": self.passage.row,
            "event_type": self.event_type,
            "actor1": self.actor1,
            "actor2": self.actor2,
            "actor1_raw": self.actor1_raw,
            "actor2_raw": self.actor2_raw,
            "country_iso3": self.country_iso3,
            "admin1_code": self.admin1_code,
            "admin1": self.admin1,
            "admin2": self.admin2,
            "location": self.location,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "date_start": self.date_start.isoformat() if self.date_start else None,
            "date_precision": self.date_precision,
            "date_source": self.date_source,
            "fatalities": self.fatalities,
            "injured": self.injured,
            "target_type": self.target_type,
        }
        if self.kind == "defection":
            data.update(
                from_actor=self.from_actor,
                to_actor=self.to_actor,
                fighters=self.fighters,
                role=self.role,
                person=self.person,
                sensitive=[name for name in SENSITIVE_FIELDS if getattr(self, name)],
            )
        data["confidence"] = round(self.confidence, 3)
        data["span"] = list(self.span)
        data["evidence"] = {name: list(span) for name, span in self.evidence.items()}
        return data

    def quote(self, name: str) -> str | None:
        """The passage text that supports a field (None when the text does not state it)."""
        span = self.evidence.get(name)
        return self.passage.text[span[0] : span[1]] if span else None


def _notes(record: Coded) -> str:
    parts = [f"coded from text ({record.passage.file or 'input'}"]
    if record.passage.row is not None:
        parts[0] += f", row {record.passage.row}"
    parts[0] += ")"
    if record.passage.input_id:
        parts.append(f"input_id {record.passage.input_id}")
    if record.injured is not None:
        parts.append(f"injured {record.injured}")
    if record.date_source == "report":
        parts.append("date is the report's date")
    return "; ".join(parts)


def event_rows(records: Sequence[Coded]) -> pa.Table:
    """Events as rows of the store's ``events`` table (columns it has; the rest are NULL)."""
    items = [r for r in records if r.kind == "event"]
    return pa.table(
        {
            "event_id": pa.array([r.id for r in items], pa.string()),
            "source_id": pa.array([r.id.removeprefix("text:") for r in items], pa.string()),
            "date_start": pa.array([r.date_start for r in items], pa.date32()),
            "date_end": pa.array([r.date_start for r in items], pa.date32()),
            "date_precision": pa.array([r.date_precision for r in items], pa.string()),
            "event_type": pa.array([r.event_type for r in items], pa.string()),
            "source_event_type": pa.array([r.event_type for r in items], pa.string()),
            "actor1": pa.array([r.actor1 for r in items], pa.string()),
            "actor2": pa.array([r.actor2 for r in items], pa.string()),
            "actor1_raw": pa.array([r.actor1_raw for r in items], pa.string()),
            "actor2_raw": pa.array([r.actor2_raw for r in items], pa.string()),
            "target_type": pa.array([r.target_type for r in items], pa.string()),
            "country_iso3": pa.array([r.country_iso3 for r in items], pa.string()),
            "admin1_code": pa.array([r.admin1_code for r in items], pa.string()),
            "admin1": pa.array([r.admin1 for r in items], pa.string()),
            "admin2": pa.array([r.admin2 for r in items], pa.string()),
            "location": pa.array([r.location for r in items], pa.string()),
            "latitude": pa.array([r.latitude for r in items], pa.float64()),
            "longitude": pa.array([r.longitude for r in items], pa.float64()),
            "geo_precision": pa.array([r.geo_precision for r in items], pa.int32()),
            "fatalities_best": pa.array([r.fatalities for r in items], pa.int32()),
            "fatalities_low": pa.array([r.fatalities for r in items], pa.int32()),
            "fatalities_high": pa.array([r.fatalities for r in items], pa.int32()),
            "civilian_deaths": pa.array([r.civilian_deaths for r in items], pa.int32()),
            "notes": pa.array([_notes(r) for r in items], pa.string()),
            "source_url": pa.array([r.passage.file for r in items], pa.string()),
        }
    )


def defection_rows(records: Sequence[Coded]) -> pa.Table:
    """Defections as rows of the store's ``defections`` table."""
    items = [r for r in records if r.kind == "defection"]
    return pa.table(
        {
            "defection_id": pa.array([r.id for r in items], pa.string()),
            "date": pa.array([r.date_start for r in items], pa.date32()),
            "person": pa.array([r.person for r in items], pa.string()),
            "role": pa.array([r.role for r in items], pa.string()),
            "fighters": pa.array([r.fighters for r in items], pa.int32()),
            "from_actor": pa.array([r.from_actor for r in items], pa.string()),
            "to_actor": pa.array([r.to_actor for r in items], pa.string()),
            "from_actor_raw": pa.array([r.actor1_raw for r in items], pa.string()),
            "to_actor_raw": pa.array([r.actor2_raw for r in items], pa.string()),
            "country_iso3": pa.array([r.country_iso3 for r in items], pa.string()),
            "admin1_code": pa.array([r.admin1_code for r in items], pa.string()),
            "admin1": pa.array([r.admin1 for r in items], pa.string()),
            "admin2": pa.array([r.admin2 for r in items], pa.string()),
            "source": pa.array([SOURCE] * len(items), pa.string()),
            "notes": pa.array([_notes(r) for r in items], pa.string()),
        }
    )


def review_details(records: Sequence[Coded]) -> pa.Table:
    """What the reviewer sees for each record: confidence, the passage, the evidence spans."""
    return pa.table(
        {
            "item_id": pa.array([r.id for r in records], pa.string()),
            "confidence": pa.array([round(r.confidence, 3) for r in records], pa.float64()),
            "passage": pa.array([r.passage.text for r in records], pa.string()),
            "evidence": pa.array(
                [
                    json.dumps({k: list(s) for k, s in r.evidence.items()}, sort_keys=True)
                    for r in records
                ],
                pa.string(),
            ),
        }
    )


@dataclass(frozen=True)
class StoreResult:
    """What ``--store`` wrote: both batches, and the records left out for want of a date."""

    events: IngestResult | None
    defections: IngestResult | None
    undated: int

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` summary."""
        return {
            "events": self.events.to_dict() if self.events else None,
            "defections": self.defections.to_dict() if self.defections else None,
            "undated": self.undated,
        }


def store_records(
    store: Store, records: Iterable[Coded], *, file: str | None = None
) -> StoreResult:
    """Write coded records into the store as source ``text``, pending review.

    Idempotent: the ids hash the passage text and the trigger span, so coding the same text
    again changes nothing (and keeps the analyst's decisions). Records without a date (no date
    in the text and no report date) cannot be stored and are counted as ``undated``.
    """
    items = list(records)
    dated = [r for r in items if r.date_start is not None]
    unique: dict[str, Coded] = {}
    for record in dated:
        unique.setdefault(record.id, record)
    chosen = list(unique.values())
    events = [r for r in chosen if r.kind == "event"]
    defections = [r for r in chosen if r.kind == "defection"]
    event_result = (
        store.write_rows(
            "events",
            event_rows(events),
            source=SOURCE,
            file=file,
            for_review=True,
            review_details=review_details(events),
        )
        if events
        else None
    )
    defection_result = (
        store.write_rows(
            "defections",
            defection_rows(defections),
            source=SOURCE,
            file=file,
            for_review=True,
            review_details=review_details(defections),
        )
        if defections
        else None
    )
    return StoreResult(event_result, defection_result, len(items) - len(dated))
