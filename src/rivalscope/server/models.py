"""The shapes of the JSON API: what each endpoint takes and returns (they make its OpenAPI)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from rivalscope.schema import DEFECTION_COLUMNS, EVENT_TYPES, FUSED_COLUMNS

TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Text without control characters (tab and line breaks allowed): what every text parameter
and field must match."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _clean(value: str) -> str:
    """Refuse lone surrogates (which no store column can hold)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    return value


def iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` (a number would otherwise pass as a Unix time); None stays None."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid date") from exc
    raise ValueError("must be a YYYY-MM-DD date")


IsoDate = Annotated[dt.date, BeforeValidator(iso_date)]


ActorName = Annotated[
    str, Field(min_length=1, max_length=120, pattern=TEXT), AfterValidator(_clean)
]
ShortText = Annotated[str, Field(max_length=500, pattern=TEXT), AfterValidator(_clean)]
LongText = Annotated[str, Field(max_length=5000, pattern=TEXT), AfterValidator(_clean)]
ItemId = Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT), AfterValidator(_clean)]
DefectionId = Annotated[
    str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9:._\-]*$")
]
EventType = Literal[
    "clash",
    "attack",
    "state_operation",
    "defection",
    "prison_break",
    "propaganda",
    "proselytization",
    "extortion",
    "governance",
    "recruitment",
    "other",
]
assert set(EVENT_TYPES) == set(EventType.__args__)  # type: ignore[attr-defined]

_SQL_TYPES: dict[str, Any] = {
    "VARCHAR": str,
    "DATE": dt.date,
    "DOUBLE": float,
    "INTEGER": int,
    "BIGINT": int,
    "VARCHAR[]": list[str],
}


class Error(BaseModel):
    """Why a request failed."""

    detail: str


Event: Any = create_model(  # type: ignore[call-overload]
    "Event",
    __doc__=(
        "One event in the canonical schema (see docs/data-sources.md); a fused event also has "
        "`sources` (those that recorded it) and `linked_ids` (their event ids)."
    ),
    **{
        name: (_SQL_TYPES[sql_type] | None, None)
        for name, sql_type in FUSED_COLUMNS
        if name != "row_hash"
    },
)
Defection: Any = create_model(  # type: ignore[call-overload]
    "Defection",
    __doc__="One defection record; ``person`` is a pseudonym when the server redacts.",
    **{
        name: (_SQL_TYPES[sql_type] | None, None)
        for name, sql_type in DEFECTION_COLUMNS
        if name != "row_hash"
    },
)


class EventsPage(BaseModel):
    """A page of events in (date_start, event_id) order, or in the order `sort` names."""

    events: list[Event]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page (and with `sort`)."
    )
    limit: int
    offset: int = Field(0, description="With `sort`: the rows skipped before this page.")
    snapshot_version: int


class Actor(BaseModel):
    actor_id: str
    name: str
    kind: str
    parent: str | None
    registered: bool
    aliases: list[str]
    events: int


class Actors(BaseModel):
    actors: list[Actor]


class Place(BaseModel):
    code: str
    name: str
    country_iso3: str
    latitude: float | None
    longitude: float | None
    has_boundary: bool
    events: int


class Places(BaseModel):
    places: list[Place]


class Feature(BaseModel):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any]


class Boundaries(BaseModel):
    """A GeoJSON FeatureCollection of province boundaries (properties: code, name)."""

    type: Literal["FeatureCollection"]
    features: list[Feature]


class ServerStatus(BaseModel):
    db: str = Field(
        description="The store: a DuckDB file, or a URL (password masked); without the token, "
        "the file's base name or the URL's database name only."
    )
    backend: Literal["duckdb", "postgres"] = Field(
        description="duckdb: reads come from a snapshot of the file; postgres: straight from "
        "the database."
    )
    busy: bool = Field(
        description="Another process holds the store's write lock (never for PostgreSQL)."
    )
    busy_pid: int | None
    busy_since: str | None
    snapshot_version: int
    snapshot_taken: str | None
    last_error: str | None
    cache_entries: int
    cache_hits: int
    cache_misses: int
    warmed_version: int = Field(
        0,
        description="The last snapshot version whose home page dyads the server computed ahead "
        "of requests (equal to snapshot_version once warm).",
    )
    warm_seconds: float | None = Field(None, description="How long warming that version took.")
    pid: int | None = Field(description="The server's process id (only with the token).")
    version: str
    writes: bool = Field(description="Whether write endpoints are enabled (a token is set).")
    redact: bool
    pool_size: int | None = Field(
        None, description="PostgreSQL: the most requests that read at once."
    )


class Info(BaseModel):
    """The store summary of ``rivalscope info`` with ``coverage`` (each source's coverage per
    country, as ``/api/coverage`` gives it; null until a first snapshot) and the server's
    state."""

    store: dict[str, Any] | None
    server: ServerStatus


class PhaseOut(BaseModel):
    name: str
    start: dt.date
    end: dt.date | None
    description: str


class SourceRead(BaseModel):
    """A source an answer read: its version, the window it covers in the country, its events
    in the window and the batches they came from."""

    source: str
    version: str | None
    first_date: dt.date | None
    last_date: dt.date | None
    events: int
    batches: list[str]


class Citation(BaseModel):
    """How to cite a source read, and the terms it is used under."""

    source: str
    name: str
    citation: str
    terms: str
    url: str


class ProfileOut(BaseModel):
    """Sections of the rivalry profile (each as ``rivalscope profile --json`` gives it), with
    what the profile says of its sources."""

    actor: str
    rival: str
    country: str | None
    since: dt.date | None
    until: dt.date | None
    phases: list[PhaseOut]
    source: str | None = Field(description="The events read: a source, or fused.")
    sources: list[SourceRead]
    warnings: list[str] = Field(
        description="Plain sentences on what limits the profile: coverage gaps, disagreements "
        "between sources beyond reporting noise, thin data."
    )
    sections: dict[str, dict[str, Any]]
    triangulation: dict[str, Any] = Field(
        description="`pairs` of overlapping sources, each with `sources`, `first`, `last` and "
        "`measures` (section, label, values per source, p_value, disagree, sentence), and a "
        "`summary`."
    )
    citations: list[Citation]
    snapshot_version: int


class CoverageRow(BaseModel):
    source: str
    country_iso3: str | None
    first_date: dt.date
    last_date: dt.date
    declared: bool = Field(description="A batch declared its window (else read off its events).")
    batches: int
    versions: str | None
    events: int


class CoverageOut(BaseModel):
    """What each source covers, per country."""

    coverage: list[CoverageRow]
    snapshot_version: int


class LinkRow(BaseModel):
    cluster_id: str
    event_id: str
    source: str
    source_id: str | None
    country_iso3: str
    score: float | None


class LinksOut(BaseModel):
    """Records of different sources linked as one event, by cluster (the first `limit`)."""

    links: list[LinkRow]
    total: int = Field(description="Records matching, before the limit.")
    limit: int
    snapshot_version: int


class ProvinceCount(BaseModel):
    code: str
    name: str
    row: int
    col: int
    latitude: float | None
    longitude: float | None
    has_boundary: bool
    events: int
    deaths: int


class EventPoint(BaseModel):
    """An event with a precise point (or one its source left unstated), for the dashboard's
    point map."""

    point: Literal["precise", "unstated"]
    event_id: str
    source: str
    source_id: str | None
    event_type: str
    admin1_code: str | None
    admin1: str | None
    latitude: float
    longitude: float
    fatalities_best: int | None
    date: dt.date


class PointClasses(BaseModel):
    """How many matching events have a precise point, a coarse one (a district's, province's
    or country's centre), a point of unstated precision, or none."""

    precise: int
    unstated: int
    coarse: int
    unlocated: int


class MonthCount(BaseModel):
    month: dt.date
    events: int
    deaths: int


class DyadSummary(BaseModel):
    """What the dashboard draws for one dyad under its filters: events per province and per
    month between the two."""

    actor: str
    rival: str
    country: str | None
    country_name: str | None
    since: dt.date | None
    until: dt.date | None
    event_type: str = Field(description="The event types read, joined by `+`, or `all`.")
    event_types: list[str] = Field(description="The event types read.")
    admin1: list[str] = Field(description="The provinces chosen (codes); empty: all.")
    source: str | None = Field(description="The events read: a source, or fused.")
    phase: str | None
    phases: list[PhaseOut]
    sources: list[str] = Field(description="The sources holding events in the country.")
    source_choices: list[str] = Field(description="What `source` may be (fused first).")
    read: list[SourceRead] = Field(description="The sources behind the events read.")
    events: int
    deaths: int
    unplaced: int = Field(description="Events matching the filters without a known province.")
    provinces: list[ProvinceCount]
    months: list[MonthCount]
    points: list[EventPoint] = Field(
        description="The matching events with a precise point or one of unstated precision "
        "(`point` says which; the latest 20,000 at most)."
    )
    point_classes: PointClasses
    snapshot_version: int


class Defections(BaseModel):
    defections: list[Defection]
    snapshot_version: int


class DefectionIn(BaseModel):
    """A defection to add. Actors by id or alias; the province by ISO code or name."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "date": "2016-01-10",
                    "from_actor": "Taliban",
                    "to_actor": "ISIS-K",
                    "role": "commander",
                    "fighters": 40,
                    "admin1": "Nangarhar",
                    "source": "UNAMA report",
                }
            ]
        },
    )

    defection_id: DefectionId | None = Field(
        default=None, description="Your own id; default: a new `api:` id."
    )
    date: IsoDate
    from_actor: ActorName
    to_actor: ActorName
    person: ShortText | None = None
    role: ShortText | None = None
    fighters: int | None = Field(default=None, ge=0, le=1_000_000)
    country: ShortText | None = None
    admin1: ShortText | None = None
    admin2: ShortText | None = None
    source: ShortText | None = None
    notes: LongText | None = None


class DefectionPatch(BaseModel):
    """Fields to correct; a field left out keeps its value, ``null`` clears it."""

    model_config = ConfigDict(extra="forbid")

    date: IsoDate | None = None
    from_actor: ActorName | None = None
    to_actor: ActorName | None = None
    person: ShortText | None = None
    role: ShortText | None = None
    fighters: int | None = Field(default=None, ge=0, le=1_000_000)
    country: ShortText | None = None
    admin1: ShortText | None = None
    admin2: ShortText | None = None
    source: ShortText | None = None
    notes: LongText | None = None


class DefectionWritten(BaseModel):
    defection: Defection
    batch_id: str
    changed: bool


class ReviewItem(BaseModel):
    item_kind: Literal["event", "defection"]
    item_id: str
    status: Literal["pending", "accepted", "rejected"]
    confidence: float | None
    passage: str | None
    evidence: str | None
    created: dt.datetime | None
    decided: dt.datetime | None
    reviewer: str | None
    event_type: str | None
    date: dt.date | None
    actor1: str | None
    actor2: str | None
    admin1_code: str | None
    admin2: str | None
    fatalities: int | None
    fighters: int | None


class ReviewItems(BaseModel):
    items: list[ReviewItem]
    snapshot_version: int


class ReviewDecision(BaseModel):
    """Accept or reject review items (all or none: an unknown id changes nothing)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[ItemId] = Field(min_length=1, max_length=1000)
    decision: Literal["accepted", "rejected"]
    kind: Literal["event", "defection"] = "event"
    reviewer: ShortText | None = None


class ReviewResult(BaseModel):
    changed: int
    snapshot_version: int
