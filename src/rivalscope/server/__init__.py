"""The web dashboard and JSON API: ``rivalscope serve`` (see docs/server.md).

>>> from rivalscope.server import ServerSettings, create_app  # doctest: +SKIP
>>> app = create_app(ServerSettings(db=Path("afg.duckdb")))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rivalscope.server.app import ServerSettings, create_app

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from rivalscope.server import app

        return getattr(app, name)
    raise AttributeError(name)
