"""How datasets spell actors: the grammar of ACLED's and UCDP's actor names, and state names.

A raw name resolves by its alias keys (:func:`name_keys`), the most specific first; the store
joins each with the ``actor_aliases`` table on (key, country, date) and takes the first that an
alias knows. The grammar follows the sources' own conventions:

* ``Military Forces of <Country> (<from>-<to>) [<unit>]``, ``Police Forces of ...`` and
  ``Government of <Country> (<from>-<to>)`` (ACLED), ``Government of <Country>`` (UCDP, with
  UCDP's country names: ``Russia (Soviet Union)``, ``DR Congo (Zaire)``) all key as the state of
  that country, :func:`state_key`. Whatever period the label carries, the registry's aliases
  of that key decide who the state was on the event's day (``Government of Afghanistan`` is
  the Republic before 2021-08-15 and the Taliban from that day). A unit after the period
  (``... (2014-) Special Forces``) counts as its state unless an alias names the unit itself.
* ``Civilians (<Country>)``, ``Unidentified Armed Group (<Country>)``, ``Rioters (<Country>)``
  and ``Protesters (<Country>)`` are one generic actor each, whatever the country.
* ``<Group> - <Faction>`` (``Taliban - Red Unit``) counts as the group unless an alias names
  the faction; ``<ACRONYM>: <Name>`` (``TTP: Tehrik-i-Taliban Pakistan``) as the name (never
  as the bare acronym, which means different groups in different countries);
  ``<Name> (<Country>)``, ACLED's mark of a group's branch in one country, as the
  name (the alias's country scope then decides, e.g. ``Islamic State`` in Afghanistan).
* ``<A> and/or <B>`` is the source saying it cannot tell: it is kept whole, never split.
* ``Militia (<description>)`` is identified by its description (``Militia (Pro-Government)``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Final

import pycountry

from rivalscope.places import country_iso3

_READABLE_NAMES: Final = {
    "BES": "Caribbean Netherlands",
    "BRN": "Brunei",
    "CCK": "Cocos Islands",
    "COD": "Democratic Republic of the Congo",
    "COG": "Republic of the Congo",
    "FLK": "Falkland Islands",
    "FSM": "Micronesia",
    "MAF": "Saint Martin",
    "PSE": "Palestine",
    "RUS": "Russia",
    "SHN": "Saint Helena",
    "SXM": "Sint Maarten",
    "VAT": "Vatican City",
    "VGB": "British Virgin Islands",
    "VIR": "United States Virgin Islands",
}
"""Display names where ISO 3166-1's short name is a formal or inverted one."""

_NOT_IN_ISO: Final = {"XKX": "Kosovo"}
"""Countries that ISO 3166-1 does not list, with the user-assigned code sources use."""

_GENERIC: Final = re.compile(r"^(civilians|unidentified armed group|rioters|protesters) \(.*\)$")
_STATE: Final = re.compile(
    r"^(?:(?:military|police) forces|government) of (?P<country>.+?)"
    r"(?: \((?P<start>\d{4})-(?P<end>\d{4})?\)(?: (?P<unit>.+))?)?$"
)
_ACRONYM: Final = re.compile(r"^[^:\s][^:]{0,19}: (?P<name>.+)$")
_BRANCH: Final = re.compile(r"^(?P<name>.+) \((?P<country>[^()]+)\)$")
_FACTION: Final = " - "
_AMBIGUOUS: Final = " and/or "


def alias_key(name: str) -> str:
    """The lookup key of a name in Python; the store uses the same rule in SQL (``rs_key``)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def name_keys(name: str) -> tuple[str, ...]:
    """The alias keys a raw actor name resolves by, the most specific first.

    ``Military Forces of Russia (2000-)`` -> ``("government of russia",)``;
    ``Taliban - Red Unit`` -> ``("taliban - red unit", "taliban")``.
    """
    keys: list[str] = []
    for key in _keys(alias_key(name)):
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def _keys(key: str) -> list[str]:
    if _AMBIGUOUS in key:
        return [key]
    generic = _GENERIC.match(key)
    if generic:
        return [generic.group(1)]
    state = _STATE.match(key)
    iso3 = _country(state.group("country")) if state else None
    if state and iso3 is not None:
        return [key, state_key(iso3)] if state.group("unit") else [state_key(iso3)]
    acronym = _ACRONYM.match(key)
    if acronym:
        return [key, *_keys(acronym.group("name"))]
    if _FACTION in key:
        return [key, *_keys(key.split(_FACTION, 1)[0])]
    branch = _BRANCH.match(key)
    if branch and _country(branch.group("country")):
        return [key, *_keys(branch.group("name"))]
    return [key]


def _country(text: str) -> str | None:
    """The ISO3 code of a country as a source writes it (``the United States``, ``DR Congo
    (Zaire)``), or None."""
    found = country_iso3(text)
    if found is None and text.startswith("the "):
        found = country_iso3(text[4:])
    return found if found in state_names() else None


@cache
def state_names() -> dict[str, str]:
    """Every country's ISO 3166-1 alpha-3 code and the name people read for its state."""
    names = {
        country.alpha_3: _READABLE_NAMES.get(country.alpha_3)
        or getattr(country, "common_name", None)
        or country.name
        for country in pycountry.countries
    }
    names.update(_NOT_IN_ISO)
    return names


def government_alias(iso3: str) -> str:
    """The spelling every state-forces name of a country resolves by: ``Government of X``."""
    return f"Government of {state_names()[iso3]}"


def state_key(iso3: str) -> str:
    """The alias key of :func:`government_alias`."""
    return alias_key(government_alias(iso3))
