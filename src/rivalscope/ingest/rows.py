"""Writing canonical rows that come from code, not from a file: text coding, simulation.

A caller hands over an Arrow table with some of a canonical table's columns (the id column is
required). The rows are checked as a whole, fingerprinted like ingested rows, and upserted in one
transaction with a batch record, so re-writing the same rows changes nothing and counts them as
unchanged. Rows written ``for_review`` get a ``pending`` entry in ``reviews`` and count in
analyses only once accepted (see :mod:`rivalscope.review`).

The rows are typed, fingerprinted and checked in the store's staging DuckDB
(:attr:`Store.staging`: the store's own database, or for a PostgreSQL store an in-process mirror
of its registry), then written by the one upsert (:func:`rivalscope.store.upsert.upsert`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Final, Literal

import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.roles import INITIATORS, initiator_sql
from rivalscope.schema import (
    DEFECTION_COLUMNS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    TARGET_TYPES,
    UNHASHED,
)
from rivalscope.store.upsert import Batch, IngestResult, new_batch_id, upsert, utc_now

if TYPE_CHECKING:
    import duckdb

    from rivalscope.store.base import Store

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
    """Upsert canonical rows made by code (text coding, simulation) as one batch.

    Args:
        store: an open, writable store.
        target: ``events`` or ``defections``.
        rows: some of the target's columns (:data:`rivalscope.schema.EVENT_COLUMNS` or
            ``DEFECTION_COLUMNS``), the id column required; actors as registry ids.
            ``source`` and ``batch_id`` are set here; absent columns are NULL.
        source: the source name stored with events (``text``, ``sim``) and the batch.
        file: where the rows came from, for the batch record.
        for_review: the rows count in analyses only once accepted
            (:mod:`rivalscope.review`); a changed row goes back to pending.
        review_details: per row (``item_id`` = the id) ``confidence``, ``passage`` and
            ``evidence`` (JSON text) for the reviewer.

    Raises:
        InputError: naming the row (0-based) and column of the first bad value; nothing
            is written then.
        StoreError: the store is read-only or refused the write.
    """
    store.require_writable()
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
    store.refresh_staging()
    batch_id = new_batch_id(source)
    started = utc_now()
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
            total = int(stage.execute(f"SELECT count(*) FROM {checked}").fetchone()[0])  # type: ignore[index]
            return upsert(
                store,
                Batch(
                    batch_id=batch_id,
                    source=source,
                    file=file,
                    sha256=None,
                    started=started,
                    target=target,
                    key=key,
                    columns=tuple(names),
                    rows=f"SELECT {', '.join(names)} FROM {checked} ORDER BY _index",
                    good=total,
                    reviews=f"SELECT * FROM {reviewed}" if for_review else None,
                ),
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
    hashed = [name for name, _ in columns if name not in UNHASHED]
    fingerprint = (
        "md5(concat_ws(chr(31), "
        + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(0))" for c in hashed)
        + "))"
    )
    typed = f"SELECT row_number() OVER () - 1 AS _index, {', '.join(select)} FROM {incoming}"
    if target == "events":
        rule = initiator_sql("source", "source_event_type", "event_type")
        typed = f"SELECT * REPLACE (coalesce(initiator, {rule}) AS initiator) FROM ({typed})"
    stage.execute(
        f"""CREATE OR REPLACE TEMP TABLE {checked} AS
        SELECT *, {fingerprint} AS row_hash FROM ({typed})""",
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
        for column, allowed in (
            ("event_type", EVENT_TYPES),
            ("target_type", TARGET_TYPES),
            ("initiator", INITIATORS),
        ):
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
