"""Every ``RIVALSCOPE_*`` environment setting, declared once as (name, default, help).

Library code reads a setting with :func:`get`; ``docs/settings.md`` lists them all (a test checks
that it names each one, so a new setting cannot go undocumented).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment setting.

    Attributes:
        name: the environment variable.
        default: its value when unset or empty (``None``: no default; the code says what then).
        help: what it changes, in one sentence.
    """

    name: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "RIVALSCOPE_DB",
        "rivalscope.duckdb",
        "The store used when a command is given no --db: a DuckDB file, a postgresql:// URL or "
        "spark:MASTER?data=DIR.",
    ),
    Setting(
        "RIVALSCOPE_SPARK_DATA",
        None,
        "The Parquet export a spark: store reads when its URL has no data=DIR.",
    ),
    Setting(
        "RIVALSCOPE_UCDP_URL",
        "https://ucdpapi.pcr.uu.se/api",
        "The root of the UCDP API (point it at a mirror, or at a local server in tests).",
    ),
    Setting(
        "RIVALSCOPE_ACLED_URL",
        "https://acleddata.com",
        "The root of the ACLED site whose API and OAuth token endpoint are used.",
    ),
    Setting(
        "RIVALSCOPE_UCDP_TOKEN_FILE",
        None,
        "A file holding the UCDP API access token (instead of --token-file).",
    ),
    Setting(
        "RIVALSCOPE_ACLED_CREDENTIALS",
        None,
        "A file holding ACLED credentials, email and password (instead of --credentials).",
    ),
    Setting(
        "RIVALSCOPE_CACHE",
        None,
        "Where fetched API pages are kept (default $XDG_CACHE_HOME/rivalscope or "
        "~/.cache/rivalscope).",
    ),
    Setting(
        "RIVALSCOPE_LOG_LEVEL",
        "warning",
        "The log level of `rivalscope serve` (debug, info, warning, error).",
    ),
)
"""Every setting Rivalscope reads."""

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def get(name: str) -> str | None:
    """The value of a declared setting: the environment's (when set and not empty), else its
    default.

    Raises:
        KeyError: ``name`` is not a declared setting (a programming error).
    """
    setting = _BY_NAME[name]
    return os.environ.get(name) or setting.default
