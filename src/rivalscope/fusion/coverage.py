"""What each source covers: per country, the first and last day, the version or release, and
the batches that brought it.

Every batch of events records its coverage per country when it is written
(:func:`rivalscope.store.upsert.upsert`): a window declared at ingest or fetch
(``--coverage FROM..TO``, an API query's dates), else whole years for a UCDP GED release (UCDP
codes every year it publishes in full), else its events' first and last dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from rivalscope.errors import InputError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from rivalscope.store.base import Store


@dataclass(frozen=True)
class Coverage:
    """What a batch says about its own coverage.

    Attributes:
        version: the source's version or release (``21.1`` for UCDP GED 21.1; an ACLED
            export's date); None when unknown.
        first: the first day covered, when declared (else the first event's).
        last: the last day covered, when declared (else the last event's).
        whole_years: the batch covers every year it has events in, in full (UCDP GED).
    """

    version: str | None = None
    first: dt.date | None = None
    last: dt.date | None = None
    whole_years: bool = False

    @property
    def declared(self) -> bool:
        """Whether the window (or one end of it) was declared rather than read off the events."""
        return self.first is not None or self.last is not None

    def sql(self, rows: str) -> tuple[str, list[Any]]:
        """``INSERT`` of the coverage rows of the batch ``batch_id`` (the first parameter) and
        ``source`` (the second) whose rows are the table ``rows``."""
        window: list[Any] = []
        if self.first is not None:
            first = "?"
            window.append(self.first)
        elif self.whole_years:
            first = "make_date(CAST(extract(year FROM min(date_start)) AS INTEGER), 1, 1)"
        else:
            first = "min(date_start)"
        if self.last is not None:
            last = "?"
            window.append(self.last)
        elif self.whole_years:
            last = (
                "make_date(CAST(extract(year FROM max(coalesce(date_end, date_start)))"
                " AS INTEGER), 12, 31)"
            )
        else:
            last = "max(coalesce(date_end, date_start))"
        return (
            f"""INSERT INTO coverage (batch_id, source, country_iso3, first_date, last_date,
                                      version, declared, events)
            SELECT ?, ?, country_iso3, {first}, {last}, ?, ?, count(*) FROM {rows}
            WHERE date_start IS NOT NULL GROUP BY country_iso3""",
            [*window, self.version, self.declared],
        )


_WINDOW = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")


def parse_window(text: str) -> tuple[dt.date, dt.date]:
    """``FROM..TO`` (``2019-04-01..2019-09-28``) as two dates.

    Raises:
        InputError: the text is not two ISO dates joined by ``..``, or TO is before FROM.
    """
    found = _WINDOW.match(text)
    if found is None:
        raise InputError(f"{text!r} is not FROM..TO (YYYY-MM-DD..YYYY-MM-DD)", parameter="coverage")
    try:
        first, last = (dt.date.fromisoformat(found.group(i)) for i in (1, 2))
    except ValueError as exc:
        raise InputError(f"{text!r}: {exc}", parameter="coverage") from exc
    if last < first:
        raise InputError(f"{text!r}: the window ends before it starts", parameter="coverage")
    return first, last


_UCDP_NAME = re.compile(r"(?i)(?:ged|v)_?(\d{2})[._]?(\d)(?:[._](\d{1,2}))?(?!\d)")


def ucdp_version(file_name: str) -> str | None:
    """UCDP's version from a file name as UCDP publishes it (``GEDEvent_v21_1.csv`` -> ``21.1``,
    ``ged251-csv.zip`` -> ``25.1``, ``GEDEvent_v25_0_10.csv`` -> ``25.0.10``), else None."""
    found = _UCDP_NAME.search(file_name)
    if found is None:
        return None
    return ".".join(part for part in found.groups() if part is not None)


def is_annual_ged(version: str | None) -> bool:
    """Whether a UCDP version is an annual GED release (``21.1``), which codes whole years
    (Candidate releases, ``25.0.10``, code months)."""
    return version is not None and re.fullmatch(r"\d+\.1", version) is not None


def coverage(store: Store, country: str | None = None) -> pa.Table:
    """Each source's coverage per country: ``source``, ``country_iso3``, ``first_date``,
    ``last_date``, ``versions`` (sorted, comma-separated), ``declared`` (any batch declared its
    window), ``batches`` and ``events`` (stored events of the source there)."""
    c = store.table("coverage")
    if country is not None:
        c = c.filter(c.country_iso3 == country)
    windows = c.group_by(["source", "country_iso3"]).aggregate(
        first_date=c.first_date.min(),
        last_date=c.last_date.max(),
        declared=c.declared.any(),
        batches=c.batch_id.nunique(),
    )
    table = windows.order_by(["country_iso3", "source"]).to_pyarrow()
    versions = _versions(c)
    events = _events(store, country)
    keys = list(
        zip(
            table.column("source").to_pylist(),
            table.column("country_iso3").to_pylist(),
            strict=True,
        )
    )
    table = table.append_column("versions", pa.array([versions.get(k) for k in keys], pa.string()))
    return table.append_column("events", pa.array([events.get(k, 0) for k in keys], pa.int64()))


def windows(
    store: Store, sources: list[str] | None = None, country: str | None = None
) -> dict[str, tuple[dt.date, dt.date]]:
    """Each source's coverage window, first day to last, in ``country`` (default: anywhere),
    for ``sources`` (default: every source with coverage)."""
    c = store.table("coverage")
    if country is not None:
        c = c.filter(c.country_iso3 == country)
    if sources is not None:
        c = c.filter(c.source.isin(sources))
    rows = (
        c.group_by("source")
        .aggregate(first=c.first_date.min(), last=c.last_date.max())
        .to_pyarrow()
        .to_pylist()
    )
    return {row["source"]: (row["first"], row["last"]) for row in rows}


def _versions(c: ir.Table) -> dict[tuple[str, str | None], str]:
    rows = (
        c.filter(c.version.notnull())
        .select("source", "country_iso3", "version")
        .distinct()
        .to_pyarrow()
        .to_pylist()
    )
    found: dict[tuple[str, str | None], set[str]] = {}
    for row in rows:
        found.setdefault((row["source"], row["country_iso3"]), set()).add(row["version"])
    return {key: ", ".join(sorted(values)) for key, values in found.items()}


def _events(store: Store, country: str | None) -> dict[tuple[str, str | None], int]:
    e = store.table("events")
    if country is not None:
        e = e.filter(e.country_iso3 == country)
    rows = e.group_by(["source", "country_iso3"]).aggregate(n=e.count()).to_pyarrow()
    return {(r["source"], r["country_iso3"]): int(r["n"]) for r in rows.to_pylist()}


__all__ = ["Coverage", "coverage", "is_annual_ged", "parse_window", "ucdp_version", "windows"]
