"""Several sources, one truth: linking, the fused view, coverage and the profile's provenance,
checked against a SYNTHETIC world whose truth is known (:mod:`rivalscope.synth_world`)."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import rivalscope as rs
import rivalscope.fusion as fusion
from rivalscope import review
from rivalscope.analysis.profile import Profile
from rivalscope.fetch.audit import delete_events
from rivalscope.synth_world import WorldFiles, generate_world

EVENTS = 1_500
ACLED_WINDOW = (dt.date(2019, 4, 1), dt.date(2019, 9, 28))


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldFiles:
    return generate_world(tmp_path_factory.mktemp("world"), EVENTS, seed=5)


@pytest.fixture(scope="module")
def linked(world: WorldFiles) -> rs.Store:
    store = rs.open(":memory:")
    store.ingest("ucdp", world.ged_csv)
    store.ingest("acled", world.acled_csv)
    return store


def _pairs(links: pa.Table) -> set[tuple[str, str]]:
    members: dict[str, dict[str, list[str]]] = {}
    for row in links.to_pylist():
        members.setdefault(row["cluster_id"], {}).setdefault(row["source"], []).append(
            row["source_id"]
        )
    return {
        (u, a)
        for sides in members.values()
        for u in sides.get("ucdp", [])
        for a in sides.get("acled", [])
    }


def test_linking_recovers_the_truth(linked: rs.Store, world: WorldFiles) -> None:
    truth = read(world.truth_csv)
    ucdp = truth[truth.source == "ucdp"][["truth_id", "source_id"]]
    acled = truth[truth.source == "acled"][["truth_id", "source_id"]]
    true_pairs = set(
        ucdp.merge(acled, on="truth_id", suffixes=("_u", "_a"))[
            ["source_id_u", "source_id_a"]
        ].itertuples(index=False, name=None)
    )
    found = _pairs(fusion.links(linked))
    right = len(found & true_pairs)
    precision, recall = right / len(found), right / len(true_pairs)
    assert precision >= 0.9, precision
    assert recall >= 0.8, recall


def test_the_fused_view_counts_each_linked_event_once(linked: rs.Store, world: WorldFiles) -> None:
    links = fusion.links(linked).to_pandas()
    fused = linked.events(source="fused").to_pandas()
    stored = len(read(world.ged_csv)) + len(read(world.acled_csv))
    assert len(fused) == stored - len(links) + links.cluster_id.nunique()
    assert fused.event_id.is_unique
    merged = fused[fused.source == "fused"]
    assert len(merged) == links.cluster_id.nunique()
    ids = [i for row in fused.linked_ids for i in row]
    assert len(ids) == len(set(ids)) == stored
    ged = read(world.ged_csv).set_index("id")
    acled = read(world.acled_csv).set_index("event_id_cnty")
    for row in merged.head(200).itertuples():
        members = links[links.cluster_id == row.source_id]
        assert sorted(row.sources) == sorted(set(members.source))
        ucdp_ids = list(members[members.source == "ucdp"].source_id)
        acled_ids = list(members[members.source == "acled"].source_id)
        if ucdp_ids:
            assert row.fatalities_best == int(ged.loc[ucdp_ids[0], "best"])
        if acled_ids:
            notes = [acled.loc[i, "notes"] for i in acled_ids]
            assert row.notes in notes


def test_sources_read_one_at_a_time_are_their_own_rows(linked: rs.Store, world: WorldFiles) -> None:
    assert linked.events(source="ucdp").num_rows == len(read(world.ged_csv))
    assert linked.events(source="acled").num_rows == len(read(world.acled_csv))
    with pytest.raises(rs.InputError, match="no events from source 'nope'"):
        linked.events(source="nope")


def test_links_follow_deletions_and_reviews(world: WorldFiles) -> None:
    store = rs.open(":memory:")
    store.ingest("ucdp", world.ged_csv)
    store.ingest("acled", world.acled_csv)
    links = fusion.links(store).to_pylist()
    acled_member = next(r for r in links if r["source"] == "acled")
    cluster = acled_member["cluster_id"]
    partner = next(r for r in links if r["cluster_id"] == cluster and r["source"] == "ucdp")
    with store.transaction():
        delete_events(
            store, pa.table({"event_id": [acled_member["event_id"]]}), reason="test", run_id=None
        )
    after = fusion.links(store, event_id=partner["event_id"]).to_pylist()
    assert acled_member["event_id"] not in {r["event_id"] for r in after}

    ucdp_row = store.events(source="ucdp").to_pylist()[0]
    copy = {k: ucdp_row[k] for k in rs.schema.EVENT_COLUMN_NAMES if k in ucdp_row}
    copy.update(event_id="text:copy-1", source_id="copy-1", notes="A report of the same event.")
    rows = pa.Table.from_pylist([copy]).drop_columns(["source", "batch_id", "row_hash"])
    store.write_rows("events", rows, source="text", for_review=True)
    assert fusion.links(store, event_id="text:copy-1").num_rows == 0
    review.decide(store, ["text:copy-1"], "accepted")
    cluster_rows = fusion.links(store, event_id="text:copy-1").to_pylist()
    assert {r["event_id"] for r in cluster_rows} >= {"text:copy-1", ucdp_row["event_id"]}
    review.decide(store, ["text:copy-1"], "rejected")
    assert fusion.links(store, event_id="text:copy-1").num_rows == 0


def test_coverage_is_recorded_per_source_and_country(world: WorldFiles, tmp_path: Path) -> None:
    store = rs.open(":memory:")
    named = tmp_path / "GEDEvent_v21_1.csv"
    shutil.copy(world.ged_csv, named)
    store.ingest("ucdp", named)
    store.ingest(
        "acled",
        world.acled_csv,
        coverage=fusion.Coverage(first=dt.date(2017, 1, 1), last=dt.date(2024, 1, 31)),
    )
    rows = {r["source"]: r for r in fusion.coverage(store).to_pylist()}
    ged = read(world.ged_csv)
    years = pd.to_datetime(ged.date_start.str[:10]).dt.year
    assert rows["ucdp"]["versions"] == "21.1"
    assert rows["ucdp"]["first_date"] == dt.date(int(years.min()), 1, 1)
    assert rows["ucdp"]["last_date"] == dt.date(int(years.max()), 12, 31)
    assert rows["ucdp"]["events"] == len(ged)
    assert rows["acled"]["declared"] is True
    assert (rows["acled"]["first_date"], rows["acled"]["last_date"]) == (
        dt.date(2017, 1, 1),
        dt.date(2024, 1, 31),
    )
    latest = pd.to_numeric(read(world.acled_csv).timestamp).max()
    export = dt.datetime.fromtimestamp(int(latest), dt.UTC).date().isoformat()
    assert rows["acled"]["versions"] == export


@pytest.fixture(scope="module")
def overlapping(world: WorldFiles, tmp_path_factory: pytest.TempPathFactory) -> rs.Store:
    """All of UCDP, and an ACLED export of six months of 2019 (as in the issue)."""
    acled = read(world.acled_csv)
    dates = pd.to_datetime(acled.event_date, format="%d %B %Y").dt.date
    window = acled[(dates >= ACLED_WINDOW[0]) & (dates <= ACLED_WINDOW[1])]
    path = tmp_path_factory.mktemp("acled") / "acled-2019.csv"
    window.to_csv(path, index=False)
    store = rs.open(":memory:")
    store.ingest("ucdp", world.ged_csv)
    store.ingest(
        "acled", path, coverage=fusion.Coverage(first=ACLED_WINDOW[0], last=ACLED_WINDOW[1])
    )
    return store


def _raw_clashes(world: WorldFiles) -> tuple[int, int]:
    """ISKP-Taliban clashes in the ACLED window, counted from the raw files."""
    ged = read(world.ged_csv)
    day = pd.to_datetime(ged.date_start.str[:10]).dt.date
    sides = ged.side_a + "|" + ged.side_b
    ucdp = ged[
        (day >= ACLED_WINDOW[0])
        & (day <= ACLED_WINDOW[1])
        & sides.isin(["IS|Taleban", "Taleban|IS"])
    ]
    acled = read(world.acled_csv)
    adate = pd.to_datetime(acled.event_date, format="%d %B %Y").dt.date
    names = {"Islamic State (Afghanistan)", "Islamic State Khorasan Province", "Taliban"}
    both = acled.actor1.isin(names) & acled.actor2.isin(names) & (acled.actor1 != acled.actor2)
    acled_clashes = acled[
        (adate >= ACLED_WINDOW[0])
        & (adate <= ACLED_WINDOW[1])
        & both
        & (acled.event_type == "Battles")
    ]
    return len(ucdp), len(acled_clashes)


def test_the_profile_says_which_sources_and_where_they_disagree(
    overlapping: rs.Store, world: WorldFiles
) -> None:
    result = rs.profile(overlapping, "ISKP", "TALIBAN", country="AFG")
    data = result.to_dict()
    assert data["source"] == "fused"
    listed = {s["source"]: s for s in data["sources"]}
    assert set(listed) == {"ucdp", "acled"}
    assert (listed["acled"]["first_date"], listed["acled"]["last_date"]) == (
        "2019-04-01",
        "2019-09-28",
    )
    assert any(
        w.startswith("ACLED covers Afghanistan only from 2019-04-01 to 2019-09-28")
        for w in data["warnings"]
    ), data["warnings"]
    ucdp_clashes, acled_clashes = _raw_clashes(world)
    (pair,) = result.triangulation.pairs
    assert (pair["first"], pair["last"]) == ACLED_WINDOW
    clashes = next(m for m in pair["measures"] if m["key"] == "clashes")
    assert clashes["values"] == {"acled": acled_clashes, "ucdp": ucdp_clashes}
    rows = result.triangulation.rows("timeline")
    assert (
        f"ACLED records {acled_clashes:,} clashes between Islamic State Khorasan Province "
        "and Taliban" in rows[0]["sentence"]
    )
    edge = [r for r in result.phases.boundaries.to_pylist() if r["boundary"] == dt.date(2019, 4, 1)]
    assert edge and all(r["coverage_edge"] == "acled" for r in edge)
    assert "sharpest clear change came on 2019-04-01" not in result.phases.summary
    assert "The boundary of 2019-04-01 falls where ACLED's coverage starts" in result.phases.summary
    assert data["citations"][0]["source"] in {"ucdp", "acled"}
    assert any("CC BY 4.0" in c["terms"] for c in data["citations"])


def test_the_fused_profile_counts_linked_clashes_once(overlapping: rs.Store) -> None:
    fused = rs.profile(overlapping, "ISKP", "TALIBAN", country="AFG")
    ucdp = rs.profile(overlapping, "ISKP", "TALIBAN", country="AFG", source="ucdp")
    acled = rs.profile(overlapping, "ISKP", "TALIBAN", country="AFG", source="acled")

    def clashes(p: Profile) -> int:
        return sum(p.timeline.monthly.column("clashes").to_pylist())

    links = fusion.links(overlapping).to_pandas()
    events = overlapping.events(source="fused", actor="ISKP", rival="TALIBAN", event_type="clash")
    merged = sum(1 for s in events.column("sources").to_pylist() if len(s) > 1)
    assert clashes(fused) == events.num_rows
    assert clashes(fused) < clashes(ucdp) + clashes(acled)
    assert merged > 0 and len(links) > 0
    assert any("Only UCDP is read" in w for w in ucdp.warnings)
    assert not math.isnan(float(clashes(fused)))


def test_a_store_from_before_fusion_is_linked_when_migrated(
    world: WorldFiles, tmp_path: Path
) -> None:
    path = tmp_path / "old.duckdb"
    with rs.open(path) as store:
        store.ingest("ucdp", world.ged_csv)
        store.ingest("acled", world.acled_csv)
        expected = fusion.links(store).to_pylist()
        with store.transaction():
            for table in ("coverage", "event_links", "fused_events"):
                store.execute(f"DROP TABLE {table}")
            store.execute("DELETE FROM schema_version WHERE version >= 5")
    with rs.open(path) as store:
        assert fusion.links(store).to_pylist() == expected
        rows = {r["source"]: r for r in fusion.coverage(store).to_pylist()}
        assert rows["ucdp"]["events"] == len(read(world.ged_csv))
        assert rows["acled"]["versions"] is None
        assert store.events(source="fused").num_rows == (
            len(read(world.ged_csv))
            + len(read(world.acled_csv))
            - len(expected)
            + len({r["cluster_id"] for r in expected})
        )
