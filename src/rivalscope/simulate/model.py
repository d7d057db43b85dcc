"""The scenario model: a vectorized agent-based model of the ISKP-Taliban rivalry.

Agents are fighters of the Taliban and of ISKP and a pool of potential recruits (civilians,
prisoners, foreign fighters) spread over Afghanistan's 34 provinces. Every attribute is one NumPy
array (province, group, kind, hardness, grievance, loyalty, intelligence): there is no Python
object per agent. A month costs a few passes over the agents (one random number each, a
comparison with the largest probability of change their cell allows) and work on the few who
may change; grievance and loyalty follow closed forms and are computed when read. Each agent
stands for ``Population.scale`` people; every count the model reports is in people.

A month, in order (the rules, their parameters and where each default comes from are in
docs/simulator.md):

1. scheduled prison breaks release prisoners into ISKP;
2. province events: clashes, ISKP attacks (on the Taliban, on civilians), US strikes with their
   hits and errors, and the civilian deaths they cause;
3. every agent draws one uniform number that decides between competing monthly hazards:
   defection or recruitment, desertion or recruitment to the Taliban, death in a clash, death
   in an attack or a strike;
4. defectors holding shared intelligence leak it: ISKP gains a counter-intelligence advantage
   and exposed informants are killed;
5. grievance, loyalty and the counter-intelligence advantage move; clashes and civilian deaths
   displace people.

The model owns its random streams (one :class:`numpy.random.SeedSequence` split five ways:
set-up, agents, events, the rest, and what feeds nothing back: civilians killed in ISKP
attacks and displacement, drawn for every month at once when the run is done), so the same seed
gives the same run, and the agents' stream draws exactly one number per agent per month
whatever the scenario: two scenarios run with the same seed differ only where their rules
differ (common random numbers).

Example:
    >>> from rivalscope.simulate.model import Policy, Population, simulate
    >>> run = simulate(Population(scale=100), Policy(cooperation=0.8), months=12, seed=1)
    >>> int(run.total("iskp_fighters")[-1]) > 0
    True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.places import AFGHAN_PROVINCES

Counts = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

PROVINCES: Final[tuple[str, ...]] = tuple(p.code for p in AFGHAN_PROVINCES)
"""The 34 provinces, in the order of every per-province array."""
PROVINCE_NAMES: Final[dict[str, str]] = {p.code: p.name for p in AFGHAN_PROVINCES}
N_PROVINCES: Final = len(PROVINCES)

POOL, TALIBAN, ISKP, DEAD = 0, 1, 2, 3
GROUPS: Final = ("pool", "TALIBAN", "ISKP", "dead")
CIVILIAN, PRISONER, FOREIGN = 0, 1, 2
KINDS: Final = ("civilian", "prisoner", "foreign")
_G, _K, _P = len(GROUPS), len(KINDS), N_PROVINCES
_CELLS: Final = _G * _K * _P

POPULATION_WEIGHTS: Final[dict[str, float]] = {
    "AF-BDS": 1054, "AF-BDG": 549, "AF-BGL": 1014, "AF-BAL": 1475, "AF-BAM": 495,
    "AF-DAY": 516, "AF-FRA": 563, "AF-FYB": 1109, "AF-GHA": 1362, "AF-GHO": 764,
    "AF-HEL": 1446, "AF-HER": 2140, "AF-JOW": 589, "AF-KAB": 5572, "AF-KAN": 1399,
    "AF-KAP": 494, "AF-KHO": 640, "AF-KNR": 508, "AF-KDZ": 1136, "AF-LAG": 502,
    "AF-LOG": 439, "AF-NAN": 1702, "AF-NIM": 186, "AF-NUR": 167, "AF-PIA": 611,
    "AF-PKA": 775, "AF-PAN": 169, "AF-PAR": 737, "AF-SAM": 438, "AF-SAR": 624,
    "AF-TAK": 1093, "AF-URU": 436, "AF-WAR": 660, "AF-ZAB": 388,
}  # fmt: skip
"""Approximate settled population per province in thousands (rounded NSIA 2021-22 estimates):
used only as relative weights for where Taliban fighters and potential recruits live."""

ISK_CORE_WEIGHTS: Final[dict[str, float]] = {
    "AF-NAN": 0.30, "AF-KNR": 0.15, "AF-KAB": 0.12, "AF-JOW": 0.06, "AF-KDZ": 0.06,
    "AF-BAL": 0.05, "AF-LAG": 0.05, "AF-NUR": 0.05, "AF-BDS": 0.04, "AF-HER": 0.04,
    "AF-PAR": 0.03, "AF-FYB": 0.03, "AF-TAK": 0.02,
}  # fmt: skip
"""Where ISKP's fighters are concentrated (assumed, after the seed's narrative and UN Monitoring
Team reports: Nangarhar and Kunar first, then Kabul and the north)."""

PRISON_WEIGHTS: Final[dict[str, float]] = {
    "AF-KAB": 0.45, "AF-PAR": 0.25, "AF-NAN": 0.10, "AF-KAN": 0.07, "AF-HER": 0.07,
    "AF-BAL": 0.06,
}  # fmt: skip
"""Where ISKP prisoners are held (assumed: Pul-e-Charkhi in Kabul, Bagram in Parwan, and the
provincial prisons of Jalalabad, Kandahar, Herat and Mazar-i-Sharif)."""


def _weights(table: Mapping[str, float]) -> Floats:
    values = np.array([table.get(code, 0.0) for code in PROVINCES], dtype=np.float64)
    return values / values.sum()


def _param(default: float, help: str, source: str) -> Any:
    return field(default=default, metadata={"help": help, "source": source})


@dataclass(frozen=True)
class Params:
    """The model's parameters (not policies). The first four are calibrated from the store.

    Every field carries ``help`` and ``source`` metadata; docs/simulator.md lists them all.
    """

    clash_rate: float = _param(
        0.5,
        "ISKP-Taliban clashes per 1,000 ISKP fighters in a province per month, at crackdown 0.5",
        "calibrated; default of the order of UCDP GED 21.1 (11-27 clashes a year, 2015-2018)",
    )
    attack_rate: float = _param(
        0.5,
        "ISKP attacks per 1,000 ISKP fighters per month at attack tempo 1",
        "calibrated; default of the order of UCDP GED 21.1 one-sided ISKP events",
    )
    defect_base: float = _param(
        0.0004,
        "monthly base hazard of a Taliban fighter defecting to ISKP (all drivers at 0)",
        "calibrated; default assumed",
    )
    isk_spread: float = _param(
        0.3,
        "share of ISKP fighters (and foreign fighters) spread evenly over all provinces "
        "instead of ISKP's core provinces",
        "calibrated; default assumed",
    )
    beta_concession: float = _param(
        3.0, "log-hazard per unit of hardness x concession (Taliban to ISKP)", "assumed"
    )
    beta_cooperation: float = _param(
        2.0, "log-hazard per unit of hardness x cooperation (Taliban to ISKP)", "assumed"
    )
    beta_isk_local: float = _param(
        3.0, "log-hazard per unit of ISKP's share of the province's fighters", "assumed"
    )
    beta_grievance: float = _param(2.0, "log-hazard per unit of grievance (defection)", "assumed")
    beta_loyalty: float = _param(
        3.0, "log-hazard per unit of loyalty (defection, both ways; negative)", "assumed"
    )
    reverse_base: float = _param(
        0.002,
        "monthly base hazard of an ISKP fighter defecting (surrendering) to the Taliban",
        "assumed (surrenders after offensives, e.g. Nangarhar 2019)",
    )
    beta_pressure: float = _param(
        2.0, "log-hazard of ISKP-to-Taliban defection per unit of provincial crackdown", "assumed"
    )
    beta_softness: float = _param(
        2.0, "log-hazard of ISKP-to-Taliban defection per unit of (1 - hardness)", "assumed"
    )
    desert_base: float = _param(
        0.004, "monthly base hazard of a fighter deserting to civilian life", "assumed"
    )
    beta_desert_loyalty: float = _param(
        2.0, "log-hazard of desertion per unit of loyalty (negative)", "assumed"
    )
    recruit_isk: float = _param(
        0.0005,
        "monthly hazard scale of a potential recruit joining ISKP, per unit of ISKP's local "
        "share of fighters plus its online reach",
        "assumed",
    )
    online_reach: float = _param(
        0.02,
        "ISKP's recruitment reach where it has no fighters (propaganda, networks)",
        "assumed",
    )
    beta_recruit_hardness: float = _param(
        3.0, "log-hazard of joining ISKP per unit of hardness", "assumed"
    )
    beta_recruit_grievance: float = _param(
        2.0, "log-hazard of joining ISKP per unit of grievance", "assumed"
    )
    recruit_taliban: float = _param(
        0.002, "monthly base hazard of a potential recruit joining the Taliban", "assumed"
    )
    beta_taliban_grievance: float = _param(
        2.0, "log-hazard of joining the Taliban per unit of grievance (negative)", "assumed"
    )
    prisoner_multiplier: float = _param(
        3.0, "ISKP recruitment hazard of a prisoner relative to a civilian", "assumed"
    )
    foreign_multiplier: float = _param(
        5.0, "ISKP recruitment hazard of a foreign fighter relative to a civilian", "assumed"
    )
    clash_lethality: float = _param(
        7.6,
        "mean fighter deaths per ISKP-Taliban clash",
        "UCDP GED 21.1: 71 IS-Taleban events in Afghanistan, 2015-2019, mean best 7.6",
    )
    isk_loss_share: float = _param(0.6, "ISKP's share of the fighters killed in a clash", "assumed")
    attack_lethality: float = _param(
        14.3,
        "mean deaths per ISKP attack",
        "UCDP GED 21.1: 78 one-sided IS events in Afghanistan, 2015-2020, mean best 14.3",
    )
    attack_on_taliban_share: float = _param(
        0.4, "share of ISKP attacks aimed at the Taliban (the rest at civilians)", "assumed"
    )
    religious_site_share: float = _param(
        0.25, "share of ISKP attacks on civilians that hit religious sites", "assumed"
    )
    strike_hit_base: float = _param(
        0.3, "probability that a US strike hits ISKP without Taliban cooperation", "assumed"
    )
    strike_hit_cooperation: float = _param(
        0.5, "added hit probability at full Taliban cooperation", "assumed"
    )
    strike_kills: float = _param(3.0, "ISKP fighters killed per strike that hits", "assumed")
    civilians_per_error: float = _param(
        4.0,
        "mean civilians killed by a US strike in error",
        "assumed (the Kabul strike of 2021-08-29 killed 10)",
    )
    intel_share: float = _param(
        0.05,
        "share of Taliban fighters holding shared intelligence at full cooperation",
        "assumed",
    )
    leak_probability: float = _param(
        0.8, "probability that a defector holding intelligence passes it to ISKP", "assumed"
    )
    informants_per_leak: float = _param(
        0.5, "informants exposed and killed per leaked item", "assumed"
    )
    ci_per_leak: float = _param(
        0.05, "counter-intelligence advantage gained per leaked item (saturating)", "assumed"
    )
    ci_decay: float = _param(
        0.1, "monthly decay of ISKP's counter-intelligence advantage", "assumed"
    )
    grievance_harm: float = _param(
        0.15, "most grievance added in a month by civilian harm from strikes", "assumed"
    )
    civilian_harm_half: float = _param(
        10.0, "strike civilian deaths in a province that add 63% of grievance_harm", "assumed"
    )
    grievance_crackdown: float = _param(
        0.002, "grievance added per month per unit of crackdown", "assumed"
    )
    grievance_decay: float = _param(
        0.05, "monthly pull of grievance back to its baseline", "assumed"
    )
    grievance_baseline: float = _param(0.25, "grievance baseline (mean at start)", "assumed")
    loyalty_gain: float = _param(0.005, "loyalty gained per month in a group", "assumed")
    displaced_per_clash: float = _param(150.0, "people displaced per clash", "assumed")
    displaced_per_civilian_death: float = _param(
        20.0, "people displaced per civilian killed", "assumed"
    )

    def replace(self, **changes: float) -> Params:
        """A copy with some parameters changed (names checked)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise InputError(f"unknown model parameter {unknown[0]!r}")
        return dataclasses.replace(self, **changes)


FREE_PARAMETERS: Final[tuple[str, ...]] = (
    "clash_rate",
    "attack_rate",
    "defect_base",
    "isk_spread",
)
"""The parameters calibration fits; the others keep their documented defaults."""


@dataclass(frozen=True)
class PrisonBreak:
    """A one-off release of ``fighters`` ISKP prisoners in ``province`` at ``month`` (0-based)."""

    province: str
    month: int
    fighters: int


@dataclass(frozen=True)
class Policy:
    """What the actors choose: the scenario's levers.

    Attributes:
        cooperation: Taliban cooperation with the US against ISKP (0..1): raises the hit rate of
            US strikes and the share of Taliban fighters holding shared intelligence.
        concession: the Taliban's ideological concession (0..1): pushes hard-line fighters
            toward ISKP.
        crackdown: crackdown intensity per province (0..1), in :data:`PROVINCES` order.
        recruitment: ISKP's recruitment effort (a multiplier, 1 = calibrated).
        attack_tempo: ISKP's attack tempo (a multiplier, 1 = calibrated).
        prison_breaks: one-off releases of prisoners into ISKP.
        strike_tempo: US over-the-horizon strikes per month.
        error_rate: probability that a US strike harms civilians.
    """

    cooperation: float = 0.2
    concession: float = 0.2
    crackdown: tuple[float, ...] = (0.5,) * N_PROVINCES
    recruitment: float = 1.0
    attack_tempo: float = 1.0
    prison_breaks: tuple[PrisonBreak, ...] = ()
    strike_tempo: float = 1.0
    error_rate: float = 0.1

    def __post_init__(self) -> None:
        if len(self.crackdown) != N_PROVINCES:
            raise InputError(f"crackdown needs {N_PROVINCES} provinces, got {len(self.crackdown)}")
        for name in ("cooperation", "concession", "error_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InputError(f"{name}: {value} is not in [0, 1]")
        if any(not 0.0 <= c <= 1.0 for c in self.crackdown):
            raise InputError("crackdown: every value must be in [0, 1]")
        for name in ("recruitment", "attack_tempo", "strike_tempo"):
            if getattr(self, name) < 0:
                raise InputError(f"{name}: {getattr(self, name)} is negative")
        for brk in self.prison_breaks:
            if brk.province not in PROVINCES:
                raise InputError(f"prison break: {brk.province!r} is not a province code")
            if brk.month < 0 or brk.fighters < 0:
                raise InputError("prison break: month and fighters must be >= 0")


@dataclass(frozen=True)
class Population:
    """Who there is at the start, in people; ``scale`` people make one agent.

    Defaults are assumed, of the order the UN Security Council's Monitoring Team reported for
    2021-2023 (Taliban fighters in the tens of thousands; ISKP in the low thousands).
    """

    scale: int = 10
    taliban: int = 60_000
    iskp: int = 2_500
    civilians: int = 95_000
    prisoners: int = 3_000
    foreign: int = 2_000

    def __post_init__(self) -> None:
        if self.scale < 1:
            raise InputError(f"scale: {self.scale} must be a whole number >= 1")
        for name in ("taliban", "iskp", "civilians", "prisoners", "foreign"):
            if getattr(self, name) < 0:
                raise InputError(f"{name}: {getattr(self, name)} is negative")

    def agents(self) -> int:
        """How many agents the population makes (before prisoners added for prison breaks)."""
        return sum(
            _agents(getattr(self, name), self.scale)
            for name in ("taliban", "iskp", "civilians", "prisoners", "foreign")
        )


def _agents(people: int, scale: int) -> int:
    return round(people / scale)


METRICS: Final[dict[str, str]] = {
    "taliban_fighters": "Taliban fighters at the end of the month",
    "iskp_fighters": "ISKP fighters at the end of the month",
    "recruits_taliban": "people who joined the Taliban from the pool",
    "recruits_iskp": "people who joined ISKP from the pool (prison releases included)",
    "released": "prisoners released into ISKP by prison breaks",
    "defections_to_iskp": "Taliban fighters who defected to ISKP",
    "defections_to_taliban": "ISKP fighters who defected to the Taliban",
    "deaths_taliban": "Taliban fighters killed (clashes and ISKP attacks)",
    "deaths_iskp": "ISKP fighters killed (clashes and US strikes)",
    "desertions_taliban": "Taliban fighters who left for civilian life",
    "desertions_iskp": "ISKP fighters who left for civilian life",
    "clashes": "ISKP-Taliban clashes",
    "clash_deaths": "fighters killed in clashes (both sides)",
    "attacks": "ISKP attacks (on the Taliban and on civilians; informant killings apart)",
    "attacks_on_taliban": "ISKP attacks on the Taliban",
    "attacks_on_religious_sites": "ISKP attacks on civilians at religious sites",
    "attack_deaths_taliban": "Taliban fighters killed in ISKP attacks",
    "attack_civilian_deaths": "civilians killed in ISKP attacks",
    "strikes": "US strikes",
    "strike_hits": "US strikes that hit ISKP",
    "strike_errors": "US strikes that harmed civilians",
    "strike_deaths": "ISKP fighters killed by US strikes",
    "strike_civilian_deaths": "civilians killed by US strikes",
    "leaks": "intelligence items leaked to ISKP by defectors",
    "informants_killed": "informants exposed by leaks and killed by ISKP",
    "civilian_deaths": "civilians killed (attacks, strikes, informants)",
    "deaths": "everyone killed (fighters and civilians)",
    "displaced": "people newly displaced",
    "prison_breaks": "prison breaks",
}
"""Every monthly per-province series a run reports (the model's named reporters)."""

_EVENT_NAMES: Final = (
    "clashes",
    "attacks_on_taliban",
    "attacks_on_religious_sites",
    "attacks",
    "strike_hits",
    "strike_errors",
    "strikes",
)
_EVENTS_FROM_COUNTS: Final = np.array(
    [
        [1, 0, 0, 0, 0, 0, 0, 0],  # clashes
        [0, 1, 0, 0, 0, 0, 0, 0],  # attacks on the Taliban
        [0, 0, 1, 0, 0, 0, 0, 0],  # attacks on religious sites
        [0, 1, 1, 1, 0, 0, 0, 0],  # attacks
        [0, 0, 0, 0, 1, 1, 0, 0],  # strikes that hit
        [0, 0, 0, 0, 1, 0, 1, 0],  # strikes in error
        [0, 0, 0, 0, 1, 1, 1, 1],  # strikes
        [0, 0, 1, 1, 0, 0, 0, 0],  # attacks on civilians (not a series)
    ],
    dtype=np.int64,
)
"""From the month's eight Poisson counts (clashes; attacks on the Taliban, on religious sites,
on other civilian targets; strikes that hit and err, hit only, err only, neither) to series."""
_DEADLY: Final = np.array([0, 1, 0, 4], dtype=np.intp)
"""Rows of the month's event counts that kill fighters: clashes and attacks on the Taliban
(Taliban deaths), clashes and strikes that hit (ISKP deaths)."""
_FLOWS: Final = (
    ("defections_to_iskp", ((0, TALIBAN),)),
    ("defections_to_taliban", ((0, ISKP),)),
    ("recruits_iskp", ((0, POOL),)),
    ("recruits_taliban", ((1, POOL),)),
    ("desertions_taliban", ((1, TALIBAN),)),
    ("desertions_iskp", ((1, ISKP),)),
    ("deaths_taliban", ((2, TALIBAN), (3, TALIBAN))),
    ("deaths_iskp", ((2, ISKP), (3, ISKP))),
    ("clash_deaths", ((2, TALIBAN), (2, ISKP))),
    ("attack_deaths_taliban", ((3, TALIBAN),)),
    ("strike_deaths", ((3, ISKP),)),
)
"""Series made of the month's flows: the (slot, group they left) cells each one sums."""


_TRANSITIONS_LIST: Final = (
    (ISKP, ISKP, TALIBAN, DEAD),  # A: recruit to ISKP / defect
    (TALIBAN, POOL, POOL, DEAD),  # B: recruit to the Taliban / desert
    (POOL, DEAD, DEAD, DEAD),  # C: killed in a clash
    (POOL, DEAD, DEAD, DEAD),  # D: killed in an attack (Taliban) or a strike (ISKP)
)
"""The group an agent moves to, by slot (row) and by the group it leaves (column: pool,
Taliban, ISKP, dead)."""
_TRANSITIONS: Final = np.array(_TRANSITIONS_LIST, dtype=np.int8)
_TRANSITIONS_FLAT: Final = _TRANSITIONS.reshape(-1).astype(np.intp)
"""The group an agent moves to, by ``slot * groups + the group it leaves``."""
_LEFT: Final = np.tile(np.arange(_G), 4)
_DEFECTS_TO_ISKP: Final = (_LEFT == TALIBAN) & (_TRANSITIONS_FLAT == ISKP)
_JOINS_TALIBAN: Final = (_LEFT == POOL) & (_TRANSITIONS_FLAT == TALIBAN)
_JOINS_A_GROUP: Final = (_TRANSITIONS_FLAT == TALIBAN) | (_TRANSITIONS_FLAT == ISKP)


def _flow_matrix() -> Counts:
    matrix = np.zeros((len(_FLOWS), 4 * _G), dtype=np.int64)
    for row, (_, cells) in enumerate(_FLOWS):
        for slot, group in cells:
            matrix[row, slot * _G + group] = 1
    return matrix


_SERIES_FROM_FLOWS: Final = _flow_matrix()


def _net_matrix() -> Counts:
    matrix = np.zeros((_G, 4 * _G), dtype=np.int64)
    for slot in range(4):
        for group in range(_G):
            matrix[group, slot * _G + group] -= 1
            matrix[_TRANSITIONS_LIST[slot][group], slot * _G + group] += 1
    return matrix


_NET_FROM_FLOWS: Final = _net_matrix()
"""From the month's flows to the change in agents per group: each mover leaves its group and
joins the one its slot sends it to."""
_NET_AND_SERIES_FROM_FLOWS: Final = np.vstack([_NET_FROM_FLOWS, _SERIES_FROM_FLOWS])
"""Both at once: the first rows are the change per group, the others the flow series."""
_NONE: Final = np.zeros(N_PROVINCES, dtype=np.int64)

STOCKS: Final = ("taliban_fighters", "iskp_fighters")
"""Series that are levels at the end of a month; the others are flows within it."""

_LAYOUT: Final = (
    *(name for name, _ in _FLOWS),
    *_EVENT_NAMES,
    *STOCKS,
)
_ROW: Final = {
    name: i for i, name in enumerate((*_LAYOUT, *(m for m in METRICS if m not in _LAYOUT)))
}
"""Where each series lives in a run's (months, series, provinces) array: the series written
together each month are next to each other, so each group is written through one slice."""


def _rows(names: tuple[str, ...]) -> slice:
    first = _ROW[names[0]]
    assert [_ROW[n] for n in names] == list(range(first, first + len(names)))
    return slice(first, first + len(names))


_FLOW_ROWS: Final = _rows(tuple(name for name, _ in _FLOWS))
_EVENT_ROWS: Final = _rows(_EVENT_NAMES)
_STOCK_ROWS: Final = _rows(STOCKS)


@dataclass(frozen=True)
class RunResult:
    """One run: monthly series per province (in people) and what produced them.

    Attributes:
        series: ``{metric: array (months, provinces)}`` for every name in :data:`METRICS`.
        start: ``{"taliban_fighters", "iskp_fighters": array (provinces,)}`` before month 0.
        start_date: the first day of month 0.
        seed: the run's seed.
        label: a short name for the run (used in simulated event ids).
        population, policy, params: what the run was given.
    """

    series: dict[str, Counts]
    start: dict[str, Counts]
    start_date: dt.date
    seed: int
    label: str
    population: Population
    policy: Policy
    params: Params

    @property
    def months(self) -> int:
        """How many months were simulated."""
        return int(self.series["clashes"].shape[0])

    def total(self, metric: str) -> Counts:
        """The country total of one metric per month."""
        if metric not in self.series:
            raise InputError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")
        return self.series[metric].sum(axis=1)

    def month_date(self, month: int) -> dt.date:
        """The first day of month ``month`` (0-based)."""
        return add_months(self.start_date, month)

    def to_table(self) -> pa.Table:
        """The series as a long Arrow table: one row per month and province."""
        months, provinces = self.series["clashes"].shape
        columns: dict[str, Any] = {
            "month": pa.array(np.repeat(np.arange(months), provinces), pa.int32()),
            "date": pa.array(
                np.repeat([self.month_date(m) for m in range(months)], provinces), pa.date32()
            ),
            "admin1_code": pa.array(np.tile(PROVINCES, months), pa.string()),
        }
        for name in METRICS:
            columns[name] = pa.array(self.series[name].reshape(-1), pa.int64())
        return pa.table(columns)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


class Model:
    """The model's state and its monthly step; use :func:`simulate` for a whole run.

    Args:
        population: who there is at the start.
        policy: the scenario's levers.
        params: model parameters.
        months: how many months will be simulated (sizes the series).
        seed: the run's seed.
    """

    def __init__(
        self,
        population: Population,
        policy: Policy,
        params: Params,
        *,
        months: int,
        seed: int = 0,
    ) -> None:
        if months < 1:
            raise InputError(f"months: {months} must be at least 1")
        self.population, self.policy, self.params = population, policy, params
        self.scale = population.scale
        self.months = months
        self.month = 0
        self.seed = seed
        init, agents, events, misc, after = np.random.SeedSequence(seed).spawn(5)
        self.rng_agents = np.random.default_rng(agents)
        self.rng_events = np.random.default_rng(events)
        self.rng_misc = np.random.default_rng(misc)
        self.rng_after = np.random.default_rng(after)
        self._crackdown = np.asarray(policy.crackdown, dtype=np.float64)
        self._setup(np.random.default_rng(init))
        self._static = self._static_tables()
        self._static_flat = {name: table.reshape(-1) for name, table in self._static.items()}
        self.ci = 0.0
        self._data = np.zeros((months, len(METRICS), _P), dtype=np.int64)
        self._ci_by_month = np.zeros(months)
        self.series = {name: self._data[:, _ROW[name], :] for name in METRICS}
        self._buffers()
        self.start = {
            "taliban_fighters": self._counts[TALIBAN] * self.scale,
            "iskp_fighters": self._counts[ISKP] * self.scale,
        }

    # --- set-up -------------------------------------------------------------------------------
    def _setup(self, rng: np.random.Generator) -> None:
        pop, params, scale = self.population, self.params, self.scale
        uniform = np.full(_P, 1.0 / _P)
        isk_weights = (1 - params.isk_spread) * _weights(ISK_CORE_WEIGHTS) + (
            params.isk_spread * uniform
        )
        people = _weights(POPULATION_WEIGHTS)
        prisons = _weights(PRISON_WEIGHTS)
        extra = np.zeros(_P, dtype=np.int64)
        for brk in self.policy.prison_breaks:
            extra[PROVINCES.index(brk.province)] += math.ceil(brk.fighters / scale)
        blocks = [
            (TALIBAN, CIVILIAN, _agents(pop.taliban, scale), people, (2.0, 5.0), (5.0, 2.0)),
            (ISKP, CIVILIAN, _agents(pop.iskp, scale), isk_weights, (5.0, 2.0), (4.0, 3.0)),
            (POOL, CIVILIAN, _agents(pop.civilians, scale), people, (1.5, 6.0), None),
            (POOL, PRISONER, _agents(pop.prisoners, scale), prisons, (4.0, 3.0), None),
            (POOL, FOREIGN, _agents(pop.foreign, scale), isk_weights, (5.0, 2.0), None),
        ]  # fmt: skip
        provinces, groups, kinds, hardness, loyalty = [], [], [], [], []
        for group, kind, n, weights, hard, loyal in blocks:
            # what rng.choice(_P, size=n, p=weights) draws, without its checks of p
            cdf = weights.cumsum()
            cdf /= cdf[-1]
            where = cdf.searchsorted(rng.random(n), side="right")
            if kind == PRISONER:
                where = np.concatenate([where, np.repeat(np.arange(_P), extra)])
                n = len(where)
            provinces.append(where)
            groups.append(np.full(n, group, dtype=np.int8))
            kinds.append(np.full(n, kind, dtype=np.int8))
            hardness.append(rng.beta(*hard, size=n))
            loyalty.append(rng.beta(*loyal, size=n) if loyal else np.zeros(n))
        self.province = np.concatenate(provinces).astype(np.int16)
        self.group = np.concatenate(groups)
        self.kind = np.concatenate(kinds)
        self.hardness = np.concatenate(hardness).astype(np.float32)
        self._loyal0 = np.concatenate(loyalty).astype(np.float32)
        n_agents = len(self.province)
        mean = params.grievance_baseline
        self._grievance0 = rng.beta(8 * mean, 8 * (1 - mean), size=n_agents).astype(np.float32)
        self._joined = np.zeros(n_agents, dtype=np.int32)
        self._decayed = 1.0
        self._shocks = np.zeros(_P)
        share = params.intel_share * self.policy.cooperation
        self.intel = (rng.random(n_agents) < share) & (self.group == TALIBAN)
        self.cell = self._cell(self.group, self.kind, self.province)
        self._where = self.province.astype(np.intp)
        self._counts = self._count()

    @staticmethod
    def _cell(group: npt.NDArray[Any], kind: npt.NDArray[Any], province: npt.NDArray[Any]) -> Any:
        """Index of (group, kind, province) in the flattened rule tables."""
        cell = (group.astype(np.intp) * _K + kind) * _P + province
        return cell.astype(np.intp)

    def _count(self) -> Counts:
        """Agents per group and province, shape (groups, provinces)."""
        counts = np.bincount(self.cell, minlength=_CELLS).reshape(_G, _K, _P)
        return counts.sum(axis=1).astype(np.int64)

    @property
    def agents(self) -> int:
        """How many agents the model holds (the dead included)."""
        return len(self.cell)

    # --- one month ----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month."""
        if self.month >= self.months:
            raise InputError(f"the model was sized for {self.months} months")
        t = self.month
        self._prison_breaks(t)
        events = self._events()
        tables = self._tables(events)
        moved, slot = self._draw(tables)
        self._apply(moved, slot, events)
        self._data[t, _STOCK_ROWS] = self._counts[TALIBAN : ISKP + 1] * self.scale
        self.month += 1
        if self.month == self.months:
            self._finish()

    def _finish(self) -> None:
        """The series that feed nothing back, every month at once when the run is done, from
        their own stream (the same distribution as drawing them month by month): civilians
        killed in ISKP attacks (Poisson with mean ``attack_lethality`` x (1 + the month's
        counter-intelligence advantage) per attack on civilians), all civilians killed (in
        attacks, by strikes, informants), everyone killed, and people newly displaced (Poisson
        with mean ``displaced_per_clash`` x clashes + ``displaced_per_civilian_death`` x
        civilians killed in the province that month)."""
        params, data, rng = self.params, self._data, self.rng_after
        on_civilians = data[:, _ROW["attacks"]] - data[:, _ROW["attacks_on_taliban"]]
        mean = on_civilians * (params.attack_lethality * (1 + self._ci_by_month))[:, None]
        data[:, _ROW["attack_civilian_deaths"]] = rng.poisson(mean)
        civilians = (
            data[:, _ROW["attack_civilian_deaths"]] + data[:, _ROW["strike_civilian_deaths"]]
        )
        civilians += data[:, _ROW["informants_killed"]]
        data[:, _ROW["civilian_deaths"]] = civilians
        data[:, _ROW["deaths"]] = (
            data[:, _ROW["deaths_taliban"]] + data[:, _ROW["deaths_iskp"]] + civilians
        )
        displacing = params.displaced_per_clash * data[:, _ROW["clashes"]]
        displacing += params.displaced_per_civilian_death * civilians
        data[:, _ROW["displaced"]] = rng.poisson(displacing)

    def _prison_breaks(self, t: int) -> None:
        for brk in self.policy.prison_breaks:
            if brk.month != t:
                continue
            p = PROVINCES.index(brk.province)
            held = np.flatnonzero(
                (self.group == POOL) & (self.kind == PRISONER) & (self.province == p)
            )
            wanted = min(len(held), math.ceil(brk.fighters / self.scale))
            freed = self.rng_misc.choice(held, size=wanted, replace=False)
            self.group[freed] = ISKP
            self._loyal0[freed] = self.rng_misc.beta(2.0, 5.0, size=wanted)
            self._joined[freed] = t
            self.cell[freed] = self._cell(self.group[freed], self.kind[freed], self.province[freed])
            self.series["released"][t, p] += wanted * self.scale
            self.series["recruits_iskp"][t, p] += wanted * self.scale
            self.series["prison_breaks"][t, p] += 1
            self._counts = self._count()

    def _events(self) -> dict[str, Any]:
        """Province events of the month from the fighters present at its start.

        Every count is Poisson: clashes; ISKP attacks split into attacks on the Taliban, on
        religious sites and on other civilian targets; US strikes split four ways by whether
        each hits ISKP and whether it harms civilians (independent marks). Splitting a Poisson
        count by independent marks gives independent Poisson counts, so all of them are one
        draw.
        """
        params, policy, rng, t, data = (
            self.params,
            self.policy,
            self.rng_events,
            self.month,
            self._data,
        )
        tal, isk = self._counts[TALIBAN : ISKP + 1] * self.scale
        ci = self.ci
        hit = (params.strike_hit_base + params.strike_hit_cooperation * policy.cooperation) * (
            1 - ci
        )
        hit, error = min(1.0, max(0.0, hit)), policy.error_rate
        total_isk = isk.sum()
        mix = self._mix
        mix[1:4] = self._attack_mix * (1 + ci)
        per = policy.strike_tempo / total_isk if total_isk > 0 else 0.0
        mix[4:] = (
            per * hit * error,
            per * hit * (1 - error),
            per * (1 - hit) * error,
            per * (1 - hit) * (1 - error),
        )
        rates = np.multiply.outer(mix, isk, out=self._rates)
        rates[0] *= self._clash_coefficient * (tal > 0)
        counts = rng.poisson(rates)
        rows = _EVENTS_FROM_COUNTS @ counts
        data[t, _EVENT_ROWS] = rows[:7]
        clashes, errors = rows[0], rows[5]
        self._ci_by_month[t] = ci
        if errors.any():
            strike_civilians = rng.poisson(errors * params.civilians_per_error)
            data[t, _ROW["strike_civilian_deaths"]] = strike_civilians
        else:
            strike_civilians = _NONE
        isk_share = params.isk_loss_share * (1 - 0.5 * ci)
        per_event = self._per_event
        per_event[:, 0] = (
            params.clash_lethality * (1 - isk_share),
            params.attack_lethality * (1 + ci),
            params.clash_lethality * isk_share,
            params.strike_kills,
        )
        expected = (rows[_DEADLY] * per_event).reshape(2, 2, _P)
        return {
            "tal": tal,
            "isk": isk,
            "clashes": clashes,
            "expected_deaths": expected,
            "strike_civilians": strike_civilians,
        }

    def _static_tables(self) -> dict[str, npt.NDArray[np.float64]]:
        """The parts of the rule tables that do not change from month to month.

        Tables are over (group, kind, province) cells. Slot A: a Taliban fighter defects to
        ISKP, an ISKP fighter to the Taliban, a potential recruit joins ISKP; slot B: a fighter
        deserts, a potential recruit joins the Taliban; slots C and D: a fighter is killed in a
        clash, or in an ISKP attack (Taliban) or a US strike (ISKP). A hazard is
        ``exp(a0 + ah * hardness + ag * grievance + al * loyalty)`` for slot A and
        ``exp(b0 + bg * grievance + bl * loyalty)`` for slot B.
        """
        params, policy = self.params, self.policy
        shape = (_G, _K, _P)
        a0 = np.full(shape, -np.inf)
        ah, ag, al = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        b0 = np.full(shape, -np.inf)
        bg, bl = np.zeros(shape), np.zeros(shape)
        ah[TALIBAN] = (
            params.beta_concession * policy.concession
            + params.beta_cooperation * policy.cooperation
        )
        ag[TALIBAN] = params.beta_grievance
        al[TALIBAN] = -params.beta_loyalty
        a0[ISKP] = (
            math.log(params.reverse_base)
            + params.beta_pressure * self._crackdown
            + params.beta_softness
        )
        ah[ISKP] = -params.beta_softness
        al[ISKP] = -params.beta_loyalty
        for group in (TALIBAN, ISKP):
            b0[group] = math.log(params.desert_base)
            bl[group] = -params.beta_desert_loyalty
        ah[POOL] = params.beta_recruit_hardness
        ag[POOL] = params.beta_recruit_grievance
        b0[POOL, CIVILIAN] = math.log(params.recruit_taliban)
        bg[POOL] = -params.beta_taliban_grievance
        return {
            "a0": a0,
            "ah": ah,
            "ag": ag,
            "al": al,
            "b0": b0,
            "bg": bg,
            "bl": bl,
        }

    def _buffers(self) -> None:
        """Arrays reused every month (rates, rule tables) and constants of the run."""
        params, policy = self.params, self.policy
        agents = len(self.cell)
        self._u = np.empty(agents, dtype=np.float32)  # each agent's uniform number
        self._bounds = np.empty(agents, dtype=np.float32)  # its cell's bound
        self._near = np.empty(agents, dtype=bool)  # below it
        self._rates = np.zeros((8, _P))
        self._per_event = np.zeros((4, 1))  # deaths per event of each _DEADLY row
        to_taliban, religious = params.attack_on_taliban_share, params.religious_site_share
        self._mix = np.zeros(8)
        self._mix[0] = 1.0
        self._attack_mix = (params.attack_rate * policy.attack_tempo / 1000.0) * np.array(
            [to_taliban, (1 - to_taliban) * religious, (1 - to_taliban) * (1 - religious)]
        )
        self._clash_coefficient = params.clash_rate / 1000.0 * (0.5 + self._crackdown)
        flat = self._static_flat
        self._coef = np.zeros((_CELLS, 2, 4))
        for column, name in enumerate(("a0", "ah", "ag", "al")):
            self._coef[:, 0, column] = flat[name]
        for column, name in ((0, "b0"), (2, "bg"), (3, "bl")):
            self._coef[:, 1, column] = flat[name]
        self._deaths = np.zeros((_CELLS, 2))
        # views over (group, kind, province) of what _tables changes each month
        self._a0 = self._coef[:, 0, 0].reshape(_G, _K, _P)
        self._c = self._deaths[:, 0].reshape(_G, _K, _P)
        self._d = self._deaths[:, 1].reshape(_G, _K, _P)
        self._most = np.zeros((_G, _K, _P))
        self._bound = np.zeros(_CELLS, dtype=np.float32)
        self._log_defect = math.log(params.defect_base)
        multipliers = np.array([1.0, params.prisoner_multiplier, params.foreign_multiplier])
        with np.errstate(divide="ignore"):
            self._log_reach = np.log(params.recruit_isk * policy.recruitment * multipliers).reshape(
                _K, 1
            )
        shift = params.grievance_crackdown * self._crackdown + (
            params.grievance_decay * params.grievance_baseline
        )
        self._shift = shift
        static = self._static
        self._most_a = (
            np.maximum(static["ah"], 0) + np.maximum(static["ag"], 0) + np.maximum(static["al"], 0)
        )
        self._most_b = np.exp(
            static["b0"] + np.maximum(static["bg"], 0) + np.maximum(static["bl"], 0)
        )

    def _tables(self, events: dict[str, Any]) -> dict[str, npt.NDArray[Any]]:
        """This month's rule tables: the static parts plus what follows from the fighters
        present (ISKP's local share) and from the month's violence (death hazards), and each
        cell's largest possible probability of any change (for :meth:`_draw`)."""
        params = self.params
        tal, isk = events["tal"], events["isk"]
        isk_local = isk / np.maximum(tal + isk, 1)
        a0 = self._a0
        a0[TALIBAN] = self._log_defect + params.beta_isk_local * isk_local
        a0[POOL] = np.log(np.maximum(isk_local + params.online_reach, 1e-300)) + self._log_reach
        c, d = self._c, self._d
        people = np.maximum(self._counts[TALIBAN : ISKP + 1] * self.scale, 1)
        hazard = events["expected_deaths"] / people[:, None, :]
        c[TALIBAN : ISKP + 1] = hazard[:, 0, None, :]
        d[TALIBAN : ISKP + 1] = hazard[:, 1, None, :]
        most = np.add(a0, self._most_a, out=self._most)
        np.exp(most, out=most)
        most += self._most_b
        most += c
        most += d
        np.negative(most, out=most)
        np.expm1(most, out=most)
        most *= -(1 + 1e-6)
        np.copyto(self._bound, most.reshape(-1), casting="same_kind")
        return {"bound": self._bound}

    def _draw(self, tables: dict[str, npt.NDArray[Any]]) -> tuple[Counts, Counts]:
        """One uniform draw per agent decides between the competing monthly hazards.

        Every agent draws its number; only those below their cell's largest possible
        probability of any change (hardness, grievance and loyalty at their most favourable)
        can change, so only theirs are worked out in full (thinning): the outcome is the same as
        working out everyone's.

        Returns:
            the indices of agents that changed state and the slot of each (0: A, 1: B, 2: C,
            3: D).
        """
        cell = self.cell
        u = self.rng_agents.random(dtype=np.float32, out=self._u)
        np.take(tables["bound"], cell, out=self._bounds)
        near = np.less(u, self._bounds, out=self._near).nonzero()[0]
        at = cell[near]
        x = np.ones((len(near), 4))
        x[:, 1] = self.hardness[near]
        x[:, 2] = self._grievance_of(near)
        x[:, 3] = self._loyalty_of(near)
        hazards = np.empty((len(near), 4))
        np.exp(np.einsum("nkj,nj->nk", np.take(self._coef, at, axis=0), x), out=hazards[:, :2])
        hazards[:, 2:] = np.take(self._deaths, at, axis=0)
        cumulative = hazards  # summed in place, in slot order (as np.cumsum would)
        cumulative[:, 1] += cumulative[:, 0]
        cumulative[:, 2] += cumulative[:, 1]
        cumulative[:, 3] += cumulative[:, 2]
        total = cumulative[:, 3]
        p_any = -np.expm1(-total)
        drawn = u[near]
        hit = drawn < p_any
        v = drawn[hit] / p_any[hit] * total[hit]
        slot = (v[:, None] >= cumulative[hit, :3]).sum(axis=1)
        return near[hit], slot

    def _grievance_of(self, which: Any) -> npt.NDArray[np.float64]:
        """Grievance of agents ``which`` now: ``clip(decay^t * g0 + shocks[province])``."""
        value = self._decayed * self._grievance0[which] + self._shocks[self._where[which]]
        return np.minimum(value, 1.0, out=value)

    def _loyalty_of(self, which: Any) -> npt.NDArray[np.float64]:
        """Loyalty of agents ``which`` now, if they are fighters: it grows by ``loyalty_gain``
        a month in a group (what it reads for others is not used: no rule of theirs has it)."""
        value = (self.month - self._joined[which]) * self.params.loyalty_gain
        value += self._loyal0[which]
        return np.minimum(value, 1.0, out=value)

    @property
    def grievance(self) -> npt.NDArray[np.float64]:
        """Every agent's grievance now (0..1)."""
        return self._grievance_of(slice(None))

    @property
    def loyalty(self) -> npt.NDArray[np.float64]:
        """Every agent's loyalty now (0..1; 0 outside the armed groups)."""
        fighting = (self.group == TALIBAN) | (self.group == ISKP)
        return np.where(fighting, self._loyalty_of(slice(None)), 0.0)

    def _apply(self, moved: Counts, slot: Counts, events: dict[str, Any]) -> None:
        """Move the agents who changed state, tally the flows, and let the month's harm work on
        grievance, loyalty, ISKP's counter-intelligence advantage and displacement."""
        params, policy, rng, t, data = (
            self.params,
            self.policy,
            self.rng_misc,
            self.month,
            self._data,
        )
        scale = self.scale
        total_leaks = 0
        if len(moved):
            before = self.group[moved].astype(np.intp)
            where = self._where[moved]
            move = slot * _G + before
            flows = np.bincount(move * _P + where, minlength=4 * _G * _P).reshape(4 * _G, _P)
            net_and_series = _NET_AND_SERIES_FROM_FLOWS @ flows
            self._counts += net_and_series[:_G]
            tallies = net_and_series[_G:] * scale
            data[t, _FLOW_ROWS] += tallies
            if policy.cooperation > 0:
                # leaks: defectors to ISKP who hold shared intelligence
                defectors = _DEFECTS_TO_ISKP[move]
                if defectors.any():
                    holders = moved[defectors & self.intel[moved]]
                    leaked = holders[rng.random(len(holders)) < params.leak_probability]
                    total_leaks = len(leaked) * scale
                self.intel[moved] = False
                recruits = moved[_JOINS_TALIBAN[move]]
                share = params.intel_share * policy.cooperation
                self.intel[recruits] = rng.random(len(recruits)) < share
            after = _TRANSITIONS_FLAT[move]
            self.group[moved] = after
            self.cell[moved] += (after - before) * (_K * _P)
            joined = moved[_JOINS_A_GROUP[move]]
            self._loyal0[joined] = rng.beta(2.0, 5.0, size=len(joined))
            self._joined[joined] = t
        if total_leaks:
            leaks = np.bincount(self._where[leaked], minlength=_P) * scale
            data[t, _ROW["leaks"]] = leaks
            data[t, _ROW["informants_killed"]] = rng.poisson(params.informants_per_leak * leaks)
        # harm on grievance, counter-intelligence (civilian deaths, all deaths and displacement,
        # which feed nothing back, are filled in when the run is done: _finish)
        shift = self._shift
        if events["strike_civilians"].any():
            harm = 1.0 - np.exp(-events["strike_civilians"] / params.civilian_harm_half)
            shift = shift + params.grievance_harm * harm
        keep = 1.0 - params.grievance_decay
        self._shocks = keep * self._shocks + shift
        self._decayed *= keep
        self.ci = self.ci * (1 - params.ci_decay) + (1 - self.ci) * (
            1 - math.exp(-params.ci_per_leak * total_leaks)
        )

    def run(self, *, label: str = "run", start_date: dt.date = dt.date(2022, 1, 1)) -> RunResult:
        """Step through every remaining month and return the result."""
        while self.month < self.months:
            self.step()
        return RunResult(
            series={name: np.ascontiguousarray(v) for name, v in self.series.items()},
            start=self.start,
            start_date=start_date,
            seed=self.seed,
            label=label,
            population=self.population,
            policy=self.policy,
            params=self.params,
        )


def _per_person(expected_deaths: Floats, people: Counts) -> Floats:
    """A monthly death hazard per person from the expected deaths among ``people``."""
    return np.divide(expected_deaths, people, out=np.zeros(_P), where=people > 0)


def simulate(
    population: Population | None = None,
    policy: Policy | None = None,
    params: Params | None = None,
    *,
    months: int = 60,
    seed: int = 0,
    label: str = "run",
    start_date: dt.date = dt.date(2022, 1, 1),
) -> RunResult:
    """Run the model once.

    Args:
        population: who there is at the start (default :class:`Population`).
        policy: the scenario's levers (default :class:`Policy`).
        params: model parameters (default :class:`Params`).
        months: how many months to simulate.
        seed: the seed; the same seed gives the same run.
        label: a short name for the run (used in simulated event ids).
        start_date: the first day of month 0 (the Afghan state is the Taliban after
            2021-08-15, the world this model describes).
    """
    model = Model(
        population or Population(),
        policy or Policy(),
        params or Params(),
        months=months,
        seed=seed,
    )
    return model.run(label=label, start_date=start_date)
