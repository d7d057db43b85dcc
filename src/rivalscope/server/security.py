"""What every response carries and every request must respect: a size limit on bodies, the Host
header of a loopback server (against DNS rebinding), a Content-Security-Policy and the headers
that say whether the store is busy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

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


def allowed_hosts_for(host: str) -> set[str] | None:
    """Host names a server bound to ``host`` accepts: loopback names for a loopback server
    (a page elsewhere cannot reach it by DNS rebinding), any for one bound wider."""
    from rivalscope.server.auth import is_loopback

    if not is_loopback(host):
        return None
    return {"localhost", "127.0.0.1", "::1", host.strip("[]").lower()}


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON (no NaN), as every cached response holds it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
