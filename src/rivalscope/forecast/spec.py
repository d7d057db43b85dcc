"""What a forecast is about: the actor, the outcome, the units, the horizon and the months.

:func:`resolve` turns what a user typed (aliases, ``YYYY-MM`` strings, defaults) into a
:class:`ForecastSpec` that every later step shares.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from rivalscope.errors import InputError
from rivalscope.places import country_iso3

if TYPE_CHECKING:
    from rivalscope.analysis.context import Phase
    from rivalscope.store import Store

OUTCOMES: Final = ("clash", "attack", "any")
"""``clash``: clashes between actor and rival (either side first); ``attack``: attacks the
actor carried out (actor1, event type ``attack``); ``any``: every event with the actor on
either side."""

UNITS: Final = ("admin1", "admin2")
MAX_HORIZON: Final = 6


def parse_month(value: str | dt.date, name: str) -> dt.date:
    """The first day of the month ``YYYY-MM`` (a ``YYYY-MM-DD`` date is taken to its month).

    Raises:
        InputError: the text is not a month.
    """
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = value.strip()
    try:
        if len(text) == 7:
            return dt.date.fromisoformat(f"{text}-01")
        return dt.date.fromisoformat(text).replace(day=1)
    except ValueError as exc:
        raise InputError(f"{value!r} is not a YYYY-MM month", parameter=name) from exc


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``month`` (before, when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> int:
    """How many months ``last`` lies after ``first`` (0 for the same month)."""
    return (last.year - first.year) * 12 + last.month - first.month


def month_end(month: dt.date) -> dt.date:
    """The last day of ``month``."""
    return add_months(month, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class ForecastSpec:
    """A resolved forecasting question.

    Attributes:
        actor: the actor's canonical id.
        rival: the rival's id (required for ``clash``; adds the rival's activity as features).
        outcome: one of :data:`OUTCOMES`.
        horizon: months ahead (1 = the month after the last observed one).
        unit: ``admin1`` (provinces) or ``admin2`` (districts as the sources name them).
        country: ISO3 code of the country whose units are forecast.
        since: first month of the panel (first day).
        until: last observed month (first day); forecasts are for ``until + horizon``.
        phases: named periods, one indicator feature each.
        source: the events read (:func:`rivalscope.fusion.choose`): a source's name, or
            ``fused`` (each real-world event once).
    """

    actor: str
    rival: str | None
    outcome: str
    horizon: int
    unit: str
    country: str
    since: dt.date
    until: dt.date
    phases: tuple[Phase, ...] = field(default_factory=tuple)
    source: str = "fused"
    names: dict[str, str] = field(default_factory=dict)
    """Display names of the actor and rival by id (the ids where absent)."""

    @property
    def target_month(self) -> dt.date:
        """The month a forecast made at ``until`` is for."""
        return add_months(self.until, self.horizon)

    def describe(self) -> str:
        """The outcome in words with the events read, e.g. ``attacks by Islamic State Khorasan
        Province (ucdp events)`` or ``clashes between Islamic State Khorasan Province and
        Taliban (fused events)``."""
        actor = self.names.get(self.actor, self.actor)
        rival = self.names.get(self.rival or "", self.rival)
        if self.outcome == "clash":
            words = f"clashes between {actor} and {rival}"
        elif self.outcome == "attack":
            words = f"attacks by {actor}"
        else:
            words = f"events involving {actor}"
        return f"{words} ({self.source} events)"


def resolve(
    store: Store,
    actor: str,
    *,
    rival: str | None = None,
    outcome: str = "any",
    horizon: int = 1,
    unit: str = "admin1",
    country: str | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    phases: tuple[Phase, ...] | str | Path | None = None,
    source: str | None = None,
) -> ForecastSpec:
    """Resolve names and defaults into a :class:`ForecastSpec`.

    Args:
        store: the store to read.
        actor: id or alias.
        rival: id or alias; required when ``outcome`` is ``clash``.
        outcome: ``clash``, ``attack`` or ``any``.
        horizon: 1 to 6 months ahead.
        unit: ``admin1`` or ``admin2``.
        country: ISO3 or name; default: the country with most of the actor's events.
        since: first panel month; default: the actor's first month with an event there.
        until: last observed month; default: the month of the country's latest event.
        phases: phases, a TOML file of them, or None for the country's shipped phases.
        source: the events read: a source (``ucdp``, ``acled``, ``text``, ...) or ``fused``
            (each real-world event once); default ``fused`` where two sources or more hold
            events in the country (:func:`rivalscope.fusion.choose`).

    Raises:
        InputError: an option is out of range, the source holds no events, or the store holds
            nothing to forecast.
        NotFoundError: an actor or the country is unknown.
    """
    import rivalscope.fusion as fusion
    from rivalscope.analysis.context import default_phases, display_names, load_phases

    if outcome not in OUTCOMES:
        raise InputError(f"use one of {', '.join(OUTCOMES)}, not {outcome!r}", parameter="outcome")
    if unit not in UNITS:
        raise InputError(f"use one of {', '.join(UNITS)}, not {unit!r}", parameter="unit")
    if not 1 <= horizon <= MAX_HORIZON:
        raise InputError(f"use 1 to {MAX_HORIZON} months, not {horizon}", parameter="horizon")
    actor_id = store.actor_id(actor)
    rival_id = store.actor_id(rival) if rival is not None else None
    if rival_id == actor_id:
        raise InputError(f"{actor!r} and {rival!r} are the same actor ({actor_id})")
    if outcome == "clash" and rival_id is None:
        raise InputError(
            "the outcome clash needs a rival: clashes between the actor and whom?",
            parameter="rival",
        )
    if country is not None:
        iso3 = country_iso3(country)
        if iso3 is None:
            raise InputError(f"no country is called {country!r}")
    else:
        events = store.events_expr(actor=actor_id, source=fusion.choose(store, source))
        located = events.filter(events.country_iso3.notnull())
        top = (
            located.group_by("country_iso3")
            .aggregate(n=located.count())
            .order_by([located.count().desc(), "country_iso3"])
            .limit(1)
            .to_pyarrow()
            .to_pylist()
        )
        if not top:
            raise InputError(f"the store holds no event of {actor_id} with a country")
        iso3 = str(top[0]["country_iso3"])
    chosen_source = fusion.choose(store, source, iso3)
    events = store.events_expr(actor=actor_id, source=chosen_source, country=iso3)
    in_country = events.filter(events.country_iso3 == iso3)
    first_event = in_country.date_start.min().to_pyarrow().as_py()
    if first_event is None:
        raise InputError(f"the store holds no event of {actor_id} in {iso3} ({chosen_source})")
    every = store.events_expr(country=iso3, source=chosen_source)
    latest = parse_month(every.date_start.max().to_pyarrow().as_py(), "until")
    last_month = latest if until is None else parse_month(until, "until")
    if last_month > latest:
        raise InputError(
            f"{last_month:%Y-%m} is after the last month with data in {iso3} "
            f"({latest:%Y-%m}): later months would count as quiet",
            parameter="until",
        )
    first_month = parse_month(since if since is not None else first_event, "since")
    if months_between(first_month, last_month) < 2 * horizon:
        raise InputError(
            f"the panel {first_month:%Y-%m}..{last_month:%Y-%m} is too short to learn "
            f"{horizon}-month-ahead forecasts"
        )
    if phases is None:
        chosen = default_phases(iso3)
    elif isinstance(phases, str | Path):
        chosen = load_phases(phases)
    else:
        chosen = tuple(phases)
    return ForecastSpec(
        actor=actor_id,
        rival=rival_id,
        outcome=outcome,
        horizon=horizon,
        unit=unit,
        country=iso3,
        since=first_month,
        until=last_month,
        phases=chosen,
        source=chosen_source,
        names={i: n for i, n in display_names(store).items() if i in (actor_id, rival_id)},
    )
