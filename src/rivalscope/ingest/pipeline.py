"""The ingest pipeline every file source shares: read, check, resolve, quarantine, then upsert.

A source (:mod:`rivalscope.ingest.checks`) says which columns it needs and how to map them (a
SQL SELECT list over the raw text columns). The pipeline does the rest, set-based, in the
store's staging DuckDB (:attr:`Store.staging`):

1. DuckDB reads the CSV as text; rows it cannot parse (wrong field count, bad encoding) are kept
   aside with DuckDB's own reason.
2. The source's SELECT types and checks each row; a row that fails gets a reason naming the row
   and the column.
3. Countries, provinces and actor names are resolved by joins against the gazetteer and the
   alias table (distinct names are keyed once in Python, never row by row).
4. Bad and duplicate rows are set aside for quarantine; each good row gets its fingerprint.
5. The batch goes to the one upsert (:func:`rivalscope.store.upsert.upsert`), one transaction.

``rows_read == rows_stored + rows_quarantined + rows_unchanged`` always holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

import rivalscope.settings as settings
from rivalscope.actors import name_keys_table
from rivalscope.errors import InputError
from rivalscope.fusion.coverage import Coverage
from rivalscope.ingest.checks import TARGETS, SourceSpec
from rivalscope.ingest.files import (
    ENCODINGS,
    inspect_file,
    is_gzip,
    read_header,
    readable_csv,
    unique_names,
)
from rivalscope.places import country_iso3, place_codes_sql, place_keys_table
from rivalscope.roles import initiator_sql
from rivalscope.schema import UNHASHED
from rivalscope.store.upsert import Batch, IngestResult, new_batch_id, upsert, utc_now

if TYPE_CHECKING:
    import datetime as dt

    from rivalscope.store.base import Store

Step = Callable[[str], None]
"""Called with the name of each step as it starts, for progress display."""

STEPS: tuple[str, ...] = ("read", "check", "resolve", "quarantine", "write")

MAX_ROW_BYTES = "RIVALSCOPE_MAX_ROW_BYTES"


def max_row_bytes() -> int:
    """The row-size limit of ingest (the setting ``RIVALSCOPE_MAX_ROW_BYTES``), in bytes.

    Raises:
        InputError: the setting is not a positive whole number.
    """
    value = settings.get(MAX_ROW_BYTES) or ""
    try:
        limit = int(value.replace("_", ""))
    except ValueError:
        limit = 0
    if limit <= 0:
        raise InputError(f"{MAX_ROW_BYTES}: {value!r} is not a positive whole number of bytes")
    return limit


class Ingest:
    """One ingest batch of one file into a store. Use :func:`ingest_file`.

    Intermediate tables are temporary (private to the connection) and built outside the
    transaction; only the writes to the store's tables run inside it.
    """

    def __init__(self, store: Store, spec: SourceSpec, path: Path, encoding: str) -> None:
        self.store = store
        self.con: duckdb.DuckDBPyConnection = store.staging
        self.spec = spec
        self.path = path
        self.encoding = encoding
        self.batch_id = new_batch_id(spec.name)
        self.csv_path = path
        self.header: list[str] = []
        self.temporary: list[tuple[str, str]] = []
        self.release: str | None = None
        self.key, self.columns, self.mapped = TARGETS[spec.target]
        self.max_row_bytes = max_row_bytes()
        self.parallel = True
        """Whether DuckDB may read the file in parallel: only when no record can be longer
        than the limit. In parallel, DuckDB 1.5 silently drops a record longer than its read
        buffer (16 times the limit), and a long quoted record over several lines breaks the
        split into pieces; read sequentially, every long record is rejected whole."""

    def sql(self, query: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(query, params or [])

    def scalar(self, query: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(query, params or []).fetchone()
        return row[0] if row else None

    def temp(self, name: str, body: str, *, view: bool = False) -> None:
        """Create (or replace) a temporary table or view, dropped by :meth:`cleanup`."""
        kind = "VIEW" if view else "TABLE"
        self.sql(f"CREATE OR REPLACE TEMP {kind} {name} AS {body}")
        self.temporary.append((kind, name))

    def _scan(self, columns: str, rejects: str) -> str:
        """A ``read_csv`` of the file (path, encoding, compression, names bound as parameters)."""
        return f"""SELECT {columns} FROM read_csv($path, all_varchar = true, header = true,
              delim = ',', quote = '"', escape = '"', encoding = $encoding,
              compression = $compression, strict_mode = true, null_padding = false,
              max_line_size = $max_line_size, buffer_size = $buffer_size, parallel = $parallel,
              store_rejects = true, rejects_table = '{rejects}_errors',
              rejects_scan = '{rejects}_scans', auto_detect = false, columns = $columns)"""

    def _scan_params(self) -> dict[str, Any]:
        return {
            "path": str(self.csv_path),
            "encoding": self.encoding,
            "compression": "gzip" if is_gzip(self.csv_path) else "none",
            "columns": {name: "VARCHAR" for name in unique_names(self.header)},
            "max_line_size": self.max_row_bytes,
            "buffer_size": 16 * self.max_row_bytes,
            "parallel": self.parallel,
        }

    # 1. read -------------------------------------------------------------------------------
    def read(
        self,
        csv_path: Path,
        header: list[str],
        *,
        every_column: bool = False,
        blank_records: tuple[int, ...] = (),
    ) -> None:
        """Read the columns the mapping uses; set aside rows DuckDB cannot parse.

        Args:
            csv_path: the CSV to read.
            header: its column names.
            every_column: read all columns, not only the used ones. Needed when the file may hold
                invalid UTF-8: DuckDB 1.5 fails with an internal error when a row it rejects for
                its encoding is read with a column projection.
            blank_records: record numbers of blank lines, which DuckDB skips but counts in the
                line numbers of the rows it rejects.
        """
        present = set(header)
        missing = [c for c in self.spec.required if c not in present]
        if missing:
            raise InputError(
                f"{self.path}: not a {self.spec.name} file: missing required column(s) "
                f"{', '.join(missing)}"
            )
        self.csv_path, self.header = csv_path, header
        used = [c for c in (*self.spec.required, *self.spec.optional) if c in present]
        absent = [c for c in self.spec.optional if c not in present]
        kept = ["*"] if every_column else [f'"{c}"' for c in used]
        columns = ", ".join(kept + [f'NULL::VARCHAR AS "{c}"' for c in absent])
        rejects = f"rs_rej_{uuid.uuid4().hex[:12]}"
        self.temporary += [("TABLE", f"{rejects}_errors"), ("TABLE", f"{rejects}_scans")]
        try:
            self.sql(
                f"CREATE OR REPLACE TEMP TABLE rs_raw AS {self._scan(columns, rejects)}",
                self._scan_params(),  # type: ignore[arg-type]
            )
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise InputError(f"{self.path}: cannot read as CSV: {message}") from exc
        self.temporary.append(("TABLE", "rs_raw"))
        too_long = (
            "'row too long (at least ' || max(regexp_extract(error_message, "
            "'Actual Size: ?([0-9]+)', 1)) FILTER (WHERE error_type = 'LINE SIZE OVER MAXIMUM') "
            f"|| ' bytes): over the limit of {int(self.max_row_bytes)} bytes ({MAX_ROW_BYTES})'"
        )
        self.temp(
            "rs_rejected",
            f"""SELECT line - 1 AS _row, any_value(csv_line) AS raw,
                   'unreadable row: ' || CASE
                     WHEN bool_or(error_type = 'LINE SIZE OVER MAXIMUM') THEN {too_long}
                     ELSE string_agg(DISTINCT error_type || ' (' ||
                       split_part(error_message, chr(10), 1) || ')', '; ') END AS reason
            FROM {rejects}_errors GROUP BY line""",
        )
        if blank_records:
            self._register("rs_blanks", pa.table({"record": pa.array(blank_records, pa.int64())}))
            self.sql(
                """UPDATE rs_rejected SET _row = _row - (
                     SELECT count(*) FROM rs_blanks b WHERE b.record < rs_rejected._row)"""
            )
        self.temp(
            "rs_gaps",
            """SELECT gap, max(j) AS j FROM (
              SELECT _row - row_number() OVER (ORDER BY _row) AS gap,
                     row_number() OVER (ORDER BY _row) AS j FROM rs_rejected)
            GROUP BY gap""",
        )
        if self.scalar("SELECT count(*) FROM rs_gaps"):
            rows = (
                "SELECT r.*, r.rowid + 1 + coalesce(g.j, 0) AS _row FROM rs_raw r "
                "ASOF LEFT JOIN rs_gaps g ON r.rowid + 1 > g.gap"
            )
        else:
            rows = "SELECT r.*, r.rowid + 1 AS _row FROM rs_raw r"
        self.temp("rs_rows", rows, view=True)

    # 2. check ------------------------------------------------------------------------------
    def check(self) -> None:
        """Type and check every row (a view: it is evaluated where it is used)."""
        self.temp("rs_map", f"SELECT r._row, {self.spec.select} FROM rs_rows r", view=True)
        produced = [d[0] for d in self.sql("SELECT * FROM rs_map LIMIT 0").description or []]
        expected = ["_row", *self.mapped]
        if produced != expected:
            raise AssertionError(f"source {self.spec.name} maps {produced}, not {expected}")
        if self.spec.release is not None:
            self.release = self.scalar(f"SELECT {self.spec.release} FROM rs_rows r")

    # 3. resolve ----------------------------------------------------------------------------
    def resolve(self) -> None:
        """Resolve countries, provinces and actor names of the distinct values, then join."""
        self._resolve_countries()
        self._resolve_places()
        self.temp(
            "rs_map2",
            """SELECT m.*, coalesce(c.iso3, p.place_iso3) AS iso3, p.code AS admin1_code
            FROM rs_map m
            LEFT JOIN rs_country c ON c.country_name IS NOT DISTINCT FROM m.country_name
             AND c.country_code IS NOT DISTINCT FROM m.country_code
            LEFT JOIN rs_place p ON p.iso3 IS NOT DISTINCT FROM c.iso3 AND p.admin1 = m.admin1""",
            view=True,
        )
        if self.spec.target == "events":
            self._resolve_actors(
                ["actor1_raw", "actor2_raw"], ["assoc1_raw", "assoc2_raw"], "date_start"
            )
            self._classify_notes()
        elif self.spec.target == "defections":
            self._resolve_actors(["from_raw", "to_raw"], [], "date")

    def drop(self, name: str) -> None:
        """Drop a temporary table as soon as nothing needs it (memory is a feature)."""
        for kind, known in self.temporary:
            if known == name:
                self.sql(f"DROP {kind} IF EXISTS {name}")

    def _register(self, name: str, table: pa.Table) -> None:
        self.con.register(f"{name}_arrow", table)
        try:
            self.temp(name, f"SELECT * FROM {name}_arrow")
        finally:
            self.con.unregister(f"{name}_arrow")

    def _resolve_countries(self) -> None:
        pairs = self.sql("SELECT DISTINCT country_name, country_code FROM rs_map").fetchall()
        self._register(
            "rs_country",
            pa.table(
                {
                    "country_name": pa.array([p[0] for p in pairs], pa.string()),
                    "country_code": pa.array([p[1] for p in pairs], pa.string()),
                    "iso3": pa.array(
                        [country_iso3(p[1]) or country_iso3(p[0]) for p in pairs], pa.string()
                    ),
                }
            ),
        )

    def _resolve_places(self) -> None:
        """Province codes of (country, name) pairs; without a country, a unique match anywhere."""
        pairs = self.sql(
            """SELECT DISTINCT c.iso3, m.admin1 FROM rs_map m
            LEFT JOIN rs_country c ON c.country_name IS NOT DISTINCT FROM m.country_name
             AND c.country_code IS NOT DISTINCT FROM m.country_code
            WHERE m.admin1 IS NOT NULL"""
        ).fetchall()
        self._register("rs_place_keys", place_keys_table(pairs))
        self.temp("rs_place", place_codes_sql("rs_place_keys"))

    def _resolve_actors(self, raw_columns: list[str], lists: list[str], date_column: str) -> None:
        self.temp(
            "rs_actor_rows",
            f"SELECT DISTINCT {', '.join([*raw_columns, *lists])}, iso3, {date_column} AS d "
            "FROM rs_map2",
        )
        scans = [f"SELECT {c} AS raw, iso3, d FROM rs_actor_rows" for c in raw_columns]
        scans += [
            f"SELECT unnest({c}) AS raw, iso3, d FROM rs_actor_rows WHERE len({c}) > 0"
            for c in lists
        ]
        self.temp(
            "rs_keys",
            f"SELECT DISTINCT raw, iso3, d FROM ({' UNION ALL '.join(scans)}) "
            "WHERE raw IS NOT NULL",
        )
        self.drop("rs_actor_rows")
        names = [row[0] for row in self.sql("SELECT DISTINCT raw FROM rs_keys").fetchall()]
        keyed = name_keys_table(names)
        raws, keys, ranks = (keyed.column(c).to_pylist() for c in ("raw", "key", "rank"))
        most_specific = [key for key, rank in zip(keys, ranks, strict=True) if rank == 0]
        fallback = dict(zip(names, self.store.unregistered_ids(names, most_specific), strict=True))
        ids = [fallback[raw] for raw in raws]
        self._register("rs_names", keyed.append_column("fallback_id", pa.array(ids, pa.string())))
        self.temp(
            "rs_lookup",
            """SELECT k.raw, k.iso3, k.d, coalesce(a.actor_id, n.fallback_id) AS actor_id,
                   a.kind AS alias_kind, a.actor_id IS NULL AS unregistered
            FROM rs_keys k JOIN rs_names n ON n.raw = k.raw
            LEFT JOIN actor_aliases a ON a.alias_key = n.key
              AND (a.country_iso3 IS NULL OR a.country_iso3 = k.iso3)
              AND (a.valid_from IS NULL OR k.d >= a.valid_from)
              AND (a.valid_to IS NULL OR k.d < a.valid_to)
            QUALIFY row_number() OVER (
              PARTITION BY k.raw, k.iso3, k.d
              ORDER BY a.actor_id IS NULL, n.rank, a.country_iso3 NULLS LAST,
                       a.valid_from DESC NULLS LAST, a.builtin, a.actor_id) = 1""",
        )
        for column in lists:
            self.temp(
                f"rs_{column}",
                f"""SELECT x._row, list(l.actor_id ORDER BY x.i) AS ids FROM (
                  SELECT _row, iso3, {date_column} AS d, unnest({column}) AS raw,
                         generate_subscripts({column}, 1) AS i
                  FROM rs_map2 WHERE len({column}) > 0) x
                JOIN rs_lookup l ON l.raw = x.raw AND l.iso3 IS NOT DISTINCT FROM x.iso3
                  AND l.d IS NOT DISTINCT FROM x.d
                GROUP BY x._row""",
            )

    def _classify_notes(self) -> None:
        """``rs_note_types``: the event type each distinct note of the source event type
        :attr:`SourceSpec.note_types` names gives (only notes that give one)."""
        if self.spec.note_types is None:
            return
        kind, classify = self.spec.note_types
        notes = self.sql(
            "SELECT DISTINCT notes FROM rs_map WHERE source_event_type = ? AND notes IS NOT NULL",
            [kind],
        ).fetchall()
        found = [(note, classify(note)) for (note,) in notes]
        kept = [(note, typed) for note, typed in found if typed is not None]
        self._register(
            "rs_note_types",
            pa.table(
                {
                    "kind": pa.array([kind] * len(kept), pa.string()),
                    "notes": pa.array([n for n, _ in kept], pa.string()),
                    "event_type": pa.array([t for _, t in kept], pa.string()),
                }
            ),
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
        body = {
            "events": self._events_select,
            "defections": self._defections_select,
            "displacement": self._displacement_select,
        }[self.spec.target]()
        hashed = [c for c in self.columns if c not in UNHASHED]
        fingerprint = (
            "md5(concat_ws(chr(31), "
            + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(0))" for c in hashed)
            + "))"
        )
        select = ", ".join(
            c if c != "row_hash" else f"{fingerprint} AS row_hash" for c in self.columns
        )
        self.temp("rs_final", f"SELECT _row, _reason, {select} FROM ({body})")
        self.drop("rs_raw")
        key = self.key
        self.temp(
            "rs_dups",
            f"""SELECT {key}, min(_row) AS first_good FROM rs_final WHERE _reason IS NULL
            GROUP BY {key} HAVING count(*) > 1""",
        )
        self.sql(
            f"""UPDATE rs_final SET _reason = 'duplicate {key} ' || d.{key} ||
                 ' (first at row ' || d.first_good || ')'
            FROM rs_dups d WHERE rs_final.{key} = d.{key} AND rs_final._reason IS NULL
              AND rs_final._row > d.first_good"""
        )

    def _events_select(self) -> str:
        source = self.spec.name
        typed = self.spec.note_types is not None
        event_type = "coalesce(nt.event_type, m.event_type)" if typed else "m.event_type"
        note_join = (
            "LEFT JOIN rs_note_types nt ON nt.kind = m.source_event_type AND nt.notes = m.notes"
            if typed
            else ""
        )
        return f"""
        SELECT m._row, m._reason,
          '{source}:' || m.source_id AS event_id, '{source}' AS source, m.source_id,
          '{self.batch_id}' AS batch_id, m.date_start,
          coalesce(m.date_end, m.date_start) AS date_end, m.date_precision,
          {event_type} AS event_type,
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
          m.iso3 AS country_iso3, m.admin1_code, m.admin1, m.admin2, m.location,
          m.latitude, m.longitude, m.geo_precision, m.fatalities_best, m.fatalities_low,
          m.fatalities_high, m.civilian_deaths, m.notes, m.source_url,
          {initiator_sql(f"'{source}'", "m.source_event_type", event_type)} AS initiator
        FROM rs_map2 m
        {note_join}
        {self._lookup_join("l1", "actor1_raw", "date_start")}
        {self._lookup_join("l2", "actor2_raw", "date_start")}
        LEFT JOIN actors k2 ON k2.actor_id = l2.actor_id
        LEFT JOIN rs_assoc1_raw a1 ON a1._row = m._row
        LEFT JOIN rs_assoc2_raw a2 ON a2._row = m._row"""

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
          m.to_raw AS to_actor_raw, m.iso3 AS country_iso3, m.admin1_code, m.admin1,
          m.admin2, m.source_name AS source, m.notes
        FROM rs_map2 m
        {self._lookup_join("lf", "from_raw", "date")}
        {self._lookup_join("lt", "to_raw", "date")}"""

    def _displacement_select(self) -> str:
        unknown = (
            "CASE WHEN m.admin1_code IS NULL THEN 'column admin1: ''' || coalesce(m.admin1, '') "
            "|| ''' is not a known province' END"
        )
        return f"""
        SELECT m._row, nullif(concat_ws('; ', m._reason, {unknown}), '') AS _reason,
          coalesce(m.iso3, '') || ':' || coalesce(m.admin1_code, '') || ':' ||
            CAST(m.month AS VARCHAR) AS displacement_id,
          '{self.batch_id}' AS batch_id, m.iso3 AS country_iso3, m.admin1_code, m.admin1,
          m.month, m.idps
        FROM rs_map2 m"""

    def _invalid_raw(self) -> None:
        """``rs_invalid_raw``: the whole raw row, as JSON, of each row that failed a check.

        The first read kept only the columns the mapping uses; the file is read again, in full,
        only when some row failed (with the same options, so record numbers agree).
        """
        rejects = f"rs_rej_{uuid.uuid4().hex[:12]}"
        self.temporary += [("TABLE", f"{rejects}_errors"), ("TABLE", f"{rejects}_scans")]
        full = self._scan("*", rejects)
        self.sql(
            f"""CREATE OR REPLACE TEMP TABLE rs_invalid_raw AS
            WITH numbered AS (SELECT row_number() OVER () AS _k, * FROM ({full})),
                 gaps AS (SELECT * FROM rs_gaps)
            SELECT n._k + coalesce(g.j, 0) AS _row,
                   json_merge_patch(to_json(n), '{{"_k": null}}') AS raw
            FROM numbered n ASOF LEFT JOIN gaps g ON n._k > g.gap
            WHERE n._k + coalesce(g.j, 0) IN (
              SELECT _row FROM rs_final WHERE _reason IS NOT NULL)""",
            self._scan_params(),  # type: ignore[arg-type]
        )
        self.temporary.append(("TABLE", "rs_invalid_raw"))

    # 5. write ------------------------------------------------------------------------------
    def coverage(self, declared: Coverage | None) -> Coverage:
        """What the batch covers: the declared window and version, else what the file's name
        or rows say."""
        declared = declared or Coverage()
        version = declared.version
        if version is None and self.spec.version_of_name is not None:
            version = self.spec.version_of_name(self.path.name)
        if version is None:
            version = self.release
        whole = self.spec.whole_years is not None and self.spec.whole_years(version)
        return replace(declared, version=version, whole_years=whole)

    def batch(self, sha256: str, started: dt.datetime, coverage: Coverage | None = None) -> Batch:
        """The checked batch, as queries over the staging tables, for the one upsert."""
        rejected = self.scalar("SELECT count(*) FROM rs_rejected")
        invalid, good = self.sql(
            "SELECT count(*) FILTER (WHERE _reason IS NOT NULL), "
            "count(*) FILTER (WHERE _reason IS NULL) FROM rs_final"
        ).fetchone() or (0, 0)
        quarantine = (
            "SELECT CAST(_row AS BIGINT) AS row_number, CAST(raw AS VARCHAR) AS raw, reason "
            "FROM rs_rejected"
        )
        if invalid:
            quarantine += (
                " UNION ALL SELECT CAST(f._row AS BIGINT), CAST(r.raw AS VARCHAR), f._reason "
                "FROM rs_final f "
                "LEFT JOIN rs_invalid_raw r ON r._row = f._row WHERE f._reason IS NOT NULL"
            )
        unregistered = None
        if self.spec.target != "displacement":
            unregistered = (
                "SELECT actor_id, min(raw) AS name FROM rs_lookup WHERE unregistered "
                "GROUP BY actor_id"
            )
        return Batch(
            batch_id=self.batch_id,
            source=self.spec.name,
            file=str(self.path),
            sha256=sha256,
            started=started,
            target=self.spec.target,
            key=self.key,
            columns=tuple(self.columns),
            rows=f"SELECT {', '.join(self.columns)} FROM rs_final WHERE _reason IS NULL",
            good=int(good),
            quarantine=f"SELECT * FROM ({quarantine}) AS q ORDER BY row_number",
            quarantined=int(rejected) + int(invalid),
            unregistered=unregistered,
            coverage=self.coverage(coverage) if self.spec.target == "events" else None,
        )

    def cleanup(self) -> None:
        """Drop the batch's temporary tables and views."""
        for kind, name in reversed(self.temporary):
            self.sql(f"DROP {kind} IF EXISTS {name}")
        self.temporary.clear()


def ingest_file(
    store: Store,
    spec: SourceSpec,
    path: str | Path,
    *,
    encoding: str = "utf-8",
    on_step: Step | None = None,
    coverage: Coverage | None = None,
) -> IngestResult:
    """Ingest one file of one source into the store; its writes are one transaction.

    Args:
        store: the open store.
        spec: the source's mapping.
        path: a CSV file, optionally gzip-compressed or inside a zip archive.
        encoding: ``utf-8`` (default), ``latin-1`` or ``utf-16``.
        on_step: called with each step's name as it starts (for progress display).
        coverage: the window and version the file covers, when the caller knows them (see
            :mod:`rivalscope.fusion.coverage`).

    Returns:
        The batch's counts.

    Raises:
        InputError: the whole file is unusable (named, with the reason).
    """
    path = Path(path)
    normalized = ENCODINGS.get(encoding.lower())
    if normalized is None:
        raise InputError(
            f"unsupported encoding {encoding!r}: use utf-8, latin-1 or utf-16", parameter="encoding"
        )
    store.require_writable()
    store.refresh_staging()
    step = on_step or (lambda _name: None)
    started = utc_now()
    job = Ingest(store, spec, path, normalized)
    with readable_csv(path) as csv_path:
        step("read")
        header = read_header(csv_path, normalized, str(path))
        facts = inspect_file(path)
        content = facts if csv_path == path else inspect_file(csv_path)
        # DuckDB counts a row's size in UTF-8: a Latin-1 or UTF-16 row may grow when converted.
        growth = 1 if normalized == "utf-8" else 2
        job.parallel = content.longest_record * growth <= job.max_row_bytes
        try:
            job.read(
                csv_path,
                header,
                every_column=not (normalized == "utf-8" and content.valid_utf8),
                blank_records=content.blank_records,
            )
            step("check")
            job.check()
            step("resolve")
            job.resolve()
            step("quarantine")
            job.finalize()
            if job.scalar("SELECT count(*) FROM rs_final WHERE _reason IS NOT NULL"):
                job._invalid_raw()
            step("write")
            result = upsert(store, job.batch(facts.sha256, started, coverage))
        finally:
            job.cleanup()
    return result
