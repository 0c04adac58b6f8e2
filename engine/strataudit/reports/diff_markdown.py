"""`strataudit diff --format markdown`: what changed, for a pull-request comment.

Untrusted text goes through the audit report's `cell`/`code`/`prose` escapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strataudit.reports.diffs import delta, headline, number, why
from strataudit.reports.markdown import FOLD_OVER, ICONS, cell, code, finding_row, problem_where
from strataudit.results import Finding

if TYPE_CHECKING:  # the diff runs audits; its renderers only read its result
    from strataudit.diff import PlanDiff


def _findings(title: str, found: tuple[Finding, ...], fold: bool = False) -> list[str]:
    if not found:
        return []
    table = [
        "| severity | rule | where | finding | fix |",
        "|---|---|---|---|---|",
        *map(finding_row, found),
        "",
    ]
    head = f"### {title} ({len(found)})"
    if fold or len(found) > FOLD_OVER:
        return [
            head,
            "",
            f"<details><summary>{len(found)} findings</summary>",
            "",
            *table,
            "</details>",
            "",
        ]
    return [head, "", *table]


def render(diff: PlanDiff) -> str:
    """The diff as Markdown."""
    old, new = diff.old.results, diff.new.results
    out = [
        f"## {ICONS.get(diff.verdict, '')} strataudit diff: **{diff.verdict.upper()}**",
        "",
        f"{code(old[0].file) if old else '-'} → {code(new[0].file) if new else '-'}: "
        f"{headline(diff)}; {cell(why(diff))}",
        "",
    ]
    out += _findings("🆕 New findings", diff.new_findings)
    out += _findings("🎉 Resolved", diff.resolved)
    out += _findings("Unchanged", diff.unchanged, fold=True)
    if diff.values:
        out += [
            "### Values changed",
            "",
            "| entity | field | old | new | change |",
            "|---|---|---:|---:|---:|",
        ]
        out += [
            f"| {v.kind} {code(v.id)} {cell(v.label)} | {v.field} | {cell(number(v.old))} | "
            f"{cell(number(v.new))} | {delta(v.delta)} |"
            for v in diff.values
        ]
        out.append("")
    for title, refs in (("Entities added", diff.added), ("Entities removed", diff.removed)):
        if refs:
            out += [
                f"### {title}",
                "",
                *(f"- {r.kind} {code(r.id)}: {cell(r.label)}" for r in refs),
                "",
            ]
    problems = [e for r in (diff.old, diff.new) for e in r.all_errors]
    if problems:
        out += [
            "### Input errors",
            "",
            *(f"- {problem_where(e)}: {cell(e.message)}" for e in problems),
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"
