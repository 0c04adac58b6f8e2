"""`--format junit`: JUnit XML as CI test tabs show it (valid against junit-10.xsd).

CI tools (Jenkins, GitLab's test report, junit2html) show one outcome per `<testcase>`: a case
holding ten `<failure>` elements is shown as one failure, with one of them. So every finding is
its own case:

- one `<testsuite>` per audited plan (name = the plan file);
- per rule of the run's rule set that passed on the plan (no counted finding), one case named
  `RULEID title`;
- per counted finding, one case with one `<failure>`, named `RULEID entity at path` (`plan`
  for a plan-wide finding; CON001 adds the bad id), so that each is told apart in the tab;
- per waived or baselined finding, one case marked `<skipped>` with why it does not count;
- a plan that could not be loaded, or a path that could not be used, is a suite with one
  case holding an `<error>`.

Counts add up as the tools recount them: `tests` = cases, `failures` = failed cases (= counted
findings), `skipped` = skipped cases, `errors` = cases in error, at every level. All cases have
`classname` = the plan id. Durations are real: a suite's `time` is the plan's audit time
(`PlanResult.duration`, seconds, to the millisecond as the XSD allows); the engine decides all
of a plan's rules in one run, so that time is shared evenly by the plan's cases (never written
as 0: a zero total breaks junit2html's time breakdown).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from strataudit.results import Finding, InputProblem, PlanResult, Report
from strataudit.rulefile import Rule

MIN_TIME = 0.001  # seconds: the smallest time the XSD's three decimals can show
SUITE_COUNTS = ("tests", "failures", "errors", "skipped")
ROOT_COUNTS = ("tests", "failures", "errors")  # the XSD's <testsuites> has no `skipped`


@dataclass
class Tally:
    """A suite's (or the whole report's) counts, as the `<testsuite>` attributes say them."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0

    def add(self, other: Tally) -> None:
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped
        self.time += other.time

    def write(self, element: ET.Element, keys: tuple[str, ...] = SUITE_COUNTS) -> None:
        for key in keys:
            element.set(key, str(getattr(self, key)))
        element.set("time", seconds(self.time))


def seconds(value: float) -> str:
    """A duration as the XSD reads it: seconds with three decimals, never 0."""
    return f"{max(value, MIN_TIME):.3f}"


def case_name(f: Finding) -> str:
    """`SEG002 PR-SVC at products[PR-SVC].segments`: rule, entity and path (and CON001's id)."""
    name = f"{f.rule} {f.entity or 'plan'} at {f.location.path}"
    return f"{name} ({f.detail})" if f.detail else name


def _where(f: Finding) -> str:
    loc = f.location
    return f"{loc.file}:{loc.line}:{loc.column}"


def _failure_text(f: Finding) -> str:
    lines = [f"{_where(f)}: {f.message}", f"path: {f.location.path}"]
    if f.entity:
        lines.append(f"entity: {f.entity}")
    lines += [f"severity: {f.severity.label}", f"rule: {f.rule} {f.title}"]
    lines.append(f"fix: {f.remediation.strip()}")
    if f.expired_waiver is not None:
        lines.append(f"waiver expired: {f.expired_waiver.describe()}")
    return "\n".join(lines)


def _not_counted(f: Finding) -> str:
    """Why a finding does not fail: `waived until ... by ...: reason` or `baselined`."""
    if f.waiver is not None:
        w = f.waiver
        why = f"waived until {w.expires.isoformat()} by {w.owner}: {w.reason}"
        return why + (" (also in the baseline)" if f.baselined else "")
    return "baselined: recorded in the baseline, not counted"


def _props(suite: ET.Element, values: dict[str, str]) -> None:
    props = ET.SubElement(suite, "properties")
    for key, value in values.items():
        ET.SubElement(props, "property", {"name": key, "value": value})


def _plan_suite(root: ET.Element, result: PlanResult, rules: list[Rule], report: Report) -> Tally:
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
    order = [(r.id, f"{r.id} {r.spec.title}") for r in rules]
    known = {rule_id for rule_id, _ in order}
    order += [(rule_id, rule_id) for rule_id in by_rule if rule_id not in known]  # not in the set
    tally = Tally()
    cases: list[ET.Element] = []
    for rule_id, title in order:
        found = by_rule.get(rule_id, [])
        if not any(f.counts for f in found):
            cases.append(_case(suite, classname, title))
        for f in found:
            case = _case(suite, classname, case_name(f))
            cases.append(case)
            if f.counts:
                failure = ET.SubElement(
                    case, "failure", {"message": f.message, "type": f.severity.label}
                )
                failure.text = _failure_text(f)
                tally.failures += 1
            else:
                ET.SubElement(case, "skipped", {"message": _not_counted(f)})
                tally.skipped += 1
    tally.tests = len(cases)
    tally.time = result.duration
    share = seconds(result.duration / max(len(cases), 1))
    for case in cases:
        case.set("time", share)
    reasons = report.verdict_of(result).reasons
    if reasons:
        ET.SubElement(suite, "system-out").text = "\n".join(reasons)
    tally.write(suite)
    return tally


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"name": name, "classname": classname})


def _error_suite(root: ET.Element, name: str, problem: InputProblem, duration: float) -> Tally:
    suite = ET.SubElement(root, "testsuite", {"name": name, "file": problem.file})
    case = _case(suite, problem.file, "load plan")
    case.set("time", seconds(duration))
    error = ET.SubElement(case, "error", {"message": problem.message, "type": "input-error"})
    error.text = problem.render()
    tally = Tally(tests=1, errors=1, time=duration)
    tally.write(suite)
    return tally


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
    totals = Tally()
    for result in report.results:
        if result.error is not None:
            totals.add(_error_suite(root, result.file, result.error, result.duration))
        else:
            totals.add(_plan_suite(root, result, rules, report))
    for problem in report.other_errors:  # paths and files that never became a plan result
        totals.add(_error_suite(root, problem.file, problem, 0.0))
    totals.write(root, ROOT_COUNTS)
    _clean(root)
    return root


def render(report: Report) -> str:
    """The report as JUnit XML."""
    root = as_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
