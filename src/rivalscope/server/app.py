"""The web application: ``create_app(settings)`` builds the FastAPI app that ``rivalscope serve``
runs (the JSON API under ``/api``, the dashboard pages, their static files)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

import rivalscope
import rivalscope.server.api as api
import rivalscope.server.dashboard as dashboard
from rivalscope.errors import InputError, NotFoundError, RegistryError, RivalscopeError, StoreError
from rivalscope.server.auth import check_bind
from rivalscope.server.queries import DefectionExists
from rivalscope.server.security import MAX_BODY_BYTES, Guard, Methods, allowed_hosts_for
from rivalscope.server.state import State, StoreBusy, StoreState
from rivalscope.server.warm import Warmer

log = logging.getLogger("rivalscope.server")


@dataclass(frozen=True)
class ServerSettings:
    """How to serve a store.

    Attributes:
        db: the DuckDB store file (it must exist), or a PostgreSQL store's URL.
        host: the address to listen on; anything but loopback needs a token.
        port: the TCP port.
        token: the bearer token writes need (None: writes are disabled).
        redact: serve pseudonyms instead of defectors' names.
        refresh_seconds: how often the server looks for changes made by other processes.
        max_body: the largest request body accepted, in bytes.
        cache_entries: results kept per snapshot.
        readers: for a PostgreSQL store, the most requests that read at once (each on its own
            connection).
        warm: compute what the home page's dyads ask for first in a background thread, after
            the start and whenever the version moves on (:mod:`rivalscope.server.warm`).
        allowed_hosts: Host header names accepted besides the bind address and the loopback
            names (``localhost``, ``127.0.0.1``, ``::1``); any other Host gets 400.
    """

    db: Path | str
    host: str = "127.0.0.1"
    port: int = 8750
    token: str | None = None
    redact: bool = False
    refresh_seconds: float = 2.0
    max_body: int = MAX_BODY_BYTES
    cache_entries: int = 1024
    readers: int = 4
    allowed_hosts: tuple[str, ...] = ()
    warm: bool = True


def _status_for(exc: RivalscopeError) -> int:
    if isinstance(exc, api.Unauthorized):
        return exc.status
    if isinstance(exc, StoreBusy):
        return 503
    if isinstance(exc, DefectionExists):
        return 409
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, InputError | RegistryError):
        return 422
    return 500


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def open_state(settings: ServerSettings) -> State:
    """The server's hold on the store: a snapshot of a DuckDB file, or a reader pool on a
    PostgreSQL server.

    Raises:
        StoreError: no store there, or a kind of store the server cannot serve.
    """
    from rivalscope.store import urls

    if not urls.is_url(settings.db):
        return StoreState(
            settings.db,
            refresh_seconds=settings.refresh_seconds,
            cache_entries=settings.cache_entries,
        )
    target = urls.parse(settings.db)
    if target.kind != "postgres":
        raise StoreError(
            f"cannot serve {target.shown}: serve a DuckDB file or a PostgreSQL store (a Spark "
            "store is for batch analyses)"
        )
    from rivalscope.server.pgstate import PostgresState

    return PostgresState(
        target.location,
        refresh_seconds=settings.refresh_seconds,
        cache_entries=settings.cache_entries,
        pool_size=settings.readers,
    )


def prepare(settings: ServerSettings) -> State:
    """Check the settings, take the first snapshot (for PostgreSQL: read the store's change
    signature) and, for ``redact``, make sure the store has its pseudonym secret.

    Raises:
        InputError: a non-loopback host without a token.
        StoreError: no store; or redaction needs a secret while another process holds it.
    """
    check_bind(settings.host, settings.token)
    state = open_state(settings)
    state.poll()
    if settings.redact:
        _ensure_secret(state)
    return state


def _ensure_secret(state: State) -> None:
    from rivalscope.redact import store_secret

    if state.ready:
        with state.reader() as reader:
            found = reader.store.meta("pseudonym_secret")
        if found is not None:
            return
    try:
        state.write(store_secret, tables={"meta"})
    except StoreBusy as exc:
        raise StoreError(
            "redaction needs the store's pseudonym secret, and the store is busy: "
            f"start the server again when the other process is done ({exc})",
            parameter="redact",
        ) from exc


def create_app(settings: ServerSettings, state: State | None = None) -> FastAPI:
    """The application serving ``settings.db``.

    Args:
        settings: how to serve.
        state: a prepared store state (default: :func:`prepare` is called).
    """
    prepared = state if state is not None else prepare(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepared.start()
        warmer = Warmer(app.state.rivalscope) if settings.warm else None
        if warmer is not None:
            warmer.start()
        try:
            yield
        finally:
            if warmer is not None:
                warmer.stop()
            prepared.stop()

    app = FastAPI(
        title="Rivalscope",
        version=rivalscope.__version__,
        description=(
            "Rivalries between armed groups, from conflict event data. Reads are open to whoever "
            "can reach the server; writes (defections, review decisions) need "
            "`Authorization: Bearer <token>`. Responses carry `X-Rivalscope-Busy: 1` while "
            "another process is writing the store (the data is then the last snapshot)."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.rivalscope = api.ServerContext(prepared, settings.token, settings.redact)

    @app.exception_handler(RivalscopeError)
    async def library_error(request: Request, exc: RivalscopeError) -> JSONResponse:
        status = _status_for(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, StoreBusy):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, api.Unauthorized) and status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="rivalscope"'
        if status == 500:
            log.error("request failed: %s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    app.include_router(api.router)
    app.include_router(dashboard.router)

    def store_headers() -> list[tuple[bytes, bytes]]:
        return [
            (b"x-rivalscope-busy", b"1" if prepared.busy else b"0"),
            (b"x-rivalscope-snapshot", str(prepared.version).encode()),
        ]

    routers = (app.router, api.router, dashboard.router)
    app.add_middleware(
        Methods,
        # every route with its whole path (FastAPI may keep an included router as one entry)
        routes=lambda: [r for router in routers for r in router.routes if hasattr(r, "methods")],
    )
    app.add_middleware(
        Guard,
        allowed_hosts=allowed_hosts_for(settings.host, settings.allowed_hosts),
        max_body=settings.max_body,
        store_headers=store_headers,
    )
    return app
