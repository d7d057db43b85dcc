"""The dyad's working set: each event of either actor, once per side it involves, with what the
counterpart is to that side and which side the source says acted (:attr:`Dyad.sides`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rivalscope.actor_names import state_key, state_names

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from rivalscope.analysis.context import Dyad

SIDES_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("source", pa.string()),
        ("side", pa.string()),
        ("counterpart", pa.string()),
        ("relation", pa.string()),
        ("state", pa.bool_()),
        ("acted", pa.string()),
        ("event_type", pa.string()),
        ("target_type", pa.string()),
        ("date_start", pa.date32()),
        ("phase", pa.string()),
        ("country_iso3", pa.string()),
        ("admin1_code", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("geo_precision", pa.int32()),
        ("fatalities_best", pa.int64()),
        ("civilian_deaths", pa.int64()),
    ]
)
UNKNOWN_COUNTERPARTS = ("UNIDENTIFIED",)
"""Actor ids that name no one: the event's counterpart is ``unknown``."""


def sides(dyad: Dyad) -> pa.Table:
    """:attr:`rivalscope.analysis.context.Dyad.sides`."""
    t = dyad.events()
    pair = [dyad.actor, dyad.rival]
    t = t.filter(t.actor1.isin(pair) | t.actor2.isin(pair))
    halves = [_half(dyad, t, mine, theirs, pair) for mine, theirs in (("1", "2"), ("2", "1"))]
    both = ibis.union(*halves, distinct=False)
    actors = dyad.store.table("actors").select(
        k_id="actor_id", k_kind="kind", k_country="country_iso3"
    )
    joined = both.left_join(actors, both.counterpart == actors.k_id)
    rows = joined.drop("k_id").order_by(["date_start", "event_id", "side"]).to_pyarrow()
    return _classified(dyad, rows)


def _half(dyad: Dyad, t: ir.Table, mine: str, theirs: str, pair: list[str]) -> ir.Table:
    own = t.filter(t[f"actor{mine}"].isin(pair))
    acted = ibis.cases(
        (own.initiator == f"actor{mine}", "side"),
        (own.initiator == f"actor{theirs}", "other"),
        else_=ibis.null().cast("string"),
    )
    return own.select(
        event_id=own.event_id,
        source=own.source,
        side=own[f"actor{mine}"],
        counterpart=own[f"actor{theirs}"],
        acted=acted,
        event_type=own.event_type,
        target_type=own.target_type,
        date_start=own.date_start,
        phase=dyad.phase_of(own.date_start),
        country_iso3=own.country_iso3,
        admin1_code=own.admin1_code,
        latitude=own.latitude.cast("float64"),
        longitude=own.longitude.cast("float64"),
        geo_precision=own.geo_precision.cast("int32"),
        fatalities_best=own.fatalities_best.cast("int64"),
        civilian_deaths=own.civilian_deaths.cast("int64"),
    )


def governments(dyad: Dyad, countries: list[str]) -> dict[str, list[tuple[str, int, int]]]:
    """The government of the day of each country, from the registry's ``Government of X``
    aliases: per country, ``(actor_id, first day, day after the last)`` as epoch days (the
    bounds open where the alias has none)."""
    if not countries:
        return {}
    keys = {state_key(iso3): iso3 for iso3 in countries if iso3 in state_names()}
    aliases = dyad.store.table("actor_aliases")
    rows = (
        aliases.filter(aliases.alias_key.isin(list(keys)))
        .select("alias_key", "actor_id", "country_iso3", "valid_from", "valid_to")
        .to_pyarrow()
        .to_pylist()
    )
    epoch = dt.date(1970, 1, 1)
    found: dict[str, list[tuple[str, int, int]]] = {}
    for row in rows:
        iso3 = keys[row["alias_key"]]
        if row["country_iso3"] not in (None, iso3):
            continue
        start = (row["valid_from"] - epoch).days if row["valid_from"] else -(10**7)
        end = (row["valid_to"] - epoch).days if row["valid_to"] else 10**7
        found.setdefault(iso3, []).append((row["actor_id"], start, end))
    return found


def _classified(dyad: Dyad, rows: pa.Table) -> pa.Table:
    n = rows.num_rows
    side = np.array(rows["side"].to_pylist(), dtype=object)
    other = np.array(rows["counterpart"].to_pylist(), dtype=object)
    kind = np.array(rows["k_kind"].to_pylist(), dtype=object)
    home = np.array(rows["k_country"].to_pylist(), dtype=object)
    country = np.array(rows["country_iso3"].to_pylist(), dtype=object)
    target = np.array(rows["target_type"].to_pylist(), dtype=object)
    days = (
        pc.cast(rows["date_start"], pa.int32()).to_numpy(zero_copy_only=False)
        if n
        else np.empty(0, np.int32)
    )
    is_state = np.zeros(n, bool)
    present = sorted({c for c in country.tolist() if c})
    for iso3, spans in governments(dyad, present).items():
        here = country == iso3
        for actor_id, start, end in spans:
            is_state |= here & (other == actor_id) & (days >= start) & (days < end)
    rival = np.where(side == dyad.actor, dyad.rival, dyad.actor)
    nobody = np.array([v is None for v in other.tolist()], bool)
    homeless = np.array([v is None for v in home.tolist()], bool)
    unknown = nobody | np.isin(other, UNKNOWN_COUNTERPARTS) | (kind == "ambiguous")
    civilians = (kind == "civilians") | (nobody & (target == "civilians"))
    foreign = ((kind == "state") & ~homeless & (home != country)) | (kind == "international")
    relation = np.select(
        [other == rival, is_state, civilians, unknown, foreign],
        ["rival", "state", "civilians", "unknown", "foreign"],
        default="group",
    )
    columns = {name: rows[name] for name in SIDES_SCHEMA.names if name not in ("relation", "state")}
    columns["relation"] = pa.array(relation.tolist(), pa.string())
    columns["state"] = pa.array(is_state.tolist(), pa.bool_())
    return pa.table({name: columns[name] for name in SIDES_SCHEMA.names}, schema=SIDES_SCHEMA)
