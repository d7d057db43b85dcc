"""Writing canonical rows that come from code, not from a file: text coding, simulation.

A caller hands over an Arrow table with some of a canonical table's columns (the id column is
required). The rows are checked as a whole, fingerprinted like ingested rows, and upserted in one
transaction with a batch record, so re-writing the same rows changes nothing and counts them as
unchanged. Rows written ``for_review`` get a ``pending`` entry in ``reviews`` and count in
analyses only once accepted (see :mod:`rivalscope.review`).
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
    TARGET_TYPES,
)

if TYPE_CHECKING:
    from rivalscope.store import Store

Target = Literal["events", "defections"]

_TARGETS: Final[dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]]] = {
    "events": ("event_id", EVENT_COLUMNS, ("actor1", "actor2")),
    "defections": ("defection_id", DEFECTION_COLUMNS, ("from_actor", "to_actor")),
}
_REVIEW_COLUMNS: Final = ("confidence", "passage", "evidence")
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
    con = store.con
    incoming, checked = f"rs_rows_{uuid.uuid4().hex[:8]}", f"rs_rows_ok_{uuid.uuid4().hex[:8]}"
    con.register(incoming, rows)
    try:
        present = set(rows.column_names)
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
        hashed = [n for n in names if n not in ("batch_id", "row_hash")]
        fingerprint = (
            "md5(concat_ws(chr(31), "
            + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(0))" for c in hashed)
            + "))"
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {checked} AS
            SELECT *, {fingerprint} AS row_hash FROM (
              SELECT row_number() OVER () - 1 AS _index, {", ".join(select)} FROM {incoming})""",
            params,
        )
        try:
            _validate(store, checked, target, key, actor_columns)
            review = review_details if review_details is not None else _NO_DETAILS
            return _upsert(
                store,
                target,
                key,
                names,
                checked,
                review if for_review else None,
                batch_id,
                source,
                file,
                started,
            )
        finally:
            con.execute(f"DROP TABLE IF EXISTS {checked}")
    finally:
        con.unregister(incoming)


def _check_review(review: pa.Table, key: str) -> None:
    allowed = {"item_id", *_REVIEW_COLUMNS}
    unknown = [c for c in review.column_names if c not in allowed]
    if unknown or "item_id" not in review.column_names:
        raise InputError(
            f"review rows need an item_id column (the {key}) and may have "
            f"{', '.join(_REVIEW_COLUMNS)}; got {', '.join(review.column_names)}"
        )


def _first(store: Store, query: str, params: list[object] | None = None) -> tuple[Any, ...] | None:
    return store.con.execute(query, params or []).fetchone()


def _validate(
    store: Store, table: str, target: str, key: str, actor_columns: tuple[str, ...]
) -> None:
    """Raise :class:`InputError` naming the first bad row (0-based index) and column."""
    bad = _first(store, f"SELECT _index FROM {table} WHERE {key} IS NULL ORDER BY _index LIMIT 1")
    if bad:
        raise InputError(f"row {bad[0]}: column {key}: the id is missing")
    dup = _first(
        store,
        f"""SELECT {key}, list(_index ORDER BY _index) FROM {table} GROUP BY {key}
        HAVING count(*) > 1 ORDER BY min(_index) LIMIT 1""",
    )
    if dup:
        raise InputError(f"rows {dup[1]}: column {key}: duplicate id {dup[0]!r}")
    date_column = "date_start" if target == "events" else "date"
    bad = _first(
        store, f"SELECT _index FROM {table} WHERE {date_column} IS NULL ORDER BY _index LIMIT 1"
    )
    if bad:
        raise InputError(f"row {bad[0]}: column {date_column}: a date is required")
    if target == "events":
        for column, allowed in (("event_type", EVENT_TYPES), ("target_type", TARGET_TYPES)):
            bad = _first(
                store,
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
            store,
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


def _upsert(
    store: Store,
    target: str,
    key: str,
    names: list[str],
    table: str,
    review: pa.Table | None,
    batch_id: str,
    source: str,
    file: str | None,
    started: dt.datetime,
) -> IngestResult:
    con = store.con
    total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    review_name = f"rs_review_{uuid.uuid4().hex[:8]}"
    if review is not None:
        con.register(review_name, review)
    try:
        with store.transaction():
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {table}_changed AS
                SELECT f.{key}, t.{key} IS NOT NULL AS existed FROM {table} f
                LEFT JOIN {target} t ON t.{key} = f.{key}
                WHERE t.row_hash IS DISTINCT FROM f.row_hash"""
            )
            stored = con.execute(f"SELECT count(*) FROM {table}_changed").fetchone()[0]  # type: ignore[index]
            con.execute(
                f"""DELETE FROM {target} WHERE {key} IN
                (SELECT {key} FROM {table}_changed WHERE existed)"""
            )
            con.execute(
                f"""INSERT INTO {target} ({", ".join(names)})
                SELECT {", ".join("f." + c for c in names)} FROM {table} f
                SEMI JOIN {table}_changed c ON c.{key} = f.{key}"""
            )
            if review is not None:
                _write_reviews(store, target, table, review_name, started)
            con.execute(
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
            con.execute(f"DROP TABLE {table}_changed")
    finally:
        if review is not None:
            con.unregister(review_name)
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
    store: Store, target: str, table: str, details: str, started: dt.datetime
) -> None:
    """Every written row gets a review entry: new rows and changed rows are ``pending``
    (a changed row's earlier decision no longer holds); an unchanged row keeps its decision."""
    kind, key = ("event", "event_id") if target == "events" else ("defection", "defection_id")
    present = {d[0] for d in store.con.execute(f"SELECT * FROM {details} LIMIT 0").description}
    values = ", ".join(
        f"CAST(d.{c} AS {t})" if c in present else f"CAST(NULL AS {t})"
        for c, t in (("confidence", "DOUBLE"), ("passage", "VARCHAR"), ("evidence", "VARCHAR"))
    )
    store.con.execute(
        f"""DELETE FROM reviews WHERE item_kind = ?
        AND item_id IN (SELECT {key} FROM {table}_changed)""",
        [kind],
    )
    store.con.execute(
        f"""INSERT INTO reviews (item_kind, item_id, status, confidence, passage, evidence,
                                 created)
        SELECT ?, f.{key}, 'pending', {values}, ?
        FROM {table} f LEFT JOIN {details} d ON CAST(d.item_id AS VARCHAR) = f.{key}
        WHERE NOT EXISTS (SELECT 1 FROM reviews v WHERE v.item_kind = ? AND v.item_id = f.{key})""",
        [kind, started, kind],
    )
