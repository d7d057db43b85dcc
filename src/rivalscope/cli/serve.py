"""``rivalscope serve``: the dashboard and the JSON API over the store.

The web stack is imported only when the command runs, so that every other command starts without
loading it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import rivalscope.settings as settings
from rivalscope.cli.common import (
    DbOption,
    Flags,
    err,
    library_errors,
    require_store,
    store_target,
)

SERVE_FLAGS: Flags = {"path": "--token-file", "token": "--token-file"}
"""The token file is the ``path`` :func:`~rivalscope.server.auth.read_token` reads; the token is
what it holds."""


def serve(
    db: DbOption = None,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on. Anything but loopback needs --token-file."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8750,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="File holding the bearer token that writes need (16+ characters). "
            "Without it, writes are disabled.",
        ),
    ] = None,
    redact: Annotated[
        bool, typer.Option("--redact", help="Serve pseudonyms instead of defectors' names.")
    ] = False,
    refresh: Annotated[
        float,
        typer.Option(help="Seconds between looks for changes other processes made.", min=0.2),
    ] = 2.0,
    readers: Annotated[
        int,
        typer.Option(
            help="PostgreSQL store: the most requests that read at once (one connection each).",
            min=1,
            max=64,
        ),
    ] = 4,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="A Host name clients use to reach the server (repeat for several), e.g. the "
            "machine's name on the network. Always accepted: the --host address, localhost, "
            "127.0.0.1 and ::1; requests naming any other Host get 400 (against DNS rebinding).",
        ),
    ] = None,
) -> None:
    """Serve the dashboard and the JSON API (http://HOST:PORT/, API reference at /api)."""
    from rivalscope.server.app import ServerSettings, create_app, prepare
    from rivalscope.server.auth import read_token
    from rivalscope.store.urls import is_url

    given = store_target(db)
    require_store(given)
    path: Path | str = given if is_url(given) else Path(given)
    with library_errors(SERVE_FLAGS):
        token = read_token(token_file) if token_file is not None else None
        server = ServerSettings(
            db=path,
            host=host,
            port=port,
            token=token,
            redact=redact,
            refresh_seconds=refresh,
            readers=readers,
            allowed_hosts=tuple(allowed_host or ()),
        )
        state = prepare(server)
    import uvicorn

    app = create_app(server, state)
    shown = f"[{host}]" if ":" in host else host
    writes = "writes need the token" if token else "writes disabled (no --token-file)"
    busy = " · the store is busy: serving when it is free" if not state.ready else ""
    served = state.path if is_url(given) else path
    err.print(
        f"Rivalscope serving {served} at http://{shown}:{port}/ (API: /api) · {writes}"
        f"{' · names redacted' if redact else ''}{busy}",
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.get("RIVALSCOPE_LOG_LEVEL"),
        limit_concurrency=200,
        timeout_keep_alive=10,
        server_header=False,
    )
