"""Analyses of a dyad, one module per question; :func:`profile` runs them all.

Each module builds Ibis expressions over the store's tables (no backend-specific SQL), so the
same analysis runs wherever the store lives.
"""

from rivalscope.analysis.context import Dyad, Phase, default_phases, load_phases

__all__ = ["Dyad", "Phase", "default_phases", "load_phases"]
