"""Benchmark: the forecast panel and the full backtest on a SYNTHETIC 400-district x 240-month
store, against building the same panel with pandas groupby/shift.

Usage::

    .venv/bin/python benchmarks/forecast.py [--districts 400] [--months 240] [--seed 7]
                                            [--repeat 3] [--window 24] [--workdir DIR]

The store is SYNTHETIC. ``--districts`` districts lie on a jittered grid over Afghanistan's
extent, each in the province whose centre is nearest; ``--months`` months end in 2020-12. Each
side's monthly intensity per district is ``exp(base + z + season)``: ``base`` a smooth spatial
field (a few Gaussian bumps), ``z`` an AR(1) process per district (coefficient 0.85) whose
shocks are averaged with the grid neighbours' (so violence persists and spreads), ``season``
a fighting-season cycle. Counts are Poisson draws: ISKP attacks on civilians, ISKP-Taliban
clashes, Taliban-Republic clashes and Taliban attacks; 2,000 defections (Taliban to ISKP) at
random. The rows are written straight into the ``events`` and ``defections`` tables of a fresh
store (``rs.open`` creates the schema and seeds the registry); building is not timed.

Measured, each ``--repeat`` times (the best run counts):

* ``ours``: :func:`rivalscope.forecast.panel.build_panel` for ``--actor ISKP --rival TALIBAN
  --outcome any --unit admin2`` (Ibis on DuckDB: two set-based queries) on the store opened
  read-only.
* ``pandas``: the same panel with pandas: the events and defections loaded with DuckDB's
  ``.df()``, then groupby counts, a reindex to the full grid, ``groupby().shift()`` lags,
  ``groupby().rolling()`` sums, forward-filled months since the last event, a merge over the
  neighbour pairs for the spatial lags, ``groupby().transform()`` for country totals. The ratio
  is pandas (loading included) / ours; the computation alone is printed too. The two panels
  must agree cell for cell, or the benchmark stops with an error.
* ``backtest``: :func:`rivalscope.forecast.backtesting.run_backtest` on that panel over the last
  ``--window`` target months, both learned candidates refitted at every origin, plus the
  baselines, with the bootstrap comparison against the best baseline per score. Absolute
  seconds only (the issue sets no goal for it).

Goal: pandas / ours >= 1 (the set-based panel is at least as fast as the pandas one). The script
prints PASS or MISS and exits 0 either way: it measures, it does not test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import rivalscope as rs
from rivalscope.forecast.backtesting import run_backtest
from rivalscope.forecast.panel import LAGS, WARM_UP, WINDOWS, build_panel, nearest_neighbours
from rivalscope.forecast.panel import state_spells as read_state_spells
from rivalscope.forecast.spec import ForecastSpec, add_months, month_end, resolve
from rivalscope.places import AFGHAN_PROVINCES

GOAL_RATIO = 1.0
LAST_MONTH = dt.date(2020, 12, 1)


# --- the SYNTHETIC store ------------------------------------------------------------------------
def _smooth(field: np.ndarray, side: int) -> np.ndarray:
    """Average each district's value with its 4 grid neighbours (edges wrap: a torus)."""
    grid = field.reshape(side, side, *field.shape[1:])
    total = grid + np.roll(grid, 1, 0) + np.roll(grid, -1, 0) + np.roll(grid, 1, 1)
    total = total + np.roll(grid, -1, 1)
    return (total / 5).reshape(field.shape)


def _intensity(rng: np.random.Generator, side: int, months: int, level: float) -> np.ndarray:
    """A (districts x months) intensity: smooth base, spreading AR(1) shocks, a season."""
    n = side * side
    rows, cols = np.divmod(np.arange(n), side)
    base = np.full(n, level)
    for _ in range(4):
        r, c = rng.uniform(0, side, 2)
        width = 2 * (side / 6) ** 2
        base += rng.uniform(0.8, 2.0) * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / width)
    z = np.zeros((n, months))
    for t in range(1, months):
        shock = _smooth(rng.normal(0, 0.55, n), side)
        z[:, t] = 0.85 * z[:, t - 1] + shock
    season = 0.35 * np.sin(2 * np.pi * (np.arange(months) - 3) / 12)
    return np.exp(base[:, None] + z + season[None, :])


def build_store(path: Path, districts: int, months: int, seed: int) -> dict[str, int]:
    """Write the SYNTHETIC events and defections into a fresh store at ``path``."""
    rng = np.random.default_rng(seed)
    side = math.isqrt(districts)
    if side * side != districts:
        raise SystemExit("--districts must be a square number (districts lie on a grid)")
    lat = np.repeat(np.linspace(30.0, 37.5, side), side) + rng.normal(0, 0.05, districts)
    lon = np.tile(np.linspace(62.0, 71.0, side), side) + rng.normal(0, 0.05, districts)
    centres = np.array([(p.latitude, p.longitude) for p in AFGHAN_PROVINCES])
    gaps = (lat[:, None] - centres[None, :, 0]) ** 2 + (lon[:, None] - centres[None, :, 1]) ** 2
    nearest = np.argmin(gaps, axis=1)
    province = np.array([AFGHAN_PROVINCES[i].code for i in nearest], dtype=object)
    name = np.array([f"District {i:03d}" for i in range(districts)], dtype=object)
    first = add_months(LAST_MONTH, 1 - months)
    actor = _intensity(rng, side, months, -2.2)
    rival = _intensity(rng, side, months, -1.2)
    kinds = (
        ("attack", "ISKP", "CIVILIANS", rng.poisson(actor)),
        ("clash", "ISKP", "TALIBAN", rng.poisson(0.5 * np.sqrt(actor * rival))),
        ("clash", "AFG_REPUBLIC", "TALIBAN", rng.poisson(rival)),
        ("attack", "TALIBAN", "CIVILIANS", rng.poisson(0.3 * rival)),
    )
    parts = []
    for event_type, actor1, actor2, counts in kinds:
        unit, month = np.nonzero(counts)
        repeats = counts[unit, month]
        unit, month = np.repeat(unit, repeats), np.repeat(month, repeats)
        parts.append((event_type, actor1, actor2, unit, month))
    total = sum(len(p[3]) for p in parts)
    unit = np.concatenate([p[3] for p in parts])
    month = np.concatenate([p[4] for p in parts])
    month_days = np.array(
        [(add_months(first, m) - dt.date(1970, 1, 1)).days for m in range(months)], dtype=np.int64
    )
    day = month_days[month] + rng.integers(0, 28, total)
    events = pa.table(
        {
            "event_id": pa.array([f"bench:{i}" for i in range(total)]),
            "source": pa.array(["bench"] * total),
            "source_id": pa.array([str(i) for i in range(total)]),
            "date_start": pa.array(day.astype("datetime64[D]")),
            "date_end": pa.array(day.astype("datetime64[D]")),
            "event_type": pa.array(np.concatenate([[p[0]] * len(p[3]) for p in parts]).tolist()),
            "actor1": pa.array(np.concatenate([[p[1]] * len(p[3]) for p in parts]).tolist()),
            "actor2": pa.array(np.concatenate([[p[2]] * len(p[3]) for p in parts]).tolist()),
            "country_iso3": pa.array(["AFG"] * total),
            "admin1_code": pa.array(province[unit].tolist()),
            "admin2": pa.array(name[unit].tolist()),
            "latitude": pa.array(lat[unit] + rng.normal(0, 0.02, total)),
            "longitude": pa.array(lon[unit] + rng.normal(0, 0.02, total)),
            "fatalities_best": pa.array(rng.poisson(2.0, total).astype(np.int32)),
        }
    )
    picked = rng.integers(0, districts, 2000)
    when = month_days[rng.integers(0, months, 2000)] + rng.integers(0, 28, 2000)
    defections = pa.table(
        {
            "defection_id": pa.array([f"bench:d{i}" for i in range(2000)]),
            "date": pa.array(when.astype("datetime64[D]")),
            "from_actor": pa.array(["TALIBAN"] * 2000),
            "to_actor": pa.array(["ISKP"] * 2000),
            "country_iso3": pa.array(["AFG"] * 2000),
            "admin1_code": pa.array(province[picked].tolist()),
            "admin2": pa.array(name[picked].tolist()),
            "source": pa.array(["bench"] * 2000),
        }
    )
    with rs.open(path) as store, store.transaction():
        store.con.register("bench_events", events)
        store.con.execute("INSERT INTO events BY NAME SELECT * FROM bench_events")
        store.con.register("bench_defections", defections)
        store.con.execute("INSERT INTO defections BY NAME SELECT * FROM bench_defections")
    return {"events": total, "defections": 2000}


# --- the pandas panel ------------------------------------------------------------------------
def pandas_panel(store: rs.Store, spec: ForecastSpec) -> tuple[pd.DataFrame, float]:
    """The same panel with pandas; returns it and the seconds spent loading."""
    start = add_months(spec.since, -WARM_UP)
    began = time.perf_counter()
    ev = store.con.execute(
        """SELECT date_start, actor1, actor2, admin1_code, admin2, latitude, longitude
           FROM events WHERE country_iso3 = ? AND date_start BETWEEN ? AND ?""",
        [spec.country, start, month_end(spec.until)],
    ).df()
    de = store.con.execute(
        """SELECT date, from_actor, to_actor, admin1_code, admin2 FROM defections
           WHERE country_iso3 = ? AND date BETWEEN ? AND ?""",
        [spec.country, start, month_end(spec.until)],
    ).df()
    loading = time.perf_counter() - began
    a, r = spec.actor, spec.rival
    ev["unit"] = ev["admin1_code"] + ":" + ev["admin2"]
    ev["month"] = ev["date_start"].dt.to_period("M").dt.to_timestamp()
    located = ev.dropna(subset=["unit"])
    units = (
        located.groupby("unit")
        .agg(latitude=("latitude", "mean"), longitude=("longitude", "mean"))
        .reset_index()
        .sort_values("unit")
    )
    pairs = nearest_neighbours(pa.Table.from_pandas(units, preserve_index=False)).to_pandas()
    either = (located["actor1"] == a) | (located["actor2"] == a)
    state = np.zeros(len(located), dtype=bool)
    for actor_id, first, last in read_state_spells(store, spec.country):
        term = ((located["actor1"] == actor_id) | (located["actor2"] == actor_id)).to_numpy(
            copy=True
        )
        if first is not None:
            term &= (located["date_start"] >= pd.Timestamp(first)).to_numpy()
        if last is not None:
            term &= (located["date_start"] < pd.Timestamp(last)).to_numpy()
        state |= term
    flags = pd.DataFrame(
        {
            "unit": located["unit"],
            "month": located["month"],
            "y": either.astype(int),
            "actor_events": either.astype(int),
            "state_events": state.astype(int),
            "rival_events": ((located["actor1"] == r) | (located["actor2"] == r)).astype(int),
        }
    )
    counts = flags.groupby(["unit", "month"]).sum()
    de = de[de["from_actor"].isin([a, r]) | de["to_actor"].isin([a, r])].copy()
    de["unit"] = de["admin1_code"] + ":" + de["admin2"]
    de["month"] = de["date"].dt.to_period("M").dt.to_timestamp()
    defections = de.dropna(subset=["unit"]).groupby(["unit", "month"]).size()
    months = pd.date_range(pd.Timestamp(start), pd.Timestamp(spec.until), freq="MS")
    grid = pd.MultiIndex.from_product([units["unit"], months], names=["unit", "month"])
    g = counts.reindex(grid, fill_value=0)
    g["defections"] = defections.reindex(grid, fill_value=0)
    g = g.reset_index()
    g["midx"] = np.tile(np.arange(len(months)), len(units))
    by_unit = g.groupby("unit", sort=False)
    for k in LAGS:
        g[f"y_lag{k}"] = by_unit["y"].shift(k).fillna(0).astype(int)
    for k in WINDOWS:
        g[f"y_sum{k}"] = by_unit["y"].rolling(k, min_periods=1).sum().to_numpy().astype(int)
    for column, target in (("actor_events", "actor_sum3"), ("state_events", "state_sum3")):
        g[target] = by_unit[column].rolling(3, min_periods=1).sum().to_numpy().astype(int)
    g["rival_sum3"] = by_unit["rival_events"].rolling(3, min_periods=1).sum().to_numpy()
    g["defections_sum12"] = by_unit["defections"].rolling(12, min_periods=1).sum().to_numpy()
    g["last"] = g["midx"].where(g["y"] > 0)
    g["last"] = g.groupby("unit", sort=False)["last"].ffill()
    g["months_since"] = (g["midx"] - g["last"]).fillna(g["midx"] + 1).astype(int)
    inside = (g["month"] >= pd.Timestamp(spec.since)).astype(int)
    g["in_y"] = g["y"] * inside
    g["in_n"] = inside
    g["y_rate"] = g.groupby("unit", sort=False)["in_y"].cumsum() / g.groupby("unit", sort=False)[
        "in_n"
    ].cumsum().replace(0, np.nan)
    g["country_y"] = g.groupby("month")["y"].transform("sum")
    g["country_sum3"] = g.groupby("month")["y_sum3"].transform("sum")
    theirs = g[["unit", "month", "y", "y_sum3", "y_sum12"]].rename(columns={"unit": "neighbour"})
    spatial = (
        pairs.merge(theirs, on="neighbour")
        .groupby(["unit", "month"])[["y", "y_sum3", "y_sum12"]]
        .sum()
        .rename(columns={"y": "nb_y", "y_sum3": "nb_sum3", "y_sum12": "nb_sum12"})
    )
    g = g.merge(spatial, on=["unit", "month"], how="left")
    for column in ("nb_y", "nb_sum3", "nb_sum12"):
        g[column] = g[column].fillna(0).astype(int)
    g["month_sin"] = np.sin(2 * np.pi * (g["month"].dt.month - 1) / 12)
    g["month_cos"] = np.cos(2 * np.pi * (g["month"].dt.month - 1) / 12)
    mid = g["month"] + pd.Timedelta(days=14)
    for number, phase in enumerate(spec.phases, start=1):
        within = mid >= pd.Timestamp(phase.start)
        if phase.end is not None:
            within &= mid < pd.Timestamp(phase.end)
        g[f"phase_{number}"] = within.astype(int)
    g = g[g["month"] >= pd.Timestamp(spec.since)].sort_values(["unit", "month"])
    return g.reset_index(drop=True), loading


def check_same(ours: pa.Table, theirs: pd.DataFrame, features: tuple[str, ...]) -> None:
    if ours.num_rows != len(theirs):
        raise SystemExit(f"panels differ: {ours.num_rows} rows against {len(theirs)}")
    if ours.column("unit").to_pylist() != theirs["unit"].tolist():
        raise SystemExit("panels differ in their units")
    for name in features:
        mine = ours.column(name).to_numpy(zero_copy_only=False).astype(float)
        other = theirs[name].to_numpy(dtype=float)
        if not np.allclose(mine, other, equal_nan=True):
            bad = int(np.flatnonzero(~np.isclose(mine, other, equal_nan=True))[0])
            raise SystemExit(f"panels differ in {name} at row {bad}: {mine[bad]} vs {other[bad]}")


def best(times: list[float]) -> float:
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--districts", type=int, default=400)
    parser.add_argument("--months", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--window", type=int, default=24)
    parser.add_argument("--workdir", type=Path, default=None)
    options = parser.parse_args()
    folder = options.workdir or Path(tempfile.mkdtemp(prefix="rs-bench-forecast-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"forecast-{options.districts}x{options.months}-{options.seed}.duckdb"
    began = time.perf_counter()
    if not path.exists():
        built = build_store(path, options.districts, options.months, options.seed)
        print(
            f"SYNTHETIC store: {built['events']:,} events, {built['defections']:,} defections, "
            f"{options.districts} districts x {options.months} months "
            f"(built in {time.perf_counter() - began:.1f} s, not timed)"
        )
    store = rs.open(path, read_only=True)
    since = add_months(LAST_MONTH, 1 - options.months).isoformat()[:7]
    spec = resolve(
        store, "ISKP", rival="TALIBAN", outcome="any", unit="admin2", since=since, until="2020-12"
    )
    ours_times, pandas_times, compute_times = [], [], []
    panel = None
    for _ in range(options.repeat):
        began = time.perf_counter()
        panel = build_panel(store, spec)
        ours_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        theirs, loading = pandas_panel(store, spec)
        pandas_times.append(time.perf_counter() - began)
        compute_times.append(pandas_times[-1] - loading)
    assert panel is not None
    check_same(panel.table, theirs, panel.features)
    print(
        f"panel: {panel.table.num_rows:,} rows ({panel.units.num_rows} units x "
        f"{len(panel.months)} months), {len(panel.features)} features; the two panels agree"
    )
    ours, pandas_total, pandas_compute = best(ours_times), best(pandas_times), best(compute_times)
    ratio = pandas_total / ours
    verdict = "PASS" if ratio >= GOAL_RATIO else "MISS"
    print(f"  ours (Ibis/DuckDB)           {ours:7.2f} s   (runs: {_runs(ours_times)})")
    print(f"  pandas groupby/shift, total  {pandas_total:7.2f} s   (runs: {_runs(pandas_times)})")
    print(f"  pandas, computation only     {pandas_compute:7.2f} s")
    print(
        f"  pandas / ours = {ratio:5.2f}   goal >= {GOAL_RATIO:.1f}   {verdict}   "
        f"(computation only: {pandas_compute / ours:5.2f})"
    )
    began = time.perf_counter()
    done = run_backtest(panel, start=add_months(spec.until, 1 - options.window), end=spec.until)
    seconds = time.perf_counter() - began
    rows = done.origins.column("train_rows").to_pylist()
    print(
        f"backtest: {options.window} target months x {done.units} units, hgb and glm refitted "
        f"at every origin on {min(rows):,}..{max(rows):,} rows: {seconds:.1f} s "
        f"({seconds / options.window:.2f} s per origin)"
    )
    for row in done.metrics.to_pylist():
        print(
            f"  {row['model']:<12} Brier {row['brier']:.3f}  AP {row['average_precision']:.3f}"
            f"  ROC AUC {row['roc_auc']:.3f}  CRPS {row['crps']:.3f}"
            + ("  (chosen)" if row["chosen"] else "")
        )
    for row in done.comparisons.to_pylist():
        print(
            f"  {row['metric']:<18} {row['model']} vs best baseline {row['best_baseline']}: "
            f"{row['verdict']} (95% interval {row['low']:+.4f}..{row['high']:+.4f})"
            if row["low"] is not None
            else f"  {row['metric']:<18} n/a"
        )
    store.close()
    if options.workdir is None:
        shutil.rmtree(folder, ignore_errors=True)


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times) + f"; median {statistics.median(times):.2f}"


if __name__ == "__main__":
    main()
