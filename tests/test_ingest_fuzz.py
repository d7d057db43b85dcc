"""Property: any malformed variant of a real-layout file is ingested with its counts reconciled,
or refused with an InputError that leaves the store as it was.

The variants start from a few valid SYNTHETIC rows (:func:`rivalscope.synth.generate`) under
the real UCDP GED and ACLED headers, and break them: truncations, stray quotes, wrong field
counts, NUL bytes, invalid UTF-8, mixed CR / CRLF / LF endings, fields over the row-size limit
(lowered for the test so the files stay small), repeated headers, empty files, compression.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import rivalscope as rs
from rivalscope.synth import ACLED_COLUMNS, GED_COLUMNS, generate

LIMIT = 4000
"""RIVALSCOPE_MAX_ROW_BYTES in these tests: above every valid row (about 550 bytes at most)."""


@dataclass(frozen=True)
class Layout:
    source: str
    header: bytes
    rows: tuple[bytes, ...]


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Layout]:
    files = generate(tmp_path_factory.mktemp("fuzz"), ged_rows=6, acled_rows=6, seed=7)
    found = {}
    for source, path, columns in (
        ("ucdp", files.ged_csv, GED_COLUMNS),
        ("acled", files.acled_csv, ACLED_COLUMNS),
    ):
        header, *rows = path.read_bytes().rstrip(b"\n").split(b"\n")
        assert header.decode().split(",") == list(columns)
        assert max(len(row) for row in rows) < LIMIT
        found[source] = Layout(source, header, tuple(rows))
    return found


# --- malformed variants --------------------------------------------------------------------------
LINE_DAMAGE = ["fewer-fields", "more-fields", "huge-field", "huge-quoted-lines", "header-row"]
LINE_DAMAGE += ["duplicate-column", "blank-line", "spaces-line"]
BYTE_DAMAGE = ["truncate", "quote", "nul", "invalid-utf8", "bom", "empty"]


@dataclass(frozen=True)
class Variant:
    data: bytes
    suffix: str
    rows: int | None
    """Data records, when only damage that keeps them countable was done; else None."""
    too_long: int
    """Rows made longer than the limit (meaningful when ``rows`` is not None)."""


def huge(draw: st.DrawFn, quoted_lines: bool) -> bytes:
    # Up to 30 times the limit: past DuckDB's read buffer (16 times), where rows used to vanish.
    size = draw(st.one_of(st.integers(LIMIT + 1, 2 * LIMIT), st.integers(17 * LIMIT, 30 * LIMIT)))
    if quoted_lines:
        return b'"' + (b"y" * 79 + b"\n") * (size // 80 + 1) + b'"'
    return b"x" * size


@st.composite
def variants(draw: st.DrawFn, layout: Layout) -> Variant:
    lines = [layout.header, *draw(st.lists(st.sampled_from(layout.rows), max_size=8))]
    counted = True  # whether the number of records is still known
    too_long = 0
    for damage in draw(st.lists(st.sampled_from(LINE_DAMAGE + BYTE_DAMAGE), max_size=4)):
        if damage in BYTE_DAMAGE:
            continue  # below, on the joined bytes
        at = draw(st.integers(1, len(lines)))
        if damage in ("huge-field", "huge-quoted-lines") and len(lines) > 1:
            row = min(at, len(lines) - 1)
            fields = lines[row].split(b",")
            column = draw(st.integers(0, len(fields) - 1))
            fields[column] = huge(draw, damage == "huge-quoted-lines")
            counted = counted and b'"' not in lines[row]  # a naive split may cut a quoted field
            lines[row] = b",".join(fields)
        elif damage == "fewer-fields" and len(lines) > 1:
            row = min(at, len(lines) - 1)
            lines[row] = b",".join(lines[row].split(b",")[: -draw(st.integers(1, 5))])
            counted = False
        elif damage == "more-fields" and len(lines) > 1:
            row = min(at, len(lines) - 1)
            lines[row] += b",extra" * draw(st.integers(1, 3))
        elif damage == "header-row":
            lines.insert(at, layout.header)
        elif damage == "duplicate-column":
            names = lines[0].split(b",")
            names[draw(st.integers(1, len(names) - 1))] = names[0]
            lines[0] = b",".join(names)
        elif damage == "blank-line":
            lines.insert(at, b"")
            counted = False
        elif damage == "spaces-line":
            lines.insert(at, b"   ")
    # Mostly one ending for the whole file (LF, CRLF, now and then old Mac's lone CR), at times
    # a mix of all three.
    ending = st.sampled_from([b"\n", b"\n", b"\n", b"\r\n", b"\r\n", b"\r"])
    if draw(st.integers(0, 5)):
        endings = [draw(ending)] * len(lines)
    else:
        endings = draw(st.lists(ending, min_size=len(lines), max_size=len(lines)))
    if not draw(st.booleans()):
        endings[-1] = b""  # no final line ending
    data = b"".join(line + end for line, end in zip(lines, endings, strict=True))
    if any(e == b"\r" for e in endings) or len(set(endings) - {b""}) > 1:
        counted = False
    for damage in draw(st.lists(st.sampled_from(BYTE_DAMAGE), max_size=3)):
        at = draw(st.integers(0, len(data)))
        counted = False
        if damage == "truncate":
            data = data[:at]
        elif damage == "quote":
            data = data[:at] + b'"' + data[at:]
        elif damage == "nul":
            data = data[:at] + b"\x00" + data[at:]
        elif damage == "invalid-utf8":
            data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3(", b"\xe2\x82"])) + data[at:]
        elif damage == "bom":
            data = b"\xef\xbb\xbf" + data
        elif damage == "empty":
            data = b""
    too_long = sum(len(line) > LIMIT for line in lines[1:])
    container = draw(st.sampled_from(["csv", "csv", "csv", "gzip", "gzip-cut", "zip"]))
    if container == "gzip":
        return Variant(gzip.compress(data), ".csv.gz", lines_count(lines, counted), too_long)
    if container == "gzip-cut":
        packed = gzip.compress(data)
        return Variant(packed[: draw(st.integers(0, len(packed)))], ".csv.gz", None, 0)
    if container == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.csv", data)
        return Variant(buffer.getvalue(), ".zip", lines_count(lines, counted), too_long)
    return Variant(data, ".csv", lines_count(lines, counted), too_long)


def lines_count(lines: list[bytes], counted: bool) -> int | None:
    return len(lines) - 1 if counted else None


# --- the property --------------------------------------------------------------------------------
def counts(store: rs.Store) -> tuple[int, ...]:
    return tuple(
        int(store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
        for table in ("events", "quarantine", "ingest_batches")
    )


@pytest.fixture
def row_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("RIVALSCOPE_MAX_ROW_BYTES", str(LIMIT))
    return LIMIT


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(data=st.data())
def test_malformed_files_reconcile_or_fail_cleanly(
    data: st.DataObject, layouts: dict[str, Layout], row_limit: int
) -> None:
    source = data.draw(st.sampled_from(sorted(layouts)), label="source")
    variant = data.draw(variants(layouts[source]), label="variant")
    store = rs.open(":memory:")
    try:
        with tempfile.TemporaryDirectory(prefix="rivalscope-fuzz-") as folder:
            path = Path(folder) / f"input{variant.suffix}"
            path.write_bytes(variant.data)
            before = counts(store)
            try:
                result = store.ingest(source, path)
            except rs.InputError as error:
                event("refused: " + str(error).removeprefix(f"{path}: ")[:45])
                assert str(error).startswith(f"{path}: "), error
                assert counts(store) == before
                return
        assert result.rows_read == (
            result.rows_stored + result.rows_quarantined + result.rows_unchanged
        ), result
        quarantine = store.quarantine(result.batch_id)
        assert quarantine.num_rows == result.rows_quarantined
        numbers = quarantine.column("row_number").to_pylist()
        assert len(set(numbers)) == len(numbers)
        assert all(1 <= n <= result.rows_read for n in numbers), numbers
        assert counts(store) == (
            before[0] + result.rows_stored,
            before[1] + result.rows_quarantined,
            before[2] + 1,
        )
        event("read")
        if variant.rows is not None:
            event("read, records known")
            assert result.rows_read == variant.rows, (variant.rows, result)
            assert result.rows_quarantined >= variant.too_long
    finally:
        store.close()
