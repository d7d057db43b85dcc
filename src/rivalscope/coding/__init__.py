"""Text to events: code news reports and field notes into events and defections.

>>> import datetime as dt
>>> from rivalscope.coding import Coder
>>> coder = Coder()
>>> [r.event_type for r in coder.code("A Taliban commander and 40 fighters pledged allegiance "
...                                   "to ISKP in Achin district.", dt.date(2015, 2, 10))]
['defection']

See :mod:`rivalscope.coding.coder` for how a passage is read, ``docs/coding.md`` for the
conventions, and :func:`rivalscope.coding.records.store_records` for writing to a store. The
names below load on first use, so ``rivalscope --help`` does not pay for the coder.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rivalscope.coding.coder import Coder
    from rivalscope.coding.influence import influence_type
    from rivalscope.coding.records import Coded, Passage, StoreResult, store_records

_HOMES = {
    "Coder": "rivalscope.coding.coder",
    "Coded": "rivalscope.coding.records",
    "Passage": "rivalscope.coding.records",
    "StoreResult": "rivalscope.coding.records",
    "store_records": "rivalscope.coding.records",
    "influence_type": "rivalscope.coding.influence",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Coded", "Coder", "Passage", "StoreResult", "influence_type", "store_records"]
