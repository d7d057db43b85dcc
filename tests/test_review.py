"""Rows written by code (Store.write_rows) and the review that gates them out of analyses."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

import rivalscope as rs
from rivalscope import review
from rivalscope.analysis.context import Dyad


def _events(*ids: str, fatalities: int = 3) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "event_id": list(ids),
            "date_start": [dt.date(2020, 5, 1)] * n,
            "event_type": ["clash"] * n,
            "actor1": ["ISKP"] * n,
            "actor2": ["TALIBAN"] * n,
            "country_iso3": ["AFG"] * n,
            "admin1_code": ["AF-NAN"] * n,
            "fatalities_best": [fatalities] * n,
        }
    )


def test_write_rows_upserts_and_counts(store: rs.Store) -> None:
    first = store.write_rows("events", _events("sim:1", "sim:2"), source="sim", file="run-1")
    assert (first.rows_read, first.rows_stored, first.rows_unchanged) == (2, 2, 0)
    again = store.write_rows("events", _events("sim:1", "sim:2"), source="sim")
    assert (again.rows_stored, again.rows_unchanged) == (0, 2)
    changed = store.write_rows("events", _events("sim:2", fatalities=9), source="sim")
    assert changed.rows_stored == 1
    rows = store.events(source="sim").to_pylist()
    assert [(r["event_id"], r["fatalities_best"]) for r in rows] == [("sim:1", 3), ("sim:2", 9)]
    assert {r["source"] for r in rows} == {"sim"}
    assert all(r["row_hash"] for r in rows)
    batches = store.con.execute(
        "SELECT source, file, rows_read, rows_stored, rows_unchanged FROM ingest_batches "
        "ORDER BY started"
    ).fetchall()
    assert batches[0] == ("sim", "run-1", 2, 2, 0)


BAD_EVENT_ROWS = [
    (pa.table({"date_start": [dt.date(2020, 1, 1)]}), "id column 'event_id'"),
    (pa.table({"event_id": ["a"], "colour": ["red"]}), "no column 'colour'"),
    (_events("a", "b", "a"), "rows [0, 2]: column event_id: duplicate id 'a'"),
    (
        _events("a", "b").set_column(3, "actor1", pa.array(["ISKP", "NOBODY"])),
        "row 1: column actor1: 'NOBODY' is not an actor id",
    ),
    (
        _events("a").set_column(2, "event_type", pa.array(["brawl"])),
        "row 0: column event_type: 'brawl'",
    ),
    (pa.table({"event_id": ["a"], "event_type": ["clash"]}), "row 0: column date_start"),
]
"""Rows write_rows must refuse whole, with the part of the message that names the row and
column (shared with the PostgreSQL tests)."""


@pytest.mark.parametrize(("rows", "message"), BAD_EVENT_ROWS)
def test_write_rows_refuses_bad_rows_whole(store: rs.Store, rows: pa.Table, message: str) -> None:
    with pytest.raises(rs.InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        store.write_rows("events", rows, source="sim")
    assert store.events().num_rows == 0
    assert store.con.execute("SELECT count(*) FROM ingest_batches").fetchone() == (0,)


def test_reviewed_rows_count_only_once_accepted(store: rs.Store) -> None:
    store.write_rows("events", _events("plain:1"), source="text")
    details = pa.table(
        {
            "item_id": ["text:a", "text:b"],
            "confidence": [0.9, 0.4],
            "passage": ["ISKP fighters clashed with the Taliban in Nangarhar.", "x"],
            "evidence": [json.dumps({"actor1": [0, 4]}), None],
        }
    )
    store.write_rows(
        "events",
        _events("text:a", "text:b"),
        source="text",
        for_review=True,
        review_details=details,
    )
    dyad = Dyad.of(store, "ISKP", "TALIBAN")
    assert dyad.clashes().count().to_pyarrow().as_py() == 1
    pending = review.items(store)
    assert pending.column("item_id").to_pylist() == ["text:a", "text:b"]
    assert pending.column("confidence").to_pylist() == [0.9, 0.4]
    assert json.loads(pending.column("evidence")[0].as_py()) == {"actor1": [0, 4]}

    assert review.decide(store, ["text:a"], "accepted", reviewer="analyst") == 1
    assert review.decide(store, ["text:b"], "rejected") == 1
    assert dyad.clashes().count().to_pyarrow().as_py() == 2
    assert sorted(store.events().column("event_id").to_pylist()) == ["plain:1", "text:a"]
    assert review.items(store).num_rows == 0
    assert review.items(store, status="accepted").column("reviewer").to_pylist() == ["analyst"]

    # re-coding the same unchanged text keeps the decisions; a changed row goes back to pending
    store.write_rows("events", _events("text:a", "text:b"), source="text", for_review=True)
    assert review.items(store, status=None).column("status").to_pylist() == [
        "accepted",
        "rejected",
    ]
    store.write_rows("events", _events("text:a", fatalities=8), source="text", for_review=True)
    assert review.items(store).column("item_id").to_pylist() == ["text:a"]
    assert dyad.clashes().count().to_pyarrow().as_py() == 1


def test_decide_is_all_or_nothing(store: rs.Store) -> None:
    store.write_rows("events", _events("text:a"), source="text", for_review=True)
    with pytest.raises(rs.NotFoundError, match="'text:zzz'"):
        review.decide(store, ["text:a", "text:zzz"], "accepted")
    assert review.items(store).column("status").to_pylist() == ["pending"]
    with pytest.raises(rs.InputError, match="unknown review status"):
        review.decide(store, ["text:a"], "maybe")


def test_reviewed_defections(store: rs.Store) -> None:
    rows = pa.table(
        {
            "defection_id": ["text:d1"],
            "date": [dt.date(2019, 3, 1)],
            "from_actor": ["TALIBAN"],
            "to_actor": ["ISKP"],
            "fighters": [40],
            "admin1_code": ["AF-NAN"],
            "country_iso3": ["AFG"],
        }
    )
    store.write_rows("defections", rows, source="text", for_review=True)
    dyad = Dyad.of(store, "ISKP", "TALIBAN")
    assert dyad.defections().count().to_pyarrow().as_py() == 0
    item = review.items(store, kind="defection").to_pylist()[0]
    assert (item["actor1"], item["actor2"], item["fighters"]) == ("TALIBAN", "ISKP", 40)
    review.decide(store, ["text:d1"], "accepted", kind="defection")
    assert dyad.defections().count().to_pyarrow().as_py() == 1


def test_names_with_control_characters_are_not_found(store: rs.Store) -> None:
    with pytest.raises(rs.NotFoundError, match="no actor"):
        store.actor_id("IS\x00K")
    with pytest.raises(rs.NotFoundError, match="no province"):
        store.place_code("Nangar\x00har")
