"""Redaction of names of individuals in every output: the profile's JSON and HTML, the review
list and the Parquet export (the served outputs: tests/server/test_redaction_api.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rivalscope as rs
from rivalscope.redact import Redactor, pseudonym, store_secret
from rivalscope.synth import SynthFiles
from tests.test_cli import run

RECORDED = "Abdul Rahim Muslimdost"
"""A defector recorded in ``defections.person``, named without a title in notes too."""
IN_NOTES = "Qasim Zarifi"
"""Named only in a defection's notes, after a title."""
IN_PASSAGE = "Jalil Baheer"
"""Named only in a coded passage under review, after a title."""
IN_QUARANTINE = "Gul Agha Sherzai"
"""Named only in a quarantined defection row."""
IN_EVENT = "Dadullah Kakarzai"
"""Named only in a clash's notes, after a title."""
NAMES = (RECORDED, IN_NOTES, IN_PASSAGE, IN_QUARANTINE, IN_EVENT)
PASSAGE = f"Commander {IN_PASSAGE} and 40 ISKP fighters joined the Taliban in Kunar."
PSEUDONYM = re.compile(r"Person-[A-Z2-7]{8}")


def assert_no_names(text: str | bytes, where: str) -> None:
    """None of the seeded names, nor their last words, appears in ``text``."""
    found = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    for name in NAMES:
        for word in (name, name.split()[-1]):
            assert word.casefold() not in found.casefold(), f"{word!r} in {where}"


def seed(path: Path, synth_files: SynthFiles) -> Path:
    """A SYNTHETIC store with the seeded names in each place a name can hide."""
    defections = path.parent / "named-defections.csv"
    defections.write_text(
        "date,from_actor,to_actor,person,role,fighters,admin1,notes\n"
        f"2018-01-10,Taliban,ISKP,{RECORDED},commander,40,Nangarhar,"
        f"{RECORDED} left with Mawlawi {IN_NOTES}\n"
        f"2018-02-11,ISKP,Taliban,,fighter,3,Kunar,seen with {RECORDED.upper()}\n"
        f"not-a-date,Taliban,ISKP,{IN_QUARANTINE},commander,9,Kunar,\n",
        encoding="utf-8",
    )
    with rs.open(path) as store:
        store.ingest_ucdp(synth_files.ged_csv)
        assert store.ingest_defections(defections).rows_quarantined == 1
        clash = pa.table(
            {
                "event_id": ["named:1"],
                "date_start": [dt.date(2019, 6, 3)],
                "event_type": ["clash"],
                "actor1": ["ISKP"],
                "actor2": ["TALIBAN"],
                "country_iso3": ["AFG"],
                "admin1_code": ["AF-NAN"],
                "fatalities_best": [900],
                "notes": [f"Mullah {IN_EVENT} killed in the fighting"],
            }
        )
        store.write_rows("events", clash, source="notes")
        coded = pa.table(
            {
                "defection_id": ["text:named"],
                "date": [dt.date(2019, 7, 1)],
                "role": ["commander"],
                "fighters": [40],
                "from_actor": ["ISKP"],
                "to_actor": ["TALIBAN"],
                "country_iso3": ["AFG"],
                "admin1_code": ["AF-KNR"],
                "notes": ["coded from text (input)"],
            }
        )
        end = PASSAGE.index(" joined")
        evidence = {"role": [0, 9], "fighters": [PASSAGE.index("40"), end], "who": [10, 22]}
        details = pa.table(
            {
                "item_id": ["text:named"],
                "confidence": [0.8],
                "passage": [PASSAGE],
                "evidence": [json.dumps(evidence)],
            }
        )
        store.write_rows(
            "defections", coded, source="text", for_review=True, review_details=details
        )
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, synth_files: SynthFiles) -> Path:
    return seed(tmp_path_factory.mktemp("redaction") / "named.duckdb", synth_files)


def test_names_are_found_in_text_and_pseudonyms_are_stable() -> None:
    r = Redactor(b"secret", (RECORDED,))
    text = r.text(f"Mawlawi {RECORDED} met commander {IN_NOTES} and ISKP Commander of Kunar.")
    assert text is not None
    assert_no_names(text, "text")
    assert text.startswith(f"Mawlawi {pseudonym(RECORDED, b'secret')} met commander ")
    assert text.endswith("and ISKP Commander of Kunar."), "no name follows: nothing replaced"
    assert pseudonym(f"Mawlawi  {RECORDED}", b"secret") == pseudonym(RECORDED.lower(), b"secret")
    assert pseudonym(RECORDED, b"secret") != pseudonym(RECORDED, b"other")
    assert r.text(f"{RECORDED.upper()} again") == r.text(f"{RECORDED} again")


def test_evidence_spans_follow_the_redacted_passage() -> None:
    r = Redactor(b"secret")
    evidence = json.dumps({"role": [0, 9], "who": [10, 22], "fighters": [27, 29]})
    passage, moved = r.passage(PASSAGE, evidence)
    assert passage is not None and moved is not None
    spans = json.loads(moved)
    assert passage[spans["role"][0] : spans["role"][1]] == "Commander"
    assert PSEUDONYM.fullmatch(passage[spans["who"][0] : spans["who"][1]])
    assert passage[spans["fighters"][0] : spans["fighters"][1]] == "40"


def test_raw_rows_lose_person_fields_and_names() -> None:
    r = Redactor(b"secret")
    raw = json.dumps({"person": IN_QUARANTINE, "notes": f"with Qari {IN_NOTES}", "n": 3})
    cleaned = r.raw_row(raw)
    assert cleaned is not None
    assert_no_names(cleaned, "raw row")
    assert json.loads(cleaned)["person"] == pseudonym(IN_QUARANTINE, b"secret")
    assert json.loads(cleaned)["n"] == 3


def _profile_json(db: Path) -> str:
    return run("profile", "ISKP", "TALIBAN", "--db", str(db), "--json", "--redact").stdout


def test_profile_json_and_html(seeded: Path, tmp_path: Path) -> None:
    plain = run("profile", "ISKP", "TALIBAN", "--db", str(seeded), "--json").stdout
    assert RECORDED in plain and IN_NOTES in plain, "the seeds reach the unredacted profile"
    first, again = _profile_json(seeded), _profile_json(seeded)
    assert_no_names(first, "profile --json --redact")
    assert first == again, "stable pseudonyms"
    with rs.open(seeded, read_only=True) as store:
        secret = store_secret(store)
    records = json.loads(first)["defections"]["records"]
    assert pseudonym(RECORDED, secret) in [r["person"] for r in records]
    assert any(pseudonym(IN_NOTES, secret) in (r["notes"] or "") for r in records)
    for source in ("fused", "notes"):
        html, unredacted = tmp_path / f"{source}.html", tmp_path / f"{source}-plain.html"
        args = ("profile", "ISKP", "TALIBAN", "--db", str(seeded), "--source", source)
        run(*args, "--html", str(html), "--redact")
        assert_no_names(html.read_text("utf-8"), f"report --redact --source {source}")
        run(*args, "--html", str(unredacted))
        if source == "notes":
            assert IN_EVENT in unredacted.read_text("utf-8"), "the clash's notes are shown"


def test_review_list(seeded: Path) -> None:
    plain = run("review", "--db", str(seeded), "--json").stdout
    assert IN_PASSAGE in plain
    shown = run("review", "--db", str(seeded), "--json", "--redact").stdout
    assert_no_names(shown, "review --redact")
    item = json.loads(shown)["items"][0]
    (start, end) = json.loads(item["evidence"])["who"]
    assert PSEUDONYM.fullmatch(item["passage"][start:end])
    assert_no_names(run("review", "--db", str(seeded), "--redact").stdout, "review list")


def test_parquet_export(seeded: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    run("export", "--parquet", str(plain), "--db", str(seeded))
    everything = b"".join(
        pq.read_table(p).to_pandas().to_csv().encode() for p in plain.rglob("*.parquet")
    )
    for name in NAMES:
        assert name.encode() in everything, f"{name} is exported in clear without --redact"
    redacted = tmp_path / "redacted"
    run("export", "--parquet", str(redacted), "--db", str(seeded), "--redact")
    files = sorted(redacted.rglob("*.parquet"))
    assert {p.name for p in files} >= {"defections.parquet", "quarantine.parquet"}
    for path in files:
        assert_no_names(path.read_bytes(), f"bytes of {path.name}")
        assert_no_names(pq.read_table(path).to_pandas().to_csv(), str(path))
    people = pq.read_table(redacted / "defections.parquet").column("person").to_pylist()
    with rs.open(seeded, read_only=True) as store:
        assert pseudonym(RECORDED, store_secret(store)) in people
    again = tmp_path / "again"
    run("export", "--parquet", str(again), "--db", str(seeded), "--redact", "--json")
    assert pq.read_table(again / "defections.parquet").column("person").to_pylist() == people
