"""Local HTTP servers that speak the UCDP and ACLED API protocols, for end-to-end tests.

Each runs ``http.server`` in a thread on 127.0.0.1 with a random port. They answer with the
JSON shapes of the public documentation (UCDP: ``TotalCount``, ``TotalPages``,
``PreviousPageUrl``, ``NextPageUrl``, ``Result``; ACLED: OAuth password and refresh grants,
``{"status", "success", "count", "data"}``, the deletions endpoint), check the credentials,
page and filter as the real services do, and can be scripted to fail: a status (429 with
``Retry-After``, 500, 503, 401, 403) for the next requests of a given page, or a hold that
keeps a request waiting so a test can kill the client mid-fetch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


@dataclass
class Scripted:
    """An answer to give instead of the real one."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class FakeApi:
    """A threaded HTTP server with a request log, scripted failures and holds."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: dict[tuple[str, str], list[Scripted]] = {}
        self.hold_at: tuple[str, str] | None = None
        self.reached = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._dispatch(self, "GET")

            def do_POST(self) -> None:
                fake._dispatch(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, path: str, page: int | str, *answers: Scripted) -> None:
        """Answer the next requests for ``path`` at ``page`` with ``answers``, in order."""
        self.script.setdefault((path, str(page)), []).extend(answers)

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        record = Recorded(
            method, parts.path, query, {k.lower(): v for k, v in handler.headers.items()}, body
        )
        with self.lock:
            self.requests.append(record)
        key = (parts.path, query.get("page", ""))
        if self.hold_at == key:
            self.reached.set()
            self.release.wait(timeout=60)
            self._send(handler, 503, {"message": "held"})
            return
        with self.lock:
            queued = self.script.get(key)
            scripted = queued.pop(0) if queued else None
        if scripted is not None:
            self._send(handler, scripted.status, scripted.body, scripted.headers)
            return
        status, payload = self.answer(record)
        self._send(handler, status, payload)

    def answer(self, request: Recorded) -> tuple[int, Any]:
        raise NotImplementedError

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


# --- UCDP ------------------------------------------------------------------------------------
def ucdp_event(
    event_id: int,
    day: dt.date,
    *,
    country: str = "Afghanistan",
    country_id: int = 700,
    adm_1: str = "Nangarhar province",
    side_a: str = "Government of Afghanistan",
    side_b: str = "Taleban",
    violence: int = 1,
    best: int = 3,
    latitude: float = 34.4342,
    longitude: float = 70.4478,
) -> dict[str, Any]:
    """One GED event as the API's ``Result`` rows carry it (every documented field)."""
    stamp = f"{day.isoformat()}T00:00:00"
    return {
        "id": event_id,
        "relid": f"AFG-{day.year}-1-{event_id}",
        "year": day.year,
        "active_year": True,
        "code_status": "Clear",
        "type_of_violence": violence,
        "conflict_dset_id": "333",
        "conflict_new_id": 333,
        "conflict_name": f"{country}: Government",
        "dyad_dset_id": "406",
        "dyad_new_id": 406,
        "dyad_name": f"{side_a} - {side_b}",
        "side_a_dset_id": "130",
        "side_a_new_id": 130,
        "side_a": side_a,
        "side_b_dset_id": "303",
        "side_b_new_id": 303,
        "side_b": side_b,
        "number_of_sources": 1,
        "source_article": "Agence France-Presse",
        "source_office": "AFP",
        "source_date": day.isoformat(),
        "source_headline": f"Clashes reported, event {event_id}",
        "source_original": "",
        "where_prec": 1,
        "where_coordinates": "Jalalabad town",
        "where_description": "Jalalabad",
        "adm_1": adm_1,
        "adm_2": "Jalalabad district",
        "latitude": latitude,
        "longitude": longitude,
        "geom_wkt": f"POINT ({longitude} {latitude})",
        "priogrid_gid": 143263,
        "country": country,
        "country_id": country_id,
        "region": "Asia",
        "event_clarity": 1,
        "date_prec": 1,
        "date_start": stamp,
        "date_end": stamp,
        "deaths_a": 0,
        "deaths_b": best,
        "deaths_civilians": 0,
        "deaths_unknown": 0,
        "best": best,
        "high": best + 2,
        "low": best,
        "gwnoa": str(country_id),
        "gwnob": None,
    }


def ucdp_events(count: int, first_id: int, start: dt.date) -> list[dict[str, Any]]:
    """``count`` Afghan events, a few days apart, alternating sides and provinces."""
    provinces = ["Nangarhar province", "Kunar province", "Kabul province", "Helmand province"]
    sides = ["Taleban", "IS"]
    return [
        ucdp_event(
            first_id + i,
            start + dt.timedelta(days=3 * i),
            adm_1=provinces[i % len(provinces)],
            side_b=sides[i % 2],
            best=1 + i % 7,
        )
        for i in range(count)
    ]


class FakeUcdp(FakeApi):
    """``GET /api/gedevents/<version>`` with the ``x-ucdp-access-token`` header."""

    def __init__(self, token: str, releases: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__()
        self.token = token
        self.releases = releases

    def answer(self, request: Recorded) -> tuple[int, Any]:
        parts = request.path.strip("/").split("/")
        if len(parts) != 3 or parts[:2] != ["api", "gedevents"]:
            return 404, {"message": "No such resource"}
        if request.headers.get("x-ucdp-access-token") != self.token:
            return 401, {"message": "A valid access token is required"}
        version = parts[2]
        if version not in self.releases:
            return 404, {"message": f"Version {version} does not exist"}
        size = int(request.query.get("pagesize", "100"))
        page = int(request.query.get("page", "0"))
        rows = self.releases[version]
        if request.query.get("Country"):
            wanted = {int(c) for c in request.query["Country"].split(",")}
            rows = [r for r in rows if r["country_id"] in wanted]
        if request.query.get("StartDate"):
            rows = [r for r in rows if r["date_start"][:10] >= request.query["StartDate"]]
        pages = math.ceil(len(rows) / size) if rows else 0

        def link(number: int) -> str:
            query = {**request.query, "pagesize": str(size), "page": str(number)}
            return f"{self.url}{request.path}?{urlencode(query)}"

        return 200, {
            "TotalCount": len(rows),
            "TotalPages": pages,
            "PreviousPageUrl": link(page - 1) if page > 0 else "",
            "NextPageUrl": link(page + 1) if page + 1 < pages else "",
            "Result": rows[page * size : (page + 1) * size],
        }


@contextmanager
def running(api: FakeApi) -> Iterator[FakeApi]:
    api.start()
    try:
        yield api
    finally:
        api.stop()


# --- ACLED -----------------------------------------------------------------------------------
def acled_event(
    number: int,
    day: dt.date,
    timestamp: int,
    *,
    country: str = "Afghanistan",
    iso: str = "4",
    admin1: str = "Nangarhar",
    event_type: str = "Battles",
    sub_event_type: str = "Armed clash",
    actor1: str = "Islamic State (Afghanistan)",
    actor2: str = "Military Forces of Afghanistan (2021-)",
    fatalities: int = 2,
    notes: str = "",
) -> dict[str, str]:
    """One ACLED event as the API's ``data`` rows carry it (every value a string)."""
    prefix = {"Afghanistan": "AFG", "Pakistan": "PAK"}.get(country, country[:3].upper())
    return {
        "event_id_cnty": f"{prefix}{number}",
        "event_date": day.isoformat(),
        "year": str(day.year),
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "actor1": actor1,
        "assoc_actor_1": "",
        "inter1": "Rebel group",
        "actor2": actor2,
        "assoc_actor_2": "",
        "inter2": "State forces",
        "interaction": "Rebel group-State forces",
        "civilian_targeting": "",
        "iso": iso,
        "region": "Caucasus and Central Asia",
        "country": country,
        "admin1": admin1,
        "admin2": "Jalalabad",
        "admin3": "",
        "location": "Jalalabad",
        "latitude": "34.4342",
        "longitude": "70.4478",
        "geo_precision": "1",
        "source": "Pajhwok Afghan News",
        "source_scale": "National",
        "notes": notes or f'On {day:%d %B %Y}, fighting; event {number}, "quoted", a, b.',
        "fatalities": str(fatalities),
        "tags": "",
        "timestamp": str(timestamp),
    }


class FakeAcled(FakeApi):
    """ACLED's OAuth token endpoint, events endpoint and deletions endpoint."""

    def __init__(
        self,
        username: str,
        password: str,
        events: list[dict[str, str]],
        *,
        expires_in: int = 86_400,
    ) -> None:
        super().__init__()
        self.username = username
        self.password = password
        self.events = {e["event_id_cnty"]: e for e in events}
        self.deletions: list[dict[str, str]] = []
        self.expires_in = expires_in
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.grants: list[str] = []
        self.forbidden = False
        self._serial = itertools.count(1)

    def revoke_access_tokens(self) -> None:
        """Expire every access token now (as 24 hours passing would)."""
        with self.lock:
            self.access.clear()

    def change(self, event_id: str, timestamp: int, **fields: str) -> None:
        self.events[event_id] = {**self.events[event_id], **fields, "timestamp": str(timestamp)}

    def add(self, event: dict[str, str]) -> None:
        self.events[event["event_id_cnty"]] = event

    def delete(self, event_id: str, deleted_timestamp: int) -> None:
        self.events.pop(event_id, None)
        self.deletions.append(
            {"event_id_cnty": event_id, "deleted_timestamp": str(deleted_timestamp)}
        )

    def _issue(self) -> dict[str, Any]:
        serial = next(self._serial)
        access = f"acc{serial}-{secrets.token_hex(12)}"
        refresh = f"ref{serial}-{secrets.token_hex(12)}"
        with self.lock:
            self.access.add(access)
            self.refresh.add(refresh)
        return {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "access_token": access,
            "refresh_token": refresh,
        }

    def answer(self, request: Recorded) -> tuple[int, Any]:
        if request.path == "/oauth/token" and request.method == "POST":
            return self._token(dict(parse_qsl(request.body)))
        if request.path in ("/api/acled/read", "/api/deleted/read"):
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.access:
                return 401, {"message": "Access denied: invalid or expired token"}
            if self.forbidden:
                return 403, {
                    "status": 403,
                    "message": "Your account does not have access to the API",
                }
            if request.path == "/api/acled/read":
                return 200, self._read(request.query)
            return 200, self._deleted(request.query)
        return 404, {"message": "Not found"}

    def _token(self, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("client_id") != "acled":
            return 401, {"error": "invalid_client", "error_description": "Unknown client"}
        grant = form.get("grant_type")
        self.grants.append(str(grant))
        if grant == "password":
            if form.get("username") == self.username and form.get("password") == self.password:
                return 200, self._issue()
            return 400, {
                "error": "invalid_grant",
                "error_description": "The user credentials were incorrect.",
                "message": "The user credentials were incorrect.",
            }
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            with self.lock:
                valid = token in self.refresh
                self.refresh.discard(token)
            if valid:
                return 200, self._issue()
            return 401, {"error": "invalid_request", "error_description": "Invalid refresh token"}
        return 400, {"error": "unsupported_grant_type"}

    @staticmethod
    def _compare(value: str, operator: str, bound: str, numeric: bool) -> bool:
        left: Any = int(value) if numeric else value
        right: Any = int(bound) if numeric else bound
        return {
            "=": left == right,
            ">=": left >= right,
            ">": left > right,
            "<=": left <= right,
            "<": left < right,
        }[operator]

    def _page(self, rows: list[dict[str, str]], query: dict[str, str]) -> dict[str, Any]:
        limit = int(query.get("limit", "5000"))
        page = int(query.get("page", "1"))
        chosen = rows[(page - 1) * limit : page * limit]
        return {
            "status": 200,
            "success": True,
            "last_update": int(time.time()),
            "count": len(chosen),
            "messages": [],
            "data": chosen,
            "filename": "acled_data",
        }

    def _read(self, query: dict[str, str]) -> dict[str, Any]:
        rows = list(self.events.values())
        if query.get("country"):
            rows = [r for r in rows if r["country"] == query["country"]]
        if query.get("event_date"):
            operator = query.get("event_date_where", "=")
            rows = [
                r
                for r in rows
                if self._compare(r["event_date"], operator, query["event_date"], False)
            ]
        if query.get("timestamp"):
            operator = query.get("timestamp_where", "=")
            rows = [
                r for r in rows if self._compare(r["timestamp"], operator, query["timestamp"], True)
            ]
        rows.sort(key=lambda r: (r["event_date"], r["event_id_cnty"]), reverse=True)
        return self._page(rows, query)

    def _deleted(self, query: dict[str, str]) -> dict[str, Any]:
        rows = list(self.deletions)
        if query.get("deleted_timestamp"):
            operator = query.get("deleted_timestamp_where", "=")
            rows = [
                r
                for r in rows
                if self._compare(r["deleted_timestamp"], operator, query["deleted_timestamp"], True)
            ]
        return self._page(rows, query)
