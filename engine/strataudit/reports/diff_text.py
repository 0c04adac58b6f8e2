"""`strataudit diff --format text`: what changed, for a terminal (100 columns, text escaped)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from strataudit.inert import inert
from strataudit.reports.diffs import delta, headline, number, why
from strataudit.results import Finding

if TYPE_CHECKING:  # the diff runs audits; its renderers only read its result
    from strataudit.diff import PlanDiff

WIDTH = 100


def _finding(f: Finding) -> list[str]:
    loc = f.location
    state = "" if f.counts else f" ({f.state.value})"
    head = f"  {f.rule} {f.severity.label}{state}  {loc.file}:{loc.line}:{loc.column}"
    body = textwrap.wrap(
        f.message,
        WIDTH,
        initial_indent="      ",
        subsequent_indent="      ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [head, *body, f"      -> {loc.path}"] if loc.path else [head, *body]


def render(diff: PlanDiff) -> str:
    """The diff as text: findings new and resolved, what moved, the verdict."""
    old, new = diff.old.results, diff.new.results
    out = [
        f"old: {old[0].file if old else '-'}",
        f"new: {new[0].file if new else '-'}",
        headline(diff),
    ]
    for title, found in (("new findings", diff.new_findings), ("resolved", diff.resolved)):
        if found:
            out += ["", f"{title}:"]
            for f in found:
                out += _finding(f)
    if diff.values:
        out += ["", "values changed:"]
        for v in diff.values:
            change = delta(v.delta)
            out.append(
                f"  {v.kind} {v.id} ({v.label}) {v.field}: {number(v.old)} -> {number(v.new)}"
                + (f" ({change})" if change else "")
            )
    for title, refs in (("added", diff.added), ("removed", diff.removed)):
        if refs:
            out += ["", f"entities {title}:"]
            out += [f"  {r.kind} {r.id}: {r.label}" for r in refs]
    for error in diff.errors:
        out += ["", "error: " + error]
    out += ["", f"verdict: {diff.verdict.upper()}: {why(diff)}"]
    return inert("\n".join(out)) + "\n"
