"""Fetch data from the UCDP and ACLED APIs into the store, resumably, and keep it current.

>>> import rivalscope as rs
>>> from rivalscope.fetch import UcdpQuery, fetch_ucdp, read_ucdp_token
>>> store = rs.open("afg.duckdb")  # doctest: +SKIP
>>> token = read_ucdp_token("ucdp.token")  # doctest: +SKIP
>>> fetch_ucdp(store, UcdpQuery(country="700"), token=token)  # doctest: +SKIP

Pages are kept raw in a local cache (:mod:`rivalscope.fetch.cache`), converted to the CSV layout
of each source's downloads and ingested by the same adapters; a checkpoint after each page lets
a killed fetch continue where it stopped (:mod:`rivalscope.fetch.checkpoint`). The store may be
a DuckDB file or a PostgreSQL server: the bookkeeping is read through Ibis and written with
portable SQL (:meth:`rivalscope.Store.execute`), so both take the same path.
"""

from __future__ import annotations

from rivalscope.fetch.acled import fetch_acled, update_acled
from rivalscope.fetch.audit import deleted_events
from rivalscope.fetch.checkpoint import FetchResult, PageProgress, runs
from rivalscope.fetch.credentials import (
    AcledCredentials,
    UcdpToken,
    read_acled_credentials,
    read_ucdp_token,
)
from rivalscope.fetch.http import ApiError, RetryPolicy
from rivalscope.fetch.ucdp import UcdpQuery, fetch_ucdp, supersede_candidates

__all__ = [
    "AcledCredentials",
    "ApiError",
    "FetchResult",
    "PageProgress",
    "RetryPolicy",
    "UcdpQuery",
    "UcdpToken",
    "deleted_events",
    "fetch_acled",
    "fetch_ucdp",
    "read_acled_credentials",
    "read_ucdp_token",
    "runs",
    "supersede_candidates",
    "update_acled",
]
