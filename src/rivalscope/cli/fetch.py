"""Getting data in from the APIs: ``rivalscope fetch ucdp|acled`` and ``rivalscope update acled``.

Secrets come only from files (``--token-file``, ``--credentials-file``) and never reach the
terminal: errors are one line, without a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, TaskID, TextColumn

import rivalscope.settings as settings
from rivalscope.cli.common import (
    DbOption,
    Flags,
    JsonOption,
    err,
    fail,
    library_errors,
    open_store,
    print_json,
    progress,
    shown,
)
from rivalscope.fetch import acled, ucdp
from rivalscope.fetch.credentials import (
    ACLED_CREDENTIALS_ENV,
    UCDP_TOKEN_ENV,
    AcledCredentials,
    read_acled_credentials,
    read_ucdp_token,
    readable_by_others,
)

if TYPE_CHECKING:
    from rivalscope import Store
    from rivalscope.fetch.checkpoint import FetchResult, OnPage, PageProgress

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

UCDP_FLAGS: Flags = {"path": "--token-file"}
"""The token file is the ``path`` of :func:`~rivalscope.fetch.credentials.read_ucdp_token`."""
ACLED_FLAGS: Flags = {"path": "--credentials-file"}
"""The credentials file is the ``path`` of
:func:`~rivalscope.fetch.credentials.read_acled_credentials`."""

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
    typer.Option(
        "--url",
        help=f"Site root (default ${acled.URL_ENV} or {acled.DEFAULT_URL}).",
        show_default=False,
    ),
]


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"--since {value!r} is not a YYYY-MM-DD date") from None


class _ConsoleLog(logging.Handler):
    """Show the fetch's warnings (retries) on the progress console."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(
            f"[yellow]{shown(record.getMessage())}[/]", highlight=False, soft_wrap=True
        )


@contextmanager
def _session(db: str | None, as_json: bool, flags: Flags) -> Iterator[tuple[Store, OnPage]]:
    """The store, and a callback that shows each page fetched; retries show as warnings."""
    shown = progress(
        TextColumn("page {task.fields[pages]}{task.fields[pages_total]}"),
        TextColumn("{task.fields[rows]} rows"),
        hidden=as_json,
    )
    logger = logging.getLogger("rivalscope.fetch")
    handler = _ConsoleLog(shown.console)
    logger.addHandler(handler)
    try:
        with open_store(db, write=True, flags=flags) as store, shown:
            yield store, _on_page(shown)
    except KeyboardInterrupt:
        raise fail("interrupted: run the same command again to resume", 130) from None
    finally:
        logger.removeHandler(handler)


def _on_page(shown: Progress) -> OnPage:
    tasks: dict[str, TaskID] = {}

    def show(step: PageProgress) -> None:
        if step.label not in tasks:
            tasks[step.label] = shown.add_task(
                step.label, total=None, pages=0, pages_total="", rows="0"
            )
        shown.update(
            tasks[step.label],
            total=step.rows_total,
            completed=step.rows,
            pages=step.pages,
            pages_total=f"/{step.pages_total}" if step.pages_total else "",
            rows=f"{step.rows:,}" + (f"/{step.rows_total:,}" if step.rows_total else ""),
        )

    return show


def _acled_credentials(path: Path | None) -> AcledCredentials:
    """The ACLED credentials from ``path`` (or the setting), or a one-line CLI error."""
    with library_errors(ACLED_FLAGS):
        credentials = read_acled_credentials(path)
    _warn_permissions(path, ACLED_CREDENTIALS_ENV)
    return credentials


def _warn_permissions(path: Path | None, setting: str) -> None:
    named = settings.get(setting)
    chosen = path or (Path(named) if named else None)
    if chosen is not None and chosen.is_file() and readable_by_others(chosen.expanduser()):
        err.print(
            f"[yellow]warning:[/] {chosen} is readable by other users; run: chmod 600 {chosen}",
            highlight=False,
        )


def _summary(result: FetchResult) -> None:
    resumed = f"; resumed after page {result.resumed_at_page}" if result.resumed_at_page else ""
    if result.kind == "deletions":
        err.print(f"[bold]acled deletions[/]: {shown(result.message)}", highlight=False)
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
        err.print(f"  [{style}]{shown(result.message)}[/]", highlight=False, soft_wrap=True)
    if result.rows_quarantined:
        err.print("  see why: rivalscope info --quarantine", highlight=False)


def _report(result: FetchResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        _summary(result)


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
        typer.Option(
            "--url",
            help=f"API root (default ${ucdp.URL_ENV} or {ucdp.DEFAULT_URL}).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch UCDP GED or Candidate events from the UCDP API (resumes an unfinished fetch)."""
    with library_errors(UCDP_FLAGS):
        token = read_ucdp_token(token_file)
        query = ucdp.UcdpQuery(dataset, version, country, _date(since), page_size).checked()
    _warn_permissions(token_file, UCDP_TOKEN_ENV)
    with _session(db, as_json, UCDP_FLAGS) as (store, on_page):
        result = ucdp.fetch_ucdp(
            store, query, token=token, url=url, cache_dir=cache_dir, on_page=on_page
        )
    _report(result, as_json)


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
    with _session(db, as_json, ACLED_FLAGS) as (store, on_page):
        result = acled.fetch_acled(
            store,
            credentials=credentials,
            country=country,
            since=start,
            page_size=page_size,
            url=url,
            cache_dir=cache_dir,
            on_page=on_page,
        )
    _report(result, as_json)


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
    with _session(db, as_json, ACLED_FLAGS) as (store, on_page):
        results = acled.update_acled(
            store,
            credentials=credentials,
            country=country,
            url=url,
            cache_dir=cache_dir,
            on_page=on_page,
        )
    if not as_json:
        for result in results:
            _summary(result)
        return
    events = [r for r in results if r.kind != "deletions"]
    print_json(
        {
            "runs": [r.to_dict() for r in results],
            "rows_read": sum(r.rows_read for r in events),
            "rows_stored": sum(r.rows_stored for r in events),
            "rows_unchanged": sum(r.rows_unchanged for r in events),
            "rows_quarantined": sum(r.rows_quarantined for r in events),
            "rows_deleted": sum(r.rows_deleted for r in results),
        }
    )
