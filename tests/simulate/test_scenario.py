"""Scenario files: the shipped ones load, and every mistake is named by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from rivalscope.errors import InputError
from rivalscope.simulate.model import PROVINCES, Params, Policy
from rivalscope.simulate.scenario import load_scenario, province_code
from tests.simulate.conftest import SCENARIOS


def test_shipped_scenarios_load() -> None:
    files = sorted(SCENARIOS.glob("*.toml"))
    assert {f.stem for f in files} >= {
        "baseline",
        "cooperation-high",
        "cooperation-low",
        "intelligence-leaks",
        "no-partners",
        "prison-break",
    }
    for path in files:
        scenario = load_scenario(path)
        assert scenario.name == path.stem
        assert scenario.description
        assert scenario.months == 60


def test_scenario_values() -> None:
    high = load_scenario(SCENARIOS / "cooperation-high.toml")
    assert high.policy.cooperation == 0.8
    none = load_scenario(SCENARIOS / "no-partners.toml")
    assert none.policy.strike_tempo == 0.0 and none.policy.cooperation == 0.0
    crackdown = dict(zip(PROVINCES, none.policy.crackdown, strict=True))
    assert crackdown["AF-NAN"] == 1.0 and crackdown["AF-KNR"] == 1.0
    assert crackdown["AF-KAB"] == 0.9 and crackdown["AF-HEL"] == 0.7
    breaks = load_scenario(SCENARIOS / "prison-break.toml").policy.prison_breaks
    assert [(b.province, b.month, b.fighters) for b in breaks] == [
        ("AF-PAR", 3, 1000),
        ("AF-KAB", 3, 500),
    ]


def test_defaults_when_keys_are_absent(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "empty"
    assert scenario.policy == Policy() and scenario.params == Params()
    assert scenario.months is None and scenario.posterior is None


def test_posterior_path_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "s.toml"
    path.write_text('posterior = "../post.json"\nstart = "2023-06"\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.posterior == tmp_path / "sub" / ".." / "post.json"
    assert scenario.start.isoformat() == "2023-06-01"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[taliban]\ncooperaton = 0.5\n", "taliban.cooperaton", "did you mean 'cooperation'"),
        ("[taliban]\ncooperation = 1.5\n", "taliban.cooperation", "not in [0.0, 1.0]"),
        ('[taliban]\nconcession = "high"\n', "taliban.concession", "is not a number"),
        ("[taliban.crackdown_by_province]\nAtlantis = 0.5\n", "Atlantis", "34 provinces"),
        ("[us]\nerror_rate = -0.1\n", "us.error_rate", "not in"),
        ("[us]\nstrike_tempo = true\n", "us.strike_tempo", "is not a number"),
        ("[iskp]\nrecruitment = -1\n", "iskp.recruitment", "-1 is below 0.0"),
        ("[[iskp.prison_break]]\nprovince = \"Parwan\"\nmonth = 3\n",
         "iskp.prison_break[1].fighters", "is required"),
        ("[[iskp.prison_break]]\nprovince = \"Parwan\"\nmonth = 1.5\nfighters = 10\n",
         "iskp.prison_break[1].month", "whole number"),
        ("[population]\nscale = 0\n", "population.scale", "0 is below 1"),
        ("[population]\ntaliban = 10.5\n", "population.taliban", "whole number"),
        ("[parameters]\nclash_rate = -1\n", "parameters.clash_rate", "is below"),
        ("[parameters]\ndefect_base = 0\n", "parameters.defect_base", "above 0"),
        ("[parameters]\nclash_rat = 1\n", "parameters.clash_rat", "did you mean 'clash_rate'"),
        ("months = 0\n", "months", "0 is not in [1, 1200]"),
        ('start = "someday"\n', "start", "YYYY-MM-DD"),
        ("colour = 1\n", "colour", "unknown key"),
        ("taliban = 3\n", "taliban", "must be a table"),
    ],
)  # fmt: skip
def test_errors_name_file_and_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert key in message and problem in message, message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such scenario file"):
        load_scenario(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[taliban\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenario(broken)


def test_province_spellings() -> None:
    assert province_code("Nangarhar") == province_code("AF-NAN") == "AF-NAN"
    assert province_code("Maidan Wardak") == "AF-WAR"
    assert province_code("Paris") is None
