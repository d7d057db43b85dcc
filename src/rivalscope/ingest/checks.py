"""How a source maps its CSV onto a canonical table, and the SQL terms its checks are made of.

A source module (:mod:`~rivalscope.ingest.ucdp`, :mod:`~rivalscope.ingest.acled`, ...) declares a
:class:`SourceSpec`: the columns it needs and a SQL SELECT list over the raw text columns that
types every value and builds ``_reason`` from one term per rule (:func:`check`,
:func:`int_check`, ...), each naming the column and the bad value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rivalscope.schema import (
    DEFECTION_COLUMN_NAMES,
    DISPLACEMENT_COLUMN_NAMES,
    EVENT_COLUMN_NAMES,
)


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
        version_of_name: the source's version read from a file's name, as its publisher names
            files (None: the name says nothing).
        release: a SQL aggregate over ``r`` giving the release a file comes from, when the name
            does not say (ACLED: the date of its latest ``timestamp``).
        whole_years: whether a version codes every year it has events in, in full.
        note_types: events of one source event type whose canonical type is read from their
            notes: ``(source event type, classify)``, ``classify(note)`` giving an event type
            or None (the type mapped by ``select`` stays). ACLED's strategic developments that
            are influence activities (:func:`rivalscope.coding.influence_type`).
    """

    name: str
    target: Literal["events", "defections", "displacement"]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    select: str
    version_of_name: Callable[[str], str | None] | None = None
    release: str | None = None
    whole_years: Callable[[str | None], bool] | None = None
    note_types: tuple[str, Callable[[str], str | None]] | None = None


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

DISPLACEMENT_MAPPED = ["month", "idps", "country_name", "country_code", "admin1", "_reason"]
"""The columns a displacement source's SELECT list produces."""

TARGETS: dict[str, tuple[str, tuple[str, ...], list[str]]] = {
    "events": ("event_id", EVENT_COLUMN_NAMES, EVENT_MAPPED),
    "defections": ("defection_id", DEFECTION_COLUMN_NAMES, DEFECTION_MAPPED),
    "displacement": ("displacement_id", DISPLACEMENT_COLUMN_NAMES, DISPLACEMENT_MAPPED),
}
"""Each target table: its key column, its columns, and what a source's SELECT must produce."""


def col(name: str) -> str:
    """A raw text column of ``r``, trimmed, NULL when empty."""
    return f"nullif(trim(r.\"{name}\"), '')"


def check(condition: str, message_sql: str) -> str:
    """A reason term: ``message_sql`` when ``condition`` holds, else NULL."""
    return f"CASE WHEN {condition} THEN {message_sql} END"


def bad_value(column: str, problem: str) -> str:
    """SQL text: ``column X: 'value' <problem>`` for a reason."""
    return f"'column {column}: ''' || {col(column)} || ''' {problem}'"


def whole_number(value: str, sql_type: str = "INTEGER") -> str:
    """SQL: ``value`` (text) as a non-negative whole number of ``sql_type``, else NULL.

    Only digits pass: ``try_cast('12.5' AS INTEGER)`` would round to 13, and a count too large
    for the column would be lost, so both are refused (and quarantined by :func:`int_check`).
    """
    return (
        f"CASE WHEN regexp_full_match({value}, '[0-9]+') THEN try_cast({value} AS {sql_type}) END"
    )


def int_check(column: str, *, required: bool = False) -> str:
    """A reason term for a column that must hold a whole number from 0 to 2,147,483,647."""
    value = col(column)
    terms = [
        check(
            f"{value} IS NOT NULL AND {whole_number(value)} IS NULL",
            bad_value(column, "is not a whole number from 0 to 2147483647"),
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
