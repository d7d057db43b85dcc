"""Tests for the SYNTHETIC one-world generator, :mod:`rivalscope.synth_world`."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import rivalscope as rs
from rivalscope import synth, synth_world
from rivalscope.synth_world import TrueEvents, WorldFiles, generate_world, true_events

EVENTS = 6_000
SEED = 11
TAKEOVER = dt.date(2021, 8, 15)
CALENDAR_START = dt.date(2015, 1, 1)
"""Day 0 of the true events' ``day`` (synth's calendar)."""


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldFiles:
    return generate_world(tmp_path_factory.mktemp("world"), EVENTS, seed=SEED)


@pytest.fixture(scope="module")
def truth_events() -> TrueEvents:
    return true_events(EVENTS, seed=SEED)


@pytest.fixture(scope="module")
def ged(world: WorldFiles) -> pd.DataFrame:
    return read(world.ged_csv)


@pytest.fixture(scope="module")
def acled(world: WorldFiles) -> pd.DataFrame:
    return read(world.acled_csv)


@pytest.fixture(scope="module")
def truth(world: WorldFiles) -> pd.DataFrame:
    frame = read(world.truth_csv)
    frame["truth_id"] = frame.truth_id.astype(int)
    return frame


@pytest.fixture(scope="module")
def store(world: WorldFiles) -> Iterator[rs.Store]:
    with rs.open(":memory:") as opened:
        for source, path in (("ucdp", world.ged_csv), ("acled", world.acled_csv)):
            result = opened.ingest(source, path)
            assert result.rows_quarantined == 0, opened.query("SELECT * FROM quarantine")
            assert result.rows_stored == result.rows_read
        yield opened


def with_truth(
    records: pd.DataFrame, truth: pd.DataFrame, source: str, id_column: str
) -> pd.DataFrame:
    """The records of one source, each with its true event's number."""
    ids = truth[truth.source == source][["source_id", "truth_id"]]
    joined = records.merge(ids, left_on=id_column, right_on="source_id", how="left")
    assert joined.truth_id.notna().all()
    return joined


# --- files ----------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a = generate_world(tmp_path / "a", 800, seed=7)
    b = generate_world(tmp_path / "b", 800, seed=7)
    c = generate_world(tmp_path / "c", 800, seed=8)
    for name in ("ged_csv", "acled_csv", "truth_csv"):
        assert getattr(a, name).read_bytes() == getattr(b, name).read_bytes(), name
        assert getattr(a, name).read_bytes() != getattr(c, name).read_bytes(), name


def test_headers_are_synths_layouts(world: WorldFiles) -> None:
    assert world.ged_csv.read_text().splitlines()[0] == ",".join(synth.GED_COLUMNS)
    assert world.acled_csv.read_text().splitlines()[0] == ",".join(synth.ACLED_COLUMNS)
    assert world.truth_csv.read_text().splitlines()[0] == "truth_id,source,source_id"
    assert [p.name for p in (world.ged_csv, world.acled_csv, world.truth_csv)] == [
        "synthetic_world_ged.csv",
        "synthetic_world_acled.csv",
        "synthetic_world_truth.csv",
    ]


def test_row_counts_and_ids(world: WorldFiles, ged: pd.DataFrame, acled: pd.DataFrame) -> None:
    assert (len(ged), len(acled)) == (world.ged_rows, world.acled_rows)
    assert world.events == EVENTS
    assert ged.id.is_unique and ged.id.str.fullmatch(r"[1-9]\d*").all()
    assert acled.event_id_cnty.is_unique and acled.event_id_cnty.str.fullmatch(r"AFG\d+").all()


def test_data_is_marked_synthetic(ged: pd.DataFrame, acled: pd.DataFrame) -> None:
    assert (ged.source_headline == "SYNTHETIC").all()
    assert (ged.source_original == "SYNTHETIC").all()
    assert acled.source.str.startswith("SYNTHETIC").all()
    assert acled.notes.str.endswith("[SYNTHETIC]").all()
    assert "SYNTHETIC" in (synth_world.__doc__ or "")
    assert "SYNTHETIC" in (generate_world.__doc__ or "")


def test_ucdp_and_acled_naming(ged: pd.DataFrame, acled: pd.DataFrame) -> None:
    assert set(ged.country) == {"Afghanistan"} and set(ged.country_id) == {"700"}
    assert set(ged.type_of_violence) == {"1", "2", "3"}
    assert {"IS", "Taleban", "Government of Afghanistan"} <= set(ged.side_a) | set(ged.side_b)
    assert "Government of Afghanistan - Taleban" in set(ged.dyad_name)
    after = ged[pd.to_datetime(ged.date_start).dt.date >= TAKEOVER]
    assert "Government of Afghanistan - Taleban" not in set(after.dyad_name)
    acled_after = acled[pd.to_datetime(acled.event_date).dt.date >= TAKEOVER]
    assert "Military Forces of Afghanistan (2021-)" in set(acled_after.actor1)
    assert not acled_after.actor1.str.contains("2004-2021").any()
    assert set(acled.iso) == {"4"} and set(acled.country) == {"Afghanistan"}


def test_an_empty_world_writes_headers_only_and_negative_events_fail(tmp_path: Path) -> None:
    files = generate_world(tmp_path, 0)
    assert (files.ged_rows, files.acled_rows) == (0, 0)
    assert files.truth_csv.read_text() == "truth_id,source,source_id\n"
    with pytest.raises(ValueError, match="events"):
        generate_world(tmp_path, -1)


# --- the store ------------------------------------------------------------------------------------


def test_both_files_ingest_cleanly(store: rs.Store, world: WorldFiles) -> None:
    counts = dict(
        store.query("SELECT source, count(*) AS n FROM events GROUP BY source")
        .to_pandas()
        .itertuples(index=False)
    )
    assert counts == {"ucdp": world.ged_rows, "acled": world.acled_rows}
    unplaced = store.query("SELECT count(*) AS n FROM events WHERE admin1_code IS NULL")
    assert unplaced.to_pylist()[0]["n"] == 0


def test_truth_reconciles(
    store: rs.Store, truth: pd.DataFrame, ged: pd.DataFrame, acled: pd.DataFrame
) -> None:
    assert len(truth) == len(ged) + len(acled)
    assert not truth.duplicated(["source", "source_id"]).any()
    assert set(truth[truth.source == "ucdp"].source_id) == set(ged.id)
    assert set(truth[truth.source == "acled"].source_id) == set(acled.event_id_cnty)
    assert truth.truth_id.between(1, EVENTS).all()
    stored = set(store.query("SELECT event_id FROM events").column("event_id").to_pylist())
    assert stored == set(truth.source + ":" + truth.source_id)


def test_records_of_one_event_share_an_actor(store: rs.Store, truth: pd.DataFrame) -> None:
    """UCDP's and ACLED's names of the same sides resolve to the same canonical actors."""
    events = store.query("SELECT event_id, actor1, actor2 FROM events").to_pandas()
    events = events.merge(
        truth.assign(event_id=truth.source + ":" + truth.source_id), on="event_id"
    )
    both = events[events.source == "ucdp"].merge(
        events[events.source == "acled"], on="truth_id", suffixes=("_u", "_a")
    )
    assert len(both) > 0
    shared = [bool({r.actor1_u, r.actor2_u} & {r.actor1_a, r.actor2_a}) for r in both.itertuples()]
    assert all(shared)


# --- noise ----------------------------------------------------------------------------------------


def test_ucdp_reports_only_events_with_deaths(
    ged: pd.DataFrame, truth: pd.DataFrame, truth_events: TrueEvents
) -> None:
    ids = with_truth(ged, truth, "ucdp", "id").truth_id.to_numpy() - 1
    assert (truth_events.deaths[ids] > 0).all()
    assert (ged.best.astype(int) >= 1).all()
    acled_ids = truth[truth.source == "acled"].truth_id.to_numpy() - 1
    assert (truth_events.deaths[acled_ids] == 0).mean() > 0.1  # ACLED reports events without too


def test_missed_share_is_near_the_documented_rate(
    truth: pd.DataFrame, truth_events: TrueEvents
) -> None:
    with_deaths = int((truth_events.deaths > 0).sum())
    ucdp_seen = truth[truth.source == "ucdp"].truth_id.nunique()
    acled_seen = truth[truth.source == "acled"].truth_id.nunique()
    assert 1 - ucdp_seen / with_deaths == pytest.approx(synth_world.UCDP_MISS, abs=0.025)
    assert 1 - acled_seen / EVENTS == pytest.approx(synth_world.ACLED_MISS, abs=0.02)


def test_ucdp_never_splits_and_acled_splits_near_the_documented_rate(
    truth: pd.DataFrame,
) -> None:
    per_event = truth.groupby(["source", "truth_id"]).size()
    assert per_event["ucdp"].max() == 1
    assert per_event["acled"].max() == 2
    split = (per_event["acled"] == 2).mean()
    assert split == pytest.approx(synth_world.ACLED_SPLIT, abs=0.012)


def test_shifted_share_is_near_the_documented_rate(
    ged: pd.DataFrame, acled: pd.DataFrame, truth: pd.DataFrame, truth_events: TrueEvents
) -> None:
    def true_day(ids: pd.Series) -> pd.Series:
        days = truth_events.day[ids.to_numpy() - 1]
        return pd.Series([CALENDAR_START + dt.timedelta(days=int(d)) for d in days])

    g = with_truth(ged, truth, "ucdp", "id")
    gap = (pd.to_datetime(g.date_start).dt.date - true_day(g.truth_id)).map(lambda d: d.days)
    assert gap.abs().max() <= 2
    assert (gap != 0).mean() == pytest.approx(synth_world.UCDP_DATE_SHIFT, abs=0.02)

    a = with_truth(acled, truth, "acled", "event_id_cnty")
    a = a.assign(day=pd.to_datetime(a.event_date, format="%d %B %Y").dt.date)
    first = a.sort_values(["truth_id", "day"]).drop_duplicates("truth_id")  # not the split half
    gap = (first.day.reset_index(drop=True) - true_day(first.truth_id)).map(lambda d: d.days)
    assert gap.abs().max() <= 1
    # A split's earlier half can only hide a shift forward, hence the small allowance.
    assert (gap != 0).mean() == pytest.approx(synth_world.ACLED_DATE_SHIFT, abs=0.02)


def km(lat1: pd.Series, lon1: pd.Series, lat2: pd.Series, lon2: pd.Series) -> pd.Series:
    """Haversine distance in km."""
    p1, p2 = lat1.map(math.radians), lat2.map(math.radians)
    dp, dl = p2 - p1, (lon2 - lon1).map(math.radians)
    h = (dp / 2).map(math.sin) ** 2 + p1.map(math.cos) * p2.map(math.cos) * (dl / 2).map(
        math.sin
    ) ** 2
    return 2 * 6371.0 * h.map(lambda x: math.asin(math.sqrt(x)))


def test_points_and_precisions(
    ged: pd.DataFrame, acled: pd.DataFrame, truth: pd.DataFrame, truth_events: TrueEvents
) -> None:
    for records, source, id_column, column, table in (
        (ged, "ucdp", "id", "where_prec", synth_world.UCDP_WHERE_PREC),
        (acled, "acled", "event_id_cnty", "geo_precision", synth_world.ACLED_GEO_PRECISION),
    ):
        r = with_truth(records, truth, source, id_column)
        ids = r.truth_id.to_numpy() - 1
        off = km(
            r.latitude.astype(float),
            r.longitude.astype(float),
            pd.Series(truth_events.lat[ids]),
            pd.Series(truth_events.lon[ids]),
        )
        precision = r[column].astype(int)
        shares = precision.value_counts(normalize=True)
        for code, share in table:
            assert shares[code] == pytest.approx(share, abs=0.03), (source, code)
        exact = precision == 1
        assert off[exact].max() < (0.1 if source == "ucdp" else 2.0 + 10.0 + 0.1)
        assert off[precision == 2].max() < 15.0 + 10.0 + 0.1
        assert off[precision == 2].median() > 2.0


def test_tolls_are_noisy_but_close(
    ged: pd.DataFrame, acled: pd.DataFrame, truth: pd.DataFrame, truth_events: TrueEvents
) -> None:
    g = with_truth(ged, truth, "ucdp", "id")
    true_g = truth_events.deaths[g.truth_id.to_numpy() - 1]
    best = g.best.astype(int).to_numpy()
    assert 0.1 < (best != true_g).mean() <= synth_world.UCDP_DEATHS_OFF
    assert (g.low.astype(int) <= g.best.astype(int)).all()
    assert (g.best.astype(int) <= g.high.astype(int)).all()
    a = with_truth(acled, truth, "acled", "event_id_cnty")
    reported = a.groupby("truth_id").fatalities.apply(lambda f: f.astype(int).sum())
    true_a = truth_events.deaths[reported.index.to_numpy() - 1]
    assert 0.05 < (reported.to_numpy() != true_a).mean() <= synth_world.ACLED_FATALITIES_OFF
    assert ((reported.to_numpy() == 0) == (true_a == 0)).all()


# --- command line ---------------------------------------------------------------------------------


def test_synth_one_world_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "rivalscope.cli", "synth", "--one-world"),
            *("--events", "300", "--out", str(tmp_path), "--seed", "5", "--json"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        check=True,
        timeout=120,
    )
    printed = json.loads(done.stdout)
    assert printed["synthetic"] is True and printed["events"] == 300
    expected = generate_world(tmp_path / "direct", 300, seed=5)
    for name in ("ged_csv", "acled_csv", "truth_csv"):
        assert Path(printed[name]).read_bytes() == getattr(expected, name).read_bytes()
    assert (printed["ged_rows"], printed["acled_rows"]) == (
        expected.ged_rows,
        expected.acled_rows,
    )
