"""The scenario simulator: ``rivalscope simulate run|compare|calibrate|sensitivity``.

Each command calls one library function. Data and ``--json`` objects go to stdout; progress
and notes go to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from rivalscope.cli.common import (
    DEFAULT_WAIT,
    DbOption,
    JsonOption,
    SourceOption,
    WaitOption,
    db_option,
    err,
    fail,
    library_errors,
    open_store,
    print_json,
    progress,
    shown,
    stdout,
)

if TYPE_CHECKING:
    from rivalscope.simulate.ensemble import Ensemble
    from rivalscope.simulate.model import RunResult

app = typer.Typer(
    help="Scenario simulator: what cooperation, concessions and leaks do to the rivalry.",
    no_args_is_help=True,
)

RunsOption = Annotated[int, typer.Option(help="Runs per scenario (over posterior draws).")]
MonthsOption = Annotated[
    int | None, typer.Option(help="Months per run (default: the scenario's, else 60).")
]
SeedOption = Annotated[int, typer.Option(help="Seed: the same seed gives the same runs.")]
PosteriorOption = Annotated[
    Path | None,
    typer.Option(help="Posterior from `simulate calibrate` (default: the scenario's own)."),
]


def _progress(hidden: bool) -> Progress:
    return progress(MofNCompleteColumn(), hidden=hidden)


def _no_posterior_note(source: str | None, hidden: bool) -> None:
    if source is None and not hidden:
        err.print(
            "note: no posterior, so runs use the scenario's parameters and intervals reflect "
            "chance only; run `rivalscope simulate calibrate --db STORE` and pass --posterior",
            highlight=False,
        )


@app.command("run")
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file (see scenarios/).")],
    runs: RunsOption = 200,
    months: MonthsOption = None,
    seed: SeedOption = 0,
    posterior: PosteriorOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for series.parquet (every run), summary.json, and one run's "
            "events.parquet and defections.parquet."
        ),
    ] = None,
    db: Annotated[
        str | None,
        db_option(
            "Write one run's events, defections and displacement into this store (a "
            "DuckDB file or a postgresql:// URL; default: none)."
        ),
    ] = None,
    store_run: Annotated[int, typer.Option(help="Which run --db and --out write events of.")] = 0,
    at: Annotated[
        int | None, typer.Option(help="Summarize after this many months (default: all).")
    ] = None,
    as_json: JsonOption = False,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Run a scenario as an ensemble and summarize every outcome with its interval."""
    from rivalscope.simulate.ensemble import run_ensemble
    from rivalscope.simulate.scenario import load_scenario

    with library_errors():
        chosen = load_scenario(scenario)
        with _progress(as_json) as bar:
            task = bar.add_task(f"simulate {shown(chosen.name)}", total=runs)
            ensemble = run_ensemble(
                chosen,
                runs=runs,
                months=months,
                seed=seed,
                posterior=posterior,
                on_run=lambda done: bar.update(task, completed=done),
            )
        summary = ensemble.summary(at)
        picked = ensemble.run(store_run)
    _no_posterior_note(ensemble.posterior, as_json)
    result: dict[str, Any] = {
        "scenario": chosen.to_dict(),
        "runs": ensemble.runs,
        "months": ensemble.months,
        "seed": seed,
        "posterior": ensemble.posterior,
        "summary": summary,
    }
    if out is not None:
        result["files"] = _write_out(out, ensemble, picked, result)
    if db is not None:
        from rivalscope.simulate.events import events_from_other_sources, write_run

        with open_store(db, write=True, wait=wait) as store:
            others = events_from_other_sources(store)
            if others and not as_json:
                err.print(
                    f"warning: {shown(db)} also holds {others:,} events from real sources; "
                    "analyses will mix them with the simulated ones",
                    highlight=False,
                )
            written = write_run(store, picked)
        result["store"] = {"db": db, "run": picked.label, **written.to_dict()}
    if as_json:
        print_json(result)
        return
    month = summary[0]["month"]
    view = Table(
        "metric", "mean", "median", "95% interval", "meaning",
        title=f"{shown(chosen.name)}: {ensemble.runs} runs, after {month} months",
    )  # fmt: skip
    for row in summary:
        view.add_row(
            shown(row["metric"]),
            f"{row['mean']:,.0f}",
            f"{row['median']:,.0f}",
            f"[{row['low']:,.0f}, {row['high']:,.0f}]",
            shown(row["meaning"]),
        )
    stdout().print(view)
    for name, path in result.get("files", {}).items():
        err.print(f"{name} written to {shown(path)}", highlight=False)
    if "store" in result:
        stored = result["store"]["events"]
        err.print(
            f"run {picked.label}: {stored['rows_read']:,} events "
            f"({stored['rows_stored']:,} new or changed) written to {shown(db)}",
            highlight=False,
        )


def _write_out(
    out: Path, ensemble: Ensemble, picked: RunResult, result: dict[str, Any]
) -> dict[str, str]:
    import pyarrow.parquet as pq

    from rivalscope.simulate.events import defections_table, events_table

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "series": out / "series.parquet",
        "events": out / "events.parquet",
        "defections": out / "defections.parquet",
        "summary": out / "summary.json",
    }
    pq.write_table(ensemble.to_table(), files["series"])
    pq.write_table(events_table(picked), files["events"])
    pq.write_table(defections_table(picked), files["defections"])
    files["summary"].write_text(
        json.dumps({**result, "events_run": picked.label}, indent=1, default=str) + "\n",
        encoding="utf-8",
    )
    return {name: str(path) for name, path in files.items()}


@app.command("compare")
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="Two or more scenario TOML files; the last is the baseline."),
    ],
    runs: RunsOption = 200,
    months: MonthsOption = None,
    seed: SeedOption = 0,
    posterior: PosteriorOption = None,
    at: Annotated[
        int | None, typer.Option(help="Compare after this many months (default 36).")
    ] = None,
    level: Annotated[float, typer.Option(help="Coverage of the intervals.")] = 0.95,
    baseline: Annotated[
        str | None, typer.Option(help="Name of the baseline scenario (default: the last).")
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write the HTML page here.")] = Path(
        "compare.html"
    ),
    no_html: Annotated[bool, typer.Option("--no-html", help="Do not write the page.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare scenarios: paired differences with intervals, a table and an HTML page."""
    from rivalscope.simulate.compare import TABLE_HEADER, table_rows, write_html
    from rivalscope.simulate.compare import compare as run_compare
    from rivalscope.simulate.scenario import load_scenario

    with library_errors():
        loaded = [load_scenario(path) for path in scenarios]
        with _progress(as_json) as bar:
            tasks = [bar.add_task(f"simulate {shown(s.name)}", total=runs) for s in loaded]
            comparison = run_compare(
                loaded,
                runs=runs,
                months=months,
                seed=seed,
                posterior=posterior,
                at=at,
                level=level,
                baseline=baseline,
                on_run=lambda index, done: bar.update(tasks[index], completed=done),
            )
        page = None if no_html or html is None else write_html(comparison, html)
    _no_posterior_note(comparison.ensembles[0].posterior, as_json)
    if as_json:
        data = comparison.to_dict()
        data["html"] = str(page) if page else None
        print_json(data)
        return
    console = stdout()
    rows = table_rows(comparison)
    for pair in dict.fromkeys(row[0] for row in rows):
        view = Table(
            *TABLE_HEADER[1:],
            title=f"{shown(pair)}: after {comparison.month} months, {comparison.runs} paired runs",
        )
        for row in rows:
            if row[0] == pair:
                view.add_row(*(shown(cell) for cell in row[1:]))
        console.print(view)
    for sentence in comparison.sentences:
        console.print(shown(sentence), highlight=False)
    if comparison.calibration is not None:
        for sentence in comparison.calibration.get("sentences", []):
            console.print(f"calibration: {shown(sentence)}", highlight=False)
    if page is not None:
        err.print(f"page written to {shown(page)}", highlight=False)


@app.command("calibrate")
def calibrate(
    db: DbOption = None,
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario of the world simulated (default: baseline).")
    ] = None,
    draws: Annotated[int, typer.Option(help="Prior draws to simulate.")] = 1000,
    accept: Annotated[float, typer.Option(help="Share of the draws kept.")] = 0.05,
    months: Annotated[
        int | None,
        typer.Option(help="Months per run (default: 12 per calendar year of the data)."),
    ] = None,
    country: Annotated[str, typer.Option(help="Country of the data (ISO3 or name).")] = "AFG",
    since: Annotated[
        str | None, typer.Option(help="First day of the data (default: ISKP's first event).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Last day of the data, YYYY-MM-DD.")] = None,
    source: SourceOption = None,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option(help="Posterior file to write.")] = Path("posterior.json"),
    ppc_runs: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Fresh runs from the posterior for the posterior predictive check (0: none; "
            "default 100, or --draws if fewer).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fit the model's free parameters to the store by approximate Bayesian computation.

    Also reports each parameter's shrinkage (how much the data narrowed its prior) and a
    posterior predictive check (observed statistics against runs drawn from the posterior);
    --json has both under `shrinkage` and `ppc`.
    """
    from rivalscope.simulate.calibrate import PPC_RUNS
    from rivalscope.simulate.calibrate import calibrate as run_calibrate
    from rivalscope.simulate.scenario import load_scenario

    with library_errors():
        world = load_scenario(scenario) if scenario is not None else None
    with open_store(db, write=False, create=False) as store, _progress(as_json) as bar:
        task = bar.add_task("ABC draws", total=draws)
        checks = min(PPC_RUNS, draws) if ppc_runs is None else ppc_runs
        check = bar.add_task("predictive check", total=max(checks, 1), visible=checks > 0)
        posterior = run_calibrate(
            store,
            scenario=world,
            draws=draws,
            accept=accept,
            months=months,
            seed=seed,
            country=country,
            since=since,
            until=until,
            on_draw=lambda done: bar.update(task, completed=done),
            source=source,
            ppc_runs=checks,
            on_ppc=lambda done: bar.update(check, completed=done),
        )
    with library_errors():
        posterior.save(out)
    if as_json:
        print_json({"posterior": str(out), **posterior.to_dict()})
        return
    for note in posterior.info.get("notes", []):
        err.print(f"note: {shown(note)}", highlight=False)
    observed = ", ".join(f"{k} {v:,.2f}" for k, v in posterior.observed.items() if v is not None)
    read = posterior.info.get("window", {}).get("source")
    read_from = f" ({shown(read)} events)" if read else ""
    err.print(f"observed{read_from}: {shown(observed)}", highlight=False)
    view = Table(
        "parameter", "median", "90% interval", "prior", "shrinkage", "",
        title=f"Posterior: {posterior.size} of {posterior.draws} draws kept",
    )  # fmt: skip
    for row in posterior.summary():
        view.add_row(
            shown(row["parameter"]),
            f"{row['median']:.4g}",
            f"[{row['low']:.4g}, {row['high']:.4g}]",
            f"[{row['prior_low']:.4g}, {row['prior_high']:.4g}]",
            f"{row['shrinkage']:.2f}",
            "weakly identified" if row["weak"] else "",
        )
    console = stdout()
    console.print(view)
    if posterior.ppc is not None:
        check_view = Table(
            "statistic", "observed", "5%", "50%", "95%", "", "fitted",
            title=f"Posterior predictive check: {posterior.ppc['runs']} runs from the posterior",
        )  # fmt: skip
        for item in posterior.ppc["rows"]:
            check_view.add_row(
                shown(item["statistic"]),
                *(f"{item[k]:,.3g}" for k in ("observed", "p05", "p50", "p95")),
                "OUTSIDE" if item["outside"] else "inside",
                "yes" if item["fitted"] else "no",
            )
        console.print(check_view)
    for sentence in posterior.sentences():
        console.print(shown(sentence), highlight=False)
    err.print(f"posterior written to {shown(out)}", highlight=False)


@app.command("sensitivity")
def sensitivity(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario around which factors vary (default: baseline).")
    ] = None,
    method: Annotated[str, typer.Option(help="morris or sobol.")] = "morris",
    samples: Annotated[
        int, typer.Option(help="Morris trajectories, or Sobol base samples (a power of 2).")
    ] = 10,
    months: Annotated[int, typer.Option(help="Months per run.")] = 36,
    seed: SeedOption = 0,
    output: Annotated[
        list[str] | None,
        typer.Option(help="Outcome to rank factors for (repeatable; default: five)."),
    ] = None,
    top: Annotated[int, typer.Option(help="Factors shown per outcome.")] = 8,
    as_json: JsonOption = False,
) -> None:
    """Rank levers and parameters by their effect on outcomes (Morris or Sobol, via SALib)."""
    from rivalscope.simulate.scenario import load_scenario
    from rivalscope.simulate.sensitivity import OUTPUTS
    from rivalscope.simulate.sensitivity import sensitivity as run_sensitivity

    with library_errors():
        world = load_scenario(scenario) if scenario is not None else None
        if method not in ("morris", "sobol"):
            raise fail(f"--method {method!r}: use morris or sobol")
        with _progress(as_json) as bar:
            task = bar.add_task(f"{method} runs", total=None)
            result = run_sensitivity(
                world,
                method=method,  # type: ignore[arg-type]
                samples=samples,
                months=months,
                seed=seed,
                outputs=tuple(output) if output else OUTPUTS,
                on_run=lambda done, total: bar.update(task, completed=done, total=total),
            )
    if as_json:
        print_json(
            {
                "method": result.method,
                "runs": result.runs,
                "months": result.months,
                "scenario": result.scenario,
                "ranking": result.table.to_pylist(),
            }
        )
        return
    measure = "mu_star" if result.method == "morris" else "ST"
    console = stdout()
    for name in dict.fromkeys(result.table.column("output").to_pylist()):
        rows = [r for r in result.table.to_pylist() if r["output"] == name][:top]
        view = Table(
            "rank", "factor", "kind", measure, "conf",
            title=f"{shown(name)}: {result.method}, {result.runs} runs of {result.months} months",
        )  # fmt: skip
        for row in rows:
            view.add_row(
                str(row["rank"]),
                shown(row["factor"]) + (" (log10)" if row["scale"] == "log10" else ""),
                shown(row["kind"]),
                _fmt(row["importance"]),
                _fmt(row["conf"]),
            )
        console.print(view)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.4g}"
