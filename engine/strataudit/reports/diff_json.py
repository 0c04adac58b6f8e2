"""`strataudit diff --format json`: the diff for automation; schema: schemas/diff.schema.json."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from strataudit.reports.json_report import finding_dict
from strataudit.results import Report

if TYPE_CHECKING:  # the diff runs audits; its renderers only read its result
    from strataudit.diff import EntityRef, PlanDiff


def _side(report: Report) -> dict[str, Any]:
    result = report.results[0] if report.results else None
    return {
        "file": result.file if result else None,
        "plan": result.plan_id if result else None,
        "findings": len(report.findings),
        "counted": report.counts().counted,
    }


def _ref(r: EntityRef) -> dict[str, str]:
    return {"kind": r.kind, "id": r.id, "label": r.label}


def as_dict(diff: PlanDiff) -> dict[str, Any]:
    """The diff as JSON-ready data (new findings first)."""
    return {
        "tool": {"name": "strataudit", "version": diff.new.tool_version},
        "verdict": diff.verdict,
        "fail_on": diff.new.fail_on_label,
        "old": _side(diff.old),
        "new": _side(diff.new),
        "summary": {
            "new": len(diff.new_findings),
            "resolved": len(diff.resolved),
            "unchanged": len(diff.unchanged),
            "failing": len(diff.failing),
        },
        "findings": {
            "new": [finding_dict(f) for f in diff.new_findings],
            "resolved": [finding_dict(f) for f in diff.resolved],
            "unchanged": [finding_dict(f) for f in diff.unchanged],
        },
        "values": [
            {
                "kind": v.kind,
                "id": v.id,
                "label": v.label,
                "field": v.field,
                "old": v.old,
                "new": v.new,
                "delta": v.delta,
            }
            for v in diff.values
        ],
        "added": [_ref(r) for r in diff.added],
        "removed": [_ref(r) for r in diff.removed],
        "errors": list(diff.errors),
    }


def render(diff: PlanDiff) -> str:
    """The diff as indented JSON."""
    return json.dumps(as_dict(diff), indent=2, ensure_ascii=False) + "\n"
