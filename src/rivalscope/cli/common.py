"""What every command shares: the ``--db``, ``--json`` and ``--source`` options, the one store
opener, and the way results, progress and errors are shown.

Data and ``--json`` objects go to stdout; progress, notes and errors go to stderr. Exit codes:
0 success, 1 the analysis found a problem, 2 bad input or usage. A library error becomes one
line, ``error: ...``; when it names the parameter it is about, the line names the command's flag
instead (``--end: 2031-01 is after ...``).

Text from the data never reaches the terminal as it is: every table cell, title and message
built from it goes through :func:`shown`, which makes control characters visible (an ESC or OSC
sequence in an actor's name cannot move the cursor, clear the screen or forge a link) and escapes
Rich markup. Data written as data (CSV, JSON, Parquet, to a file or stdout) stays faithful.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn

from rivalscope.errors import RivalscopeError

if TYPE_CHECKING:
    from rivalscope import Store


def _show_flags_as_flags() -> None:
    """Make ``--help`` show a flag (``--json``, ``--redact``, ``--help``) bare, as Click's plain
    help does, instead of with the type ``<bool>`` that Typer's Rich help gives it.

    Typer has no setting for this, so the option class's one method that names the type is
    wrapped here, once, for every command of the app (this module is imported by all of them).
    """
    from typer.core import TyperOption

    shown_type = TyperOption.display_type_rich
    if getattr(shown_type, "_flags_bare", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag and not self.count:
            return None
        return shown_type(self, ctx)

    display_type_rich._flags_bare = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_show_flags_as_flags()

err = Console(stderr=True)
"""The console for progress, notes and errors."""

DB_HELP = (
    "The store: a DuckDB file (default $RIVALSCOPE_DB or rivalscope.duckdb), a postgresql:// "
    "URL, or spark:MASTER?data=DIR. Commands that only read need an existing store."
)
JSON_HELP = "Print one JSON object on stdout."
SOURCE_HELP = (
    "Which events to read: a source (ucdp, acled, text, ...) or fused (each real-world event "
    "once, linked across sources). Default: fused where two sources or more hold events."
)


def db_option(help: str = DB_HELP) -> Any:
    """The ``--db`` option (declared here only), with the one help text every command shows
    (``help`` is kept for callers that still pass their own; new code passes none)."""
    return typer.Option("--db", help=help, show_default=False)


def json_option(help: str = JSON_HELP) -> Any:
    """The ``--json`` option (declared here only), with the command's own help if it needs one."""
    return typer.Option("--json", help=help)


def source_option(help: str = SOURCE_HELP) -> Any:
    """The ``--source`` option of every analysis (declared here only): the events it reads
    (:func:`rivalscope.fusion.choose`)."""
    return typer.Option("--source", help=help, show_default=False)


DEFAULT_WAIT = 60.0
"""Seconds a command waits for a DuckDB store that another process holds (``--wait``)."""

WAIT_HELP = (
    "Seconds to wait while another process is writing to the DuckDB store, before giving up."
)

DbOption = Annotated[str | None, db_option()]
JsonOption = Annotated[bool, json_option()]
SourceOption = Annotated[str | None, source_option()]
WaitOption = Annotated[float, typer.Option("--wait", min=0, metavar="SECONDS", help=WAIT_HELP)]
"""The ``--wait`` option of every command that writes to the store (declared here only): pass
it to :func:`open_store`."""

Flags = Mapping[str, str]
"""A command's flags whose names differ from the library parameter they set:
``{"learners": "--model"}``."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 control characters, DEL, and the bidirectional overrides and isolates."""

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: object) -> str:
    """``text`` with each control character written as an escape (``\\x1b``, ``\\n``,
    ``\\u202e``): for text printed without Rich markup."""
    return _CONTROL.sub(_visible, str(text))


def shown(text: object) -> str:
    """Text from the data as a Rich table cell, title or message may hold it: control
    characters made visible (:func:`visible`) and Rich markup escaped."""
    return escape(visible(text))


def stdout() -> Console:
    """A console on stdout for tables, made now so that it sees the terminal's current width."""
    return Console()


def print_json(data: Any) -> None:
    """Write ``data`` as one line of JSON on stdout (dates and paths as text)."""
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` as one line on stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {shown(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def flag(parameter: str, flags: Flags | None = None) -> str:
    """The flag that sets a library parameter: ``--`` and the name with ``-`` for ``_``, unless
    ``flags`` names another (``refit_every`` -> ``--refit-every``)."""
    given = (flags or {}).get(parameter)
    return given if given is not None else "--" + parameter.replace("_", "-")


def describe(exc: RivalscopeError, flags: Flags | None = None) -> str:
    """The error as the command line says it: the flag in place of the parameter's name."""
    if exc.parameter is None:
        return str(exc)
    return f"{flag(exc.parameter, flags)}: {exc.message}"


@contextmanager
def library_errors(flags: Flags | None = None) -> Iterator[None]:
    """Turn a library error raised in the block into one line on stderr and exit code 2."""
    try:
        yield
    except RivalscopeError as exc:
        raise fail(describe(exc, flags)) from None


def store_target(db: str | None) -> str:
    """The store a command uses: ``--db``, else the default store (``RIVALSCOPE_DB``)."""
    from rivalscope.store import default_db

    return db or default_db()


def _waiting(target: str, wait: float, flagged: bool) -> Callable[[str], None]:
    """What a command prints, once, when the store it opens is held by another process."""

    def note(reason: str) -> None:
        change = "; --wait SECONDS to change" if flagged else ""
        err.print(
            f"waiting for the store: another process is writing to {shown(target)} "
            f"(up to {wait:g} s{change}) ...",
            highlight=False,
            soft_wrap=True,
        )

    return note


def missing_store(target: str) -> typer.Exit:
    """The error of a command that reads a DuckDB store which does not exist: exit code 2 and
    how to make one (printed now; raise what it returns)."""
    return fail(
        f"no store at {target}: the file does not exist, and a command that reads does not "
        f"create one. Make it with `rivalscope ingest ucdp FILE --db {target}` (`rivalscope "
        "synth` writes a SYNTHETIC data set to ingest), or name an existing store with --db"
    )


def require_store(target: str) -> None:
    """Stop the command (exit code 2, :func:`missing_store`) when ``target`` is a DuckDB file
    that does not exist; a server store, ``:memory:`` and an existing file pass."""
    from rivalscope.store.urls import is_url

    if is_url(target) or target == ":memory:" or Path(target).exists():
        return
    raise missing_store(target)


@contextmanager
def open_store(
    db: str | None,
    *,
    write: bool,
    create: bool = True,
    must_exist: bool | None = None,
    flags: Flags | None = None,
    wait: float | None = None,
) -> Iterator[Store]:
    """Open the store named by ``--db`` for one command, and close it after.

    A command that only reads (``write=False``) opens an existing DuckDB file read-only, so
    several readers may share it, and refuses a DuckDB file that does not exist (exit code 2,
    saying how to make one) rather than create an empty store and report that it found
    nothing. A command that writes creates the file. ``must_exist`` overrides the choice: a
    read command that opens the store for writing (``info`` migrates it, ``--redact`` keeps
    its pseudonyms) passes True. A server store (``postgresql://``, ``spark:``) is opened as it
    is given, unless ``create`` is False: then it opens read-only (and a missing DuckDB file
    stops the command, as ``must_exist`` does). Library errors, opening included, become one
    line on stderr and exit code 2.

    A DuckDB file that another process holds (DuckDB lets one process write a file) is waited
    for, up to ``wait`` seconds, with a note on stderr; still held after that, the command stops
    with exit code 2, naming ``--wait``.

    Args:
        db: the ``--db`` value (None: the default store).
        write: whether the command writes to the store.
        create: whether a store that does not exist may be created (False: a server store
            opens read-only).
        must_exist: whether a DuckDB file that does not exist stops the command (None: when
            the command does not write, or ``create`` is False).
        flags: the command's flags named otherwise than their library parameters.
        wait: the command's ``--wait`` (None: the command has no such flag, and waits
            :data:`DEFAULT_WAIT` seconds).
    """
    import rivalscope
    from rivalscope.store.urls import is_url

    target = store_target(db)
    if must_exist is None:
        must_exist = not write or not create
    if must_exist:
        require_store(target)
    read_only = False
    if not write:
        if is_url(target):
            read_only = not create
        elif Path(target).exists():
            read_only = True
    seconds = DEFAULT_WAIT if wait is None else wait
    try:
        store = rivalscope.open(
            target,
            read_only=read_only,
            wait=seconds,
            on_wait=_waiting(target, seconds, flagged=wait is not None),
        )
    except RivalscopeError as exc:
        if exc.parameter == "wait" and wait is None:
            raise fail(exc.message) from None
        raise fail(describe(exc, flags)) from None
    try:
        with library_errors(flags):
            yield store
    finally:
        store.close()


def progress(*counts: str | ProgressColumn, hidden: bool) -> Progress:
    """A progress display on stderr that disappears when done: each task's description, a bar,
    the ``counts`` columns and the time elapsed. ``hidden``: show nothing (``--json``)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        *counts,
        TimeElapsedColumn(),
        console=err,
        disable=hidden,
        transient=True,
    )
