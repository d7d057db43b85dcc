"""Small worlds for fast simulator tests."""

from __future__ import annotations

from pathlib import Path

from rivalscope.simulate.model import Population

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

SMALL = Population(scale=50)
"""The default world at 50 people per agent: about 3,300 agents."""
