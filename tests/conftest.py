"""Shared fixtures: the installed `strataudit` command, run as users run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


@pytest.fixture
def run_cli():
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
