"""Repository-relative paths, for the formats a code host reads (SARIF, GitHub, Code Quality).

Findings name files as the user did (relative to the working directory). A code host resolves
paths against the repository's root instead, so a run started in a subfolder would point at the
wrong files. These formats therefore write paths relative to a *root*: `--sarif-root DIR`, or by
default the git root of the working directory (the nearest folder with a `.git` entry, a folder
or, in a worktree or submodule, a file), or the working directory when there is none. A file
outside the root keeps its absolute path (SARIF writes it as a `file:` URI). Standard input has
no path unless `--stdin-filename` gave it one (then it is that name, like a file's).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

STDIN = "<stdin>"  # the display name of standard input when `--stdin-filename` names none


def git_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding `.git`; None outside a repository."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def default_root(cwd: Path | None = None) -> Path:
    """The git root of `cwd` (default: the working directory), else `cwd` itself."""
    here = (cwd or Path.cwd()).resolve()
    return git_root(here) or here


def absolute(file: str, cwd: Path | None = None) -> Path:
    """A reported file name as an absolute, normalised path (relative names: from `cwd`)."""
    path = Path(file)
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    return Path(os.path.normpath(path))


def under_root(file: str, root: Path, cwd: Path | None = None) -> str | None:
    """`file` relative to `root`, with forward slashes; None when it is outside `root`."""
    path = absolute(file, cwd)
    base = Path(os.path.normpath(root.resolve()))
    try:
        relative = path.relative_to(base)
    except ValueError:
        # the root may have been named through a symbolic link that the file was not
        try:
            relative = Path(os.path.realpath(path)).relative_to(base)
        except ValueError:
            return None
    return str(PurePosixPath(*relative.parts)) if relative.parts else None


def repo_path(file: str, root: Path, cwd: Path | None = None) -> str | None:
    """`file` relative to `root` when under it, else as reported (forward slashes); None for
    unnamed standard input."""
    if file == STDIN:
        return None
    inside = under_root(file, root, cwd)
    return inside if inside is not None else file.replace("\\", "/")
