"""The actor registry: canonical ids, aliases, time-bounded identities and user extensions.

The registry ships as ``data/actors.toml`` (facts written by the Rivalscope developers) plus a
state actor for every country that the file does not register itself (ISO 3166-1 alpha-3 ids,
:mod:`rivalscope.actor_names`). Users extend it with a TOML file of the same shape. Names are
resolved in the store by SQL joins against the ``actor_aliases`` table on the keys of
:func:`actor_name_keys` (see :mod:`rivalscope.ingest.pipeline`), never row by row.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from rivalscope.actor_names import alias_key, government_alias, name_keys, state_key, state_names
from rivalscope.errors import RegistryError
from rivalscope.schema import ACTOR_KINDS

BUILTIN_SOURCE = "rivalscope"


@dataclass(frozen=True)
class Actor:
    """A canonical actor."""

    actor_id: str
    name: str
    kind: str
    parent: str | None = None
    country_iso3: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Alias:
    """One spelling of an actor, valid in some countries (None: anywhere) and dates.

    ``valid_to`` is exclusive: ``Government of Afghanistan`` is the Republic until 2021-08-15
    and the Taliban from that day.
    """

    alias: str
    actor_id: str
    country_iso3: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    kind: str | None = None
    source: str | None = None


@dataclass
class Registry:
    """Actors and their aliases, as read from one or more TOML files."""

    actors: dict[str, Actor] = field(default_factory=dict)
    aliases: list[Alias] = field(default_factory=list)

    def merge(self, other: Registry) -> None:
        """Add ``other``'s actors (replacing same ids) and aliases, then check the whole."""
        self.actors.update(other.actors)
        self.aliases.extend(other.aliases)
        self.validate()

    def validate(self) -> None:
        """Check references, kinds and that no two aliases of one scope overlap in time.

        Raises:
            RegistryError: naming the alias or actor at fault.
        """
        for actor in self.actors.values():
            if actor.kind not in ACTOR_KINDS:
                raise RegistryError(
                    f"actor {actor.actor_id}: kind {actor.kind!r} is not one of "
                    f"{', '.join(ACTOR_KINDS)}"
                )
        scopes: dict[tuple[str, str | None], list[Alias]] = {}
        for alias in self.aliases:
            if alias.actor_id not in self.actors:
                raise RegistryError(f"alias {alias.alias!r}: unknown actor {alias.actor_id!r}")
            if alias.valid_from and alias.valid_to and alias.valid_from >= alias.valid_to:
                raise RegistryError(f"alias {alias.alias!r}: valid_from is not before valid_to")
            scopes.setdefault((alias_key(alias.alias), alias.country_iso3), []).append(alias)
        for (key, country), group in scopes.items():
            spans = sorted(
                {
                    (a.valid_from or dt.date.min, a.valid_to or dt.date.max, a.actor_id)
                    for a in group
                }
            )
            for (_, end, first), (start, _, second) in itertools.pairwise(spans):
                if start < end and first != second:
                    where = f" in {country}" if country else ""
                    raise RegistryError(
                        f"alias {key!r}{where} means both {first} and {second} on {start}"
                    )

    def actors_table(self) -> pa.Table:
        """The ``actors`` rows as an Arrow table."""
        rows = list(self.actors.values())
        return pa.table(
            {
                "actor_id": [a.actor_id for a in rows],
                "name": [a.name for a in rows],
                "kind": [a.kind for a in rows],
                "parent": [a.parent for a in rows],
                "country_iso3": [a.country_iso3 for a in rows],
                "registered": [True] * len(rows),
                "description": [a.description for a in rows],
            }
        )

    def aliases_table(self) -> pa.Table:
        """The ``actor_aliases`` rows (without the key, which the store computes) as Arrow."""
        rows = self.aliases
        return pa.table(
            {
                "alias": [a.alias for a in rows],
                "actor_id": [a.actor_id for a in rows],
                "country_iso3": [a.country_iso3 for a in rows],
                "valid_from": pa.array([a.valid_from for a in rows], pa.date32()),
                "valid_to": pa.array([a.valid_to for a in rows], pa.date32()),
                "kind": [a.kind for a in rows],
                "source": [a.source for a in rows],
            }
        )


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise RegistryError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise RegistryError(f"{where}: expected a string or a list of strings")


def parse_registry(data: Mapping[str, Any], *, origin: str, source: str | None = None) -> Registry:
    """Build a :class:`Registry` from parsed TOML.

    Args:
        data: the parsed document with ``actor`` and ``alias`` arrays of tables.
        origin: the file name, for error messages.
        source: default ``source`` of the aliases it defines.
    """
    unknown = set(data) - {"actor", "alias"}
    if unknown:
        raise RegistryError(f"{origin}: unknown section(s) {', '.join(sorted(unknown))}")
    registry = Registry()
    for number, entry in enumerate(data.get("actor", []), start=1):
        where = f"{origin}: actor #{number}"
        try:
            actor_id = str(entry["id"]).strip()
            name = str(entry.get("name") or actor_id)
            kind = str(entry.get("kind", "armed_group"))
        except (KeyError, TypeError) as exc:
            raise RegistryError(f"{where}: needs an `id`") from exc
        if not actor_id:
            raise RegistryError(f"{where}: empty id")
        registry.actors[actor_id] = Actor(
            actor_id,
            name,
            kind,
            entry.get("parent"),
            entry.get("country"),
            entry.get("description"),
        )
        for spelling in [actor_id, name, *_str_list(entry.get("aliases"), where)]:
            registry.aliases.append(Alias(spelling, actor_id, source=source))
    for number, entry in enumerate(data.get("alias", []), start=1):
        where = f"{origin}: alias #{number}"
        try:
            spelling = str(entry["alias"])
            actor_id = str(entry["actor"])
        except (KeyError, TypeError) as exc:
            raise RegistryError(f"{where}: needs `alias` and `actor`") from exc
        countries: list[str | None] = [*_str_list(entry.get("countries"), where)] or [None]
        for country in countries:
            registry.aliases.append(
                Alias(
                    spelling,
                    actor_id,
                    country.upper() if country else None,
                    _date(entry.get("valid_from"), where),
                    _date(entry.get("valid_to"), where),
                    entry.get("kind"),
                    entry.get("source", source),
                )
            )
    registry.aliases = _unique(registry.aliases)
    return registry


def _unique(aliases: Iterable[Alias]) -> list[Alias]:
    seen: dict[tuple[Any, ...], Alias] = {}
    for alias in aliases:
        key = (
            alias_key(alias.alias),
            alias.actor_id,
            alias.country_iso3,
            alias.valid_from,
            alias.valid_to,
        )
        seen.setdefault(key, alias)
    return list(seen.values())


def load_registry_file(path: str | Path, *, source: str | None = "user") -> Registry:
    """Read a registry TOML file.

    Raises:
        RegistryError: the file is not valid TOML or breaks a rule.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read actor registry: {exc}") from exc
    registry = parse_registry(data, origin=str(path), source=source)
    return registry


def builtin_registry() -> Registry:
    """The registry that ships with Rivalscope (a fresh copy: callers may extend it)."""
    shipped = _builtin()
    return Registry(dict(shipped.actors), list(shipped.aliases))


@cache
def _builtin() -> Registry:
    text = resources.files("rivalscope").joinpath("data/actors.toml").read_text(encoding="utf-8")
    registry = parse_registry(tomllib.loads(text), origin="actors.toml", source=BUILTIN_SOURCE)
    _add_states(registry)
    registry.validate()
    return registry


def _add_states(registry: Registry) -> None:
    """Give every country a state actor, unless the registry has its own (``PAK``, ``US``, the
    Afghan regimes), and every state the alias its forces' names resolve by
    (:func:`rivalscope.actor_names.government_alias`), unless the registry has that alias
    itself (``Government of Afghanistan``, bounded by dates)."""
    states: dict[str, list[str]] = {}
    for actor in registry.actors.values():
        if actor.kind == "state" and actor.country_iso3:
            states.setdefault(actor.country_iso3, []).append(actor.actor_id)
    known = {alias_key(alias.alias) for alias in registry.aliases}
    added: list[Alias] = []
    for iso3, name in state_names().items():
        if iso3 not in states:
            actor_id = iso3 if iso3 not in registry.actors else f"{iso3}_STATE"
            registry.actors[actor_id] = Actor(actor_id, name, "state", country_iso3=iso3)
            states[iso3] = [actor_id]
            added += [
                Alias(spelling, actor_id, source=BUILTIN_SOURCE) for spelling in (actor_id, name)
            ]
        if state_key(iso3) not in known and len(states[iso3]) == 1:
            added.append(
                Alias(government_alias(iso3), states[iso3][0], kind="state", source=BUILTIN_SOURCE)
            )
    registry.aliases = _unique([*registry.aliases, *added])


def actor_name_keys(name: str) -> tuple[str, ...]:
    """The alias keys a raw actor name resolves by, the most specific first (the grammar of
    :mod:`rivalscope.actor_names`): ``Police Forces of Afghanistan (2021-) General Directorate
    of Intelligence`` is first itself, then the state of Afghanistan on the event's day."""
    return name_keys(name)


def actor_name_key(name: str) -> str:
    """The alias key of a raw actor name: the most specific of :func:`actor_name_keys`.

    Every state-forces spelling of a country keys as that country's state
    (``Military Forces of Russia (2000-)`` -> ``government of russia``); ``Civilians (Somalia)``
    keys as ``civilians`` and ``Unidentified Armed Group (Mali)`` as ``unidentified armed
    group``, so no generic actor is left unregistered for want of a country.
    """
    return name_keys(name)[0]


def name_keys_table(names: Sequence[str]) -> pa.Table:
    """``raw``, ``key`` and ``rank`` (0: most specific) of every alias key of each raw name
    (:func:`actor_name_keys`): the rows a store joins with ``actor_aliases``, taking the
    lowest rank an alias knows."""
    rows = [(name, key, rank) for name in names for rank, key in enumerate(name_keys(name))]
    return pa.table(
        {
            "raw": pa.array([r[0] for r in rows], pa.string()),
            "key": pa.array([r[1] for r in rows], pa.string()),
            "rank": pa.array([r[2] for r in rows], pa.int32()),
        }
    )
