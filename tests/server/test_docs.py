"""docs/server.md tells the truth about `rivalscope serve`: every option and every endpoint."""

from __future__ import annotations

from pathlib import Path

import typer.main

from rivalscope.cli import app
from rivalscope.server import api

DOC = (Path(__file__).resolve().parents[2] / "docs" / "server.md").read_text(encoding="utf-8")


def test_every_serve_option_is_documented() -> None:
    command = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    assert "--token-file" in options and "--redact" in options
    for option in options:
        assert f"`{option}`" in DOC, option


def test_every_endpoint_is_documented() -> None:
    routes = [(m, r.path) for r in api.router.routes for m in sorted(r.methods)]  # type: ignore[attr-defined]
    assert len(routes) >= 12
    for method, path in routes:
        assert f"`{method} {path.replace('{defection_id}', '{id}')}" in DOC, (method, path)
