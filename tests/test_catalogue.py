"""The catalogue as a whole: it matches the spec, finds the hand-made oracle, is silent on clean
plans.

Two tests compare the catalogue with material that is not in the repository: the catalogue spec
(`shared/spec/rules.md`) and the texts the rules quote (`shared/seeds/`), both kept beside the
repository in the project's workspace (`STRATAUDIT_SHARED` points elsewhere). They skip, saying
so, when that folder is absent, as on a user's clone.
"""

from __future__ import annotations

import os
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
SHARED = Path(os.environ.get("STRATAUDIT_SHARED") or ROOT.parent / "shared")
# The texts the catalogue quotes: a rule's `source` (title, and author or site) -> its file.
SEEDS = {
    "SMstudy, “Eye to Eye on IT Value: Marketing and SMstudy”, smstudy.com (no author named)": (
        "000_627f5b3bf93aa540.txt"
    ),
    "Techno Marketing Academy, “Define a market strategy”, techno-marketing-academy.fr "
    "(no author named)": "004_6ca02e469f8f0297.txt",
}


def findings_of(path: Path):
    result = AUDITOR.audit(Target(path, str(path)))
    assert result.error is None, result.error
    return result.findings


def shared_file(*parts: str) -> Path:
    """A file of the workspace's shared folder, or skip the test: a user's clone has none."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent (it sits beside the repository only in the workspace)")
    return path


def spec_table() -> dict[str, tuple[str, str]]:
    """id -> (severity, category) from the shared catalogue spec (the contract)."""
    text = shared_file("spec", "rules.md").read_text()
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


# Checks added after the spec's 50 (issue 13): new ids, each continuing its category's numbering.
ADDED = {
    "STR005": ("warning", "structure"),
    "GOL010": ("error", "goals"),
    "SEG007": ("error", "segmentation"),
    "CON006": ("error", "consistency"),
    "CON007": ("error", "consistency"),
}


def test_catalogue_matches_the_spec_ids_severities_and_categories():
    """The spec's ids are permanent: each keeps its severity and category; additions are new
    ids that continue their category's numbering."""
    spec = spec_table()
    assert len(spec) == 50
    ours = {r.id: (r.spec.severity, r.category) for r in RULESET}
    assert ours == spec | ADDED
    assert {r.category for r in RULESET} <= set(CATEGORIES)
    for rule_id, (_, category) in ADDED.items():
        prefix, number = rule_id[:3], int(rule_id[3:])
        taken = {int(k[3:]) for k, v in spec.items() if k[:3] == prefix and v[1] == category}
        assert number > max(taken), rule_id


def test_rule_files_live_in_their_category_folder():
    for rule in RULESET:
        assert rule.file == f"rules/{rule.category}/{rule.id}.yaml"


def _words(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').split())


def test_every_source_is_a_cited_text_with_its_quote_or_a_planning_practice():
    """A reviewer must be able to cite the source to a plan owner: no file names."""
    for rule in RULESET:
        if rule.spec.source in SEEDS:
            assert rule.spec.quote, f"{rule.id} rests on a text but quotes nothing"
        else:
            assert rule.spec.source.startswith("planning practice: "), rule.id
            assert not rule.spec.quote, f"{rule.id} quotes a text it does not cite"


def test_quotes_are_verbatim_sentences_of_the_cited_text():
    texts = {cite: _words(shared_file("seeds", name).read_text()) for cite, name in SEEDS.items()}
    for rule in RULESET:
        if rule.spec.source in SEEDS:
            assert _words(rule.spec.quote or "") in texts[rule.spec.source], rule.id


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
        for p in (
            SAMPLES / "acme-defects.yaml",
            SAMPLES / "acme-skeleton.yaml",
            # CON007 needs an included file in another currency
            ROOT / "tests" / "fixtures" / "includes" / "context" / "geo.yaml",
        )
        for f in findings_of(p)
    }
    assert fired == set(RULESET.by_id)


def test_findings_from_an_included_file_name_that_file(tmp_path):
    """A defect written in HQ's file is located there, at its line, not in the unit's plan
    (HQ's file included plainly: a company-wide review checks what it includes)."""
    corp = (SAMPLES / "unit-eu" / "corporate.yaml").read_text()
    corp = corp.replace('accepted_risk: "Addressed by the 2028 brand plan"', "x_note: dropped")
    assert "x_note" in corp
    (tmp_path / "corporate.yaml").write_text(corp)
    unit = (SAMPLES / "unit-eu" / "eu-plan.yaml").read_text()
    plain = unit.replace("[{file: corporate.yaml, as: context}]", "[corporate.yaml]")
    assert plain != unit
    (tmp_path / "eu-plan.yaml").write_text(plain)
    found = findings_of(tmp_path / "eu-plan.yaml")
    assert [(f.rule, f.entity) for f in found] == [("SWT002", "W2")]
    loc = found[0].location
    assert loc.file.endswith("corporate.yaml") and loc.path == "assessment.weaknesses[W2]"
    assert corp.splitlines()[loc.line - 1].lstrip().startswith("- {id: W2")
