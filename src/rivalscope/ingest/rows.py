"""Writing canonical rows that come from code, not from a file: text coding, simulation.

A caller hands over an Arrow table with some of a canonical table's columns (the id column is
required). The rows are checked as a whole, fingerprinted like ingested rows, and upserted in one
transaction with a batch record, so re-writing the same rows changes nothing and counts them as
unchanged. Rows written ``for_review`` get a ``pending`` entry in ``reviews`` and count in
analyses only once accepted (see :mod:`rivalscope.review`).

The rows are typed, fingerprinted and checked in the store's staging DuckDB
(:attr:`Store.staging`: the store's own database, or for a PostgreSQL store an in-process mirror
of its registry); the upsert then runs on the store's database in portable SQL, the checked rows
brought there by :meth:`Store.stage_table`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, Final, Literal

import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.ingest import IngestResult
from rivalscope.schema import (
    DEFECTION_COLUMNS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    REVIEW_KINDS,
    TARGET_TYPES,
)

if TYPE_CHECKING:
    import duckdb

    from rivalscope.store import Store

Target = Literal["events", "defections"]

_TARGETS: Final[dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]]] = {
    "events": ("event_id", EVENT_COLUMNS, ("actor1", "actor2")),
    "defections": ("defection_id", DEFECTION_COLUMNS, ("from_actor", "to_actor")),
}
_REVIEW_COLUMNS: Final = (("confidence", "DOUBLE"), ("passage", "VARCHAR"), ("evidence", "VARCHAR"))
_NO_DETAILS: Final = pa.table({"item_id": pa.array([], pa.string())})


def write_rows(
    store: Store,
    target: Target,
    rows: pa.Table,
    *,
    source: str,
    file: str | None = None,
    for_review: bool = False,
    review_details: pa.Table | None = None,
) -> IngestResult:
    """Upsert ``rows`` into ``target`` as one batch; see :meth:`Store.write_rows`."""
    if target not in _TARGETS:
        raise InputError(f"cannot write rows to {target!r}: use events or defections")
    key, columns, actor_columns = _TARGETS[target]
    names = [name for name, _ in columns]
    unknown = [c for c in rows.column_names if c not in names]
    if unknown:
        raise InputError(f"{target} has no column {unknown[0]!r} (columns: {', '.join(names)})")
    if key not in rows.column_names:
        raise InputError(f"rows for {target} need the id column {key!r}")
    if review_details is not None:
        if not for_review:
            raise InputError("review_details are only for rows written for review")
        _check_review(review_details, key)
    batch_id = f"{source}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stage = store.staging
    tag = uuid.uuid4().hex[:8]
    incoming, checked, reviewed = f"rs_rows_{tag}", f"rs_rows_ok_{tag}", f"rs_rows_rv_{tag}"
    stage.register(incoming, rows)
    try:
        _check_rows(stage, incoming, checked, target, columns, rows.column_names, source, batch_id)
        try:
            _validate(stage, checked, target, key, actor_columns)
            if for_review:
                details = review_details if review_details is not None else _NO_DETAILS
                _review_rows(stage, checked, key, details, reviewed)
            return _upsert(
                store,
                target,
                key,
                names,
                checked,
                reviewed if for_review else None,
                batch_id,
                source,
                file,
                started,
            )
        finally:
            stage.execute(f"DROP TABLE IF EXISTS {checked}")
            stage.execute(f"DROP TABLE IF EXISTS {reviewed}")
    finally:
        stage.unregister(incoming)


def _check_review(review: pa.Table, key: str) -> None:
    allowed = {"item_id", *(name for name, _ in _REVIEW_COLUMNS)}
    unknown = [c for c in review.column_names if c not in allowed]
    if unknown or "item_id" not in review.column_names:
        raise InputError(
            f"review rows need an item_id column (the {key}) and may have "
            f"{', '.join(name for name, _ in _REVIEW_COLUMNS)}; got "
            f"{', '.join(review.column_names)}"
        )


def _check_rows(
    stage: duckdb.DuckDBPyConnection,
    incoming: str,
    checked: str,
    target: str,
    columns: tuple[tuple[str, str], ...],
    given: list[str],
    source: str,
    batch_id: str,
) -> None:
    """Type the rows into every column of ``target`` (absent ones NULL), with their 0-based
    ``_index`` and their fingerprint, as the temporary table ``checked`` of ``stage``."""
    present = set(given)
    select = []
    for name, sql_type in columns:
        if name == "batch_id" or (name == "source" and target == "events"):
            select.append(f"CAST(? AS VARCHAR) AS {name}")
        elif name == "row_hash":
            continue
        elif name in present:
            select.append(f"CAST({name} AS {sql_type}) AS {name}")
        else:
            select.append(f"CAST(NULL AS {sql_type}) AS {name}")
    params: list[object] = [batch_id] if target == "defections" else [source, batch_id]
    hashed = [name for name, _ in columns if name not in ("batch_id", "row_hash")]
    fingerprint = (
        "md5(concat_ws(chr(31), "
        + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(0))" for c in hashed)
        + "))"
    )
    stage.execute(
        f"""CREATE OR REPLACE TEMP TABLE {checked} AS
        SELECT *, {fingerprint} AS row_hash FROM (
          SELECT row_number() OVER () - 1 AS _index, {", ".join(select)} FROM {incoming})""",
        params,
    )


def _first(
    stage: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> tuple[Any, ...] | None:
    return stage.execute(query, params or []).fetchone()


def _validate(
    stage: duckdb.DuckDBPyConnection,
    table: str,
    target: str,
    key: str,
    actor_columns: tuple[str, ...],
) -> None:
    """Raise :class:`InputError` naming the first bad row (0-based index) and column."""
    bad = _first(stage, f"SELECT _index FROM {table} WHERE {key} IS NULL ORDER BY _index LIMIT 1")
    if bad:
        raise InputError(f"row {bad[0]}: column {key}: the id is missing")
    dup = _first(
        stage,
        f"""SELECT {key}, list(_index ORDER BY _index) FROM {table} GROUP BY {key}
        HAVING count(*) > 1 ORDER BY min(_index) LIMIT 1""",
    )
    if dup:
        raise InputError(f"rows {dup[1]}: column {key}: duplicate id {dup[0]!r}")
    date_column = "date_start" if target == "events" else "date"
    bad = _first(
        stage, f"SELECT _index FROM {table} WHERE {date_column} IS NULL ORDER BY _index LIMIT 1"
    )
    if bad:
        raise InputError(f"row {bad[0]}: column {date_column}: a date is required")
    if target == "events":
        for column, allowed in (("event_type", EVENT_TYPES), ("target_type", TARGET_TYPES)):
            bad = _first(
                stage,
                f"""SELECT _index, {column} FROM {table}
                WHERE {column} IS NOT NULL AND NOT list_contains(?, {column})
                ORDER BY _index LIMIT 1""",
                [list(allowed)],
            )
            if bad:
                raise InputError(
                    f"row {bad[0]}: column {column}: {bad[1]!r} is not one of {', '.join(allowed)}"
                )
    for column in actor_columns:
        bad = _first(
            stage,
            f"""SELECT r._index, r.{column} FROM {table} r
            WHERE r.{column} IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.actor_id = r.{column})
            ORDER BY r._index LIMIT 1""",
        )
        if bad:
            raise InputError(
                f"row {bad[0]}: column {column}: {bad[1]!r} is not an actor id in the store "
                "(see `rivalscope actors`)"
            )


def _review_rows(
    stage: duckdb.DuckDBPyConnection, checked: str, key: str, details: pa.Table, reviewed: str
) -> None:
    """The reviewer's details of every written row (NULL where none was given), as the
    temporary table ``reviewed`` (item_id, confidence, passage, evidence) of ``stage``."""
    name = f"{reviewed}_details"
    stage.register(name, details)
    try:
        present = set(details.column_names)
        values = ", ".join(
            f"CAST(d.{c} AS {t}) AS {c}" if c in present else f"CAST(NULL AS {t}) AS {c}"
            for c, t in _REVIEW_COLUMNS
        )
        stage.execute(
            f"""CREATE OR REPLACE TEMP TABLE {reviewed} AS
            SELECT f.{key} AS item_id, {values}
            FROM {checked} f LEFT JOIN {name} d ON CAST(d.item_id AS VARCHAR) = f.{key}"""
        )
    finally:
        stage.unregister(name)


def _upsert(
    store: Store,
    target: str,
    key: str,
    names: list[str],
    checked: str,
    reviewed: str | None,
    batch_id: str,
    source: str,
    file: str | None,
    started: dt.datetime,
) -> IngestResult:
    """Upsert the checked rows by id, their review entries and the batch record: one
    transaction on the store's database, in SQL that DuckDB and PostgreSQL both run."""
    total = int(store.staging.execute(f"SELECT count(*) FROM {checked}").fetchone()[0])  # type: ignore[index]
    incoming, changed, reviews = f"{checked}_in", f"{checked}_changed", f"{checked}_reviews"
    with store.transaction():
        store.stage_table(incoming, f"SELECT _index, {', '.join(names)} FROM {checked}")
        stored = store.execute(
            f"""CREATE TEMP TABLE {changed} AS
            SELECT f.{key}, t.{key} IS NOT NULL AS existed FROM {incoming} f
            LEFT JOIN {target} t ON t.{key} = f.{key}
            WHERE t.row_hash IS DISTINCT FROM f.row_hash"""
        )
        store.execute(
            f"DELETE FROM {target} WHERE {key} IN (SELECT {key} FROM {changed} WHERE existed)"
        )
        store.execute(
            f"""INSERT INTO {target} ({", ".join(names)})
            SELECT {", ".join("f." + c for c in names)} FROM {incoming} f
            WHERE EXISTS (SELECT 1 FROM {changed} c WHERE c.{key} = f.{key})
            ORDER BY f._index"""
        )
        if reviewed is not None:
            store.stage_table(reviews, f"SELECT * FROM {reviewed}")
            _write_reviews(store, target, changed, reviews, started)
            store.execute(f"DROP TABLE {reviews}")
        store.execute(
            "INSERT INTO ingest_batches VALUES (?, ?, ?, NULL, ?, ?, ?, ?, 0, ?)",
            [
                batch_id,
                source,
                file,
                started,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                total,
                stored,
                total - stored,
            ],
        )
        store.execute(f"DROP TABLE {changed}")
        store.execute(f"DROP TABLE {incoming}")
    return IngestResult(
        source=source,
        file=file or "",
        rows_read=total,
        rows_stored=stored,
        rows_quarantined=0,
        rows_unchanged=total - stored,
        batch_id=batch_id,
    )


def _write_reviews(
    store: Store, target: str, changed: str, reviews: str, started: dt.datetime
) -> None:
    """Every written row gets a review entry: new rows and changed rows are ``pending``
    (a changed row's earlier decision no longer holds); an unchanged row keeps its decision."""
    kind = "event" if target == "events" else "defection"
    key = REVIEW_KINDS[kind][1]
    store.execute(
        f"DELETE FROM reviews WHERE item_kind = ? AND item_id IN (SELECT {key} FROM {changed})",
        [kind],
    )
    store.execute(
        f"""INSERT INTO reviews (item_kind, item_id, status, confidence, passage, evidence,
                                 created)
        SELECT ?, r.item_id, 'pending', r.confidence, r.passage, r.evidence, ?
        FROM {reviews} r
        WHERE NOT EXISTS
          (SELECT 1 FROM reviews v WHERE v.item_kind = ? AND v.item_id = r.item_id)""",
        [kind, started, kind],
    )
