"""The fuzz test's properties, run much longer than CI runs them: before a release.

    .venv/bin/python bench/fuzz.py                   # ~20,000 plans, a fresh random seed
    .venv/bin/python bench/fuzz.py --plans 2000      # a shorter run
    .venv/bin/python bench/fuzz.py --seed 1234       # the run that seed made, again
    .venv/bin/python bench/fuzz.py --known           # generate the inputs of open bugs too
    .venv/bin/python bench/fuzz.py -k notation       # only the properties whose name has this

The properties are those of tests/fuzz/ (test_pipeline, test_invariance, test_console_script),
each run with its CI example count scaled so the whole run audits about `--plans` plans. CI is
derandomized (the same cases every run); here the seed is random unless given, and printed, so a
failure can be replayed. A failing property prints Hypothesis's smallest falsifying example; the
run goes on with the next property and exits 1 at the end. Make each failure a regression case
under tests/fuzz/regressions/ (see tests/fuzz/test_regressions.py).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"
MODULES = ("test_pipeline", "test_invariance", "test_console_script")
CI_PLANS = 1800  # about how many plans one CI run audits (as this script counts them)


def _properties(select: str | None) -> list[tuple[str, Callable[[], None]]]:
    import importlib

    found = []
    for name in MODULES:
        module = importlib.import_module(f"fuzz.{name}")
        for attr, value in vars(module).items():
            wanted = select is None or select in attr
            if attr.startswith("test_") and hasattr(value, "hypothesis") and wanted:
                found.append((f"{name}.{attr}", value))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=20_000, help="about how many plans to audit")
    parser.add_argument("--seed", type=int, help="replay a run (default: a fresh random seed)")
    parser.add_argument("--known", action="store_true", help="also generate open bugs' inputs")
    parser.add_argument("-k", dest="select", help="only properties whose name contains this")
    args = parser.parse_args(argv)

    seed = args.seed if args.seed is not None else random.randrange(2**32)
    # Read by tests/fuzz when it is imported: the example counts, randomness, open bugs.
    os.environ["STRATAUDIT_FUZZ_EXAMPLES"] = str(args.plans / CI_PLANS)
    os.environ["STRATAUDIT_FUZZ_SEED"] = str(seed)
    if args.known:
        os.environ["STRATAUDIT_FUZZ_KNOWN"] = "1"
    sys.path.insert(0, str(TESTS))  # ahead of bench/, whose fuzz.py is this script

    import hypothesis
    from fuzz.harness import STATS

    replay = f"--plans {args.plans}" + " --known" * args.known
    replay += f" -k {args.select}" if args.select else ""
    print(f"seed {seed} (replay: bench/fuzz.py {replay} --seed {seed})")
    failed: list[str] = []
    start = time.perf_counter()
    for name, prop in _properties(args.select):
        before, began = STATS.copy(), time.perf_counter()
        error = _run(hypothesis.seed(seed)(prop))
        took = time.perf_counter() - began
        plans, runs = STATS["plans"] - before["plans"], STATS["runs"] - before["runs"]
        verdict = "ok" if error is None else "FAILED"
        print(
            f"{verdict:6} {name}: {plans} plans in {runs} runs, {took:.1f} s, "
            f"{plans / took:.0f} plans/s",
            flush=True,
        )
        if error is not None:
            failed.append(name)
            print(error, flush=True)
    took = time.perf_counter() - start
    total = STATS["plans"]
    print(f"\n{total} plans in {STATS['runs']} runs, {took:.0f} s: {total / took:.0f} plans/s")
    if failed:
        print(f"{len(failed)} properties failed: {', '.join(failed)}")
    return 1 if failed else 0


def _run(prop: Callable[[], Any]) -> str | None:
    """Run one property; its failure as text: what broke, then Hypothesis's smallest example."""
    try:
        prop()
    except Exception as exc:  # any failure of a property is reported, and the run goes on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        notes = "\n".join(getattr(exc, "__notes__", ()))
        return (
            f"{type(exc).__name__} at {where.filename}:{where.lineno}: {str(exc)[:3000]}\n"
            f"{notes[:12000]}"
        )
    return None


if __name__ == "__main__":
    sys.exit(main())
