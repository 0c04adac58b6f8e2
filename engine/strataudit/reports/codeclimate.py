"""`--format codeclimate`: GitLab's Code Quality report (a subset of the Code Climate spec).

GitLab reads a JSON array of issues from the job artifact `artifacts: reports: codequality:`
and shows them in the merge request ("Code Quality", section "Code Quality report format",
`https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format`). Each issue has
the fields GitLab requires: `description`, `check_name` (the rule id), `fingerprint` (the
finding's stable fingerprint, so an unchanged finding is not shown as new when lines move),
`severity` (`info`, `minor`, `major`, `critical` or `blocker`) and `location` (`path` relative
to the repository root, `positions.begin` line and column, or `lines.begin`); `type`,
`categories` and `content` come from the Code Climate spec that GitLab's format is taken from
(`https://github.com/codeclimate/platform/blob/master/spec/analyzers/SPEC.md`). The tests
validate the output against `tests/schemas/gitlab-codequality.schema.json`, written from those
pages.

Only findings the gate counts are listed: waived and baselined ones are accepted. Input errors
are issues too (check `strataudit/input-error`, severity `blocker`), since the gate fails on
them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from strataudit.reports import RenderOptions
from strataudit.reports.base import Report
from strataudit.reports.paths import STDIN, default_root, repo_path
from strataudit.results import Severity

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}
INPUT_ERROR = "strataudit/input-error"


def _location(
    file: str, line: int | None, column: int | None, options: RenderOptions
) -> dict[str, Any]:
    path = repo_path(file, options.root or default_root()) or STDIN
    begin = {"line": max(line or 1, 1), "column": max(column or 1, 1)}
    return {"path": path, "positions": {"begin": begin}}


def issues(report: Report, options: RenderOptions) -> list[dict[str, Any]]:
    """The counted findings, then the input errors, as Code Quality issues."""
    out: list[dict[str, Any]] = []
    for finding in report.findings:
        if not finding.counts:
            continue
        loc = finding.location
        out.append(
            {
                "type": "issue",
                "check_name": finding.rule,
                "description": f"{finding.rule}: {finding.message} (at {loc.path})",
                "content": {"body": finding.remediation.strip()},
                "categories": ["Style"],
                "severity": SEVERITIES[finding.severity],
                "fingerprint": finding.fingerprint,
                "location": _location(loc.file, loc.line, loc.column, options),
            }
        )
    for error in report.all_errors:
        identity = f"{error.file}\0{error.line}\0{error.column}\0{error.message}"
        description = error.message + (f" (hint: {error.hint})" if error.hint else "")
        out.append(
            {
                "type": "issue",
                "check_name": INPUT_ERROR,
                "description": description,
                "categories": ["Bug Risk"],
                "severity": "blocker",
                "fingerprint": hashlib.sha256(identity.encode()).hexdigest()[:32],
                "location": _location(error.file, error.line, error.column, options),
            }
        )
    return out


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as a Code Quality JSON array."""
    return (
        json.dumps(issues(report, options or RenderOptions()), indent=2, ensure_ascii=False) + "\n"
    )
