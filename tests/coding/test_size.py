"""Long passages: coding work grows linearly with the text, and past the limit a clear error.

The work is counted, never timed: each place the coder used to rescan the sentences (or place
mentions) of the whole report for every event is wrapped, and what it is handed is summed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rivalscope.cli import app
from rivalscope.cli.coding import MAX_CHARS
from rivalscope.coding import Coder, Passage
from rivalscope.coding.coder import MAX_PASSAGE_CHARS, PassageTooLong

GOLD = Path(__file__).resolve().parents[1] / "data" / "coder_gold.jsonl"
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
# One event told in one sentence: repeated, every copy continues the same event (same province,
# no day named), so the event grows to the whole passage.
SAME_EVENT = (
    "2019-06-30, Kabul: Taliban car bomb near Ministry of Defence logistics compound; 6 killed "
    "incl. 4 civilians, over 100 wounded. "
)


def _gold_text() -> str:
    with GOLD.open(encoding="utf-8") as lines:
        return "\n\n".join(json.loads(line)["text"] for line in lines if line.strip()) + "\n\n"


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


class _Work:
    """Sums what the formerly quadratic steps are handed; fails as soon as it passes a bound."""

    def __init__(self) -> None:
        self.sentences = 0
        self.visits = 0

    def bound(self) -> int:
        return 4 * self.sentences + 1000

    def add(self, count: int) -> None:
        self.visits += count
        assert self.visits <= self.bound(), (self.visits, self.sentences)


def _counted(monkeypatch: pytest.MonkeyPatch, coder: Coder) -> _Work:
    work = _Work()
    sentences = coder.patterns.sentences
    provinces = Coder._provinces_named
    choose = Coder._choose_place
    fold = Coder._fold_report_place

    def count_sentences(*args: Any) -> Any:
        found = sentences(*args)
        work.sentences += len(found)
        return found

    def count_provinces(self: Coder, given: Iterable[Any]) -> set[str]:
        given = list(given)
        work.add(len(given))
        return provinces(self, given)

    def count_choose(self: Coder, mentions: list[Any], **options: Any) -> Any:
        work.add(len(mentions))
        return choose(self, mentions, **options)

    def count_fold(self: Coder, *args: Any) -> None:
        work.add(1)
        fold(self, *args)

    wrappers: dict[str, Callable[..., Any]] = {
        "_provinces_named": count_provinces,
        "_choose_place": count_choose,
        "_fold_report_place": count_fold,
    }
    monkeypatch.setattr(coder.patterns, "sentences", count_sentences)
    for name, wrapper in wrappers.items():
        monkeypatch.setattr(Coder, name, wrapper)
    return work


@pytest.mark.parametrize("unit", ["gold", "same event"])
def test_a_2mb_passage_costs_linear_work(
    coder: Coder, monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    text = _repeat(_gold_text() if unit == "gold" else SAME_EVENT, MAX_PASSAGE_CHARS)
    work = _counted(monkeypatch, coder)
    records = coder.code(text)
    assert work.sentences > 10_000
    assert work.visits <= work.bound()
    if unit == "same event":
        # one long event; before the fix each sentence rescanned all those before it
        assert len(records) == 1
        assert records[0].fatalities == 6
    else:
        assert len(records) > 9_000


def test_a_long_event_codes_like_a_short_one(coder: Coder) -> None:
    """The same sentence 3 or 3,000 times: the same one event (the spans of the counts reach
    the last sentence that repeats them)."""
    [short] = coder.code(SAME_EVENT * 3)
    [long] = coder.code(SAME_EVENT * 3000)
    skip = {"id", "span", "evidence"}
    assert {k: v for k, v in short.to_dict().items() if k not in skip} == {
        k: v for k, v in long.to_dict().items() if k not in skip
    }
    assert {k: s for k, (s, _) in short.evidence.items()} == {
        k: s for k, (s, _) in long.evidence.items()
    }


def test_a_passage_over_the_limit_is_refused_with_its_name(coder: Coder) -> None:
    with pytest.raises(PassageTooLong) as raised:
        coder.code("x" * (MAX_PASSAGE_CHARS + 1))
    assert f"passage: {MAX_PASSAGE_CHARS + 1:,} characters" in str(raised.value)
    assert f"over the limit of {MAX_PASSAGE_CHARS:,} characters per passage" in str(raised.value)
    small = Passage("Gunmen shot dead a cleric in Kabul on Monday.", file="feed.csv", row=3)
    with pytest.raises(PassageTooLong, match=r"^feed\.csv: row 3: 45 characters, over the limit"):
        list(coder.code_passages([Passage("ok"), small], max_chars=40))
    assert coder.code(small.text, max_chars=None)
    assert MAX_CHARS == MAX_PASSAGE_CHARS


def test_cli_refuses_an_oversized_passage_before_coding(tmp_path: Path) -> None:
    report = tmp_path / "corpus.txt"
    report.write_text(
        "Gunmen shot dead a cleric in Kabul on Monday.\n\nTaliban fighters attacked a police "
        "checkpoint in Achin district of Nangarhar province.\n",
        encoding="utf-8",
    )
    out = tmp_path / "coded.jsonl"
    runner = CliRunner()
    refused = runner.invoke(
        app, ["code", str(report), "--max-chars", "60", "--out", str(out)], env=ENV
    )
    assert refused.exit_code == 2
    size = len(report.read_text(encoding="utf-8").strip())
    assert f"{report}: {size} characters, over the limit of 60 characters per passage" in (
        refused.output
    )
    assert "--split paragraph" in refused.output and "--max-chars" in refused.output
    assert not out.exists()
    split = runner.invoke(
        app,
        ["code", str(report), "--max-chars", "100", "--split", "paragraph", "--out", str(out)],
        env=ENV,
    )
    assert split.exit_code == 0, split.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    unlimited = runner.invoke(app, ["code", str(report), "--max-chars", "0"], env=ENV)
    assert unlimited.exit_code == 0, unlimited.output
