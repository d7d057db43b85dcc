"""The scenario simulator: a vectorized agent-based model of the ISKP-Taliban rivalry.

>>> from rivalscope.simulate import compare, load_scenario
>>> high = load_scenario("scenarios/cooperation-high.toml")  # doctest: +SKIP
>>> low = load_scenario("scenarios/cooperation-low.toml")  # doctest: +SKIP
>>> result = compare([high, low], runs=200)  # doctest: +SKIP
>>> result.sentences[0]  # doctest: +SKIP
'cooperation 0.8 vs 0.2 (cooperation-high vs cooperation-low), after 36 months, ...'

Modules: :mod:`~rivalscope.simulate.model` (the model), :mod:`~rivalscope.simulate.scenario`
(TOML scenarios), :mod:`~rivalscope.simulate.ensemble` (many runs),
:mod:`~rivalscope.simulate.calibrate` (ABC), :mod:`~rivalscope.simulate.sensitivity` (SALib),
:mod:`~rivalscope.simulate.compare` (differences and the HTML page),
:mod:`~rivalscope.simulate.events` (the canonical event stream). Rules: docs/simulator.md.
"""

from __future__ import annotations

from rivalscope.simulate.calibrate import (
    Posterior,
    abc,
    calibrate,
    load_posterior,
    observed_statistics,
    run_statistics,
)
from rivalscope.simulate.compare import Comparison, compare, render_html, write_html
from rivalscope.simulate.ensemble import Ensemble, run_ensemble
from rivalscope.simulate.events import defections_table, events_table, write_run
from rivalscope.simulate.model import (
    METRICS,
    Model,
    Params,
    Policy,
    Population,
    PrisonBreak,
    RunResult,
    simulate,
)
from rivalscope.simulate.scenario import Scenario, load_scenario, parse_scenario
from rivalscope.simulate.sensitivity import Sensitivity, sensitivity

__all__ = [
    "METRICS",
    "Comparison",
    "Ensemble",
    "Model",
    "Params",
    "Policy",
    "Population",
    "Posterior",
    "PrisonBreak",
    "RunResult",
    "Scenario",
    "Sensitivity",
    "abc",
    "calibrate",
    "compare",
    "defections_table",
    "events_table",
    "load_posterior",
    "load_scenario",
    "observed_statistics",
    "parse_scenario",
    "render_html",
    "run_ensemble",
    "run_statistics",
    "sensitivity",
    "simulate",
    "write_html",
    "write_run",
]
