"""Fetch UCDP GED and GED Candidate events from the UCDP API into the store.

The protocol (https://ucdp.uu.se/apidocs/): ``GET <base>/gedevents/<version>?pagesize=N&page=K``
with the access token in the ``x-ucdp-access-token`` header; ``pagesize`` is at most 1000 and
``page`` counts from 0. Filters: ``Country`` (Gleditsch-Ward codes, comma-separated, e.g. 700 for
Afghanistan) and ``StartDate`` (``YYYY-MM-DD``). The answer is JSON: ``TotalCount``,
``TotalPages``, ``PreviousPageUrl``, ``NextPageUrl`` (empty on the last page) and ``Result``, a
list of events with the columns of the GED CSV. The yearly GED has versions like ``25.1``; the
monthly Candidate events are served by the same resource under versions like ``25.0.9``.

Each page is kept raw in the cache, written as a CSV with the GED CSV's columns, and ingested by
the same adapter as a downloaded file (:meth:`rivalscope.Store.ingest`), then checkpointed. Each
page records its coverage (:mod:`rivalscope.fusion.coverage`): the API version, and whole years
for a yearly GED release.

GED and Candidate coexist: a finished GED fetch supersedes the Candidate rows it covers. GED
``YY.1`` covers events up to 31 December of 20YY-1 (from ``--since`` when one was given, in the
fetched countries when ``--country`` was given); a Candidate row dated inside that coverage is
removed (audited in ``deleted_events``) unless the GED release holds the same event id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

import rivalscope.settings as settings
from rivalscope.errors import InputError
from rivalscope.fetch.audit import delete_events
from rivalscope.fetch.cache import PageCache, default_cache_dir
from rivalscope.fetch.checkpoint import (
    FetchResult,
    OnPage,
    PageProgress,
    finish,
    record_page,
    run_batches,
    start_or_resume,
)
from rivalscope.fetch.credentials import UcdpToken
from rivalscope.fetch.http import ApiClient, ApiError, RetryPolicy, Service, same_host_url
from rivalscope.fusion.coverage import Coverage, is_annual_ged
from rivalscope.store import Store

if TYPE_CHECKING:
    import ibis.expr.types as ir

URL_ENV = "RIVALSCOPE_UCDP_URL"
DEFAULT_URL = settings.default(URL_ENV)
TOKEN_HEADER = "x-ucdp-access-token"
DEFAULT_GED_VERSION = "25.1"
MAX_PAGE_SIZE = 1000
TOKEN_PAGE = "https://ucdp.uu.se/apidocs/"

GED_COLUMNS = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
)
"""The columns of UCDP's GED CSV, in its order (also the fields of the API's ``Result`` rows)."""

SERVICE = Service(
    name="UCDP",
    unauthorized=(
        "the access token is missing, wrong or expired; request one from the UCDP API "
        f"maintainer ({TOKEN_PAGE}) and put it alone in the token file"
    ),
    forbidden=(
        "the token may not be allowed this resource or version, or its daily quota "
        f"(5,000 requests) is used up; wait a day or ask the UCDP API maintainer ({TOKEN_PAGE})"
    ),
)

_GED_VERSION = re.compile(r"(\d{1,2})\.(\d)")
_CANDIDATE_VERSION = re.compile(r"(\d{1,2})\.0\.(\d{1,2})")


def base_url(url: str | None = None) -> str:
    """The API root: ``url``, ``$RIVALSCOPE_UCDP_URL`` or the real service."""
    return (url or settings.get(URL_ENV) or "").rstrip("/")


@dataclass(frozen=True)
class UcdpQuery:
    """One UCDP fetch.

    Attributes:
        dataset: ``ged`` (yearly) or ``candidate`` (monthly).
        version: ``25.1`` for GED, ``25.0.9`` for Candidate; GED defaults to 25.1.
        country: Gleditsch-Ward codes, comma-separated (``700``, ``700,770``).
        since: first event date.
        page_size: rows per page, 1 to 1000.
    """

    dataset: str = "ged"
    version: str | None = None
    country: str | None = None
    since: dt.date | None = None
    page_size: int = MAX_PAGE_SIZE

    def checked(self) -> UcdpQuery:
        """The query with its version filled in, or an InputError naming what is wrong."""
        if self.dataset not in ("ged", "candidate"):
            raise InputError(f"use ged or candidate, not {self.dataset!r}", parameter="dataset")
        version = self.version or (DEFAULT_GED_VERSION if self.dataset == "ged" else None)
        if version is None:
            raise InputError(
                "the candidate dataset needs one, e.g. 25.0.9 (Candidate versions are "
                "YY.0.M: the year's release and the month)",
                parameter="version",
            )
        patterns = {"ged": (_GED_VERSION, "25.1"), "candidate": (_CANDIDATE_VERSION, "25.0.9")}
        pattern, example = patterns[self.dataset]
        if not pattern.fullmatch(version):
            other = "candidate" if self.dataset == "ged" else "ged"
            hint = ""
            if patterns[other][0].fullmatch(version):
                hint = f" (that looks like a {other} version: use the {other} dataset)"
            raise InputError(
                f"{version!r} is not a UCDP {self.dataset} version like {example}{hint}",
                parameter="version",
            )
        if self.country is not None and not re.fullmatch(r"\d+(,\d+)*", self.country):
            raise InputError(
                "give Gleditsch-Ward codes such as 700 (Afghanistan) or 700,770, not "
                f"{self.country!r}",
                parameter="country",
            )
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InputError(
                f"use 1 to {MAX_PAGE_SIZE}, not {self.page_size}", parameter="page_size"
            )
        return UcdpQuery(self.dataset, version, self.country, self.since, self.page_size)

    @property
    def label(self) -> str:
        return f"ucdp {self.dataset} {self.version}"

    def params(self) -> dict[str, Any]:
        """The query as stored with its run (no secret)."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "country": self.country,
            "since": self.since.isoformat() if self.since else None,
            "page_size": self.page_size,
        }

    def coverage(self) -> Coverage:
        """What each page of this query covers: the API version, whole years for a yearly GED
        release (Candidate releases code months)."""
        return Coverage(version=self.version, whole_years=is_annual_ged(self.version))

    def first_url(self, base: str) -> str:
        query: dict[str, str] = {"pagesize": str(self.page_size), "page": "0"}
        if self.country:
            query["Country"] = self.country
        if self.since:
            query["StartDate"] = self.since.isoformat()
        return f"{base}/gedevents/{self.version}?{urlencode(query)}"


def ged_coverage_end(version: str) -> dt.date:
    """The last day a GED release covers: ``25.1`` -> 2024-12-31."""
    match = _GED_VERSION.fullmatch(version)
    if match is None:
        raise InputError(f"{version!r} is not a GED version like 25.1")
    return dt.date(2000 + int(match.group(1)) - 1, 12, 31)


def _result_rows(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or "Result" not in body:
        shown = json.dumps(body)[:200] if body is not None else "null"
        raise ApiError(f"UCDP answered without a Result list (not the GED API?): {shown}")
    rows = body["Result"] or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ApiError("UCDP's Result is not a list of events")
    return rows


def fetch_ucdp(
    store: Store,
    query: UcdpQuery,
    *,
    token: UcdpToken,
    url: str | None = None,
    cache_dir: Path | None = None,
    retry: RetryPolicy | None = None,
    on_page: OnPage | None = None,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """Fetch a UCDP query page by page into the store, resuming an unfinished run of it.

    Args:
        store: the open store (written).
        query: what to fetch.
        token: the UCDP access token.
        url: the API root (default ``$RIVALSCOPE_UCDP_URL`` or the real service).
        cache_dir: where raw pages go (default :func:`default_cache_dir`).
        retry: the retry policy.
        on_page: called after each page is stored.
        transport: an httpx transport (default: the network).

    Returns:
        The run's counts; ``rows_deleted`` counts Candidate rows a GED release superseded.

    Raises:
        ApiError: the API refused the token, or kept failing (the run can be resumed).
        InputError: the query is malformed.
        StoreError: the store is read-only.
    """
    query = query.checked()
    store.require_writable()
    base = base_url(url)
    root = cache_dir or default_cache_dir()
    run = start_or_resume(store, "ucdp", query.dataset, query.params())
    cache = PageCache(root, "ucdp", run.run_id)
    next_url: str | None = run.cursor or query.first_url(base)
    headers = {TOKEN_HEADER: token.value}
    pages_total: int | None = None
    rows_total: int | None = None
    with ApiClient(SERVICE, retry=retry, transport=transport) as client:
        client.add_secret(token.value)
        while next_url is not None:
            current = next_url
            _, body = client.request_json("GET", current, headers=headers)
            rows = _result_rows(body)
            page = run.pages_done + 1
            raw = cache.write_raw(page, body)
            following = body.get("NextPageUrl") or None
            if following is not None:
                following = same_host_url(str(following), base)
                if following == current:
                    raise ApiError(f"UCDP's NextPageUrl repeats the page just read ({current})")
            ingest = None
            if rows:
                ingest = store.ingest(
                    "ucdp", cache.write_csv(page, GED_COLUMNS, rows), coverage=query.coverage()
                )
            next_url = following if rows else None
            record_page(
                store,
                run,
                page=page,
                cursor=next_url,
                rows=len(rows),
                ingest=ingest,
                event_ids=[f"ucdp:{r['id']}" for r in rows if r.get("id") is not None],
                raw_file=raw,
            )
            pages_total = _int_or_none(body.get("TotalPages"), pages_total)
            rows_total = _int_or_none(body.get("TotalCount"), rows_total)
            if on_page is not None:
                on_page(
                    PageProgress(
                        query.label, run.pages_done, pages_total, run.rows_read, rows_total
                    )
                )
    finish(store, run)
    result = run.result(cache.folder, run_batches(store, run.run_id))
    result.rows_deleted = supersede_candidates(store)
    if run.rows_read == 0:
        result.empty = True
        filters = ", ".join(
            f"{k}={v}" for k, v in query.params().items() if v is not None and k != "page_size"
        )
        result.message = (
            f"UCDP answered successfully but holds no events for this query ({filters}): "
            "check the version, the countries (Gleditsch-Ward codes, 700 is Afghanistan) and "
            "the first date"
        )
    elif result.rows_deleted:
        result.message = (
            f"{result.rows_deleted} Candidate events superseded by the GED release "
            "(kept in deleted_events)"
        )
    return result


def _int_or_none(value: Any, fallback: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else fallback


def supersede_candidates(store: Store) -> int:
    """Remove the Candidate rows that a finished GED fetch covers; returns how many.

    A Candidate row is an event a Candidate fetch stored and no GED fetch returned. A GED run
    covers dates up to the end of the year before its version's year (from its ``since``) and,
    when it was fetched for some countries, the countries of the events it returned.
    """
    fetch_runs = store.table("fetch_runs")
    runs = fetch_runs.filter(fetch_runs.source == "ucdp")
    ged_runs = (
        runs.filter((runs.kind == "ged") & runs.finished.notnull())
        .order_by("finished")
        .select("run_id", "params")
        .to_pyarrow()
        .to_pylist()
    )
    if not ged_runs or not runs.filter(runs.kind == "candidate").count().to_pyarrow().as_py():
        return 0
    seen = store.table("fetch_seen")
    events = store.table("events")

    def seen_by(kind: str) -> ir.Table:
        return seen.filter(seen.run_id.isin(runs.filter(runs.kind == kind).run_id)).select(
            "event_id"
        )

    candidate = seen_by("candidate").difference(seen_by("ged"))
    removed = 0
    for run in ged_runs:
        params = json.loads(run["params"])
        end = ged_coverage_end(params["version"])
        covered = events.filter(events.event_id.isin(candidate.event_id), events.date_start <= end)
        if params.get("since"):
            covered = covered.filter(covered.date_start >= dt.date.fromisoformat(params["since"]))
        if params.get("country"):
            returned = seen.filter(seen.run_id == run["run_id"]).event_id
            countries = (
                events.filter(events.event_id.isin(returned) & events.country_iso3.notnull())
                .select("country_iso3")
                .distinct()
                .to_pyarrow()
                .column("country_iso3")
                .to_pylist()
            )
            if not countries:
                continue
            covered = covered.filter(covered.country_iso3.isin(countries))
        ids = covered.select("event_id").to_pyarrow()
        if ids.num_rows:
            with store.transaction():
                removed += delete_events(
                    store,
                    ids,
                    reason=f"superseded by UCDP GED {params['version']}",
                    run_id=run["run_id"],
                )
    return removed
