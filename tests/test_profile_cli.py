"""`rivalscope profile` as users run it, on SYNTHETIC data and on the real UCDP rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rivalscope as rs
from rivalscope.analysis.profile import SECTIONS
from rivalscope.synth import SynthFiles
from tests.conftest import shared_file
from tests.test_cli import run


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory: pytest.TempPathFactory, synth_files: SynthFiles) -> Path:
    path = tmp_path_factory.mktemp("profile") / "p.duckdb"
    with rs.open(path) as store:
        store.ingest_ucdp(synth_files.ged_csv)
        store.ingest_acled(synth_files.acled_csv)
    return path


def test_profile_json_has_every_section(synth_db: Path) -> None:
    printed = json.loads(
        run(
            "profile", "ISIS-K", "Taliban", "--db", str(synth_db), "--country", "AFG", "--json"
        ).stdout
    )
    assert list(printed) == [
        "dyad",
        "source",
        "synthetic",
        "sources",
        "warnings",
        *SECTIONS,
        "triangulation",
        "citations",
        "names",
    ]
    assert printed["names"]["ISKP"] == printed["dyad"]["actor_name"]
    assert printed["synthetic"] is True, "the synthetic files mark every record"
    assert printed["source"] == "fused", "UCDP and ACLED both hold events in AFG"
    assert [s["source"] for s in printed["sources"]] == ["acled", "ucdp"]
    for name in SECTIONS:
        assert printed[name]["summary"].strip(), name
    spread = printed["spread"]
    assert spread["provinces_total"] == 34
    assert spread["provinces_clashed"] == len(spread["provinces"])
    assert sum(p["clashes"] for p in spread["provinces"]) == sum(
        y["clashes"] for y in printed["timeline"]["yearly"]
    )


def test_profile_human_summary_and_html(synth_db: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    done = run(
        "profile",
        "ISKP",
        "TALIBAN",
        "--db",
        str(synth_db),
        "--html",
        str(report),
        "--since",
        "2017-01-01",
        "--until",
        "2019-12-31",
    )
    assert done.stdout == ""
    named = "Islamic State Khorasan Province vs Taliban (ISKP vs TALIBAN)\n"
    assert named in done.stderr, "the dyad by its display names, the ids beside them"
    assert done.stderr.index(named) < done.stderr.index("source: ")
    assert "source: fused (acled" in done.stderr
    for name in SECTIONS:
        assert f"{name}:" in done.stderr
    assert report.exists() and report.stat().st_size > 1_000_000  # plotly.js is inlined


def test_profile_phases_file_and_redact(synth_db: Path, tmp_path: Path) -> None:
    phases = tmp_path / "p.toml"
    phases.write_text(
        '[[phase]]\nname = "early"\nstart = "2015-01-01"\nend = "2019-01-01"\n'
        '[[phase]]\nname = "late"\nstart = "2019-01-01"\n',
        encoding="utf-8",
    )
    printed = json.loads(
        run(
            "profile",
            "ISKP",
            "TALIBAN",
            "--db",
            str(synth_db),
            "--phases",
            str(phases),
            "--json",
            "--redact",
        ).stdout
    )
    assert [p["phase"] for p in printed["phases"]["periods"]] == ["early", "late"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[phase]]\nname = "x"\nstart = "2019-02-31"\n', encoding="utf-8")
    done = run(
        "profile", "ISKP", "TALIBAN", "--db", str(synth_db), "--phases", str(bad), check=False
    )
    assert done.returncode == 2 and "phase #1" in done.stderr


def test_redacted_names_are_stable_pseudonyms(tmp_path: Path) -> None:
    defections = tmp_path / "d.csv"
    defections.write_text(
        "date,from_actor,to_actor,person,admin1\n2016-01-01,Taliban,ISKP,Mullah A,Nangarhar\n"
        "2016-02-01,Taliban,ISKP,Mullah A,Kunar\n2016-03-01,Taliban,ISKP,Commander B,Kunar\n",
        encoding="utf-8",
    )
    with rs.open(tmp_path / "s.duckdb") as store:
        store.ingest_defections(defections)
    first = json.loads(
        run(
            "profile", "ISKP", "TALIBAN", "--db", str(tmp_path / "s.duckdb"), "--json", "--redact"
        ).stdout
    )
    again = json.loads(
        run(
            "profile", "ISKP", "TALIBAN", "--db", str(tmp_path / "s.duckdb"), "--json", "--redact"
        ).stdout
    )
    people = [r["person"] for r in first["defections"]["records"]]
    assert people == [r["person"] for r in again["defections"]["records"]]
    assert people[0] == people[1] != people[2]
    assert all(p.startswith("Person-") for p in people)
    plain = json.loads(
        run("profile", "ISKP", "TALIBAN", "--db", str(tmp_path / "s.duckdb"), "--json").stdout
    )
    assert [r["person"] for r in plain["defections"]["records"]] == [
        "Mullah A",
        "Mullah A",
        "Commander B",
    ]


@pytest.mark.realdata
def test_profile_json_on_real_data(tmp_path: Path) -> None:
    db = tmp_path / "afg.duckdb"
    run("ingest", "ucdp", str(shared_file("ucdp_ged211_afghanistan.csv")), "--db", str(db))
    printed = json.loads(
        run("profile", "ISKP", "TALIBAN", "--db", str(db), "--country", "AFG", "--json").stdout
    )
    spread = printed["spread"]
    assert {p["code"]: p["clashes"] for p in spread["provinces"]} == {
        "AF-NAN": 49,
        "AF-JOW": 10,
        "AF-SAR": 3,
        "AF-GHO": 3,
        "AF-LOG": 2,
        "AF-ZAB": 1,
        "AF-KNR": 1,
        "AF-URU": 1,
        "AF-BDS": 1,
    }
    assert (spread["provinces_clashed"], spread["provinces_total"]) == (9, 34)
    assert spread["share"] == pytest.approx(9 / 34)
    yearly = {y["year"]: y["clashes"] for y in printed["timeline"]["yearly"] if y["clashes"]}
    assert yearly == {2015: 15, 2016: 17, 2017: 27, 2018: 11, 2019: 1}
    assert sum(y["clash_deaths"] for y in printed["timeline"]["yearly"]) == 538
