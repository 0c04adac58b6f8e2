"""`--format junit`: JUnit XML for CI test reports (valid against junit-10.xsd).

One `<testsuite>` per audited plan (name = the plan file), one `<testcase>` per rule of the run's
rule set (classname = the plan id, name = `RULEID title`), and one `<failure>` per counted
finding of that rule (message = the finding's message, type = its severity; the text gives the
location, the plan path and the fix). Waived and baselined findings do not fail: they are listed
in the test case's `<system-out>`. A plan that could not be loaded, or a path that could not be
used, is a suite with one test case holding an `<error>`.

`failures` counts `<failure>` elements (so it equals the counted findings and may exceed
`tests` when a rule fails on several entities); `errors` counts `<error>` elements.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from strataudit.results import Finding, InputProblem, PlanResult, Report, State
from strataudit.rulefile import Rule


def _where(f: Finding) -> str:
    loc = f.location
    return f"{loc.file}:{loc.line}:{loc.column}"


def _failure_text(f: Finding) -> str:
    lines = [f"{_where(f)}: {f.message}", f"path: {f.location.path}"]
    if f.entity:
        lines.append(f"entity: {f.entity}")
    lines += [f"severity: {f.severity.label}", f"fix: {f.remediation}"]
    if f.expired_waiver is not None:
        lines.append(f"waiver expired: {f.expired_waiver.describe()}")
    return "\n".join(lines)


def _not_counted_line(f: Finding) -> str:
    """`[waived ...]` or `[baselined]`: a finding that does not fail its test case."""
    if f.state is State.WAIVED and f.waiver is not None:
        w = f.waiver
        why = f"waived until {w.expires.isoformat()} by {w.owner}: {w.reason}" + (
            " (also in the baseline)" if f.baselined else ""
        )
    else:
        why = "baselined"
    return f"[{why}] {f.severity.label} {_where(f)} ({f.location.path}): {f.message}"


def _testcase(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"name": name, "classname": classname, "time": "0"})


def _props(suite: ET.Element, values: dict[str, str]) -> None:
    props = ET.SubElement(suite, "properties")
    for key, value in values.items():
        ET.SubElement(props, "property", {"name": key, "value": value})


def _set_counts(suite: ET.Element, tests: int, failures: int, errors: int) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    suite.set("time", "0")


def _plan_suite(
    root: ET.Element,
    result: PlanResult,
    rules: list[Rule],
    report: Report,
) -> tuple[int, int, int]:
    suite = ET.SubElement(root, "testsuite", {"name": result.file, "file": result.file})
    classname = result.plan_id or result.file
    _props(
        suite,
        {
            "plan.id": result.plan_id or "",
            "plan.file": result.file,
            "fail_on": report.fail_on_label,
            "rules_version": report.rules_version,
            "as_of": report.as_of.isoformat(),
        },
    )
    by_rule: dict[str, list[Finding]] = {}
    for f in sorted(result.findings, key=Finding.sort_key):
        by_rule.setdefault(f.rule, []).append(f)
    failures = 0
    cases = [(f"{rule.id} {rule.spec.title}", by_rule.pop(rule.id, [])) for rule in rules]
    cases += list(by_rule.items())  # a finding of a rule not in the set: still shown
    for name, found in cases:
        case = _testcase(suite, classname, name)
        for f in found:
            if f.counts:
                failure = ET.SubElement(
                    case, "failure", {"message": f.message, "type": f.severity.label}
                )
                failure.text = _failure_text(f)
                failures += 1
        quiet = [f for f in found if not f.counts]
        if quiet:
            ET.SubElement(case, "system-out").text = "\n".join(map(_not_counted_line, quiet))
    tests = len(cases)
    reasons = report.verdict_of(result).reasons
    if reasons:
        ET.SubElement(suite, "system-out").text = "\n".join(reasons)
    _set_counts(suite, tests, failures, 0)
    return tests, failures, 0


def _error_suite(root: ET.Element, name: str, problem: InputProblem) -> tuple[int, int, int]:
    suite = ET.SubElement(root, "testsuite", {"name": name, "file": problem.file})
    case = _testcase(suite, problem.file, "load plan")
    error = ET.SubElement(case, "error", {"message": problem.message, "type": "input-error"})
    error.text = problem.render()
    _set_counts(suite, 1, 0, 1)
    return 1, 0, 1


# characters XML 1.0 cannot carry at all, even escaped (plan text from JSON can hold them)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(root: ET.Element) -> None:
    for el in root.iter():
        if el.text:
            el.text = _NOT_XML.sub("\ufffd", el.text)
        for key, value in el.attrib.items():
            el.set(key, _NOT_XML.sub("\ufffd", value))


def as_element(report: Report) -> ET.Element:
    """The report as a `<testsuites>` element."""
    rules = list(report.ruleset)
    root = ET.Element("testsuites", {"name": "strataudit"})
    totals = [0, 0, 0]
    for result in report.results:
        if result.error is not None:
            counts = _error_suite(root, result.file, result.error)
        else:
            counts = _plan_suite(root, result, rules, report)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    for problem in report.other_errors:  # paths and files that never became a plan result
        counts = _error_suite(root, problem.file, problem)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    root.set("time", "0")
    _clean(root)
    return root


def render(report: Report) -> str:
    """The report as JUnit XML."""
    root = as_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
