"""The coder against the gold set in tests/data/coder_gold.jsonl (written by the developers).

The held-out parts were written after the coder was frozen and scored once; those figures are in
docs/coding.md. These tests keep the whole set, the dev part and the first held-out part above
the goals of issue 4 (the first held-out part has since informed fixes; the second, smaller one
is reported, not asserted, since its 15 events are too few to hold a threshold to).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rivalscope.coding import Coder
from rivalscope.coding.evaluate import TARGETS, GoldPassage, evaluate, load_gold

GOLD = Path(__file__).resolve().parents[1] / "data" / "coder_gold.jsonl"


@pytest.fixture(scope="module")
def gold() -> list[GoldPassage]:
    return load_gold(GOLD)


def test_the_gold_set_is_large_and_varied(gold: list[GoldPassage]) -> None:
    assert len(gold) >= 150
    assert len({g.id for g in gold}) == len(gold)
    splits = Counter(g.split for g in gold)
    assert splits["holdout"] >= 50 and splits["holdout2"] >= 20
    styles = Counter(g.style for g in gold)
    for style in (
        "wire",
        "local_press",
        "field_note",
        "claim",
        "defection",
        "prison_break",
        "state_operation",
        "negative",
    ):
        assert styles[style] >= 2, style
    negatives = sum(not g.events for g in gold)
    assert 0.2 <= negatives / len(gold) <= 0.35


@pytest.mark.parametrize("split", [None, "dev", "holdout"])
def test_targets(coder: Coder, gold: list[GoldPassage], split: str | None) -> None:
    result = evaluate(coder, gold, split=split)
    assert result.met() == dict.fromkeys(TARGETS, True), result.headline()
