"""The ``rivalscope`` command: each command opens the store, calls one library function, prints.

``rivalscope --help`` lists the commands in the order of an analyst's work, in four panels:
data (make or get it: ``synth``, ``ingest``, ``fetch``, ``update``; check it: ``info``,
``actors``, ``places``, ``links``), analyse (``events``, ``profile``, ``forecast``,
``simulate``), text (code and review reports: ``code``, ``review``) and share (``export``,
``serve``). What every command shares (``--db``, ``--json``, ``--source``, the store opener,
errors) is in :mod:`rivalscope.cli.common`; each group of commands has its own module, which
imports ``common`` and never this package.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import rivalscope
from rivalscope.cli import (
    analysis,
    coding,
    fetch,
    forecast,
    ingest,
    links,
    serve,
    simulate,
    store,
)
from rivalscope.cli.common import describe, fail, library_errors
from rivalscope.errors import RivalscopeError


def version() -> None:
    """Print the version (as --version does)."""
    sys.stdout.write(f"rivalscope {rivalscope.__version__}\n")


DATA, ANALYSE, TEXT, SHARE = "Data", "Analyse", "Text", "Share"
PANELS = (DATA, ANALYSE, TEXT, SHARE)
"""The help's panels of commands, in workflow order."""

WORKFLOW: tuple[tuple[str, typer.Typer | Callable[..., Any], str], ...] = (
    ("synth", ingest.synth, DATA),
    ("ingest", ingest.app, DATA),
    ("fetch", fetch.fetch_app, DATA),
    ("update", fetch.update_app, DATA),
    ("info", store.info, DATA),
    ("actors", store.actors_app, DATA),
    ("places", store.places_app, DATA),
    ("links", links.links, DATA),
    ("events", analysis.events, ANALYSE),
    ("profile", analysis.profile, ANALYSE),
    ("forecast", forecast.app, ANALYSE),
    ("simulate", simulate.app, ANALYSE),
    ("code", coding.code_app, TEXT),
    ("review", coding.review_app, TEXT),
    ("export", store.export, SHARE),
    ("serve", serve.serve, SHARE),
)
"""Every command and group with its panel, in the order ``rivalscope --help`` lists them."""


class _Workflow(TyperGroup):
    """Lists commands and groups together in :data:`WORKFLOW` order (Typer would list the
    commands first)."""

    def list_commands(self, ctx: Any) -> list[str]:
        order = [name for name, _, _ in WORKFLOW]
        return sorted(self.commands, key=lambda name: order.index(name) if name in order else -1)


app = typer.Typer(
    cls=_Workflow,
    name="rivalscope",
    help="Track and analyse rivalries between armed groups from conflict event data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _name, _part, _panel in WORKFLOW:
    if isinstance(_part, typer.Typer):
        app.add_typer(_part, name=_name, rich_help_panel=_panel)
    else:
        app.command(_name, rich_help_panel=_panel)(_part)
app.command("version", hidden=True)(version)


def _print_version(value: bool) -> None:
    if value:
        version()
        raise typer.Exit()


@app.callback()
def _settings(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
    spark_conf: Annotated[
        list[str] | None,
        typer.Option(
            "--spark-conf",
            help="A Spark setting KEY=VALUE for a spark: --db (repeatable), e.g. "
            "spark.executor.memory=8g.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Track and analyse rivalries between armed groups from conflict event data."""
    if spark_conf:
        from rivalscope.store import spark, urls

        with library_errors():
            spark.configure(urls.parse_conf(spark_conf))


def main() -> None:
    """Entry point: run the app; a library error that escaped a command exits with code 2."""
    try:
        app()
    except RivalscopeError as exc:
        raise SystemExit(fail(describe(exc)).exit_code) from None
