"""The ``rivalscope`` command: each command opens the store, calls one library function, prints.

Data and ``--json`` objects go to stdout; progress and human summaries go to stderr. Exit codes:
0 success, 1 the analysis found a problem, 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import rivalscope
from rivalscope.coding.cli import code_app, review_app
from rivalscope.errors import RivalscopeError
from rivalscope.fetch.cli import fetch_app, update_app
from rivalscope.forecast.cli import forecast_app
from rivalscope.ingest import STEPS, IngestResult
from rivalscope.server.cli import serve
from rivalscope.simulate.cli import app as simulate_app
from rivalscope.store import Store, default_db

app = typer.Typer(
    name="rivalscope",
    help="Track and analyse rivalries between armed groups from conflict event data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Ingest a source file into the store.", no_args_is_help=True)
actors_app = typer.Typer(help="The actor registry.", invoke_without_command=True)
places_app = typer.Typer(help="The gazetteer of provinces.", invoke_without_command=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(actors_app, name="actors")
app.add_typer(places_app, name="places")
app.add_typer(fetch_app, name="fetch")
app.add_typer(update_app, name="update")
app.add_typer(simulate_app, name="simulate")
app.add_typer(forecast_app, name="forecast")
app.add_typer(code_app, name="code")
app.add_typer(review_app, name="review")
app.command("serve")(serve)

err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=(
            "DuckDB file (default $RIVALSCOPE_DB or rivalscope.duckdb), a postgresql:// URL, "
            "or spark:MASTER?data=DIR (a Parquet export)."
        ),
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _store(db: str | None, *, read_only: bool = False) -> Iterator[Store]:
    """Open the store, turning library errors into a one-line message and exit code 2."""
    try:
        store = rivalscope.open(db or default_db(), read_only=read_only)
    except RivalscopeError as exc:
        raise _fail(str(exc)) from None
    try:
        yield store
    except RivalscopeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")


def _ingest(source: str, file: Path, db: str | None, as_json: bool, encoding: str) -> None:
    with _store(db) as store:
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} steps"),
            TimeElapsedColumn(),
            console=err,
            disable=as_json,
            transient=True,
        )
        with progress:
            task = progress.add_task(f"{source} {file.name}", total=len(STEPS))

            def on_step(name: str) -> None:
                progress.update(
                    task, completed=STEPS.index(name), description=f"{source} {file.name}: {name}"
                )

            result = store.ingest(source, file, encoding=encoding, on_step=on_step)
            progress.update(task, completed=len(STEPS))
    if as_json:
        _print_json(result.to_dict())
    else:
        _print_result(result)


def _print_result(result: IngestResult) -> None:
    err.print(
        f"[bold]{result.source}[/] {result.file}: {result.rows_read:,} rows read, "
        f"[green]{result.rows_stored:,} stored[/], "
        f"[yellow]{result.rows_quarantined:,} quarantined[/], "
        f"{result.rows_unchanged:,} unchanged (batch {result.batch_id})",
        highlight=False,
    )
    if result.rows_quarantined:
        err.print("  see why: rivalscope info --quarantine", highlight=False)


EncodingOption = Annotated[
    str, typer.Option("--encoding", help="File encoding: utf-8, latin-1 or utf-16.")
]
FileArgument = Annotated[Path, typer.Argument(help="CSV file (or .gz, or .zip holding one CSV).")]


@ingest_app.command("ucdp")
def ingest_ucdp(
    file: FileArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
    encoding: EncodingOption = "utf-8",
) -> None:
    """Ingest a UCDP GED or GED Candidate CSV (GEDEvent_v21_1 ... v25_1 layouts)."""
    _ingest("ucdp", file, db, as_json, encoding)


@ingest_app.command("acled")
def ingest_acled(
    file: FileArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
    encoding: EncodingOption = "utf-8",
) -> None:
    """Ingest an ACLED export CSV."""
    _ingest("acled", file, db, as_json, encoding)


@ingest_app.command("defections")
def ingest_defections(
    file: FileArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
    encoding: EncodingOption = "utf-8",
) -> None:
    """Ingest a defections CSV in Rivalscope's schema (docs/data-sources.md)."""
    _ingest("defections", file, db, as_json, encoding)


@ingest_app.command("displacement")
def ingest_displacement(
    file: FileArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
    encoding: EncodingOption = "utf-8",
) -> None:
    """Ingest a displacement CSV (admin1, month, idps) in Rivalscope's schema."""
    _ingest("displacement", file, db, as_json, encoding)


def _write_table(table: pa.Table, fmt: str, out: Path | None) -> None:
    """Write an Arrow table as csv, json (JSON Lines) or parquet, to a file or stdout."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        if out is None:
            raise _fail("--format parquet needs --out FILE")
        pq.write_table(table, out)
        return
    if fmt == "csv":
        flat = table
        for index, field in enumerate(table.schema):
            if pa.types.is_list(field.type):
                joined = [";".join(v) if v else "" for v in table.column(index).to_pylist()]
                flat = flat.set_column(index, field.name, pa.array(joined, pa.string()))
        if out is None:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(flat, sink)
            sys.stdout.write(sink.getvalue().to_pybytes().decode())
        else:
            pacsv.write_csv(flat, out)
        return
    lines = (json.dumps(row, default=str, ensure_ascii=False) + "\n" for row in table.to_pylist())
    if out is None:
        sys.stdout.writelines(lines)
    else:
        with out.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)


@app.command()
def events(
    db: DbOption = None,
    actor: Annotated[str | None, typer.Option(help="Actor id or alias (either side).")] = None,
    rival: Annotated[str | None, typer.Option(help="With --actor: events between the two.")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="clash, attack, ...")] = None,
    admin1: Annotated[str | None, typer.Option(help="Province code or name.")] = None,
    since: Annotated[str | None, typer.Option(help="First date, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last date, YYYY-MM-DD.")] = None,
    source: Annotated[str | None, typer.Option(help="ucdp, acled, ...")] = None,
    country: Annotated[str | None, typer.Option(help="ISO3 code or name.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv, json (JSON Lines) or parquet.")
    ] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Export events matching the filters."""
    if fmt not in ("csv", "json", "parquet"):
        raise _fail(f"--format {fmt!r}: use csv, json or parquet")
    with _store(db, read_only=Path(db or default_db()).exists()) as store:
        table = store.events(
            actor=actor,
            rival=rival,
            event_type=event_type,
            admin1=admin1,
            since=since,
            until=until,
            source=source,
            country=country,
        )
    _write_table(table, fmt, out)
    if out is not None:
        err.print(f"{table.num_rows:,} events written to {out}", highlight=False)


@actors_app.callback()
def actors(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """List actors with their aliases and event counts."""
    if ctx.invoked_subcommand is not None:
        return
    with _store(db) as store:
        table = store.actors()
    rows = table.to_pylist()
    if as_json:
        _print_json({"actors": rows})
        return
    view = Table("actor", "name", "kind", "events", "aliases", title="Actors")
    for row in rows:
        if not row["registered"] and not row["events"]:
            continue
        aliases = ", ".join(row["aliases"][:6]) + (" ..." if len(row["aliases"]) > 6 else "")
        kind = row["kind"] if row["registered"] else "[yellow]unregistered[/]"
        view.add_row(row["actor_id"], row["name"], kind, f"{row['events']:,}", aliases)
    Console().print(view)


@actors_app.command("load")
def actors_load(
    file: Annotated[Path, typer.Argument(help="A TOML file of [[actor]] and [[alias]] tables.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Extend the actor registry with a TOML file (see docs/data-sources.md)."""
    with _store(db) as store:
        result = store.load_actors(file)
    if as_json:
        _print_json(result)
    else:
        err.print(
            f"{result['actors']} actors and {result['aliases']} aliases loaded; "
            f"{result['events_remapped']} actor fields re-mapped",
            highlight=False,
        )


@places_app.callback()
def places(
    ctx: typer.Context,
    db: DbOption = None,
    country: Annotated[
        str | None, typer.Option(help="ISO3 or name (default: all with events).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List provinces with their ISO 3166-2 codes and event counts."""
    if ctx.invoked_subcommand is not None:
        return
    with _store(db) as store:
        rows = store.places(country).drop_columns([]).to_pylist()
    if as_json:
        _print_json({"places": rows})
        return
    view = Table("code", "name", "country", "events", "boundary", title="Provinces")
    for row in rows:
        view.add_row(
            row["code"],
            row["name"],
            row["country_iso3"],
            f"{row['events']:,}",
            "yes" if row["has_boundary"] else "",
        )
    Console().print(view)


@places_app.command("load-boundaries")
def places_load_boundaries(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON of first-level boundaries (e.g. geoBoundaries ADM1).")
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load province polygons; events without a usable province get one by their point."""
    with _store(db) as store:
        result = store.load_boundaries(file)
    if as_json:
        _print_json(result)
    else:
        err.print(
            f"{result['provinces']} province boundaries loaded; "
            f"{result['events_placed']} events placed by point-in-polygon",
            highlight=False,
        )


@places_app.command("load-districts")
def places_load_districts(
    file: Annotated[
        Path, typer.Argument(help="CSV of districts: province, district (and an id, a point).")
    ],
    db: DbOption = None,
    country: Annotated[str, typer.Option(help="ISO3 code of the country listed.")] = "AFG",
    as_json: JsonOption = False,
) -> None:
    """Load a district list (level 2 of the gazetteer) for the text coder and maps."""
    from rivalscope.districts import load_districts

    with _store(db) as store:
        result = load_districts(store, file, country=country)
    if as_json:
        _print_json(result)
    else:
        err.print(
            f"{result['districts']} districts in {result['provinces']} provinces loaded "
            f"({result['replaced']} replaced)",
            highlight=False,
        )


@app.command()
def info(
    db: DbOption = None,
    as_json: JsonOption = False,
    quarantine: Annotated[
        bool, typer.Option("--quarantine", help="List quarantined rows and why.")
    ] = False,
) -> None:
    """Show the store: sources, batches, counts, quarantine, unresolved names."""
    with _store(db) as store:
        summary = store.info()
        rows = store.quarantine().to_pylist() if quarantine else []
    if as_json:
        if quarantine:
            summary["quarantine"] = rows
        _print_json(summary)
        return
    _print_info(summary)
    if quarantine:
        view = Table("batch", "row", "reason", title="Quarantine")
        for row in rows:
            view.add_row(row["batch_id"], str(row["row_number"]), row["reason"])
        Console().print(view)


def _print_info(summary: dict[str, Any]) -> None:
    out = Console()
    out.print(
        f"[bold]{summary['db']}[/]: {summary['events']:,} events, "
        f"{summary['defections']:,} defections, {summary['quarantined']:,} rows in quarantine",
        highlight=False,
    )
    view = Table("source", "events", "first", "last", "batches", title="Sources")
    for row in summary["sources"]:
        view.add_row(
            row["source"],
            f"{row['events']:,}",
            str(row["first_date"]),
            str(row["last_date"]),
            str(row["batches"]),
        )
    out.print(view)
    view = Table("batch", "file", "read", "stored", "quarantined", "unchanged", title="Batches")
    for row in summary["batches"][-10:]:
        view.add_row(
            row["batch_id"],
            str(row["file"]),
            f"{row['rows_read']:,}",
            f"{row['rows_stored']:,}",
            f"{row['rows_quarantined']:,}",
            f"{row['rows_unchanged']:,}",
        )
    out.print(view)
    for key, title in (
        ("unregistered_actors", "Actors no alias knows"),
        ("ambiguous_actors", "Ambiguous actors (counted as neither group)"),
    ):
        if summary[key]:
            view = Table("id", "name as written", "events", title=title)
            for row in summary[key]:
                view.add_row(row["actor_id"], row["name"], f"{row['events']:,}")
            out.print(view)
    if summary["unmatched_places"]:
        view = Table("country", "province as written", "events", title="Unmatched province names")
        for row in summary["unmatched_places"]:
            view.add_row(str(row["country_iso3"]), row["admin1"], f"{row['events']:,}")
        out.print(view)
    if summary["quarantine_reasons"]:
        view = Table("source", "reason", "rows", title="Quarantine reasons")
        for row in summary["quarantine_reasons"]:
            view.add_row(row["source"], row["reason"], f"{row['rows']:,}")
        out.print(view)


@app.command()
def profile(
    actor: Annotated[str, typer.Argument(help="First actor: id or alias (ISKP, ISIS-K, ...).")],
    rival: Annotated[str, typer.Argument(help="Second actor: id or alias (TALIBAN, ...).")],
    db: DbOption = None,
    country: Annotated[str | None, typer.Option(help="ISO3 code or name, e.g. AFG.")] = None,
    since: Annotated[str | None, typer.Option(help="First date, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last date, YYYY-MM-DD.")] = None,
    phases: Annotated[
        Path | None, typer.Option(help="TOML file of [[phase]] tables (default: shipped phases).")
    ] = None,
    as_json: JsonOption = False,
    html: Annotated[Path | None, typer.Option(help="Write the offline HTML report here.")] = None,
    redact: Annotated[
        bool, typer.Option("--redact", help="Replace names of individuals with pseudonyms.")
    ] = False,
) -> None:
    """Profile the rivalry between two actors: where, when, whom, and what changed."""
    from rivalscope.analysis.profile import SECTIONS
    from rivalscope.analysis.profile import profile as run_profile

    read_only = not redact and Path(db or default_db()).exists()
    with _store(db, read_only=read_only) as store:
        result = run_profile(
            store, actor, rival, country=country, since=since, until=until, phases_file=phases
        )
        if redact:
            result = result.redacted()
        if html is not None:
            from rivalscope.report import write_report

            write_report(result, html)
        data = result.to_dict() if as_json else None
    if data is not None:
        _print_json(data)
        return
    for name in SECTIONS:
        err.print(f"[bold]{name}[/]: {getattr(result, name).summary}", highlight=False)
    if html is not None:
        err.print(f"report written to {html}", highlight=False)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the synthetic CSVs into.")] = Path(
        "demo-data"
    ),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 2015,
    ged_rows: Annotated[int, typer.Option(help="Rows of the UCDP-format file.")] = 20_000,
    acled_rows: Annotated[int, typer.Option(help="Rows of the ACLED-format file.")] = 15_000,
    as_json: JsonOption = False,
) -> None:
    """Write a SYNTHETIC Afghanistan 2015-2023 data set in UCDP GED and ACLED formats."""
    from rivalscope import synth as generator

    files = generator.generate(out, seed=seed, ged_rows=ged_rows, acled_rows=acled_rows)
    result = {
        "ged_csv": str(files.ged_csv),
        "acled_csv": str(files.acled_csv),
        "ged_rows": files.ged_rows,
        "acled_rows": files.acled_rows,
        "synthetic": True,
    }
    if as_json:
        _print_json(result)
    else:
        err.print(
            f"SYNTHETIC data written: {files.ged_csv} ({files.ged_rows:,} rows), "
            f"{files.acled_csv} ({files.acled_rows:,} rows)",
            highlight=False,
        )


@app.callback()
def _settings(
    spark_conf: Annotated[
        list[str] | None,
        typer.Option(
            "--spark-conf",
            help="A Spark setting KEY=VALUE for a spark: --db (repeatable), e.g. "
            "spark.executor.memory=8g.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Track and analyse rivalries between armed groups from conflict event data."""
    if spark_conf:
        from rivalscope.backends import spark, urls

        try:
            spark.configure(urls.parse_conf(spark_conf))
        except RivalscopeError as exc:
            raise _fail(str(exc)) from None


@app.command()
def export(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            help="Write every table as Parquet under DIR (events partitioned by country and "
            "year), for a spark: store.",
            file_okay=False,
        ),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export the store as Parquet (read it with --db spark:MASTER?data=DIR)."""
    from rivalscope.backends.parquet import export_parquet

    def shown(table: str, rows: int) -> None:
        if not as_json:
            err.print(f"{table}: {rows:,} rows", highlight=False)

    target = db or default_db()
    with _store(db, read_only=Path(target).exists()) as store:
        written = export_parquet(store, parquet, on_table=shown)
    if as_json:
        _print_json({"directory": str(parquet), "rows": written})
    else:
        err.print(f"exported to {parquet}", highlight=False)


@app.command()
def version() -> None:
    """Print the version."""
    sys.stdout.write(f"rivalscope {rivalscope.__version__}\n")


def main() -> None:
    """Entry point: run the app, mapping usage errors to exit code 2."""
    try:
        app()
    except RivalscopeError as exc:  # raised outside a store context
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
