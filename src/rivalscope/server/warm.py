"""Warming the result cache: what the home page offers, computed before anyone asks.

The first profile of a dyad computes every section (about a second on a million events, tens
of seconds on more), and a snapshot's cache is cleared whenever the version moves on (a
refresh, or one of the server's own writes). So a background thread watches the version and,
whenever it moves on, computes for each dyad the home page lists what its dashboard page asks
for first (the dyad summary, the timeline and hotspots sections, the first page of events, the
defections), then for each the whole profile (every section, as the export and the report
ask). It goes through the API's own route functions, so the results land under the very keys
requests look up.

Requests never wait for the warmer: it reads on its own cursor like any request, and a request
for something the warmer is computing at that moment shares that one computation (see
:meth:`~rivalscope.server.cache.ResultCache.fetch`) instead of starting another. A new version
arriving mid-way stops the round; the next starts on the new version. A snapshot load (a
write's, or a refresh's) waits for the one step the warmer is on (``StoreState.load_lock``):
DuckDB 1.5 was seen to abort the process when a load replaced tables under the warmer's reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import threading
import time
from contextlib import AbstractContextManager
from typing import Any

import rivalscope.server.api as api
import rivalscope.server.dashboard as dashboard

log = logging.getLogger("rivalscope.server")

HOME_DYADS = 12
"""How many dyads the home page lists (and the warmer computes)."""


class Warmer:
    """A thread that warms the cache for the home page's dyads after each version change.

    Args:
        ctx: the server context (store state, token, redaction).
        dyads: how many of the home page's dyads to warm.
        interval: seconds between looks at the version.
    """

    def __init__(self, ctx: api.ServerContext, *, dyads: int = HOME_DYADS, interval: float = 0.2):
        self.ctx = ctx
        self.dyads = dyads
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching the version (the first round starts at once)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="rivalscope-cache-warmer", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop after the computation under way (waiting at most a few seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        state = self.ctx.state
        while not self._stop.is_set():
            version = state.version
            if state.ready and version != state.warmed_version:
                started = time.perf_counter()
                try:
                    asyncio.run(self.warm(version))
                except Exception:  # a failed round must not stop the next
                    log.exception("warming the cache failed")
                if state.version == version and not self._stop.is_set():
                    state.warmed_version = version
                    state.warm_seconds = time.perf_counter() - started
            self._stop.wait(self.interval)

    def _current(self, version: int) -> bool:
        return not self._stop.is_set() and self.ctx.state.version == version

    async def warm(self, version: int) -> None:
        """Compute what the home page and its dyads' pages ask for first, on ``version``."""
        lock: AbstractContextManager[Any] = getattr(self.ctx.state, "load_lock", None) or (
            contextlib.nullcontext()
        )
        with lock:
            dyads = await asyncio.to_thread(self._home)
        # first what each dyad's page asks for, dyad after dyad; then the whole profiles
        for step in (self._page, self._whole):
            for row in dyads[: self.dyads]:
                if not self._current(version):
                    return
                try:
                    with lock:
                        if not self._current(version):
                            return
                        await step(str(row["a"]), str(row["b"]))
                except Exception as exc:  # one dyad's failure leaves the others to warm
                    log.debug("warming %s/%s failed: %s", row["a"], row["b"], exc)

    def _home(self) -> list[dict[str, Any]]:
        """The home page's data, under the keys the page reads (its dyads and actors)."""
        state = self.ctx.state
        with state.reader() as reader:
            dyads: list[dict[str, Any]] = state.cache.get_or_compute(
                (reader.version, "top-dyads"), lambda: dashboard._top_dyads(reader.store)
            )
            state.cache.get_or_compute(
                (reader.version, "actor-choices"),
                lambda: [
                    row
                    for row in reader.store.actors()
                    .select(["actor_id", "name", "events"])
                    .to_pylist()
                    if row["events"]
                ],
            )
        return dyads

    async def _whole(self, actor: str, rival: str) -> None:
        await api.profile(
            self.ctx,
            actor,
            rival,
            section=None,
            country=None,
            since=None,
            until=None,
            source=None,
        )

    async def _page(self, actor: str, rival: str) -> None:
        ctx = self.ctx
        summary = json.loads(
            bytes(
                (
                    await api.dyad(
                        ctx,
                        actor,
                        rival,
                        country=None,
                        since=None,
                        until=None,
                        event_type=["clash"],
                        source=None,
                        phase=None,
                        admin1=None,
                    )
                ).body
            )
        )
        country = summary.get("country")
        for name in ("timeline", "hotspots"):
            await api.profile(
                ctx,
                actor,
                rival,
                section=[name],
                country=country,
                since=None,
                until=None,
                source=None,
            )
        kinds = summary.get("event_types") if summary.get("event_type") != "all" else None
        await api.events(
            ctx,
            actor=actor,
            rival=rival,
            event_type=kinds or None,
            admin1=None,
            since=_date(summary.get("since")),
            until=_date(summary.get("until")),
            source=None,
            country=country,
            cursor=None,
            limit=50,
            sort="date",
            offset=0,
            format="json",
        )
        await api.list_defections(
            ctx, involving=[actor, rival], country=None, since=None, until=None
        )


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None
