"""The store and its reference knowledge: ``rivalscope info``, ``actors``, ``places`` (with their
loaders) and ``export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rivalscope.cli.common import (
    DEFAULT_WAIT,
    DbOption,
    JsonOption,
    WaitOption,
    err,
    open_store,
    print_json,
    shown,
    stdout,
)

actors_app = typer.Typer(help="The actor registry.", invoke_without_command=True)
places_app = typer.Typer(help="The gazetteer of provinces.", invoke_without_command=True)


def info(
    db: DbOption = None,
    as_json: JsonOption = False,
    quarantine: Annotated[
        bool, typer.Option("--quarantine", help="List quarantined rows and why.")
    ] = False,
) -> None:
    """Show the store: sources, what each covers per country, batches, counts, quarantine,
    unresolved names."""
    import rivalscope.fusion as fusion

    with open_store(db, write=True, must_exist=True) as store:
        summary = store.info()
        summary["coverage"] = fusion.coverage(store).to_pylist()
        rows = store.quarantine().to_pylist() if quarantine else []
    if as_json:
        if quarantine:
            summary["quarantine"] = rows
        print_json(summary)
        return
    _print_info(summary)
    if quarantine:
        view = Table("batch", "row", "reason", title="Quarantine")
        for row in rows:
            view.add_row(shown(row["batch_id"]), str(row["row_number"]), shown(row["reason"]))
        stdout().print(view)


def _print_info(summary: dict[str, Any]) -> None:
    console = stdout()
    console.print(
        f"[bold]{shown(summary['db'])}[/]: {summary['events']:,} events, "
        f"{summary['defections']:,} defections, {summary['quarantined']:,} rows in quarantine",
        highlight=False,
    )
    view = Table("source", "events", "first", "last", "batches", title="Sources")
    for row in summary["sources"]:
        view.add_row(
            shown(row["source"]),
            f"{row['events']:,}",
            str(row["first_date"]),
            str(row["last_date"]),
            str(row["batches"]),
        )
    console.print(view)
    if summary["coverage"]:
        view = Table(
            "source",
            "country",
            "first",
            "last",
            "versions",
            "batches",
            "events",
            title="Coverage (declared windows marked *)",
        )
        for row in summary["coverage"]:
            view.add_row(
                shown(row["source"]),
                shown(row["country_iso3"] or "?"),
                str(row["first_date"]) + (" *" if row["declared"] else ""),
                str(row["last_date"]),
                shown(row["versions"] or ""),
                str(row["batches"]),
                f"{row['events']:,}",
            )
        console.print(view)
    view = Table("batch", "file", "read", "stored", "quarantined", "unchanged", title="Batches")
    for row in summary["batches"][-10:]:
        view.add_row(
            shown(row["batch_id"]),
            shown(row["file"]),
            f"{row['rows_read']:,}",
            f"{row['rows_stored']:,}",
            f"{row['rows_quarantined']:,}",
            f"{row['rows_unchanged']:,}",
        )
    console.print(view)
    for key, title in (
        ("unregistered_actors", "Actors no alias knows"),
        ("ambiguous_actors", "Ambiguous actors (counted as neither group)"),
    ):
        if summary[key]:
            view = Table("id", "name as written", "events", title=title)
            for row in summary[key]:
                view.add_row(shown(row["actor_id"]), shown(row["name"]), f"{row['events']:,}")
            console.print(view)
    if summary["unmatched_places"]:
        view = Table("country", "province as written", "events", title="Unmatched province names")
        for row in summary["unmatched_places"]:
            view.add_row(shown(row["country_iso3"]), shown(row["admin1"]), f"{row['events']:,}")
        console.print(view)
    if summary["quarantine_reasons"]:
        view = Table("source", "reason", "rows", title="Quarantine reasons")
        for row in summary["quarantine_reasons"]:
            view.add_row(shown(row["source"]), shown(row["reason"]), f"{row['rows']:,}")
        console.print(view)


@actors_app.callback()
def actors(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """List actors with their aliases and event counts."""
    if ctx.invoked_subcommand is not None:
        return
    with open_store(db, write=True, must_exist=True) as store:
        rows = store.actors().to_pylist()
    if as_json:
        print_json({"actors": rows})
        return
    view = Table("actor", "name", "kind", "events", "aliases", title="Actors")
    for row in rows:
        if not row["registered"] and not row["events"]:
            continue
        aliases = ", ".join(row["aliases"][:6]) + (" ..." if len(row["aliases"]) > 6 else "")
        kind = shown(row["kind"]) if row["registered"] else "[yellow]unregistered[/]"
        view.add_row(
            shown(row["actor_id"]), shown(row["name"]), kind, f"{row['events']:,}", shown(aliases)
        )
    stdout().print(view)


@actors_app.command("load")
def actors_load(
    file: Annotated[
        Path, typer.Argument(help=r"A TOML file of \[\[actor]] and \[\[alias]] tables.")
    ],
    db: DbOption = None,
    wait: WaitOption = DEFAULT_WAIT,
    as_json: JsonOption = False,
) -> None:
    """Extend the actor registry with a TOML file (see docs/data-sources.md)."""
    with open_store(db, write=True, wait=wait) as store:
        result = store.load_actors(file)
    if as_json:
        print_json(result)
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
    with open_store(db, write=True, must_exist=True) as store:
        rows = store.places(country).to_pylist()
    if as_json:
        print_json({"places": rows})
        return
    view = Table("code", "name", "country", "events", "boundary", title="Provinces")
    for row in rows:
        view.add_row(
            shown(row["code"]),
            shown(row["name"]),
            shown(row["country_iso3"]),
            f"{row['events']:,}",
            "yes" if row["has_boundary"] else "",
        )
    stdout().print(view)


@places_app.command("load-boundaries")
def places_load_boundaries(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON of first-level boundaries (e.g. geoBoundaries ADM1).")
    ],
    db: DbOption = None,
    wait: WaitOption = DEFAULT_WAIT,
    as_json: JsonOption = False,
) -> None:
    """Load province polygons; events without a usable province get one by their point."""
    with open_store(db, write=True, wait=wait) as store:
        result = store.load_boundaries(file)
    if as_json:
        print_json(result)
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
    wait: WaitOption = DEFAULT_WAIT,
    country: Annotated[str, typer.Option(help="ISO3 code of the country listed.")] = "AFG",
    as_json: JsonOption = False,
) -> None:
    """Load a district list (level 2 of the gazetteer) for the text coder and maps."""
    from rivalscope.districts import load_districts

    with open_store(db, write=True, wait=wait) as store:
        result = load_districts(store, file, country=country)
    if as_json:
        print_json(result)
    else:
        err.print(
            f"{result['districts']} districts in {result['provinces']} provinces loaded "
            f"({result['replaced']} replaced)",
            highlight=False,
        )


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
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Replace names of individuals (persons, notes, passages, quarantined rows) "
            "with pseudonyms.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Export the store as Parquet (read it with --db spark:MASTER?data=DIR)."""
    from rivalscope.store.parquet import export_parquet

    def shown(table: str, rows: int) -> None:
        if not as_json:
            err.print(f"{table}: {rows:,} rows", highlight=False)

    with open_store(db, write=redact, must_exist=True) as store:
        written = export_parquet(store, parquet, on_table=shown, redact=redact)
    if as_json:
        print_json({"directory": str(parquet), "rows": written})
    else:
        err.print(f"exported to {parquet}", highlight=False)
