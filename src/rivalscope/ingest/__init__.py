"""Sources into the store: files (UCDP GED, ACLED, defections, displacement) and rows made by
code (:mod:`~rivalscope.ingest.rows`), checked and resolved before the one upsert.

>>> import rivalscope as rs
>>> from rivalscope.ingest import ingest
>>> store = rs.open()
>>> result = ingest(store, "ucdp", "GEDEvent_v25_1.csv")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rivalscope.errors import InputError
from rivalscope.fusion.coverage import Coverage
from rivalscope.ingest import acled, defections, displacement, ucdp
from rivalscope.ingest.checks import SourceSpec
from rivalscope.ingest.files import read_header
from rivalscope.ingest.pipeline import STEPS, Step, ingest_file
from rivalscope.ingest.unresolved import unresolved_actors, unresolved_places
from rivalscope.store.upsert import IngestResult

if TYPE_CHECKING:
    from rivalscope.store.base import Store

SOURCES: dict[str, SourceSpec] = {
    "ucdp": ucdp.SPEC,
    "acled": acled.SPEC,
    "defections": defections.SPEC,
    "displacement": displacement.SPEC,
}
"""Every file source, by the name ``rivalscope ingest <name>`` takes."""


def ingest(
    store: Store,
    source: str,
    path: str | Path,
    *,
    encoding: str = "utf-8",
    on_step: Step | None = None,
    coverage: Coverage | None = None,
) -> IngestResult:
    """Ingest one file with the named source, then place its events by point-in-polygon when
    province boundaries are loaded, and list the names of the rows stored that no alias knows
    (:attr:`IngestResult.unresolved_actors`, :attr:`IngestResult.unresolved_places`).

    Args:
        store: an open, writable store.
        source: ``ucdp``, ``acled``, ``defections`` or ``displacement``.
        path: a CSV file, optionally gzip-compressed or inside a zip archive.
        encoding: ``utf-8`` (default), ``latin-1`` or ``utf-16``.
        on_step: called with each step of :data:`STEPS` as it starts.
        coverage: the window and version the file covers when known (an ACLED export's
            query, ``--coverage FROM..TO``); else read off the file (UCDP's version from its
            name, an ACLED export's latest ``timestamp``) and its events' dates.

    Raises:
        InputError: the source is unknown or the whole file is unusable.
        StoreError: the store is read-only or refused the write.
    """
    spec = SOURCES.get(source)
    if spec is None:
        raise InputError(
            f"unknown source {source!r}: use one of {', '.join(SOURCES)}", parameter="source"
        )
    store.require_writable()
    result = ingest_file(store, spec, path, encoding=encoding, on_step=on_step, coverage=coverage)
    if spec.target == "events" and store.has_boundaries():
        store.assign_provinces_by_point()
    if spec.target != "events" or not result.rows_stored:
        return result
    return replace(
        result,
        unresolved_actors=tuple(unresolved_actors(store, result.batch_id)),
        unresolved_places=tuple(unresolved_places(store, result.batch_id)),
    )


__all__ = ["SOURCES", "STEPS", "IngestResult", "SourceSpec", "Step", "ingest", "read_header"]
