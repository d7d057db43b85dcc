"""The one exception hierarchy of Rivalscope.

Every error the library raises on purpose derives from :class:`RivalscopeError`; each subclass
is also the builtin exception it refines, so callers may catch either.

Library messages say what is wrong in the library's own terms. When an error is about one
argument of the call, ``parameter`` names it (``"end"``, ``"page_size"``): the message then reads
``end: 2021-01 is after ...`` from Python, and the command line shows the flag instead
(``--end: 2021-01 is after ...``), without the library knowing any flag.
"""

from __future__ import annotations


class RivalscopeError(Exception):
    """Root of every error Rivalscope raises on purpose.

    Args:
        message: what is wrong (without the parameter's name when ``parameter`` is given).
        parameter: the name of the argument the error is about, if it is about one.
    """

    def __init__(self, message: str = "", *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter

    def __str__(self) -> str:
        if self.parameter is None:
            return self.message
        return f"{self.parameter}: {self.message}"


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
