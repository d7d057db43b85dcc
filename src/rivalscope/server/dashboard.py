"""The dashboard pages: a dyad picker, one page per dyad, the HTML report, and their scripts.

Pages are rendered by Jinja2 with autoescaping (the environment of :mod:`rivalscope.report.page`)
and carry no inline script: data reaches the browser through the JSON API and is put on the page
with ``textContent`` only. plotly.js is served from the installed ``plotly`` package, so the
dashboard works with no internet. The HTML report is the offline page itself, sent with the
policy that allows exactly its inline scripts.

People read actors by their display names (the profile's,
:attr:`rivalscope.analysis.context.Dyad.names`), with the id in a tooltip or muted beside the
name; the JSON API keeps ids, and a dyad's page carries the names by id in its ``data-names``
attribute for its script.
"""

from __future__ import annotations

import contextlib
import functools
from importlib import resources
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

import ibis
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

import rivalscope
import rivalscope.fusion as fusion
from rivalscope.analysis.context import Dyad
from rivalscope.errors import InputError, NotFoundError, StoreError
from rivalscope.report.html import report_page
from rivalscope.report.page import environment
from rivalscope.schema import EVENT_TYPES
from rivalscope.server.api import (
    CountryQuery,
    ServerContext,
    SinceQuery,
    SourceQuery,
    UntilQuery,
    context,
)
from rivalscope.server.models import TEXT
from rivalscope.server.profiles import ProfileRequest, whole_profile
from rivalscope.server.security import PAGE_POLICY, shown_name

if TYPE_CHECKING:
    from rivalscope.server.state import Reader
    from rivalscope.store.base import Store

router = APIRouter(include_in_schema=False)

STATIC = FilePath(str(resources.files("rivalscope.server").joinpath("static")))
STATIC_FILES = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}


def _page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = (
        environment("rivalscope.server")
        .get_template(template)
        .render(version=rivalscope.__version__, asset=rivalscope.__version__, **values)
    )
    return HTMLResponse(html, status_code=status, headers={"content-security-policy": PAGE_POLICY})


def _problem(exc: Exception, status: int) -> HTMLResponse:
    return _page("problem.html.j2", status, message=str(exc))


@functools.cache
def plotly_path() -> FilePath:
    """plotly.min.js as the installed ``plotly`` package bundles it."""
    path = FilePath(str(resources.files("plotly").joinpath("package_data/plotly.min.js")))
    if not path.is_file():
        raise StoreError(f"plotly.min.js is missing from the plotly package ({path})")
    return path


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(
        plotly_path(),
        media_type="text/javascript",
        headers={"cache-control": "public, max-age=86400"},
    )


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(
        STATIC / name, media_type=STATIC_FILES[name], headers={"cache-control": "no-cache"}
    )


def actor_names(store: Store) -> dict[str, str]:
    """Every actor's display name by id, as the profile's sections and report name them
    (:attr:`Dyad.names` reads only the store's actors, whatever the dyad)."""
    return dict(Dyad(store, "", "").names)


def _names(ctx: ServerContext, reader: Reader) -> dict[str, str]:
    return ctx.state.cache.get_or_compute(
        (reader.version, "actor-names"), lambda: actor_names(reader.store)
    )


def _dyads(store: Any) -> list[dict[str, Any]]:
    """Every pair of actors with clashes between them, most clashes first, each real-world
    clash counted once (the default source)."""
    t = fusion.view(store, fusion.choose(store, None))
    t = t.filter((t.event_type == "clash") & t.actor1.notnull() & t.actor2.notnull())
    t = t.filter(t.actor1 != t.actor2)
    pairs = t.mutate(a=ibis.least(t.actor1, t.actor2), b=ibis.greatest(t.actor1, t.actor2))
    found: list[dict[str, Any]] = (
        pairs.group_by(["a", "b"])
        .aggregate(clashes=pairs.count())
        .order_by([ibis.desc("clashes"), "a", "b"])
        .to_pyarrow()
        .to_pylist()
    )
    return found


def _href(actor: str, rival: str) -> str:
    return f"/dyad/{quote(actor, safe='')}/{quote(rival, safe='')}"


def _top_dyads(store: Any, limit: int = 20) -> list[dict[str, Any]]:
    """The pairs that clash most, each real-world clash counted once (the default source)."""
    return [{**row, "href": _href(row["a"], row["b"])} for row in _dyads(store)[:limit]]


MAX_QUERY = 100
"""The longest text the home page's search takes."""


def find_actors(store: Store, text: str) -> list[dict[str, Any]]:
    """Actors whose id, name or any alias contains ``text`` (any case): the one ``text``
    resolves to first (:meth:`Store.actor_id`), then by id. Each with ``matched``: the alias
    or name that matched."""
    text = " ".join(text.split())
    if not text:
        return []
    key = text.lower()
    matched: dict[str, str] = {}
    with contextlib.suppress(NotFoundError):
        matched[store.actor_id(text)] = text
    aliases = store.table("actor_aliases")
    for row in (
        aliases.filter(aliases["alias"].lower().contains(key))
        .select("actor_id", "alias")
        .distinct()
        .order_by(["actor_id", "alias"])
        .limit(1000)
        .to_pyarrow()
        .to_pylist()
    ):
        matched.setdefault(row["actor_id"], row["alias"])
    actors = store.table("actors")
    for row in (
        actors.filter(actors.name.lower().contains(key) | actors.actor_id.lower().contains(key))
        .select("actor_id", "name")
        .order_by("actor_id")
        .limit(1000)
        .to_pyarrow()
        .to_pylist()
    ):
        matched.setdefault(row["actor_id"], row["name"])
    return [{"actor_id": actor, "matched": alias} for actor, alias in matched.items()]


def search_dyads(
    store: Store, dyads: list[dict[str, Any]], text: str, limit: int = 20
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The actors ``text`` finds (:func:`find_actors`) that have clashes, and the dyads
    involving them, most clashes first, the found actor first in each."""
    found = find_actors(store, text)
    order = {row["actor_id"]: index for index, row in enumerate(found)}
    picked = []
    for row in dyads:
        a, b = row["a"], row["b"]
        if a not in order and b not in order:
            continue
        if b in order and (a not in order or order[b] < order[a]):
            a, b = b, a
        picked.append({"a": a, "b": b, "clashes": row["clashes"], "href": _href(a, b)})
    picked.sort(key=lambda r: (order[r["a"]], -r["clashes"], r["b"]))
    involved = {r["a"] for r in picked} | {r["b"] for r in picked}
    actors = [row for row in found if row["actor_id"] in involved][:limit]
    return actors, picked[:limit]


TOP_DYADS = 20
"""How many of the most active dyads the home page lists."""


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request,
    q: Annotated[str | None, Query(max_length=MAX_QUERY, pattern=TEXT)] = None,
) -> HTMLResponse:
    """Find a rivalry by an actor's name or alias (``?q=ISIS-K``); the pairs that clash most;
    any two actors."""
    ctx = context(request)
    if not ctx.state.ready:
        return _page("problem.html.j2", 503, message="The store is busy; no snapshot yet.")
    text = " ".join((q or "").split())
    with ctx.state.reader() as reader:
        every = ctx.state.cache.get_or_compute(
            (reader.version, "all-dyads"), lambda: _dyads(reader.store)
        )
        dyads = ctx.state.cache.get_or_compute(
            (reader.version, "top-dyads"), lambda: _top_dyads(reader.store, TOP_DYADS)
        )
        found = (
            ctx.state.cache.get_or_compute(
                (reader.version, "search", text.lower()),
                lambda: search_dyads(reader.store, every, text),
            )
            if text
            else ([], [])
        )
        actors = ctx.state.cache.get_or_compute(
            (reader.version, "actor-choices"),
            lambda: [
                row
                for row in reader.store.actors().select(["actor_id", "name", "events"]).to_pylist()
                if row["events"]
            ],
        )
        names = _names(ctx, reader)
    return _page(
        "index.html.j2",
        dyads=dyads,
        actors=actors,
        names=names,
        query=text,
        found_actors=found[0],
        found_dyads=found[1],
        dyad_count=len(every),
        db=shown_name(ctx.state.path),
    )


@router.get("/api", response_class=HTMLResponse)
def api_reference(request: Request) -> HTMLResponse:
    """The JSON API's endpoints, read from its own OpenAPI schema (offline, unlike Swagger UI,
    which loads its scripts from a CDN)."""
    schema = request.app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            parameters = [
                {
                    "name": p["name"],
                    "where": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description", ""),
                }
                for p in operation.get("parameters", [])
            ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                    "body": "requestBody" in operation,
                    "statuses": sorted(operation.get("responses", {})),
                }
            )
    return _page("api.html.j2", operations=operations)


@router.get("/dashboard")
def pick(
    actor: Annotated[str, Query(pattern=TEXT, max_length=120)],
    rival: Annotated[str, Query(pattern=TEXT, max_length=120)],
) -> RedirectResponse:
    """The dyad picker's form lands here and goes on to the dyad's page."""
    return RedirectResponse(
        f"/dyad/{quote(actor, safe='')}/{quote(rival, safe='')}", status_code=303
    )


@router.get("/dyad/{actor}/{rival}", response_class=HTMLResponse)
def dyad_page(
    request: Request,
    actor: Annotated[str, Path(pattern=TEXT, max_length=120)],
    rival: Annotated[str, Path(pattern=TEXT, max_length=120)],
    country: CountryQuery = None,
    source: SourceQuery = None,
) -> HTMLResponse:
    """The dashboard of one dyad: the sources read, map, timeline, events, defections,
    hotspots, review."""
    ctx = context(request)
    try:
        with ctx.state.reader() as reader:
            a, r = reader.store.actor_id(actor), reader.store.actor_id(rival)
            if a == r:
                raise InputError(f"{actor!r} and {rival!r} are the same actor ({a})")
            names = _names(ctx, reader)
    except NotFoundError as exc:
        return _problem(exc, 404)
    except (InputError, StoreError) as exc:
        return _problem(exc, 422 if isinstance(exc, InputError) else 503)
    query = urlencode({k: v for k, v in (("country", country), ("source", source)) if v})
    report = f"/report/{quote(a, safe='')}/{quote(r, safe='')}" + (f"?{query}" if query else "")
    return _page(
        "dashboard.html.j2",
        actor=a,
        rival=r,
        actor_name=names.get(a, a),
        rival_name=names.get(r, r),
        names=names,
        country=country or "",
        source=source or "",
        report_href=report,
        event_types=EVENT_TYPES,
        writes=ctx.token is not None,
        redact=ctx.redact,
    )


@router.get("/report/{actor}/{rival}", response_class=HTMLResponse)
def report(
    request: Request,
    actor: Annotated[str, Path(pattern=TEXT, max_length=120)],
    rival: Annotated[str, Path(pattern=TEXT, max_length=120)],
    country: CountryQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    source: SourceQuery = None,
) -> HTMLResponse:
    """The offline HTML report of ``rivalscope profile --html``, for this snapshot and source,
    with the policy that allows exactly its inline scripts."""
    ctx = context(request)
    try:
        with ctx.state.reader() as reader:
            dyad = ProfileRequest(actor, rival, country, since, until, source).dyad(reader)
            key = (
                reader.version,
                "report",
                dyad.actor,
                dyad.rival,
                dyad.country,
                since,
                until,
                dyad.source,
            )
            page = ctx.state.cache.get_or_compute(
                key,
                lambda: report_page(
                    whole_profile(ctx.state.cache, reader, dyad), redact=ctx.redact
                ),
            )
    except NotFoundError as exc:
        return _problem(exc, 404)
    except (InputError, StoreError) as exc:
        return _problem(exc, 422 if isinstance(exc, InputError) else 503)
    return HTMLResponse(page.html, headers={"content-security-policy": page.served_policy})
