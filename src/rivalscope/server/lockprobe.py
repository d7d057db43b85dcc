"""Who holds DuckDB's lock on a store file, asked without taking the lock.

DuckDB locks its file with a POSIX record lock over the whole file: a write lock for a
read-write connection, a read lock for a read-only one, and a second process that wants a
conflicting lock fails at once. ``F_GETLK`` reports the lock that would block us without taking
one, so the server can tell "another process is writing" without ever getting in the way of that
process.

POSIX drops every record lock a process holds on a file when the process closes *any*
descriptor of that file, so a probe must never overlap with a DuckDB connection to the same file
in this process: the server makes every touch of the file under one lock.
"""

from __future__ import annotations

import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_FLOCK = {"linux": ("hhqqi", (0, 1, 2, 3, 4)), "darwin": ("qqihh", (3, 4, 0, 1, 2))}
"""struct flock per platform: its layout and where (type, whence, start, len, pid) sit in it."""


@dataclass(frozen=True)
class LockHolder:
    """A lock another process holds on the file."""

    pid: int
    write: bool


def supported() -> bool:
    """Whether this platform can be asked (Linux and macOS)."""
    return fcntl is not None and _layout() is not None


def _layout() -> tuple[str, tuple[int, ...]] | None:
    for prefix, layout in _FLOCK.items():
        if sys.platform.startswith(prefix):
            return layout
    return None


def lock_holder(path: str | Path) -> LockHolder | None:
    """The lock that would stop this process from writing ``path``, or None.

    Returns None when the file does not exist, nobody holds a lock, or the platform cannot be
    asked (see :func:`supported`).
    """
    layout = _layout()
    if fcntl is None or layout is None:
        return None
    fmt, order = layout
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        values = [0, 0, 0, 0, 0]
        values[order[0]], values[order[1]] = fcntl.F_WRLCK, os.SEEK_SET
        request = struct.pack(fmt, *values)
        request += b"\0" * (64 - len(request))
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, request)
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = struct.unpack(fmt, answer[: struct.calcsize(fmt)])
    kind, pid = fields[order[0]], fields[order[4]]
    if kind == fcntl.F_UNLCK:
        return None
    return LockHolder(pid=int(pid), write=kind == fcntl.F_WRLCK)
