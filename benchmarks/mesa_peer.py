"""The simulator's rules written as a Mesa 3 model: the peer an analyst would otherwise build.

One :class:`Person` object per agent (a fighter of either group, a potential recruit, or the
dead, removed from the model), stepped in random order by ``AgentSet.shuffle_do``, each drawing
its own random number with ``model.random`` and applying the same competing monthly hazards as
:mod:`rivalscope.simulate.model`; province-level events (clashes, attacks, strikes) are drawn
with ``model.rng`` on 34-element arrays, as a Mesa user would. The world starts from the same
agents as ours (the set-up of :class:`rivalscope.simulate.model.Model` for the same seed), so
the two differ only in how a month is computed. It reports every series of
:data:`rivalscope.simulate.model.METRICS`, counted as ours counts them. Random streams differ,
so runs agree in distribution, not draw by draw: ``benchmarks/simulate.py`` compares their
means over many seeds.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from rivalscope.simulate.model import (
    CIVILIAN,
    DEAD,
    ISKP,
    METRICS,
    N_PROVINCES,
    POOL,
    PRISONER,
    PROVINCES,
    TALIBAN,
    Model,
    Params,
    Policy,
    Population,
)

P = N_PROVINCES


class Person(mesa.Agent):
    """One agent: a fighter or a potential recruit."""

    def __init__(
        self,
        model: PeerModel,
        group: int,
        kind: int,
        province: int,
        hardness: float,
        grievance: float,
        loyalty: float,
        intel: bool,
    ) -> None:
        super().__init__(model)
        self.group = group
        self.kind = kind
        self.province = province
        self.hardness = hardness
        self.pressure = grievance
        self.grievance = grievance
        self.loyalty = loyalty
        self.intel = intel

    def hazards(self) -> tuple[float, float, float, float]:
        """This month's four competing hazards: A (defect, or join ISKP), B (desert, or join
        the Taliban), C (killed in a clash), D (killed in an attack or a strike)."""
        m: PeerModel = self.model  # type: ignore[assignment]
        params = m.params
        g, p = self.group, self.province
        if g == TALIBAN:
            h_a = math.exp(
                m.tal_a0[p]
                + m.tal_ah * self.hardness
                + params.beta_grievance * self.grievance
                - params.beta_loyalty * self.loyalty
            )
            h_b = math.exp(m.desert0 - params.beta_desert_loyalty * self.loyalty)
            h_c, h_d = m.tal_clash[p], m.tal_attack[p]
        elif g == ISKP:
            h_a = math.exp(
                m.isk_a0[p]
                - params.beta_softness * self.hardness
                - params.beta_loyalty * self.loyalty
            )
            h_b = math.exp(m.desert0 - params.beta_desert_loyalty * self.loyalty)
            h_c, h_d = m.isk_clash[p], m.isk_strike[p]
        else:
            reach = m.reach[p] * m.multipliers[self.kind]
            h_a = (
                reach
                * math.exp(
                    params.beta_recruit_hardness * self.hardness
                    + params.beta_recruit_grievance * self.grievance
                )
                if reach > 0
                else 0.0
            )
            h_b = (
                params.recruit_taliban * math.exp(-params.beta_taliban_grievance * self.grievance)
                if self.kind == CIVILIAN
                else 0.0
            )
            h_c = h_d = 0.0
        return h_a, h_b, h_c, h_d

    def step(self) -> None:
        """Draw this month's fate: one uniform number over the competing hazards."""
        m: PeerModel = self.model  # type: ignore[assignment]
        params = m.params
        g, p = self.group, self.province
        h_a, h_b, h_c, h_d = self.hazards()
        total = h_a + h_b + h_c + h_d
        p_any = -math.expm1(-total)
        u = m.random.random()
        if u >= p_any:
            return
        v = u / p_any * total
        slot = 0 if v < h_a else 1 if v < h_a + h_b else 2 if v < h_a + h_b + h_c else 3
        m.flows[slot][g][p] += 1
        if slot >= 2:
            self.group = DEAD
            m.dead.append(self)
            return
        if g == TALIBAN and slot == 0:
            if self.intel and m.random.random() < params.leak_probability:
                m.leaks[p] += 1
            self.intel = False
            self.group = ISKP
        elif g == ISKP and slot == 0:
            self.group = TALIBAN
        elif g == POOL and slot == 0:
            self.group = ISKP
        elif g == POOL:
            self.group = TALIBAN
            self.intel = m.random.random() < params.intel_share * m.policy.cooperation
        else:
            self.group = POOL
            self.intel = False
            self.loyalty = 0.0
            return
        self.loyalty = m.random.betavariate(2.0, 5.0)

    def settle(self) -> None:
        """End of month: grievance drifts (read through a clip to 0..1), fighters grow more
        loyal."""
        m: PeerModel = self.model  # type: ignore[assignment]
        self.pressure = self.pressure * m.keep + m.shift[self.province]
        self.grievance = min(1.0, max(0.0, self.pressure))
        if self.group in (TALIBAN, ISKP):
            self.loyalty = min(1.0, self.loyalty + m.params.loyalty_gain)


class PeerModel(mesa.Model):
    """The Mesa 3 peer of :class:`rivalscope.simulate.model.Model`.

    ``start``, when given, is one of our models whose agents, month and counter-intelligence
    advantage this one starts from (the dead left out); by default, ours set up for ``seed``.
    """

    def __init__(
        self,
        population: Population,
        policy: Policy,
        params: Params,
        *,
        months: int,
        seed: int = 0,
        start: Model | None = None,
    ) -> None:
        super().__init__(rng=seed)
        self.population, self.policy, self.params = population, policy, params
        self.scale = population.scale
        self.months = months
        if start is None:
            start = Model(population, policy, params, months=months, seed=seed)
        self.month = start.month
        self.ci = start.ci
        self.crackdown = list(policy.crackdown)
        self.series = {name: np.zeros((months, P), dtype=np.int64) for name in METRICS}
        grievance, loyalty = start.grievance, start.loyalty
        for i in np.flatnonzero(start.group != DEAD):
            Person(
                self,
                int(start.group[i]),
                int(start.kind[i]),
                int(start.province[i]),
                float(start.hardness[i]),
                float(grievance[i]),
                float(loyalty[i]),
                bool(start.intel[i]),
            )
        self.desert0 = math.log(params.desert_base)
        self.tal_ah = params.beta_concession * policy.concession + (
            params.beta_cooperation * policy.cooperation
        )
        self.multipliers = (1.0, params.prisoner_multiplier, params.foreign_multiplier)
        self.isk_a0 = [
            math.log(params.reverse_base) + params.beta_pressure * c + params.beta_softness
            for c in self.crackdown
        ]
        self.keep = 1.0 - params.grievance_decay

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Taliban and ISKP agents per province."""
        tal, isk = [0] * P, [0] * P
        for agent in self.agents:
            if agent.group == TALIBAN:
                tal[agent.province] += 1
            elif agent.group == ISKP:
                isk[agent.province] += 1
        return np.array(tal), np.array(isk)

    def event_rates(self, tal: np.ndarray, isk: np.ndarray) -> np.ndarray:
        """The month's Poisson rates per province, from the fighters present (people):
        clashes; attacks on the Taliban, on religious sites, on other civilian targets; strikes
        that hit and err, hit only, err only, neither."""
        params, policy, ci = self.params, self.policy, self.ci
        crackdown = np.array(self.crackdown)
        attack = params.attack_rate * policy.attack_tempo * isk / 1000 * (1 + ci)
        share, religious = params.attack_on_taliban_share, params.religious_site_share
        total_isk = isk.sum()
        strike = policy.strike_tempo * (isk / total_isk if total_isk > 0 else np.zeros(P))
        hit = (params.strike_hit_base + params.strike_hit_cooperation * policy.cooperation) * (
            1 - ci
        )
        hit, error = min(1.0, max(0.0, hit)), policy.error_rate
        return np.stack(
            [
                params.clash_rate * isk / 1000 * (0.5 + crackdown) * (tal > 0),
                attack * share,
                attack * (1 - share) * religious,
                attack * (1 - share) * (1 - religious),
                strike * hit * error,
                strike * hit * (1 - error),
                strike * (1 - hit) * error,
                strike * (1 - hit) * (1 - error),
            ]
        )

    def set_hazards(
        self,
        tal: np.ndarray,
        isk: np.ndarray,
        clashes: np.ndarray,
        on_taliban: np.ndarray,
        hits: np.ndarray,
    ) -> None:
        """The month's province-level parts of the agents' hazards, from the fighters present
        (people) and the month's clashes, attacks on the Taliban and strikes that hit."""
        params, policy, ci = self.params, self.policy, self.ci
        isk_share = params.isk_loss_share * (1 - 0.5 * ci)
        clash_deaths = clashes * params.clash_lethality

        def per_person(expected: np.ndarray, people: np.ndarray) -> list[float]:
            return [e / n if n > 0 else 0.0 for e, n in zip(expected, people, strict=True)]

        self.tal_clash = per_person(clash_deaths * (1 - isk_share), tal)
        self.tal_attack = per_person(on_taliban * params.attack_lethality * (1 + ci), tal)
        self.isk_clash = per_person(clash_deaths * isk_share, isk)
        self.isk_strike = per_person(hits * params.strike_kills, isk)
        fighters = tal + isk
        local = [i / f if f > 0 else 0.0 for i, f in zip(isk, fighters, strict=True)]
        self.tal_a0 = [math.log(params.defect_base) + params.beta_isk_local * s for s in local]
        self.reach = [
            params.recruit_isk * policy.recruitment * (s + params.online_reach) for s in local
        ]

    def step(self) -> None:
        """One month."""
        params, policy, rng, t, out = self.params, self.policy, self.rng, self.month, self.series
        scale = self.scale
        for brk in policy.prison_breaks:
            if brk.month == t:
                p = PROVINCES.index(brk.province)
                held = [
                    a
                    for a in self.agents
                    if a.group == POOL and a.kind == PRISONER and a.province == p
                ]
                freed = self.random.sample(held, min(len(held), math.ceil(brk.fighters / scale)))
                for agent in freed:
                    agent.group = ISKP
                    agent.loyalty = self.random.betavariate(2.0, 5.0)
                out["released"][t, p] += len(freed) * scale
                out["recruits_iskp"][t, p] += len(freed) * scale
                out["prison_breaks"][t, p] += 1
        tal_agents, isk_agents = self.counts()
        tal, isk = tal_agents * scale, isk_agents * scale
        ci = self.ci
        crackdown = np.array(self.crackdown)
        counts = rng.poisson(self.event_rates(tal, isk))
        clashes, on_taliban = counts[0], counts[1]
        on_civilians = counts[2] + counts[3]
        attacks = on_taliban + on_civilians
        hits, errors = counts[4] + counts[5], counts[4] + counts[6]
        strikes = counts[4:].sum(axis=0)
        strike_civilians = rng.poisson(params.civilians_per_error * errors)
        attack_civilians = rng.poisson(params.attack_lethality * (1 + ci) * on_civilians)
        self.set_hazards(tal, isk, clashes, on_taliban, hits)
        self.flows = [[[0] * P for _ in range(4)] for _ in range(4)]
        self.leaks = [0] * P
        self.dead: list[Person] = []
        self.agents.shuffle_do("step")
        for agent in self.dead:
            agent.remove()
        a, b, c, d = (np.array(f) * scale for f in self.flows)
        out["defections_to_iskp"][t] = a[TALIBAN]
        out["defections_to_taliban"][t] = a[ISKP]
        out["recruits_iskp"][t] += a[POOL]
        out["recruits_taliban"][t] = b[POOL]
        out["desertions_taliban"][t] = b[TALIBAN]
        out["desertions_iskp"][t] = b[ISKP]
        out["deaths_taliban"][t] = c[TALIBAN] + d[TALIBAN]
        out["deaths_iskp"][t] = c[ISKP] + d[ISKP]
        out["clash_deaths"][t] = c[TALIBAN] + c[ISKP]
        out["attack_deaths_taliban"][t] = d[TALIBAN]
        out["strike_deaths"][t] = d[ISKP]
        leaks = np.array(self.leaks) * scale
        informants = rng.poisson(params.informants_per_leak * leaks)
        civilians = attack_civilians + strike_civilians + informants
        fighters_killed = c[TALIBAN] + d[TALIBAN] + c[ISKP] + d[ISKP]
        for name, value in (
            ("clashes", clashes),
            ("attacks", attacks),
            ("attacks_on_taliban", on_taliban),
            ("attacks_on_religious_sites", counts[2]),
            ("attack_civilian_deaths", attack_civilians),
            ("strikes", strikes),
            ("strike_hits", hits),
            ("strike_errors", errors),
            ("strike_civilian_deaths", strike_civilians),
            ("leaks", leaks),
            ("informants_killed", informants),
            ("civilian_deaths", civilians),
            ("deaths", fighters_killed + civilians),
        ):
            out[name][t] = value
        strike_harm = 1.0 - np.exp(-strike_civilians / params.civilian_harm_half)
        rise = params.grievance_harm * strike_harm + params.grievance_crackdown * crackdown
        self.shift = list(rise + params.grievance_decay * params.grievance_baseline)
        self.agents.do("settle")
        self.ci = self.ci * (1 - params.ci_decay) + (1 - self.ci) * (
            1 - math.exp(-params.ci_per_leak * int(leaks.sum()))
        )
        out["displaced"][t] = rng.poisson(
            params.displaced_per_clash * clashes + params.displaced_per_civilian_death * civilians
        )
        tal_agents, isk_agents = self.counts()
        out["taliban_fighters"][t] = tal_agents * scale
        out["iskp_fighters"][t] = isk_agents * scale
        self.month += 1

    def run(self) -> dict[str, Any]:
        """Step through every month; return the series."""
        while self.month < self.months:
            self.step()
        return self.series
