"""Stores beyond a DuckDB file: PostgreSQL (a team's shared server) and Spark (a cluster).

:func:`rivalscope.open` picks the backend from the ``--db`` value (:mod:`.urls`); the analyses
are Ibis expressions and run unchanged on each.
"""
