"""Early warning: ``rivalscope forecast`` (the forecast) and ``rivalscope forecast backtest`` (its
evaluation). Tables go to stdout, progress and summaries to stderr, ``--json`` as one object to
stdout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import TextColumn
from rich.table import Table

from rivalscope.cli.common import (
    DbOption,
    Flags,
    JsonOption,
    SourceOption,
    err,
    fail,
    open_store,
    print_json,
    progress,
    shown,
    stdout,
)
from rivalscope.forecast.spec import MAX_HORIZON

if TYPE_CHECKING:
    from rivalscope.forecast.backtesting import Backtest, OnOrigin
    from rivalscope.forecast.prediction import Forecast

app = typer.Typer(invoke_without_command=True, no_args_is_help=True)

BACKTEST_FLAGS: Flags = {"until": "--end", "learners": "--model"}
"""A backtest's last month is the question's ``until``; its ``--model`` picks the learners."""

RivalOption = Annotated[
    str | None,
    typer.Option(help="Rival id or alias: needed for --outcome clash; adds its activity."),
]


class Outcome(StrEnum):
    """The outcomes of :data:`rivalscope.forecast.spec.OUTCOMES`."""

    clash = "clash"
    attack = "attack"
    any = "any"


class Unit(StrEnum):
    """The units of :data:`rivalscope.forecast.spec.UNITS`."""

    admin1 = "admin1"
    admin2 = "admin2"


OutcomeOption = Annotated[
    Outcome,
    typer.Option(
        help="clash: actor vs rival; attack: attacks by the actor; any: any event with it.",
    ),
]
HorizonOption = Annotated[
    int, typer.Option(min=1, max=MAX_HORIZON, help="Months ahead of the last observed month.")
]
UnitOption = Annotated[
    Unit,
    typer.Option(help="admin1: provinces; admin2: districts as the sources name them."),
]
CountryOption = Annotated[
    str | None,
    typer.Option(help="ISO3 or name (default: the country with most of the actor's events)."),
]
SinceOption = Annotated[
    str | None,
    typer.Option(help="First panel month, YYYY-MM (default: the actor's first event there)."),
]
PhasesOption = Annotated[
    Path | None,
    typer.Option(help="TOML file of phases (default: the country's shipped phases)."),
]


class PredictModel(StrEnum):
    """Which learned model forecasts."""

    auto = "auto"
    hgb = "hgb"
    glm = "glm"


class BacktestModel(StrEnum):
    """Which learned candidates a backtest evaluates."""

    both = "both"
    hgb = "hgb"
    glm = "glm"


RefitOption = Annotated[
    int,
    typer.Option(
        "--refit-every", min=1, help="Refit the learned models every N origins (1: each)."
    ),
]
HtmlOption = Annotated[
    Path | None, typer.Option(help="Write the offline HTML page (map, tables, charts) here.")
]


@contextmanager
def _progress(hidden: bool) -> Iterator[OnOrigin]:
    with progress(TextColumn("{task.completed}/{task.total} months"), hidden=hidden) as shown:
        task = shown.add_task("backtest", total=None)

        def on_origin(done: int, total: int) -> None:
            shown.update(task, completed=done, total=total)

        yield on_origin


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _score(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.3f}"


def metrics_table(backtest: Backtest) -> Table:
    """The backtest's scores as a Rich table: one row per model."""
    first = backtest.metrics.to_pylist()[0]
    view = Table(
        "model",
        "Brier",
        "ROC AUC",
        "avg prec.",
        "calib. err.",
        "MSE log",
        "CRPS",
        "80% cov.",
        title=(
            f"Backtest {backtest.start:%Y-%m}..{backtest.end:%Y-%m}: "
            f"{shown(backtest.spec.describe())}, {backtest.spec.horizon} month(s) ahead"
        ),
        caption=(
            f"{first['events']:,} of {first['forecasts']:,} unit-months had an event. "
            "* chosen learned model (lowest Brier); the others are baselines. CRPS and the 80% "
            "interval's coverage come from each model's count distribution."
        ),
    )
    for row in backtest.metrics.to_pylist():
        view.add_row(
            shown(row["model"]) + (" *" if row["chosen"] else ""),
            _score(row["brier"]),
            _score(row["roc_auc"]),
            _score(row["average_precision"]),
            _score(row["calibration_error"]),
            _score(row["mse_log"]),
            _score(row["crps"]),
            _percent(row["coverage_80"]),
        )
    return view


def comparisons_table(backtest: Backtest) -> Table:
    """The chosen model against the best baseline per score, overall and on onsets."""
    view = Table(
        "scored on",
        "score",
        "model",
        "best baseline",
        "baseline",
        "95% interval of the difference",
        "verdict",
        title=f"{shown(backtest.chosen)} against the best baseline per score (paired bootstrap)",
        caption=(
            f"Onsets: {backtest.onset['forecasts']:,} forecasts for units quiet for 12 months, "
            f"{backtest.onset['events']:,} with an event; recall at top {backtest.onset['top_k']}."
        ),
    )
    parts = [
        ("all", backtest.comparisons),
        ("onsets", backtest.onset["comparisons"]),
        ("deaths", backtest.fatalities["comparisons"]),
    ]
    for scope, rows in parts:
        for row in rows.to_pylist():
            interval = "n/a" if row["low"] is None else f"{row['low']:+.4f} to {row['high']:+.4f}"
            view.add_row(
                scope,
                row["metric"],
                _score(row["model_value"]),
                shown(row["best_baseline"] or "n/a"),
                _score(row["baseline_value"]),
                interval,
                row["verdict"],
            )
    return view


def _print_forecast(result: Forecast, rows: int) -> None:
    console = stdout()
    view = Table(
        "rank",
        "unit",
        "name",
        "probability",
        "expected",
        "last month",
        "last 12 months",
        title=(
            f"{shown(result.spec.describe())} in {result.spec.target_month:%Y-%m} "
            f"({shown(result.model)})"
        ),
    )
    for row in result.table.slice(0, rows).to_pylist():
        view.add_row(
            str(row["rank"]),
            shown(row["unit"]),
            shown(row["name"]),
            _percent(row["probability"]),
            f"{row['expected_count']:.2f}",
            str(row["last_count"]),
            str(row["events_12m"]),
        )
    console.print(view)
    if result.backtest is not None:
        console.print(metrics_table(result.backtest))
        console.print(comparisons_table(result.backtest))


def _check_rival(outcome: Outcome, rival: str | None) -> None:
    if outcome is Outcome.clash and rival is None:
        raise fail("--outcome clash needs --rival: clashes between the actor and whom?")


def _refuse_options_before(ctx: typer.Context) -> None:
    given = [
        param.opts[0]
        for param in ctx.command.params
        if param.name in ctx.params and ctx.params[param.name] != param.default
    ]
    if given:
        ctx.fail(f"put {', '.join(given)} after `{ctx.invoked_subcommand}`")


@app.callback()
def forecast(
    ctx: typer.Context,
    db: DbOption = None,
    actor: Annotated[
        str | None, typer.Option(help="Actor id or alias (ISKP, TALIBAN, ...). Required.")
    ] = None,
    rival: RivalOption = None,
    outcome: OutcomeOption = Outcome.any,
    horizon: HorizonOption = 1,
    unit: UnitOption = Unit.admin1,
    until: Annotated[
        str | None,
        typer.Option(help="Last observed month, YYYY-MM (default: the latest event's month)."),
    ] = None,
    country: CountryOption = None,
    since: SinceOption = None,
    phases: PhasesOption = None,
    source: SourceOption = None,
    model: Annotated[
        PredictModel,
        typer.Option(help="auto: the learned model with the better backtest Brier score."),
    ] = PredictModel.auto,
    evaluate: Annotated[
        int,
        typer.Option(min=0, help="Months of backtest behind the model (0: none; needs --model)."),
    ] = 24,
    refit_every: RefitOption = 1,
    top: Annotated[int, typer.Option(min=1, help="Units to list on the terminal.")] = 15,
    as_json: JsonOption = False,
    html: HtmlOption = None,
) -> None:
    """Early warning: where the actor's violence is likely next month, and how far to trust it.

    Per province (or district): the probability of at least one event and the expected count,
    HORIZON months after the last observed month, ranked, with 80% intervals of the count and of
    deaths, the backtest that chose the model and compares it with the baselines, and a line that
    says when the data are stale. `rivalscope forecast backtest ...`
    evaluates the models month by month instead (its options go after `backtest`).
    """
    if ctx.invoked_subcommand is not None:
        _refuse_options_before(ctx)
        return
    if actor is None:
        ctx.fail("Missing option '--actor' (e.g. --actor ISKP).")
    _check_rival(outcome, rival)
    if evaluate == 0 and model is PredictModel.auto:
        raise fail("--evaluate 0 skips the backtest that chooses the model: name --model")
    from rivalscope.forecast.prediction import predict

    with (
        open_store(db, write=False) as store,
        _progress(as_json) as on_origin,
    ):
        result = predict(
            store,
            actor,
            rival=rival,
            outcome=outcome.value,
            horizon=horizon,
            unit=unit.value,
            country=country,
            since=since,
            until=until,
            phases=phases,
            model=model.value,
            evaluate=evaluate,
            refit_every=refit_every,
            on_origin=on_origin,
            source=source,
        )
        if html is not None:
            from rivalscope.forecast.report import write_html

            write_html(result, html)
    if as_json:
        print_json(result.to_dict())
        return
    _print_forecast(result, top)
    if result.staleness is not None:
        err.print(shown(result.staleness["line"]), highlight=False, soft_wrap=True)
    err.print(shown(result.summary), highlight=False, soft_wrap=True)
    if html is not None:
        err.print(f"forecast page written to {shown(html)}", highlight=False)


@app.command("backtest")
def backtest_command(
    actor: Annotated[str, typer.Option(help="Actor id or alias (ISKP, TALIBAN, ...).")],
    db: DbOption = None,
    rival: RivalOption = None,
    outcome: OutcomeOption = Outcome.any,
    horizon: HorizonOption = 1,
    unit: UnitOption = Unit.admin1,
    start: Annotated[
        str | None,
        typer.Option(help="First target month evaluated, YYYY-MM (default: 24 before --end)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last target month evaluated, YYYY-MM (default: the latest data)."),
    ] = None,
    country: CountryOption = None,
    since: SinceOption = None,
    phases: PhasesOption = None,
    source: SourceOption = None,
    model: Annotated[
        BacktestModel,
        typer.Option(help="The learned candidates to evaluate beside the baselines."),
    ] = BacktestModel.both,
    refit_every: RefitOption = 1,
    as_json: JsonOption = False,
    html: HtmlOption = None,
) -> None:
    """Rolling-origin backtest of the forecast against the baselines a forecaster would pick.

    Each target month from START to END is forecast by models trained only on what was known
    before it; every model is scored on the same forecasts (Brier score, ROC AUC, average
    precision, calibration, MSE on log counts, CRPS and 80% interval coverage of its count
    distribution). Baselines: persistence, climatology, rolling_12, rolling_36, views_last12,
    logit_lags. The model is called better only where a paired bootstrap over target months
    shows it against the best baseline per score; onsets (units quiet for 12 months) and deaths
    are scored apart.
    """
    from rivalscope.forecast.backtesting import backtest
    from rivalscope.forecast.models import LEARNERS

    _check_rival(outcome, rival)
    learners = LEARNERS if model is BacktestModel.both else (model.value,)
    with (
        open_store(db, write=False, flags=BACKTEST_FLAGS) as store,
        _progress(as_json) as on_origin,
    ):
        result = backtest(
            store,
            actor,
            rival=rival,
            outcome=outcome.value,
            horizon=horizon,
            unit=unit.value,
            country=country,
            since=since,
            start=start,
            end=end,
            phases=phases,
            learners=learners,
            refit_every=refit_every,
            on_origin=on_origin,
            source=source,
        )
        if html is not None:
            from rivalscope.forecast.report import write_html

            write_html(result, html)
    if as_json:
        print_json(result.to_dict())
        return
    stdout().print(metrics_table(result))
    stdout().print(comparisons_table(result))
    err.print(shown(result.summary), highlight=False, soft_wrap=True)
    if html is not None:
        err.print(f"backtest page written to {shown(html)}", highlight=False)
