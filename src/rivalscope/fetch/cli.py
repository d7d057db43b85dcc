"""The ``rivalscope fetch`` and ``rivalscope update`` commands (thin: each calls one function).

Secrets come only from files (``--token-file``, ``--credentials-file``) and never reach the
terminal: errors are one line, without a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

import rivalscope
from rivalscope.errors import InputError, RivalscopeError
from rivalscope.fetch import acled, ucdp
from rivalscope.fetch.checkpoint import FetchResult, PageProgress
from rivalscope.fetch.credentials import (
    ACLED_CREDENTIALS_ENV,
    UCDP_TOKEN_ENV,
    AcledCredentials,
    read_acled_credentials,
    read_ucdp_token,
    readable_by_others,
)
from rivalscope.store import Store, default_db

fetch_app = typer.Typer(
    help="Fetch events from the UCDP and ACLED APIs into the store (resumable).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
update_app = typer.Typer(
    help="Bring fetched data up to date (changes and deletions).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="DuckDB file (default $RIVALSCOPE_DB or rivalscope.duckdb) or a postgresql:// URL.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Where raw pages are kept (default $RIVALSCOPE_CACHE or ~/.cache/rivalscope).",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="First event date, YYYY-MM-DD.", show_default=False)
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"--since {value!r} is not a YYYY-MM-DD date") from None


class _ConsoleLog(logging.Handler):
    """Show the fetch's warnings (retries) on the progress console."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(f"[yellow]{record.getMessage()}[/]", highlight=False, soft_wrap=True)


@contextmanager
def _session(db: str | None, as_json: bool) -> Iterator[tuple[Store, Progress]]:
    """Open the store and a progress display; turn library errors into one line, exit 2."""
    try:
        store = rivalscope.open(db or default_db())
    except RivalscopeError as exc:
        raise _fail(str(exc)) from None
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("page {task.fields[pages]}{task.fields[pages_total]}"),
        TextColumn("{task.fields[rows]} rows"),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
        transient=True,
    )
    logger = logging.getLogger("rivalscope.fetch")
    handler = _ConsoleLog(progress.console)
    logger.addHandler(handler)
    try:
        with progress:
            yield store, progress
    except RivalscopeError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        raise _fail("interrupted: run the same command again to resume", 130) from None
    finally:
        logger.removeHandler(handler)
        store.close()


def _on_page(progress: Progress) -> Any:
    tasks: dict[str, Any] = {}

    def show(step: PageProgress) -> None:
        if step.label not in tasks:
            tasks[step.label] = progress.add_task(
                step.label, total=None, pages=0, pages_total="", rows="0"
            )
        progress.update(
            tasks[step.label],
            total=step.rows_total,
            completed=step.rows,
            pages=step.pages,
            pages_total=f"/{step.pages_total}" if step.pages_total else "",
            rows=f"{step.rows:,}" + (f"/{step.rows_total:,}" if step.rows_total else ""),
        )

    return show


def _acled_credentials(path: Path | None) -> AcledCredentials:
    """The ACLED credentials from ``path`` (or the environment), or a one-line CLI error."""
    try:
        credentials = read_acled_credentials(path)
    except InputError as exc:
        raise _fail(str(exc)) from None
    _warn_permissions(path, ACLED_CREDENTIALS_ENV)
    return credentials


def _warn_permissions(path: Path | None, env: str) -> None:
    chosen = path or (Path(os.environ[env]) if os.environ.get(env) else None)
    if chosen is not None and chosen.is_file() and readable_by_others(chosen.expanduser()):
        err.print(
            f"[yellow]warning:[/] {chosen} is readable by other users; run: chmod 600 {chosen}",
            highlight=False,
        )


def _summary(result: FetchResult) -> None:
    resumed = f"; resumed after page {result.resumed_at_page}" if result.resumed_at_page else ""
    if result.kind == "deletions":
        err.print(f"[bold]acled deletions[/]: {result.message}", highlight=False)
        return
    label = f"{result.source} {result.kind}"
    if result.params.get("version"):
        label += f" {result.params['version']}"
    err.print(
        f"[bold]{label}[/]: {result.pages:,} pages, {result.rows_read:,} rows read, "
        f"[green]{result.rows_stored:,} stored[/], "
        f"[yellow]{result.rows_quarantined:,} quarantined[/], "
        f"{result.rows_unchanged:,} unchanged (run {result.run_id}{resumed})",
        highlight=False,
    )
    if result.message:
        style = "yellow" if result.empty else "default"
        err.print(f"  [{style}]{result.message}[/]", highlight=False, soft_wrap=True)
    if result.rows_quarantined:
        err.print("  see why: rivalscope info --quarantine", highlight=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")


@fetch_app.command("ucdp")
def fetch_ucdp(
    dataset: Annotated[
        str, typer.Option(help="ged (the yearly release) or candidate (the monthly events).")
    ] = "ged",
    version: Annotated[
        str | None,
        typer.Option(
            help="GED version like 25.1 (the default) or Candidate version like 25.0.9.",
            show_default=False,
        ),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            help="Gleditsch-Ward codes: 700 (Afghanistan), 770 (Pakistan), or 700,770.",
            show_default=False,
        ),
    ] = None,
    since: SinceOption = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help=f"File holding the UCDP access token (default ${UCDP_TOKEN_ENV}).",
            show_default=False,
        ),
    ] = None,
    page_size: Annotated[int, typer.Option(help="Rows per page, 1 to 1000.")] = 1000,
    cache_dir: CacheOption = None,
    url: Annotated[
        str | None,
        typer.Option("--url", envvar=ucdp.URL_ENV, help=f"API root (default {ucdp.DEFAULT_URL})."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch UCDP GED or Candidate events from the UCDP API (resumes an unfinished fetch)."""
    try:
        token = read_ucdp_token(token_file)
        query = ucdp.UcdpQuery(dataset, version, country, _date(since), page_size).checked()
    except InputError as exc:
        raise _fail(str(exc)) from None
    _warn_permissions(token_file, UCDP_TOKEN_ENV)
    with _session(db, as_json) as (store, progress):
        result = ucdp.fetch_ucdp(
            store,
            query,
            token=token,
            url=url,
            cache_dir=cache_dir,
            on_page=_on_page(progress),
        )
    if as_json:
        _print_json(result.to_dict())
    else:
        _summary(result)


CredentialsOption = Annotated[
    Path | None,
    typer.Option(
        "--credentials-file",
        help=(
            "TOML file with username (your myACLED email) and password "
            f"(default ${ACLED_CREDENTIALS_ENV})."
        ),
        show_default=False,
    ),
]
AcledUrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar=acled.URL_ENV, help=f"Site root (default {acled.DEFAULT_URL})."),
]


@fetch_app.command("acled")
def fetch_acled(
    country: Annotated[
        str | None,
        typer.Option(
            help="Country as ACLED names it, e.g. Afghanistan (default: all).", show_default=False
        ),
    ] = None,
    since: SinceOption = None,
    credentials_file: CredentialsOption = None,
    page_size: Annotated[int, typer.Option(help="Rows per page (ACLED's limit).")] = (
        acled.DEFAULT_PAGE_SIZE
    ),
    cache_dir: CacheOption = None,
    url: AcledUrlOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch ACLED events from ACLED's API (OAuth; resumes an unfinished fetch)."""
    credentials = _acled_credentials(credentials_file)
    start = _date(since)
    with _session(db, as_json) as (store, progress):
        result = acled.fetch_acled(
            store,
            credentials=credentials,
            country=country,
            since=start,
            page_size=page_size,
            url=url,
            cache_dir=cache_dir,
            on_page=_on_page(progress),
        )
    if as_json:
        _print_json(result.to_dict())
    else:
        _summary(result)


@update_app.command("acled")
def update_acled(
    country: Annotated[
        str | None,
        typer.Option(
            help="Only this fetched country (default: every earlier fetch).", show_default=False
        ),
    ] = None,
    credentials_file: CredentialsOption = None,
    cache_dir: CacheOption = None,
    url: AcledUrlOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch what ACLED changed since the last fetch and remove the events it deleted."""
    credentials = _acled_credentials(credentials_file)
    with _session(db, as_json) as (store, progress):
        results = acled.update_acled(
            store,
            credentials=credentials,
            country=country,
            url=url,
            cache_dir=cache_dir,
            on_page=_on_page(progress),
        )
    if as_json:
        events = [r for r in results if r.kind != "deletions"]
        _print_json(
            {
                "runs": [r.to_dict() for r in results],
                "rows_read": sum(r.rows_read for r in events),
                "rows_stored": sum(r.rows_stored for r in events),
                "rows_unchanged": sum(r.rows_unchanged for r in events),
                "rows_quarantined": sum(r.rows_quarantined for r in events),
                "rows_deleted": sum(r.rows_deleted for r in results),
            }
        )
        return
    for result in results:
        _summary(result)
