"""Reading the data: ``rivalscope events`` lists what matches, ``rivalscope profile`` analyses a
rivalry."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rivalscope.cli.common import (
    DEFAULT_WAIT,
    DbOption,
    JsonOption,
    SourceOption,
    WaitOption,
    err,
    fail,
    open_store,
    print_json,
    shown,
)

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("csv", "json", "parquet")


def _write_table(table: pa.Table, fmt: str, out: Path | None) -> None:
    """Write an Arrow table as csv, json (JSON Lines) or parquet, to a file or stdout."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        if out is None:
            raise fail("--format parquet needs --out FILE")
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


def events(
    db: DbOption = None,
    actor: Annotated[str | None, typer.Option(help="Actor id or alias (either side).")] = None,
    rival: Annotated[str | None, typer.Option(help="With --actor: events between the two.")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="clash, attack, ...")] = None,
    admin1: Annotated[str | None, typer.Option(help="Province code or name.")] = None,
    since: Annotated[str | None, typer.Option(help="First date, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last date, YYYY-MM-DD.")] = None,
    source: SourceOption = None,
    country: Annotated[str | None, typer.Option(help="ISO3 code or name.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv, json (JSON Lines) or parquet.")
    ] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Export events matching the filters.

    With --source fused (the default where two sources or more hold events), each real-world
    event is one row, with the `sources` that recorded it and their `linked_ids`.
    """
    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: use csv, json or parquet")
    with open_store(db, write=False, flags={"event_type": "--type"}) as store:
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
        err.print(f"{table.num_rows:,} events written to {shown(out)}", highlight=False)


def profile(
    actor: Annotated[str, typer.Argument(help="First actor: id or alias (ISKP, ISIS-K, ...).")],
    rival: Annotated[str, typer.Argument(help="Second actor: id or alias (TALIBAN, ...).")],
    db: DbOption = None,
    country: Annotated[str | None, typer.Option(help="ISO3 code or name, e.g. AFG.")] = None,
    since: Annotated[str | None, typer.Option(help="First date, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last date, YYYY-MM-DD.")] = None,
    phases: Annotated[
        Path | None,
        typer.Option(help=r"TOML file of \[\[phase]] tables (default: shipped phases)."),
    ] = None,
    source: SourceOption = None,
    as_json: JsonOption = False,
    html: Annotated[Path | None, typer.Option(help="Write the offline HTML report here.")] = None,
    redact: Annotated[
        bool, typer.Option("--redact", help="Replace names of individuals with pseudonyms.")
    ] = False,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Profile the rivalry between two actors: where, when, whom, and what changed."""
    from rivalscope.analysis.profile import SECTIONS
    from rivalscope.analysis.profile import profile as run_profile

    with open_store(
        db, write=redact, must_exist=True, flags={"phases_file": "--phases"}, wait=wait
    ) as store:
        result = run_profile(
            store,
            actor,
            rival,
            country=country,
            since=since,
            until=until,
            phases_file=phases,
            source=source,
        )
        if redact:
            result = result.redacted()
        if html is not None:
            from rivalscope.report import write_report

            write_report(result, html)
        data = result.to_dict() if as_json else None
    if data is not None:
        print_json(data)
        return
    read = ", ".join(
        f"{entry['source']} {entry['version']}" if entry.get("version") else entry["source"]
        for entry in result.sources
    )
    dyad = result.dyad
    err.print(
        f"[bold]{shown(dyad.name(dyad.actor))} vs {shown(dyad.name(dyad.rival))}[/] "
        f"[dim]({shown(dyad.actor)} vs {shown(dyad.rival)})[/]",
        highlight=False,
    )
    err.print(
        f"[bold]source[/]: {shown(result.dyad.source)} ({shown(read) or 'no events'})",
        highlight=False,
    )
    for name in SECTIONS:
        err.print(f"[bold]{name}[/]: {shown(getattr(result, name).summary)}", highlight=False)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {shown(warning)}", highlight=False, soft_wrap=True)
    if html is not None:
        err.print(f"report written to {shown(html)}", highlight=False)
