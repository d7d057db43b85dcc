"""Rivalscope: track and analyse rivalries between armed groups from conflict event data.

>>> import rivalscope as rs
>>> store = rs.open()                       # in memory; rs.open("afg.duckdb") for a file
>>> result = store.ingest_ucdp("GEDEvent_v25_1.csv")  # doctest: +SKIP
>>> store.events(actor="ISKP", rival="TALIBAN")       # doctest: +SKIP
"""

from rivalscope.errors import (
    InputError,
    NotFoundError,
    RegistryError,
    RivalscopeError,
    StoreError,
)
from rivalscope.ingest import IngestResult
from rivalscope.store import Store, open

__version__ = "0.1.0"

__all__ = [
    "IngestResult",
    "InputError",
    "NotFoundError",
    "RegistryError",
    "RivalscopeError",
    "Store",
    "StoreError",
    "__version__",
    "open",
]
