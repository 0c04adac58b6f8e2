"""A copy of this repository as it is now (committed or not), for tests that install it the
way a user's tool does (pre-commit's hook repository, the GitHub Action's own path)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT


def git(*args: str, cwd: Path) -> None:
    """`git` with an author, so that commits work on a machine with no git identity."""
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, capture_output=True)


def snapshot(dest: Path, commit: bool = True) -> Path:
    """The repository's tracked and unignored files copied to `dest` (committed in a new
    repository there when `commit`)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    if commit:
        git("init", "-q", cwd=dest)
        git("add", "-A", cwd=dest)
        git("commit", "-q", "-m", "snapshot", cwd=dest)
    return dest


# what pip says when the package index cannot be reached (then the test skips, saying so)
_OFFLINE = (
    "Could not find a version that satisfies",
    "No matching distribution found",
    "NewConnectionError",
    "Network is unreachable",
    "Temporary failure in name resolution",
)


def index_unreachable(output: str) -> bool:
    """Whether a failed pip install failed because the package index could not be reached."""
    return any(sign in output for sign in _OFFLINE)
