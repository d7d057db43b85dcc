"""One module per source: each maps its rows onto the canonical schema (see ``ingest``)."""
