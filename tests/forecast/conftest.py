"""Fixtures of the forecast tests: the SYNTHETIC store, built once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rivalscope as rs
from rivalscope.synth import SynthFiles


@pytest.fixture(scope="session")
def synth_store(synth_files: SynthFiles) -> Iterator[rs.Store]:
    """The session's small SYNTHETIC UCDP and ACLED files in one in-memory store (read only)."""
    with rs.open() as store:
        store.ingest_ucdp(synth_files.ged_csv)
        store.ingest_acled(synth_files.acled_csv)
        yield store
