"""Golden compiled rulesets: what the compiler emits for a few rules, kept under tests/asts/.

A change to the compiler (or to one of these rules) shows up as a readable JSON diff. When the
change is intended, regenerate the files and review the diff:

    .venv/bin/python tests/test_compiled_asts.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from strataudit.compiler import compile_rules
from strataudit.rulefile import load_ruleset

ASTS = Path(__file__).resolve().parent / "asts"
# absence after the trigger, derivations with comparisons, forward chaining, a join on links,
# `in` groups last
RULES = ("SEG002", "CON004", "GOL001", "CON001", "SWT002", "MKT002")


def compiled(rule_id: str) -> dict[str, Any]:
    """The engine program of one rule alone, as plain JSON data."""
    program = compile_rules([load_ruleset().by_id[rule_id]])
    return {
        "rule": rule_id,
        "derives": [
            {"name": d.name, "bound": list(d.bound), "template": d.template, "when": d.definition}
            for d in program.derives
        ],
        "checks": [
            {"name": c.name, "case": c.case_index, "bound": list(c.bound), "when": c.definition}
            for c in program.checks
        ],
        "fact_types": sorted(program.fact_types),
    }


def text_of(rule_id: str) -> str:
    return json.dumps(compiled(rule_id), indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("rule_id", RULES)
def test_compiled_ruleset_matches_its_golden_file(rule_id):
    golden = ASTS / f"{rule_id}.json"
    assert golden.is_file(), "run: .venv/bin/python tests/test_compiled_asts.py --write"
    assert text_of(rule_id) == golden.read_text(), (
        f"the compiled form of {rule_id} changed; if intended, regenerate with "
        "`.venv/bin/python tests/test_compiled_asts.py --write` and review the diff"
    )


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    ASTS.mkdir(exist_ok=True)
    for rule_id in RULES:
        (ASTS / f"{rule_id}.json").write_text(text_of(rule_id))
        print(f"wrote {ASTS / rule_id}.json")
