"""The JSON API under ``/api``: reads from the snapshot, writes through the one writer."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BeforeValidator, Field
from starlette.background import BackgroundTask

import rivalscope
import rivalscope.fusion as fusion
import rivalscope.review as review
import rivalscope.server.models as models
import rivalscope.server.profiles as profiles
import rivalscope.server.queries as queries
from rivalscope.analysis.context import plain
from rivalscope.analysis.profile import SECTIONS
from rivalscope.errors import RivalscopeError
from rivalscope.places import require_country
from rivalscope.redact import Redactor
from rivalscope.server.auth import token_matches
from rivalscope.server.models import TEXT, iso_date
from rivalscope.server.security import json_bytes, public_info
from rivalscope.server.state import Reader, State

router = APIRouter(prefix="/api")


@dataclass
class ServerContext:
    """What the routes share: the store's state and the server's settings."""

    state: State
    token: str | None
    redact: bool


class Unauthorized(RivalscopeError):
    """A write without the right bearer token (HTTP 401), or with writes disabled (403)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def context(request: Request) -> ServerContext:
    """The server context of the app serving ``request``."""
    found: ServerContext = request.app.state.rivalscope
    return found


async def _context(request: Request) -> ServerContext:
    return context(request)


Context = Annotated[ServerContext, Depends(_context)]


async def require_token(request: Request) -> None:
    """Refuse a write that does not carry ``Authorization: Bearer <token>``."""
    ctx = context(request)
    if ctx.token is None:
        raise Unauthorized("writes are disabled: the server was started without a token", 403)
    if not token_matches(request.headers.get("authorization"), ctx.token):
        raise Unauthorized("a write needs the header Authorization: Bearer <token>")


def _error(description: str) -> dict[str, Any]:
    return {"model": models.Error, "description": description}


READ_ERRORS: dict[int | str, dict[str, Any]] = {
    422: _error("A parameter is invalid."),
    503: _error("No snapshot of the store yet: another process has held it since the start."),
}
LOOKUP_ERRORS: dict[int | str, dict[str, Any]] = {
    404: _error("An actor, country, province or item does not exist."),
    **READ_ERRORS,
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body is not JSON."),
    401: _error("The bearer token is missing or wrong."),
    403: _error("Writes are disabled (the server has no token)."),
    413: _error("The request body is too large."),
    **LOOKUP_ERRORS,
    503: _error("The store is busy (another process is writing it): retry after Retry-After."),
}


def _blank_is_default(value: object) -> object:
    """An empty ``source`` (``?source=``, a form's first option) means the default."""
    return None if isinstance(value, str) and not value.strip() else value


SourceQuery = Annotated[
    str | None,
    Query(
        pattern=TEXT,
        max_length=60,
        description=(
            "The events read: a stored source (ucdp, acled, text, ...) or fused (each "
            "real-world event once, linked across sources). Empty or left out: fused where two "
            "sources or more hold events, else the one source there."
        ),
    ),
    BeforeValidator(_blank_is_default),
]


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


async def _cached(
    ctx: ServerContext, key: tuple[Any, ...], build: Callable[[Reader], Any]
) -> Response:
    """A JSON response computed once per snapshot for ``key``.

    A response already computed for the newest snapshot is served on the event loop without
    touching DuckDB; anything else is computed on a worker thread.
    """
    body = ctx.state.cache.peek((ctx.state.version, *key))
    hit = body is not None
    if body is None:
        body, hit = await run_in_threadpool(_compute, ctx, key, build)
    response = _json(body)
    response.headers["x-rivalscope-cache"] = "hit" if hit else "miss"
    return response


def _compute(
    ctx: ServerContext, key: tuple[Any, ...], build: Callable[[Reader], Any]
) -> tuple[bytes, bool]:
    with ctx.state.reader() as reader:
        found: tuple[bytes, bool] = ctx.state.cache.fetch(
            (reader.version, *key), lambda: json_bytes(build(reader))
        )
    return found


def _redacted(ctx: ServerContext, reader: Reader, table: pa.Table) -> pa.Table:
    """``table`` with names of individuals replaced by pseudonyms when the server redacts."""
    if not ctx.redact:
        return table
    return profiles.redactor_of(ctx.state.cache, reader).table(table)


def _events_query(ctx: ServerContext, reader: Reader, filters: queries.EventFilters) -> Any:
    return ctx.state.cache.get_or_compute(
        (reader.version, "events-query", filters),
        lambda: queries.EventsQuery.of(reader.store, filters),
    )


# --- reads ------------------------------------------------------------------------------------
@router.get("/info", response_model=models.Info, tags=["store"])
async def info(ctx: Context, request: Request) -> Response:
    """The store summary (`rivalscope info`) and the server's state: whether the store is busy,
    which snapshot is served, whether writes are enabled. Filesystem paths (the store's, the
    ingested files') and process ids only for a caller with the token; anyone else sees base
    names."""
    server = {
        **ctx.state.status(),
        "version": rivalscope.__version__,
        "writes": ctx.token is not None,
        "redact": ctx.redact,
    }
    store = ctx.state.cache.peek((ctx.state.version, "info"))
    if store is None and ctx.state.ready:
        store = await run_in_threadpool(_store_info, ctx)
    if ctx.token is None or not token_matches(request.headers.get("authorization"), ctx.token):
        return _json(json_bytes(public_info(store, server)))
    return _json(json_bytes({"store": store, "server": server}))


def _store_info(ctx: ServerContext) -> Any:
    with ctx.state.reader() as reader:
        return ctx.state.cache.get_or_compute(
            (reader.version, "info"),
            lambda: {
                **plain(reader.store.info()),
                "coverage": queries.rows(fusion.coverage(reader.store)),
            },
        )


EVENT_DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "events.csv"),
    "jsonl": ("application/x-ndjson", "events.jsonl"),
    "parquet": ("application/vnd.apache.parquet", "events.parquet"),
    "geojson": ("application/geo+json", "events.geojson"),
}
Sort = Literal[
    "date",
    "-date",
    "type",
    "-type",
    "province",
    "-province",
    "deaths",
    "-deaths",
    "source",
    "-source",
    "source_id",
    "-source_id",
]
assert {name.lstrip("-") for name in Sort.__args__} == set(queries.SORTS)  # type: ignore[attr-defined]


@router.get(
    "/events",
    response_model=models.EventsPage,
    tags=["events"],
    responses={
        **LOOKUP_ERRORS,
        200: {
            "description": "A page of events (format=json) or every matching event as a file.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "application/geo+json": {"schema": {"type": "object"}},
            },
        },
    },
)
async def events(
    ctx: Context,
    actor: Annotated[
        str | None,
        Query(pattern=TEXT, max_length=120, description="Actor id or alias (either side)."),
    ] = None,
    rival: Annotated[
        str | None,
        Query(pattern=TEXT, max_length=120, description="With actor: events between the two."),
    ] = None,
    event_type: Annotated[
        list[models.EventType] | None,
        Query(alias="type", max_length=20, description="Event type (repeat for several)."),
    ] = None,
    admin1: Annotated[
        list[Annotated[str, Field(pattern=TEXT, max_length=120)]] | None,
        Query(max_length=100, description="Province code or name (repeat for several)."),
    ] = None,
    since: Annotated[
        dt.date | None, Query(description="First date (inclusive)."), BeforeValidator(iso_date)
    ] = None,
    until: Annotated[
        dt.date | None, Query(description="Last date (inclusive)."), BeforeValidator(iso_date)
    ] = None,
    source: SourceQuery = None,
    country: Annotated[
        str | None, Query(pattern=TEXT, max_length=100, description="ISO3 or name.")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(pattern=TEXT, max_length=1000, description="From the previous page's next_cursor."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE, description="Page size.")] = 100,
    sort: Annotated[
        Sort | None,
        Query(
            description="Order a page by this column (`-` in front: descending), then by date "
            "and id; pages then go by `offset`, not `cursor`."
        ),
    ] = None,
    offset: Annotated[
        int, Query(ge=0, le=10_000_000, description="With `sort`: rows to skip.")
    ] = 0,
    format: Annotated[
        Literal["json", "csv", "jsonl", "parquet", "geojson"],
        Query(
            description="json: one page; csv, jsonl, parquet, geojson: every matching event, as "
            "a file (GeoJSON: a Point feature per event, a null geometry where it has no "
            "coordinates)."
        ),
    ] = "json",
) -> Response:
    """Events matching the filters of `rivalscope events`, in (date_start, event_id) order:
    a page at a time with a cursor (or sorted by a column, a page at a time by offset), or all
    of them as CSV, JSON Lines, Parquet or GeoJSON. Fused events carry the `sources` that
    recorded them and their `linked_ids`."""
    filters = queries.EventFilters(
        actor,
        rival,
        tuple(event_type or ()),
        tuple(admin1 or ()),
        since,
        until,
        source,
        country,
    )
    if format != "json":
        return await run_in_threadpool(_download, ctx, filters, format)

    def build(reader: Reader) -> dict[str, Any]:
        query = _events_query(ctx, reader, filters)
        if sort is not None:
            page = queries.events_sorted_page(
                reader.store, query, sort=sort, offset=offset, limit=limit
            )
            following = None
        else:
            page, following = queries.events_page(reader.store, query, cursor=cursor, limit=limit)
        return {
            "events": queries.rows(_redacted(ctx, reader, page)),
            "next_cursor": following,
            "limit": limit,
            "offset": offset if sort is not None else 0,
            "snapshot_version": reader.version,
        }

    return await _cached(ctx, ("events", filters, cursor, limit, sort, offset), build)


def _geojson_chunks(batches: pa.RecordBatchReader) -> Iterator[bytes]:
    """A FeatureCollection written feature by feature: a Point per event with coordinates
    (longitude, latitude), a null geometry otherwise; every other column a property."""
    yield b'{"type": "FeatureCollection", "features": ['
    first = True
    for batch in batches:
        parts = []
        for row in plain(batch.to_pylist()):
            lon, lat = row.get("longitude"), row.get("latitude")
            geometry = (
                {"type": "Point", "coordinates": [lon, lat]}
                if lon is not None and lat is not None
                else None
            )
            feature = {"type": "Feature", "geometry": geometry, "properties": row}
            parts.append(("" if first else ",\n") + json.dumps(feature, ensure_ascii=False))
            first = False
        yield "".join(parts).encode()
    yield b"]}\n"


def _flat(batch: pa.RecordBatch) -> pa.RecordBatch:
    """List columns joined with ``;`` (CSV holds no lists), as ``rivalscope events`` does."""
    columns = []
    for column in batch.columns:
        if pa.types.is_list(column.type):
            column = pc.fill_null(pc.binary_join(column, ";"), "")
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _csv_chunks(batches: pa.RecordBatchReader) -> Iterator[bytes]:
    import pyarrow.csv as pacsv

    schema = pa.schema(
        [pa.field(f.name, pa.string()) if pa.types.is_list(f.type) else f for f in batches.schema]
    )
    sink = io.BytesIO()

    def drained() -> bytes:
        chunk = sink.getvalue()
        sink.seek(0)
        sink.truncate()
        return chunk

    with pacsv.CSVWriter(sink, schema) as writer:
        for batch in batches:
            writer.write_batch(_flat(batch))
            yield drained()
    yield drained()


def _download(ctx: ServerContext, filters: queries.EventFilters, fmt: str) -> Response:
    media_type, name = EVENT_DOWNLOADS[fmt]
    disposition = {"content-disposition": f'attachment; filename="{name}"'}
    readers = ctx.state.reader()
    reader = readers.__enter__()
    try:
        batches = queries.events_export(reader.store, _events_query(ctx, reader, filters))
        if ctx.redact:
            scrub = profiles.redactor_of(ctx.state.cache, reader)
            batches = pa.RecordBatchReader.from_batches(batches.schema, scrub.batches(batches))
    except BaseException as exc:
        readers.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if fmt == "parquet":
        import pyarrow.parquet as pq

        handle, path = tempfile.mkstemp(prefix="rivalscope-events-", suffix=".parquet")
        os.close(handle)
        try:
            with pq.ParquetWriter(path, batches.schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)
        except BaseException:
            os.remove(path)
            raise
        finally:
            readers.__exit__(None, None, None)
        return FileResponse(
            path,
            media_type=media_type,
            headers=disposition,
            background=BackgroundTask(os.remove, path),
        )

    def stream() -> Iterator[bytes]:
        try:
            if fmt == "csv":
                yield from _csv_chunks(batches)
            elif fmt == "geojson":
                yield from _geojson_chunks(batches)
            else:
                for batch in batches:
                    lines = (
                        json.dumps(row, ensure_ascii=False) + "\n"
                        for row in plain(batch.to_pylist())
                    )
                    yield "".join(lines).encode()
        finally:
            readers.__exit__(None, None, None)

    return StreamingResponse(stream(), media_type=media_type, headers=disposition)


@router.get("/actors", response_model=models.Actors, tags=["store"], responses=READ_ERRORS)
async def actors(ctx: Context) -> Response:
    """Every actor with its kind, aliases and event count (most events first)."""
    return await _cached(ctx, ("actors",), lambda r: {"actors": queries.rows(r.store.actors())})


PlacesCountryQuery = Annotated[
    str | None,
    Query(
        pattern=TEXT,
        max_length=100,
        description="ISO3 or name (default: every country with events).",
    ),
]


@router.get("/places", response_model=models.Places, tags=["store"], responses=LOOKUP_ERRORS)
async def places(
    ctx: Context,
    country: PlacesCountryQuery = None,
) -> Response:
    """Provinces with their ISO 3166-2 codes, centres and event counts."""
    return await _cached(
        ctx, ("places", country), lambda r: {"places": queries.rows(r.store.places(country))}
    )


@router.get(
    "/boundaries", response_model=models.Boundaries, tags=["store"], responses=LOOKUP_ERRORS
)
async def boundaries(
    ctx: Context,
    country: PlacesCountryQuery = None,
) -> Response:
    """Province boundaries as GeoJSON (simplified), for the provinces that have one loaded."""
    return await _cached(
        ctx, ("boundaries", country), lambda r: queries.boundaries(r.store, country)
    )


ActorPath = Annotated[
    str,
    Path(pattern=TEXT, max_length=120, description="Actor id or alias.", examples=["ISKP"]),
]
RivalPath = Annotated[
    str,
    Path(pattern=TEXT, max_length=120, description="The other actor.", examples=["TALIBAN"]),
]
CountryQuery = Annotated[
    str | None, Query(pattern=TEXT, max_length=100, description="ISO3 or name.")
]
SinceQuery = Annotated[
    dt.date | None, Query(description="First date (inclusive)."), BeforeValidator(iso_date)
]
UntilQuery = Annotated[
    dt.date | None, Query(description="Last date (inclusive)."), BeforeValidator(iso_date)
]
Section = Literal[
    "timeline",
    "spread",
    "targets",
    "influence",
    "phases",
    "harm",
    "defections",
    "hotspots",
    "network",
]
assert set(Section.__args__) == set(SECTIONS)  # type: ignore[attr-defined]


@router.get(
    "/profile/{actor}/{rival}",
    response_model=models.ProfileOut,
    tags=["analysis"],
    responses=LOOKUP_ERRORS,
)
async def profile(
    ctx: Context,
    actor: ActorPath,
    rival: RivalPath,
    section: Annotated[
        list[Section] | None,
        Query(description="Sections to compute (repeat for several); default: all."),
    ] = None,
    country: CountryQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    source: SourceQuery = None,
) -> Response:
    """The rivalry profile's sections (`rivalscope profile --json`), one at a time or all,
    with what the profile says of its sources whatever the sections: the source read, the
    `sources` (versions, windows, batches), `warnings`, `triangulation` (each section's
    figures side by side where two sources overlap) and `citations`. The first request for a
    dyad computes them; later ones on the same snapshot are served from memory."""
    names = tuple(name for name in SECTIONS if section is None or name in section)
    request = profiles.ProfileRequest(actor, rival, country, since, until, source)
    return await _cached(
        ctx,
        ("profile", request, names),
        lambda r: profiles.profile_data(
            ctx.state.cache, r, request.dyad(r), names, redact=ctx.redact
        ),
    )


@router.get(
    "/dyad/{actor}/{rival}",
    response_model=models.DyadSummary,
    tags=["analysis"],
    responses=LOOKUP_ERRORS,
)
async def dyad(
    ctx: Context,
    actor: ActorPath,
    rival: RivalPath,
    country: Annotated[
        str | None,
        Query(
            pattern=TEXT,
            max_length=100,
            description="ISO3 or name; default: where the two meet most.",
        ),
    ] = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    event_type: Annotated[
        list[models.EventType | Literal["all"]] | None,
        Query(
            alias="type",
            max_length=20,
            description="Event type (repeat for several) or all. Default: clash.",
        ),
    ] = None,
    source: SourceQuery = None,
    phase: Annotated[
        str | None,
        Query(pattern=TEXT, max_length=200, description="One of the dyad's phases, by name."),
    ] = None,
    admin1: Annotated[
        list[Annotated[str, Field(pattern=TEXT, max_length=120)]] | None,
        Query(max_length=100, description="Province code or name (repeat for several)."),
    ] = None,
) -> Response:
    """What the dashboard draws: events between the two per province (with tile-grid cells)
    and per month, under the filters, with the dyad's phases, the source read and the sources
    behind it (versions and coverage windows), and the sources one can choose."""

    def build(reader: Reader) -> dict[str, Any]:
        data = queries.dyad_summary(
            reader.store,
            actor,
            rival,
            country=country,
            since=since,
            until=until,
            event_type=types,
            source=source,
            phase=phase,
            admin1=provinces,
        )
        return {**plain(data), "snapshot_version": reader.version}

    types = tuple(event_type or ("clash",))
    provinces = tuple(admin1 or ())
    key = ("dyad", actor, rival, country, since, until, types, source, phase, provinces)
    return await _cached(ctx, key, build)


def _iso3(country: str | None) -> str | None:
    return None if country is None else require_country(country)


@router.get(
    "/coverage", response_model=models.CoverageOut, tags=["sources"], responses=LOOKUP_ERRORS
)
async def coverage(ctx: Context, country: CountryQuery = None) -> Response:
    """What each source covers, per country: its first and last day, versions, whether a batch
    declared its window, batches and stored events."""

    def build(reader: Reader) -> dict[str, Any]:
        table = fusion.coverage(reader.store, _iso3(country))
        return {"coverage": queries.rows(table), "snapshot_version": reader.version}

    return await _cached(ctx, ("coverage", country), build)


MAX_LINKS = 10_000


@router.get("/links", response_model=models.LinksOut, tags=["sources"], responses=LOOKUP_ERRORS)
async def links(
    ctx: Context,
    country: CountryQuery = None,
    event_id: Annotated[
        str | None,
        Query(
            pattern=TEXT,
            max_length=300,
            description="Only the cluster holding this event (`ucdp:123`, or a fused event's "
            "`fused:...` id).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LINKS, description="Most records returned.")] = 1000,
) -> Response:
    """Records of different sources linked as one real-world event, by cluster: `cluster_id`,
    `event_id`, `source`, `source_id`, `country_iso3` and `score`."""

    def build(reader: Reader) -> dict[str, Any]:
        table = fusion.links(reader.store, country=_iso3(country), event_id=event_id)
        return {
            "links": queries.rows(table.slice(0, limit)),
            "total": table.num_rows,
            "limit": limit,
            "snapshot_version": reader.version,
        }

    return await _cached(ctx, ("links", country, event_id, limit), build)


@router.get(
    "/defections", response_model=models.Defections, tags=["defections"], responses=LOOKUP_ERRORS
)
async def list_defections(
    ctx: Context,
    involving: Annotated[
        list[Annotated[str, Field(pattern=TEXT, max_length=120)]] | None,
        Query(
            max_length=20,
            description="Actors (repeat): records with any on either side.",
        ),
    ] = None,
    country: CountryQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> Response:
    """Defection records that count in analyses, by date (names of individuals replaced by
    pseudonyms when the server runs with --redact)."""

    def build(reader: Reader) -> dict[str, Any]:
        table = queries.defections(
            reader.store, involving=involving, country=country, since=since, until=until
        )
        table = _redacted(ctx, reader, table)
        return {"defections": queries.rows(table), "snapshot_version": reader.version}

    return await _cached(ctx, ("defections", tuple(involving or ()), country, since, until), build)


@router.get("/review", response_model=models.ReviewItems, tags=["review"], responses=READ_ERRORS)
async def review_items(
    ctx: Context,
    status: Annotated[
        Literal["pending", "accepted", "rejected", "all"], Query(description="Default: pending.")
    ] = "pending",
    kind: Annotated[Literal["event", "defection"] | None, Query()] = None,
) -> Response:
    """Rows written for review (text-coded events and defections) with their evidence."""

    def build(reader: Reader) -> dict[str, Any]:
        table = review.items(reader.store, status=None if status == "all" else status, kind=kind)
        table = _redacted(ctx, reader, table)
        return {"items": queries.rows(table), "snapshot_version": reader.version}

    return await _cached(ctx, ("review", status, kind), build)


# --- writes -----------------------------------------------------------------------------------
def _written(ctx: ServerContext, row: dict[str, Any], batch_id: str, changed: bool) -> bytes:
    if ctx.redact:
        with ctx.state.reader() as reader:
            known = profiles.redactor_of(ctx.state.cache, reader)
        person = [row["person"]] if isinstance(row.get("person"), str) else []
        scrub = Redactor(known.secret, (*known.names, *person))
        row = scrub.table(pa.Table.from_pylist([row])).to_pylist()[0]
    return json_bytes({"defection": plain(row), "batch_id": batch_id, "changed": changed})


@router.post(
    "/defections",
    response_model=models.DefectionWritten,
    status_code=201,
    tags=["defections"],
    responses={**WRITE_ERRORS, 409: _error("A defection with that id exists: use PATCH.")},
    dependencies=[Depends(require_token)],
)
def add_defection(ctx: Context, defection: models.DefectionIn) -> Response:
    """Add a defection record (needs the token). Actors by id or alias, the province by code or
    name; the record counts in analyses at once."""
    fields = defection.model_dump()
    row, result = ctx.state.write(
        lambda store: queries.add_defection(store, fields),
        tables={"defections", "ingest_batches", "reviews"},
    )
    return _json(_written(ctx, row, result.batch_id, result.rows_stored > 0), 201)


@router.patch(
    "/defections/{defection_id}",
    response_model=models.DefectionWritten,
    tags=["defections"],
    responses=WRITE_ERRORS,
    dependencies=[Depends(require_token)],
)
def correct_defection(
    ctx: Context,
    defection_id: Annotated[str, Path(pattern=TEXT, max_length=200)],
    changes: models.DefectionPatch,
) -> Response:
    """Correct fields of a defection record (needs the token): the fields given replace the
    stored ones, the row is re-written whole under the same id."""
    fields = changes.model_dump(exclude_unset=True)
    row, result = ctx.state.write(
        lambda store: queries.correct_defection(store, defection_id, fields),
        tables={"defections", "ingest_batches", "reviews"},
    )
    return _json(_written(ctx, row, result.batch_id, result.rows_stored > 0))


@router.post(
    "/review",
    response_model=models.ReviewResult,
    tags=["review"],
    responses=WRITE_ERRORS,
    dependencies=[Depends(require_token)],
)
def decide(ctx: Context, decision: models.ReviewDecision) -> Response:
    """Accept or reject review items (needs the token); all or none."""
    changed = ctx.state.write(
        lambda store: review.decide(
            store,
            decision.ids,
            decision.decision,
            kind=decision.kind,
            reviewer=decision.reviewer or "api",
        ),
        tables={"reviews", "event_links", "fused_events"},
    )
    return _json(json_bytes({"changed": changed, "snapshot_version": ctx.state.version}))
