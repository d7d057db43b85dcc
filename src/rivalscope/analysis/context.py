"""What every analysis of a dyad shares: the two actors, the window, the phases, the tables."""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from rivalscope.errors import InputError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from rivalscope.store import Store


@dataclass(frozen=True)
class Phase:
    """A named period: ``start`` inclusive, ``end`` exclusive (None: to date)."""

    name: str
    start: dt.date
    end: dt.date | None = None
    description: str = ""

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` falls in this phase."""
        return self.start <= day and (self.end is None or day < self.end)


def _parse_phases(data: dict[str, Any], origin: str) -> tuple[Phase, ...]:
    phases = []
    for number, entry in enumerate(data.get("phase", []), start=1):
        where = f"{origin}: phase #{number}"
        try:
            name = str(entry["name"])
            start = dt.date.fromisoformat(str(entry["start"]))
            end = dt.date.fromisoformat(str(entry["end"])) if entry.get("end") else None
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(
                f"{where}: needs `name` and `start` (and `end`) as YYYY-MM-DD"
            ) from exc
        if end is not None and end <= start:
            raise InputError(f"{where} ({name}): end is not after start")
        phases.append(Phase(name, start, end, str(entry.get("description", ""))))
    phases.sort(key=lambda p: p.start)
    for first, second in itertools.pairwise(phases):
        if first.end is None or first.end > second.start:
            raise InputError(f"{origin}: phases {first.name!r} and {second.name!r} overlap")
    return tuple(phases)


def load_phases(path: str | Path) -> tuple[Phase, ...]:
    """Read phases from a TOML file of ``[[phase]]`` tables (name, start, end, description).

    Raises:
        InputError: the file is unreadable, a date is malformed, or phases overlap.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read phases: {exc}") from exc
    return _parse_phases(data, str(path))


def default_phases(country: str | None) -> tuple[Phase, ...]:
    """The phases shipped for a country (Afghanistan: ISKP's emirs and 2021-08-15), else none."""
    if country != "AFG":
        return ()
    text = resources.files("rivalscope").joinpath("data/phases_afg.toml").read_text("utf-8")
    return _parse_phases(tomllib.loads(text), "phases_afg.toml")


@dataclass(frozen=True)
class Dyad:
    """The question's frame: two actors, an optional country and date window, and phases.

    Build one with :meth:`Dyad.of`; analyses read tables through its methods so every section
    sees the same window.
    """

    store: Store
    actor: str
    rival: str
    country: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    phases: tuple[Phase, ...] = field(default_factory=tuple)
    source: str | None = None
    """The events read: one source's, or ``fused`` (each real-world event once); None: every
    event that counts, whatever its source."""

    @classmethod
    def of(
        cls,
        store: Store,
        actor: str,
        rival: str,
        *,
        country: str | None = None,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        phases: tuple[Phase, ...] | str | Path | None = None,
        source: str | None = None,
    ) -> Dyad:
        """Resolve names (ids or aliases) and defaults into a :class:`Dyad`.

        ``source`` chooses the events read (:func:`rivalscope.fusion.choose`): a source's name,
        or ``fused``; default ``fused`` where two sources or more hold events.
        """
        import rivalscope.fusion as fusion
        from rivalscope.places import country_iso3

        iso3 = None
        if country is not None:
            iso3 = country_iso3(country)
            if iso3 is None:
                raise InputError(f"no country is called {country!r}")
        a, r = store.actor_id(actor), store.actor_id(rival)
        if a == r:
            raise InputError(f"{actor!r} and {rival!r} are the same actor ({a})")
        if phases is None:
            chosen = default_phases(iso3)
        elif isinstance(phases, str | Path):
            chosen = load_phases(phases)
        else:
            chosen = tuple(phases)
        return cls(
            store,
            a,
            r,
            iso3,
            _date(since, "since"),
            _date(until, "until"),
            chosen,
            fusion.choose(store, source, iso3),
        )

    def events(self) -> ir.Table:
        """Every event in the window (any actors) that counts (see :meth:`Store.counted`), from
        the dyad's source (:attr:`source`)."""
        t = self._read
        if self.country is not None:
            t = t.filter(t.country_iso3 == self.country)
        if self.since is not None:
            t = t.filter(t.date_start >= self.since)
        if self.until is not None:
            t = t.filter(t.date_start <= self.until)
        return t

    @cached_property
    def _read(self) -> ir.Table:
        """The table of the dyad's source, resolved once (the fused view asks the store which
        countries it holds)."""
        if self.source is None:
            return self.store.counted("events")
        import rivalscope.fusion as fusion

        return fusion.view(self.store, self.source, self.country)

    def between(self) -> ir.Table:
        """Events with one of the two on each side."""
        t = self.events()
        a, r = self.actor, self.rival
        return t.filter(((t.actor1 == a) & (t.actor2 == r)) | ((t.actor1 == r) & (t.actor2 == a)))

    def clashes(self) -> ir.Table:
        """Clashes between the two."""
        t = self.between()
        return t.filter(t.event_type == "clash")

    def by(self, side: str) -> ir.Table:
        """Events where ``side`` (an actor id) is actor1, the side that acted."""
        t = self.events()
        return t.filter(t.actor1 == side)

    @cached_property
    def read_sources(self) -> tuple[str, ...]:
        """The sources whose events the dyad reads (those behind ``fused``, or the one named;
        every source with events that count when :attr:`source` is None)."""
        import rivalscope.fusion as fusion

        if self.source is None:
            return tuple(fusion.stored_sources(self.store, self.country))
        return tuple(fusion.describe(self.store, self.source, self.country)["sources"])

    def coverage_edges(self) -> list[tuple[dt.date, str]]:
        """Where each source read starts and stops covering the dyad's country: its first day
        and the day after its last, with the source's name."""
        if self.source is None:
            return []
        import rivalscope.fusion as fusion

        names = fusion.describe(self.store, self.source, self.country)["sources"]
        covered = fusion.windows(self.store, names, self.country)
        edges = [(first, source) for source, (first, _) in covered.items()]
        edges += [(last + dt.timedelta(days=1), source) for source, (_, last) in covered.items()]
        return sorted(edges)

    @cached_property
    def names(self) -> dict[str, str]:
        """Every actor's display name by id (:func:`display_names`)."""
        return display_names(self.store)

    def name(self, actor_id: str | None) -> str:
        """The display name of ``actor_id`` (the id itself when the store has no such actor)."""
        if actor_id is None:
            return "unidentified"
        return self.names.get(actor_id, actor_id)

    @cached_property
    def sides(self) -> pa.Table:
        """The dyad's working set: every event in the window with either actor on either side,
        once for each of the two it involves (an event between them appears twice).

        Columns: ``event_id``, ``source``, ``side`` (the actor id), ``counterpart`` (the actor
        on the other side of the event, None when none), ``relation`` (what the counterpart is
        to the side: :data:`rivalscope.roles.RELATIONS`), ``state`` (whether the counterpart
        is the government of the day, the rival included: the Taliban from 2021-08-15),
        ``acted`` (``side`` when the source
        names the side as the one that acted, ``other`` when it names the counterpart, None
        when it names neither: :mod:`rivalscope.roles`), ``event_type``, ``target_type``,
        ``date_start``, ``phase`` (the dyad's phase of the date, None outside all),
        ``country_iso3``, ``admin1_code``, ``latitude``, ``longitude``, ``geo_precision``,
        ``fatalities_best``, ``civilian_deaths``.
        """
        from rivalscope.analysis.working_set import sides

        return sides(self)

    @cached_property
    def side_rows(self) -> list[dict[str, Any]]:
        """:attr:`sides` as a list of row dicts, made once for every section that loops."""
        return self.sides.to_pylist()

    def defections(self) -> ir.Table:
        """Defection records in the window (any groups) that count."""
        t = self.store.counted("defections")
        if self.country is not None:
            t = t.filter(t.country_iso3 == self.country)
        if self.since is not None:
            t = t.filter(t.date >= self.since)
        if self.until is not None:
            t = t.filter(t.date <= self.until)
        return t

    def provinces(self) -> pa.Table:
        """The provinces of the dyad's country (or of every country with events in the window).

        Columns: code, name, country_iso3, latitude, longitude, has_boundary, events.
        """
        return self.store.places(self.country)

    def phase_of(self, column: ir.Value) -> ir.Value:
        """An Ibis expression naming the phase a date column falls in (NULL outside all)."""
        cases = [
            ((column >= p.start) & (column < p.end) if p.end else (column >= p.start), p.name)
            for p in self.phases
        ]
        if not cases:
            return ibis.null().cast("string")
        return ibis.cases(*cases, else_=ibis.null().cast("string"))


def display_names(store: Store) -> dict[str, str]:
    """Every actor's display name by id: a registered actor's in short form
    (:func:`short_name`) unless two would read alike, an unregistered one's as its source
    wrote it."""
    actors = store.table("actors").select("actor_id", "name", "registered")
    rows = actors.to_pyarrow().to_pylist()
    short = {r["actor_id"]: short_name(r["name"]) if r["registered"] else r["name"] for r in rows}
    taken: dict[str, int] = {}
    for name in short.values():
        taken[name] = taken.get(name, 0) + 1
    full = {r["actor_id"]: r["name"] for r in rows}
    return {i: n if taken[n] == 1 else full[i] for i, n in short.items()}


def short_name(name: str) -> str:
    """A registry name as running text reads it: without a trailing parenthesis
    (``Taliban (Islamic Emirate of Afghanistan)`` -> ``Taliban``)."""
    if name.endswith(")") and " (" in name:
        head = name[: name.rindex(" (")].strip()
        if head:
            return head
    return name


def _date(value: dt.date | str | None, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{value!r} is not a YYYY-MM-DD date", parameter=name) from exc


def plain(value: Any) -> Any:
    """A JSON-ready copy: Arrow tables become lists of row dicts, dataclasses dicts, dates ISO."""
    import dataclasses
    import math

    if isinstance(value, pa.Table):
        return [plain(row) for row in value.to_pylist()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def month_start(column: ir.DateValue) -> ir.DateValue:
    """The first day of the month of a date column (an Ibis expression)."""
    return column.truncate("M")
