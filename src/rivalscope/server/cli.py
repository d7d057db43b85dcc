"""The ``rivalscope serve`` command (registered on the main app in :mod:`rivalscope.cli`).

Only Typer is imported here, so that every other command starts without loading the web stack.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer


def serve(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="DuckDB file or postgresql:// URL (default $RIVALSCOPE_DB or rivalscope.duckdb).",
            show_default=False,
        ),
    ] = None,
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
) -> None:
    """Serve the dashboard and the JSON API (http://HOST:PORT/, API reference at /api)."""
    from rich.console import Console

    from rivalscope.backends import urls
    from rivalscope.errors import RivalscopeError
    from rivalscope.server.app import ServerSettings, create_app, prepare
    from rivalscope.server.auth import read_token
    from rivalscope.store import default_db

    err = Console(stderr=True)
    given = db or default_db()
    path: Path | str = given if urls.is_url(given) else Path(given)
    try:
        token = read_token(token_file) if token_file is not None else None
        settings = ServerSettings(
            db=path,
            host=host,
            port=port,
            token=token,
            redact=redact,
            refresh_seconds=refresh,
            readers=readers,
        )
        state = prepare(settings)
    except RivalscopeError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    import uvicorn

    app = create_app(settings, state)
    shown = f"[{host}]" if ":" in host else host
    writes = "writes need the token" if token else "writes disabled (no --token-file)"
    busy = " · the store is busy: serving when it is free" if not state.ready else ""
    served = state.path if urls.is_url(given) else path
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
        log_level=os.environ.get("RIVALSCOPE_LOG_LEVEL", "warning"),
        limit_concurrency=200,
        timeout_keep_alive=10,
        server_header=False,
    )
