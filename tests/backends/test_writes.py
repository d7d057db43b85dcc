"""Writes beyond ingest, on every backend; a known gap is a strict xfail (it must fail)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.store.parquet import export_parquet
from tests.analysis.fixtures import UCDP_HEADER, ucdp_row

pytestmark = pytest.mark.slow

KABUL_SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"shapeName": "Kabul", "shapeGroup": "AFG"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[68.5, 33.5], [69.5, 33.5], [69.5, 34.5], [68.5, 34.5]]],
            },
        }
    ],
}


@pytest.fixture(
    params=[
        "duckdb",
        "postgres",
        pytest.param(
            "spark",
            marks=pytest.mark.xfail(
                strict=True,
                raises=rs.StoreError,
                reason="by design: a Spark store reads a Parquet export and is read-only",
            ),
        ),
    ]
)
def writable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[rs.Store]:
    ged = tmp_path / "ged.csv"
    ged.write_text(
        "\n".join([UCDP_HEADER, ucdp_row(1, 1, "IS", "Taleban", "2020-05-01", 4, "")]) + "\n",
        encoding="utf-8",
    )
    if request.param == "spark":
        request.getfixturevalue("spark_session")
        with rs.open() as source:
            source.ingest("ucdp", ged)
            export_parquet(source, tmp_path / "export")
        store = rs.open(f"spark:local[2]?data={tmp_path / 'export'}")
    else:
        db = None if request.param == "duckdb" else request.getfixturevalue("pg_url")
        store = rs.open(db)
        store.ingest("ucdp", ged)
    try:
        yield store
    finally:
        store.close()


def test_boundaries_place_events(writable: rs.Store, tmp_path: Path) -> None:
    path = tmp_path / "kabul.geojson"
    path.write_text(json.dumps(KABUL_SQUARE), encoding="utf-8")
    assert writable.events().column("admin1_code").to_pylist() == [None]
    assert writable.load_boundaries(path) == {"provinces": 1, "events_placed": 1}
    assert writable.events().column("admin1_code").to_pylist() == ["AF-KAB"]
    later = tmp_path / "later.csv"
    later.write_text(
        "\n".join([UCDP_HEADER, ucdp_row(2, 1, "IS", "Taleban", "2020-06-01", 2, "")]) + "\n",
        encoding="utf-8",
    )
    writable.ingest("ucdp", later)
    assert writable.events().column("admin1_code").to_pylist() == ["AF-KAB", "AF-KAB"]


def test_user_registry_remaps_stored_events(writable: rs.Store, tmp_path: Path) -> None:
    ged = tmp_path / "khan.csv"
    ged.write_text(
        "\n".join(
            [UCDP_HEADER, ucdp_row(7, 1, "Forces of Ismail Khan", "Taleban", "1997-01-01", 1, "")]
        )
        + "\n",
        encoding="utf-8",
    )
    writable.ingest("ucdp", ged)
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[actor]]\nid = "ISMAIL_KHAN"\nname = "Ismail Khan\'s militia"\nkind = "armed_group"\n'
        'aliases = ["Forces of Ismail Khan", "Amir Ismail Khan forces"]\n',
        encoding="utf-8",
    )
    assert writable.load_actors(extra) == {"actors": 1, "aliases": 4, "events_remapped": 1}
    assert writable.actor_id("amir ismail khan forces") == "ISMAIL_KHAN"
    khan = writable.events(actor="ISMAIL_KHAN")
    assert khan.column("event_id").to_pylist() == ["ucdp:7"]
    again = writable.load_actors(extra)
    assert again["events_remapped"] == 0
