"""Benchmark: the vectorized scenario model against the same rules written as a Mesa 3 model.

Usage::

    .venv/bin/python benchmarks/simulate.py [--agents N] [--months M] [--repeat K]
                                            [--mesa-runs R] [--check-agents N]
                                            [--check-months M] [--check-seeds S]
                                            [--skip-check] [--big-agents N]
                                            [--big-months M] [--skip-big]

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

Between them it checks that the two implementations follow the same rules, in two sets of
levers: the benchmark's, and one that works every rule hard (prison breaks, a crackdown that
differs by province, frequent strikes in error, many leaks and a large counter-intelligence
advantage), in a smaller world (``--check-agents``, default 2,000 agents, x
``--check-months``). First exactly: from the same state (ours every 12 months of 3 seeds,
copied into the peer), both must compute the same Poisson rates for the month's events and the
same four hazards for every living agent (relative difference below 1e-9). Then in
distribution, since their random streams differ: both run the same ``--check-seeds`` seeds (a
seed gives both the same starting agents). For every statistic
(a fighter count at the end, any other series summed over the run) it prints both means with
their standard errors and the difference with its 95% interval (standard error from the
per-seed differences), and PASS when the difference is within noise: ``|difference| <= z x SE``
with ``z`` the Student t quantile Bonferroni-corrected over all statistics compared, so that
two identical rule sets all PASS with probability 95%. The ``resolution`` column is the smallest
difference, in percent of the mean, that would be a MISS: what "agree" can rule out at this
many seeds (few seeds PASS anything; the default 150 resolve about 5% to 15%).

There is no GPU path: the development machine has no GPU, and no untested GPU code is shipped.

The script prints PASS or MISS for each goal and exits 0 even on a MISS: it measures, it does
not test.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mesa_peer import PeerModel
from rivalscope.simulate.model import DEAD, METRICS, Model, Params, Policy, Population, PrisonBreak

GOAL_RATIO = 100.0
GOAL_BIG_SECONDS = 60.0
FAMILY_LEVEL = 0.05
DEFAULT = Population()
BENCHMARK_POLICY = Policy(cooperation=0.5, concession=0.4)


@dataclass(frozen=True)
class World:
    """Levers and parameters both implementations run under in the agreement check."""

    name: str
    policy: Policy
    params: Params


CHECK_WORLDS = (
    World("benchmark levers", BENCHMARK_POLICY, Params()),
    World(
        "every rule hard",
        Policy(
            cooperation=0.9,
            concession=0.6,
            crackdown=tuple(float(c) for c in np.linspace(0.0, 1.0, 34)),
            recruitment=2.0,
            attack_tempo=2.0,
            prison_breaks=(PrisonBreak("AF-PAR", 3, 800), PrisonBreak("AF-KAB", 10, 500)),
            strike_tempo=4.0,
            error_rate=0.4,
        ),
        Params(
            defect_base=0.002,
            intel_share=0.3,
            ci_per_leak=0.002,
            grievance_harm=0.5,
            civilian_harm_half=3.0,
        ),
    ),
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
    population: Population, policy: Policy, months: int, seed: int, params: Params | None = None
) -> tuple[float, float, dict]:
    start, cpu = time.perf_counter(), time.process_time()
    model = Model(population, policy, params or Params(), months=months, seed=seed)
    result = model.run()
    return time.perf_counter() - start, time.process_time() - cpu, result.series


def mesa(
    population: Population, policy: Policy, months: int, seed: int, params: Params | None = None
) -> tuple[float, float, dict]:
    start, cpu = time.perf_counter(), time.process_time()
    model = PeerModel(population, policy, params or Params(), months=months, seed=seed)
    series = model.run()
    return time.perf_counter() - start, time.process_time() - cpu, series


def outcome(series: dict, metric: str) -> float:
    """A run's statistic: a fighter count at the end, any other series summed over the run."""
    totals = series[metric].sum(axis=1)
    return float(totals[-1] if metric.endswith("_fighters") else totals.sum())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@dataclass(frozen=True)
class Agreement:
    """One statistic of one world, over the same seeds in both implementations."""

    world: str
    metric: str
    ours: np.ndarray
    mesa: np.ndarray

    @property
    def difference(self) -> float:
        return float(self.ours.mean() - self.mesa.mean())

    @property
    def se(self) -> float:
        """Standard error of the difference of the means, from the per-seed differences (a
        seed gives both implementations the same starting agents)."""
        gaps = self.ours - self.mesa
        return float(gaps.std(ddof=1) / np.sqrt(len(gaps)))

    def agrees(self, z: float) -> bool:
        return abs(self.difference) <= z * self.se


def _mean(values: np.ndarray) -> str:
    """Mean +- standard error over seeds."""
    mean, se = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
    return f"{mean:,.0f} +- {se:,.0f}" if abs(mean) >= 1000 else f"{mean:,.1f} +- {se:,.1f}"


def timing(args: argparse.Namespace) -> None:
    """Figure 1: Mesa over ours at the issue's size, interleaved."""
    policy = BENCHMARK_POLICY
    small = world(args.agents)
    agents = Model(small, policy, Params(), months=1).agents
    print(f"\n1) {agents:,} agents ({small.scale} people per agent) x {args.months} months")
    # Interleaved: each Mesa run sits between runs of ours, so both see the same load from
    # whatever else the machine is doing.
    our_times, our_cpu, mesa_times, mesa_cpu, pairs = [], [], [], [], []
    for seed in range(args.mesa_runs):
        batch = [ours(small, policy, args.months, seed) for _ in range(args.repeat)]
        seconds, cpu, _ = mesa(small, policy, args.months, seed)
        batch += [ours(small, policy, args.months, seed) for _ in range(args.repeat)]
        fastest = min(b[0] for b in batch)
        our_times += [b[0] for b in batch]
        our_cpu += [b[1] for b in batch]
        mesa_times.append(seconds)
        mesa_cpu.append(cpu)
        pairs.append(seconds / fastest)
        print(
            f"   run {seed}: mesa {seconds:.2f} s (CPU {cpu:.2f} s); ours around it: best "
            f"{fastest * 1000:.1f} ms -> {seconds / fastest:,.0f}x"
        )
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


def exact_agreement(args: argparse.Namespace) -> None:
    """The same rules, without noise: from the same state (our model's at several months,
    copied into the peer), both implementations compute the same Poisson rates for the month's
    events and the same four hazards for every living agent."""
    population = world(args.check_agents)
    months = [m for m in range(0, args.check_months, 12)] + [args.check_months - 1]
    worst_rates = worst_hazards = 0.0
    states = agents = 0
    for checked in CHECK_WORLDS:
        for seed in range(3):
            model = Model(
                population, checked.policy, checked.params, months=args.check_months, seed=seed
            )
            while model.month < args.check_months:
                if model.month in months:
                    rates, hazards = _compare_state(model, population, checked)
                    worst_rates, worst_hazards = (
                        max(worst_rates, rates),
                        max(worst_hazards, hazards),
                    )
                    states += 1
                    agents += int((model.group != DEAD).sum())
                model.step()
    ok = max(worst_rates, worst_hazards) < 1e-9
    print(
        f"\n2) same rules, exactly: from {states} shared states ({agents:,} agent-months; both "
        f"sets of levers below, months {', '.join(map(str, months))}), the largest relative "
        f"difference in the event rates is {worst_rates:.1e} and in the agents' hazards "
        f"{worst_hazards:.1e} (PASS below 1e-9): {verdict(ok)}"
    )


def _compare_state(model: Model, population: Population, checked: World) -> tuple[float, float]:
    """Largest relative differences (event rates, hazards) between ours and the peer started
    from ``model``'s state. Draws this month's events from ``model``'s stream."""
    events = model._events()
    ours_rates = model._rates.copy()
    model._tables(events)
    alive = np.flatnonzero(model.group != DEAD)
    cell = model.cell[alive]
    x = np.ones((len(alive), 4))
    x[:, 1] = model.hardness[alive]
    x[:, 2] = model._grievance_of(alive)
    x[:, 3] = model._loyalty_of(alive)
    ours = np.empty((len(alive), 4))
    ours[:, :2] = np.exp(np.einsum("nkj,nj->nk", model._coef[cell], x))
    ours[:, 2:] = model._deaths[cell]
    peer = PeerModel(
        population,
        checked.policy,
        checked.params,
        months=model.months,
        seed=model.seed,
        start=model,
    )
    tal, isk, t = events["tal"], events["isk"], model.month
    peer_rates = peer.event_rates(tal, isk)
    peer.set_hazards(
        tal,
        isk,
        events["clashes"],
        model.series["attacks_on_taliban"][t],
        model.series["strike_hits"][t],
    )
    theirs = np.array([a.hazards() for a in sorted(peer.agents, key=lambda a: a.unique_id)])
    return _relative(ours_rates, peer_rates), _relative(ours, theirs)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(a), np.abs(b))
    gaps = np.abs(a - b)
    return float((gaps / np.where(scale > 0, scale, 1.0)).max())


def agreement(args: argparse.Namespace) -> None:
    """The same rules? Means over the same seeds, both implementations, every statistic."""
    population = world(args.check_agents)
    agents = Model(population, BENCHMARK_POLICY, Params(), months=1).agents
    print(
        f"\n3) same rules in distribution? {args.check_seeds} seeds x both implementations, "
        f"{agents:,} agents ({population.scale} people per agent) x {args.check_months} months"
    )
    rows: list[Agreement] = []
    for checked in CHECK_WORLDS:
        start = time.perf_counter()
        # each run kept as its statistics only (seeds x metrics), not its series
        a_all, b_all = np.zeros((2, args.check_seeds, len(METRICS)))
        for seed in range(args.check_seeds):
            ran = ours(population, checked.policy, args.check_months, seed, checked.params)[2]
            a_all[seed] = [outcome(ran, metric) for metric in METRICS]
            ran = mesa(population, checked.policy, args.check_months, seed, checked.params)[2]
            b_all[seed] = [outcome(ran, metric) for metric in METRICS]
        for column, metric in enumerate(METRICS):
            a, b = a_all[:, column], b_all[:, column]
            if a.std() > 0 or b.std() > 0 or a.mean() != b.mean():
                rows.append(Agreement(checked.name, metric, a, b))
        print(f"   {checked.name}: {time.perf_counter() - start:.0f} s")
    z = float(stats.t.ppf(1 - FAMILY_LEVEL / (2 * len(rows)), df=args.check_seeds - 1))
    print(
        f"   PASS: |ours - mesa| <= {z:.2f} SE (Bonferroni over {len(rows)} statistics, "
        f"family-wise {FAMILY_LEVEL:.0%}); +-: standard errors; resolution: the smallest "
        f"difference that would MISS, in % of the mean"
    )
    header = (
        f"   {'statistic':26s} {'ours':>20s} {'mesa 3 peer':>20s} {'ours - mesa [95%]':>30s}"
        f" {'z':>5s} {'resolution':>10s}"
    )
    for name in (w.name for w in CHECK_WORLDS):
        print(f"\n   {name}\n{header}")
        for row in (r for r in rows if r.world == name):
            diff, se = row.difference, row.se
            mean = max(abs(row.ours.mean()), abs(row.mesa.mean()), 1e-9)
            interval = f"{diff:,.0f} [{diff - 1.96 * se:,.0f}, {diff + 1.96 * se:,.0f}]"
            if mean < 1000:
                interval = f"{diff:,.1f} [{diff - 1.96 * se:,.1f}, {diff + 1.96 * se:,.1f}]"
            print(
                f"   {row.metric:26s} {_mean(row.ours):>20s} {_mean(row.mesa):>20s}"
                f" {interval:>30s} {diff / se if se else 0.0:5.1f} {z * se / mean:10.1%}"
                f"  {verdict(row.agrees(z))}"
            )
    missed = [r for r in rows if not r.agrees(z)]
    print(
        f"\n   {len(rows) - len(missed)} of {len(rows)} statistics agree within noise: "
        f"{verdict(not missed)}"
        + (f" ({', '.join(f'{r.world}: {r.metric}' for r in missed)})" if missed else "")
    )


def _big_run(agents: int, months: int) -> tuple[int, float, float, float, int]:
    """One run of ours at ``agents`` x ``months``, in a fresh process so that its peak memory
    is its own: agents, set-up and total seconds, peak RSS (GB), ISKP fighters at the end."""
    start = time.perf_counter()
    model = Model(world(agents), BENCHMARK_POLICY, Params(), months=months, seed=1)
    built = time.perf_counter() - start
    result = model.run()
    seconds = time.perf_counter() - start
    return model.agents, built, seconds, _peak_rss(), int(result.total("iskp_fighters")[-1])


def _peak_rss() -> float:
    """This process's peak resident memory in GB. Linux's ``VmHWM`` starts afresh at exec;
    ``ru_maxrss`` (the fallback) would also count the parent's memory at the fork before it."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2  # KiB -> GiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def big(args: argparse.Namespace) -> None:
    """Figure 2: ours alone at a million agents."""
    print(f"\n4) {args.big_agents:,} agents x {args.big_months} months (ours, one run)")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        agents, built, seconds, rss, iskp = pool.apply(_big_run, (args.big_agents, args.big_months))
    print(
        f"   agents: {agents:,}; set-up {built:.2f} s; total {seconds:.1f} s; "
        f"peak RSS {rss:.2f} GB (a fresh process)"
    )
    print(f"   ISKP fighters at the end: {iskp:,}")
    print(
        f"   time: {seconds:.1f} s (goal < {GOAL_BIG_SECONDS:.0f} s on 2 cores) "
        f"{verdict(seconds < GOAL_BIG_SECONDS)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of ours before and after each Mesa run"
    )
    parser.add_argument("--mesa-runs", type=int, default=3, help="timed runs of the Mesa peer")
    parser.add_argument("--check-agents", type=int, default=2_000)
    parser.add_argument("--check-months", type=int, default=60)
    parser.add_argument(
        "--check-seeds", type=int, default=150, help="seeds per world in the agreement check"
    )
    parser.add_argument("--skip-check", action="store_true")
    parser.add_argument("--big-agents", type=int, default=1_000_000)
    parser.add_argument("--big-months", type=int, default=120)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; numpy {np.__version__}; GPU path: none (no GPU here)")
    timing(args)
    if not args.skip_check:
        exact_agreement(args)
        agreement(args)
    if not args.skip_big:
        big(args)


if __name__ == "__main__":
    main()
