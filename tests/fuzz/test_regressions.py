"""Every crasher or violation the fuzz test found, as a small file and what must happen to it.

A row whose bug is still listed in `known.KNOWN_BUGS` is a strict xfail: CI stays green while
the fix is under way, and the row fails (XPASS) the day the fix lands, until its bug is deleted
from that table (which also lets the fuzz strategies generate such inputs again).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from fuzz.harness import Outcome, run_inprocess
from fuzz.known import KNOWN_BUGS
from fuzz.properties import check_sane, fingerprints, raw_control
from fuzz.strategies import Case, PlanFile

HERE = Path(__file__).resolve().parent / "regressions"
PLAIN_RULES = frozenset(
    [
        "ACT001",
        "ACT003",
        "ACT004",
        "AUD001",
        "MKT002",
        "MKT003",
        "MKT004",
        "SEG003",
        "SEG004",
        "SEG005",
        "SEG006",
        "STR001",
        "STR003",
        "STR005",  # the regression plans have no period (issue 13)
        "SWT001",
        "VAL004",
    ]
)


@dataclass(frozen=True)
class Regression:
    """One run and what must hold for it (besides every property of `check_sane`)."""

    files: tuple[str, ...]  # files under regressions/, in command-line order
    exit: tuple[int, ...]  # the exit codes allowed
    rules: frozenset[str] | None = None  # the rule ids of all the run's findings, exactly
    same_as: str | None = None  # the last plan's findings equal this file's, audited alone
    error: str | None = None  # an input error whose message contains this
    error_lacks: str | None = None  # ... and not this
    inert: bool = False  # no raw control character reaches the terminal
    stdin: bytes | None = None  # given as `-` in place of the first file
    bug: str | None = None  # the known bug, while it is not fixed


CASES: dict[str, Regression] = {
    "plain numbers (the control)": Regression(("number-plain.yaml",), (1,), PLAIN_RULES),
    "5.0 and 5.0e+00 are 5": Regression(("number-float.yaml",), (1,), same_as="number-plain.yaml"),
    "an action budget of 0.00005": Regression(
        ("number-tiny.yaml",), (1,), PLAIN_RULES, bug="engine-numbers"
    ),
    "a segment budget of 1.0e+16": Regression(
        ("number-exponent.yaml",), (1,), PLAIN_RULES, bug="engine-numbers"
    ),
    "1e308 before a plain plan": Regression(
        ("number-1e308.json", "number-plain.yaml"),
        (1, 2),
        same_as="number-plain.yaml",
        bug="engine-numbers",
    ),
    "a 5,000-digit JSON integer": Regression(
        ("number-huge.json",), (2,), error="size", bug="json-huge-int"
    ),
    "!!bool maybe": Regression(("tag-bool-maybe.yaml",), (2,), error="", bug="core-tag-values"),
    '!!int ""': Regression(("tag-int-empty.yaml",), (2,), error="", bug="core-tag-values"),
    "!!int -": Regression(("tag-int-sign.yaml",), (2,), error="", bug="core-tag-values"),
    '!!float ""': Regression(("tag-float-empty.yaml",), (2,), error="", bug="core-tag-values"),
    "!!map foo": Regression(
        ("tag-map-scalar.yaml",), (2,), error="plan", error_lacks="generator", bug="core-tag-values"
    ),
    "a raw NUL": Regression(("control-nul.yaml",), (2,), error="", bug="raw-control-chars"),
    "a raw BEL": Regression(("control-bell.yaml",), (2,), error="", bug="raw-control-chars"),
    "an emoji as a JSON surrogate pair": Regression(
        ("json-surrogate.json",), (0, 1), bug="json-surrogates"
    ),
    "a JSON plan with a tab after its closing brace": Regression(
        ("json-tab-after.json", "number-plain.yaml"), (1,), bug="json-yaml-marks"
    ),
    "a JSON plan with an x_ key of 1,100 characters": Regression(
        ("json-long-key.json", "number-plain.yaml"), (1,), bug="json-yaml-marks"
    ),
    "terminal escapes in a product name": Regression(
        ("terminal-escape.yaml",), (1,), inert=True, bug="terminal-escapes"
    ),
    "VAL002 on two products, swapped": Regression(
        ("val002-swapped.yaml",), (1,), same_as="val002-order.yaml", bug="val002-order"
    ),
    "empty standard input beside a plan": Regression(
        ("number-plain.yaml", "number-plain.yaml"),
        (2,),
        PLAIN_RULES,
        error="empty",
        stdin=b"",
        bug="stdin-aborts-batch",
    ),
}


def _case(name: str) -> Case:
    return Case((PlanFile(name, (HERE / name).read_bytes()),), name)


def _run(case: Regression) -> Outcome:
    cases = [_case(name) for name in case.files]
    if case.stdin is not None:
        cases[0] = Case((PlanFile("stdin.yaml", case.stdin),), "standard input")
    return run_inprocess(cases, stdin=0 if case.stdin is not None else None)


def _marks(case: Regression) -> list[pytest.MarkDecorator]:
    if case.bug in KNOWN_BUGS:
        return [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case.bug])]
    return []


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=name, marks=_marks(c)) for name, c in CASES.items()]
)
def test_regression(case: Regression) -> None:
    outcome = _run(case)
    check_sane(outcome)
    assert outcome.exit_code in case.exit, outcome.describe()
    assert outcome.report is not None
    if case.rules is not None:
        assert {f["rule"] for f in outcome.report["findings"]} == case.rules
    if case.same_as is not None:
        last = fingerprints(outcome).get(f"c{len(case.files) - 1}")
        assert last == fingerprints(run_inprocess([_case(case.same_as)])).get("c0")
    if case.error is not None:
        messages = [e["message"] for e in outcome.report["errors"]]
        assert any(case.error in m for m in messages), messages
        if case.error_lacks is not None:
            assert not any(case.error_lacks in m for m in messages), messages
    if case.inert:
        assert raw_control(outcome) is None, outcome.describe()


def test_every_known_bug_has_a_regression_case() -> None:
    """So that each one's fix is noticed (its strict xfail passes) and its line deleted."""
    named = {c.bug for c in CASES.values()}
    assert set(KNOWN_BUGS) <= named, set(KNOWN_BUGS) - named


def test_every_regression_file_is_used() -> None:
    used = {f for c in CASES.values() for f in (*c.files, c.same_as) if f}
    assert {p.name for p in HERE.iterdir()} == used
