"""Fetch ACLED events from ACLED's API into the store, and keep them up to date.

The protocol (https://acleddata.com/api-documentation/getting-started, since 2025):

- ``POST <base>/oauth/token`` (form) with ``username``, ``password``, ``grant_type=password``
  and ``client_id=acled`` answers ``access_token`` (valid 24 hours, ``expires_in`` seconds) and
  ``refresh_token``; the same endpoint with ``grant_type=refresh_token`` renews them. Requests
  send ``Authorization: Bearer <access_token>``. The client renews the token with the refresh
  token shortly before it expires (and once on a 401), and signs in again if that fails.
- ``GET <base>/api/acled/read?_format=json&limit=N&page=K`` (pages count from 1) with filters
  ``country``, ``event_date`` + ``event_date_where`` and ``timestamp`` + ``timestamp_where``
  answers ``{"status", "success", "count", "data": [...]}``; the client pages until a page is
  empty. Rows carry the columns of ACLED's export CSV; ``timestamp`` is when ACLED last
  changed the event (Unix seconds).
- ``GET <base>/api/deleted/read?_format=json`` with ``deleted_timestamp`` +
  ``deleted_timestamp_where`` answers ``data`` rows of ``event_id_cnty`` and
  ``deleted_timestamp``.

Each events page is kept raw in the cache, written as a CSV with the export's columns, ingested
by the same adapter as a downloaded export (:meth:`rivalscope.Store.ingest`), then
checkpointed. Each page records its coverage (:mod:`rivalscope.fusion.coverage`): its version is
the day of the fetch, and a query from a first date declares the window's start (its end is the
last event served: ACLED publishes with a lag, so the fetch day is no proof of coverage).
:func:`update_acled` fetches what changed since the largest ``timestamp`` stored for each
earlier fetch's filters, then applies the deletions, each deleted event leaving the store for
the ``deleted_events`` audit table.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pyarrow as pa

import rivalscope.settings as settings
from rivalscope.errors import InputError
from rivalscope.fetch.audit import delete_events
from rivalscope.fetch.cache import PageCache, default_cache_dir
from rivalscope.fetch.checkpoint import (
    FetchResult,
    OnPage,
    PageProgress,
    Run,
    finish,
    record_page,
    run_batches,
    start_or_resume,
)
from rivalscope.fetch.credentials import AcledCredentials
from rivalscope.fetch.http import ApiClient, ApiError, RetryPolicy, Service
from rivalscope.fusion.coverage import Coverage
from rivalscope.store import Store

if TYPE_CHECKING:
    import ibis.expr.types as ir

URL_ENV = "RIVALSCOPE_ACLED_URL"
DEFAULT_URL = settings.default(URL_ENV)
CLIENT_ID = "acled"
TOKEN_PATH = "/oauth/token"
EVENTS_PATH = "/api/acled/read"
DELETED_PATH = "/api/deleted/read"
DEFAULT_PAGE_SIZE = 5000
REFRESH_MARGIN = 300.0
"""Seconds before expiry at which the access token is renewed."""
DELETION_OVERLAP = 86_400
"""Seconds of overlap when asking for deletions, so clock skew loses none (re-applying is a
no-op)."""

ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
"""The columns of ACLED's export CSV, in its order."""

SERVICE = Service(
    name="ACLED",
    unauthorized=(
        "the username or password is wrong, or the access token expired and could not be "
        "renewed; check the credentials file (your myACLED email and password)"
    ),
    forbidden=(
        "your account may not include API access (its access tier), or its terms of use are "
        "not accepted yet; see https://acleddata.com/api-documentation/getting-started or "
        "write to access@acleddata.com"
    ),
)


def base_url(url: str | None = None) -> str:
    """The site root: ``url``, ``$RIVALSCOPE_ACLED_URL`` or the real service."""
    return (url or settings.get(URL_ENV) or "").rstrip("/")


class AcledSession:
    """An OAuth session with ACLED: signs in, renews the token before it expires.

    Args:
        client: the HTTP client (the password and tokens are registered as its secrets).
        base: the site root.
        credentials: the myACLED username and password.
        clock: seconds now (``time.time``; tests move it forward).
    """

    def __init__(
        self,
        client: ApiClient,
        base: str,
        credentials: AcledCredentials,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.base = base
        self.credentials = credentials
        self.clock = clock
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0
        client.add_secret(credentials.password)
        client.add_secret(credentials.username)

    def _grant(self, form: dict[str, str]) -> None:
        try:
            _, body = self.client.request_json("POST", self.base + TOKEN_PATH, data=form)
        except ApiError as exc:
            if exc.status in (400, 401):
                raise ApiError(
                    f"ACLED refused the sign-in (HTTP {exc.status}): {SERVICE.unauthorized}",
                    exc.status,
                ) from None
            raise
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ApiError("ACLED's token endpoint answered without an access_token")
        self._access = token
        self.client.add_secret(token)
        refresh = body.get("refresh_token")
        self._refresh = refresh if isinstance(refresh, str) and refresh else None
        self.client.add_secret(self._refresh)
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 86_400.0
        self._expires_at = self.clock() + lifetime

    def sign_in(self) -> None:
        """Get a new access token with the username and password."""
        self._grant(
            {
                "username": self.credentials.username,
                "password": self.credentials.password,
                "grant_type": "password",
                "client_id": CLIENT_ID,
            }
        )

    def renew(self) -> None:
        """Renew the access token with the refresh token, or sign in again if that fails."""
        if self._refresh is None:
            self.sign_in()
            return
        try:
            self._grant(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": self._refresh,
                    "client_id": CLIENT_ID,
                }
            )
        except ApiError:
            self.sign_in()

    def access_token(self) -> str:
        """A valid access token: signing in or renewing as needed."""
        if self._access is None:
            self.sign_in()
        elif self.clock() >= self._expires_at - REFRESH_MARGIN:
            self.renew()
        assert self._access is not None
        return self._access

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GET an API path with the bearer token; renew once on a 401."""
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self.access_token()}"}
            try:
                _, body = self.client.request_json(
                    "GET", self.base + path, params=params, headers=headers
                )
            except ApiError as exc:
                if exc.status == 401 and attempt == 0:
                    self.renew()
                    continue
                raise
            return _checked_body(body, self.client)
        raise AssertionError("unreachable")


def _checked_body(body: Any, client: ApiClient) -> dict[str, Any]:
    """The answer, or an ApiError when it reports a failure inside a 200 answer."""
    if not isinstance(body, dict):
        raise ApiError(f"ACLED answered with {type(body).__name__}, not a JSON object")
    status = body.get("status")
    if body.get("success") is False or (isinstance(status, int) and status >= 400):
        code = status if isinstance(status, int) else None
        detail = client.redact(" ".join(str(body.get("error") or body.get("messages")).split()))
        advice = {401: SERVICE.unauthorized, 403: SERVICE.forbidden}.get(code or 0)
        raise ApiError(
            f"ACLED reported a failure (status {code}): {detail[:200]}"
            + (f". Likely cause: {advice}" if advice else ""),
            code,
        )
    data = body.get("data")
    if data is None:
        body["data"] = []
    elif not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ApiError("ACLED's data is not a list of rows")
    return body


def _scope(country: str | None, since: dt.date | str | None, page_size: int) -> dict[str, Any]:
    return {
        "country": country,
        "since": since.isoformat() if isinstance(since, dt.date) else since,
        "page_size": page_size,
    }


def _filters(scope: dict[str, Any]) -> dict[str, str]:
    filters = {}
    if scope.get("country"):
        filters["country"] = str(scope["country"])
    if scope.get("since"):
        filters["event_date"] = str(scope["since"])
        filters["event_date_where"] = ">="
    if scope.get("timestamp") is not None:
        filters["timestamp"] = str(scope["timestamp"])
        filters["timestamp_where"] = ">="
    return filters


def _today() -> dt.date:
    """The day of a fetch (UTC): the version of what ACLED served."""
    return dt.datetime.now(dt.UTC).date()


def _coverage(scope: dict[str, Any], fetched: dt.date) -> Coverage:
    """What a page of a query covers: ACLED as of the fetch day (its version) and, when the
    query has a first date, the window's start."""
    since = scope.get("since")
    first = dt.date.fromisoformat(str(since)) if since else None
    return Coverage(version=fetched.isoformat(), first=first)


def _max_timestamp(rows: list[dict[str, Any]], field: str = "timestamp") -> int | None:
    stamps = [int(str(r[field])) for r in rows if str(r.get(field, "")).strip().isdigit()]
    return max(stamps) if stamps else None


def _page_events(
    store: Store,
    session: AcledSession,
    run: Run,
    cache: PageCache,
    label: str,
    on_page: OnPage | None,
) -> None:
    """Page through the events endpoint from the run's cursor until an empty page."""
    page_size = int(run.params["page_size"])
    filters = _filters(run.params)
    coverage = _coverage(run.params, _today())
    page = int(run.cursor) if run.cursor else 1
    while True:
        body = session.get(
            EVENTS_PATH,
            {"_format": "json", **filters, "limit": str(page_size), "page": str(page)},
        )
        rows: list[dict[str, Any]] = body["data"]
        raw = cache.write_raw(page, body)
        ingest = (
            store.ingest("acled", cache.write_csv(page, ACLED_COLUMNS, rows), coverage=coverage)
            if rows
            else None
        )
        record_page(
            store,
            run,
            page=page,
            cursor=str(page + 1) if rows else None,
            rows=len(rows),
            ingest=ingest,
            max_timestamp=_max_timestamp(rows),
            raw_file=raw,
        )
        if on_page is not None:
            on_page(PageProgress(label, run.pages_done, None, run.rows_read, None))
        if not rows:
            return
        page += 1


def _open(
    credentials: AcledCredentials,
    url: str | None,
    retry: RetryPolicy | None,
    clock: Callable[[], float],
    transport: httpx.BaseTransport | None,
) -> tuple[ApiClient, AcledSession]:
    client = ApiClient(SERVICE, retry=retry, transport=transport)
    return client, AcledSession(client, base_url(url), credentials, clock=clock)


def fetch_acled(
    store: Store,
    *,
    credentials: AcledCredentials,
    country: str | None = None,
    since: dt.date | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    url: str | None = None,
    cache_dir: Path | None = None,
    retry: RetryPolicy | None = None,
    on_page: OnPage | None = None,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """Fetch ACLED events (all, or one country's, from a date) into the store.

    Resumes an unfinished run of the same query. ``rivalscope update acled`` later continues
    from the largest ``timestamp`` this run stored.

    Args:
        store: the open store (written).
        credentials: the myACLED username and password.
        country: an ACLED country name (``Afghanistan``); all countries when None.
        since: first event date.
        page_size: rows per page (ACLED's ``limit``).
        url: the site root (default ``$RIVALSCOPE_ACLED_URL`` or the real service).
        cache_dir: where raw pages go.
        retry: the retry policy.
        on_page: called after each page is stored.
        clock: seconds now, for the token's expiry.
        transport: an httpx transport (default: the network).

    Raises:
        ApiError: ACLED refused the credentials or access, or kept failing.
        StoreError: the store is read-only.
    """
    if page_size < 1:
        raise InputError(f"use a positive number, not {page_size}", parameter="page_size")
    store.require_writable()
    scope = _scope(country, since, page_size)
    run = start_or_resume(store, "acled", "events", scope)
    cache = PageCache(cache_dir or default_cache_dir(), "acled", run.run_id)
    label = "acled" + (f" {country}" if country else "")
    client, session = _open(credentials, url, retry, clock, transport)
    with client:
        _page_events(store, session, run, cache, label, on_page)
    finish(store, run)
    result = run.result(cache.folder, run_batches(store, run.run_id))
    if run.rows_read == 0:
        result.empty = True
        result.message = (
            "ACLED answered successfully but returned no events for "
            + (f"country={country}" if country else "all countries")
            + (f" since {since}" if since else "")
            + ": check the country's spelling as ACLED writes it (e.g. Afghanistan) and "
            "that your account's tier covers these dates"
        )
    return result


def _finished_acled_runs(store: Store, kinds: tuple[str, ...]) -> ir.Table:
    runs = store.table("fetch_runs")
    return runs.filter((runs.source == "acled") & runs.kind.isin(kinds) & runs.finished.notnull())


def _finished_scopes(store: Store) -> dict[str, tuple[dict[str, Any], int | None]]:
    """Each earlier fetch's filters, with the largest ``timestamp`` stored for them."""
    scopes: dict[str, tuple[dict[str, Any], int | None]] = {}
    finished = (
        _finished_acled_runs(store, ("events", "update"))
        .order_by("started")
        .select("params", "max_timestamp")
        .to_pyarrow()
        .to_pylist()
    )
    for row in finished:
        params = json.loads(row["params"])
        stamp = row["max_timestamp"]
        scope = _scope(params.get("country"), params.get("since"), int(params["page_size"]))
        key = json.dumps(scope, sort_keys=True)
        best = scopes.get(key, (scope, None))[1]
        if stamp is not None:
            best = stamp if best is None else max(best, stamp)
        scopes[key] = (scope, best)
    return scopes


def _epoch(moment: dt.datetime) -> int:
    """Unix seconds of a stored (naive UTC) timestamp, rounded to the nearest second."""
    return round(moment.replace(tzinfo=dt.UTC).timestamp())


def _first_deletion_cursor(store: Store) -> int:
    """Where deletions start the first time: the earliest fetch, less a day of overlap."""
    finished = (
        _finished_acled_runs(store, ("events",))
        .select("max_timestamp", "started")
        .to_pyarrow()
        .to_pylist()
    )
    starts = [
        min(_epoch(row["started"]), row["max_timestamp"])
        if row["max_timestamp"] is not None
        else _epoch(row["started"])
        for row in finished
    ]
    first = min(starts) if starts else int(time.time())
    return max(0, first - DELETION_OVERLAP)


def update_acled(
    store: Store,
    *,
    credentials: AcledCredentials,
    country: str | None = None,
    url: str | None = None,
    cache_dir: Path | None = None,
    retry: RetryPolicy | None = None,
    on_page: OnPage | None = None,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
) -> list[FetchResult]:
    """Fetch what ACLED changed since the last fetch, then apply its deletions.

    For each earlier fetch's filters (or only those of ``country``), asks for the events whose
    ``timestamp`` is at or after the largest one stored (new and edited events; unchanged
    ones are counted unchanged). Then asks the deletions endpoint for events deleted since the
    last check and removes those the store holds, keeping each in ``deleted_events``.

    Returns:
        One result per filters updated, then the deletions' result (``rows_deleted``).

    Raises:
        InputError: the store holds no finished ACLED fetch (for ``country``).
        ApiError: ACLED refused the credentials or access, or kept failing.
        StoreError: the store is read-only.
    """
    store.require_writable()
    scopes = list(_finished_scopes(store).values())
    if country is not None:
        scopes = [s for s in scopes if s[0]["country"] == country]
    if not scopes:
        known = sorted(
            {str(s[0]["country"] or "all countries") for s in _finished_scopes(store).values()}
        )
        raise InputError(
            "no finished ACLED fetch"
            + (f" for country {country!r}" if country else "")
            + " in this store: run `rivalscope fetch acled` first"
            + (f" (fetched: {', '.join(known)})" if known else "")
        )
    prior = _finished_acled_runs(store, ("deletions",)).max_timestamp.max().to_pyarrow().as_py()
    deleted_since = int(prior) if prior is not None else _first_deletion_cursor(store)
    root = cache_dir or default_cache_dir()
    results: list[FetchResult] = []
    client, session = _open(credentials, url, retry, clock, transport)
    with client:
        for scope, stamp in scopes:
            params = {**scope, "timestamp": stamp if stamp is not None else 0}
            run = start_or_resume(store, "acled", "update", params)
            cache = PageCache(root, "acled", run.run_id)
            label = "acled update" + (f" {scope['country']}" if scope["country"] else "")
            _page_events(store, session, run, cache, label, on_page)
            finish(store, run, max_timestamp=params["timestamp"])
            result = run.result(cache.folder, run_batches(store, run.run_id))
            if run.rows_read == 0:
                result.empty = True
                result.message = f"no ACLED changes since timestamp {params['timestamp']}"
            results.append(result)
        results.append(_apply_deletions(store, session, deleted_since, root, on_page))
    return results


def _apply_deletions(
    store: Store,
    session: AcledSession,
    since: int,
    root: Path,
    on_page: OnPage | None,
) -> FetchResult:
    """Page through the deletions endpoint; each page's deletions and checkpoint commit as one."""
    started = int(time.time())
    run = start_or_resume(
        store, "acled", "deletions", {"deleted_since": since, "page_size": DEFAULT_PAGE_SIZE}
    )
    cache = PageCache(root, "acled", run.run_id)
    page = int(run.cursor) if run.cursor else 1
    while True:
        body = session.get(
            DELETED_PATH,
            {
                "_format": "json",
                "deleted_timestamp": str(since),
                "deleted_timestamp_where": ">=",
                "limit": str(DEFAULT_PAGE_SIZE),
                "page": str(page),
            },
        )
        rows: list[dict[str, Any]] = body["data"]
        raw = cache.write_raw(page, body)
        ids = [f"acled:{r['event_id_cnty']}" for r in rows if r.get("event_id_cnty")]
        stamps = [
            dt.datetime.fromtimestamp(int(str(r["deleted_timestamp"])), dt.UTC).replace(tzinfo=None)
            if str(r.get("deleted_timestamp", "")).strip().isdigit()
            else None
            for r in rows
            if r.get("event_id_cnty")
        ]
        with store.transaction():
            removed = (
                delete_events(
                    store,
                    pa.table(
                        {
                            "event_id": pa.array(ids, pa.string()),
                            "source_deleted_at": pa.array(stamps, pa.timestamp("us")),
                        }
                    ),
                    reason="deleted by ACLED",
                    run_id=run.run_id,
                )
                if ids
                else 0
            )
            record_page(
                store,
                run,
                page=page,
                cursor=str(page + 1) if rows else None,
                rows=len(rows),
                deleted=removed,
                raw_file=raw,
                in_transaction=True,
            )
        if on_page is not None:
            on_page(PageProgress("acled deletions", run.pages_done, None, run.rows_read, None))
        if not rows:
            break
        page += 1
    finish(store, run, max_timestamp=max(since, started - DELETION_OVERLAP))
    result = run.result(cache.folder)
    result.message = (
        f"{run.rows_read} deletions listed by ACLED since timestamp {since}; "
        f"{run.rows_deleted} of them were in the store and were removed (see deleted_events)"
    )
    return result
