"""Headless Chromium for the tests that render pages: Debian's ``/usr/bin/chromium`` driven by
Playwright (its own browser download fails here)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH: dict[str, Any] = {
    "executable_path": CHROMIUM,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ],
}
"""Playwright's launch options: no sandbox (containers), nothing that reaches the network."""


def require_chromium() -> None:
    """Skip the test where Chromium is not installed; fail it on CI, which must install it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@contextmanager
def browser() -> Iterator[Any]:
    """A launched headless Chromium, closed after the block."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**LAUNCH)
        try:
            yield launched
        finally:
            launched.close()
