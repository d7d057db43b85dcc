"""The one exception hierarchy of Rivalscope.

Every error the library raises on purpose derives from :class:`RivalscopeError`; each subclass
is also the builtin exception it refines, so callers may catch either.
"""

from __future__ import annotations


class RivalscopeError(Exception):
    """Root of every error Rivalscope raises on purpose."""


class InputError(RivalscopeError, ValueError):
    """A whole input is unusable: not CSV, missing columns, unreadable, bad options.

    Row-level problems never raise: those rows go to quarantine with a reason.
    """


class StoreError(RivalscopeError, RuntimeError):
    """The store cannot be opened, migrated or written."""


class RegistryError(RivalscopeError, ValueError):
    """An actor or place registry file is malformed or contradicts itself."""


class NotFoundError(RivalscopeError, LookupError):
    """A named actor, place, batch or table does not exist."""


class ApiError(RivalscopeError, RuntimeError):
    """A remote API (UCDP, ACLED) refused a request or kept failing; the message says why.

    Attributes:
        status: the HTTP status of the last answer (None when no answer came).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
