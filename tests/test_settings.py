"""Every environment setting is declared once and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rivalscope import settings

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"RIVALSCOPE_[A-Z_]+")


def test_settings_page_is_current() -> None:
    written = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert written == settings.markdown(), (
        "run: python -c 'from rivalscope.settings import markdown; print(markdown(), end=\"\")'"
        " > docs/settings.md"
    )


def test_every_setting_named_in_the_code_is_declared() -> None:
    declared = {setting.name for setting in settings.SETTINGS}
    undeclared = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "src").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace"))
        if name not in declared
    )
    assert undeclared == [], "declare these in src/rivalscope/settings.py"


def test_a_setting_is_its_environment_value_else_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RIVALSCOPE_UCDP_URL", raising=False)
    assert settings.get("RIVALSCOPE_UCDP_URL") == settings.default("RIVALSCOPE_UCDP_URL")
    monkeypatch.setenv("RIVALSCOPE_UCDP_URL", "")
    assert settings.get("RIVALSCOPE_UCDP_URL") == "https://ucdpapi.pcr.uu.se/api"
    monkeypatch.setenv("RIVALSCOPE_UCDP_URL", "http://127.0.0.1:9/api")
    assert settings.get("RIVALSCOPE_UCDP_URL") == "http://127.0.0.1:9/api"
    with pytest.raises(KeyError):
        settings.get("RIVALSCOPE_NOT_DECLARED")
