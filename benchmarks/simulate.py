"""Benchmark: the vectorized scenario model against the same rules written as a Mesa 3 model.

Usage::

    .venv/bin/python benchmarks/simulate.py [--agents N] [--months M] [--repeat K]
                                            [--mesa-runs R] [--big-agents N] [--big-months M]
                                            [--skip-big]

Two figures, as the issue names them:

* ``ratio``: Mesa 3 peer time / our time for one run of about 10,000 agents x 60 months (the
  default world of 162,500 people at 16 people per agent: 10,157 agents). Both times include
  building the model (ours: arrays; Mesa: one ``Person`` per agent, from the same initial
  arrays) and stepping it. Runs are interleaved: each of ``--mesa-runs`` Mesa runs sits
  between ``--repeat`` runs of ours before and ``--repeat`` after, and the pair's ratio is
  Mesa's time over the fastest of ours around it, so both see the same load from whatever else
  the machine runs; the figure is the median of the pairs' ratios. Goal: >= 100x.
* ``big``: our time for 1,000,000 agents x 120 months (the default world's proportions at
  6.15 times the people, one person per agent), one run. Goal: < 60 s on 2 cores (NumPy runs
  this single-threaded).

It also prints the mean outcomes of both implementations over several seeds, to show that they
follow the same rules (their random streams differ, so they agree in distribution only). There
is no GPU path: the development machine has no GPU, and no untested GPU code is shipped.

The script prints PASS or MISS for each goal and exits 0 even on a MISS: it measures, it does
not test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mesa_peer import PeerModel
from rivalscope.simulate.model import Model, Params, Policy, Population

GOAL_RATIO = 100.0
GOAL_BIG_SECONDS = 60.0
DEFAULT = Population()
CHECKED = (
    "iskp_fighters",
    "taliban_fighters",
    "recruits_iskp",
    "defections_to_iskp",
    "defections_to_taliban",
    "deaths_iskp",
    "clashes",
    "leaks",
)


def world(agents: int) -> Population:
    """The default world with about ``agents`` agents: a coarser scale below its 162,500
    people, more people (same proportions) at one person per agent above."""
    people = DEFAULT.taliban + DEFAULT.iskp + DEFAULT.civilians + DEFAULT.prisoners
    people += DEFAULT.foreign
    if agents <= people:
        return Population(scale=max(1, round(people / agents)))
    factor = agents / people
    return Population(
        scale=1,
        taliban=round(DEFAULT.taliban * factor),
        iskp=round(DEFAULT.iskp * factor),
        civilians=round(DEFAULT.civilians * factor),
        prisoners=round(DEFAULT.prisoners * factor),
        foreign=round(DEFAULT.foreign * factor),
    )


def ours(
    population: Population, policy: Policy, months: int, seed: int
) -> tuple[float, float, dict]:
    start, cpu = time.perf_counter(), time.process_time()
    model = Model(population, policy, Params(), months=months, seed=seed)
    result = model.run()
    return time.perf_counter() - start, time.process_time() - cpu, result.series


def mesa(
    population: Population, policy: Policy, months: int, seed: int
) -> tuple[float, float, dict]:
    start, cpu = time.perf_counter(), time.process_time()
    model = PeerModel(population, policy, Params(), months=months, seed=seed)
    series = model.run()
    return time.perf_counter() - start, time.process_time() - cpu, series


def outcome(series: dict, metric: str) -> float:
    totals = series[metric].sum(axis=1)
    return float(totals[-1] if metric.endswith("_fighters") else totals.sum())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of ours before and after each Mesa run"
    )
    parser.add_argument("--mesa-runs", type=int, default=3, help="runs of the Mesa peer")
    parser.add_argument("--check-seeds", type=int, default=20, help="our runs for the means")
    parser.add_argument("--big-agents", type=int, default=1_000_000)
    parser.add_argument("--big-months", type=int, default=120)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    policy = Policy(cooperation=0.5, concession=0.4)
    small = world(args.agents)
    agents = Model(small, policy, Params(), months=1).agents
    print(f"cores: {os.cpu_count()}; numpy {np.__version__}; GPU path: none (no GPU here)")
    print(f"\n1) {agents:,} agents ({small.scale} people per agent) x {args.months} months")
    # Interleaved: each Mesa run sits between runs of ours, so both see the same load from
    # whatever else the machine is doing.
    our_times, our_cpu, mesa_times, mesa_cpu, mesa_runs, pairs = [], [], [], [], [], []
    for seed in range(args.mesa_runs):
        batch = [ours(small, policy, args.months, seed) for _ in range(args.repeat)]
        seconds, cpu, series = mesa(small, policy, args.months, seed)
        batch += [ours(small, policy, args.months, seed) for _ in range(args.repeat)]
        fastest = min(b[0] for b in batch)
        our_times += [b[0] for b in batch]
        our_cpu += [b[1] for b in batch]
        mesa_times.append(seconds)
        mesa_cpu.append(cpu)
        mesa_runs.append(series)
        pairs.append(seconds / fastest)
        print(
            f"   run {seed}: mesa {seconds:.2f} s (CPU {cpu:.2f} s); ours around it: best "
            f"{fastest * 1000:.1f} ms -> {seconds / fastest:,.0f}x"
        )
    our_runs = [ours(small, policy, args.months, seed)[2] for seed in range(args.check_seeds)]
    best_ours, best_mesa = min(our_times), min(mesa_times)
    ratio = float(np.median(pairs))
    print(f"   ours: best {best_ours * 1000:.1f} ms, median {np.median(our_times) * 1000:.1f} ms")
    print(f"   mesa 3 peer: best {best_mesa:.2f} s, median {np.median(mesa_times):.2f} s")
    print(f"   ratio of the best runs: {best_mesa / best_ours:,.0f}x")
    print(f"   ratio of CPU times (this process only): {min(mesa_cpu) / min(our_cpu):,.0f}x")
    print(
        f"   ratio mesa / ours (median of the interleaved pairs): {ratio:,.0f}x "
        f"(goal >= {GOAL_RATIO:.0f}x) {verdict(ratio >= GOAL_RATIO)}"
    )
    print(f"\n   same rules? means over seeds (ours: {len(our_runs)} runs, mesa: {len(mesa_runs)})")
    print(f"   {'outcome':24s} {'ours mean':>10s} {'ours sd':>9s} {'mesa mean':>10s}  mesa runs")
    for metric in CHECKED:
        a = np.array([outcome(s, metric) for s in our_runs])
        b = np.array([outcome(s, metric) for s in mesa_runs])
        runs = ", ".join(f"{v:,.0f}" for v in b)
        print(f"   {metric:24s} {a.mean():10,.0f} {a.std():9,.0f} {b.mean():10,.0f}  {runs}")
    if args.skip_big:
        return
    big = world(args.big_agents)
    print(f"\n2) {args.big_agents:,} agents x {args.big_months} months (ours, one run)")
    start = time.perf_counter()
    model = Model(big, policy, Params(), months=args.big_months, seed=1)
    built = time.perf_counter() - start
    result = model.run()
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    print(
        f"   agents: {model.agents:,}; set-up {built:.2f} s; total {seconds:.1f} s; "
        f"peak RSS {rss:.2f} GB"
    )
    print(f"   ISKP fighters at the end: {result.total('iskp_fighters')[-1]:,}")
    print(
        f"   time: {seconds:.1f} s (goal < {GOAL_BIG_SECONDS:.0f} s on 2 cores) "
        f"{verdict(seconds < GOAL_BIG_SECONDS)}"
    )


if __name__ == "__main__":
    main()
