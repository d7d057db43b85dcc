"""Results computed from one snapshot, kept until the snapshot changes.

A snapshot never changes under its readers, so anything computed from it (a profile section, a
page of events, a rendered report) stays true until the next refresh. Keys carry the snapshot
version; the server clears the cache when the version moves on. Concurrent requests for the
same key wait for one computation instead of repeating it (a profile of a million events takes
seconds).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class ResultCache:
    """A bounded least-recently-used map with one computation per missing key.

    Args:
        max_entries: entries kept; the least recently used goes first.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every entry (computations under way still finish for their callers)."""
        with self._lock:
            self._data.clear()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computing it once if it is missing.

        An error raised by ``compute`` reaches every caller waiting on that key and is not
        cached.
        """
        return self.fetch(key, compute)[0]

    def peek(self, key: Hashable) -> Any:
        """The cached value of ``key`` (counted as a hit), or None when there is none."""
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return self._data[key]

    def fetch(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
        """Like :meth:`get_or_compute`, also saying whether the value was computed for this
        caller (False) or found, or waited for (True)."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key], True
            flight = self._flights.get(key)
            owner = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
                self.misses += 1
            else:
                self.hits += 1
        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value, True
        try:
            value = compute()
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.value = value
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
            return value, False
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
