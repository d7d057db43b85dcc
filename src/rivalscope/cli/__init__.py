"""The ``rivalscope`` command: each command opens the store, calls one library function, prints.

The commands are listed in the order of an analyst's day: make or get data (``synth``,
``ingest``, ``fetch``, ``update``), check it (``info``, ``actors``, ``places``, ``links``), code
and review text (``code``, ``review``), look at it (``events``, ``profile``, ``export``), look
ahead (``forecast``, ``simulate``) and share it (``serve``). What every command shares (``--db``,
``--json``, ``--source``, the store opener, errors) is in :mod:`rivalscope.cli.common`; each group
of commands has its own module, which imports ``common`` and never this package.
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
    """Print the version."""
    sys.stdout.write(f"rivalscope {rivalscope.__version__}\n")


WORKFLOW: tuple[tuple[str, typer.Typer | Callable[..., Any]], ...] = (
    ("synth", ingest.synth),
    ("ingest", ingest.app),
    ("fetch", fetch.fetch_app),
    ("update", fetch.update_app),
    ("info", store.info),
    ("actors", store.actors_app),
    ("places", store.places_app),
    ("links", links.links),
    ("code", coding.code_app),
    ("review", coding.review_app),
    ("events", analysis.events),
    ("profile", analysis.profile),
    ("export", store.export),
    ("forecast", forecast.app),
    ("simulate", simulate.app),
    ("serve", serve.serve),
    ("version", version),
)
"""Every command and group, in the order ``rivalscope --help`` lists them."""


class _Workflow(TyperGroup):
    """Lists commands and groups together in :data:`WORKFLOW` order (Typer would list the
    commands first)."""

    def list_commands(self, ctx: Any) -> list[str]:
        order = [name for name, _ in WORKFLOW]
        return sorted(self.commands, key=lambda name: order.index(name))


app = typer.Typer(
    cls=_Workflow,
    name="rivalscope",
    help="Track and analyse rivalries between armed groups from conflict event data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _name, _part in WORKFLOW:
    if isinstance(_part, typer.Typer):
        app.add_typer(_part, name=_name)
    else:
        app.command(_name)(_part)


@app.callback()
def _settings(
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
