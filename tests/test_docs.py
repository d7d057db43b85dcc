"""The documentation users read is current and true."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.core import TyperGroup

from rivalscope.cli import app
from rivalscope.cli.coding import DEFAULT_COMMAND
from rivalscope.cli.reference import render

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_cli_reference_is_current() -> None:
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == render(), "run: python -m rivalscope.cli.reference > docs/cli.md"


def test_cli_reference_shows_flags_and_toml_tables() -> None:
    reference = render()
    assert "<bool>" not in reference
    assert "[[phase]]" in reference and "TOML file of [] tables" not in reference
    assert "--version" in reference


def shell_blocks(text: str) -> list[list[str]]:
    """The lines of each ```sh block of a Markdown text."""
    return [block.splitlines() for block in re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S)]


def commands(text: str) -> list[str]:
    """Every ``rivalscope ...`` command line of the text's shell blocks."""
    return [line for block in shell_blocks(text) for line in block if line.startswith("rivalscope")]


def words_of(line: str) -> list[str]:
    """The command's own words: no comment, pipe or redirection."""
    words = shlex.split(line, comments=True)
    for stop in ("|", ">", ">>"):
        if stop in words:
            words = words[: words.index(stop)]
    return words[1:]


def _options(command: Any) -> dict[str, Any]:
    return {opt: param for param in command.params for opt in param.opts + param.secondary_opts}


def check_command_line(words: list[str]) -> None:
    """Each word that names a subcommand leads to it; each ``--flag`` is an option of the
    command or of a group on its path, given a value where it takes one."""
    command: Any = typer.main.get_command(app)
    options = _options(command)
    path = ["rivalscope"]
    rest = iter(words)
    for word in rest:
        if word.startswith("-"):
            flag, has_value = word.split("=", 1)[0], "=" in word
            assert flag in options, f"{' '.join(path)} has no option {flag}"
            option = options[flag]
            if not option.is_flag and not has_value:
                value = next(rest, None)
                assert value is not None, f"{' '.join(path)} {flag} needs a value"
            continue
        if isinstance(command, TyperGroup):
            context = typer.Context(command)
            found = command.get_command(context, word)
            if found is None and path[1:] == ["code"]:
                found = command.get_command(context, DEFAULT_COMMAND)  # `rivalscope code FILE`
            if found is None:
                raise AssertionError(f"{' '.join(path)} has no command {word}")
            command = found
            path.append(word)
            options |= _options(command)
    assert (
        not isinstance(command, TyperGroup)
        or command.invoke_without_command
        or path == ["rivalscope"]
    ), f"{' '.join(path)} needs a command"


def test_readme_quick_start_names_real_commands() -> None:
    assert "make demo" in README and "make test" in README
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    found = commands(README)
    assert len(found) > 30
    for line in found:
        check_command_line(words_of(line))
        words = [w for w in words_of(line) if not w.startswith("-")]
        assert not words or f"## `rivalscope {words[0]}`" in reference, line


def test_readme_puts_rivalscope_on_path_before_using_it() -> None:
    """After `make demo` the command lives in .venv/bin: the README activates the venv in the
    quick start, before its first `rivalscope` line, and never mixes in `.venv/bin/rivalscope`."""
    lines = [line for block in shell_blocks(README) for line in block]
    activate = lines.index(". .venv/bin/activate   # puts `rivalscope` on PATH in this shell")
    first = next(i for i, line in enumerate(lines) if line.startswith("rivalscope"))
    assert activate < first
    assert not [line for line in lines if line.startswith(".venv/bin/rivalscope")]


def test_readme_openapi_path_is_served() -> None:
    from rivalscope.server.app import create_app  # noqa: F401  (the server is what says it)

    source = (ROOT / "src" / "rivalscope" / "server" / "app.py").read_text(encoding="utf-8")
    assert 'openapi_url="/api/openapi.json"' in source
    assert "`/api/openapi.json`" in README
    assert "`/openapi.json`" not in README


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make demo` leaves, smaller: a SYNTHETIC one-world store, demo.duckdb."""
    folder = tmp_path_factory.mktemp("demo")
    cli = [sys.executable, "-m", "rivalscope.cli"]
    steps = [
        ["synth", "--one-world", "--events", "3000", "--out", "demo-data"],
        ["ingest", "ucdp", "demo-data/synthetic_world_ged.csv", "--db", "demo.duckdb"],
        ["ingest", "acled", "demo-data/synthetic_world_acled.csv", "--db", "demo.duckdb"],
    ]
    for step in steps:
        subprocess.run([*cli, *step], cwd=folder, check=True, capture_output=True, timeout=300)
    return folder


def test_readme_quick_start_commands_run_as_written(demo_dir: Path) -> None:
    """The quick start's `Then try` block, run line by line in a shell where the venv's bin
    is on PATH (as `. .venv/bin/activate` leaves it), against the demo store."""
    block = next(
        b for b in shell_blocks(README) if all(line.startswith("rivalscope") for line in b)
    )
    assert any("demo.duckdb" in line for line in block)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "COLUMNS": "120",
        "NO_COLOR": "1",
    }
    env.pop("RIVALSCOPE_DB", None)
    for line in block:
        done = subprocess.run(
            ["bash", "-c", f"set -e; {line}"],
            cwd=demo_dir,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, (line, done.stderr)
        assert "error" not in done.stderr.lower(), (line, done.stderr)
        assert done.stdout.strip(), line
