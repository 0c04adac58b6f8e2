"""`--format sarif`: SARIF 2.1.0 for code-review tools (one run, the whole rule catalogue).

- `tool.driver.rules` holds every rule of the run's rule set, with its help (plain text and the
  generated Markdown documentation) and its default level; results point at their rule by
  `ruleId` and `ruleIndex`.
- A result has a physical location and the plan path as a logical location, and
  `partialFingerprints["strataudit/v1"]`, the finding's stable fingerprint. For code scanning
  (GitHub resolves URIs against the repository, not the folder the job ran in) the location's
  URI is relative to a root, named by `uriBaseId` `%SRCROOT%`, which the run's
  `originalUriBaseIds` maps to the root's `file:` URI; the root is `--sarif-root`, else the git
  root of the working directory, else the working directory (`paths.py`). A file outside it
  gets its absolute `file:` URI. Standard input has the URI `--stdin-filename` gives it; without
  one it has a description only (valid SARIF, but code scanning cannot place it).
- The region is 1-based `startLine`/`startColumn` (where the entity or field is written) to
  the end of that line: `endLine` is the start line, `endColumn` is one past the line's last
  character when the file is one the run read (else it is left out, which SARIF reads as the
  end of the line); columns count Unicode code points (`columnKind`).
- `automationDetails.id` is `strataudit/` (a category, which an upload's own `category`
  overrides). With `--docs-url URL` (where strataudit's `docs/` folder is published) the driver
  has `informationUri` URL and each rule a `helpUri` into `rules.md`; without it they are left
  out rather than made up (every rule's help is in the log itself).
- A waived finding carries an external, accepted suppression with the waiver's justification;
  with a baseline, results carry `baselineState` `new` or `unchanged` (membership of the
  baseline); `properties.state` is the one state each finding is counted by (`results.py`).
- Input errors are `toolExecutionNotifications` of the one invocation, which then did not
  execute successfully; expired and unused waivers are `toolConfigurationNotifications`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from strataudit.docs import rule_markdown
from strataudit.reports import RenderOptions
from strataudit.reports.paths import STDIN, absolute, default_root, under_root
from strataudit.results import Finding, InputProblem, Report, Severity, Waiver
from strataudit.rulefile import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "strataudit/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
ROOT_ID = "%SRCROOT%"  # the uriBaseId of repository-relative URIs, as GitHub's examples name it
AUTOMATION_ID = "strataudit/"


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


@dataclass
class Context:
    """What every location of one log needs: the root, the artifacts' indexes, the lines."""

    root: Path
    docs_url: str | None = None
    index: dict[str, int] = field(default_factory=dict)  #: reported file -> artifact index
    readable: frozenset[str] = frozenset()  #: real paths of the files the run read
    _lines: dict[str, list[str] | None] = field(default_factory=dict)

    def file_location(self, file: str) -> dict[str, Any]:
        """`{"uri", "uriBaseId"}` under the root, an absolute `file:` URI outside it."""
        inside = under_root(file, self.root)
        if inside is not None:
            return {"uri": quote(inside, safe="/"), "uriBaseId": ROOT_ID}
        return {"uri": uri(str(absolute(file)))}

    def end_column(self, file: str, line: int) -> int | None:
        """One past the last character of `line` in `file`, if the run read that file."""
        real = os.path.realpath(absolute(file))
        if real not in self.readable:
            return None
        if real not in self._lines:
            try:
                self._lines[real] = Path(real).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError, ValueError):
                self._lines[real] = None
        lines = self._lines[real]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return len(lines[line - 1]) + 1


def artifact_location(file: str, ctx: Context) -> dict[str, Any]:
    """Unnamed standard input has no URI: it is described instead (a valid artifactLocation)."""
    if file == STDIN:
        return {"description": {"text": "standard input"}}
    out = ctx.file_location(file)
    if file in ctx.index:
        out["index"] = ctx.index[file]
    return out


def region(file: str, line: int, column: int, ctx: Context) -> dict[str, Any]:
    """From the line and column given to the end of that line (see the module docstring)."""
    start_line, start_column = max(line, 1), max(column, 1)
    out: dict[str, Any] = {
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": start_line,
    }
    end = ctx.end_column(file, start_line) if file != STDIN else None
    if end is not None:
        out["endColumn"] = max(end, start_column + 1)
    return out


def anchor(title: str) -> str:
    """A Markdown heading's anchor as GitHub makes it: `ACT001: No owner` -> `act001-no-owner`."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def camel_case(title: str) -> str:
    """A rule title as a SARIF rule `name` (`Product matched...` -> `ProductMatched...`)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def rule_descriptor(rule: Rule, ctx: Context | None = None) -> dict[str, Any]:
    """A rule as a SARIF `reportingDescriptor`, with its help (and `helpUri`, see above)."""
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
    out: dict[str, Any] = {
        "id": spec.id,
        "name": camel_case(spec.title),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.rationale.strip()},
        "help": {"text": text, "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": properties,
    }
    if ctx is not None and ctx.docs_url and rule.builtin:  # a pack's rules are not in rules.md
        out["helpUri"] = f"{ctx.docs_url}rules.md#{anchor(f'{spec.id}: {spec.title}')}"
    return out


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


def result(f: Finding, report: Report, rule_index: dict[str, int], ctx: Context) -> dict[str, Any]:
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
                        "artifactLocation": artifact_location(loc.file, ctx),
                        "region": region(loc.file, loc.line, loc.column, ctx),
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


def _problem_location(problem: InputProblem, ctx: Context) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(problem.file, ctx)}
    if problem.line is not None and problem.line >= 1:
        physical["region"] = {"startLine": problem.line, "startColumn": max(problem.column or 1, 1)}
    location: dict[str, Any] = {"physicalLocation": physical}
    if problem.path:
        location["logicalLocations"] = [{"fullyQualifiedName": problem.path, "kind": "member"}]
    return location


def error_notification(problem: InputProblem, ctx: Context) -> dict[str, Any]:
    """An input problem as a tool execution notification."""
    text = problem.message + (f" (hint: {problem.hint})" if problem.hint else "")
    return {
        "level": "error",
        "message": {"text": text},
        "descriptor": {"id": "input-error"},
        "locations": [_problem_location(problem, ctx)],
        "properties": {"hint": problem.hint, "path": problem.path or None},
    }


_SOURCE = re.compile(r"^(?P<file>.+):(?P<line>[0-9]+)$")


def waiver_notification(waiver: Waiver, kind: str, lvl: str, ctx: Context) -> dict[str, Any]:
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
                    "artifactLocation": ctx.file_location(m["file"]),
                    "region": {"startLine": max(int(m["line"]), 1)},
                }
            }
        ]
    elif waiver.source:
        location = ctx.file_location(waiver.source)
        out["locations"] = [{"physicalLocation": {"artifactLocation": location}}]
    return out


def _artifacts(report: Report, ctx: Context) -> list[dict[str, Any]]:
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
    ctx.index.update({file: i for i, file in enumerate(roles)})
    return [{"location": ctx.file_location(file), "roles": role} for file, role in roles.items()]


def as_dict(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    """The report as a SARIF log (plain data)."""
    options = options or RenderOptions()
    docs = options.docs_url.rstrip("/") + "/" if options.docs_url else None
    ctx = Context(
        root=(options.root or default_root()).resolve(),
        docs_url=docs,
        readable=frozenset(s for r in report.results for s in r.sources),
    )
    rules = list(report.ruleset)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    artifacts = _artifacts(report, ctx)
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.errors,
        "exitCode": report.verdict.exit_code,
        "toolExecutionNotifications": [error_notification(e, ctx) for e in report.errors],
        "toolConfigurationNotifications": (
            [waiver_notification(w, "expired", "warning", ctx) for w in report.expired_waivers]
            + [waiver_notification(w, "unused", "note", ctx) for w in report.unused_waivers]
        ),
        "properties": {
            "verdict": report.verdict.verdict,
            "reasons": list(report.verdict.reasons),
            "failOn": report.fail_on_label,
            "asOf": report.as_of.isoformat(),
            "skipped": list(report.skipped),
        },
    }
    driver: dict[str, Any] = {"name": "strataudit", "version": report.tool_version}
    if docs:
        driver["informationUri"] = docs
    driver["rules"] = [rule_descriptor(r, ctx) for r in rules]
    driver["properties"] = {"rulesVersion": report.rules_version}
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": AUTOMATION_ID},
        "originalUriBaseIds": {ROOT_ID: {"uri": ctx.root.as_uri().rstrip("/") + "/"}},
        "invocations": [invocation],
        "artifacts": artifacts,
        "columnKind": "unicodeCodePoints",
        "results": [result(f, report, rule_index, ctx) for f in report.findings],
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
    return json.dumps(as_dict(report, options), indent=2, ensure_ascii=False) + "\n"
