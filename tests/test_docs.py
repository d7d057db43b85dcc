"""The documentation users read is current and true."""

from __future__ import annotations

from pathlib import Path

from rivalscope.cli.reference import render

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current() -> None:
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == render(), "run: python -m rivalscope.cli.reference > docs/cli.md"


def test_readme_quick_start_names_real_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for line in readme.splitlines():
        if line.startswith("rivalscope "):
            words = line.split()
            command = " ".join(
                w
                for w in words[:3]
                if not w.startswith(("-", "<"))
                and not w.endswith((".csv", ".geojson", ".toml", ".duckdb"))
            )
            assert f"## `{command}`" in reference or f"## `{' '.join(words[:2])}`" in (reference), (
                line
            )
