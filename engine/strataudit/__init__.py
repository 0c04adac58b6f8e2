"""strataudit: a rule-based audit engine for marketing strategy plans.

Data flows one way: file -> model -> facts -> engine -> findings -> gate -> report.
The library entry point is `strataudit.run(targets, RunOptions(...)) -> Report`; it and its
types load lazily, so `import strataudit.config` (or a report) never loads the rule engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
RULES_VERSION = "1"

if TYPE_CHECKING:
    from strataudit.results import Report
    from strataudit.runner import RunOptions, run

__all__ = ["RULES_VERSION", "Report", "RunOptions", "__version__", "run"]

_LAZY = {
    "run": "strataudit.runner",
    "RunOptions": "strataudit.runner",
    "Report": "strataudit.results",
}


def __getattr__(name: str) -> Any:
    """`from strataudit import run, RunOptions, Report`, imported on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'strataudit' has no attribute {name!r}")
