"""The rivalry profile: every analysis of a dyad, as one typed result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

import rivalscope.fusion as fusion
from rivalscope.analysis import (
    defections,
    harm,
    hotspots,
    influence,
    network,
    phases,
    spread,
    targets,
    timeline,
    triangulation,
)
from rivalscope.analysis.context import Dyad, Phase, plain
from rivalscope.fusion import provenance
from rivalscope.places import country_name
from rivalscope.synth import is_synthetic

if TYPE_CHECKING:
    from rivalscope.store import Store

SECTION_MODULES: dict[str, ModuleType] = {
    "timeline": timeline,
    "spread": spread,
    "targets": targets,
    "influence": influence,
    "phases": phases,
    "harm": harm,
    "defections": defections,
    "hotspots": hotspots,
    "network": network,
}
"""Each section's module, in report order; its ``compute(dyad)`` makes the section."""
SECTIONS: tuple[str, ...] = tuple(SECTION_MODULES)
ACTOR_COLUMNS = frozenset(
    {"actor", "side", "counterpart", "partner", "ally", "neighbour", "from_actor", "to_actor"}
)
"""Columns of the sections' tables that hold actor ids (see :meth:`Profile.names`)."""


@dataclass(frozen=True)
class Profile:
    """The analyses of one dyad; each part is a dataclass of Arrow tables and numbers."""

    dyad: Dyad
    timeline: timeline.Timeline
    spread: spread.Spread
    targets: targets.Targets
    influence: influence.Influence
    phases: phases.Phases
    harm: harm.Harm
    defections: defections.Defections
    hotspots: hotspots.Hotspots
    network: network.Network
    sources: tuple[dict[str, Any], ...] = ()
    """Each source read: ``source``, ``version``, ``first_date``, ``last_date`` (its coverage
    in the country), ``events`` (its events in the window) and ``batches``."""
    warnings: tuple[str, ...] = ()
    """Plain sentences on what limits the profile: coverage gaps, disagreements, thin data."""
    triangulation: triangulation.Triangulation = field(default_factory=triangulation.Triangulation)
    citations: tuple[dict[str, str], ...] = ()
    """How to cite each source read."""
    synthetic: bool = False
    """Whether any event of the dyad's country and window is synthetic
    (:func:`rivalscope.synth.is_synthetic`): every output of the profile says so."""
    is_redacted: bool = False
    """Made by :meth:`redacted`: every renderer of the profile redacts what it adds (the
    report's event notes)."""

    def redacted(self) -> Profile:
        """The same profile with names of individuals replaced by the store's pseudonyms: the
        defections' persons, and the names found in their notes (see :mod:`rivalscope.redact`)."""
        from rivalscope.redact import redactor

        records = redactor(self.dyad.store).table(self.defections.records)
        defections = replace(self.defections, records=records)
        return replace(self, defections=defections, is_redacted=True)

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain data (what ``--json`` prints): the dyad and the source read,
        ``sources``, ``warnings``, one key per section, ``triangulation`` and ``citations``."""
        d = self.dyad
        return {
            "dyad": {
                "actor": d.actor,
                "rival": d.rival,
                "actor_name": d.name(d.actor),
                "rival_name": d.name(d.rival),
                "country": d.country,
                "since": plain(d.since),
                "until": plain(d.until),
            },
            "source": d.source,
            "synthetic": self.synthetic,
            "sources": plain(list(self.sources)),
            "warnings": list(self.warnings),
            **{name: plain(getattr(self, name)) for name in SECTIONS},
            "triangulation": plain(self.triangulation),
            "citations": list(self.citations),
            "names": self.names(),
        }

    def names(self) -> dict[str, str]:
        """The display name of every actor id the profile holds (the sides, every counterpart of
        their events, allies and neighbours), by id: what people read where JSON has ids."""
        seen: set[str] = {self.dyad.actor, self.dyad.rival}
        seen.update(v for v in self.dyad.sides.column("counterpart").to_pylist() if v)
        for name in SECTIONS:
            section = getattr(self, name)
            for value in vars(section).values():
                if not isinstance(value, pa.Table):
                    continue
                for column in ACTOR_COLUMNS & set(value.column_names):
                    seen.update(v for v in value.column(column).to_pylist() if isinstance(v, str))
        known = self.dyad.names
        return {i: known[i] for i in sorted(seen) if i in known}


def profile(
    store: Store,
    actor: str,
    rival: str,
    *,
    country: str | None = None,
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
    phases_file: str | Path | None = None,
    phase_list: tuple[Phase, ...] | None = None,
    source: str | None = None,
) -> Profile:
    """Profile the rivalry between ``actor`` and ``rival`` (ids or aliases).

    Args:
        store: an open store.
        actor: the first actor (``ISKP``, ``ISIS-K``, ...).
        rival: the second actor.
        country: ISO3 or name; the analysis is limited to it when given.
        since: first date (inclusive).
        until: last date (inclusive).
        phases_file: a TOML file of ``[[phase]]`` tables; default: shipped phases for the
            country (Afghanistan: ISKP's emirs and the regime change of 2021-08-15).
        phase_list: phases given directly (instead of a file).
        source: the events read: a source (``ucdp``, ``acled``, ``text``, ...) or ``fused``
            (each real-world event once); default ``fused`` where two sources or more hold
            events in the country.
    """
    chosen: tuple[Phase, ...] | str | Path | None = (
        phase_list if phase_list is not None else (phases_file)
    )
    dyad = Dyad.of(
        store,
        actor,
        rival,
        country=country,
        since=since,
        until=until,
        phases=chosen,
        source=source,
    )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        sections = {name: module.compute(dyad) for name, module in SECTION_MODULES.items()}
    said = sourcing(dyad, sections["timeline"])
    return Profile(
        dyad=dyad,
        **sections,
        sources=said.sources,
        warnings=said.warnings,
        triangulation=said.triangulation,
        citations=said.citations,
        synthetic=is_synthetic(store, dyad.country, dyad.since, dyad.until),
    )


@dataclass(frozen=True)
class Sourcing:
    """What a profile says of its sources (the fields of :class:`Profile` of the same names)."""

    sources: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]
    triangulation: triangulation.Triangulation
    citations: tuple[dict[str, str], ...]


def sourcing(dyad: Dyad, clashes: timeline.Timeline) -> Sourcing:
    """The sources ``dyad`` reads, the warnings on them (``clashes``: its timeline, for thin
    data), the side-by-side comparison of overlapping sources and how to cite them."""
    store = dyad.store
    read = provenance.sources(
        store,
        fusion.describe(store, dyad.source or fusion.FUSED, dyad.country)["sources"],
        country=dyad.country,
        since=dyad.since,
        until=dyad.until,
    )
    windows = _windows(store, dyad)
    compared = triangulation.compute(dyad, windows)
    return Sourcing(
        sources=tuple(read),
        warnings=tuple(_warnings(dyad, read, windows, compared, clashes)),
        triangulation=compared,
        citations=tuple(provenance.citations(read)),
    )


def _windows(store: Store, dyad: Dyad) -> dict[str, tuple[dt.date, dt.date]]:
    """Each source's coverage window in the dyad's country (every source, read or not)."""
    return fusion.windows(store, fusion.stored_sources(store, dyad.country), dyad.country)


EDGE_DAYS = 31
"""A source's window ending closer than this to the profile's own is not called a gap."""

THIN_CLASHES = 10
"""Fewer clashes between the two than this, and the profile warns its figures are fragile."""


def _warnings(
    dyad: Dyad,
    read: list[dict[str, Any]],
    windows: dict[str, tuple[dt.date, dt.date]],
    compared: triangulation.Triangulation,
    clashes: timeline.Timeline,
) -> list[str]:
    place = country_name(dyad.country) if dyad.country else "the store"
    found: list[str] = []
    names = [entry["source"] for entry in read]
    spans = [windows[n] for n in names if n in windows]
    if spans:
        start = dyad.since or min(first for first, _ in spans)
        end = dyad.until or max(last for _, last in spans)
        for name in names:
            if name not in windows or name in triangulation.NOT_SYSTEMATIC:
                continue
            first, last = windows[name]
            if (first - start).days > EDGE_DAYS or (end - last).days > EDGE_DAYS:
                others = [n for n in names if n != name and n not in triangulation.NOT_SYSTEMATIC]
                rest = (
                    f"outside it the profile rests on {', '.join(o.upper() for o in others)}"
                    if others
                    else "the profile has no events outside it"
                )
                found.append(
                    f"{name.upper()} covers {place} only from {first:%Y-%m-%d} to "
                    f"{last:%Y-%m-%d}, not the profile's whole window ({start:%Y-%m-%d} to "
                    f"{end:%Y-%m-%d}); {rest}."
                )
    unread = sorted(s for s in windows if s not in names and s not in fusion.UNFUSED)
    if unread and dyad.source != fusion.FUSED:
        found.append(
            f"Only {', '.join(n.upper() for n in names)} is read; "
            f"{', '.join(u.upper() for u in unread)} also hold{'s' if len(unread) == 1 else ''} "
            f"events in {place} (read both with source fused, each event once)."
        )
    found.extend(compared.disagreements())
    total = sum(int(n or 0) for n in clashes.monthly.column("clashes").to_pylist())
    if total < THIN_CLASHES:
        found.append(
            f"Only {total} clash{'es' if total != 1 else ''} between {dyad.name(dyad.actor)} "
            f"and {dyad.name(dyad.rival)} {'are' if total != 1 else 'is'} recorded: figures and "
            "tests on their clashes are fragile."
        )
    return found
