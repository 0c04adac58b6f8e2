"""Shared fixtures: the CLI run in-process (most tests) and the installed console script.

`run_cli` invokes the click command in this process (click's CliRunner, with the working folder
and standard input the test gives): the same parsing, `run()`, rendering, writing and exit code,
without starting an interpreter and compiling the rules for every call. `run_script` runs the
installed `strataudit` command as a workflow does; it is kept for what only a real process
shows: the entry point, exit codes, standard input, signals, a terminal, the browser check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_plans"
FIXTURES = ROOT / "tests" / "fixtures"


def strataudit_command() -> list[str]:
    """The console script installed beside this Python (the entry point users get)."""
    script = Path(sys.executable).parent / "strataudit"
    if script.exists():
        return [str(script)]
    found = shutil.which("strataudit")
    assert found, "the strataudit console script is not installed"
    return [found]


@dataclass(frozen=True)
class Ran:
    """What a CLI call gave: the fields of `subprocess.CompletedProcess` the tests read."""

    returncode: int
    stdout: str
    stderr: str


def invoke(*args: str, stdin: str | None = None, cwd: Path | None = None) -> Ran:
    """The `strataudit` command, in this process, in `cwd` (the repository by default)."""
    from click.testing import CliRunner

    from strataudit.cli import main

    runner = CliRunner(env={"COLUMNS": "100"})
    before = Path.cwd()
    os.chdir(cwd or ROOT)
    try:
        result = runner.invoke(main, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(before)
    return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def run_cli():
    """The CLI in-process (see `invoke`)."""
    return invoke


@pytest.fixture
def run_script():
    """The installed console script in a child process, as users run it."""

    def run(
        *args: str,
        stdin: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, COLUMNS="100")
        return subprocess.run(
            [*strataudit_command(), *args],
            input=stdin,
            text=True,
            capture_output=True,
            cwd=cwd or ROOT,
            env=env,
            timeout=300,
        )

    return run


# The longest tests (measured: 5 to 45 s each), started first, longest first, so that the
# workers do not end waiting on one of them: these (node id prefixes), then the other `slow`.
LONG = (
    "tests/service/test_faults.py::test_2000_audits_from_16_clients_on_postgresql",
    "tests/test_precommit.py::test_the_hook_through_pre_commit_try_repo",
    "tests/fuzz/test_pipeline.py::test_any_batch_ends_as_the_contract_says",
    "tests/test_action.py::",
    "tests/fuzz/test_invariance.py::",
    "tests/test_rule_packs.py::test_builtin_rules_test_passes",
)


def _rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(LONG):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONG) + (item.get_closest_marker("slow") is None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With pytest-xdist (`--dist loadgroup`, see pyproject.toml): the tests that share a
    module-scoped fixture (a running server, an installed action, a rendered report) form one
    group, per value of a module-scoped parameter (the service's backend), so that each such
    fixture is set up once, on one worker, as it is in a single process; every other test
    goes to whichever worker is free. The longest tests come first (a stable sort: otherwise
    the order is the files')."""
    items.sort(key=_rank)
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs if info is not None else {}
        shared = sorted(name for name, fds in defs.items() if fds and fds[-1].scope == "module")
        if not shared:
            continue
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        values = [f"{name}={params[name]}" for name in shared if name in params]
        item.add_marker(pytest.mark.xdist_group(":".join([item.nodeid.split("::")[0], *values])))
