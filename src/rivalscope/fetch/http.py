"""The HTTP client the API fetchers share: retries with backoff, clear errors, no secrets shown.

Requests that fail with 429 or a 5xx status, a connection error, a timeout, or a body that is
not JSON are retried with exponential backoff and full jitter; a ``Retry-After`` header (seconds
or an HTTP date) sets the wait instead. A 401 or 403 stops at once with a message naming the
likely cause. Every message and log line passes through :meth:`ApiClient.redact`, which blanks
the tokens and passwords the client was told about.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from rivalscope.errors import ApiError

log = logging.getLogger("rivalscope.fetch")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Service:
    """What the client needs to know about one API to explain its errors.

    Attributes:
        name: the name users know (``UCDP``, ``ACLED``).
        unauthorized: the likely cause of a 401, as advice.
        forbidden: the likely cause of a 403, as advice.
    """

    name: str
    unauthorized: str
    forbidden: str


@dataclass
class RetryPolicy:
    """How often and how long to retry.

    Attributes:
        attempts: tries in all, the first included.
        base: seconds of the first backoff; each retry doubles it (tests set it tiny).
        cap: the longest backoff, in seconds.
        max_retry_after: the longest ``Retry-After`` the client waits; a longer one fails with
            a message saying when to try again.
        sleep: the function that waits (``time.sleep``).
        rng: the random source of the jitter.
    """

    attempts: int = 6
    base: float = 1.0
    cap: float = 60.0
    max_retry_after: float = 600.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based): full jitter."""
        return self.rng.uniform(0, min(self.cap, self.base * 2**retry))


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


class ApiClient:
    """An httpx client with retries, clear errors and redaction.

    Args:
        service: the API's name and the advice for its 401/403 answers.
        retry: the retry policy (default: 6 tries, 1 s base, 60 s cap).
        timeout: seconds per request.
        transport: an httpx transport (for a proxy or a test; default: the network).
    """

    def __init__(
        self,
        service: Service,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service
        self.retry = retry or RetryPolicy()
        self._secrets: set[str] = set()
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=20.0),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": "rivalscope"},
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add_secret(self, secret: str | None) -> None:
        """Never show ``secret`` in a message or a log line."""
        if secret and len(secret) >= 3:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[httpx.Response, Any]:
        """Send a request, retrying what is worth retrying, and parse its JSON body.

        Raises:
            ApiError: 401/403 (with the likely cause), another 4xx, or retries exhausted.
        """
        name = self.service.name
        last_problem = "no answer"
        last_status: int | None = None
        for attempt in range(self.retry.attempts):
            wait: float | None = None
            try:
                response = self._send(method, url, params, data, headers)
            except httpx.TransportError as exc:
                last_problem = f"{exc.__class__.__name__}: {self.redact(str(exc)) or 'no detail'}"
                last_status = None
            else:
                last_status = response.status_code
                if response.status_code in (401, 403):
                    raise self._auth_error(response)
                if response.status_code in RETRY_STATUSES:
                    last_problem = f"HTTP {response.status_code}"
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    if wait is not None and wait > self.retry.max_retry_after:
                        raise ApiError(
                            f"{name} asks to wait {wait:.0f} s before the next request "
                            f"(HTTP {response.status_code}, Retry-After); try again later "
                            "(the fetch resumes where it stopped)",
                            response.status_code,
                        )
                elif response.is_success:
                    try:
                        return response, response.json()
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        last_problem = (
                            f"HTTP {response.status_code} with a body that is not JSON "
                            f"({response.headers.get('content-type', 'no content type')}): "
                            f"{self._snippet(response)}"
                        )
                else:
                    raise ApiError(
                        f"{name} refused the request (HTTP {response.status_code}) for "
                        f"{self._shown(response.request.url)}: {self._snippet(response)}",
                        response.status_code,
                    )
            if attempt + 1 == self.retry.attempts:
                break
            delay = wait if wait is not None else self.retry.backoff(attempt)
            log.warning(
                "%s: %s; retry %d of %d in %.1f s",
                name,
                last_problem,
                attempt + 1,
                self.retry.attempts - 1,
                delay,
            )
            self.retry.sleep(delay)
        raise ApiError(
            f"{name} kept failing after {self.retry.attempts} tries ({last_problem}); "
            "the service may be down: try again later (the fetch resumes where it stopped)",
            last_status,
        )

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """One request, following redirects only within the same origin (secrets stay put)."""
        log.debug("%s %s %s", self.service.name, method, self.redact(url))
        response = self._http.request(method, url, params=params, data=data, headers=headers)
        for _ in range(5):
            if not response.is_redirect:
                return response
            target = urljoin(str(response.request.url), response.headers.get("location", ""))
            if _origin(target) != _origin(str(response.request.url)):
                raise ApiError(
                    f"{self.service.name} redirected to another host ({_origin(target)}); "
                    "refusing to send credentials there",
                    response.status_code,
                )
            response = self._http.request(method, target, data=data, headers=headers)
        return response

    def _auth_error(self, response: httpx.Response) -> ApiError:
        status = response.status_code
        advice = self.service.unauthorized if status == 401 else self.service.forbidden
        word = "refused the credentials" if status == 401 else "denied access"
        return ApiError(
            f"{self.service.name} {word} (HTTP {status}): {advice}. "
            f"Server said: {self._snippet(response)}",
            status,
        )

    def _snippet(self, response: httpx.Response) -> str:
        """A short, redacted excerpt of an answer's body for an error message."""
        try:
            body: Any = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = response.text
        if isinstance(body, dict):
            for key in ("error_description", "message", "error", "messages", "title"):
                if body.get(key):
                    body = body[key]
                    break
        text = " ".join(str(body).split()) or "(empty body)"
        text = self.redact(text)
        return text if len(text) <= 200 else text[:200] + "..."

    def _shown(self, url: httpx.URL) -> str:
        return self.redact(str(url))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def same_host_url(url: str, base: str) -> str:
    """``url`` checked to be on ``base``'s host, with ``base``'s scheme (no token over http).

    Raises:
        ApiError: ``url`` names another host.
    """
    target, home = urlsplit(url), urlsplit(base)
    if target.netloc.lower() != home.netloc.lower():
        raise ApiError(
            f"the next page is on another host ({target.netloc}, not {home.netloc}); "
            "refusing to send the access token there"
        )
    return target._replace(scheme=home.scheme).geturl()
