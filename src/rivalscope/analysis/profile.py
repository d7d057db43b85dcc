"""The rivalry profile: every analysis of a dyad, as one typed result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from rivalscope.analysis import (
    defections,
    harm,
    hotspots,
    network,
    phases,
    spread,
    targets,
    timeline,
)
from rivalscope.analysis.context import Dyad, Phase, plain

if TYPE_CHECKING:
    from rivalscope.store import Store

SECTION_MODULES: dict[str, ModuleType] = {
    "timeline": timeline,
    "spread": spread,
    "targets": targets,
    "phases": phases,
    "harm": harm,
    "defections": defections,
    "hotspots": hotspots,
    "network": network,
}
"""Each section's module, in report order; its ``compute(dyad)`` makes the section."""
SECTIONS: tuple[str, ...] = tuple(SECTION_MODULES)


@dataclass(frozen=True)
class Profile:
    """The analyses of one dyad; each part is a dataclass of Arrow tables and numbers."""

    dyad: Dyad
    timeline: timeline.Timeline
    spread: spread.Spread
    targets: targets.Targets
    phases: phases.Phases
    harm: harm.Harm
    defections: defections.Defections
    hotspots: hotspots.Hotspots
    network: network.Network

    def redacted(self) -> Profile:
        """The same profile with names of individuals replaced by the store's pseudonyms."""
        from rivalscope.redact import redact_table, store_secret

        secret = store_secret(self.dyad.store)
        records = redact_table(self.defections.records, secret)
        return replace(self, defections=replace(self.defections, records=records))

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain data: one key per section (what ``--json`` prints)."""
        return {name: plain(getattr(self, name)) for name in SECTIONS}


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
    """
    chosen: tuple[Phase, ...] | str | Path | None = (
        phase_list if phase_list is not None else (phases_file)
    )
    dyad = Dyad.of(store, actor, rival, country=country, since=since, until=until, phases=chosen)
    return Profile(
        dyad=dyad, **{name: module.compute(dyad) for name, module in SECTION_MODULES.items()}
    )
