"""A one-plan audit through the console script, start to exit (issue 10: start-up speed).

    python bench/startup.py                              # the strataudit beside this Python
    python bench/startup.py --script /tmp/old/bin/strataudit --script .venv/bin/strataudit
    python bench/startup.py --rounds 40 --plan sample_plans/acme-2027.yaml

Each round runs every script once, in turn (so that load on the machine falls on all alike),
as a user does: `strataudit audit PLAN --format json`, output discarded. It prints, per script,
the best and the median wall time and CPU time (user + system, the forked engine child
included), and with two or more scripts each one's ratio to the first. Run it on a quiet
machine: the best of many rounds is the figure to compare, the median shows the noise.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(script: Path, plan: Path) -> tuple[float, float]:
    """(wall, cpu) seconds of one audit, the child processes' CPU included."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(
        [str(script), "audit", str(plan), "--format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--script", type=Path, action="append", help="a console script (repeatable)")
    ap.add_argument("--plan", type=Path, default=ROOT / "sample_plans" / "acme-2027.yaml")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args(argv)
    scripts = args.script or [Path(sys.executable).with_name("strataudit")]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"plan: {args.plan.name}, {args.rounds} rounds, load average {os.getloadavg()[0]:.2f}")
    times: dict[Path, list[tuple[float, float]]] = {s: [] for s in scripts}
    for script in scripts:
        one_run(script, args.plan)  # warm the page cache and the .pyc files
    for _ in range(args.rounds):
        for script in scripts:
            times[script].append(one_run(script, args.plan))
    first = min(w for w, _ in times[scripts[0]])
    for script in scripts:
        walls = [w for w, _ in times[script]]
        cpus = [c for _, c in times[script]]
        ratio = f"  {min(walls) / first:.2f}x the first" if len(scripts) > 1 else ""
        print(
            f"{script}: wall best {min(walls) * 1000:.0f} ms, median "
            f"{statistics.median(walls) * 1000:.0f} ms; cpu best {min(cpus) * 1000:.0f} ms, "
            f"median {statistics.median(cpus) * 1000:.0f} ms{ratio}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
