"""What each side hits: the targets of its attacks, clashes and operations, overall and per
phase, with the rival's own people counted apart."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from rivalscope.analysis.context import Dyad

ACTING_TYPES = ("attack", "clash", "state_operation")
ALL = "all"
RIVAL = "rival"
TARGETS_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("phase", pa.string()),
        ("target_type", pa.string()),
        ("events", pa.int64()),
        ("share", pa.float64()),
    ]
)
_WORDS = {
    "civilians": "civilians",
    "state_security": "state security forces",
    "group_personnel": "other armed groups",
    "infrastructure": "infrastructure",
    "religious_site": "religious sites",
    "foreign": "foreigners",
    "unknown": "targets the sources do not name",
}


@dataclass(frozen=True)
class Targets:
    """What each side attacks.

    Attributes:
        summary: two sentences for an analyst.
        table: ``side`` (the actor id, as the side that acted), ``phase`` (``all`` for the whole
            window, then each phase of the dyad in order), ``target_type``, ``events`` and
            ``share`` (of the side's events in that phase). Counted: the events of type attack,
            clash or state_operation where the side is actor1. Events aimed at the other side
            of the dyad have ``target_type`` ``rival`` (not ``group_personnel`` or
            ``state_security``); a missing target type is ``unknown``. Only non-zero rows;
            within a side and phase the most frequent target comes first.
    """

    summary: str
    table: pa.Table


def compute(dyad: Dyad) -> Targets:
    """The targets of each side of ``dyad``."""
    t = dyad.events()
    a, r = dyad.actor, dyad.rival
    acting = t.filter(t.actor1.isin([a, r]) & t.event_type.isin(ACTING_TYPES))
    counted = (
        acting.group_by(
            side=acting.actor1,
            actor2=acting.actor2,
            phase=dyad.phase_of(acting.date_start),
            target_type=acting.target_type,
        )
        .aggregate(events=acting.count())
        .to_pyarrow()
        .to_pylist()
    )
    sums: dict[tuple[str, str, str], int] = {}
    for row in counted:
        n = int(row["events"])
        on_rival = {row["side"], row["actor2"]} == {a, r}
        target = RIVAL if on_rival else (row["target_type"] or "unknown")
        for phase in (ALL, row["phase"]):
            if phase is not None:
                key = (row["side"], phase, target)
                sums[key] = sums.get(key, 0) + n
    phase_order = {name: i for i, name in enumerate([ALL, *(p.name for p in dyad.phases)])}
    rows = []
    for side in (a, r):
        for phase in phase_order:
            cell = {tt: n for (s, p, tt), n in sums.items() if s == side and p == phase}
            whole = sum(cell.values())
            for target, n in sorted(cell.items(), key=lambda kv: (-kv[1], kv[0])):
                rows.append(
                    {
                        "side": side,
                        "phase": phase,
                        "target_type": target,
                        "events": n,
                        "share": n / whole,
                    }
                )
    table = pa.Table.from_pylist(rows, schema=TARGETS_SCHEMA)
    return Targets(_summary(dyad, table), table)


def _summary(dyad: Dyad, table: pa.Table) -> str:
    a, r = dyad.actor, dyad.rival
    overall = [row for row in table.to_pylist() if row["phase"] == ALL]
    if not overall:
        return (
            f"Neither {a} nor {r} is recorded attacking, clashing or striking as the acting side "
            f"in the window. There are no targets to describe."
        )
    sentences = []
    for side, other in ((a, r), (r, a)):
        rows = [row for row in overall if row["side"] == side]
        if not rows:
            sentences.append(f"{side} is not recorded as the acting side in the window.")
            continue
        total = sum(row["events"] for row in rows)
        top = rows[0]
        on_rival = next((row for row in rows if row["target_type"] == RIVAL), None)
        rival_part = (
            f", and {other} in {on_rival['events']} ({on_rival['share']:.0%})"
            if on_rival is not None and on_rival is not top
            else ""
        )
        what = (
            other
            if top["target_type"] == RIVAL
            else _WORDS.get(top["target_type"], top["target_type"])
        )
        sentences.append(
            f"Of {side}'s {total} attacks, clashes and operations, {top['events']} "
            f"({top['share']:.0%}) hit {what}{rival_part}."
        )
    return " ".join(sentences)
