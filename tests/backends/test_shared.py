"""Every analysis, and the store's read methods, give the same answers on every backend.

The stores hold the same data (see conftest): DuckDB and PostgreSQL each ingested the same
files; Spark reads a Parquet export of the DuckDB store. Each answer is compared with DuckDB's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import rivalscope as rs
import rivalscope.fusion as fusion
from rivalscope.analysis import network, timeline
from rivalscope.analysis.context import Dyad, plain
from rivalscope.analysis.profile import SECTION_MODULES, SECTIONS

pytestmark = pytest.mark.slow


def _same(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, default=str)


def _dyad(store: rs.Store) -> Dyad:
    return Dyad.of(store, "ISKP", "Taliban", country="Afghanistan")


@pytest.mark.parametrize("section", SECTIONS)
def test_section_matches_duckdb(section: str, backend_store: rs.Store, reference: rs.Store) -> None:
    expected = SECTION_MODULES[section].compute(_dyad(reference))
    got = SECTION_MODULES[section].compute(_dyad(backend_store))
    assert _same(got) == _same(expected)


def test_colocation_by_pairs_matches(
    backend_store: rs.Store, reference: rs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend's own join of event pairs (used when points are too many for rows of
    bits) gives DuckDB's rows-of-bits answer."""
    expected = network.compute(_dyad(reference), days=5, km=40.0).edges
    assert "nearby" in expected["kind"].to_pylist()
    monkeypatch.setattr(network, "MAX_PLACE_DAYS", 0)
    got = network.compute(_dyad(backend_store), days=5, km=40.0).edges
    assert got.to_pylist() == expected.to_pylist()


def test_windowed_timeline_matches(backend_store: rs.Store, reference: rs.Store) -> None:
    def run(store: rs.Store) -> str:
        dyad = Dyad.of(store, "ISKP", "TALIBAN", since="2019-06-01", until="2021-12-31")
        return _same(timeline.compute(dyad))

    assert run(backend_store) == run(reference)


def test_links_and_the_fused_view_match(backend_store: rs.Store, reference: rs.Store) -> None:
    """Every backend links the same records and fuses them alike (linking ran on DuckDB and on
    PostgreSQL at ingest; Spark reads the links of the export)."""
    expected = fusion.links(reference)
    assert expected.num_rows > 0
    assert fusion.links(backend_store).to_pylist() == expected.to_pylist()
    for store in (backend_store, reference):
        assert fusion.choose(store, None, "AFG") == "fused"
    fused = backend_store.events(source="fused", country="AFG").drop_columns(["batch_id"])
    assert fused.to_pylist() == (
        reference.events(source="fused", country="AFG").drop_columns(["batch_id"]).to_pylist()
    )


def test_the_data_is_not_empty(reference: rs.Store) -> None:
    yearly = timeline.compute(_dyad(reference)).yearly
    assert sum(yearly.column("clashes").to_pylist()) > 10


def test_events_query_matches(backend_store: rs.Store, reference: rs.Store) -> None:
    def run(store: rs.Store) -> list[dict[str, Any]]:
        rows = store.events(actor="ISIS-K", since="2020-01-01", country="AFG")
        return rows.drop_columns(["batch_id"]).to_pylist()

    expected = run(reference)
    assert expected
    assert run(backend_store) == expected


def test_events_by_province_matches(backend_store: rs.Store, reference: rs.Store) -> None:
    def run(store: rs.Store) -> list[str]:
        return store.events(admin1="Nangarhar").column("event_id").to_pylist()

    assert run(backend_store) == run(reference)


def test_names_resolve_alike(backend_store: rs.Store) -> None:
    assert backend_store.actor_id("isis-k") == "ISKP"
    assert backend_store.place_code("Hilmand", "AFG") == "AF-HEL"
    with pytest.raises(rs.NotFoundError):
        backend_store.actor_id("Nobody At All")


def test_places_match(backend_store: rs.Store, reference: rs.Store) -> None:
    assert backend_store.places().to_pylist() == reference.places().to_pylist()


def test_actors_match(backend_store: rs.Store, reference: rs.Store) -> None:
    assert backend_store.actors().to_pylist() == reference.actors().to_pylist()


def test_quarantine_matches(backend_store: rs.Store, reference: rs.Store) -> None:
    def run(store: rs.Store) -> list[tuple[Any, ...]]:
        rows = store.quarantine().to_pylist()
        return [(r["source"], r["row_number"], r["reason"], r["raw"]) for r in rows]

    expected = run(reference)
    assert len(expected) == 1
    assert run(backend_store) == expected


def test_info_matches(backend_store: rs.Store, reference: rs.Store) -> None:
    def run(store: rs.Store) -> dict[str, Any]:
        summary = store.info()
        summary.pop("db")
        summary.pop("batches")
        for source in summary["sources"]:
            source.pop("batches")
        return summary

    assert run(backend_store) == run(reference)


def test_forecast_panel_matches(backend_store: rs.Store, reference: rs.Store) -> None:
    from rivalscope.forecast.panel import build_panel
    from rivalscope.forecast.spec import resolve

    def run(store: rs.Store) -> str:
        spec = resolve(store, "TALIBAN", rival="ISKP", outcome="any", country="AFG")
        panel = build_panel(store, spec)
        return _same(panel.table.sort_by([("unit", "ascending"), ("month", "ascending")]))

    expected = run(reference)
    assert '"y": 1' in expected
    assert run(backend_store) == expected


def _cli(*args: str) -> Any:
    from rivalscope.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_redacted_profile_matches(backend_store: rs.Store, reference: rs.Store) -> None:
    """Regression: a redacted profile on Spark failed with ``AttributeError: 'NoneType' object
    has no attribute 'execute'`` (the pseudonym secret was read through ``store.con``)."""
    got = rs.profile(backend_store, "ISKP", "TALIBAN", country="AFG").redacted()
    expected = rs.profile(reference, "ISKP", "TALIBAN", country="AFG").redacted()
    assert got.defections.records.num_rows == expected.defections.records.num_rows > 0
    people = got.defections.records.column("person").to_pylist()
    assert "Person A" not in people
    assert any(p is not None and p.startswith("Person-") for p in people)


def test_cli_profile_redact(backend_db: str) -> None:
    data = _cli(
        "profile", "ISKP", "TALIBAN", "--country", "AFG", "--db", backend_db, "--redact", "--json"
    )
    assert "Person A" not in json.dumps(data)
    assert "Person-" in json.dumps(data)


def test_cli_simulate_calibrate(backend_db: str, tmp_path: Path) -> None:
    """Regression: ``simulate calibrate --db postgresql://...`` said the store did not exist
    without connecting to it."""
    out = tmp_path / "posterior.json"
    data = _cli(
        "simulate",
        "calibrate",
        "--db",
        backend_db,
        "--draws",
        "40",
        "--accept",
        "0.25",
        "--out",
        str(out),
        "--json",
    )
    assert out.exists()
    assert data


def test_cli_export(backend_db: str, reference: rs.Store, tmp_path: Path) -> None:
    out = tmp_path / "export"
    data = _cli("export", "--parquet", str(out), "--db", backend_db, "--json")
    events = reference.table("events").count().to_pyarrow().as_py()
    assert data["rows"]["events"] == events > 0
