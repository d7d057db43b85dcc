"""The reads and writes the API serves beyond the library's own calls, all through Ibis or
bound parameters: pages of events, the dashboard's per-province and per-month counts, province
boundaries, and adding or correcting a defection."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

import rivalscope.fusion as fusion
from rivalscope.analysis.context import Dyad, month_start, plain
from rivalscope.analysis.tiles import tile_layout
from rivalscope.errors import InputError, NotFoundError
from rivalscope.fusion import provenance
from rivalscope.places import country_iso3, country_name
from rivalscope.precision import POINT_CLASSES, STATING_SOURCES, point_class
from rivalscope.schema import DEFECTION_COLUMN_NAMES, EVENT_TYPES

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from rivalscope.store import IngestResult, Store

MAX_PAGE = 1000
MAX_POINTS = 20_000
"""The most event points the dashboard's point map is sent."""
HIDDEN_EVENT_COLUMNS = ("row_hash",)


class DefectionExists(InputError):
    """A defection with the id given for a new one is stored already."""


@dataclass(frozen=True)
class EventFilters:
    """The filters of ``rivalscope events``, with several event types and provinces allowed
    (each a tuple: any of them; empty: no filter)."""

    actor: str | None = None
    rival: str | None = None
    event_type: tuple[str, ...] = ()
    admin1: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None
    country: str | None = None

    def expr(self, store: Store) -> ir.Table:
        """The matching events, ordered by (date_start, event_id)."""
        import ibis.expr.operations as ops

        types = tuple(dict.fromkeys(self.event_type))
        codes = tuple(dict.fromkeys(self.admin1))
        expr = store.events_expr(
            actor=self.actor,
            rival=self.rival,
            event_type=types[0] if len(types) == 1 else None,
            admin1=codes[0] if len(codes) == 1 else None,
            since=self.since,
            until=self.until,
            source=self.source,
            country=self.country,
        )
        if len(types) < 2 and len(codes) < 2:
            return expr
        node = expr.op()
        t = node.parent.to_expr() if isinstance(node, ops.Sort) else expr
        if len(types) > 1:
            unknown = [name for name in types if name not in EVENT_TYPES]
            if unknown:
                raise InputError(
                    f"unknown event type {unknown[0]!r}: use one of {', '.join(EVENT_TYPES)}"
                )
            t = t.filter(t.event_type.isin(list(types)))
        if len(codes) > 1:
            t = t.filter(t.admin1_code.isin([store.place_code(code) for code in codes]))
        return t.order_by(["date_start", "event_id"])


def encode_cursor(date: dt.date, event_id: str) -> str:
    """An opaque cursor for the position after (date, event_id)."""
    raw = json.dumps([date.isoformat(), event_id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.date, str]:
    """The (date, event_id) a cursor stands for.

    Raises:
        InputError: the cursor was not made by :func:`encode_cursor`.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        date, event_id = json.loads(raw.decode())
        if not isinstance(event_id, str) or not isinstance(date, str):
            raise TypeError
        return dt.date.fromisoformat(date), event_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InputError(f"cursor {cursor[:40]!r} is not one this server gave out") from exc


@dataclass(frozen=True)
class EventsQuery:
    """The events matching some filters, compiled once by Ibis in the store's SQL dialect (the
    filters' values are literals Ibis quoted); pages and exports wrap it with bound parameters
    only, in SQL every backend runs.

    Attributes:
        sql: a SELECT of the matching events, in no particular order.
        columns: the columns shown (the internal fingerprint left out).
        schema: the shown columns' Arrow types.
    """

    sql: str
    columns: tuple[str, ...]
    schema: pa.Schema

    @classmethod
    def of(cls, store: Store, filters: EventFilters) -> EventsQuery:
        """Resolve the filters' names on ``store`` and compile the query."""
        import ibis.expr.operations as ops

        expr = filters.expr(store)
        node = expr.op()
        unordered = node.parent.to_expr() if isinstance(node, ops.Sort) else expr
        shown = tuple(c for c in unordered.columns if c not in HIDDEN_EVENT_COLUMNS)
        schema = unordered.select(*shown).schema().to_pyarrow()
        return cls(store.compile(unordered), shown, schema)

    def select(self) -> str:
        """The shown columns, quoted, for a SELECT list."""
        return ", ".join('"' + c.replace('"', '""') + '"' for c in self.columns)


def events_page(
    store: Store, query: EventsQuery, *, cursor: str | None, limit: int
) -> tuple[pa.Table, str | None]:
    """One page of matching events after ``cursor`` and the cursor of the next page.

    The page is found in two steps: the keys of the next ``limit`` rows (a top-N over two
    columns, which the snapshot's date-sorted events let DuckDB cut short), then those rows
    whole, read from the few row groups their dates span.

    Args:
        store: the store read (for a DuckDB file, the request's reader of the snapshot).
        query: the compiled filters.
        cursor: from the previous page (None: the first page).
        limit: rows per page, 1 to :data:`MAX_PAGE`.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"must be between 1 and {MAX_PAGE}", parameter="limit")
    after_date, after_id = decode_cursor(cursor) if cursor is not None else (None, None)
    keys = store.query(
        f"""SELECT date_start, event_id FROM ({query.sql}) AS matching
        WHERE CAST(? AS DATE) IS NULL
           OR (date_start >= ? AND (date_start > ? OR (date_start = ? AND event_id > ?)))
        ORDER BY date_start, event_id LIMIT ?""",
        [after_date, after_date, after_date, after_date, after_id, limit + 1],
    ).to_pylist()
    shown = keys[:limit]
    ids = [k["event_id"] for k in shown]
    first = shown[0]["date_start"] if shown else None
    last = shown[-1]["date_start"] if shown else None
    page = store.query(
        f"""SELECT {query.select()} FROM ({query.sql}) AS matching
        WHERE date_start BETWEEN ? AND ? AND event_id = ANY(?)
        ORDER BY date_start, event_id""",
        [first, last, ids],
        schema=query.schema,
    )
    following = (
        encode_cursor(shown[-1]["date_start"], shown[-1]["event_id"]) if len(keys) > limit else None
    )
    return page, following


SORTS: dict[str, str] = {
    "date": "date_start",
    "type": "event_type",
    "province": "admin1",
    "deaths": "fatalities_best",
    "source": "source",
    "source_id": "source_id",
}
"""What the events table sorts by (``sort=name`` ascending, ``sort=-name`` descending): the
column each name stands for. Only these names reach SQL, as identifiers from this table."""


def events_sorted_page(
    store: Store, query: EventsQuery, *, sort: str, offset: int, limit: int
) -> pa.Table:
    """One page of matching events in the order ``sort`` names (then date and id), from row
    ``offset``: the events table's pages when sorted by a column other than the date.

    Args:
        store: the store read.
        query: the compiled filters.
        sort: a key of :data:`SORTS`, with ``-`` in front for descending.
        offset: rows skipped.
        limit: rows per page, 1 to :data:`MAX_PAGE`.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"must be between 1 and {MAX_PAGE}", parameter="limit")
    descending = sort.startswith("-")
    column = SORTS.get(sort.lstrip("-"))
    if column is None:
        raise InputError(f"cannot sort by {sort!r}: use {', '.join(SORTS)}", parameter="sort")
    order = f'"{column}" {"DESC" if descending else "ASC"} NULLS LAST'
    return store.query(
        f"""SELECT {query.select()} FROM ({query.sql}) AS matching
        ORDER BY {order}, date_start, event_id LIMIT ? OFFSET ?""",
        [limit, offset],
        schema=query.schema,
    )


def events_export(
    store: Store, query: EventsQuery, batch_rows: int = 50_000
) -> pa.RecordBatchReader:
    """Every matching event, in order, as a stream of Arrow record batches."""
    sql = f"SELECT {query.select()} FROM ({query.sql}) AS matching ORDER BY date_start, event_id"
    return store.stream(sql, [], query.schema, batch_rows)


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """JSON-ready rows of an Arrow table, column by column in Arrow: dates as ISO text, the
    store's timestamps (UTC) in RFC 3339, non-finite numbers as null."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_date(field.type):
            column = column.cast(pa.string())
        elif pa.types.is_timestamp(field.type):
            aware = column.cast(pa.timestamp(field.type.unit, tz=field.type.tz or "UTC"))
            column = pa.array([None if v is None else v.isoformat() for v in aware.to_pylist()])
        elif pa.types.is_floating(field.type):
            column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, field.type))
        columns.append(column)
    found: list[dict[str, Any]] = pa.Table.from_arrays(
        columns, names=table.column_names
    ).to_pylist()
    return found


# --- the dashboard's counts ---------------------------------------------------------------------
def main_country(store: Store, actor: str, rival: str) -> str | None:
    """The country where the two have the most events together (None when they have none)."""
    a, r = store.actor_id(actor), store.actor_id(rival)
    t = store.counted("events")
    t = t.filter(((t.actor1 == a) & (t.actor2 == r)) | ((t.actor1 == r) & (t.actor2 == a)))
    t = t.filter(t.country_iso3.notnull())
    top = (
        t.group_by("country_iso3")
        .aggregate(n=t.count())
        .order_by([ibis.desc("n"), "country_iso3"])
        .limit(1)
        .to_pyarrow()
    )
    return str(top.column(0)[0].as_py()) if top.num_rows else None


def dyad_summary(
    store: Store,
    actor: str,
    rival: str,
    *,
    country: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    event_type: str | Sequence[str] = "clash",
    source: str | None = None,
    phase: str | None = None,
    admin1: Sequence[str] = (),
    max_points: int = MAX_POINTS,
) -> dict[str, Any]:
    """Events between the two per province and per month, under the dashboard's filters.

    Args:
        store: the store.
        actor: first actor (id or alias).
        rival: second actor.
        country: ISO3 or name; default: the country where the two have the most events.
        since: first date (inclusive).
        until: last date (inclusive).
        event_type: one of the event types, or ``all``.
        source: the events read: a stored source or ``fused`` (each real-world event once);
            default: ``fused`` where two sources or more hold events in the country.
        phase: only events in this phase of the dyad's phases (intersected with the dates).
        admin1: only events in these provinces (codes or names; empty: everywhere).
        max_points: the most event points returned (the precise ones; see ``points``).

    Returns:
        The fields of :class:`rivalscope.server.models.DyadSummary` (without the version):
        ``source`` is the source read, ``read`` the sources behind it (version, coverage
        window, events, batches), ``sources`` the stored sources in the country and
        ``source_choices`` what may be chosen (``fused`` first where it differs from each).
        ``points`` are the matching events whose point is precise or of unstated precision
        (:func:`rivalscope.precision.point_class`; each says which in ``point``: the dashboard
        draws the precise ones, and the unstated ones only when asked), ``point_classes`` how
        many events fall in each class (coarse and unlocated ones are never drawn).
    """
    types = _event_types(event_type)
    if since is not None and until is not None and since > until:
        raise InputError("since is after until")
    if country is not None:
        iso3 = country_iso3(country)
        if iso3 is None:
            raise NotFoundError(f"no country is called {country!r}")
    else:
        iso3 = main_country(store, actor, rival)
    dyad = Dyad.of(store, actor, rival, country=iso3, since=since, until=until, source=source)
    window_since, window_until = since, until
    if phase is not None:
        chosen = next((p for p in dyad.phases if p.name == phase), None)
        if chosen is None:
            names = ", ".join(p.name for p in dyad.phases) or "none for this country"
            raise InputError(f"no phase is called {phase!r} (phases: {names})")
        last = chosen.end - dt.timedelta(days=1) if chosen.end else None
        window_since = max(d for d in (since, chosen.start) if d is not None)
        window_until = min((d for d in (until, last) if d is not None), default=None)
    framed = replace(dyad, since=window_since, until=window_until, phases=())
    t = framed.between()
    if types:
        t = t.filter(t.event_type.isin(list(types)))
    codes = sorted({store.place_code(name, iso3) for name in admin1})
    if codes:
        t = t.filter(t.admin1_code.isin(codes))
    stored = fusion.stored_sources(store, iso3)
    real = [s for s in stored if s not in fusion.UNFUSED]
    choices = [fusion.FUSED, *stored] if len(real) > 1 else stored
    read = provenance.sources(
        store,
        fusion.describe(store, dyad.source or fusion.FUSED, iso3)["sources"],
        country=iso3,
        since=window_since,
        until=window_until,
    )
    deaths = t.fatalities_best.fill_null(0).cast("int64").sum()
    per_province = {
        row["code"]: row
        for row in t.group_by(code=t.admin1_code)
        .aggregate(n=t.count(), deaths=deaths)
        .to_pyarrow()
        .to_pylist()
    }
    months = (
        t.group_by(month=month_start(t.date_start))
        .aggregate(events=t.count(), deaths=deaths)
        .order_by("month")
        .to_pyarrow()
    )
    places = store.places(iso3) if iso3 else store.places()
    layout = tile_layout(places) if places.num_rows else {}
    provinces = []
    for place in places.to_pylist():
        counted = per_province.get(place["code"], {})
        row, col = layout.get(place["code"], (0, 0))
        provinces.append(
            {
                "code": place["code"],
                "name": place["name"],
                "row": row,
                "col": col,
                "latitude": place["latitude"],
                "longitude": place["longitude"],
                "has_boundary": bool(place["has_boundary"]),
                "events": int(counted.get("n", 0)),
                "deaths": int(counted.get("deaths") or 0),
            }
        )
    total = sum(int(r["n"]) for r in per_province.values())
    points, classes = _points(t, dyad.source, max_points)
    return {
        "actor": dyad.actor,
        "rival": dyad.rival,
        "country": iso3,
        "country_name": country_name(iso3) if iso3 else None,
        "since": window_since,
        "until": window_until,
        "event_type": "all" if not types else "+".join(types),
        "event_types": list(types) if types else list(EVENT_TYPES),
        "admin1": codes,
        "source": dyad.source,
        "phase": phase,
        "phases": [plain(p) for p in dyad.phases],
        "sources": stored,
        "source_choices": choices,
        "read": plain(read),
        "events": total,
        "deaths": sum(int(r["deaths"] or 0) for r in per_province.values()),
        "unplaced": int(per_province.get(None, {}).get("n", 0)),
        "provinces": provinces,
        "months": _zero_filled(months.to_pylist()),
        "points": points,
        "point_classes": classes,
    }


def _event_types(event_type: str | Sequence[str]) -> tuple[str, ...]:
    """The event types chosen (empty: all), checked."""
    chosen = (event_type,) if isinstance(event_type, str) else tuple(event_type)
    chosen = tuple(dict.fromkeys(chosen))
    if not chosen or "all" in chosen:
        return ()
    for name in chosen:
        if name not in EVENT_TYPES:
            raise InputError(f"unknown event type {name!r}: use all or {', '.join(EVENT_TYPES)}")
    return chosen


def _points(
    t: ir.Table, source: str | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The events of ``t`` with a precise point, or one a source left unstated (``point``
    says which; at most ``limit``, the latest kept, in date order), and how many events each
    point class holds."""
    stating = (*STATING_SOURCES, fusion.FUSED) if source == fusion.FUSED else STATING_SOURCES
    classed = t.mutate(point=point_class(t, stating))
    counts = {name: 0 for name in POINT_CLASSES}
    for row in classed.group_by("point").aggregate(n=classed.count()).to_pyarrow().to_pylist():
        counts[row["point"]] = int(row["n"])
    precise = classed.filter(classed.point.isin(["precise", "unstated"]))
    found = (
        precise.select(
            "point",
            "event_id",
            "source",
            "source_id",
            "event_type",
            "admin1_code",
            "admin1",
            "latitude",
            "longitude",
            "fatalities_best",
            date=precise.date_start,
        )
        .order_by([ibis.desc("date"), ibis.desc("event_id")])
        .limit(limit)
        .to_pyarrow()
    )
    points = plain(found.to_pylist())
    points.reverse()
    return points, counts


def _zero_filled(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every month from the first to the last with events, zero where a month has none."""
    if not found:
        return []
    counted = {row["month"]: row for row in found}
    month, last = min(counted), max(counted)
    months = []
    while month <= last:
        row = counted.get(month, {"events": 0, "deaths": 0})
        months.append(
            {
                "month": month.isoformat(),
                "events": int(row["events"]),
                "deaths": int(row["deaths"] or 0),
            }
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def boundaries(store: Store, country: str | None, *, tolerance: float = 0.005) -> dict[str, Any]:
    """Province polygons as GeoJSON (simplified for the browser), for the provinces that have one.

    Args:
        store: the store.
        country: ISO3 or name; default: every country with events.
        tolerance: simplification in degrees (0.005 is about 500 m).
    """
    import shapely
    from shapely.geometry import mapping

    places = store.places(country)
    codes = [
        c
        for c, b in zip(places["code"].to_pylist(), places["has_boundary"].to_pylist(), strict=True)
        if b
    ]
    if not codes:
        return {"type": "FeatureCollection", "features": []}
    p = store.table("places")
    shaped = p.filter(p.code.isin(codes)).select("code", "name", "geometry").order_by("code")
    found = shaped.to_pyarrow().to_pylist()
    shapes = shapely.simplify(
        shapely.from_wkb([row["geometry"] for row in found]), tolerance, preserve_topology=True
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": mapping(shape),
                "properties": {"code": row["code"], "name": row["name"]},
            }
            for row, shape in zip(found, shapes, strict=True)
        ],
    }


# --- defections ---------------------------------------------------------------------------------
def defections(
    store: Store,
    *,
    involving: list[str] | None = None,
    country: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pa.Table:
    """Defection records that count in analyses, by date.

    Args:
        store: the store.
        involving: actors (ids or aliases); records with any of them on either side.
        country: ISO3 or name.
        since: first date (inclusive).
        until: last date (inclusive).
    """
    t = store.counted("defections")
    if involving:
        ids = [store.actor_id(name) for name in involving]
        t = t.filter(t.from_actor.isin(ids) | t.to_actor.isin(ids))
    if country is not None:
        iso3 = country_iso3(country)
        if iso3 is None:
            raise NotFoundError(f"no country is called {country!r}")
        t = t.filter(t.country_iso3 == iso3)
    if since is not None:
        t = t.filter(t.date >= since)
    if until is not None:
        t = t.filter(t.date <= until)
    return t.drop("row_hash").order_by(["date", "defection_id"]).to_pyarrow()


def defection_row(store: Store, defection_id: str) -> dict[str, Any] | None:
    """One stored defection (every column but the fingerprint), or None."""
    t = store.table("defections")
    found = t.filter(t.defection_id == defection_id).drop("row_hash").to_pyarrow().to_pylist()
    return found[0] if found else None


_WRITTEN_COLUMNS = tuple(c for c in DEFECTION_COLUMN_NAMES if c not in ("batch_id", "row_hash"))


def _resolved(store: Store, fields: dict[str, Any]) -> dict[str, Any]:
    """The stored form of user-given defection fields: actor ids and raw names, the province
    code with its name and country."""
    row = dict(fields)
    for side in ("from_actor", "to_actor"):
        if side in fields:
            name = fields[side]
            try:
                row[side] = store.actor_id(name)
            except NotFoundError as exc:
                raise InputError(f"{side}: {exc}") from exc
            row[f"{side}_raw"] = name
    if row.get("from_actor") and row.get("from_actor") == row.get("to_actor"):
        raise InputError("from_actor and to_actor are one actor")
    iso3 = row.get("country_iso3")
    if "country" in fields:
        country = row.pop("country")
        iso3 = country_iso3(country) if country else None
        if country and iso3 is None:
            raise InputError(f"country: no country is called {country!r}")
        row["country_iso3"] = iso3
    if "admin1" in fields:
        name = fields["admin1"]
        if name:
            try:
                code = store.place_code(name, iso3)
            except NotFoundError as exc:
                raise InputError(f"admin1: {exc}") from exc
            p = store.table("places")
            found = p.filter(p.code == code).select("name", "country_iso3").limit(1).to_pyarrow()
            place = tuple(found.to_pylist()[0].values()) if found.num_rows else None
            row["admin1_code"] = code
            row["admin1"] = place[0] if place else name
            if place and iso3 not in (None, place[1]):
                raise InputError(f"admin1: {code} is not in {iso3}")
            row["country_iso3"] = place[1] if place else iso3
        else:
            row["admin1_code"] = row["admin1"] = None
    return row


def _write_defection(store: Store, row: dict[str, Any]) -> IngestResult:
    table = pa.Table.from_pylist(
        [{c: row.get(c) for c in _WRITTEN_COLUMNS}],
        schema=pa.schema(
            [
                (c, pa.date32() if c == "date" else pa.int32() if c == "fighters" else pa.string())
                for c in _WRITTEN_COLUMNS
            ]
        ),
    )
    return store.write_rows("defections", table, source="api", file=None)


def add_defection(store: Store, fields: dict[str, Any]) -> tuple[dict[str, Any], IngestResult]:
    """Add one defection (the writer's operation for ``POST /api/defections``).

    Raises:
        InputError: an actor or province is unknown, or a field is invalid.
        DefectionExists: a defection with that id is stored already (correct it with PATCH).
    """
    given = dict(fields)
    defection_id = given.pop("defection_id", None) or f"api:{uuid.uuid4().hex[:16]}"
    if defection_row(store, defection_id) is not None:
        raise DefectionExists(f"defection {defection_id!r} exists already: correct it with PATCH")
    row = _resolved(store, given)
    row["defection_id"] = defection_id
    row.setdefault("source", None)
    result = _write_defection(store, row)
    stored = defection_row(store, defection_id)
    assert stored is not None
    return stored, result


def correct_defection(
    store: Store, defection_id: str, changes: dict[str, Any]
) -> tuple[dict[str, Any], IngestResult]:
    """Correct fields of a stored defection by re-writing the whole row under its id.

    Raises:
        NotFoundError: no defection has that id.
        InputError: an actor or province is unknown, or a field is invalid.
    """
    current = defection_row(store, defection_id)
    if current is None:
        raise NotFoundError(f"no defection has the id {defection_id!r}")
    for required in ("date", "from_actor", "to_actor"):
        if required in changes and changes[required] is None:
            raise InputError(f"{required} cannot be cleared")
    row = {**current, **_resolved(store, changes)}
    result = _write_defection(store, row)
    stored = defection_row(store, defection_id)
    assert stored is not None
    return stored, result
