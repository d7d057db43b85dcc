"""Write docs/cli.md from the commands' own ``--help``: ``python -m rivalscope.cli_reference``."""

from __future__ import annotations

import os
import sys

import typer
from typer.testing import CliRunner

from rivalscope.cli import app

WIDTH = "100"


def _commands(group: typer.Typer, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    found = [prefix]
    for info in group.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        found.append((*prefix, name))
    for sub in group.registered_groups:
        if sub.typer_instance is not None and sub.name:
            found += _commands(sub.typer_instance, (*prefix, sub.name))
    return found


def render() -> str:
    """The whole reference as Markdown."""
    runner = CliRunner()
    parts = [
        "# Command reference\n",
        "Generated from each command's `--help` by `python -m rivalscope.cli_reference`; "
        "a test checks it is current.\n",
    ]
    env = {"COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb"}
    for path in _commands(app, ()):
        title = " ".join(("rivalscope", *path))
        result = runner.invoke(app, [*path, "--help"], env=env, prog_name="rivalscope")
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        parts.append(f"## `{title}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    os.environ["COLUMNS"] = WIDTH
    sys.stdout.write(render())
