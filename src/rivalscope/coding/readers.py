"""Inputs to the coder: plain text, CSV and JSON Lines files, as :class:`Passage` objects.

- Plain text (any other extension): the whole file is one passage (``split="paragraph"``: each
  block separated by a blank line is one; ``split="line"``: each non-empty line is one).
- CSV (``.csv``, also ``.csv.gz``): one passage per row, from the text column (default
  ``text``); the report date from the date column (default: ``report_date`` or ``date`` when
  present); the row's ``id`` column, when present, is carried as ``input_id``.
- JSON Lines (``.jsonl``, ``.ndjson``, also gzipped): one object per line with the same fields.

A problem names the file, the row (or line) and the column: a missing text column, a date that
is not ``YYYY-MM-DD``, a line that is not JSON. Rows with an empty text are skipped and counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from rivalscope.coding.dates import parse_iso
from rivalscope.coding.records import Passage
from rivalscope.errors import InputError

TEXT_COLUMN: Final = "text"
DATE_COLUMNS: Final = ("report_date", "date")
ID_COLUMNS: Final = ("id", "input_id", "report_id")
SPLITS: Final = ("file", "paragraph", "line")


@dataclass
class ReadStats:
    """How many passages each input gave and how many rows were empty."""

    files: int = 0
    passages: int = 0
    empty: int = 0


def read_passages(
    paths: Iterable[str | Path],
    *,
    text_column: str | None = None,
    date_column: str | None = None,
    report_date: dt.date | None = None,
    split: str = "file",
    stats: ReadStats | None = None,
) -> Iterator[Passage]:
    """Passages from every file, in order.

    Args:
        paths: the input files.
        text_column: the CSV column or JSON field holding the text (default ``text``).
        date_column: the column or field holding the report date (default: ``report_date`` or
            ``date`` when present).
        report_date: the date of passages that carry none (plain text files, empty cells).
        split: for plain text files: ``file``, ``paragraph`` or ``line``.
        stats: filled with counts as the files are read.

    Raises:
        InputError: naming the file, row and column of the first problem.
    """
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}: use {', '.join(SPLITS)}")
    counts = stats if stats is not None else ReadStats()
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        counts.files += 1
        kind = _kind(path)
        if kind == "csv":
            items = _csv(path, text_column, date_column, report_date, counts)
        elif kind == "jsonl":
            items = _jsonl(path, text_column, date_column, report_date, counts)
        else:
            items = _text(path, report_date, split, counts)
        for passage in items:
            counts.passages += 1
            yield passage


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last == ".csv":
        return "csv"
    if last in (".jsonl", ".ndjson"):
        return "jsonl"
    return "text"


def _open(path: Path) -> IO[str]:
    try:
        if path.suffix.lower() == ".gz":
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _text(
    path: Path, report_date: dt.date | None, split: str, counts: ReadStats
) -> Iterator[Passage]:
    try:
        with _open(path) as handle:
            content = handle.read()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    content = content.replace("\r\n", "\n")
    if split == "file":
        parts = [content]
    elif split == "paragraph":
        parts = _paragraphs(content)
    else:
        parts = content.split("\n")
    number = 0
    for part in parts:
        text = part.strip()
        if not text:
            if split == "file":
                counts.empty += 1
            continue
        number += 1
        input_id = path.stem if split == "file" else f"{path.stem}:{number}"
        yield Passage(text, report_date, input_id, str(path), None if split == "file" else number)


def _paragraphs(content: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] = []
    for line in content.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def _pick(
    names: list[str], wanted: str | None, defaults: tuple[str, ...], path: Path, what: str
) -> str | None:
    if wanted is not None:
        if wanted not in names:
            raise InputError(
                f"{path}: no {what} column {wanted!r} (columns: {', '.join(names) or 'none'})"
            )
        return wanted
    return next((name for name in defaults if name in names), None)


def _csv(
    path: Path,
    text_column: str | None,
    date_column: str | None,
    report_date: dt.date | None,
    counts: ReadStats,
) -> Iterator[Passage]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with _open(path) as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                raise InputError(f"{path}: empty file (expected a header row)") from None
            names = [h.strip() for h in header]
            text_name = _pick(names, text_column or TEXT_COLUMN, (), path, "text")
            assert text_name is not None
            date_name = _pick(names, date_column, DATE_COLUMNS, path, "date")
            id_name = _pick(names, None, ID_COLUMNS, path, "id")
            position = {name: names.index(name) for name in (text_name, date_name, id_name) if name}
            for row_number, row in enumerate(reader, start=1):
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(names):
                    raise InputError(
                        f"{path}: row {row_number}: {len(row)} fields where the header has "
                        f"{len(names)}"
                    )
                text = row[position[text_name]].strip()
                if not text:
                    counts.empty += 1
                    continue
                date = report_date
                if date_name is not None:
                    where = f"{path}: row {row_number}: column {date_name}"
                    try:
                        date = parse_iso(row[position[date_name]], where) or report_date
                    except ValueError as exc:
                        raise InputError(str(exc)) from None
                input_id = row[position[id_name]].strip() if id_name else str(row_number)
                yield Passage(text, date, input_id or str(row_number), str(path), row_number)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except csv.Error as exc:
        raise InputError(f"{path}: not valid CSV ({exc})") from exc
    except (EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc


def _jsonl(
    path: Path,
    text_column: str | None,
    date_column: str | None,
    report_date: dt.date | None,
    counts: ReadStats,
) -> Iterator[Passage]:
    text_name = text_column or TEXT_COLUMN
    try:
        with _open(path) as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}: line {line_number}"
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{where}: not JSON ({exc.msg})") from None
                if not isinstance(item, dict):
                    raise InputError(f"{where}: expected a JSON object")
                if text_name not in item:
                    raise InputError(f"{where}: field {text_name}: missing")
                value = item[text_name]
                if value is not None and not isinstance(value, str):
                    raise InputError(f"{where}: field {text_name}: expected text")
                text = (value or "").strip()
                if not text:
                    counts.empty += 1
                    continue
                date_name = date_column or next((n for n in DATE_COLUMNS if n in item), None)
                date = report_date
                if date_name is not None:
                    if date_column is not None and date_name not in item:
                        raise InputError(f"{where}: field {date_name}: missing")
                    raw = item.get(date_name)
                    try:
                        date = (
                            parse_iso(
                                None if raw is None else str(raw), f"{where}: field {date_name}"
                            )
                            or report_date
                        )
                    except ValueError as exc:
                        raise InputError(str(exc)) from None
                id_name = next((n for n in ID_COLUMNS if item.get(n) is not None), None)
                input_id = str(item[id_name]) if id_name else str(line_number)
                yield Passage(text, date, input_id, str(path), line_number)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except (EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
