"""`--format sarif`: SARIF 2.1.0 for code-review tools (one run, the whole rule catalogue).

- `tool.driver.rules` holds every rule of the run's rule set, with its help (plain text and the
  generated Markdown documentation) and its default level; results point at their rule by
  `ruleId` and `ruleIndex`.
- A result has a physical location (the file as the user gave it, relative, forward slashes,
  with 1-based `startLine`/`startColumn`), the plan path as a logical location, and
  `partialFingerprints["strataudit/v1"]`, the finding's stable fingerprint.
- A waived finding carries an external, accepted suppression with the waiver's justification;
  with a baseline, results carry `baselineState` `new` or `unchanged` (membership of the
  baseline); `properties.state` is the one state each finding is counted by (`results.py`).
- Input errors are `toolExecutionNotifications` of the one invocation, which then did not
  execute successfully; expired and unused waivers are `toolConfigurationNotifications`.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from strataudit.docs import rule_markdown
from strataudit.reports import RenderOptions
from strataudit.results import Finding, InputProblem, Report, Severity, Waiver
from strataudit.rulefile import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "strataudit/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
STDIN = "<stdin>"


def level(severity: Severity) -> str:
    """A severity as a SARIF level (`info` is `note`)."""
    return LEVELS[severity]


def uri(file: str) -> str:
    """A path as given -> a URI reference: relative, forward slashes, percent-encoded."""
    text = file.replace("\\", "/")
    if PureWindowsPath(file).drive or PurePosixPath(text).is_absolute():
        if PureWindowsPath(file).drive:
            return PureWindowsPath(file).as_uri()
        return PurePosixPath(text).as_uri()
    return quote(text, safe="/")


def artifact_location(file: str, index: dict[str, int]) -> dict[str, Any]:
    """Standard input has no URI: it is described instead (still a valid artifactLocation)."""
    if file == STDIN:
        return {"description": {"text": "standard input"}}
    out: dict[str, Any] = {"uri": uri(file)}
    if file in index:
        out["index"] = index[file]
    return out


def camel_case(title: str) -> str:
    """A rule title as a SARIF rule `name` (`Product matched...` -> `ProductMatched...`)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as a SARIF `reportingDescriptor`, with its help."""
    spec = rule.spec
    text = (
        f"{spec.title}\n\nWhy it matters: {spec.rationale.strip()}\n\n"
        f"How to fix it: {spec.remediation.strip()}\n\nSource: {spec.source}"
    )
    properties: dict[str, Any] = {
        "category": spec.category,
        "scope": spec.scope,
        "source": spec.source,
        "tags": [spec.category],
    }
    if spec.quote:
        properties["quote"] = spec.quote.strip()
    return {
        "id": spec.id,
        "name": camel_case(spec.title),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.rationale.strip()},
        "help": {"text": text, "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": properties,
    }


def justification(waiver: Waiver) -> str:
    """A waiver's reason, owner and expiry, as a suppression's justification."""
    return f"{waiver.reason} (owner: {waiver.owner}, expires: {waiver.expires.isoformat()})"


def suppression(waiver: Waiver) -> dict[str, Any]:
    """A live waiver as an external, accepted SARIF suppression."""
    return {
        "kind": "external",
        "status": "accepted",
        "justification": justification(waiver),
        "properties": {
            "owner": waiver.owner,
            "expires": waiver.expires.isoformat(),
            "rule": waiver.rule,
            "source": waiver.source,
        },
    }


def result(
    f: Finding, report: Report, rule_index: dict[str, int], index: dict[str, int]
) -> dict[str, Any]:
    """A finding as a SARIF result."""
    loc = f.location
    out: dict[str, Any] = {"ruleId": f.rule}
    if f.rule in rule_index:
        out["ruleIndex"] = rule_index[f.rule]
    out.update(
        {
            "level": level(f.severity),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(loc.file, index),
                        "region": {
                            "startLine": max(loc.line, 1),
                            "startColumn": max(loc.column, 1),
                        },
                    },
                    "logicalLocations": [{"fullyQualifiedName": loc.path, "kind": "member"}],
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        }
    )
    if f.waiver is not None:
        out["suppressions"] = [suppression(f.waiver)]
    if report.baseline_file is not None:
        out["baselineState"] = "unchanged" if f.baselined else "new"
    out["properties"] = {
        "plan": f.plan_id,
        "entity": f.entity,
        "category": f.category,
        "severity": f.severity.label,
        "remediation": f.remediation,
        "counted": f.counts,
        "waived": f.waiver is not None,
        "baselined": f.baselined,
        "state": f.state.value,
    }
    return out


def _problem_location(problem: InputProblem, index: dict[str, int]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(problem.file, index)}
    if problem.line is not None and problem.line >= 1:
        physical["region"] = {"startLine": problem.line, "startColumn": max(problem.column or 1, 1)}
    location: dict[str, Any] = {"physicalLocation": physical}
    if problem.path:
        location["logicalLocations"] = [{"fullyQualifiedName": problem.path, "kind": "member"}]
    return location


def error_notification(problem: InputProblem, index: dict[str, int]) -> dict[str, Any]:
    """An input problem as a tool execution notification."""
    text = problem.message + (f" (hint: {problem.hint})" if problem.hint else "")
    return {
        "level": "error",
        "message": {"text": text},
        "descriptor": {"id": "input-error"},
        "locations": [_problem_location(problem, index)],
        "properties": {"hint": problem.hint, "path": problem.path or None},
    }


_SOURCE = re.compile(r"^(?P<file>.+):(?P<line>[0-9]+)$")


def waiver_notification(waiver: Waiver, kind: str, lvl: str) -> dict[str, Any]:
    """An expired or unused waiver as a tool configuration notification."""
    text = (
        f"{kind} waiver: {waiver.describe()}: {waiver.reason}"
        if kind == "unused"
        else f"{kind} waiver: {waiver.describe()}: {waiver.reason}; "
        "it no longer waives, its findings count again"
    )
    out: dict[str, Any] = {
        "level": lvl,
        "message": {"text": text},
        "descriptor": {"id": f"{kind}-waiver"},
        "associatedRule": {"id": waiver.rule},
        "properties": {
            "rule": waiver.rule,
            "entity": waiver.entity,
            "path": waiver.path,
            "files": waiver.files,
            "owner": waiver.owner,
            "reason": waiver.reason,
            "expires": waiver.expires.isoformat(),
        },
    }
    m = _SOURCE.match(waiver.source)
    if m:
        out["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(m["file"])},
                    "region": {"startLine": max(int(m["line"]), 1)},
                }
            }
        ]
    elif waiver.source:
        out["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": uri(waiver.source)}}}]
    return out


def _artifacts(report: Report) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every file the run looked at: audited plans first, then files their findings point into."""
    roles: dict[str, list[str]] = {}
    for r in report.results:
        if r.file != STDIN:
            roles.setdefault(r.file, ["analysisTarget"])
    for f in report.findings:
        if f.location.file != STDIN and f.location.file not in roles:
            roles[f.location.file] = ["analysisTarget"]  # an included file
    for e in report.errors:
        if e.file != STDIN:
            roles.setdefault(e.file, ["analysisTarget"])
    index = {file: i for i, file in enumerate(roles)}
    artifacts = [{"location": {"uri": uri(file)}, "roles": role} for file, role in roles.items()]
    return artifacts, index


def as_dict(report: Report) -> dict[str, Any]:
    """The report as a SARIF log (plain data)."""
    rules = list(report.ruleset)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    artifacts, index = _artifacts(report)
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.errors,
        "exitCode": report.verdict.exit_code,
        "toolExecutionNotifications": [error_notification(e, index) for e in report.errors],
        "toolConfigurationNotifications": (
            [waiver_notification(w, "expired", "warning") for w in report.expired_waivers]
            + [waiver_notification(w, "unused", "note") for w in report.unused_waivers]
        ),
        "properties": {
            "verdict": report.verdict.verdict,
            "reasons": list(report.verdict.reasons),
            "failOn": report.fail_on_label,
            "asOf": report.as_of.isoformat(),
            "skipped": list(report.skipped),
        },
    }
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "strataudit",
                "version": report.tool_version,
                "rules": [rule_descriptor(r) for r in rules],
                "properties": {"rulesVersion": report.rules_version},
            }
        },
        "invocations": [invocation],
        "artifacts": artifacts,
        "columnKind": "unicodeCodePoints",
        "results": [result(f, report, rule_index, index) for f in report.findings],
        "properties": {
            "plans": [
                {
                    "file": r.file,
                    "id": r.plan_id,
                    "verdict": report.verdict_of(r).verdict,
                }
                for r in report.results
            ],
        },
    }
    if report.baseline_file is not None or report.resolved:
        # resolved entries have no location left, so they are not results (review tools such
        # as code scanning require one); they are listed with the baseline file instead
        run["properties"]["baseline"] = {
            "file": report.baseline_file,
            "resolved": [dict(e) for e in report.resolved],
        }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as a SARIF 2.1.0 log."""
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
