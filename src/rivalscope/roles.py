"""The role model: which side of an event acted, as far as its source says.

A source lists an event's two sides in some order, but the order does not always mean "the
first side attacked". Each event records in ``initiator`` the side its source names as the one
that acted (``actor1``), or NULL when the source does not say. Every analysis treats the two
sides of a NULL event alike: it is each side's event, and neither side started it.

Per source:

* **UCDP GED**: one-sided violence (``type_of_violence`` 3) names the perpetrator as
  ``side_a``: the initiator is ``actor1``. State-based (1) and non-state (2) conflict list the
  government (or the lower-numbered group) first whoever attacked: no initiator.
* **ACLED**: ``Violence against civilians`` (actor 1 the perpetrator) and ``Explosions/Remote
  violence`` (actor 1 the side that fired, dropped or detonated): ``actor1``. ``Battles`` record
  two sides fighting and no attacker; protests, riots and strategic developments are not
  fighting between armed sides: no initiator.
* **Coded text** (``text``) and **simulated runs** (``sim``): the coder and the simulator write
  the perpetrator of an ``attack`` and the state of a ``state_operation`` as actor 1:
  ``actor1``; clashes and everything else: no initiator.
* Any other source: as coded text, unless its rows carry ``initiator`` themselves.
* Every source: an influence activity (propaganda, proselytization, extortion, governance,
  recruitment: :data:`rivalscope.schema.INFLUENCE_TYPES`) is the work of its actor 1:
  ``actor1``.

The rule reads only canonical columns, so it is applied alike when a file is ingested, when
code writes rows and when an older store is migrated.
"""

from __future__ import annotations

from typing import Final

INITIATORS: Final = ("actor1", "actor2")
"""Values of ``events.initiator`` (NULL: the source names no initiator)."""

ACLED_DIRECTED: Final = ("Violence against civilians", "Explosions/Remote violence")
"""ACLED event types whose actor 1 is the side that acted."""
UCDP_DIRECTED: Final = ("one-sided",)
"""UCDP violence types (as stored in ``source_event_type``) whose side_a is the perpetrator."""
CODED_DIRECTED: Final = ("attack", "state_operation")
"""Event types whose actor 1 acted, in sources that code events themselves (text, sim)."""
INFLUENCE_DIRECTED: Final = (
    "propaganda",
    "proselytization",
    "extortion",
    "governance",
    "recruitment",
)
"""Event types whose actor 1 acted, in every source (the influence types of the schema)."""


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def initiator_sql(source: str, source_event_type: str, event_type: str) -> str:
    """SQL giving an event's ``initiator`` by the rule above, from its source's name, its
    source's own event type and its canonical event type (SQL expressions)."""
    return (
        f"CASE WHEN {event_type} IN ({_quoted(INFLUENCE_DIRECTED)}) THEN 'actor1' "
        f"WHEN {source} = 'ucdp' THEN CASE WHEN {source_event_type} IN "
        f"({_quoted(UCDP_DIRECTED)}) THEN 'actor1' END "
        f"WHEN {source} = 'acled' THEN CASE WHEN {source_event_type} IN "
        f"({_quoted(ACLED_DIRECTED)}) THEN 'actor1' END "
        f"WHEN {event_type} IN ({_quoted(CODED_DIRECTED)}) THEN 'actor1' END"
    )


RELATIONS: Final = ("rival", "state", "foreign", "group", "civilians", "unknown")
"""Who an event puts a side against (its counterpart):

* ``rival``: the other side of the dyad;
* ``state``: the government of the day in the event's country (registry aliases bounded by
  dates: in Afghanistan the Republic until 2021-08-15 and the Taliban from that day);
* ``foreign``: another country's state forces or an international force;
* ``group``: any other armed group (registered or not) or a state actor out of its time;
* ``civilians``: civilians;
* ``unknown``: no counterpart, an unidentified one, or an attribution the source could not make.
"""

RELATION_WORDS: Final = {
    "rival": "the rival",
    "state": "the state",
    "foreign": "foreign forces",
    "group": "other armed groups",
    "civilians": "civilians",
    "unknown": "unidentified or no counterparts",
}
