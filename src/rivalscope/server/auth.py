"""Who may write: a bearer token read from a file, compared in constant time; and where the
server may listen without one (loopback only)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import stat
from pathlib import Path

from rivalscope.errors import InputError

log = logging.getLogger("rivalscope.server")

MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("localhost",)


def read_token(path: str | Path) -> str:
    """The token in ``path`` (surrounding whitespace ignored).

    Raises:
        InputError: the file cannot be read, or holds a token shorter than 16 characters or
            with whitespace or control characters inside.
    """
    file = Path(path)
    try:
        token = file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it: {exc}", parameter="path") from exc
    if len(token) < MIN_TOKEN_LENGTH:
        raise InputError(
            f"{path}: the token must be at least {MIN_TOKEN_LENGTH} characters "
            '(make one: python -c "import secrets; print(secrets.token_urlsafe(32))" > FILE)',
            parameter="path",
        )
    if any(c.isspace() or not c.isprintable() for c in token):
        raise InputError(
            f"{path}: the token must be one word of printable characters", parameter="path"
        )
    try:
        mode = file.stat().st_mode
    except OSError:
        mode = 0
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("%s can be read by other users of this machine (chmod 600 it)", path)
    return token


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to bind) is reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token.

    Raises:
        InputError: ``host`` is not a loopback address and no token is set.
    """
    if token is None and not is_loopback(host):
        raise InputError(
            f"needed to listen on {host}, which other machines can reach: only holders of the "
            "token may write",
            parameter="token",
        )


def token_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant-time check)."""
    if not header:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))
