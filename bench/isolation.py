"""What running each plan's engine in a forked child costs (issue 10: crash containment).

    python bench/isolation.py                 # sizes ~200 and ~2,000 entities, 40 rounds each
    python bench/isolation.py --sizes 200 --rounds 100

For each generated plan (the `defects` flavour, so that checks fire and matches travel back
through the pipe) it prints, best of N and median:
- single plan: a fresh engine's first run in-process (what a one-plan CLI run paid before) vs a
  forked child's run (what it pays now);
- batch: one engine auditing the plan again and again in-process (each run first retracts the
  previous plan's facts) vs a fork per plan;
and the per-entity cost and the ratio isolated / in-process.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from strataudit.audit import Auditor
from strataudit.facts import build_facts
from strataudit.loader import load_plan
from strataudit.rulefile import load_ruleset


def timings(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(best, median) wall-clock seconds of `rounds` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def measure(size: int, ruleset: Any, rounds: int) -> None:
    """Print the single-plan and batch rows for one generated plan size."""
    generated = generate(size, "defects")
    loaded = load_plan(None, "bench.yaml", generated.yaml_text())
    facts = build_facts(loaded.plan).for_engine()
    batch_engine = Auditor(ruleset).engine
    forked_engine = Auditor(ruleset).engine
    rows = (
        (
            "single",
            timings(lambda: Auditor(ruleset).engine.run(facts), rounds),
            timings(lambda: Auditor(ruleset).engine.run_isolated(facts), rounds),
        ),
        (
            "batch",
            timings(lambda: batch_engine.run(facts), rounds),
            timings(lambda: forked_engine.run_isolated(facts), rounds),
        ),
    )
    for scenario, (in_best, in_med), (fork_best, fork_med) in rows:
        print(
            f"{generated.entities:>8} | {scenario:<7} | {in_best * 1e3:6.1f} ({in_med * 1e3:5.1f})"
            f" | {fork_best * 1e3:4.1f} ({fork_med * 1e3:4.1f}) | {fork_best / in_best:5.2f} | "
            f"{fork_best * 1e6 / generated.entities:16.1f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()
    ruleset = load_ruleset()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
    )
    header = (
        f"{'entities':>8} | {'scenario':<7} | {'in-process ms':>14} | "
        f"{'forked ms':>10} | {'ratio':>5} | {'forked µs/entity':>16}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        measure(size, ruleset, args.rounds)
    print("(best of N, median in brackets; the single-plan rows include building the engine)")


if __name__ == "__main__":
    main()
