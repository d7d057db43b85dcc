"""A run as the canonical event stream (source ``sim``), so every analysis runs on simulated worlds.

Each province-month's counts become events: clashes (ISKP against the Taliban), ISKP attacks on
the Taliban and on civilians, killings of informants exposed by leaks, US strikes (state
operations against ISKP) and prison breaks. A month's deaths of one kind are spread over that
month's events of the kind at random, so the events' fatalities add up to the run's series
exactly. Defections become one record per province, month and direction with the number of
fighters; displacement becomes one row per province and month. Days, coordinates (the province's
centre, jittered) and the split of deaths are drawn from a generator seeded by the run's seed,
so writing the same run twice writes the same rows (and the store counts them as unchanged).
"""

from __future__ import annotations

import calendar
import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa

from rivalscope.places import AFGHAN_PROVINCES
from rivalscope.simulate.model import PROVINCES, RunResult

if TYPE_CHECKING:
    from rivalscope.store import IngestResult, Store

SOURCE: Final = "sim"
COUNTRY: Final = "AFG"
_CENTRES: Final = np.array([(p.latitude, p.longitude) for p in AFGHAN_PROVINCES])
_NAMES: Final = [p.name for p in AFGHAN_PROVINCES]
_JITTER_DEGREES: Final = 0.12


@dataclass(frozen=True)
class _Kind:
    """One kind of simulated event."""

    name: str
    event_type: str
    target_type: str
    note: str


_CLASH = _Kind("clash", "clash", "group_personnel", "clash between ISKP and the Taliban")
_ON_TALIBAN = _Kind("attack_on_taliban", "attack", "state_security", "ISKP attack on the Taliban")
_ON_CIVILIANS = _Kind("attack_on_civilians", "attack", "civilians", "ISKP attack on civilians")
_ON_RELIGIOUS = _Kind(
    "attack_on_religious_site", "attack", "religious_site", "ISKP attack on a religious site"
)
_INFORMANT = _Kind(
    "informant_killing", "attack", "civilians", "informant exposed by leaked intelligence, killed"
)
_STRIKE = _Kind("us_strike", "state_operation", "group_personnel", "US strike on ISKP")
_PRISON = _Kind("prison_break", "prison_break", "infrastructure", "prison break freeing ISKP")


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells with events, repeated once per event.

    Returns:
        month and province of each event, the index of its cell's first event, and the number
        of events in its cell.
    """
    months, provinces = np.nonzero(counts)
    n = counts[months, provinces].astype(np.int64)
    first = np.cumsum(n) - n
    return (
        np.repeat(months, n),
        np.repeat(provinces, n),
        np.repeat(first, n),
        np.repeat(n, n),
    )


def _spread(deaths: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Deaths per event: each cell's deaths fall on its events uniformly at random."""
    months, provinces = np.nonzero(counts)
    n = counts[months, provinces].astype(np.int64)
    d = deaths[months, provinces].astype(np.int64)
    first = np.cumsum(n) - n
    picks = np.repeat(first, d) + np.floor(rng.random(int(d.sum())) * np.repeat(n, d)).astype(
        np.int64
    )
    return np.bincount(picks, minlength=int(n.sum())).astype(np.int64)


def _rows(
    run: RunResult,
    kind: _Kind,
    counts: np.ndarray,
    fatalities: np.ndarray,
    civilians: np.ndarray,
    actor1: np.ndarray,
    actor2: str,
    notes: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    months, provinces, _, _ = _expand(counts)
    return {
        "month": months,
        "province": provinces,
        "kind": np.full(len(months), kind.name, dtype=object),
        "event_type": np.full(len(months), kind.event_type, dtype=object),
        "target_type": np.full(len(months), kind.target_type, dtype=object),
        "actor1": actor1,
        "actor2": np.full(len(months), actor2, dtype=object),
        "fatalities": fatalities,
        "civilians": civilians,
        "notes": notes
        if notes is not None
        else np.full(len(months), f"SIMULATED: {kind.note} (run {run.label})", dtype=object),
    }


def events_table(run: RunResult) -> pa.Table:
    """The run's events in the canonical schema (``event_id`` = ``sim:<run>:<n>``)."""
    rng = np.random.default_rng([run.seed, 0x5E])
    s = run.series
    parts = []
    # clashes: who started it follows the province's crackdown
    counts = s["clashes"]
    months, provinces, _, _ = _expand(counts)
    crackdown = np.asarray(run.policy.crackdown)[provinces]
    taliban_first = rng.random(len(months)) < 0.3 + 0.4 * crackdown
    deaths = _spread(s["clash_deaths"], counts, rng)
    parts.append(
        _rows(
            run,
            _CLASH,
            counts,
            deaths,
            np.zeros(len(months), np.int64),
            np.where(taliban_first, "TALIBAN", "ISKP").astype(object),
            "",
        )
    )
    parts[-1]["actor2"] = np.where(taliban_first, "ISKP", "TALIBAN").astype(object)
    # attacks on the Taliban
    counts = s["attacks_on_taliban"]
    deaths = _spread(s["attack_deaths_taliban"], counts, rng)
    n = int(counts.sum())
    parts.append(
        _rows(run, _ON_TALIBAN, counts, deaths, np.zeros(n, np.int64), _ids("ISKP", n), "TALIBAN")
    )
    # attacks on civilians: religious sites first within each cell, then other targets
    religious = s["attacks_on_religious_sites"]
    others = s["attacks"] - s["attacks_on_taliban"] - religious
    on_civilians = religious + others
    deaths = _spread(s["attack_civilian_deaths"], on_civilians, rng)
    months, provinces, first, _ = _expand(on_civilians)
    local = np.arange(len(months)) - first
    at_site = local < religious[months, provinces]
    n = len(months)
    rows = _rows(run, _ON_CIVILIANS, on_civilians, deaths, deaths, _ids("ISKP", n), "CIVILIANS")
    rows["kind"] = np.where(at_site, _ON_RELIGIOUS.name, _ON_CIVILIANS.name).astype(object)
    rows["target_type"] = np.where(at_site, "religious_site", "civilians").astype(object)
    rows["notes"] = np.where(
        at_site,
        f"SIMULATED: {_ON_RELIGIOUS.note} (run {run.label})",
        f"SIMULATED: {_ON_CIVILIANS.note} (run {run.label})",
    ).astype(object)
    parts.append(rows)
    # informants killed after leaks: one death each
    counts = s["informants_killed"]
    n = int(counts.sum())
    ones = np.ones(n, np.int64)
    parts.append(_rows(run, _INFORMANT, counts, ones, ones, _ids("ISKP", n), "CIVILIANS"))
    # US strikes: fighters killed fall on strikes that hit, civilians on strikes in error
    parts.append(_strikes(run, rng))
    # prison breaks
    counts = s["prison_breaks"]
    months, provinces, _, _ = _expand(counts)
    released = s["released"][months, provinces]
    n = len(months)
    notes = np.array(
        [f"SIMULATED: {_PRISON.note}: {r} prisoners released (run {run.label})" for r in released],
        dtype=object,
    )
    parts.append(
        _rows(run, _PRISON, counts, np.zeros(n, np.int64), np.zeros(n, np.int64), _ids("ISKP", n),
              "TALIBAN", notes)
    )  # fmt: skip
    return _table(run, parts, rng)


def _ids(actor: str, n: int) -> np.ndarray:
    return np.full(n, actor, dtype=object)


def _strikes(run: RunResult, rng: np.random.Generator) -> dict[str, np.ndarray]:
    s = run.series
    counts = s["strikes"]
    cell_months, cell_provinces = np.nonzero(counts)
    sizes = counts[cell_months, cell_provinces].astype(np.int64)
    starts = np.cumsum(sizes) - sizes
    n = int(sizes.sum())
    fighters = np.zeros(n, np.int64)
    civilians = np.zeros(n, np.int64)
    for m, p, start, k in zip(cell_months, cell_provinces, starts, sizes, strict=True):
        hits = start + rng.permutation(k)[: int(s["strike_hits"][m, p])]
        errors = start + rng.permutation(k)[: int(s["strike_errors"][m, p])]
        for chosen, total, out in (
            (hits, int(s["strike_deaths"][m, p]), fighters),
            (errors, int(s["strike_civilian_deaths"][m, p]), civilians),
        ):
            if total and len(chosen):
                out[chosen] += np.bincount(
                    rng.integers(0, len(chosen), total), minlength=len(chosen)
                )
    return _rows(run, _STRIKE, counts, fighters + civilians, civilians, _ids("US", n), "ISKP")


def _table(
    run: RunResult, parts: list[dict[str, np.ndarray]], rng: np.random.Generator
) -> pa.Table:
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(merged["month"])
    first_days = [run.month_date(m) for m in range(run.months)]
    lengths = np.array([calendar.monthrange(d.year, d.month)[1] for d in first_days])
    offsets = np.floor(rng.random(n) * lengths[merged["month"]]).astype(np.int64)
    days = np.array(first_days, dtype="datetime64[D]")[merged["month"]] + offsets.astype(
        "timedelta64[D]"
    )
    jitter = rng.normal(0.0, _JITTER_DEGREES, size=(n, 2))
    where = _CENTRES[merged["province"]] + jitter
    order = np.lexsort((merged["province"], days))
    ids = np.array([f"{SOURCE}:{run.label}:{i}" for i in range(n)], dtype=object)
    fatalities = merged["fatalities"][order]
    provinces = merged["province"][order]
    return pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "source_id": pa.array([i.split(":", 1)[1] for i in ids], pa.string()),
            "date_start": pa.array(days[order], pa.date32()),
            "date_end": pa.array(days[order], pa.date32()),
            "date_precision": pa.array(["day"] * n, pa.string()),
            "event_type": pa.array(merged["event_type"][order], pa.string()),
            "source_event_type": pa.array(["simulated"] * n, pa.string()),
            "source_sub_event_type": pa.array(merged["kind"][order], pa.string()),
            "actor1": pa.array(merged["actor1"][order], pa.string()),
            "actor2": pa.array(merged["actor2"][order], pa.string()),
            "actor1_raw": pa.array(merged["actor1"][order], pa.string()),
            "actor2_raw": pa.array(merged["actor2"][order], pa.string()),
            "target_type": pa.array(merged["target_type"][order], pa.string()),
            "country_iso3": pa.array([COUNTRY] * n, pa.string()),
            "admin1_code": pa.array([PROVINCES[p] for p in provinces], pa.string()),
            "admin1": pa.array([_NAMES[p] for p in provinces], pa.string()),
            "latitude": pa.array(where[order, 0], pa.float64()),
            "longitude": pa.array(where[order, 1], pa.float64()),
            "geo_precision": pa.array([3] * n, pa.int32()),
            "fatalities_best": pa.array(fatalities, pa.int32()),
            "fatalities_low": pa.array(fatalities, pa.int32()),
            "fatalities_high": pa.array(fatalities, pa.int32()),
            "civilian_deaths": pa.array(merged["civilians"][order], pa.int32()),
            "notes": pa.array(merged["notes"][order], pa.string()),
        }
    )


def defections_table(run: RunResult) -> pa.Table:
    """The run's defections: one record per province, month and direction, with ``fighters``."""
    rng = np.random.default_rng([run.seed, 0xDE])
    rows: list[dict[str, Any]] = []
    for metric, source, target in (
        ("defections_to_iskp", "TALIBAN", "ISKP"),
        ("defections_to_taliban", "ISKP", "TALIBAN"),
    ):
        counts = run.series[metric]
        for m, p in zip(*np.nonzero(counts), strict=True):
            first = run.month_date(int(m))
            length = calendar.monthrange(first.year, first.month)[1]
            day = first.replace(day=int(rng.integers(1, length + 1)))
            rows.append(
                {
                    "date": day,
                    "fighters": int(counts[m, p]),
                    "from_actor": source,
                    "to_actor": target,
                    "admin1_code": PROVINCES[p],
                    "admin1": _NAMES[p],
                }
            )
    rows.sort(key=lambda r: (r["date"], r["admin1_code"], r["from_actor"]))
    n = len(rows)
    return pa.table(
        {
            "defection_id": pa.array([f"{SOURCE}:{run.label}:d{i}" for i in range(n)], pa.string()),
            "date": pa.array([r["date"] for r in rows], pa.date32()),
            "role": pa.array(["fighters"] * n, pa.string()),
            "fighters": pa.array([r["fighters"] for r in rows], pa.int32()),
            "from_actor": pa.array([r["from_actor"] for r in rows], pa.string()),
            "to_actor": pa.array([r["to_actor"] for r in rows], pa.string()),
            "from_actor_raw": pa.array([r["from_actor"] for r in rows], pa.string()),
            "to_actor_raw": pa.array([r["to_actor"] for r in rows], pa.string()),
            "country_iso3": pa.array([COUNTRY] * n, pa.string()),
            "admin1_code": pa.array([r["admin1_code"] for r in rows], pa.string()),
            "admin1": pa.array([r["admin1"] for r in rows], pa.string()),
            "source": pa.array([f"{SOURCE}:{run.label}"] * n, pa.string()),
            "notes": pa.array([f"SIMULATED (run {run.label})"] * n, pa.string()),
        }
    )


def displacement_rows(run: RunResult) -> list[tuple[str, str, int]]:
    """``(admin1_code, YYYY-MM, idps)`` for every province and month of the run."""
    rows = []
    for m in range(run.months):
        month = run.month_date(m).strftime("%Y-%m")
        for p, code in enumerate(PROVINCES):
            rows.append((code, month, int(run.series["displaced"][m, p])))
    return rows


@dataclass(frozen=True)
class Written:
    """What writing a run into a store did, one batch per table."""

    events: IngestResult
    defections: IngestResult
    displacement: IngestResult | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "events": self.events.to_dict(),
            "defections": self.defections.to_dict(),
            "displacement": self.displacement.to_dict() if self.displacement else None,
        }


def write_run(store: Store, run: RunResult, *, displacement: bool = True) -> Written:
    """Write one run's events and defections (source ``sim``), and its displacement, into a store.

    Each table is written as its own batch, each batch in one transaction. Writing the same run
    again changes nothing (rows are counted as unchanged).
    """
    name = f"simulation {run.label}"
    events = store.write_rows("events", events_table(run), source=SOURCE, file=name)
    defections = store.write_rows("defections", defections_table(run), source=SOURCE, file=name)
    moved = None
    if displacement:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{run.label}-displacement.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["admin1", "month", "idps", "country"])
                writer.writerows((*row, COUNTRY) for row in displacement_rows(run))
            moved = store.ingest_displacement(path)
    return Written(events, defections, moved)


def events_from_other_sources(store: Store) -> int:
    """How many of the store's events come from sources other than the simulator (analyses of a
    run written there would count them too)."""
    events = store.table("events")
    return int(events.filter(events.source != SOURCE).count().to_pyarrow().as_py())
