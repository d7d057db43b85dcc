"""Who is who on the real UCDP GED 21.1 world file: every government is a state, and the most
frequent actors are all registered. The expectations are computed with pandas from the file
itself, apart from the library."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import rivalscope as rs
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

WORLD = "ucdp_ged211_world_precise.csv"
TALIBAN_RULE = (
    (dt.date(1996, 9, 27), dt.date(2001, 12, 22)),
    (dt.date(2021, 8, 15), dt.date.max),
)
"""When Kabul was the Taliban's: then ``Government of Afghanistan`` is the Taliban."""


@pytest.fixture(scope="module")
def sides() -> pd.DataFrame:
    """Every actor name of the file with its country and day, a side listing several
    governments (``Government of A, Government of B``) split into its governments."""
    path = shared_file(WORLD)
    frame = pd.read_csv(path, usecols=["id", "side_a", "side_b", "date_start"], dtype=str)
    long = frame.melt(id_vars=["id", "date_start"], value_vars=["side_a", "side_b"])
    long["name"] = long["value"].str.split(r", (?=Government of )", regex=True)
    long = long.explode("name")
    long["date"] = pd.to_datetime(long["date_start"].str[:10]).dt.date
    return long[["id", "variable", "name", "date"]]


@pytest.fixture(scope="module")
def world() -> rs.Store:
    store = rs.open()
    result = store.ingest_ucdp(shared_file(WORLD))
    assert result.rows_quarantined == 0
    return store


def resolved(world: rs.Store) -> pd.DataFrame:
    """Each stored side's raw name, day and actor, with the actor's kind and registration."""
    return world.query(
        """SELECT e.actor1_raw AS name, e.date_start AS date, a.actor_id, a.kind, a.registered
           FROM events e JOIN actors a ON a.actor_id = e.actor1
           UNION ALL
           SELECT e.actor2_raw, e.date_start, a.actor_id, a.kind, a.registered
           FROM events e JOIN actors a ON a.actor_id = e.actor2"""
    ).to_pandas()


def test_every_government_is_a_state(sides: pd.DataFrame, world: rs.Store) -> None:
    governments = set(sides.loc[sides["name"].str.startswith("Government of "), "name"])
    assert len(governments) > 90
    stored = resolved(world)
    stored = stored[stored["name"].isin(governments)]
    assert set(stored["name"]) == governments, "every government is a side of some event"

    def taliban_rules(row: pd.Series) -> bool:
        return row["name"] == "Government of Afghanistan" and any(
            start <= row["date"] < end for start, end in TALIBAN_RULE
        )

    taliban = stored.apply(taliban_rules, axis=1)
    assert set(stored.loc[taliban, "actor_id"]) <= {"TALIBAN"}
    not_states = stored[~taliban & (stored["kind"] != "state")]
    assert not_states.empty, not_states.drop_duplicates("name").head(10).to_string()

    allies = world.query(
        """SELECT a.kind, count(*) AS n FROM (
             SELECT unnest(assoc_actors) AS actor_id FROM events UNION ALL
             SELECT unnest(assoc_actors2) FROM events) x
           JOIN actors a USING (actor_id) GROUP BY a.kind"""
    ).to_pylist()
    listed_allies = len(sides) - len(sides[["id", "variable"]].drop_duplicates())
    assert {row["kind"] for row in allies} == {"state"}
    assert sum(row["n"] for row in allies) == listed_allies


def test_the_most_frequent_actors_are_registered(sides: pd.DataFrame, world: rs.Store) -> None:
    top = sides["name"].value_counts().head(20).index.tolist()
    stored = resolved(world)
    stored = stored[stored["name"].isin(top)]
    assert set(stored["name"]) == set(top)
    unregistered = sorted(set(stored.loc[~stored["registered"], "name"]))
    assert unregistered == []
    listed = {row["name"] for row in world.info()["unregistered_actors"]}
    assert not listed & set(top)
    assert not any(name.startswith("Government of ") for name in listed)
