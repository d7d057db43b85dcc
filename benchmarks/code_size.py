"""Benchmark: the text coder's time per megabyte as one passage grows from 10 KB to 10 MB.

Each passage is built by repeating realistic report text: the 227 invented reports of the gold
set (``tests/data/coder_gold.jsonl``: wire reports, field notes, claims, defections, negatives)
joined by blank lines, cut to the size wanted. Each size is coded as ONE passage with
:meth:`rivalscope.coding.Coder.code` (no size limit), in this one process. Time is CPU seconds
of this process (``time.process_time``); each size runs until ``--min-seconds`` have been spent
on it (and at least ``--repeat`` times) and its fastest run counts, as ``timeit`` does.

The baseline, measured in the same run, is the smallest passage (10 KB, a long report): its
seconds per MB. The figure that matters is the ratio largest / smallest seconds per MB: about 1
when coding time grows linearly with the passage, and growing with the size when it does not
(before the fix, one event told over 1 MB took 15.7 s against 0.33 s for 100 KB). Goal: at most 2.

    .venv/bin/python benchmarks/code_size.py [--sizes 10000,100000,1000000,10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rivalscope.coding import Coder

GOAL = 2.0
GOLD = Path(__file__).resolve().parents[1] / "tests" / "data" / "coder_gold.jsonl"


def report_text(size: int) -> str:
    """``size`` characters of gold-set reports, repeated, separated by blank lines."""
    with GOLD.open(encoding="utf-8") as lines:
        unit = "\n\n".join(json.loads(line)["text"] for line in lines if line.strip()) + "\n\n"
    return (unit * (size // len(unit) + 1))[:size]


def seconds(coder: Coder, text: str, repeat: int, min_seconds: float) -> tuple[float, int, int]:
    """Fastest CPU seconds of coding ``text`` as one passage; the records and runs."""
    best = float("inf")
    runs = 0
    records = 0
    spent = 0.0
    while runs < repeat or spent < min_seconds:
        start = time.process_time()
        records = len(coder.code(text, dt.date(2021, 10, 8), max_chars=None))
        took = time.process_time() - start
        best = min(best, took)
        spent += took
        runs += 1
    return best, records, runs


def main() -> None:
    # benchmarks/profile.py would shadow the standard library's profile module, which spaCy
    # imports: drop this folder from the import path before spaCy loads.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from rivalscope.coding import Coder  # after the path is fixed

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs at least; fastest counts")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="CPU seconds per size")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    coder = Coder()
    coder.code(report_text(sizes[0]), dt.date(2021, 10, 8))  # warm caches (dateparser, spaCy)

    rates: list[float] = []
    print(f"passages: gold-set reports ({GOLD.name}) repeated, one passage per size")
    for size in sizes:
        text = report_text(size)
        best, records, runs = seconds(coder, text, args.repeat, args.min_seconds)
        rate = best / (len(text.encode("utf-8")) / 1e6)
        rates.append(rate)
        print(
            f"{size:>12,} chars: {best:8.3f} s CPU (best of {runs}), {records:>7,} records, "
            f"{rate:6.2f} s/MB"
        )
    ratio = rates[-1] / rates[0]
    print(
        f"baseline (smallest passage, {sizes[0]:,} chars): {rates[0]:.2f} s/MB; largest "
        f"({sizes[-1]:,} chars): {rates[-1]:.2f} s/MB"
    )
    print(f"ratio largest / smallest seconds per MB: {ratio:.2f} (linear: about 1)")
    verdict = "PASS" if ratio <= GOAL else "MISS"
    print(f"{verdict}: ratio {ratio:.2f} against the goal of at most {GOAL:g}")


if __name__ == "__main__":
    main()
