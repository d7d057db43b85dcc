"""Whom each side fights: every event of each side, by what its counterpart is to it (the
rival, the state of the day, foreign forces, other groups, civilians), overall and per phase;
and, where the sources name who acted, what the side's own attacks hit.

An event counts for both of its sides, whichever the source lists first: a source's order says
who acted only where the role model says so (:mod:`rivalscope.roles`). Directional figures
(attacks a side carried out) use only events whose source names the side as the one that acted.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from rivalscope.analysis.context import Dyad
from rivalscope.roles import RELATIONS

ALL = "all"
TABLE_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("phase", pa.string()),
        ("relation", pa.string()),
        ("events", pa.int64()),
        ("share", pa.float64()),
        ("clashes", pa.int64()),
        ("attacks", pa.int64()),
        ("state_operations", pa.int64()),
        ("other", pa.int64()),
        ("acted_side", pa.int64()),
        ("acted_other", pa.int64()),
        ("acted_unknown", pa.int64()),
    ]
)
ATTACKS_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("phase", pa.string()),
        ("target_type", pa.string()),
        ("events", pa.int64()),
        ("share", pa.float64()),
    ]
)
_KINDS = {"clash": "clashes", "attack": "attacks", "state_operation": "state_operations"}
_AGAINST = {
    "state": "against the state",
    "foreign": "against foreign forces",
    "group": "against other armed groups",
    "civilians": "against civilians",
    "unknown": "with no named counterpart",
}
_TARGET_WORDS = {
    "civilians": "civilians",
    "state_security": "state security forces",
    "group_personnel": "armed groups",
    "infrastructure": "infrastructure",
    "religious_site": "religious sites",
    "foreign": "foreign targets",
    "unknown": "targets the sources do not name",
}


@dataclass(frozen=True)
class Targets:
    """Whom each side fights.

    Attributes:
        summary: one or two sentences per side.
        table: ``side`` (actor id), ``phase`` (``all`` for the whole window, then each phase
            of the dyad in order), ``relation`` (what the counterpart is to the side:
            :data:`rivalscope.roles.RELATIONS`), ``events`` (the side's events of that relation,
            on either side of the event) and ``share`` (of the side's events in the phase),
            then the same events by type (``clashes``, ``attacks``, ``state_operations``,
            ``other``) and by who acted as the sources say: ``acted_side`` (the side),
            ``acted_other`` (the counterpart), ``acted_unknown`` (the source names no one).
            Only non-zero rows, relations in :data:`~rivalscope.roles.RELATIONS` order.
        attacks: the attacks and state operations the sources name the side as carrying
            out: ``side``, ``phase``, ``target_type``, ``events``, ``share`` (of those of the
            side in the phase); the most frequent target first.
    """

    summary: str
    table: pa.Table
    attacks: pa.Table


def compute(dyad: Dyad) -> Targets:
    """Whom each side of ``dyad`` fights."""
    rows = dyad.side_rows
    phases = [ALL, *(p.name for p in dyad.phases)]
    cells: dict[tuple[str, str, str], dict[str, int]] = {}
    hits: dict[tuple[str, str, str], int] = {}
    for row in rows:
        for phase in (ALL, row["phase"]):
            if phase is None:
                continue
            cell = cells.setdefault(
                (row["side"], phase, row["relation"]),
                dict.fromkeys(TABLE_SCHEMA.names[3:], 0),
            )
            cell["events"] += 1
            cell[_KINDS.get(row["event_type"], "other")] += 1
            cell[f"acted_{row['acted'] or 'unknown'}"] += 1
            if row["acted"] == "side" and row["event_type"] in ("attack", "state_operation"):
                key = (row["side"], phase, row["target_type"] or "unknown")
                hits[key] = hits.get(key, 0) + 1
    table_rows: list[dict[str, object]] = []
    attack_rows: list[dict[str, object]] = []
    for side in (dyad.actor, dyad.rival):
        for phase in phases:
            mine = {rel: c for (s, p, rel), c in cells.items() if s == side and p == phase}
            whole = sum(c["events"] for c in mine.values())
            for relation in RELATIONS:
                if relation in mine:
                    counts = mine[relation]
                    table_rows.append(
                        {
                            "side": side,
                            "phase": phase,
                            "relation": relation,
                            **counts,
                            "share": counts["events"] / whole,
                        }
                    )
            struck = {t: n for (s, p, t), n in hits.items() if s == side and p == phase}
            total = sum(struck.values())
            for target, n in sorted(struck.items(), key=lambda kv: (-kv[1], kv[0])):
                attack_rows.append(
                    {
                        "side": side,
                        "phase": phase,
                        "target_type": target,
                        "events": n,
                        "share": n / total,
                    }
                )
    table = pa.Table.from_pylist(table_rows, schema=TABLE_SCHEMA)
    attacks = pa.Table.from_pylist(attack_rows, schema=ATTACKS_SCHEMA)
    return Targets(_summary(dyad, table, attacks), table, attacks)


def share(n: int, whole: int) -> str:
    """``n`` as a percentage of ``whole`` for running text (``<1%`` rather than ``0%``)."""
    if whole == 0:
        return "0%"
    fraction = n / whole
    if 0 < fraction < 0.005:
        return "<1%"
    if 0.995 <= fraction < 1:
        return ">99%"
    return f"{fraction:.0%}"


def listed(parts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _states(dyad: Dyad, side: str) -> str:
    """Who "the state" was in the side's fights with it: the governments of the day named."""
    seen: dict[str, int] = {}
    for row in dyad.side_rows:
        if row["side"] == side and row["relation"] == "state":
            seen[row["counterpart"]] = seen.get(row["counterpart"], 0) + 1
    ranked = sorted(seen, key=lambda k: (-seen[k], k))
    names = [dyad.name(k) for k in ranked[:2]]
    if len(ranked) > 2:
        names.append(f"{len(ranked) - 2} other government{'s' if len(ranked) > 3 else ''}")
    return listed(names)


def _summary(dyad: Dyad, table: pa.Table, attacks: pa.Table) -> str:
    sentences = []
    for side, other in ((dyad.actor, dyad.rival), (dyad.rival, dyad.actor)):
        name = dyad.name(side)
        rows = [r for r in table.to_pylist() if r["side"] == side and r["phase"] == ALL]
        whole = sum(r["events"] for r in rows)
        if not whole:
            sentences.append(f"No event of {name} is recorded in the window.")
            continue
        ranked = sorted(rows, key=lambda r: (-r["events"], RELATIONS.index(r["relation"])))
        parts = []
        for r in ranked:
            counted = f"{r['events']:,} ({share(r['events'], whole)}) "
            if r["relation"] == "rival":
                parts.append(counted + f"against {dyad.name(other)}")
            elif r["relation"] == "state":
                parts.append(counted + f"against the state ({_states(dyad, side)})")
            else:
                parts.append(counted + _AGAINST[r["relation"]])
        opening = (
            f"{name} took part in {whole:,} event{'s' if whole != 1 else ''}: {listed(parts)}."
        )
        by_side = sum(r["acted_side"] for r in rows)
        by_other = sum(r["acted_other"] for r in rows)
        unnamed = whole - by_side - by_other
        if by_side + by_other == 0:
            roles = (
                "The sources name no side as the one that acted in any of them, so none is "
                f"credited to {name} as its initiative."
            )
        else:
            who = [f"{name} in {by_side:,}"]
            if by_other:
                who.append(f"the other side in {by_other:,}")
            mine = [a for a in attacks.to_pylist() if a["side"] == side and a["phase"] == ALL]
            struck = ""
            if mine:
                top = mine[0]
                what = _TARGET_WORDS.get(top["target_type"], top["target_type"])
                done = sum(a["events"] for a in mine)
                struck = (
                    f"; every attack or operation of {name} hit {what}"
                    if len(mine) == 1
                    else f"; {share(top['events'], done)} of the attacks and operations of "
                    f"{name} hit {what}"
                )
            rest = (
                f"; in the other {unnamed:,} they name no initiator, so neither side is "
                "credited with starting them."
                if unnamed
                else "."
            )
            roles = (
                f"The sources name who acted in {by_side + by_other:,} of them: "
                f"{listed(who)}{struck}{rest}"
            )
        sentences.append(f"{opening} {roles}")
    return " ".join(sentences)
