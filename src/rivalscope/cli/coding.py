"""Coding text and reviewing what it found: ``rivalscope code`` and ``rivalscope review``.

``rivalscope code FILE...`` codes reports into JSON lines (and with ``--store`` into the store,
pending review); ``rivalscope code eval GOLD.jsonl`` scores the coder against a gold file;
``rivalscope review`` lists what awaits an analyst, ``review accept`` / ``review reject``
decide.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import TextColumn
from rich.table import Table
from typer.core import TyperGroup

from rivalscope.cli.common import (
    DbOption,
    JsonOption,
    err,
    fail,
    json_option,
    library_errors,
    open_store,
    print_json,
    progress,
    stdout,
    store_target,
    visible,
)
from rivalscope.cli.common import shown as shown_text

if TYPE_CHECKING:
    from rivalscope import Store
    from rivalscope.coding.coder import Coder

DEFAULT_COMMAND = "files"
MAX_CHARS = 2_000_000  # rivalscope.coding.coder.MAX_PASSAGE_CHARS (not imported: --help stays fast)


class _CodeGroup(TyperGroup):
    """``rivalscope code FILE...`` runs the ``files`` command; ``rivalscope code eval ...``
    runs ``eval``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


code_app = typer.Typer(
    cls=_CodeGroup,
    help=(
        "Code reports (text, CSV, JSON Lines) into events and defections with the evidence for "
        "each field. `rivalscope code FILE... [OPTIONS]` codes files (the `files` command); "
        "`rivalscope code eval GOLD.jsonl` scores the coder against a gold file."
    ),
    no_args_is_help=True,
)
review_app = typer.Typer(
    help="List text-coded events and defections awaiting review; accept or reject them.",
    invoke_without_command=True,
)


@contextmanager
def _optional_store(db: str | None, *, write: bool) -> Iterator[Store | None]:
    """The store named by ``--db`` (or the default one when writing); None when coding without
    one (the coder then uses the registry and gazetteer Rivalscope ships)."""
    if db is None and not write:
        yield None
        return
    with open_store(db, write=write) as store:
        yield store


def _coder(store: Store | None, country: str) -> Coder:
    from rivalscope.coding.coder import Coder

    return Coder.from_store(store, country=country) if store is not None else _builtin(country)


@cache
def _builtin(country: str) -> Coder:
    """The coder with the shipped registry and gazetteer (built once per process)."""
    from rivalscope.coding.coder import Coder

    return Coder(country=country)


def _date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"--report-date: {value!r} is not a YYYY-MM-DD date") from None


@code_app.command(DEFAULT_COMMAND)
def code_files(
    files: Annotated[
        list[Path],
        typer.Argument(help="Reports: .txt (one report per file), .csv or .jsonl (one per row)."),
    ],
    text_column: Annotated[
        str | None,
        typer.Option(
            "--text-column", help="CSV column / JSON field with the text (default: text)."
        ),
    ] = None,
    date_column: Annotated[
        str | None,
        typer.Option(
            "--date-column",
            help="CSV column / JSON field with the report date (default: report_date or date).",
        ),
    ] = None,
    report_date: Annotated[
        str | None,
        typer.Option(
            "--report-date",
            help="YYYY-MM-DD: the date of reports that carry none (relative dates count from it).",
        ),
    ] = None,
    split: Annotated[
        str,
        typer.Option(help="Plain text files: one report per file, paragraph or line."),
    ] = "file",
    country: Annotated[
        str, typer.Option(help="ISO3 country assumed when a report names no place.")
    ] = "AFG",
    db: DbOption = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Write the records into the store (source `text`), pending review, and print "
            "a summary instead of the records (--out still writes them).",
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Write the JSON lines here instead of stdout.")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(help="Leave out records below this confidence (0 to 1).")
    ] = 0.0,
    max_chars: Annotated[
        int,
        typer.Option(
            help="Refuse a passage longer than this many characters, before coding anything "
            "(0: no limit).",
        ),
    ] = MAX_CHARS,
    as_json: Annotated[
        bool,
        json_option("Print one JSON summary object on stdout (records then go only to --out)."),
    ] = False,
) -> None:
    """Code reports into events and defections: one JSON line per record, with the evidence
    (character spans) for each field.

    With --store the records go into the store, pending review, and the terminal gets a summary
    (what was stored and how to review it); --out FILE also writes them as JSON lines.
    """
    from rivalscope.coding.coder import PassageTooLong
    from rivalscope.coding.readers import ReadStats, read_passages
    from rivalscope.coding.records import store_records

    base = _date_option(report_date)
    stats = ReadStats()
    with library_errors(), _optional_store(db, write=store) as opened:
        coder = _coder(opened, country)
        passages = list(
            read_passages(
                files,
                text_column=text_column,
                date_column=date_column,
                report_date=base,
                split=split,
                stats=stats,
            )
        )
        limit = max_chars if max_chars > 0 else None
        for passage in passages:
            if limit is not None and len(passage.text) > limit:
                hint = " (--split paragraph or line)" if passage.row is None else ""
                raise fail(f"{PassageTooLong(passage, limit)}{hint}, or raise --max-chars")
        records = []
        sink: IO[str] | None = None
        if out is not None:
            sink = out.open("w", encoding="utf-8")
        elif not as_json and not store:
            sink = sys.stdout
        shown = progress(
            TextColumn("{task.completed:,}/{task.total:,} reports"),
            hidden=as_json or len(passages) < 200,
        )
        try:
            with shown:
                task = shown.add_task("coding", total=len(passages))
                for _, coded in coder.code_passages(passages, max_chars=limit):
                    for record in coded:
                        if record.confidence < min_confidence:
                            continue
                        records.append(record)
                        if sink is not None:
                            sink.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
                    shown.advance(task)
        finally:
            if out is not None and sink is not None:
                sink.close()
        stored = None
        if store and opened is not None:
            stored = store_records(opened, records, file=", ".join(str(f) for f in files))
    events = sum(r.kind == "event" for r in records)
    summary: dict[str, Any] = {
        "files": stats.files,
        "passages": stats.passages,
        "empty": stats.empty,
        "events": events,
        "defections": len(records) - events,
        "out": str(out) if out else None,
        "stored": stored.to_dict() if stored else None,
    }
    if as_json:
        print_json(summary)
        return
    err.print(
        f"{stats.passages:,} reports from {stats.files:,} file(s): {events:,} events, "
        f"{len(records) - events:,} defections" + (f" written to {out}" if out else ""),
        highlight=False,
    )
    if stored is not None:
        for name, result in (("events", stored.events), ("defections", stored.defections)):
            if result is not None:
                err.print(
                    f"stored {name}: {result.rows_stored:,} new or changed, "
                    f"{result.rows_unchanged:,} unchanged (batch {result.batch_id})",
                    highlight=False,
                )
        if stored.undated:
            err.print(
                f"[yellow]{stored.undated:,} records have no date (none in the text, no report "
                "date) and were not stored: give --report-date or a date column[/]",
                highlight=False,
            )
        err.print(
            f"review them: rivalscope review --db {shown_text(store_target(db))}", highlight=False
        )


@code_app.command("eval")
def code_eval(
    gold: Annotated[Path, typer.Argument(help="Gold JSON Lines file (see docs/coding.md).")],
    split: Annotated[
        str | None, typer.Option(help="Score only this split (dev, holdout); default: all.")
    ] = None,
    db: DbOption = None,
    country: Annotated[
        str, typer.Option(help="ISO3 country assumed when a passage names no place.")
    ] = "AFG",
    errors: Annotated[
        bool, typer.Option("--errors", help="Also list each passage the coder got wrong.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Score the coder against a gold file: per-field precision, recall and F1."""
    from rivalscope.coding.evaluate import TARGETS, evaluate, format_table, load_gold

    with library_errors():
        passages = load_gold(gold)
        with _optional_store(db, write=False) as opened:
            result = evaluate(_coder(opened, country), passages, split=split)
    if as_json:
        data = result.to_dict()
        if errors:
            data["errors"] = result.errors
        print_json(data)
        return
    console = stdout()
    view = Table(
        "field",
        "precision",
        "recall",
        "F1",
        "tp",
        "fp",
        "fn",
        title=f"{gold.name}: {result.passages} passages" + (f" ({split})" if split else ""),
    )
    for row in format_table(result):
        view.add_row(*row)
    console.print(view)
    types = Table("event type", "precision", "recall", "F1", title="Event types")
    for name, score in result.types.items():
        if score.tp + score.fp + score.fn:
            types.add_row(
                shown_text(name), f"{score.precision:.3f}", f"{score.recall:.3f}", f"{score.f1:.3f}"
            )
    console.print(types)
    met = result.met()
    for name, value in result.headline().items():
        goal = TARGETS[name]
        sign = "<=" if name == "negative_false_event_rate" else ">="
        verdict = "[green]met[/]" if met[name] else "[red]missed[/]"
        console.print(f"{name}: {value:.3f} (target {sign} {goal}) {verdict}")
    if errors:
        for item in result.errors:
            console.print(
                shown_text(f"{item['id']}: {json.dumps(item['mistakes'], default=str)}"),
                highlight=False,
                soft_wrap=True,
            )


@review_app.callback()
def review(
    ctx: typer.Context,
    db: DbOption = None,
    status: Annotated[str, typer.Option(help="pending, accepted, rejected or all.")] = "pending",
    kind: Annotated[str | None, typer.Option(help="event or defection (default: both).")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many (0: all).")] = 50,
    redact: Annotated[
        bool, typer.Option("--redact", help="Replace names of individuals with pseudonyms.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List review items (newest batch last) with the passage words behind each field."""
    if ctx.invoked_subcommand is not None:
        return
    from rivalscope import review as reviews

    with open_store(db, write=redact, must_exist=True) as opened:
        table = reviews.items(
            opened, status=None if status == "all" else status, kind=kind, redact=redact
        )
    rows = table.to_pylist()
    shown = rows if limit <= 0 else rows[:limit]
    if as_json:
        print_json({"items": shown, "total": len(rows)})
        return
    console = stdout()
    console.print(f"[bold]{len(rows):,} {status} item(s)[/]", highlight=False)
    for row in shown:
        sides = " -> ".join(str(a) for a in (row["actor1"], row["actor2"]) if a) or "sides unknown"
        place = " / ".join(str(p) for p in (row["admin1_code"], row["admin2"]) if p)
        if row["item_kind"] == "defection":
            count = f"{row['fighters']} fighters" if row["fighters"] is not None else ""
        else:
            count = f"killed {row['fatalities']}" if row["fatalities"] is not None else ""
        confidence = f"{row['confidence']:.2f}" if row["confidence"] is not None else "?"
        facts = [str(row["event_type"] or ""), sides, place, str(row["date"] or ""), count]
        console.print(
            f"\n[bold]{shown_text(row['item_id'])}[/]  {row['item_kind']}  {row['status']}  "
            f"confidence {confidence}",
            highlight=False,
        )
        console.print("  " + " · ".join(shown_text(f) for f in facts if f), highlight=False)
        for line in _quotes(row["passage"], row["evidence"]):
            console.print(f"    {visible(line)}", highlight=False, markup=False)
    if len(rows) > len(shown):
        err.print(f"{len(rows) - len(shown):,} more (use --limit 0)", highlight=False)
    if rows and status == "pending":
        err.print(
            "decide: rivalscope review accept ID... | reject ID... (or --all-above C)",
            highlight=False,
        )


def _quotes(passage: str | None, evidence: str | None) -> list[str]:
    """``field: "words"`` for each field the passage supports."""
    if not passage or not evidence:
        return []
    spans = json.loads(evidence)
    return [
        f'{name}: "{passage[start:end]}"'
        for name, (start, end) in sorted(spans.items(), key=lambda item: item[1][0])
    ]


def _decide(
    ids: list[str] | None,
    status: str,
    all_above: float | None,
    kind: str | None,
    db: str | None,
    reviewer: str | None,
    as_json: bool,
) -> None:
    from rivalscope import review as reviews

    if not ids and all_above is None:
        raise fail("give the ids to decide, or --all-above CONFIDENCE")
    with open_store(db, write=True, must_exist=True) as opened:
        pending = reviews.items(opened, status=None, kind=kind).to_pylist()
        kinds = {row["item_id"]: row["item_kind"] for row in pending}
        chosen = list(ids or [])
        if all_above is not None:
            chosen += [
                row["item_id"]
                for row in pending
                if row["status"] == "pending"
                and row["confidence"] is not None
                and row["confidence"] >= all_above
            ]
        unknown = [item for item in chosen if item not in kinds]
        if unknown:
            raise fail(f"no item under review has the id {unknown[0]!r} (see `rivalscope review`)")
        changed = 0
        for item_kind in ("event", "defection"):
            group = [item for item in dict.fromkeys(chosen) if kinds[item] == item_kind]
            if group:
                changed += reviews.decide(opened, group, status, kind=item_kind, reviewer=reviewer)
    if as_json:
        print_json({"status": status, "items": len(set(chosen)), "changed": changed})
    else:
        err.print(f"{changed:,} item(s) {status}", highlight=False)


IdsArgument = Annotated[
    list[str] | None, typer.Argument(help="Review item ids (from `rivalscope review`).")
]
AboveOption = Annotated[
    float | None,
    typer.Option("--all-above", help="Every pending item with at least this confidence."),
]
KindOption = Annotated[str | None, typer.Option(help="event or defection (default: both).")]
ReviewerOption = Annotated[str | None, typer.Option(help="Who decides (recorded).")]


def _decision(status: str, summary: str) -> Callable[..., None]:
    def decide(
        ids: IdsArgument = None,
        all_above: AboveOption = None,
        kind: KindOption = None,
        db: DbOption = None,
        reviewer: ReviewerOption = None,
        as_json: JsonOption = False,
    ) -> None:
        _decide(ids, status, all_above, kind, db, reviewer, as_json)

    decide.__doc__ = summary
    return decide


review_app.command("accept")(
    _decision("accepted", "Accept items: they count in analyses from now on.")
)
review_app.command("reject")(
    _decision(
        "rejected",
        "Reject items: they stay in the store but never count (re-coding keeps them rejected).",
    )
)
