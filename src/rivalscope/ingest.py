"""The ingest engine every file source shares: read, map, resolve, quarantine, upsert.

A source (:mod:`rivalscope.sources`) says which columns it needs and how to map them (a SQL
SELECT list over the raw text columns). The engine does the rest, set-based, in one transaction:

1. DuckDB reads the CSV as text; rows it cannot parse (wrong field count, bad encoding) are kept
   aside with DuckDB's own reason.
2. The source's SELECT types and checks each row; a row that fails gets a reason naming the row
   and the column.
3. Countries, provinces and actor names are resolved by joins against the gazetteer and the
   alias table (distinct names are keyed once in Python, never row by row).
4. Bad and duplicate rows go to ``quarantine``; good rows are upserted by key, and a row whose
   content fingerprint is unchanged is counted as unchanged and left alone.

``rows_read == rows_stored + rows_quarantined + rows_unchanged`` always holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import re
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pyarrow as pa

from rivalscope.actors import alias_key
from rivalscope.errors import InputError
from rivalscope.places import country_iso3, place_key
from rivalscope.schema import (
    DEFECTION_COLUMN_NAMES,
    EVENT_COLUMN_NAMES,
)

if TYPE_CHECKING:
    from rivalscope.store import Store

Step = Callable[[str], None]
"""Called with the name of each step as it starts, for progress display."""

STEPS: tuple[str, ...] = ("read", "check", "resolve", "quarantine", "write")


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did. ``rows_read`` always equals the sum of the other three counts."""

    source: str
    file: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    rows_unchanged: int
    batch_id: str

    def to_dict(self) -> dict[str, Any]:
        """The result as the plain dict ``--json`` prints."""
        return asdict(self)


@dataclass(frozen=True)
class SourceSpec:
    """How one source's CSV maps onto a canonical table.

    Attributes:
        name: the source name stored with every row (``ucdp``, ``acled``, ``defections``).
        target: the canonical table the rows go to.
        required: columns the header must have.
        optional: columns used when present (NULL when absent).
        select: SQL SELECT list over ``r`` (every required and optional column, as text)
            producing the mapped columns the target needs (see :data:`EVENT_MAPPED` and
            :data:`DEFECTION_MAPPED`) and ``_reason`` (NULL for a good row).
    """

    name: str
    target: Literal["events", "defections"]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    select: str


EVENT_MAPPED = [
    "source_id",
    "date_start",
    "date_end",
    "date_precision",
    "event_type",
    "source_event_type",
    "source_sub_event_type",
    "actor1_raw",
    "actor2_raw",
    "assoc1_raw",
    "assoc2_raw",
    "target_hint",
    "country_name",
    "country_code",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities_best",
    "fatalities_low",
    "fatalities_high",
    "civilian_deaths",
    "notes",
    "source_url",
    "_reason",
]
"""The columns an event source's SELECT list produces."""

DEFECTION_MAPPED = [
    "source_id",
    "date",
    "person",
    "role",
    "fighters",
    "from_raw",
    "to_raw",
    "country_name",
    "country_code",
    "admin1",
    "admin2",
    "source_name",
    "notes",
    "_reason",
]
"""The columns a defections source's SELECT list produces."""


# --- SQL helpers the sources use to build their SELECT lists -------------------------------
def col(name: str) -> str:
    """A raw text column of ``r``, trimmed, NULL when empty."""
    return f"nullif(trim(r.\"{name}\"), '')"


def check(condition: str, message_sql: str) -> str:
    """A reason term: ``message_sql`` when ``condition`` holds, else NULL."""
    return f"CASE WHEN {condition} THEN {message_sql} END"


def bad_value(column: str, problem: str) -> str:
    """SQL text: ``column X: 'value' <problem>`` for a reason."""
    return f"'column {column}: ''' || {col(column)} || ''' {problem}'"


def int_check(column: str, *, required: bool = False) -> str:
    """A reason term for a column that must hold a non-negative integer."""
    value = col(column)
    terms = [
        check(
            f"{value} IS NOT NULL AND coalesce(try_cast({value} AS BIGINT) < 0, true)",
            bad_value(column, "is not a non-negative whole number"),
        )
    ]
    if required:
        terms.append(check(f"{value} IS NULL", f"'column {column}: empty'"))
    return ", ".join(terms)


def coordinate_check(column: str, limit: int) -> str:
    """A reason term for a latitude (limit 90) or longitude (limit 180) column."""
    value = col(column)
    return check(
        f"{value} IS NOT NULL AND coalesce(abs(try_cast({value} AS DOUBLE)) > {limit}, true)",
        bad_value(column, f"is not a number from -{limit} to {limit}"),
    )


def reasons(*terms: str) -> str:
    """Join reason terms into one ``_reason`` expression (NULL when every term is NULL)."""
    return f"nullif(concat_ws('; ', {', '.join(terms)}), '')"


# --- File handling ---------------------------------------------------------------------------
@contextmanager
def _readable_csv(path: Path) -> Iterator[Path]:
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


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def read_header(path: Path, encoding: str, shown: str) -> list[str]:
    """The CSV header of ``path``.

    Raises:
        InputError: the file is empty, binary, or not decodable with ``encoding``.
    """
    try:
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding, newline="") as handle:
            first = handle.readline()
    except (UnicodeDecodeError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(
            f"{shown}: cannot read the header as {encoding} text ({exc.__class__.__name__}); "
            "is it a CSV file? (try --encoding latin-1 for a Latin-1 file)"
        ) from exc
    if not first.strip():
        raise InputError(f"{shown}: empty file, no CSV header")
    if "\x00" in first:
        raise InputError(f"{shown}: binary data, not a CSV file")
    header = next(csv.reader([first.lstrip("\ufeff")]))
    return [name.strip() for name in header]


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
}


# --- The engine ------------------------------------------------------------------------------
class Ingest:
    """One ingest batch of one file into a store. Use :func:`ingest_file`."""

    def __init__(self, store: Store, spec: SourceSpec, path: Path, encoding: str) -> None:
        self.store = store
        self.con: duckdb.DuckDBPyConnection = store.con
        self.spec = spec
        self.path = path
        self.encoding = encoding
        self.batch_id = (
            f"{spec.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        )
        suffix = uuid.uuid4().hex[:12]
        self.rejects_table = f"rs_rejects_{suffix}"
        self.rejects_scan = f"rs_scans_{suffix}"

    def sql(self, query: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(query, params or [])

    def scalar(self, query: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(query, params or []).fetchone()
        return row[0] if row else None

    # 1. read -------------------------------------------------------------------------------
    def read(self, csv_path: Path, header: list[str]) -> None:
        present = set(header)
        missing = [c for c in self.spec.required if c not in present]
        if missing:
            raise InputError(
                f"{self.path}: not a {self.spec.name} file: missing required column(s) "
                f"{', '.join(missing)}"
            )
        compression = "gzip" if _is_gzip(csv_path) else "none"
        try:
            self.sql(
                f"""CREATE OR REPLACE TEMP TABLE rs_raw AS
                SELECT row_number() OVER () AS _k, *
                FROM read_csv(?, all_varchar = true, header = true, delim = ',', quote = '"',
                              escape = '"', encoding = ?, compression = ?, strict_mode = true,
                              store_rejects = true, rejects_table = '{self.rejects_table}',
                              rejects_scan = '{self.rejects_scan}', null_padding = false,
                              names = ?)""",
                [str(csv_path), self.encoding, compression, _unique_names(header)],
            )
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise InputError(f"{self.path}: cannot read as CSV: {message}") from exc
        for name in self.spec.optional:
            if name not in present:
                self.sql(f'ALTER TABLE rs_raw ADD COLUMN "{name}" VARCHAR')
        self.sql(
            f"""CREATE OR REPLACE TEMP TABLE rs_rejected AS
            SELECT line - 1 AS _row, any_value(csv_line) AS raw,
                   'unreadable row: ' || string_agg(DISTINCT error_type || ' (' ||
                       split_part(error_message, chr(10), 1) || ')', '; ') AS reason
            FROM {self.rejects_table} GROUP BY line"""
        )
        self.sql(
            """CREATE OR REPLACE TEMP TABLE rs_gaps AS
            SELECT gap, max(j) AS j FROM (
              SELECT _row - row_number() OVER (ORDER BY _row) AS gap,
                     row_number() OVER (ORDER BY _row) AS j FROM rs_rejected)
            GROUP BY gap"""
        )
        if self.scalar("SELECT count(*) FROM rs_gaps"):
            rows = (
                "SELECT r.*, r._k + coalesce(g.j, 0) AS _row FROM rs_raw r "
                "ASOF LEFT JOIN rs_gaps g ON r._k > g.gap"
            )
        else:
            rows = "SELECT r.*, r._k AS _row FROM rs_raw r"
        self.sql(f"CREATE OR REPLACE TEMP VIEW rs_rows AS {rows}")

    # 2. check ------------------------------------------------------------------------------
    def check(self) -> None:
        self.sql(
            f"CREATE OR REPLACE TEMP TABLE rs_map AS SELECT r._row, {self.spec.select} "
            "FROM rs_rows r"
        )

    # 3. resolve ----------------------------------------------------------------------------
    def resolve(self) -> None:
        self._resolve_countries()
        self._resolve_places()
        raw_columns = (
            ["actor1_raw", "actor2_raw"] if self.spec.target == "events" else ["from_raw", "to_raw"]
        )
        date_column = "date_start" if self.spec.target == "events" else "date"
        lists = ["assoc1_raw", "assoc2_raw"] if self.spec.target == "events" else []
        self._resolve_actors(raw_columns, lists, date_column)

    def _register(self, name: str, table: pa.Table) -> None:
        self.con.register(f"{name}_arrow", table)
        try:
            self.sql(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        finally:
            self.con.unregister(f"{name}_arrow")

    def _resolve_countries(self) -> None:
        pairs = self.sql("SELECT DISTINCT country_name, country_code FROM rs_map").fetchall()
        names, codes, iso3s = [], [], []
        for name, code in pairs:
            names.append(name)
            codes.append(code)
            iso3s.append(country_iso3(code) or country_iso3(name))
        self._register(
            "rs_country",
            pa.table(
                {
                    "country_name": pa.array(names, pa.string()),
                    "country_code": pa.array(codes, pa.string()),
                    "iso3": pa.array(iso3s, pa.string()),
                }
            ),
        )
        self.sql(
            """CREATE OR REPLACE TEMP TABLE rs_map2 AS
            SELECT m.*, c.iso3 FROM rs_map m LEFT JOIN rs_country c
              ON c.country_name IS NOT DISTINCT FROM m.country_name
             AND c.country_code IS NOT DISTINCT FROM m.country_code"""
        )

    def _resolve_places(self) -> None:
        pairs = self.sql(
            "SELECT DISTINCT iso3, admin1 FROM rs_map2 WHERE admin1 IS NOT NULL"
        ).fetchall()
        self._register(
            "rs_place_keys",
            pa.table(
                {
                    "iso3": pa.array([p[0] for p in pairs], pa.string()),
                    "admin1": pa.array([p[1] for p in pairs], pa.string()),
                    "key": pa.array([place_key(p[1]) for p in pairs], pa.string()),
                }
            ),
        )
        self.sql(
            """CREATE OR REPLACE TEMP TABLE rs_place AS
            SELECT k.iso3, k.admin1,
                   CASE WHEN count(DISTINCT a.code) = 1 THEN any_value(a.code) END AS code,
                   CASE WHEN count(DISTINCT a.code) = 1 THEN any_value(a.country_iso3) END
                     AS place_iso3
            FROM rs_place_keys k
            LEFT JOIN place_aliases a ON a.alias_key = k.key
              AND (a.country_iso3 = k.iso3 OR k.iso3 IS NULL)
            GROUP BY k.iso3, k.admin1"""
        )
        self.sql(
            """UPDATE rs_map2 SET iso3 = p.place_iso3 FROM rs_place p
            WHERE rs_map2.iso3 IS NULL AND p.iso3 IS NULL AND p.admin1 = rs_map2.admin1"""
        )
        self.sql(
            """DELETE FROM rs_place p WHERE p.iso3 IS NULL AND EXISTS (
                 SELECT 1 FROM rs_place q WHERE q.iso3 = p.place_iso3 AND q.admin1 = p.admin1)"""
        )
        self.sql("UPDATE rs_place SET iso3 = place_iso3 WHERE iso3 IS NULL")

    def _resolve_actors(self, raw_columns: list[str], lists: list[str], date_column: str) -> None:
        unions = [f"SELECT {c} AS raw, iso3, {date_column} AS d FROM rs_map2" for c in raw_columns]
        unions += [
            f"SELECT unnest({c}) AS raw, iso3, {date_column} AS d FROM rs_map2" for c in lists
        ]
        self.sql(
            "CREATE OR REPLACE TEMP TABLE rs_keys AS SELECT DISTINCT raw, iso3, d FROM ("
            + " UNION ALL ".join(unions)
            + ") WHERE raw IS NOT NULL"
        )
        names = [row[0] for row in self.sql("SELECT DISTINCT raw FROM rs_keys").fetchall()]
        keys = [actor_name_key(name) for name in names]
        fallbacks = self.store.unregistered_ids(names, keys)
        self._register(
            "rs_names",
            pa.table(
                {
                    "raw": pa.array(names, pa.string()),
                    "key": pa.array(keys, pa.string()),
                    "fallback_id": pa.array(fallbacks, pa.string()),
                }
            ),
        )
        self.sql(
            """CREATE OR REPLACE TEMP TABLE rs_lookup AS
            SELECT k.raw, k.iso3, k.d, coalesce(a.actor_id, n.fallback_id) AS actor_id,
                   a.kind AS alias_kind, a.actor_id IS NULL AS unregistered
            FROM rs_keys k JOIN rs_names n ON n.raw = k.raw
            LEFT JOIN actor_aliases a ON a.alias_key = n.key
              AND (a.country_iso3 IS NULL OR a.country_iso3 = k.iso3)
              AND (a.valid_from IS NULL OR k.d >= a.valid_from)
              AND (a.valid_to IS NULL OR k.d < a.valid_to)
            QUALIFY row_number() OVER (
              PARTITION BY k.raw, k.iso3, k.d
              ORDER BY a.country_iso3 NULLS LAST, a.valid_from DESC NULLS LAST,
                       a.builtin, a.actor_id) = 1"""
        )
        for column in lists:
            self.sql(
                f"""CREATE OR REPLACE TEMP TABLE rs_{column} AS
                SELECT x._row, list(l.actor_id ORDER BY x.i) AS ids FROM (
                  SELECT _row, iso3, {date_column} AS d, unnest({column}) AS raw,
                         generate_subscripts({column}, 1) AS i
                  FROM rs_map2 WHERE len({column}) > 0) x
                JOIN rs_lookup l ON l.raw = x.raw AND l.iso3 IS NOT DISTINCT FROM x.iso3
                  AND l.d IS NOT DISTINCT FROM x.d
                GROUP BY x._row"""
            )

    def _lookup_join(self, alias: str, raw_column: str, date_column: str) -> str:
        return (
            f"LEFT JOIN rs_lookup {alias} ON {alias}.raw = m.{raw_column} "
            f"AND {alias}.iso3 IS NOT DISTINCT FROM m.iso3 "
            f"AND {alias}.d IS NOT DISTINCT FROM m.{date_column}"
        )

    # 4. quarantine -------------------------------------------------------------------------
    def finalize(self) -> None:
        """Build ``rs_final``: canonical rows with ``_row`` and ``_reason`` (NULL = good)."""
        if self.spec.target == "events":
            body = self._events_select()
            key = "event_id"
            columns = EVENT_COLUMN_NAMES
        else:
            body = self._defections_select()
            key = "defection_id"
            columns = DEFECTION_COLUMN_NAMES
        self.sql(f"CREATE OR REPLACE TEMP TABLE rs_mapped AS {body}")
        hashed = [c for c in columns if c not in ("batch_id", "row_hash")]
        fingerprint = (
            "md5(concat_ws(chr(31), "
            + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(0))" for c in hashed)
            + "))"
        )
        select = ", ".join(c if c != "row_hash" else f"{fingerprint} AS row_hash" for c in columns)
        self.sql(
            f"""CREATE OR REPLACE TEMP TABLE rs_final AS
            SELECT _row, coalesce(_reason, CASE WHEN _row > first_good THEN
                     'duplicate {key} ' || {key} || ' (first at row ' || first_good || ')' END)
                   AS _reason, {select}
            FROM (SELECT *, min(_row) FILTER (WHERE _reason IS NULL)
                              OVER (PARTITION BY {key}) AS first_good FROM rs_mapped)"""
        )

    def _events_select(self) -> str:
        source = self.spec.name
        return f"""
        SELECT m._row, m._reason,
          '{source}:' || m.source_id AS event_id, '{source}' AS source, m.source_id,
          '{self.batch_id}' AS batch_id, m.date_start,
          coalesce(m.date_end, m.date_start) AS date_end, m.date_precision, m.event_type,
          m.source_event_type, m.source_sub_event_type,
          l1.actor_id AS actor1, l2.actor_id AS actor2, m.actor1_raw, m.actor2_raw,
          coalesce(a1.ids, []::VARCHAR[]) AS assoc_actors,
          coalesce(a2.ids, []::VARCHAR[]) AS assoc_actors2,
          coalesce(m.target_hint, CASE
            WHEN l2.actor_id IS NULL THEN 'unknown'
            WHEN coalesce(l2.alias_kind, k2.kind) = 'civilians' THEN 'civilians'
            WHEN coalesce(l2.alias_kind, k2.kind) = 'international' THEN 'foreign'
            WHEN coalesce(l2.alias_kind, k2.kind) = 'state'
                 AND k2.country_iso3 IS NOT NULL AND k2.country_iso3 <> m.iso3 THEN 'foreign'
            WHEN coalesce(l2.alias_kind, k2.kind) = 'state' THEN 'state_security'
            WHEN coalesce(l2.alias_kind, k2.kind) = 'armed_group' THEN 'group_personnel'
            ELSE 'unknown' END) AS target_type,
          m.iso3 AS country_iso3, p.code AS admin1_code, m.admin1, m.admin2, m.location,
          m.latitude, m.longitude, m.geo_precision, m.fatalities_best, m.fatalities_low,
          m.fatalities_high, m.civilian_deaths, m.notes, m.source_url
        FROM rs_map2 m
        {self._lookup_join("l1", "actor1_raw", "date_start")}
        {self._lookup_join("l2", "actor2_raw", "date_start")}
        LEFT JOIN actors k2 ON k2.actor_id = l2.actor_id
        LEFT JOIN rs_assoc1_raw a1 ON a1._row = m._row
        LEFT JOIN rs_assoc2_raw a2 ON a2._row = m._row
        LEFT JOIN rs_place p ON p.iso3 IS NOT DISTINCT FROM m.iso3 AND p.admin1 = m.admin1"""

    def _defections_select(self) -> str:
        same = (
            "CASE WHEN lf.actor_id = lt.actor_id THEN 'from_actor and to_actor are one actor' END"
        )
        return f"""
        SELECT m._row, nullif(concat_ws('; ', m._reason, {same}), '') AS _reason,
          coalesce(m.source_id, 'd' || substr(md5(concat_ws(chr(31), m.date, m.person,
            m.from_raw, m.to_raw, m.admin1, m.admin2, m.fighters, m.role, m.notes)), 1, 16))
            AS defection_id,
          '{self.batch_id}' AS batch_id, m.date, m.person, m.role, m.fighters,
          lf.actor_id AS from_actor, lt.actor_id AS to_actor, m.from_raw AS from_actor_raw,
          m.to_raw AS to_actor_raw, m.iso3 AS country_iso3, p.code AS admin1_code, m.admin1,
          m.admin2, m.source_name AS source, m.notes
        FROM rs_map2 m
        {self._lookup_join("lf", "from_raw", "date")}
        {self._lookup_join("lt", "to_raw", "date")}
        LEFT JOIN rs_place p ON p.iso3 IS NOT DISTINCT FROM m.iso3 AND p.admin1 = m.admin1"""

    # 5. write ------------------------------------------------------------------------------
    def write(self, sha256: str, started: dt.datetime) -> IngestResult:
        target = self.spec.target
        key = "event_id" if target == "events" else "defection_id"
        columns = EVENT_COLUMN_NAMES if target == "events" else DEFECTION_COLUMN_NAMES
        self.sql(
            """INSERT INTO quarantine
            SELECT ?, _row, raw, reason FROM rs_rejected
            UNION ALL
            SELECT ?, f._row, json_merge_patch(to_json(r), '{"_k": null, "_row": null}'),
                   f._reason
            FROM rs_final f JOIN rs_rows r ON r._row = f._row WHERE f._reason IS NOT NULL""",
            [self.batch_id, self.batch_id],
        )
        rejected = self.scalar("SELECT count(*) FROM rs_rejected")
        invalid, good = self.sql(
            "SELECT count(*) FILTER (WHERE _reason IS NOT NULL), "
            "count(*) FILTER (WHERE _reason IS NULL) FROM rs_final"
        ).fetchone() or (0, 0)
        self.sql(
            f"""CREATE OR REPLACE TEMP TABLE rs_changed AS
            SELECT f.{key}, t.{key} IS NOT NULL AS existed FROM rs_final f
            LEFT JOIN {target} t ON t.{key} = f.{key}
            WHERE f._reason IS NULL AND t.row_hash IS DISTINCT FROM f.row_hash"""
        )
        stored = self.scalar("SELECT count(*) FROM rs_changed")
        self.sql(
            f"DELETE FROM {target} WHERE {key} IN (SELECT {key} FROM rs_changed WHERE existed)"
        )
        column_list = ", ".join(columns)
        self.sql(
            f"""INSERT INTO {target} ({column_list})
            SELECT {", ".join("f." + c for c in columns)} FROM rs_final f
            SEMI JOIN rs_changed c ON c.{key} = f.{key} WHERE f._reason IS NULL"""
        )
        self.store.register_unregistered("rs_lookup")
        rows_read = rejected + invalid + good
        result = IngestResult(
            source=self.spec.name,
            file=str(self.path),
            rows_read=rows_read,
            rows_stored=stored,
            rows_quarantined=rejected + invalid,
            rows_unchanged=good - stored,
            batch_id=self.batch_id,
        )
        self.sql(
            "INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.batch_id,
                self.spec.name,
                str(self.path),
                sha256,
                started,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                result.rows_read,
                result.rows_stored,
                result.rows_quarantined,
                result.rows_unchanged,
            ],
        )
        return result

    def cleanup(self) -> None:
        """Drop the batch's temporary tables (a failed batch's vanish with its rollback)."""
        for name in (
            "rs_raw",
            "rs_rejected",
            "rs_gaps",
            "rs_map",
            "rs_map2",
            "rs_country",
            "rs_place_keys",
            "rs_place",
            "rs_keys",
            "rs_names",
            "rs_lookup",
            "rs_assoc1_raw",
            "rs_assoc2_raw",
            "rs_mapped",
            "rs_final",
            "rs_changed",
            self.rejects_table,
            self.rejects_scan,
        ):
            self.sql(f"DROP TABLE IF EXISTS {name}")
        self.sql("DROP VIEW IF EXISTS rs_rows")


_CIVILIANS = re.compile(r"^civilians \(.*\)$")
_UNIDENTIFIED = re.compile(r"^unidentified armed group \(.*\)$")


def actor_name_key(name: str) -> str:
    """The alias key of a raw actor name, folding ACLED's per-country generic actors.

    ``Civilians (Somalia)`` keys as ``civilians`` and ``Unidentified Armed Group (Mali)`` as
    ``unidentified armed group``, so no generic actor is left unregistered for want of a country.
    """
    key = alias_key(name)
    if _CIVILIANS.match(key):
        return "civilians"
    if _UNIDENTIFIED.match(key):
        return "unidentified armed group"
    return key


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for number, name in enumerate(header, start=1):
        base = name or f"column{number}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(base if count == 0 else f"{base}_{count + 1}")
    return names


def ingest_file(
    store: Store,
    spec: SourceSpec,
    path: str | Path,
    *,
    encoding: str = "utf-8",
    on_step: Step | None = None,
) -> IngestResult:
    """Ingest one file of one source into the store, as one transaction.

    Args:
        store: the open store.
        spec: the source's mapping.
        path: a CSV file, optionally gzip-compressed or inside a zip archive.
        encoding: ``utf-8`` (default), ``latin-1`` or ``utf-16``.
        on_step: called with each step's name as it starts (for progress display).

    Returns:
        The batch's counts.

    Raises:
        InputError: the whole file is unusable (named, with the reason).
    """
    path = Path(path)
    normalized = _ENCODINGS.get(encoding.lower())
    if normalized is None:
        raise InputError(f"unsupported encoding {encoding!r}: use utf-8, latin-1 or utf-16")
    step = on_step or (lambda _name: None)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    job = Ingest(store, spec, path, normalized)
    with _readable_csv(path) as csv_path:
        step("read")
        header = read_header(csv_path, normalized, str(path))
        digest = sha256_of(path)
        with store.transaction():
            job.read(csv_path, header)
            step("check")
            job.check()
            step("resolve")
            job.resolve()
            step("quarantine")
            job.finalize()
            step("write")
            result = job.write(digest, started)
            job.cleanup()
    return result


__all__ = [
    "DEFECTION_MAPPED",
    "EVENT_MAPPED",
    "STEPS",
    "IngestResult",
    "SourceSpec",
    "ingest_file",
]
