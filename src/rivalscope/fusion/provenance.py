"""Which sources, versions, windows and batches went into an output, and how to cite them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from rivalscope.fusion.coverage import windows

if TYPE_CHECKING:
    from rivalscope.store.base import Store

CITATIONS: Final[dict[str, dict[str, str]]] = {
    "ucdp": {
        "name": "UCDP Georeferenced Event Dataset (GED)",
        "citation": (
            "Sundberg, Ralph, and Erik Melander. 2013. Introducing the UCDP Georeferenced Event "
            "Dataset. Journal of Peace Research 50(4): 523-532. Data: UCDP GED version "
            "{version}, Uppsala Conflict Data Program, Uppsala University."
        ),
        "terms": "Licensed under Creative Commons Attribution 4.0 (CC BY 4.0): cite UCDP.",
        "url": "https://ucdp.uu.se/downloads/",
    },
    "acled": {
        "name": "Armed Conflict Location & Event Data (ACLED)",
        "citation": (
            "Raleigh, Clionadh, Andrew Linke, Havard Hegre, and Joakim Karlsen. 2010. "
            "Introducing ACLED: An Armed Conflict Location and Event Dataset. Journal of Peace "
            "Research 47(5): 651-660. Data: ACLED export {version}, www.acleddata.com."
        ),
        "terms": (
            "Used under ACLED's Terms of Use and Attribution Policy: acknowledge ACLED as the "
            "source in every use, and do not redistribute its data beyond what they allow."
        ),
        "url": "https://acleddata.com/terms-of-use/",
    },
    "text": {
        "name": "Events coded by Rivalscope from text, reviewed by an analyst",
        "citation": "Cite the reports each coded event names as its input (see its provenance).",
        "terms": "The reports' own terms apply.",
        "url": "",
    },
    "sim": {
        "name": "SIMULATED events from Rivalscope's scenario model",
        "citation": "Not data: a simulation run of Rivalscope's scenario model.",
        "terms": "",
        "url": "",
    },
}
"""How to cite each known source (``{version}`` is filled from what was ingested)."""


def sources(
    store: Store,
    names: list[str],
    *,
    country: str | None,
    since: dt.date | None,
    until: dt.date | None,
) -> list[dict[str, Any]]:
    """One entry per source in ``names``: ``source``, ``version``, ``first_date``,
    ``last_date`` (its coverage in ``country``), ``events`` (its events that count in the
    window) and ``batches`` (the batches they came from)."""
    if not names:
        return []
    cov = store.table("coverage")
    events = store.counted("events")
    if country is not None:
        cov = cov.filter(cov.country_iso3 == country)
        events = events.filter(events.country_iso3 == country)
    if since is not None:
        events = events.filter(events.date_start >= since)
    if until is not None:
        events = events.filter(events.date_start <= until)
    cov = cov.filter(cov.source.isin(names))
    events = events.filter(events.source.isin(names))
    covered = windows(store, names, country)
    versions: dict[str, set[str]] = {}
    for row in cov.select("source", "version").distinct().to_pyarrow().to_pylist():
        if row["version"]:
            versions.setdefault(row["source"], set()).add(str(row["version"]))
    counts = {
        row["source"]: row
        for row in events.group_by("source")
        .aggregate(
            events=events.count(),
            first_event=events.date_start.min(),
            last_event=events.date_start.max(),
        )
        .to_pyarrow()
        .to_pylist()
    }
    batches: dict[str, list[str]] = {}
    for row in (
        events.filter(events.batch_id.notnull())
        .select("source", "batch_id")
        .distinct()
        .order_by("batch_id")
        .to_pyarrow()
        .to_pylist()
    ):
        batches.setdefault(row["source"], []).append(row["batch_id"])
    found = []
    for name in names:
        first, last = covered.get(name, (None, None))
        seen = counts.get(name) or {}
        found.append(
            {
                "source": name,
                "version": ", ".join(sorted(versions.get(name, ()))) or None,
                "first_date": first or seen.get("first_event"),
                "last_date": last or seen.get("last_event"),
                "events": int(seen.get("events") or 0),
                "batches": batches.get(name, []),
            }
        )
    return found


def citations(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    """How to cite each source of :func:`sources`' entries (a source Rivalscope does not know
    is listed with its name only)."""
    cited = []
    for entry in entries:
        known = CITATIONS.get(entry["source"])
        version = entry.get("version") or "as ingested"
        if known is None:
            cited.append(
                {
                    "source": entry["source"],
                    "name": entry["source"],
                    "citation": "",
                    "terms": "",
                    "url": "",
                }
            )
            continue
        cited.append(
            {
                "source": entry["source"],
                **{k: v.replace("{version}", version) for k, v in known.items()},
            }
        )
    return cited


__all__ = ["CITATIONS", "citations", "sources"]
