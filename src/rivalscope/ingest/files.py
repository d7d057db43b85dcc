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
    with tempfile.TemporaryDirectory(prefix="rivalscope-") as tmp:
        # Extract first, yield after: an error of the caller's block is not the archive's.
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
                if len(members) != 1:
                    names = ", ".join(m.filename for m in members) or "none"
                    raise InputError(
                        f"{path}: a zip archive must hold exactly one .csv file (found {names})"
                    )
                target = Path(archive.extract(members[0], tmp))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise InputError(
                f"{path}: corrupt zip archive ({exc}); "
                "download or create the archive again, or give the .csv file itself"
            ) from exc
        except (NotImplementedError, RuntimeError) as exc:  # compression method, encryption
            raise InputError(
                f"{path}: cannot extract the zip archive ({exc}); "
                "unpack it with another tool and give the .csv file itself"
            ) from exc
        yield target


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def read_header(path: Path, encoding: str, shown: str) -> list[str]:
    """The CSV header of ``path``.

    Raises:
        InputError: the file is empty, binary, not decodable with ``encoding`` (a UTF-16 file
            without a byte-order mark included), its lines end with a lone CR, or its header is
            not CSV.
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
    except UnicodeError as exc:
        if encoding == "utf-16" and not isinstance(exc, UnicodeDecodeError):
            raise InputError(
                f"{shown}: a UTF-16 file must start with a byte-order mark, and this one has "
                "none; save it as UTF-8 (or as UTF-16 with a BOM) and ingest it again"
            ) from exc
        raise InputError(
            f"{shown}: cannot read the header as {encoding} text ({exc.__class__.__name__}); "
            "is it a CSV file? (a Latin-1 file needs the encoding latin-1)"
        ) from exc
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(
            f"{shown}: cannot read the header as {encoding} text ({exc.__class__.__name__}); "
            "is it a CSV file? (a Latin-1 file needs the encoding latin-1)"
        ) from exc
    if not first.strip():
        raise InputError(f"{shown}: empty file, no CSV header")
    if "\x00" in first:
        raise InputError(f"{shown}: binary data, not a CSV file")
    body = first.removesuffix("\r\n") if first.endswith("\r\n") else first.removesuffix("\n")
    if "\r" in body:
        raise InputError(
            f"{shown}: its lines end with a lone CR (old Mac OS line endings), which the CSV "
            "reader does not take; convert them to LF or CRLF (for example "
            "`tr '\\r' '\\n' < in.csv > out.csv`) and ingest it again"
        )
    try:
        header = next(csv.reader([first.lstrip("\ufeff")]))
    except csv.Error as exc:
        raise InputError(f"{shown}: the first line is not a CSV header ({exc})") from exc
    return [name.strip() for name in header]


@dataclass(frozen=True)
class FileFacts:
    """What one pass over a file's bytes tells: its hash, its encoding, its blank lines."""

    sha256: str
    valid_utf8: bool
    blank_records: tuple[int, ...]
    """Record numbers of blank lines (DuckDB skips them but counts them in its rejects'
    ``line``), as 1-based numbers after the header, quoted newlines not counted."""
    longest_record: int = 0
    """An upper bound of the longest record's size in bytes (see :class:`RecordSizes`)."""


class RecordSizes:
    """An upper bound of the longest CSV record in a stream of chunks, in bytes.

    A line with an odd number of quotes opens (or closes) a quoted field, so the record goes on
    over the next line. A quote inside an unquoted value (a character to DuckDB) can only make
    the bound larger, which is safe: the bound decides whether the file is read sequentially.
    """

    def __init__(self) -> None:
        self.longest = 0
        self._record = 0
        self._open = False
        self._partial = 0
        self._quotes = 0

    def feed(self, chunk: bytes) -> None:
        lines = chunk.split(b"\n")
        for line in lines[:-1]:
            self._line(self._partial + len(line) + 1, self._quotes + line.count(b'"'))
            self._partial = self._quotes = 0
        self._partial += len(lines[-1])
        self._quotes += lines[-1].count(b'"')

    def _line(self, size: int, quotes: int) -> None:
        self._record += size
        if quotes % 2:
            self._open = not self._open
        if not self._open:
            self.longest = max(self.longest, self._record)
            self._record = 0

    def finish(self) -> int:
        if self._partial:
            self._line(self._partial, self._quotes)
        return max(self.longest, self._record)


def _has_blank_line(chunks: Iterator[bytes], sizes: RecordSizes | None = None) -> tuple[bool, bool]:
    """(valid UTF-8, any blank line) of a stream of chunks; ``sizes`` is fed every chunk."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, blank, tail = True, False, b""
    lf_lines: bool | None = None  # whether the first line ends with LF alone (None: not seen)
    for chunk in chunks:
        if sizes is not None:
            sizes.feed(chunk)
        if lf_lines is None and b"\n" in tail + chunk:
            first = tail + chunk
            lf_lines = first[first.index(b"\n") - 1 : first.index(b"\n")] != b"\r"
        if valid:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                valid = False
        joined = tail + chunk
        blank = blank or b"\n\n" in joined or b"\n\r\n" in joined
        blank = blank or bool(lf_lines and b"\r\n" in joined)  # a CRLF line in an LF file
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
    lone CR in a file of LF lines is a record (with too few fields) that it rejects. In a file
    of LF lines, DuckDB ends a record at the CR of a CRLF ending (when it reads the record at
    all) and counts the LF after it as a blank line of its own (so a lone CRLF line is two blank
    lines).
    """
    opener = gzip.open if is_gzip(path) else open
    found = []
    with opener(path, "rb") as handle:
        record, quoted, ending = -1, False, b"\n"
        for line in handle:
            starts_record = not quoted
            if starts_record:
                record += 1
                if record == 0 and line.endswith(b"\r\n"):
                    ending = b"\r\n"
                elif record > 0 and (line == ending or line == b"\r\n"):
                    found.append(record)
            quoted = _ends_quoted(line, quoted)
            if ending == b"\n" and record > 0 and not quoted and line.endswith(b"\r\n"):
                record += 1
                found.append(record)
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
    """Hash the file's bytes; check its (decompressed) content for UTF-8, blank lines and the
    size of its longest record."""
    digest = hashlib.sha256()

    def raw_chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                yield chunk

    sizes = RecordSizes()
    if is_gzip(path):
        for _ in raw_chunks():
            pass
        try:
            with gzip.open(path, "rb") as stream:
                valid, blank = _has_blank_line(iter(lambda: stream.read(1 << 20), b""), sizes)
        except (EOFError, OSError, zlib.error) as exc:
            raise InputError(f"{path}: truncated or corrupt gzip archive ({exc})") from exc
    else:
        valid, blank = _has_blank_line(raw_chunks(), sizes)
    blanks = _blank_records(path) if blank else ()
    return FileFacts(digest.hexdigest(), valid, blanks, sizes.finish())


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
