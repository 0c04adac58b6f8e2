"""Run cases through the real command line and collect what a user would see.

In-process runs call click's runner on `strataudit.cli.main`, but in a forked child: a crash of
the C engine (a signal) then ends the child, not the test session, and shows as what it is. The
parent has imported everything, run one audit and parsed the rule catalogue once, so a child
starts warm (measured: 32 ms for the run of a small plan, 150 ms in a cold child). A smaller
sample goes through the installed console script in a subprocess, as users run it.

Every run writes the text report to standard output (where terminal escapes would do harm) and
the JSON report to a file beside the plans (the findings, compared by the properties).
"""

from __future__ import annotations

import faulthandler
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from fuzz.strategies import Case, PlanFile

REPORT = "report.json"
STATS: Counter[str] = Counter()  # runs and plans so far (bench/fuzz.py prints the rates)
_TINY = Case((PlanFile("plan.yaml", b"strataudit: 1\nplan: {id: warm, title: Warm}\n"),), "warm")


@dataclass(frozen=True)
class Outcome:
    """What one run of `strataudit audit` did."""

    exit_code: int | None  # None when a signal ended the process
    signal: int | None  # the signal's number, else None
    stdout: str
    stderr: str
    report: dict[str, Any] | None  # the JSON report, None when none was written
    names: tuple[str, ...]  # the plan files named on the command line, in order

    def describe(self) -> str:
        how = (
            f"signal {signal.Signals(self.signal).name}"
            if self.signal
            else f"exit {self.exit_code}"
        )
        return f"{how}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"


def examples(count: int) -> settings:
    """CI's budget for one property: reproducible (derandomized, no database) and bounded;
    STRATAUDIT_FUZZ_EXAMPLES multiplies it (bench/fuzz.py sets it for a long run)."""
    scale = float(os.environ.get("STRATAUDIT_FUZZ_EXAMPLES", "1"))
    return settings(
        max_examples=max(1, int(count * scale)),
        deadline=None,
        derandomize=not os.environ.get("STRATAUDIT_FUZZ_SEED"),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=False,
    )


@contextmanager
def folder(cases: Sequence[Case]) -> Iterator[tuple[Path, list[str]]]:
    """The cases written under a fresh folder, one sub-folder each; yields it and the names of
    their plans relative to it (what the command line gets)."""
    root = Path(tempfile.mkdtemp(prefix="strataudit-fuzz-"))
    names = []
    try:
        for i, case in enumerate(cases):
            sub = root / f"c{i}"
            sub.mkdir()
            for file in case.files:
                (sub / file.name).write_bytes(file.data)
            names.append(f"c{i}/{case.files[0].name}")
        yield root, names
    finally:
        shutil.rmtree(root, ignore_errors=True)


@cache
def _builtin_rules() -> Any:
    """Warm the parent once, so that forked children start warm: parse the catalogue (50 rule
    files, 54 ms, the same on every run) and audit a tiny plan, which imports what the CLI
    imports lazily (without this, a child spent 100 ms more per run importing)."""
    from click.testing import CliRunner

    from strataudit.cli import main
    from strataudit.rulefile import load_ruleset

    with folder([_TINY]) as (root, names):
        report = f"json={root / REPORT}"
        CliRunner().invoke(main, ["audit", str(root / names[0]), "--report", report])
    return load_ruleset(())


def _reuse_builtin_rules() -> None:
    """In the child only: `load_ruleset(())` returns the parent's parse of the catalogue."""
    import strataudit.rulefile as rulefile

    original, builtin = rulefile.load_ruleset, _builtin_rules()

    def load_ruleset(packs: Any = (), *args: Any, **kwargs: Any) -> Any:
        if tuple(packs) or args or kwargs:
            return original(packs, *args, **kwargs)
        return builtin

    rulefile.load_ruleset = load_ruleset  # type: ignore[assignment]


def run_inprocess(
    cases: Sequence[Case], *options: str, stdin: int | None = None, folders: bool = False
) -> Outcome:
    """Audit the cases in one run of the CLI, in a forked child. `stdin`: the index of a case
    whose plan is given as `-` (standard input) instead of its path; `folders`: name each
    case's folder instead of its plan (directory discovery finds the plans)."""
    _builtin_rules()
    STATS.update(runs=1, plans=len(cases))
    from click.testing import CliRunner

    from strataudit.cli import main

    with folder(cases) as (root, names):
        args = [name.split("/")[0] for name in names] if folders else list(names)
        text = None
        if stdin is not None:
            text = (root / names[stdin]).read_bytes()
            args[stdin] = "-"
        read, write = os.pipe()
        gc.freeze()  # the child's collector then leaves the parent's objects (and pages) alone
        pid = os.fork()
        if pid == 0:  # the child: run, send back what was seen, and never return into pytest
            try:
                faulthandler.disable()  # a crash is reported by the parent, not dumped by pytest
                os.close(read)
                os.chdir(root)
                _reuse_builtin_rules()
                result = CliRunner().invoke(
                    main, ["audit", *args, "--report", f"json={REPORT}", *options], input=text
                )
                err = result.stderr
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    err += "".join(traceback.format_exception(result.exception))
                payload = json.dumps([result.exit_code, result.stdout, err]).encode()
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(payload)
            finally:
                os._exit(0)
        gc.unfreeze()
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        report = _report(root)
        named = () if folders else tuple(args)
        if os.WIFSIGNALED(status):
            return Outcome(None, os.WTERMSIG(status), "", "", report, named)
        if not payload:
            raise RuntimeError(f"the harness's child ended with {status} and sent nothing")
        exit_code, out, err = json.loads(payload)
        return Outcome(exit_code, None, out, err, report, named)


def console_script() -> list[str]:
    script = Path(sys.executable).parent / "strataudit"
    found = str(script) if script.exists() else shutil.which("strataudit")
    assert found, "the strataudit console script is not installed"
    return [found]


def run_subprocess(cases: Sequence[Case], *options: str) -> Outcome:
    """Audit the cases with the installed `strataudit` command, as a user runs it."""
    STATS.update(runs=1, plans=len(cases))
    with folder(cases) as (root, names):
        done = subprocess.run(
            [*console_script(), "audit", *names, "--report", f"json={REPORT}", *options],
            cwd=root,
            capture_output=True,
            env=dict(os.environ, COLUMNS="100"),
            timeout=120,
        )
        code = done.returncode
        return Outcome(
            code if code >= 0 else None,
            -code if code < 0 else None,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
            _report(root),
            tuple(names),
        )


def _report(root: Path) -> dict[str, Any] | None:
    try:
        return json.loads((root / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
