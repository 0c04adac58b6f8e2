"""`strataudit diff --format html`: what changed, as one self-contained page (no script at
all: the Content-Security-Policy allows none; plan text is escaped by Jinja2's autoescape)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2

from strataudit.reports.diffs import delta, headline, number, why
from strataudit.results import Finding

if TYPE_CHECKING:  # the diff runs audits; its renderers only read its result
    from strataudit.diff import PlanDiff

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _finding(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "rule": f.rule,
        "title": f.title,
        "severity": f.severity.label,
        "state": f.state.value,
        "counts": f.counts,
        "message": f.message,
        "where": f"{loc.file}:{loc.line}:{loc.column}",
        "path": loc.path,
        "fix": f.remediation,
    }


def context(diff: PlanDiff) -> dict[str, Any]:
    """Everything the page shows, as plain values."""
    old, new = diff.old.results, diff.new.results
    return {
        "csp": CSP,
        "verdict": diff.verdict,
        "why": why(diff),
        "headline": headline(diff),
        "old": old[0].file if old else "-",
        "new": new[0].file if new else "-",
        "groups": [
            {
                "key": "new",
                "title": "New findings",
                "findings": [_finding(f) for f in diff.new_findings],
            },
            {
                "key": "resolved",
                "title": "Resolved",
                "findings": [_finding(f) for f in diff.resolved],
            },
            {
                "key": "unchanged",
                "title": "Unchanged",
                "findings": [_finding(f) for f in diff.unchanged],
            },
        ],
        "values": [
            {
                "kind": v.kind,
                "id": v.id,
                "label": v.label,
                "field": v.field,
                "old": number(v.old),
                "new": number(v.new),
                "delta": delta(v.delta),
            }
            for v in diff.values
        ],
        "added": diff.added,
        "removed": diff.removed,
        "errors": diff.errors,
        "version": diff.new.tool_version,
    }


def render(diff: PlanDiff) -> str:
    """The diff as a self-contained HTML page."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("strataudit", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("diff.html.j2").render(context(diff))
