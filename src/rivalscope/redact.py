"""Pseudonyms for the names of individuals (defectors) before anything leaves the team.

A pseudonym is stable for one store (an HMAC of the name under a secret kept in the store's
``meta`` table), so the same person gets the same pseudonym in every export of that store and
different stores cannot be linked by pseudonym.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from rivalscope.store import Store

SENSITIVE_COLUMNS: tuple[str, ...] = ("person",)


def store_secret(store: Store) -> bytes:
    """The store's pseudonym secret, created on first use (in memory for a read-only store)."""
    kept = store.meta("pseudonym_secret")
    if kept is not None:
        return bytes.fromhex(kept)
    secret = secrets.token_bytes(32)
    if not store.read_only:
        store.set_meta("pseudonym_secret", secret.hex())
    return secret


def pseudonym(name: str, secret: bytes) -> str:
    """``Person-XXXXXXXX``: the same name and secret always give the same pseudonym."""
    digest = hmac.new(secret, name.strip().casefold().encode(), hashlib.sha256).digest()
    return "Person-" + base64.b32encode(digest[:5]).decode()


def redact_table(table: pa.Table, secret: bytes) -> pa.Table:
    """Replace every sensitive column's values by pseudonyms (nulls stay null)."""
    for name in SENSITIVE_COLUMNS:
        if name not in table.column_names:
            continue
        index = table.column_names.index(name)
        values = [
            None if v is None else pseudonym(v, secret) for v in table.column(name).to_pylist()
        ]
        table = table.set_column(index, name, pa.array(values, pa.string()))
    return table
