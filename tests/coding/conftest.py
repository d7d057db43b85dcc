"""Shared fixtures for the text coder's tests: one coder per session (building it takes seconds)."""

from __future__ import annotations

import datetime as dt

import pytest

from rivalscope.coding import Coded, Coder


@pytest.fixture(scope="session")
def coder() -> Coder:
    """The coder with the registry and gazetteer Rivalscope ships (no store)."""
    return Coder()


def only(records: list[Coded]) -> Coded:
    """The one record coded from a passage (fails when there are none or several)."""
    assert len(records) == 1, [r.to_dict() for r in records]
    return records[0]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
