"""Every rule's own examples: each fail example gives exactly its findings, each pass none."""

from __future__ import annotations

import pytest

from strataudit.audit import Auditor
from strataudit.examples import run_examples
from strataudit.rulefile import load_ruleset

RULESET = load_ruleset()
AUDITOR = Auditor(RULESET)
CASES = [
    (rule, kind, i)
    for rule in RULESET
    for kind, items in (("fail", rule.spec.examples.fail), ("pass", rule.spec.examples.pass_))
    for i in range(len(items))
]


@pytest.mark.parametrize(
    ("rule", "kind", "index"), CASES, ids=[f"{r.id}-{k}{i}" for r, k, i in CASES]
)
def test_rule_example(rule, kind, index):
    outcomes = run_examples(AUDITOR, [rule], only=f"{kind}[{index}]")
    assert len(outcomes) == 1
    assert outcomes[0].ok, outcomes[0].problem


def test_builtin_rules_ship_with_the_package():
    """`pip install .` must carry the catalogue: the rules load from the installed package
    (CI installs it non-editable, so this runs against the wheel's contents)."""
    from strataudit.rulefile import builtin_rules_dir

    assert len(list(builtin_rules_dir().glob("*/*.yaml"))) == 55
    assert len(RULESET) == 55
    assert all(r.builtin and r.file.startswith("rules/") for r in RULESET)
