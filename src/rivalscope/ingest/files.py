"""Reading input files: plain, gzip-compressed or zipped CSV, in UTF-8, Latin-1 or UTF-16."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rivalscope.errors import InputError


@contextmanager
def readable_csv(path: Path) -> Iterator[Path]:
    """Yield a path DuckDB can read: the file itself, or the CSV inside a zip archive."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if not zipfile.is_zipfile(path):
        yield path
        return
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
        if len(members) != 1:
            names = ", ".join(m.filename for m in members) or "none"
            raise InputError(
                f"{path}: a zip archive must hold exactly one .csv file (found {names})"
            )
        with tempfile.TemporaryDirectory(prefix="rivalscope-") as tmp:
            target = Path(archive.extract(members[0], tmp))
            yield target


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def read_header(path: Path, encoding: str, shown: str) -> list[str]:
    """The CSV header of ``path``.

    Raises:
        InputError: the file is empty, binary, or not decodable with ``encoding``.
    """
    try:
        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rb") as raw:
            line = raw.readline(1 << 20)
        if encoding == "utf-16":
            with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding, newline="") as text:
                first = text.readline()
        else:
            first = line.decode(encoding)
    except (UnicodeDecodeError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(
            f"{shown}: cannot read the header as {encoding} text ({exc.__class__.__name__}); "
            "is it a CSV file? (a Latin-1 file needs the encoding latin-1)"
        ) from exc
    if not first.strip():
        raise InputError(f"{shown}: empty file, no CSV header")
    if "\x00" in first:
        raise InputError(f"{shown}: binary data, not a CSV file")
    header = next(csv.reader([first.lstrip("\ufeff")]))
    return [name.strip() for name in header]


@dataclass(frozen=True)
class FileFacts:
    """What one pass over a file's bytes tells: its hash, its encoding, its blank lines."""

    sha256: str
    valid_utf8: bool
    blank_records: tuple[int, ...]
    """Record numbers of blank lines (DuckDB skips them but counts them in its rejects'
    ``line``), as 1-based numbers after the header, quoted newlines not counted."""


def _has_blank_line(chunks: Iterator[bytes]) -> tuple[bool, bool]:
    """(valid UTF-8, any blank line) of a stream of chunks."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, blank, tail = True, False, b""
    for chunk in chunks:
        if valid:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                valid = False
        joined = tail + chunk
        blank = blank or b"\n\n" in joined or b"\n\r\n" in joined
        tail = joined[-2:]
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    return valid, blank


def _blank_records(path: Path) -> tuple[int, ...]:
    """Record numbers of blank lines, tracking quotes so a quoted newline starts no record.

    A blank line is one that holds only the header's line ending: DuckDB skips those, while a
    lone CR in a file of LF lines is a record (with too few fields) that it rejects.
    """
    opener = gzip.open if is_gzip(path) else open
    found = []
    with opener(path, "rb") as handle:
        record, quoted, ending = -1, False, b"\n"
        for line in handle:
            if not quoted:
                record += 1
                if record == 0 and line.endswith(b"\r\n"):
                    ending = b"\r\n"
                elif record > 0 and line == ending:
                    found.append(record)
            quoted = _ends_quoted(line, quoted)
    return tuple(found)


def _ends_quoted(line: bytes, quoted: bool) -> bool:
    """Whether a quoted field is still open at the end of ``line`` (``quoted``: one was open
    at its start). As in DuckDB's reader, a quote opens a field only at the field's start (a
    quote inside an unquoted value is a character), and ``""`` inside one is an escaped quote."""
    position, end = 0, len(line)
    at_start = not quoted
    while position < end:
        if quoted:
            found = line.find(b'"', position)
            if found < 0:
                return True
            if line[found + 1 : found + 2] == b'"':
                position = found + 2
                continue
            quoted, at_start, position = False, False, found + 1
        elif at_start and line[position : position + 1] == b'"':
            quoted, position = True, position + 1
        else:
            found = line.find(b",", position)
            if found < 0:
                return False
            at_start, position = True, found + 1
    return quoted


def inspect_file(path: Path) -> FileFacts:
    """Hash the file's bytes; check its (decompressed) content for UTF-8 and blank lines."""
    digest = hashlib.sha256()

    def raw_chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                yield chunk

    if is_gzip(path):
        for _ in raw_chunks():
            pass
        try:
            with gzip.open(path, "rb") as stream:
                valid, blank = _has_blank_line(iter(lambda: stream.read(1 << 20), b""))
        except (EOFError, OSError, zlib.error) as exc:
            raise InputError(f"{path}: truncated or corrupt gzip archive ({exc})") from exc
    else:
        valid, blank = _has_blank_line(raw_chunks())
    return FileFacts(digest.hexdigest(), valid, _blank_records(path) if blank else ())


ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
}


def unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for number, name in enumerate(header, start=1):
        base = name or f"column{number}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(base if count == 0 else f"{base}_{count + 1}")
    return names
