"""Shared fixtures: an in-memory store, small synthetic files, and the real data in ../shared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.synth import SynthFiles, generate

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def store() -> Iterator[rs.Store]:
    """A fresh in-memory store."""
    with rs.open() as opened:
        yield opened


@pytest.fixture(scope="session")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> SynthFiles:
    """A small SYNTHETIC UCDP-format and ACLED-format pair, written once per session."""
    return generate(tmp_path_factory.mktemp("synth"), seed=7, ged_rows=3000, acled_rows=2000)


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data {path} is not here (it lives beside the project, in ../shared)")
    return path
