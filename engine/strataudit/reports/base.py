"""What every output format renders: one frozen `Report` (`results.py`), built by `run()`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from strataudit.results import Report

__all__ = ["RenderOptions", "Renderer", "Report"]


class Renderer(Protocol):
    """An output format: renders a report to text; never prints, never exits."""

    def __call__(self, report: Report) -> str: ...


@dataclass(frozen=True)
class RenderOptions:
    """How a person wants a report shown (never what it says): for the formats that read it.

    A format that reads options takes them as `render(report, options)`; the registry in
    `reports/__init__.py` says which do, so the others keep the plain `Renderer` signature."""

    fix: bool = True  #: text: show the fix under each finding (`--no-fix` hides it)
    #: markdown: locations become links to `{link_base}/{file}#L{line}` (a repository's blob URL)
    link_base: str | None = None
    root: Path | None = None  #: paths are relative to it; None: the git root of the cwd, or cwd
    docs_url: str | None = None  #: where docs/ is published (SARIF `informationUri`, `helpUri`)
    quiet: bool = False  #: text: the findings' tables only, no summary lines (`--quiet`)
