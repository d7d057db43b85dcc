"""Getting data in from files: ``rivalscope synth`` writes a SYNTHETIC data set, ``rivalscope
ingest SOURCE FILE`` loads a source file into the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import TextColumn

from rivalscope.cli.common import (
    DEFAULT_WAIT,
    DbOption,
    JsonOption,
    WaitOption,
    err,
    library_errors,
    open_store,
    print_json,
    progress,
    shown,
)

if TYPE_CHECKING:
    from rivalscope import IngestResult
    from rivalscope.fusion import Coverage

app = typer.Typer(help="Ingest a source file into the store.", no_args_is_help=True)

EncodingOption = Annotated[
    str, typer.Option("--encoding", help="File encoding: utf-8, latin-1 or utf-16.")
]
FileArgument = Annotated[Path, typer.Argument(help="CSV file (or .gz, or .zip holding one CSV).")]
CoverageOption = Annotated[
    str | None,
    typer.Option(
        "--coverage",
        help="The window the file covers, FROM..TO (2019-04-01..2019-09-28), as its source "
        "declares it (default: whole years for a UCDP GED release, else its events' dates).",
        show_default=False,
    ),
]
VersionOption = Annotated[
    str | None,
    typer.Option(
        "--version",
        help="The source's version or release (25.1 for UCDP GED 25.1; an ACLED export's "
        "date); default: from a UCDP file's name, an ACLED export's latest timestamp.",
        show_default=False,
    ),
]


def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the synthetic CSVs into.")] = Path(
        "demo-data"
    ),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 2015,
    ged_rows: Annotated[int, typer.Option(help="Rows of the UCDP-format file.")] = 20_000,
    acled_rows: Annotated[int, typer.Option(help="Rows of the ACLED-format file.")] = 15_000,
    one_world: Annotated[
        bool,
        typer.Option(
            "--one-world",
            help="Write one world of events as both sources report it (2017-2023), with a "
            "truth file linking each record to its event; --ged-rows and --acled-rows unused.",
        ),
    ] = False,
    events: Annotated[
        int, typer.Option("--events", min=0, help="True events in the world (with --one-world).")
    ] = 20_000,
    as_json: JsonOption = False,
) -> None:
    """Write a SYNTHETIC Afghanistan 2015-2023 data set in UCDP GED and ACLED formats."""
    from rivalscope import synth as generator

    if one_world:
        _synth_world(out, events, seed, as_json)
        return
    files = generator.generate(out, seed=seed, ged_rows=ged_rows, acled_rows=acled_rows)
    if as_json:
        print_json(
            {
                "ged_csv": str(files.ged_csv),
                "acled_csv": str(files.acled_csv),
                "ged_rows": files.ged_rows,
                "acled_rows": files.acled_rows,
                "synthetic": True,
            }
        )
        return
    err.print(
        f"SYNTHETIC data written: {files.ged_csv} ({files.ged_rows:,} rows), "
        f"{files.acled_csv} ({files.acled_rows:,} rows)",
        highlight=False,
    )


def _synth_world(out: Path, events: int, seed: int, as_json: bool) -> None:
    from rivalscope.synth_world import generate_world

    files = generate_world(out, events, seed=seed)
    if as_json:
        print_json(
            {
                "ged_csv": str(files.ged_csv),
                "acled_csv": str(files.acled_csv),
                "truth_csv": str(files.truth_csv),
                "events": files.events,
                "ged_rows": files.ged_rows,
                "acled_rows": files.acled_rows,
                "synthetic": True,
            }
        )
        return
    err.print(
        f"SYNTHETIC world of {files.events:,} events written: {files.ged_csv} "
        f"({files.ged_rows:,} rows), {files.acled_csv} ({files.acled_rows:,} rows), "
        f"truth in {files.truth_csv}",
        highlight=False,
    )


def coverage_of(window: str | None, version: str | None) -> Coverage | None:
    """The coverage declared by ``--coverage`` and ``--version`` (None when neither is given);
    a malformed window stops the command naming ``--coverage``."""
    from rivalscope.fusion import Coverage, parse_window

    if window is None and version is None:
        return None
    first = last = None
    if window is not None:
        with library_errors():
            first, last = parse_window(window)
    return Coverage(version=version or None, first=first, last=last)


def _ingest(
    source: str,
    file: Path,
    db: str | None,
    as_json: bool,
    encoding: str,
    coverage: Coverage | None = None,
    wait: float = DEFAULT_WAIT,
) -> None:
    from rivalscope.ingest import STEPS

    name = shown(f"{source} {file.name}")
    with (
        open_store(db, write=True, wait=wait) as store,
        progress(TextColumn("{task.completed}/{task.total} steps"), hidden=as_json) as bar,
    ):
        task = bar.add_task(name, total=len(STEPS))

        def on_step(step: str) -> None:
            bar.update(task, completed=STEPS.index(step), description=f"{name}: {step}")

        result = store.ingest(source, file, encoding=encoding, on_step=on_step, coverage=coverage)
        bar.update(task, completed=len(STEPS))
    if as_json:
        print_json(result.to_dict())
    else:
        _print_result(result)


def _print_result(result: IngestResult) -> None:
    err.print(
        f"[bold]{shown(result.source)}[/] {shown(result.file)}: {result.rows_read:,} rows read, "
        f"[green]{result.rows_stored:,} stored[/], "
        f"[yellow]{result.rows_quarantined:,} quarantined[/], "
        f"{result.rows_unchanged:,} unchanged (batch {result.batch_id})",
        highlight=False,
    )
    if result.rows_quarantined:
        err.print("  see why: rivalscope info --quarantine", highlight=False)
    if result.unresolved_actors:
        from rivalscope.ingest.unresolved import RESOLVE_ACTORS

        names = ", ".join(f"{a['name']} ({a['rows']:,})" for a in result.unresolved_actors)
        err.print(f"  actors no alias knows: {shown(names)}", highlight=False, soft_wrap=True)
        err.print(f"  give them an actor: {RESOLVE_ACTORS} (docs/data-sources.md)", highlight=False)
    if result.unresolved_places:
        from rivalscope.ingest.unresolved import RESOLVE_PLACES

        names = ", ".join(
            f"{p['admin1']} [{p['country_iso3'] or '?'}] ({p['rows']:,})"
            for p in result.unresolved_places
        )
        err.print(f"  provinces not found: {shown(names)}", highlight=False, soft_wrap=True)
        err.print(f"  place them by coordinates: {RESOLVE_PLACES}", highlight=False)


SOURCES = {
    "ucdp": "Ingest a UCDP GED or GED Candidate CSV (GEDEvent_v21_1 ... v25_1 layouts).",
    "acled": "Ingest an ACLED export CSV.",
    "defections": "Ingest a defections CSV in Rivalscope's schema (docs/data-sources.md).",
    "displacement": "Ingest a displacement CSV (admin1, month, idps) in Rivalscope's schema.",
}
"""Every ``rivalscope ingest`` command: the source, and what it reads."""


EVENT_SOURCES = ("ucdp", "acled")
"""The sources whose files may declare their coverage (``--coverage``, ``--version``)."""


def _command(source: str, summary: str) -> Callable[..., None]:
    def command(
        file: FileArgument,
        db: DbOption = None,
        as_json: JsonOption = False,
        encoding: EncodingOption = "utf-8",
        wait: WaitOption = DEFAULT_WAIT,
    ) -> None:
        _ingest(source, file, db, as_json, encoding, wait=wait)

    command.__doc__ = summary
    return command


def _events_command(source: str, summary: str) -> Callable[..., None]:
    def command(
        file: FileArgument,
        db: DbOption = None,
        as_json: JsonOption = False,
        encoding: EncodingOption = "utf-8",
        coverage: CoverageOption = None,
        version: VersionOption = None,
        wait: WaitOption = DEFAULT_WAIT,
    ) -> None:
        _ingest(source, file, db, as_json, encoding, coverage_of(coverage, version), wait)

    command.__doc__ = summary
    return command


for _source, _summary in SOURCES.items():
    _make = _events_command if _source in EVENT_SOURCES else _command
    app.command(_source)(_make(_source, _summary))
