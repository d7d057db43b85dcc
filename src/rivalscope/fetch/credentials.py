"""Reading API secrets from files: never from the command line, never shown.

A UCDP token file holds the token alone (surrounding whitespace ignored). An ACLED credentials
file is TOML with ``username`` (the myACLED email; ``email`` is accepted too) and ``password``.
The values are kept out of ``repr`` so a traceback or a debugger print does not show them.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import rivalscope.settings as settings
from rivalscope.errors import InputError

UCDP_TOKEN_ENV = "RIVALSCOPE_UCDP_TOKEN_FILE"
ACLED_CREDENTIALS_ENV = "RIVALSCOPE_ACLED_CREDENTIALS"


@dataclass(frozen=True)
class UcdpToken:
    """A UCDP API access token (sent as the ``x-ucdp-access-token`` header)."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class AcledCredentials:
    """A myACLED account's username (email) and password, for ACLED's OAuth password grant."""

    username: str = field(repr=False)
    password: str = field(repr=False)


def _secret_file(path: str | Path | None, env: str, what: str) -> Path:
    chosen = path if path is not None else settings.get(env)
    if not chosen:
        raise InputError(f"no {what} file: give one or set ${env}", parameter="path")
    file = Path(chosen).expanduser()
    if not file.is_file():
        raise InputError(f"{what} file {file} does not exist")
    return file


def readable_by_others(path: Path) -> bool:
    """Whether users other than the owner may read ``path`` (POSIX permissions)."""
    if os.name != "posix":
        return False
    return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))


def read_ucdp_token(path: str | Path | None = None) -> UcdpToken:
    """The token in ``path`` (default ``$RIVALSCOPE_UCDP_TOKEN_FILE``).

    Raises:
        InputError: no file, or an empty one.
    """
    file = _secret_file(path, UCDP_TOKEN_ENV, "token")
    token = file.read_text(encoding="utf-8").strip()
    if not token:
        raise InputError(f"token file {file} is empty: put the UCDP access token in it")
    if any(ch.isspace() for ch in token):
        raise InputError(f"token file {file} holds more than one word: put the token alone")
    return UcdpToken(token)


def read_acled_credentials(path: str | Path | None = None) -> AcledCredentials:
    """The username and password in the TOML file ``path``.

    Args:
        path: the file (default ``$RIVALSCOPE_ACLED_CREDENTIALS``).

    Raises:
        InputError: no file, not TOML, or a missing value (the message never quotes the file).
    """
    file = _secret_file(path, ACLED_CREDENTIALS_ENV, "credentials")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        raise InputError(
            f'credentials file {file} is not TOML: write username = "..." and '
            'password = "..." on two lines'
        ) from None
    username = data.get("username", data.get("email"))
    password = data.get("password")
    if not isinstance(username, str) or not username.strip():
        raise InputError(f"credentials file {file} has no username (your myACLED email)")
    if not isinstance(password, str) or not password:
        raise InputError(f"credentials file {file} has no password")
    return AcledCredentials(username.strip(), password)
