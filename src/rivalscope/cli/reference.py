"""Write docs/cli.md from the commands' own ``--help``: ``python -m rivalscope.cli.reference``."""

from __future__ import annotations

import os
import sys

import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from rivalscope.cli import app

WIDTH = "100"


def _commands(command: object, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """``path`` and the paths of every command under it that ``--help`` lists, in its order."""
    found = [path]
    if isinstance(command, TyperGroup):
        context = typer.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None and not sub.hidden:
                found += _commands(sub, (*path, name))
    return found


def render() -> str:
    """The whole reference as Markdown."""
    runner = CliRunner()
    parts = [
        "# Command reference\n",
        "Generated from each command's `--help` by `python -m rivalscope.cli.reference`; "
        "a test checks it is current.\n",
    ]
    env = {"COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb"}
    for path in _commands(typer.main.get_command(app), ()):
        title = " ".join(("rivalscope", *path))
        result = runner.invoke(app, [*path, "--help"], env=env, prog_name="rivalscope")
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        parts.append(f"## `{title}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    os.environ["COLUMNS"] = WIDTH
    sys.stdout.write(render())
