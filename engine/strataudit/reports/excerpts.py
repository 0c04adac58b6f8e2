"""The lines of a plan file around a finding: what the HTML report shows in place under it.

The text comes from the files the audit read (`LoadedPlan.documents`, by the name findings
report), read again here with a size limit; a file that has gone or grown past the limit, or
standard input (no path), simply has no excerpt. Lines are returned as plain text: the
template escapes them, and the page fetches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from strataudit.inert import inert

if TYPE_CHECKING:
    from strataudit.loader import LoadedPlan

AROUND = 3  # lines shown before and after the finding's line
MAX_BYTES = 8 * 1024 * 1024  # a file larger than this shows no excerpt
MAX_LINE = 240  # characters of one line shown (a minified JSON plan has very long lines)


@dataclass(frozen=True)
class Line:
    """One numbered line of an excerpt."""

    number: int  #: 1-based
    text: str  #: the line, control characters escaped, cut at MAX_LINE
    here: bool  #: the finding's own line


@dataclass
class Excerpts:
    """Excerpts of the files of one loaded plan, each file read once."""

    paths: dict[str, Path]  # display name -> the file read
    _lines: dict[str, list[str] | None] = field(default_factory=dict)

    @classmethod
    def of(cls, loaded: LoadedPlan | None) -> Excerpts:
        """The excerpts of the files `loaded` was read from (none without a loaded plan)."""
        docs = loaded.documents if loaded is not None else ()
        return cls({d.file: d.path for d in docs if d.path is not None})

    def _read(self, file: str) -> list[str] | None:
        if file not in self._lines:
            path = self.paths.get(file)
            lines = None
            try:
                if path is not None and path.stat().st_size <= MAX_BYTES:
                    lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines = None
            self._lines[file] = lines
        return self._lines[file]

    def around(self, file: str, line: int) -> list[Line]:
        """The lines around `line` of `file`, or [] when the file cannot be shown."""
        lines = self._read(file)
        if not lines or not 1 <= line <= len(lines):
            return []
        first, last = max(1, line - AROUND), min(len(lines), line + AROUND)
        return [Line(n, inert(_cut(lines[n - 1])), n == line) for n in range(first, last + 1)]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "\u2026"
