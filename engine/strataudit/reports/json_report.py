"""`--format json`: the contract automation reads; its schema is schemas/report.schema.json.

Later versions add fields, never rename these. The summary counts each finding once, by its
state (`results.py`): `counted + waived + baselined == findings`.
"""

from __future__ import annotations

import json
from typing import Any

from strataudit.results import Check, Checklist, Finding, PlanResult, Report, Waiver


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding as the contract writes it."""
    return {
        "rule": f.rule,
        "severity": f.severity.label,
        "category": f.category,
        "message": f.message,
        "location": {
            "file": f.location.file,
            "line": f.location.line,
            "column": f.location.column,
            "path": f.location.path,
        },
        "entity": f.entity,
        "fingerprint": f.fingerprint,
        "rationale": f.rationale,
        "remediation": f.remediation,
        "source": f.source,
        "title": f.title,
        "plan": f.plan_id,
        "detail": f.detail,
        "waived": waiver_dict(f.waiver) if f.waiver else None,
        "baselined": f.baselined,
        "state": f.state.value,
        "caused_by": (
            {
                "fingerprint": f.caused_by.fingerprint,
                "rule": f.caused_by.rule,
                "entity": f.caused_by.entity,
                "detail": f.caused_by.detail,
            }
            if f.caused_by
            else None
        ),
    }


def waiver_dict(w: Waiver) -> dict[str, Any]:
    """One waiver as the contract writes it."""
    return {
        "rule": w.rule,
        "entity": w.entity,
        "path": w.path,
        "files": w.files,
        "reason": w.reason,
        "owner": w.owner,
        "expires": w.expires.isoformat(),
        "source": w.source,
    }


def checklist_dict(checklist: Checklist) -> dict[str, Any]:
    """What was checked on a plan: totals per column, then each category's rule ids."""
    return {
        "rules": checklist.ran,
        **{c.value: checklist.total(c) for c in Check},
        "categories": [
            {"category": row.category, **{c.value: list(row.rules[c]) for c in Check}}
            for row in checklist.rows
        ],
    }


def plan_dict(report: Report, r: PlanResult) -> dict[str, Any]:
    """One audited plan: its verdict, its number of findings and (when audited) its checklist."""
    entry: dict[str, Any] = {
        "file": r.file,
        "id": r.plan_id,
        "verdict": report.verdict_of(r).verdict,
        "findings": len(r.findings),
    }
    if r.error is None:
        entry["checklist"] = checklist_dict(report.checklist(r))
    return entry


def as_dict(report: Report) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    counts = report.counts()
    return {
        "tool": {
            "name": "strataudit",
            "version": report.tool_version,
            "rules_version": report.rules_version,
        },
        "verdict": report.verdict.verdict,
        "fail_on": report.fail_on_label,
        "reasons": list(report.verdict.reasons),
        "as_of": report.as_of.isoformat(),
        "summary": {
            "plans": len(report.results),
            "findings": len(report.findings),
            "by_severity": report.by_severity(),
            "counted": counts.counted,
            "waived": counts.waived,
            "baselined": counts.baselined,
            "expired": counts.expired,
        },
        "plans": [plan_dict(report, r) for r in report.results],
        "skipped": list(report.skipped),
        "errors": [
            {
                "file": e.file,
                "line": e.line,
                "column": e.column,
                "message": e.message,
                "hint": e.hint,
                "path": e.path or None,
            }
            for e in report.errors
        ],
        "findings": [finding_dict(f) for f in report.findings],
        "expired_waivers": [waiver_dict(w) for w in report.expired_waivers],
        "unused_waivers": [waiver_dict(w) for w in report.unused_waivers],
        "baseline": report.baseline_file,
        "resolved": list(report.resolved),
    }


def render(report: Report) -> str:
    """The report as indented JSON (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
