"""docs/tutorial.md stays true: its commands, run again on the real UCDP GED 21.1 Afghan rows,
print what the tutorial shows; and examples/isk-taliban.ipynb runs from top to bottom.

Each ```sh block followed by a ```text block is run in a fresh folder holding the tutorial's data
files (in the tutorial's order: the store the first block makes is the one the next ones read),
and its output, stdout and stderr as a terminal 100 columns wide shows them, must be the text
block's. Batch ids (they hold the time of the ingest) are the only thing allowed to differ.

After a deliberate change of output, rewrite the tutorial's outputs with
``python -m tests.test_tutorial`` (needs ../shared/data) and read the diff.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
NOTEBOOK = ROOT / "examples" / "isk-taliban.ipynb"
DATA = ("ucdp_ged211_afghanistan.csv", "geoBoundaries-AFG-ADM1.geojson")
PORT = 8750
"""The port the tutorial's `rivalscope serve` uses; the test serves on a free one instead."""

BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
BATCH = re.compile(r"\b(ucdp|acled)-\d{8}T\d{6}-[0-9a-f]*…?")


def examples(text: str) -> list[tuple[str, str, tuple[int, int]]]:
    """Each ```sh block followed by a ```text block: the commands, the output shown, and where
    the output sits in the text."""
    blocks = list(BLOCK.finditer(text))
    found = []
    for first, second in pairwise(blocks):
        between = text[first.end() : second.start()]
        if first.group(1) == "sh" and second.group(1) == "text" and not between.strip():
            found.append((first.group(2), second.group(2), second.span(2)))
    return found


def tidy(output: str) -> str:
    """The output as the tutorial shows it: no trailing spaces, no blank lines around it."""
    return "\n".join(line.rstrip() for line in output.splitlines()).strip("\n")


def normalized(output: str) -> str:
    """The output with its batch ids made alike."""
    return tidy(BATCH.sub(r"\1-BATCH", output))


def environment() -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "100",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    env.pop("RIVALSCOPE_DB", None)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`rivalscope serve` as the tutorial starts it, on a free port."""

    def __init__(self, command: str, folder: Path) -> None:
        self.port = free_port()
        words = [*command.split(), "--port", str(self.port)]
        self.process = subprocess.Popen(
            words,
            cwd=folder,
            env=environment(),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.url("/api/info"), timeout=5).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{command} did not start") from None
                time.sleep(0.5)
        assert self.process.stderr is not None
        self.first_line = self.process.stderr.readline()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def shown(self) -> str:
        """What the terminal showed, as the tutorial's port would show it."""
        return self.first_line.replace(f":{self.port}/", f":{PORT}/")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def fetch_lines(line: str, server: Server) -> str:
    """A `curl -s URL | wc -l` line of the tutorial, fetched from the test's server."""
    match = re.fullmatch(rf"curl -s 'http://127\.0\.0\.1:{PORT}(/\S+)' \| wc -l", line.strip())
    assert match, f"the test knows only `curl -s '...' | wc -l`: {line}"
    with urllib.request.urlopen(server.url(match.group(1)), timeout=60) as response:
        body = response.read().decode("utf-8")
    return f"{body.count(chr(10))}\n"


def run_examples(folder: Path) -> Iterator[tuple[str, str, str, tuple[int, int]]]:
    """Run every example of the tutorial in ``folder``: (commands, shown, printed, where)."""
    server: Server | None = None
    try:
        for commands, shown, where in examples(TUTORIAL.read_text(encoding="utf-8")):
            lines = [line for line in commands.splitlines() if line.strip()]
            if lines[0].startswith("rivalscope serve"):
                assert len(lines) == 1
                server = Server(lines[0], folder)
                printed = server.shown()
            elif lines[0].startswith("curl"):
                assert server is not None, "the tutorial serves before it fetches"
                printed = "".join(fetch_lines(line, server) for line in lines)
            else:
                printed = ""
                for line in lines:
                    done = subprocess.run(
                        ["bash", "-c", f"{line} 2>&1"],
                        cwd=folder,
                        env=environment(),
                        capture_output=True,
                        text=True,
                        timeout=600,
                    )
                    printed += done.stdout
            yield commands, shown, printed, where
    finally:
        if server is not None:
            server.close()


def workspace(folder: Path) -> Path:
    for name in DATA:
        (folder / name).symlink_to(shared_file(name))
    return folder


def test_tutorial_outputs_are_current(tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    ran = 0
    for commands, shown, printed, _ in run_examples(folder):
        assert normalized(printed) == normalized(shown), (
            f"docs/tutorial.md: the output of\n{commands}\nchanged (python -m tests.test_tutorial "
            "rewrites it)"
        )
        ran += 1
    assert ran >= 8
    assert (folder / "isk-taliban.html").stat().st_size > 100_000


def test_tutorial_quotes_the_profile() -> None:
    """The findings the README and the tutorial's prose state are in the profile output the
    tutorial shows (which the test above keeps current)."""
    text = " ".join(TUTORIAL.read_text(encoding="utf-8").split())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "clashed 71 times from February 2015 to November 2019, with 538 deaths" in text
    assert "ISKP and the Taliban clashing in 9 of 34 provinces (Nangarhar 49 of 71" in readme
    assert "538 deaths" in readme
    assert "clashed in 9 of Afghanistan's 34 provinces" in text
    assert "Nangarhar saw most of it: 49 of 71 clashes" in text
    assert "repository ships no third-party data" in text
    assert "https://ucdp.uu.se/downloads/" in text


def test_notebook_runs() -> None:
    """The example notebook runs from top to bottom on the real file (nbclient, as CI runs it)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    shared_file(DATA[0])
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = "".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "16038" in outputs.replace(",", "")
    assert "clashed 71 times" in outputs


def rewrite() -> None:
    """Write the outputs of a fresh run into docs/tutorial.md."""
    import tempfile

    text = TUTORIAL.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        changes = [
            (where, tidy(printed) + "\n")
            for _, _, printed, where in run_examples(workspace(Path(folder)))
        ]
    for (start, end), printed in reversed(changes):
        text = text[:start] + printed + text[end:]
    TUTORIAL.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    rewrite()
