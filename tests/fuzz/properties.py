"""What must hold for every run, whatever the input: the properties of issue 10, item 7.

Each check raises AssertionError with what a maintainer needs to reproduce (the outcome; the
case itself is printed by Hypothesis as the falsifying example).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from fuzz.harness import Outcome
from fuzz.known import active

# `error: FILE:LINE:COL: ...` (the file has no colon here: the harness names the plans).
_LOCATED = re.compile(r"^error: [^:\n]+:\d+:\d+: ", re.MULTILINE)
_ERROR_LINE = re.compile(r"^error: .*$", re.MULTILINE)
# Control characters a plan could smuggle to a terminal (tab and newline are layout).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

Fingerprint = tuple[str, str | None, str, str | None]  # rule, entity, path, detail
INPUT_ERROR: Fingerprint = ("input error", None, "", None)


def check_sane(outcome: Outcome) -> None:
    """No signal, an exit code of the contract, no traceback, located input errors, a report
    that lists every plan given, and an exit code that agrees with that report."""
    assert outcome.signal is None, f"the process died: {outcome.describe()}"
    assert outcome.exit_code in (0, 1, 2), f"exit code outside 0/1/2: {outcome.describe()}"
    seen = outcome.stdout + outcome.stderr
    assert "Traceback" not in seen, f"a traceback reached the user: {outcome.describe()}"
    assert "internal error" not in seen, f"an internal error: {outcome.describe()}"
    for line in _ERROR_LINE.findall(outcome.stderr):
        assert _LOCATED.match(line), f"an input error without file:line:col: {line!r}"
    if not active("terminal-escapes"):
        found = raw_control(outcome)
        assert found is None, f"a raw control character {found!r} reached the terminal"
    report = outcome.report
    assert report is not None, f"no report was written: {outcome.describe()}"
    for error in report["errors"]:
        assert error["line"] and error["column"], f"an error without line and column: {error}"
    listed = {p["file"] for p in report["plans"]} | {e["file"] for e in report["errors"]}
    for name in outcome.names:
        if name != "-":
            assert name in listed, f"{name} is neither audited nor an error in the report"
    if report["errors"]:
        assert outcome.exit_code == 2, f"errors reported but exit {outcome.exit_code}"
    else:
        expected = 1 if report["verdict"] == "fail" else 0
        assert outcome.exit_code == expected, f"verdict {report['verdict']}: {outcome.describe()}"


def raw_control(outcome: Outcome) -> str | None:
    """The first control character from a plan that the run wrote raw to the terminal."""
    found = _CONTROL.search(outcome.stdout + outcome.stderr)
    return found.group() if found else None


def fingerprints(outcome: Outcome) -> dict[str, frozenset[Fingerprint]]:
    """Findings per audited plan, as what identifies them (no line, no message text), and
    whether the plan was an input error (which plans fail to load must not change either; the
    message may quote the value as written, and which of two bad fields comes first may follow
    the order of the text, so only the fact of the error is compared)."""
    assert outcome.report is not None
    by_plan: dict[str, set[Fingerprint]] = defaultdict(set)
    for plan in outcome.report["plans"]:
        by_plan[_case_of(plan["file"])]
    for f in outcome.report["findings"]:
        by_plan[_case_of(f["location"]["file"])].add(
            (f["rule"], f["entity"], f["location"]["path"], _text(f.get("detail")))
        )
    for e in outcome.report["errors"]:
        by_plan[_case_of(e["file"])].add(INPUT_ERROR)
    return {name: frozenset(found) for name, found in by_plan.items()}


def _case_of(file: str) -> str:
    """The case folder a file belongs to (`c3/plan.yaml` -> `c3`); a finding in an included
    file counts for the plan that included it."""
    return file.split("/", 1)[0]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def findings_of(outcome: Outcome) -> frozenset[Fingerprint]:
    """The findings of a run of one plan, after checking the run itself."""
    check_sane(outcome)
    found = fingerprints(outcome)
    return next(iter(found.values()), frozenset())
