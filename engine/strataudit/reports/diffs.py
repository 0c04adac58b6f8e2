"""Output formats of `strataudit diff`: one module each, exposing `render(diff) -> str`.

Every format lists new findings first (counted ones first within each group), then resolved,
then unchanged, then what moved in the plan: budgets, goal values, entities added and removed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from strataudit.reports.numbers import number

if TYPE_CHECKING:  # the diff runs audits; its renderers only read its result
    from strataudit.diff import PlanDiff


REGISTRY: dict[str, str] = {
    "text": "strataudit.reports.diff_text",
    "json": "strataudit.reports.diff_json",
    "markdown": "strataudit.reports.diff_markdown",
    "html": "strataudit.reports.diff_html",
}
FORMATS = tuple(REGISTRY)


def renderer(name: str) -> Callable[[PlanDiff], str]:
    """The `render(diff) -> str` of the diff format `name` (one of `FORMATS`)."""
    render: Callable[[PlanDiff], str] = importlib.import_module(REGISTRY[name]).render
    return render


def delta(value: float | None) -> str:
    """`+100,000` / `-5`: a change's sign always shown; empty when not a number."""
    if value is None:
        return ""
    return ("+" if value > 0 else "") + number(value)


def headline(diff: PlanDiff) -> str:
    """`2 new findings, 3 resolved, 40 unchanged`."""
    n = len(diff.new_findings)
    return (
        f"{n} new finding{'' if n == 1 else 's'}, {len(diff.resolved)} resolved, "
        f"{len(diff.unchanged)} unchanged"
    )


def why(diff: PlanDiff) -> str:
    """The verdict's reason in a sentence."""
    if diff.exit_code == 2:
        return "a version could not be audited"
    level = diff.new.fail_on_label
    if diff.failing:
        rules = ", ".join(sorted({f.rule for f in diff.failing}))
        return f"{len(diff.failing)} new finding(s) at or above `{level}` ({rules})"
    return f"no new finding at or above `{level}`"
