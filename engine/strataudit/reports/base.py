"""What every output format renders: one frozen `Report` (`results.py`), built by `run()`."""

from __future__ import annotations

from typing import Protocol

from strataudit.results import Report

__all__ = ["Renderer", "Report"]


class Renderer(Protocol):
    """An output format: renders a report to text; never prints, never exits."""

    def __call__(self, report: Report) -> str: ...
