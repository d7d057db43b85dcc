"""Records of one event across sources: ``rivalscope links`` lists the linked records (of one
event, one country, or all), ``rivalscope links --relink`` links the store again, with new
settings when given."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Annotated, Any

import typer
from rich.table import Table

from rivalscope.cli.common import (
    DEFAULT_WAIT,
    DbOption,
    JsonOption,
    WaitOption,
    err,
    fail,
    open_store,
    print_json,
    shown,
    stdout,
)


def _iso3(country: str | None) -> str | None:
    from rivalscope.places import require_country

    return None if country is None else require_country(country)


def links(
    event_id: Annotated[
        str | None,
        typer.Argument(
            metavar="EVENT_ID",
            help="Only the records linked with this event: a source's id (ucdp:123, "
            "acled:AFG456) or a fused one (fused:...).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    country: Annotated[
        str | None, typer.Option(help="ISO3 code or name: only this country.", show_default=False)
    ] = None,
    relink: Annotated[
        bool,
        typer.Option(
            "--relink",
            help="Link the store's events again (with --days and --km, kept for every later "
            "write), then print the counts.",
        ),
    ] = False,
    days: Annotated[
        int | None,
        typer.Option(
            help="With --relink: the most days between two records of one event (0 to 30; "
            "default: the store's setting).",
            show_default=False,
        ),
    ] = None,
    km: Annotated[
        float | None,
        typer.Option(
            help="With --relink: the most km between two precise points of one event (at "
            "most 500; default: the store's setting).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(min=1, help="Clusters shown in the table (--json lists every one)."),
    ] = 20,
    as_json: JsonOption = False,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """List the records linked across sources as one real-world event, or relink the store.

    Each cluster is one event of the fused view (`--source fused`); its records come from
    different sources, each with the score that tied it in (closer in time and place, more
    actors shared and the same type score higher, up to 1).
    """
    if relink:
        if event_id is not None:
            raise fail("--relink relinks whole countries: give --country, not an EVENT_ID")
        _relink(db, country, days, km, as_json, wait)
        return
    if days is not None or km is not None:
        raise fail("--days and --km set how records are linked: give them with --relink")
    import rivalscope.fusion as fusion

    with open_store(db, write=False, create=False) as store:
        rows = fusion.links(store, country=_iso3(country), event_id=event_id).to_pylist()
    if as_json:
        print_json({"links": rows, "clusters": len({r["cluster_id"] for r in rows})})
        return
    if not rows:
        what = f"event {event_id}" if event_id is not None else "this store"
        where = f" in {country}" if country is not None else ""
        err.print(
            f"no records linked across sources for {shown(what)}{shown(where)}", highlight=False
        )
        return
    _print_links(rows, limit)


def _print_links(rows: list[dict[str, Any]], limit: int) -> None:
    ids = list(dict.fromkeys(r["cluster_id"] for r in rows))
    clusters, shown_ids = len(ids), set(ids[:limit])
    view = Table(
        "cluster",
        "country",
        "source",
        "event id",
        "score",
        title=f"Linked records: {clusters:,} events, {len(rows):,} records",
    )
    previous = None
    for row in (r for r in rows if r["cluster_id"] in shown_ids):
        cluster = row["cluster_id"] if row["cluster_id"] != previous else ""
        previous = row["cluster_id"]
        view.add_row(
            shown(cluster),
            shown(row["country_iso3"] or ""),
            shown(row["source"]),
            shown(row["event_id"]),
            "" if row["score"] is None else f"{row['score']:.2f}",
        )
    stdout().print(view)
    if clusters > limit:
        err.print(
            f"{clusters - limit:,} more events not shown: --limit N, or --json for all",
            highlight=False,
        )


def _relink(
    db: str | None,
    country: str | None,
    days: int | None,
    km: float | None,
    as_json: bool,
    wait: float,
) -> None:
    import rivalscope.fusion as fusion
    from rivalscope.fusion.linking import stored_settings

    with open_store(db, write=True, create=False, wait=wait) as store:
        settings = None
        if days is not None or km is not None:
            current = stored_settings(store)
            settings = replace(
                current,
                days=current.days if days is None else days,
                km=current.km if km is None else km,
            )
        iso3 = _iso3(country)
        counts = fusion.link(store, countries=None if iso3 is None else [iso3], settings=settings)
        used = stored_settings(store)
    result = {**counts, "settings": asdict(used)}
    if as_json:
        print_json(result)
        return
    err.print(
        f"relinked (within {used.days} day{'s' if used.days != 1 else ''} and {used.km:g} km): "
        f"{counts['countries']:,} countries with two sources or more, "
        f"{counts['clusters']:,} events linked across sources from "
        f"{counts['linked']:,} records",
        highlight=False,
    )
