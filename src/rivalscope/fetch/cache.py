"""The local cache of fetched pages: the raw JSON as the API sent it, and the CSV ingested.

Layout: ``<cache>/<source>/<run_id>/page-000001.json.gz`` and ``page-000001.csv.gz``. Each file
is written to a temporary name and renamed, so a killed fetch never leaves half a page. The cache
holds data only: no token, password or header is ever written there.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import rivalscope.settings as settings

CACHE_ENV = "RIVALSCOPE_CACHE"


def default_cache_dir() -> Path:
    """``$RIVALSCOPE_CACHE``, else ``$XDG_CACHE_HOME/rivalscope``, else ``~/.cache/rivalscope``."""
    chosen = settings.get(CACHE_ENV)
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "rivalscope"


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def cell(value: Any) -> str:
    """A JSON value as CSV text: empty for null, ``1``/``0`` for booleans, JSON for containers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class PageCache:
    """The folder of one fetch run's pages."""

    def __init__(self, root: Path, source: str, run_id: str) -> None:
        self.folder = root / source / run_id

    def raw_path(self, page: int) -> Path:
        return self.folder / f"page-{page:06d}.json.gz"

    def csv_path(self, page: int) -> Path:
        return self.folder / f"page-{page:06d}.csv.gz"

    def write_raw(self, page: int, body: Any) -> Path:
        """Keep the page's JSON body as the API sent it (parsed, re-serialised, gzipped)."""
        path = self.raw_path(page)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        _atomic_write(path, gzip.compress(text.encode("utf-8"), mtime=0))
        return path

    def write_csv(
        self, page: int, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
    ) -> Path:
        """Write rows as a gzipped CSV with ``columns`` first, then any other keys they hold."""
        rows = list(rows)
        extra = sorted({key for row in rows for key in row} - set(columns))
        header = [*columns, *extra]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(row.get(name)) for name in header])
        path = self.csv_path(page)
        _atomic_write(path, gzip.compress(buffer.getvalue().encode("utf-8"), mtime=0))
        return path
