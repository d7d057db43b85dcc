"""Profile sections served one at a time or all, each computed once per snapshot.

Every section of :mod:`rivalscope.analysis` is a ``compute(dyad)`` of its own, so a request for
one section computes only that one, and a request for all reuses the sections already computed
for the same snapshot (a profile of a million events takes tens of seconds the first time).
What the profile says of its sources (the sources read, the warnings, the side-by-side figures
of overlapping sources, how to cite them) is computed once per dyad and snapshot too, and goes
with every answer, whichever sections it holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rivalscope.analysis import profile as assembled
from rivalscope.analysis.context import Dyad, plain
from rivalscope.analysis.profile import SECTION_MODULES, SECTIONS, Profile
from rivalscope.redact import Redactor, redactor

if TYPE_CHECKING:
    from rivalscope.server.cache import ResultCache
    from rivalscope.server.state import Reader


@dataclass(frozen=True)
class ProfileRequest:
    """Which dyad, in which frame, from which source (names as the user gave them)."""

    actor: str
    rival: str
    country: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None

    def dyad(self, reader: Reader) -> Dyad:
        """The dyad on the request's snapshot (actors, country and source resolved)."""
        return Dyad.of(
            reader.store,
            self.actor,
            self.rival,
            country=self.country,
            since=self.since,
            until=self.until,
            source=self.source,
        )


def _key(dyad: Dyad) -> tuple[Any, ...]:
    return (dyad.actor, dyad.rival, dyad.country, dyad.since, dyad.until, dyad.source)


def section(cache: ResultCache, reader: Reader, dyad: Dyad, name: str) -> Any:
    """One section of the dyad's profile, computed once per snapshot."""
    return cache.get_or_compute(
        (reader.version, "section", *_key(dyad), name), lambda: SECTION_MODULES[name].compute(dyad)
    )


def sourcing(cache: ResultCache, reader: Reader, dyad: Dyad) -> dict[str, Any]:
    """The :class:`Profile` fields on its sources, as :func:`rivalscope.profile` makes them:
    ``sources``, ``warnings``, ``triangulation`` and ``citations``; once per snapshot."""

    def compute() -> dict[str, Any]:
        said = assembled.sourcing(dyad, section(cache, reader, dyad, "timeline"))
        return {
            "sources": said.sources,
            "warnings": said.warnings,
            "triangulation": said.triangulation,
            "citations": said.citations,
        }

    found: dict[str, Any] = cache.get_or_compute((reader.version, "sourcing", *_key(dyad)), compute)
    return found


def redactor_of(cache: ResultCache, reader: Reader) -> Redactor:
    """The snapshot's redactor (its pseudonym secret and recorded persons), once per snapshot."""
    found: Redactor = cache.get_or_compute(
        (reader.version, "redactor"), lambda: redactor(reader.store)
    )
    return found


def redacted(name: str, value: Any, reader: Reader, cache: ResultCache) -> Any:
    """A section with names of individuals (persons, names in notes) replaced by the store's
    pseudonyms."""
    if name != "defections":
        return value
    return replace(value, records=redactor_of(cache, reader).table(value.records))


def profile_data(
    cache: ResultCache, reader: Reader, dyad: Dyad, names: tuple[str, ...], *, redact: bool
) -> dict[str, Any]:
    """The sections ``names`` as JSON-ready data, with the dyad's frame and what the profile
    says of its sources (as :meth:`Profile.to_dict` gives them)."""
    sections = {}
    for name in names:
        value = section(cache, reader, dyad, name)
        sections[name] = plain(redacted(name, value, reader, cache) if redact else value)
    sourced = sourcing(cache, reader, dyad)
    return {
        "actor": dyad.actor,
        "rival": dyad.rival,
        "country": dyad.country,
        "since": plain(dyad.since),
        "until": plain(dyad.until),
        "phases": plain(dyad.phases),
        "source": dyad.source,
        "sources": plain(list(sourced["sources"])),
        "warnings": list(sourced["warnings"]),
        "sections": sections,
        "triangulation": plain(sourced["triangulation"]),
        "citations": list(sourced["citations"]),
        "snapshot_version": reader.version,
    }


def whole_profile(cache: ResultCache, reader: Reader, dyad: Dyad) -> Profile:
    """A :class:`Profile` of cached sections, bound to this request's store."""
    return Profile(
        dyad=dyad,
        **{name: section(cache, reader, dyad, name) for name in SECTIONS},
        **sourcing(cache, reader, dyad),
    )
