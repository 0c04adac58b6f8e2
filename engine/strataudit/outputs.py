"""Writing reports and baselines: never over a file the run read, never half-written.

An output is compared with the run's inputs by file identity (`st_dev`, `st_ino`), not by
name, so a hard link or a symlink to a plan, an included file, the config, the baseline or a
rule pack file is refused as surely as the file itself. Every write goes to a temporary file
in the target's folder and replaces the target in one `os.replace`: an interrupted run, a full
disk or a failed write leaves the old file (or none), never a truncated report.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from strataudit.errors import input_error

Identity = tuple[int, int]  # (st_dev, st_ino)


def identity(path: str | Path) -> Identity | None:
    """The identity of the file `path` names (through symlinks); None if there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def identities(paths: Iterable[str | Path]) -> frozenset[Identity]:
    """The identities of the files among `paths` that exist."""
    return frozenset(i for i in map(identity, paths) if i is not None)


def refuse_inputs(outputs: Iterable[Path], inputs: frozenset[Identity]) -> None:
    """An `InputError` for the first output that is one of the run's input files."""
    for out in outputs:
        if identity(out) in inputs:
            raise input_error(
                str(out),
                None,
                None,
                "this output file is one of the audit's input files (a plan, an included "
                "file, the config, the baseline or a rule pack file)",
                "write the report to another file",
            )


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and `os.replace`.

    The new file gets the mode a plain write would give (the old file's, else 0666 less the
    umask). A failure is an input error naming the file (exit 2), with the temporary removed;
    so is an interrupt (the exception goes on, the temporary does not stay behind)."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    done = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
        done = True
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _mode_for(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _cannot_write(path: Path, exc: OSError) -> Exception:
    return input_error(
        str(path),
        None,
        None,
        f"cannot write the report: {exc.strerror or exc}",
        "check that the folder exists, is writable and has room",
    )
