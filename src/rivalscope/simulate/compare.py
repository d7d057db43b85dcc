"""Compare scenarios: paired differences with intervals, a table, sentences and an HTML page.

Every scenario runs the same number of runs with the same seed, so run ``r`` of each shares its
random numbers and its posterior draw; a difference is computed run by run against the baseline
and reported as its mean with the central interval (95% by default) of the per-run differences.
That interval is the spread of the effect over plausible worlds (posterior draws and chance
together), not a confidence interval of the mean. Fighters are compared as a percent change of
the level after the chosen month; everything else as a difference of the totals up to it.

When the runs draw their parameters from a posterior, every difference is also checked against
the calibration (:mod:`rivalscope.simulate.calibrate`): ``depends_on`` lists the calibrated
parameters whose posterior draws move with the per-run difference (Spearman rank correlation of
at least :data:`~rivalscope.simulate.calibrate.INFORMATIVE` in size), and ``weakly_identified``
those of them the data barely narrowed (shrinkage below
:data:`~rivalscope.simulate.calibrate.WEAK_SHRINKAGE`), plus any weak parameter the scenarios
set apart. Such a difference follows from the prior, not from the data, and the table, the
sentences and the page say so; they also say plainly when the posterior fails its posterior
predictive check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from rivalscope.errors import InputError
from rivalscope.report.page import figure_json, render, write
from rivalscope.simulate.calibrate import INFORMATIVE, STATISTIC_LABELS, Posterior, _ranks
from rivalscope.simulate.ensemble import DEFAULT_MONTHS, DEFAULT_RUNS, Ensemble, run_ensemble
from rivalscope.simulate.model import METRICS, PROVINCE_NAMES, PROVINCES, Policy, add_months
from rivalscope.simulate.scenario import Scenario

HEADLINE: Final[tuple[tuple[str, str, str], ...]] = (
    ("iskp_fighters", "ISKP fighters", "percent"),
    ("taliban_fighters", "Taliban fighters", "percent"),
    ("defections_to_iskp", "defections to ISKP", "difference"),
    ("defections_to_taliban", "defections to the Taliban", "difference"),
    ("leaks", "leaked intelligence items", "difference"),
    ("informants_killed", "informants killed", "difference"),
    ("clashes", "clashes", "difference"),
    ("attacks", "ISKP attacks", "difference"),
    ("civilian_deaths", "civilian deaths", "difference"),
    ("deaths", "deaths", "difference"),
    ("displaced", "people displaced", "difference"),
)
"""The metrics compared: (metric, label, percent change or difference)."""
SENTENCE_METRICS: Final = ("iskp_fighters", "defections_to_iskp", "leaks")
DEFAULT_AT: Final = 36
COLORS: Final = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#01665e", "#8c510a")


@dataclass(frozen=True)
class Comparison:
    """Scenarios compared with a baseline.

    Attributes:
        ensembles: every scenario's ensemble (the baseline among them).
        baseline: the baseline's name.
        month: differences are taken after this many months.
        level: the interval's coverage.
        differences: one row per scenario (not the baseline) and metric: ``scenario``,
            ``baseline``, ``metric``, ``label``, ``kind`` (``percent`` or ``difference``),
            ``estimate``, ``low``, ``high``, ``runs`` (runs the estimate used).
        outcomes: one row per scenario and metric: ``mean``, ``low``, ``high`` of its value.
        sentences: one plain sentence per scenario against the baseline (saying which of its
            differences rest on weakly identified parameters, and when the calibrated model
            fails its posterior predictive check).
        calibration: the baseline's posterior's own account (``shrinkage``, ``weak``, ``ppc``,
            ``statistics``, ``observed``, ``sentences``); None when the runs used no posterior.
    """

    ensembles: tuple[Ensemble, ...]
    baseline: str
    month: int
    level: float
    differences: pa.Table
    outcomes: pa.Table
    sentences: tuple[str, ...]
    calibration: dict[str, Any] | None = None

    @property
    def runs(self) -> int:
        """Runs per scenario."""
        return self.ensembles[0].runs

    def difference(self, scenario: str, metric: str) -> dict[str, Any]:
        """The row of :attr:`differences` for one scenario and metric."""
        for row in self.differences.to_pylist():
            if row["scenario"] == scenario and row["metric"] == metric:
                return dict(row)
        raise InputError(f"no difference for scenario {scenario!r} and metric {metric!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what ``--json`` prints)."""
        return {
            "baseline": self.baseline,
            "month": self.month,
            "level": self.level,
            "runs": self.runs,
            "scenarios": [
                {
                    "name": e.name,
                    "months": e.months,
                    "posterior": e.posterior,
                    "scenario": e.scenario.to_dict(),
                }
                for e in self.ensembles
            ],
            "sentences": list(self.sentences),
            "calibration": self.calibration,
            "differences": self.differences.to_pylist(),
            "outcomes": self.outcomes.to_pylist(),
        }


def compare(
    scenarios: Sequence[Scenario],
    *,
    runs: int = DEFAULT_RUNS,
    months: int | None = None,
    seed: int = 0,
    posterior: Posterior | str | Path | None = None,
    at: int | None = None,
    level: float = 0.95,
    baseline: str | None = None,
    on_run: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every scenario as an ensemble and compare each with the baseline.

    Args:
        scenarios: two or more scenarios (names must differ).
        runs: runs per scenario.
        months: months per run (default: the first scenario's, else 60).
        seed: the shared seed (run ``r`` of every scenario shares random numbers and draw).
        posterior: calibration to run every scenario over (default: each scenario's own).
        at: compare after this many months (default: 36, or the run length if shorter).
        level: coverage of the intervals.
        baseline: the scenario the others are compared with (default: the last one, so
            ``compare([high, low])`` reads "high vs low").
        on_run: called with (scenario index, runs done) after each run.
    """
    if len(scenarios) < 2:
        raise InputError("compare needs at least two scenarios")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(f"scenario names must differ: {', '.join(names)}")
    length = months if months is not None else (scenarios[0].months or DEFAULT_MONTHS)
    ensembles = []
    for index, scenario in enumerate(scenarios):

        def progress(done: int, index: int = index) -> None:
            if on_run is not None:
                on_run(index, done)

        ensembles.append(
            run_ensemble(
                scenario,
                runs=runs,
                months=length,
                seed=seed,
                posterior=posterior,
                on_run=progress,
            )
        )
    return compare_ensembles(ensembles, at=at, level=level, baseline=baseline)


def compare_ensembles(
    ensembles: Sequence[Ensemble],
    *,
    at: int | None = None,
    level: float = 0.95,
    baseline: str | None = None,
) -> Comparison:
    """Compare ensembles already run (same runs, months and seed) with the baseline."""
    if len(ensembles) < 2:
        raise InputError("compare needs at least two scenarios")
    first = ensembles[0]
    for e in ensembles[1:]:
        if (e.runs, e.months, e.seed) != (first.runs, first.months, first.seed):
            raise InputError("ensembles to compare need the same runs, months and seed")
    if not 0 < level < 1:
        raise InputError(f"level: {level} must be between 0 and 1")
    names = [e.name for e in ensembles]
    base_name = baseline if baseline is not None else names[-1]
    if base_name not in names:
        raise InputError(f"baseline {base_name!r} is not one of {', '.join(names)}")
    month = at if at is not None else min(DEFAULT_AT, first.months)
    if not 1 <= month <= first.months:
        raise InputError(f"{month} is not within the run (1..{first.months})", parameter="at")
    base = ensembles[names.index(base_name)]
    tail = (1 - level) / 2
    outcomes = []
    for e in ensembles:
        for metric, label, _ in HEADLINE:
            values = e.value(metric, month)
            low, high = np.quantile(values, [tail, 1 - tail])
            outcomes.append(
                {
                    "scenario": e.name,
                    "metric": metric,
                    "label": label,
                    "mean": float(values.mean()),
                    "low": float(low),
                    "high": float(high),
                }
            )
    rows = []
    sentences = []
    calibration = base.calibration or next(
        (e.calibration for e in ensembles if e.calibration), None
    )
    for e in ensembles:
        if e is base:
            continue
        parts = {}
        weak = _weak_parameters(e, base)
        for metric, label, kind in HEADLINE:
            row = _difference(e, base, metric, label, kind, month, tail, weak)
            rows.append(row)
            parts[metric] = row
        sentences.append(_sentence(e, base, parts, outcomes, month) + _caveats(parts, e, base))
    return Comparison(
        ensembles=tuple(ensembles),
        baseline=base_name,
        month=month,
        level=level,
        differences=pa.Table.from_pylist(rows),
        outcomes=pa.Table.from_pylist(outcomes),
        sentences=tuple(sentences),
        calibration=calibration,
    )


def _weak_parameters(e: Ensemble, base: Ensemble) -> set[str]:
    """The weakly identified parameters of either side's posterior."""
    return {name for side in (e, base) for name in (side.calibration or {}).get("weak", [])}


def _dependence(e: Ensemble, usable: np.ndarray, per_run: np.ndarray) -> dict[str, float]:
    """Spearman correlation of the per-run differences with each calibrated parameter's draws
    (runs share their draw across scenarios)."""
    if not e.draws or not e.draws[0] or len(per_run) < 3 or np.ptp(per_run) == 0:
        return {}
    out = {}
    ranked = _ranks(per_run)
    for name in e.draws[0]:
        x = np.array([d[name] for d in e.draws], dtype=float)[usable]
        if np.ptp(x) == 0:
            continue
        out[name] = float(np.corrcoef(_ranks(x), ranked)[0, 1])
    return out


def _difference(
    e: Ensemble,
    base: Ensemble,
    metric: str,
    label: str,
    kind: str,
    month: int,
    tail: float,
    weak: set[str] | None = None,
) -> dict[str, Any]:
    a = e.value(metric, month).astype(float)
    b = base.value(metric, month).astype(float)
    if kind == "percent":
        usable = b > 0
        per_run = 100.0 * (a[usable] / b[usable] - 1.0)
    else:
        usable = np.ones(len(a), dtype=bool)
        per_run = a - b
    if len(per_run) == 0:
        estimate = low = high = float("nan")
    else:
        estimate = float(per_run.mean())
        low, high = (float(v) for v in np.quantile(per_run, [tail, 1 - tail]))
    correlations = _dependence(e, usable, per_run)
    depends = sorted(
        (n for n, rho in correlations.items() if abs(rho) >= INFORMATIVE),
        key=lambda n: -abs(correlations[n]),
    )
    weak = weak or set()
    apart = [
        f.name
        for f in dataclasses.fields(e.scenario.params)
        if f.name in weak
        and getattr(e.scenario.params, f.name) != getattr(base.scenario.params, f.name)
    ]
    flagged = [n for n in depends if n in weak] + [n for n in apart if n not in depends]
    return {
        "scenario": e.name,
        "baseline": base.name,
        "metric": metric,
        "label": label,
        "kind": kind,
        "estimate": estimate,
        "low": low,
        "high": high,
        "runs": len(per_run),
        "depends_on": depends,
        "weakly_identified": flagged,
    }


def _number(value: float, kind: str, *, sign: bool = True) -> str:
    if value != value:  # NaN
        return "n/a"
    if value == 0:
        return "0%" if kind == "percent" else "0"
    if kind == "percent":
        text = f"{value:+.1f}%" if abs(value) < 10 else f"{value:+.0f}%"
    else:
        text = f"{value:+,.0f}" if abs(value) >= 10 or value == 0 else f"{value:+,.1f}"
    return text if sign else text.lstrip("+")


def _interval(row: dict[str, Any], *, sign: bool = True) -> str:
    kind = row["kind"]
    return f"[{_number(row['low'], kind, sign=sign)}, {_number(row['high'], kind, sign=sign)}]"


def levers(a: Scenario, b: Scenario) -> str:
    """The levers that differ between two scenarios, as "cooperation 0.8 vs 0.2; ..."."""
    parts = []
    for field in dataclasses.fields(Policy):
        x, y = getattr(a.policy, field.name), getattr(b.policy, field.name)
        if x == y:
            continue
        if field.name == "crackdown":
            parts.append(f"crackdown {_crackdown(x)} vs {_crackdown(y)}")
        elif field.name == "prison_breaks":
            parts.append(f"prison breaks {_breaks(x)} vs {_breaks(y)}")
        else:
            parts.append(f"{field.name.replace('_', ' ')} {x:g} vs {y:g}")
    for field in dataclasses.fields(a.population):
        x, y = getattr(a.population, field.name), getattr(b.population, field.name)
        if x != y:
            parts.append(f"{field.name} {x:,} vs {y:,}")
    for field in dataclasses.fields(a.params):
        x, y = getattr(a.params, field.name), getattr(b.params, field.name)
        if x != y:
            parts.append(f"{field.name} {x:g} vs {y:g}")
    return "; ".join(parts) or "the same levers"


def _crackdown(values: tuple[float, ...]) -> str:
    distinct = set(values)
    if len(distinct) == 1:
        return f"{values[0]:g}"
    return f"{min(distinct):g}-{max(distinct):g} by province"


def _breaks(breaks: tuple[Any, ...]) -> str:
    if not breaks:
        return "none"
    return ", ".join(
        f"{b.fighters:,} in {PROVINCE_NAMES[b.province]} (month {b.month})" for b in breaks
    )


def _sentence(
    e: Ensemble,
    base: Ensemble,
    parts: dict[str, dict[str, Any]],
    outcomes: list[dict[str, Any]],
    month: int,
) -> str:
    fighters = parts["iskp_fighters"]
    defections = parts["defections_to_iskp"]
    leaks = {o["scenario"]: o for o in outcomes if o["metric"] == "leaks"}
    mine, theirs = leaks[e.name], leaks[base.name]
    return (
        f"{levers(e.scenario, base.scenario)} ({e.name} vs {base.name}), after {month} months, "
        f"{e.runs} paired runs: ISKP fighters {_number(fighters['estimate'], 'percent')} "
        f"{_interval(fighters)}; defections to ISKP "
        f"{_number(defections['estimate'], 'difference')} {_interval(defections)}; "
        f"leaked intelligence items {mine['mean']:,.0f} "
        f"[{mine['low']:,.0f}, {mine['high']:,.0f}] against {theirs['mean']:,.0f} "
        f"[{theirs['low']:,.0f}, {theirs['high']:,.0f}]."
    )


def _caveats(parts: dict[str, dict[str, Any]], e: Ensemble, base: Ensemble) -> str:
    """What the sentence must add: differences resting on weakly identified parameters, and a
    failed posterior predictive check."""
    text = ""
    weak: dict[tuple[str, ...], list[str]] = {}
    for metric in SENTENCE_METRICS:
        names = tuple(parts[metric]["weakly_identified"])
        if names:
            weak.setdefault(names, []).append(parts[metric]["label"])
    if weak:
        listed = "; ".join(
            f"{', '.join(labels)} on {' and '.join(names)}" for names, labels in weak.items()
        )
        text += (
            f" WEAKLY IDENTIFIED: these differences depend on parameters the data barely "
            f"narrow ({listed}), so they restate the prior's assumptions, not a finding."
        )
    failed = []
    for side in (e, base):
        ppc = (side.calibration or {}).get("ppc") or {}
        for stat in ppc.get("outside", []):
            if stat not in failed:
                failed.append(stat)
    if failed:
        labels = ", ".join(STATISTIC_LABELS.get(stat, stat) for stat in failed)
        text += (
            f" The calibrated model FAILS its posterior predictive check ({labels} outside "
            "the simulated 5-95% range): its differences are what its rules imply, not forecasts."
        )
    return text


def table_rows(comparison: Comparison) -> list[list[str]]:
    """The differences as display rows: scenario, what, estimate, interval, each side's mean."""
    means = {(o["scenario"], o["metric"]): o["mean"] for o in comparison.outcomes.to_pylist()}
    rows = []
    for row in comparison.differences.to_pylist():
        rows.append(
            [
                f"{row['scenario']} vs {row['baseline']}",
                row["label"] + (" (%)" if row["kind"] == "percent" else ""),
                _number(row["estimate"], row["kind"]),
                _interval(row),
                f"{means[(row['scenario'], row['metric'])]:,.0f}",
                f"{means[(row['baseline'], row['metric'])]:,.0f}",
                ", ".join(row.get("weakly_identified") or []),
            ]
        )
    return rows


TABLE_HEADER: Final = (
    "comparison",
    "outcome",
    "difference",
    "interval",
    "scenario",
    "baseline",
    "weakly identified",
)


# --- the HTML page ----------------------------------------------------------------------------
def _fan(comparison: Comparison, metric: str, title: str, *, cumulative: bool) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    tail = (1 - comparison.level) / 2
    for index, e in enumerate(comparison.ensembles):
        color = COLORS[index % len(COLORS)]
        totals = e.totals(metric).astype(float)
        if cumulative:
            totals = totals.cumsum(axis=1)
        low, median, high = np.quantile(totals, [tail, 0.5, 1 - tail], axis=0)
        dates = [add_months(e.scenario.start, m).isoformat() for m in range(e.months)]
        figure.add_trace(
            go.Scatter(
                x=dates + dates[::-1],
                y=list(high) + list(low[::-1]),
                fill="toself",
                fillcolor=_rgba(color, 0.15),
                line={"width": 0},
                hoverinfo="skip",
                name=f"{e.name} {comparison.level:.0%} band",
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(x=dates, y=list(median), name=e.name, line={"color": color, "width": 2})
        )
    figure.update_layout(
        title=title,
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        template="plotly_white",
    )
    return figure


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _forest(comparison: Comparison) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = comparison.differences.to_pylist()
    metrics = [m for m, _, _ in HEADLINE]
    figure = make_subplots(
        rows=len(metrics),
        cols=1,
        subplot_titles=[
            label + (" (% change)" if kind == "percent" else " (difference)")
            for _, label, kind in HEADLINE
        ],
        vertical_spacing=0.035,
    )
    others = [e.name for e in comparison.ensembles if e.name != comparison.baseline]
    for i, metric in enumerate(metrics, start=1):
        for j, name in enumerate(others):
            row = next(r for r in rows if r["metric"] == metric and r["scenario"] == name)
            figure.add_trace(
                go.Scatter(
                    x=[row["estimate"]],
                    y=[name],
                    mode="markers",
                    marker={"color": COLORS[j % len(COLORS)], "size": 10},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": [row["high"] - row["estimate"]],
                        "arrayminus": [row["estimate"] - row["low"]],
                    },
                    name=name,
                    showlegend=False,
                ),
                row=i,
                col=1,
            )
        figure.add_vline(x=0, line={"color": "#888", "dash": "dot"}, row=i, col=1)
    figure.update_layout(
        height=110 * len(metrics) + 60,
        margin={"l": 140, "r": 20, "t": 40, "b": 30},
        template="plotly_white",
        title=f"Against {comparison.baseline}, after {comparison.month} months "
        f"(mean and central {comparison.level:.0%} of paired runs)",
    )
    figure.update_annotations(font_size=12)
    return figure


def _tiles(comparison: Comparison) -> Any:
    import plotly.graph_objects as go

    from rivalscope.analysis.tiles import AFGHANISTAN

    names = [e.name for e in comparison.ensembles]
    base = comparison.ensembles[names.index(comparison.baseline)]
    other = next(e for e in comparison.ensembles if e.name != comparison.baseline)
    diff = (
        other.by_province("iskp_fighters", comparison.month).astype(float)
        - base.by_province("iskp_fighters", comparison.month)
    ).mean(axis=0)
    rows = 1 + max(r for r, _ in AFGHANISTAN.values())
    cols = 1 + max(c for _, c in AFGHANISTAN.values())
    z: list[list[float | None]] = [[None] * cols for _ in range(rows)]
    text: list[list[str]] = [[""] * cols for _ in range(rows)]
    for p, code in enumerate(PROVINCES):
        r, c = AFGHANISTAN[code]
        z[r][c] = float(diff[p])
        text[r][c] = f"{PROVINCE_NAMES[code]}<br>{diff[p]:+,.0f}"
    limit = max(1.0, float(np.abs(diff).max()))
    figure = go.Figure(
        go.Heatmap(
            z=z,
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{text}<extra></extra>",
            colorscale="RdBu",
            reversescale=True,
            zmin=-limit,
            zmax=limit,
            xgap=3,
            ygap=3,
            colorbar={"title": "ISKP fighters"},
        )
    )
    figure.update_layout(
        title=f"ISKP fighters after {comparison.month} months by province: {other.name} minus "
        f"{base.name} (mean over runs)",
        height=460,
        margin={"l": 20, "r": 20, "t": 50, "b": 20},
        template="plotly_white",
        xaxis={"visible": False},
        yaxis={"visible": False, "autorange": "reversed"},
    )
    return figure


def _ppc_figure(ppc: dict[str, Any]) -> Any:
    """The posterior predictive check: per statistic, the simulated 5-95% range and median
    against the observed value (red where outside)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = ppc["rows"]
    figure = make_subplots(
        rows=len(rows),
        cols=1,
        subplot_titles=[
            row["label"] + (" (not fitted)" if not row["fitted"] else "") for row in rows
        ],
        vertical_spacing=min(0.08, 0.6 / max(1, len(rows))),
    )
    for i, row in enumerate(rows, start=1):
        figure.add_trace(
            go.Scatter(
                x=[row["p05"], row["p95"]],
                y=["simulated", "simulated"],
                mode="lines",
                line={"color": "#2166ac", "width": 8},
                name="simulated 5-95%",
                showlegend=i == 1,
                hovertemplate="%{x:,.2f}<extra>simulated 5-95%</extra>",
            ),
            row=i,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=[row["p50"]],
                y=["simulated"],
                mode="markers",
                marker={"color": "#08306b", "size": 12, "symbol": "line-ns-open"},
                name="simulated median",
                showlegend=i == 1,
                hovertemplate="%{x:,.2f}<extra>simulated median</extra>",
            ),
            row=i,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=[row["observed"]],
                y=["simulated"],
                mode="markers",
                marker={
                    "color": "#b2182b" if row["outside"] else "#1b7837",
                    "size": 13,
                    "symbol": "diamond",
                },
                name="observed (red: outside 5-95%)",
                showlegend=i == 1,
                hovertemplate="%{x:,.2f}<extra>observed</extra>",
            ),
            row=i,
            col=1,
        )
        figure.update_yaxes(showticklabels=False, row=i, col=1)
        low = min(row["p05"], row["observed"])
        high = max(row["p95"], row["observed"])
        pad = 0.08 * (high - low) or 0.5
        figure.update_xaxes(range=[low - pad, high + pad], row=i, col=1)
    height = 85 * len(rows) + 130
    figure.update_layout(
        height=height,
        margin={"l": 30, "r": 20, "t": 60, "b": 60},
        template="plotly_white",
        legend={"orientation": "h", "y": -40 / height, "yanchor": "top", "x": 0},
        title=f"Posterior predictive check: observed against {ppc['runs']} runs from the posterior",
    )
    figure.update_annotations(font_size=12)
    return figure


def _calibration_view(comparison: Comparison) -> dict[str, Any] | None:
    """The page's calibration section: shrinkage table, PPC table and sentences."""
    calibration = comparison.calibration
    if calibration is None:
        return None
    shrink = [
        [
            name,
            f"{row['shrinkage']:.2f}",
            f"{row['variance_shrinkage']:.2f}",
            row["scale"],
            ", ".join(row.get("informed_by") or []) or "none",
            "WEAK" if row["weak"] else "",
        ]
        for name, row in calibration["shrinkage"].items()
    ]
    ppc = calibration.get("ppc")
    ppc_rows = [
        [
            row["label"],
            _stat(row["observed"]),
            _stat(row["p05"]),
            _stat(row["p50"]),
            _stat(row["p95"]),
            f"{row['rank']:.0%}",
            "OUTSIDE" if row["outside"] else "inside",
            "yes" if row["fitted"] else "no",
        ]
        for row in (ppc or {}).get("rows", [])
    ]
    return {
        "sentences": calibration.get("sentences", []),
        "shrinkage": shrink,
        "ppc": ppc,
        "ppc_rows": ppc_rows,
        "failed": bool(ppc and not ppc.get("passes", True)),
        "weak": calibration.get("weak", []),
    }


def _stat(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def render_html(comparison: Comparison) -> str:
    """The comparison as one self-contained HTML page (plotly.js inlined, nothing fetched)."""
    calibration = _calibration_view(comparison)
    figures = {
        "effects": _forest(comparison),
        "iskp": _fan(comparison, "iskp_fighters", "ISKP fighters", cumulative=False),
        "taliban": _fan(comparison, "taliban_fighters", "Taliban fighters", cumulative=False),
        "defections": _fan(
            comparison, "defections_to_iskp", "Defections to ISKP (cumulative)", cumulative=True
        ),
        "leaks": _fan(
            comparison, "leaks", "Leaked intelligence items (cumulative)", cumulative=True
        ),
        "provinces": _tiles(comparison),
    }
    if calibration is not None and calibration["ppc"] and calibration["ppc"]["rows"]:
        figures["ppc"] = _ppc_figure(calibration["ppc"])
    scenarios = []
    for e in comparison.ensembles:
        scenarios.append(
            {
                "name": e.name,
                "description": e.scenario.description,
                "baseline": e.name == comparison.baseline,
                "levers": _levers_text(e.scenario),
                "posterior": e.posterior or "none (the scenario's parameters: chance only)",
            }
        )
    outcome_rows = [
        [
            o["scenario"],
            o["label"],
            f"{o['mean']:,.0f}",
            f"[{o['low']:,.0f}, {o['high']:,.0f}]",
        ]
        for o in comparison.outcomes.to_pylist()
    ]
    return render(
        "rivalscope.simulate",
        "compare.html.j2",
        comparison=comparison,
        title=" vs ".join(e.name for e in comparison.ensembles),
        sentences=comparison.sentences,
        scenarios=scenarios,
        header=TABLE_HEADER,
        rows=table_rows(comparison),
        outcome_rows=outcome_rows,
        metrics=METRICS,
        calibration=calibration,
        figures={name: figure_json(figure) for name, figure in figures.items()},
    ).html


def _levers_text(scenario: Scenario) -> str:
    p = scenario.policy
    return (
        f"cooperation {p.cooperation:g}, concession {p.concession:g}, crackdown "
        f"{_crackdown(p.crackdown)}, ISKP recruitment {p.recruitment:g}, attack tempo "
        f"{p.attack_tempo:g}, prison breaks {_breaks(p.prison_breaks)}, US strikes "
        f"{p.strike_tempo:g}/month with error rate {p.error_rate:g}"
    )


def write_html(comparison: Comparison, path: str | Path) -> Path:
    """Write the page atomically (a temporary file renamed into place)."""
    return write(render_html(comparison), path)
