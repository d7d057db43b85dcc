"""What every response carries and every request must respect: a size limit on bodies, the Host
header (an allow-list, against DNS rebinding), a Content-Security-Policy and the headers
that say whether the store is busy."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""The dashboard's policy: scripts only from our own files (no inline script at all); Plotly
draws with inline styles."""

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def _plain_response(status: int, detail: str) -> tuple[Message, Message]:
    body = json.dumps({"detail": detail}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"content-security-policy", API_POLICY.encode()),
            *_COMMON,
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class Guard:
    """ASGI middleware: request limits, allowed hosts and response headers.

    Args:
        app: the application.
        allowed_hosts: Host header names accepted (any port); None accepts every host.
        max_body: the largest request body accepted, in bytes (413 beyond).
        store_headers: returns extra headers for a response (the store's busy state).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] | None,
        max_body: int = MAX_BODY_BYTES,
        store_headers: Callable[[], list[tuple[bytes, bytes]]] = list,
    ) -> None:
        self.app = app
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}
        self.max_body = max_body
        self.store_headers = store_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if self.allowed_hosts is not None and _host_name(headers.get(b"host", b"")) not in (
            self.allowed_hosts
        ):
            await _send_all(send, *_plain_response(400, "invalid Host header"))
            return
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body
            except ValueError:
                await _send_all(send, *_plain_response(400, "invalid Content-Length"))
                return
            if too_big:
                await _send_all(send, *_too_large(self.max_body))
                return
        limited = await self._limited(scope, receive, send)
        if limited is None:
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _COMMON if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", API_POLICY.encode()))
                extra += self.store_headers()
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, limited, send_with_headers)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Read a body (bounded) before the app sees it, and replay it; None when refused."""
        if scope.get("method", "GET") in ("GET", "HEAD", "OPTIONS"):
            return receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _send_all(send, *_too_large(self.max_body))
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


class Methods:
    """ASGI middleware: what every route answers besides its own methods, and empty query
    parameters.

    * An empty query parameter (``?rival=``, as a form's blank field sends it) is left out, as
      if the caller had not given it, on every route, wherever the schema allows an empty value
      (text); where it does not (dates, numbers, choices) it still gets 422.
    * ``HEAD`` is answered for every ``GET`` route: the same status and headers, no body.
    * ``OPTIONS`` answers 204 with ``Allow`` listing the path's methods (404 for no route), and
      every 405 carries the same complete ``Allow``.

    Args:
        app: the application.
        routes: returns the application's routes (read at each request).
    """

    def __init__(self, app: ASGIApp, *, routes: Callable[[], Iterable[Any]]) -> None:
        self.app = app
        self.routes = routes
        self._blank: dict[int, frozenset[str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        query = scope.get("query_string", b"")
        if query:
            blank = self._blank_means_absent({**scope, "method": "GET"})
            kept = drop_empty_parameters(query, blank)
            if kept != query:
                scope = {**scope, "query_string": kept}
        if method == "OPTIONS":
            allowed = self._allowed(scope)
            if not allowed:
                await _send_all(send, *_plain_response(404, "Not Found"))
                return
            await _send_all(
                send,
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(b"allow", ", ".join(allowed).encode())],
                },
                {"type": "http.response.body", "body": b""},
            )
            return
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        checked = scope

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 405:
                allowed = self._allowed(checked)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {
                    **message,
                    "headers": [*headers, (b"allow", ", ".join(allowed).encode())],
                }
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, answer)

    def _blank_means_absent(self, scope: Scope) -> frozenset[str]:
        """The query parameters of the route ``scope`` reaches whose schema allows an empty
        value (text without a minimum length): those an empty value leaves out. An empty value
        the schema rules out (a date, a number, a choice) still gets 422."""
        from starlette.routing import Match

        for route in self.routes():
            if getattr(route, "methods", None) and route.matches(scope)[0] == Match.FULL:
                found = self._blank.get(id(route))
                if found is None:
                    found = self._blank[id(route)] = _blank_parameters(route)
                return found
        return frozenset()

    def _allowed(self, scope: Scope) -> list[str]:
        from starlette.routing import Match

        methods: set[str] = set()
        for route in self.routes():
            found = getattr(route, "methods", None)
            if found and route.matches(scope)[0] != Match.NONE:
                methods |= set(found)
        if not methods:
            return []
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        return sorted(methods)


def _blank_parameters(route: Any) -> frozenset[str]:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return frozenset()
    names = set()
    pending = [dependant]
    while pending:
        found = pending.pop()
        pending.extend(found.dependencies)
        for field in found.query_params:
            # a repeatable parameter (a list) is validated as a list of the one empty value
            for blank in ("", [""]):
                if not field.validate(blank, {}, loc=("query", field.alias))[1]:
                    names.add(field.alias)
                    break
    return frozenset(names)


def drop_empty_parameters(query: bytes, names: Iterable[str]) -> bytes:
    """The query string without the empty parameters among ``names`` (``a=&b=1`` gives
    ``b=1`` when ``a`` is one)."""
    wanted = {name.encode() for name in names}
    kept = []
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if not part or (not value and unquote_to_bytes(name.replace(b"+", b" ")) in wanted):
            continue
        kept.append(part)
    return b"&".join(kept)


def _too_large(limit: int) -> tuple[Message, Message]:
    return _plain_response(413, f"the request body is larger than {limit} bytes")


def _host_name(value: bytes) -> str:
    text = value.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


async def _send_all(send: Send, *messages: Message) -> None:
    for message in messages:
        await send(message)


def allowed_hosts_for(host: str, extra: Iterable[str] = ()) -> set[str]:
    """Host names a server bound to ``host`` accepts (any port): the bind address, the loopback
    names and the ``extra`` names given (``serve --allowed-host``). Every other Host is refused
    (400), so that a page elsewhere cannot read the server through DNS rebinding, whatever the
    address it listens on."""
    allowed = {"localhost", "127.0.0.1", "::1", host.strip().strip("[]").lower()}
    for name in extra:
        cleaned = name.strip().strip("[]").lower()
        if cleaned:
            allowed.add(cleaned)
    return allowed


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON (no NaN), as every cached response holds it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def shown_name(db: object) -> str:
    """The store as a page or an anonymous caller may see it: a file's base name (never its
    folder), or a URL's scheme and database name (never its host or user)."""
    text = str(db)
    if "://" in text:
        scheme, _, rest = text.partition("://")
        database = rest.rsplit("/", 1)[1].split("?", 1)[0] if "/" in rest else ""
        return f"{scheme}://…/{database}" if database else f"{scheme}://…"
    return os.path.basename(text.rstrip("/\\")) or text


def public_info(store: dict[str, Any] | None, server: dict[str, Any]) -> dict[str, Any]:
    """``/api/info`` for a caller without the token: no filesystem path (the store and every
    ingested file by base name only), no process id, errors by their kind only."""
    shown_server = {**server, "db": shown_name(server.get("db", "")), "pid": None}
    shown_server["busy_pid"] = None
    error = shown_server.get("last_error")
    if error:
        shown_server["last_error"] = str(error).split(":", 1)[0]
    shown_store = store
    if store is not None:
        shown_store = {**store}
        if "db" in store:
            shown_store["db"] = shown_name(store["db"])
        if isinstance(store.get("batches"), list):
            shown_store["batches"] = [
                {**row, "file": shown_name(row["file"]) if row.get("file") else row.get("file")}
                if isinstance(row, dict)
                else row
                for row in store["batches"]
            ]
    return {"store": shown_store, "server": shown_server}
