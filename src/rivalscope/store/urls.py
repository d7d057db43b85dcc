"""What a ``--db`` value names: a DuckDB file or memory, a PostgreSQL server, or a Spark master.

* ``rivalscope.duckdb``, ``:memory:``: DuckDB (the default store).
* ``postgresql://user:secret@host:5432/db`` (or ``postgres://``): a PostgreSQL server.
* ``spark:local[2]?data=DIR``, ``spark://host:7077?data=DIR``: a Spark master reading the events
  that ``rivalscope export --parquet DIR`` wrote (``data`` may also come from
  ``$RIVALSCOPE_SPARK_DATA``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit, urlunsplit

import rivalscope.settings as settings
from rivalscope.errors import InputError

Kind = Literal["duckdb", "postgres", "spark"]
PG_PREFIXES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class Target:
    """A parsed ``--db`` value.

    Attributes:
        kind: ``duckdb``, ``postgres`` or ``spark``.
        location: the DuckDB path (or ``:memory:``), the PostgreSQL URL, or the Spark master.
        data: for Spark, the directory of the Parquet export.
        conf: for Spark, extra ``spark.*`` settings.
    """

    kind: Kind
    location: str
    data: str | None = None
    conf: dict[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        """The target as it may be printed: a PostgreSQL password is masked."""
        if self.kind != "postgres":
            return self.location if self.kind == "duckdb" else f"spark:{self.location}"
        parts = urlsplit(self.location)
        if parts.password is None:
            return self.location
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


def is_url(db: str | Path | None) -> bool:
    """Whether ``db`` names a server or cluster rather than a DuckDB file."""
    return isinstance(db, str) and (db.startswith(PG_PREFIXES) or db.startswith("spark:"))


def parse_conf(pairs: list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """``["spark.executor.memory=4g", ...]`` as a dict.

    Raises:
        InputError: an item is not ``key=value``.
    """
    conf: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{pair!r}: write it as key=value", parameter="spark_conf")
        conf[key.strip()] = value.strip()
    return conf


def parse(db: str | Path | None, *, spark_conf: dict[str, str] | None = None) -> Target:
    """Parse a ``--db`` value (``None``: an in-memory DuckDB store).

    Raises:
        InputError: a Spark URL without a master, or with options other than ``data``.
    """
    if db is None:
        return Target("duckdb", ":memory:")
    text = str(db)
    if text.startswith(PG_PREFIXES):
        return Target("postgres", text)
    if not text.startswith("spark:"):
        if spark_conf:
            raise InputError("Spark settings apply only to a spark: store", parameter="spark_conf")
        return Target("duckdb", text)
    rest = text.removeprefix("spark:")
    master, _, query = rest.partition("?")
    if master.startswith("//"):
        master = f"spark:{master}"
    if not master:
        raise InputError(f"{text!r}: name the Spark master, e.g. spark:local[2]")
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - {"data"})
    if unknown:
        raise InputError(f"{text!r}: unknown option {unknown[0]!r} (only data=DIR)")
    data = options["data"][-1] if "data" in options else settings.get("RIVALSCOPE_SPARK_DATA")
    return Target("spark", master, data=data or None, conf=dict(spark_conf or {}))
