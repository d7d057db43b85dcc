"""Actor names for the coder: the registry's aliases, resolved by country and date.

The registry (``data/actors.toml``, or a store's ``actor_aliases`` with the user's additions)
says which spellings mean whom, where and when. The coder adds no names of its own: plain force
nouns (``police``, ``soldiers``, ``security forces``) mean the country's government on the
event's day, found through the registry's own ``Government of <country>`` alias, so after
2021-08-15 Afghan ``police`` are the Taliban's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import rivalscope.actors as registry_module
import rivalscope.places as gazetteer

if TYPE_CHECKING:
    from rivalscope.store import Store

_ACRONYM: Final = re.compile(r"^[A-Z][A-Za-z.\-]{0,6}$")
_SKIP: Final = re.compile(r"\(\d{4}-(?:\d{4})?\)|:")
CASE_SENSITIVE_MAX: Final = 6
STATE_KINDS: Final = frozenset({"state", "international"})
ARMED_KINDS: Final = frozenset({"state", "international", "armed_group", "ambiguous", "other"})


@dataclass(frozen=True)
class AliasEntry:
    """One registry alias: whom the spelling means, where and when (``valid_to`` exclusive)."""

    actor_id: str
    country_iso3: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    kind: str | None


@dataclass
class ActorNames:
    """Every alias by key, the actors' kinds, and the spellings the matcher looks for."""

    by_key: dict[str, list[AliasEntry]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)
    """spelling as written in the registry -> alias key."""
    countries: dict[str, str] = field(default_factory=dict)
    """actor id -> the country a state actor is the state of."""
    _governments: dict[tuple[str, dt.date | None], str | None] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def from_rows(
        cls,
        aliases: Iterable[tuple[str, str, str | None, dt.date | None, dt.date | None, str | None]],
        kinds: dict[str, str],
        countries: dict[str, str] | None = None,
    ) -> ActorNames:
        """Build from ``(alias, actor_id, country_iso3, valid_from, valid_to, kind)`` rows."""
        names = cls(kinds=dict(kinds), countries=dict(countries or {}))
        for alias, actor_id, country, valid_from, valid_to, kind in aliases:
            key = registry_module.alias_key(alias)
            names.by_key.setdefault(key, []).append(
                AliasEntry(actor_id, country, valid_from, valid_to, kind)
            )
            if not _SKIP.search(alias) and len(key) > 1:
                names.spellings.setdefault(alias, key)
        return names

    @classmethod
    def builtin(cls) -> ActorNames:
        """The registry that ships with Rivalscope."""
        registry = registry_module.builtin_registry()
        return cls.from_rows(
            (
                (a.alias, a.actor_id, a.country_iso3, a.valid_from, a.valid_to, a.kind)
                for a in registry.aliases
            ),
            {actor.actor_id: actor.kind for actor in registry.actors.values()},
            {
                actor.actor_id: actor.country_iso3
                for actor in registry.actors.values()
                if actor.country_iso3
            },
        )

    @classmethod
    def from_store(cls, store: Store) -> ActorNames:
        """The store's registry, with the aliases a user loaded."""
        actors = (
            store.table("actors")
            .select("actor_id", "kind", "country_iso3")
            .to_pyarrow()
            .to_pylist()
        )
        aliases = (
            store.table("actor_aliases")
            .select("alias", "actor_id", "country_iso3", "valid_from", "valid_to", "kind")
            .to_pyarrow()
            .to_pylist()
        )
        return cls.from_rows(
            (
                (
                    a["alias"],
                    a["actor_id"],
                    a["country_iso3"],
                    a["valid_from"],
                    a["valid_to"],
                    a["kind"],
                )
                for a in aliases
            ),
            {a["actor_id"]: a["kind"] for a in actors},
            {a["actor_id"]: a["country_iso3"] for a in actors if a["country_iso3"] is not None},
        )

    def case_sensitive(self, spelling: str) -> bool:
        """Short acronyms (``IS``, ``US``, ``ANA``, ``JuA``) match only as written."""
        return (
            len(spelling) <= CASE_SENSITIVE_MAX
            and bool(_ACRONYM.match(spelling))
            and (sum(ch.isupper() for ch in spelling) >= 2)
        )

    def resolve(self, key: str, country: str | None, date: dt.date | None) -> AliasEntry | None:
        """The alias that ``key`` means in ``country`` on ``date``, like the store's join:
        country-specific before anywhere, the latest ``valid_from`` first. Without a date only
        aliases valid at all times count."""
        entries = self.by_key.get(key)
        if not entries:
            return None
        usable = [
            e
            for e in entries
            if (e.country_iso3 is None or e.country_iso3 == country)
            and (
                (e.valid_from is None and e.valid_to is None)
                if date is None
                else (e.valid_from is None or date >= e.valid_from)
                and (e.valid_to is None or date < e.valid_to)
            )
        ]
        if not usable:
            return None
        usable.sort(
            key=lambda e: (
                e.country_iso3 is None,
                -(e.valid_from.toordinal() if e.valid_from else 0),
            )
        )
        return usable[0]

    def government(self, country: str | None, date: dt.date | None) -> str | None:
        """The actor that governs ``country`` on ``date`` (its ``Government of ...`` alias)."""
        if country is None:
            return None
        key = (country, date)
        if key not in self._governments:
            self._governments[key] = self._government(country, date)
        return self._governments[key]

    def _government(self, country: str, date: dt.date | None) -> str | None:
        name = gazetteer.country_name(country)
        for spelling in (f"Government of {name}", f"Government of the {name}"):
            entry = self.resolve(registry_module.alias_key(spelling), country, date)
            if entry is not None:
                return entry.actor_id
        states = [
            actor
            for actor, iso3 in self.countries.items()
            if iso3 == country and self.kinds.get(actor) == "state"
        ]
        return states[0] if len(states) == 1 else None

    def kind(self, actor_id: str | None) -> str | None:
        """The registry kind of an actor (``state``, ``armed_group``, ...)."""
        return self.kinds.get(actor_id) if actor_id else None

    def is_state(self, actor_id: str | None, country: str | None, date: dt.date | None) -> bool:
        """Whether the actor acts as a state on that day: a state or coalition, or the group
        that governs the country (the Taliban after 2021-08-15)."""
        if actor_id is None:
            return False
        if self.kinds.get(actor_id) in STATE_KINDS:
            return True
        return actor_id == self.government(country, date)
