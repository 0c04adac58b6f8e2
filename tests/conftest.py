"""Shared fixtures: the CLI run in-process (most tests) and the installed console script.

`run_cli` invokes the click command in this process (click's CliRunner, with the working folder
and standard input the test gives): the same parsing, `run()`, rendering, writing and exit code,
without starting an interpreter and compiling the rules for every call. `run_script` runs the
installed `strataudit` command as a workflow does; it is kept for what only a real process
shows: the entry point, exit codes, standard input, signals, a terminal, the browser check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject.toml): two workers per core. Much of the suite waits on other
    processes (servers starting, pip, pre-commit, the browser, time limits): on 2 cores, 4
    workers took 184 to 208 s where 2 took 275 to 290 s (one process: 453 s)."""
    return 2 * (os.cpu_count() or 1)


# The modules whose tests share module-scoped fixtures (a running server per backend, the
# installed action, a rendered report): each such module, per backend, runs on one worker, in
# the order of its file, so that each fixture is set up once as in one process (and the tests
# sharing a record see it as they do there). A test elsewhere that uses a module-scoped
# fixture stops the run (see `pytest_collection_modifyitems`): add its module here.
SHARED = (
    "tests/service/test_api.py",
    "tests/service/test_faults.py",
    "tests/service/test_record.py",
    "tests/test_action.py",
    "tests/test_ci_formats.py",
    "tests/test_console_script.py",
    "tests/test_context.py",
    "tests/test_counts_agree.py",
    "tests/test_formats.py",
    "tests/test_input_errors.py",
    "tests/test_sarif_code_scanning.py",
)
BACKEND = re.compile(r"\[(sqlite|postgresql)\b")


def _scope(nodeid: str) -> str:
    """The unit of work handed to one worker: a whole SHARED module (per backend), else one
    test."""
    path = nodeid.split("::")[0]
    if path not in SHARED:
        return nodeid
    backend = BACKEND.search(nodeid)
    return f"{path}:{backend[1]}" if backend else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadscope` with `_scope` as the scope (pytest-xdist's `loadgroup` marks do not
    reach its scheduler with pytest 9.2: it renames items through an attribute that pytest no
    longer reads)."""
    from xdist.scheduler import LoadScopeScheduling

    class Shared(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return Shared(config, log)


# The longest tests (measured: 5 to 45 s each) start first, longest first, so that the workers
# do not end waiting on one of them (node id prefixes).
LONG = (
    "tests/service/test_faults.py::test_2000_audits_from_16_clients_on_postgresql",
    "tests/test_precommit.py::test_the_hook_through_pre_commit_try_repo",
    "tests/fuzz/test_pipeline.py::test_any_batch_ends_as_the_contract_says",
    "tests/test_action.py::",
    "tests/test_scale.py::test_defects_20000_entity_plan_gives_exactly_the_injected_findings",
    "tests/fuzz/test_invariance.py::",
    "tests/test_rule_packs.py::test_builtin_rules_test_passes",
)


def _rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(LONG):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONG)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest tests first (a stable sort: otherwise the files' order; a SHARED module
    moves whole, its tests in their order); a module-scoped fixture outside SHARED is an
    error."""
    items.sort(key=_rank)
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs if info is not None else {}
        shared = [name for name, fds in defs.items() if fds and fds[-1].scope == "module"]
        if shared and item.nodeid.split("::")[0] not in SHARED:
            raise pytest.UsageError(
                f"{item.nodeid} uses the module-scoped {shared}: add its module to SHARED in "
                "tests/conftest.py (so that parallel workers set the fixture up once)"
            )
