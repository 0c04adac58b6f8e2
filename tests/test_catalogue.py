"""The catalogue as a whole: it matches the spec, finds the hand-made oracle, is silent on clean
plans."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES

from strataudit.audit import Auditor, Target
from strataudit.rulefile import CATEGORIES, load_ruleset

RULESET = load_ruleset()
AUDITOR = Auditor(RULESET)
# the shared folder sits beside the repository, or beside the folder of worktrees holding it
SHARED = next(
    (d for d in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if d.is_dir()),
    ROOT.parent / "shared",
)
SEEDS = {"000_627f5b3bf93aa540.txt", "004_6ca02e469f8f0297.txt"}


def findings_of(path: Path):
    result = AUDITOR.audit(Target(path, str(path)))
    assert result.error is None, result.error
    return result.findings


def spec_table() -> dict[str, tuple[str, str]]:
    """id -> (severity, category) from the shared catalogue spec (the contract)."""
    text = (SHARED / "spec" / "rules.md").read_text()
    table: dict[str, tuple[str, str]] = {}
    category = ""
    for line in text.splitlines():
        heading = re.match(r"^## (\w+) \(", line)
        if heading:
            category = heading.group(1)
        row = re.match(r"^\| ([A-Z]{3}\d{3}) \| (\w+) \|", line)
        if row:
            table[row.group(1)] = (row.group(2), category)
    return table


def test_catalogue_matches_the_spec_ids_severities_and_categories():
    if not (SHARED / "spec" / "rules.md").exists():
        pytest.skip("shared/spec/rules.md is not beside the repository")
    spec = spec_table()
    assert len(spec) == 50
    ours = {r.id: (r.spec.severity, r.category) for r in RULESET}
    assert ours == spec
    assert {r.category for r in RULESET} <= set(CATEGORIES)


def test_rule_files_live_in_their_category_folder():
    for rule in RULESET:
        assert rule.file == f"rules/{rule.category}/{rule.id}.yaml"


def _words(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').split())


def test_quotes_are_verbatim_seed_sentences():
    if not (SHARED / "seeds").is_dir():
        pytest.skip("shared/seeds is not beside the repository")
    seeds = {name: _words((SHARED / "seeds" / name).read_text()) for name in SEEDS}
    for rule in RULESET:
        if rule.spec.source in SEEDS:
            assert rule.spec.quote, f"{rule.id} rests on a seed but quotes nothing"
            assert _words(rule.spec.quote) in seeds[rule.spec.source], rule.id
        else:
            assert rule.spec.source.startswith("planning practice"), rule.id


@pytest.mark.parametrize("plan", ["acme-2027.yaml", "acme-2027.json", "unit-eu/eu-plan.yaml"])
def test_clean_plans_give_nothing(plan):
    found = findings_of(SAMPLES / plan)
    assert [(f.rule, f.entity, f.message) for f in found] == []


@pytest.mark.parametrize("plan", ["acme-defects.yaml", "acme-skeleton.yaml"])
def test_defect_plans_give_exactly_the_hand_made_oracle(plan):
    expected = Counter(
        (e["rule"], e["entity"], e.get("ref"))
        for e in yaml.safe_load((SAMPLES / "expected" / plan).read_text())
    )
    got = Counter(
        (f.rule, f.entity, f.detail if f.rule == "CON001" else None)
        for f in findings_of(SAMPLES / plan)
    )
    assert got == expected


def test_every_rule_fires_on_some_sample_plan():
    fired = {
        f.rule
        for p in ("acme-defects.yaml", "acme-skeleton.yaml")
        for f in findings_of(SAMPLES / p)
    }
    assert fired == set(RULESET.by_id)


def test_findings_from_an_included_file_name_that_file(tmp_path):
    """A defect written in HQ's file is located there, at its line, not in the unit's plan."""
    corp = (SAMPLES / "unit-eu" / "corporate.yaml").read_text()
    corp = corp.replace('accepted_risk: "Addressed by the 2028 brand plan"', "x_note: dropped")
    assert "x_note" in corp
    (tmp_path / "corporate.yaml").write_text(corp)
    (tmp_path / "eu-plan.yaml").write_text((SAMPLES / "unit-eu" / "eu-plan.yaml").read_text())
    found = findings_of(tmp_path / "eu-plan.yaml")
    assert [(f.rule, f.entity) for f in found] == [("SWT002", "W2")]
    loc = found[0].location
    assert loc.file.endswith("corporate.yaml") and loc.path == "assessment.weaknesses[W2]"
    assert corp.splitlines()[loc.line - 1].lstrip().startswith("- {id: W2")
