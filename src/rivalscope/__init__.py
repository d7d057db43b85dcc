"""Rivalscope: track and analyse rivalries between armed groups from conflict event data.

>>> import rivalscope as rs
>>> store = rs.open()                       # in memory; rs.open("afg.duckdb") for a file
>>> result = store.ingest_ucdp("GEDEvent_v25_1.csv")  # doctest: +SKIP
>>> store.events(actor="ISKP", rival="TALIBAN")       # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rivalscope import forecast as forecast
from rivalscope.errors import (
    ApiError,
    InputError,
    NotFoundError,
    RegistryError,
    RivalscopeError,
    StoreError,
)
from rivalscope.store import IngestResult, Store, open

if TYPE_CHECKING:
    from rivalscope.analysis.profile import Profile

__version__ = "0.1.0"


def profile(store: Store, actor: str, rival: str, **options: Any) -> Profile:
    """Profile the rivalry between two actors: see :func:`rivalscope.analysis.profile.profile`."""
    from rivalscope.analysis.profile import profile as run

    return run(store, actor, rival, **options)


__all__ = [
    "ApiError",
    "IngestResult",
    "InputError",
    "NotFoundError",
    "RegistryError",
    "RivalscopeError",
    "Store",
    "StoreError",
    "__version__",
    "open",
    "profile",
]
