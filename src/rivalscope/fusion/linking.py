"""Linking records of one real-world event across sources.

Two records are *candidates* when they come from different sources and:

* they fall in the same country;
* their date ranges lie within ``days`` days of each other;
* their places agree: both points precise (:func:`precise_point_sql`) and within ``km``
  kilometres, or, when either point stands only for a district or province, the same province;
* they share an identified actor (civilians and unidentified or ambiguous groups do not count);
* their types are compatible: violent types (clash, attack, state operation, prison break) with
  one another, any other type only with itself.

Each candidate pair gets a score in [0, 1] (closer in time and place, more actors and the same
type score higher). Records are then matched one to one per pair of sources, best score first
(a greedy maximum-weight matching; ties broken by event id, so the result is deterministic), and
the matched pairs are joined into clusters. Each cluster is one real-world event.

The defaults (``days=2``, ``km=25``) scored the best F1 (88.2%, against 68.5% for "same day,
within 10 km, a shared actor") in ``benchmarks/linkage.py --sweep`` on a SYNTHETIC world
reported by both layouts with misses, shifted dates and places and split events (docs/sources.md
has the table); 25 km is also UCDP's ``where_prec`` 2 ("within 25 km").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.precision import precise_point_sql

if TYPE_CHECKING:
    from rivalscope.store.base import Store

VIOLENT_TYPES: tuple[str, ...] = ("clash", "attack", "state_operation", "prison_break")
"""Event types that may describe the same violent event in two sources' typologies."""

ANONYMOUS_KINDS: tuple[str, ...] = ("civilians", "ambiguous")
ANONYMOUS_ACTORS: tuple[str, ...] = ("UNIDENTIFIED",)
"""Actors that say nothing about who fought: sharing one is no evidence of one event."""

LONGEST_SPAN = 31
"""Records dated no finer than a span longer than this many days are never linked: the date
cannot tell them from the other events of their month."""

_SETTINGS_KEY = "link_settings"


@dataclass(frozen=True)
class LinkSettings:
    """How close two records must be to describe one event.

    Attributes:
        days: the most days between their date ranges.
        km: the most kilometres between two precise points.
    """

    days: int = 2
    km: float = 25.0

    def __post_init__(self) -> None:
        if not 0 <= self.days <= 30:
            raise InputError(f"link window of {self.days} days: use 0 to 30", parameter="days")
        if not 0 < self.km <= 500:
            raise InputError(
                f"link distance of {self.km} km: use more than 0, at most 500", parameter="km"
            )


def place_rank_sql(source: str, precision: str, latitude: str) -> str:
    """SQL ranking how finely a record places its event: 0 a point, 1 a district, 2 a province,
    3 a country or nothing (UCDP's 1-7 and ACLED's 1-3 scales on one scale)."""
    return (
        f"CASE WHEN {latitude} IS NULL THEN 3 "
        f"WHEN {precise_point_sql(source, precision, latitude)} THEN 0 "
        f"WHEN {source} = 'ucdp' THEN CASE WHEN {precision} = 3 THEN 1 "
        f"WHEN {precision} = 4 THEN 2 ELSE 3 END "
        f"WHEN {precision} = 3 THEN 2 ELSE 1 END"
    )


def stored_settings(store: Store) -> LinkSettings:
    """The settings the store links with (those last given to :func:`link`, else defaults)."""
    text = store.meta(_SETTINGS_KEY)
    if not text:
        return LinkSettings()
    values = json.loads(text)
    return LinkSettings(days=int(values["days"]), km=float(values["km"]))


COUNTED = """NOT EXISTS (SELECT 1 FROM reviews r WHERE r.item_kind = 'event'
                  AND r.item_id = e.event_id AND r.status <> 'accepted')"""
"""SQL true for an event ``e`` that counts (see :meth:`Store.counted`)."""

_EVENTS = f"""SELECT e.event_id, e.source, e.source_id, e.country_iso3, e.date_start,
       coalesce(e.date_end, e.date_start) AS date_end, e.event_type, e.actor1, e.actor2,
       e.assoc_actors, e.assoc_actors2, e.admin1_code, e.latitude, e.longitude, e.geo_precision
FROM events e
WHERE e.country_iso3 = ? AND e.date_start IS NOT NULL AND {COUNTED}"""

_CANDIDATES = """
WITH e AS (
  SELECT *, {precise} AS precise, date_diff('day', date_start, date_end) AS span,
         list_filter(list_distinct(list_concat([actor1, actor2], coalesce(assoc_actors, []),
                                               coalesce(assoc_actors2, []))),
                     x -> x IS NOT NULL AND NOT list_contains(?, x)) AS who
  FROM {events}
),
near AS (
  SELECT event_id, source, date_start + CAST(k AS INTEGER) AS day
  FROM (SELECT event_id, source, date_start, unnest(range(-{days}, span + {days} + 1)) AS k
        FROM e WHERE span <= {longest} AND len(who) > 0)
),
spans AS (
  SELECT event_id, source, date_start + CAST(k AS INTEGER) AS day
  FROM (SELECT event_id, source, date_start, unnest(range(0, span + 1)) AS k
        FROM e WHERE span <= {longest} AND len(who) > 0)
),
pairs AS (
  SELECT DISTINCT n.event_id AS a_id, s.event_id AS b_id
  FROM near n JOIN spans s ON s.day = n.day AND n.source < s.source
)
SELECT a.event_id AS a_id, b.event_id AS b_id, a.source AS a_source, b.source AS b_source,
       greatest(0, date_diff('day', a.date_end, b.date_start),
                date_diff('day', b.date_end, a.date_start)) AS days,
       CASE WHEN a.precise AND b.precise THEN 2 * 6371.0088 * asin(sqrt(
            pow(sin(radians(b.latitude - a.latitude) / 2), 2) +
            cos(radians(a.latitude)) * cos(radians(b.latitude)) *
            pow(sin(radians(b.longitude - a.longitude) / 2), 2))) END AS km,
       len(list_intersect(a.who, b.who)) AS shared,
       a.event_type = b.event_type AS same_type,
       coalesce(a.admin1_code = b.admin1_code, false) AS same_province
FROM pairs p JOIN e a ON a.event_id = p.a_id JOIN e b ON b.event_id = p.b_id
WHERE len(list_intersect(a.who, b.who)) > 0
  AND (a.event_type = b.event_type
       OR (list_contains(?, a.event_type) AND list_contains(?, b.event_type)))
"""


def candidates(
    store: Store, events: pa.Table, settings: LinkSettings, anonymous: Sequence[str]
) -> pa.Table:
    """Scored candidate pairs among ``events`` (one country's), best first."""
    con = store.staging
    name = f"rs_link_events_{id(events):x}"
    con.register(name, events)
    try:
        query = _CANDIDATES.format(
            precise=precise_point_sql("source", "geo_precision", "latitude"),
            events=name,
            days=int(settings.days),
            longest=LONGEST_SPAN,
        )
        pairs = con.execute(
            f"""SELECT *, round(0.35 * (1 - days / ({settings.days} + 1.0))
                     + 0.30 * coalesce(1 - km / {float(settings.km)}, 0.5)
                     + 0.25 * least(shared, 2) / 2.0
                     + 0.10 * CASE WHEN same_type THEN 1 ELSE 0.5 END, 6) AS score
               FROM ({query}) AS c
               WHERE c.km <= {float(settings.km)} OR (c.km IS NULL AND c.same_province)
               ORDER BY score DESC, a_id, b_id""",
            [list(anonymous), list(VIOLENT_TYPES), list(VIOLENT_TYPES)],
        ).to_arrow_table()
    finally:
        con.unregister(name)
    return pairs


def match(pairs: pa.Table) -> list[tuple[str, str, float]]:
    """Greedy one-to-one matching per pair of sources over candidates sorted best first."""
    taken: set[tuple[str, str]] = set()
    matched = []
    columns = [pairs.column(c).to_pylist() for c in ("a_id", "b_id", "a_source", "b_source")]
    scores = pairs.column("score").to_pylist()
    for a_id, b_id, a_source, b_source, score in zip(*columns, scores, strict=True):
        if (a_id, b_source) in taken or (b_id, a_source) in taken:
            continue
        taken.add((a_id, b_source))
        taken.add((b_id, a_source))
        matched.append((a_id, b_id, float(score)))
    return matched


def clusters(matched: Iterable[tuple[str, str, float]]) -> dict[str, tuple[str, float]]:
    """Each linked event id with its cluster id (the smallest event id of its cluster) and the
    best score that tied it in."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best: dict[str, float] = {}
    for a, b, score in matched:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
        best[a] = max(best.get(a, 0.0), score)
        best[b] = max(best.get(b, 0.0), score)
    return {x: (root(x), best[x]) for x in parent}


def to_json(settings: LinkSettings) -> str:
    """The settings as the store's ``meta`` records them."""
    return json.dumps(asdict(settings), sort_keys=True)


def anonymous_actors(store: Store) -> list[str]:
    """Actor ids that do not identify who fought (see :data:`ANONYMOUS_KINDS`)."""
    kinds = ", ".join("?" for _ in ANONYMOUS_KINDS)
    rows = store.query(f"SELECT actor_id FROM actors WHERE kind IN ({kinds})", ANONYMOUS_KINDS)
    return sorted({*rows.column(0).to_pylist(), *ANONYMOUS_ACTORS})


def country_events(store: Store, country: str, unfused: Sequence[str] = ()) -> pa.Table:
    """The events of ``country`` that count, in the columns linking reads (``unfused``
    sources left out)."""
    return store.query(f"{_EVENTS} AND NOT e.source = ANY(?)", [country, list(unfused)])


def link_country(
    store: Store,
    country: str,
    settings: LinkSettings,
    anonymous: Sequence[str],
    unfused: Sequence[str] = (),
) -> tuple[pa.Table, dict[str, tuple[str, float]]]:
    """Link one country's events: its events and each linked event's cluster."""
    events = country_events(store, country, unfused)
    if events.num_rows == 0 or len(set(events.column("source").to_pylist())) < 2:
        return events, {}
    pairs = candidates(store, events, settings, anonymous)
    return events, clusters(match(pairs))


__all__ = [
    "ANONYMOUS_ACTORS",
    "ANONYMOUS_KINDS",
    "COUNTED",
    "VIOLENT_TYPES",
    "LinkSettings",
    "anonymous_actors",
    "candidates",
    "clusters",
    "country_events",
    "link_country",
    "match",
    "place_rank_sql",
    "precise_point_sql",
    "stored_settings",
    "to_json",
]
