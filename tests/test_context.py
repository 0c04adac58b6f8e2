"""Context includes and plan levels (issue 13): a unit plan that includes HQ's strategy as
context reports its own defects only; HQ's corporate file audits on its own.

Fixtures: tests/fixtures/includes/context/ (hq.yaml, published by HQ in USD; geo.yaml, the EMEA
plan that includes it as context, with the defects its header lists)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLES

from strataudit.audit import Auditor, Target
from strataudit.rulefile import RuleSet, load_pack, load_ruleset

CONTEXT = FIXTURES / "includes" / "context"
RULESET = load_ruleset()
AUDITOR = Auditor(RULESET)


def audit(path: Path, auditor: Auditor = AUDITOR):
    result = auditor.audit(Target(path, str(path)))
    assert result.error is None, result.error
    return result


def found(path: Path, auditor: Auditor = AUDITOR) -> list[tuple[str, str | None]]:
    return sorted((f.rule, f.entity or "") for f in audit(path, auditor).findings)


def plain_copy(tmp_path: Path) -> Path:
    """The geography plan with HQ's file included plainly (a company-wide review)."""
    shutil.copy(CONTEXT / "hq.yaml", tmp_path / "hq.yaml")
    text = (CONTEXT / "geo.yaml").read_text()
    plain = text.replace("  - {file: hq.yaml, as: context}", "  - hq.yaml")
    assert plain != text
    (tmp_path / "geo.yaml").write_text(plain)
    return tmp_path / "geo.yaml"


def test_a_geography_plan_reports_exactly_its_own_defects_and_nothing_of_hqs():
    assert found(CONTEXT / "geo.yaml") == [
        ("ACT001", "A2"),
        ("CON001", "EM-G2"),
        ("CON004", "BU-EMEA"),  # HQ sets the budget, the geography writes the unit: its own
        ("CON007", "BU-EMEA"),  # ... and HQ sets it in USD, in a EUR plan
        ("GOL001", "EM-G2"),
    ]


def test_the_same_files_included_plainly_check_hqs_content_too(tmp_path):
    """A plain include keeps today's meaning: what HQ's file holds is the plan's and checked."""
    got = set(found(plain_copy(tmp_path)))
    assert set(found(CONTEXT / "geo.yaml")) <= got
    hq_only = {
        ("GOL002", "BU-NA"),  # an HQ unit with no goals
        ("STR002", "BU-NA"),
        ("SWT002", "W2"),  # an HQ weakness no geography action addresses
        ("GOL004", "CG3"),  # an HQ corporate goal the geography does not carry
        ("SEG003", "SEG-AUTO"),
        ("CON007", "BU-NA"),
        ("CON007", ""),  # the envelope, in USD
    }
    assert hq_only <= got


def test_context_satisfies_references_and_absence_checks():
    """EM-G1 supports HQ's CG2 and A1 addresses HQ's W1: no CON001, GOL001 or SWT002 for them,
    and CG2 being context does not make the alignment chain stop at it."""
    got = found(CONTEXT / "geo.yaml")
    assert ("GOL001", "EM-G1") not in got
    assert not any(rule == "CON001" and entity != "EM-G2" for rule, entity in got)


def test_the_views_can_tell_context_from_the_plans_own():
    """The loaded plan says which entities only context files write (the report's views mark
    them), and so do the facts (`context: true`), which is what the engine decides on."""
    from strataudit.facts import build_facts

    loaded = audit(CONTEXT / "geo.yaml").plan
    assert loaded is not None
    prov = loaded.provenance
    for path in ("units[BU-NA]", "corporate", "corporate.goals[CG3]", "assessment.weaknesses[W2]"):
        assert prov.is_context(path), path
    for path in (
        "units[BU-EMEA]",
        "units[BU-EMEA].goals[EM-G1]",
        "actions[A1]",
        "products[PR-ARM5]",
    ):
        assert not prov.is_context(path), path
    facts = build_facts(loaded.plan, provenance=prov).facts
    context = {(f["type"], f.get("key")) for f in facts if f.get("context")}
    assert ("unit", "BU-NA") in context and ("goal", "CG3") in context
    assert ("unit", "BU-EMEA") not in context and ("action", "A1") not in context
    assert not any(f["type"] == "plan" and f.get("context") for f in facts)


def test_a_file_included_both_plainly_and_as_context_is_the_plans_own(tmp_path):
    """Read once, it cannot be both: one plain path to it makes it the plan's own."""
    geo = plain_copy(tmp_path)
    (tmp_path / "mid.yaml").write_text("strataudit: 1\ninclude: [{file: hq.yaml, as: context}]\n")
    geo.write_text(
        geo.read_text().replace("  - hq.yaml", "  - {file: mid.yaml, as: context}\n  - hq.yaml")
    )
    assert ("GOL002", "BU-NA") in found(geo)


def test_what_a_context_file_includes_is_context_too(tmp_path):
    shutil.copy(CONTEXT / "hq.yaml", tmp_path / "hq.yaml")
    (tmp_path / "mid.yaml").write_text("strataudit: 1\ninclude: [hq.yaml]\n")
    text = (
        (CONTEXT / "geo.yaml")
        .read_text()
        .replace("{file: hq.yaml, as: context}", "{file: mid.yaml, as: context}")
    )
    (tmp_path / "geo.yaml").write_text(text)
    assert found(tmp_path / "geo.yaml") == found(CONTEXT / "geo.yaml")


def test_the_bundled_unit_sample_includes_hq_as_context_and_hq_audits_alone():
    unit = (SAMPLES / "unit-eu" / "eu-plan.yaml").read_text()
    assert "include: [{file: corporate.yaml, as: context}]" in unit
    assert found(SAMPLES / "unit-eu" / "eu-plan.yaml") == []
    hq = audit(SAMPLES / "unit-eu" / "corporate.yaml")
    assert (hq.level, hq.findings) == ("corporate", ())


def test_a_corporate_file_runs_only_the_rules_of_what_it_holds(tmp_path):
    """Audited as a full plan, HQ's file has no products, actions or market strategy; at
    `level: corporate` those rules do not apply, and the result says which did not."""
    hq = audit(CONTEXT / "hq.yaml")
    assert hq.findings == ()
    assert {"ACT001", "STR003", "GOL002", "SWT002", "MKT003"} <= set(hq.not_applicable)
    assert not {"STR001", "GOL005", "SWT001", "SEG001", "SEG004", "CON004", "CON001"} & set(
        hq.not_applicable
    )
    full = tmp_path / "hq.yaml"
    full.write_text((CONTEXT / "hq.yaml").read_text().replace("level: corporate", "level: full"))
    assert {"STR003", "GOL002", "SWT002", "MKT003"} <= {r for r, _ in found(full)}
    assert audit(full).not_applicable == ()


def test_corporate_level_rules_still_find_corporate_defects(tmp_path):
    text = (CONTEXT / "hq.yaml").read_text()
    bad = text.replace("budget: 3000000", "budget: 1000000").replace(
        "deadline: 2027-12-31, owner: cfo", "owner: cfo"
    )
    (tmp_path / "hq.yaml").write_text(bad)
    assert found(tmp_path / "hq.yaml") == [("CON004", ""), ("GOL006", "CG1")]


PACK = """\
strataudit_rule: 1
id: ZZZ{n:03d}
title: Unit with a budget
severity: info
category: structure
scope: entity
{extra}
source: "planning practice: probe"
rationale: r
remediation: r
message: "Unit {{subject.key}} has a budget"
match:
  - {{as: subject, fact: unit, where: {{budget: {{present: true}}}}}}
examples:
  fail:
    - plan: |
        strataudit: 1
        plan: {{id: p, level: {level}}}
        units: [{{id: U, name: u, budget: 1}}]
      expect: [{{entity: U}}]
  pass:
    - plan: |
        strataudit: 1
        plan: {{id: p}}
        units: [{{id: U, name: u}}]
"""


@pytest.fixture(scope="module")
def pack_auditor(tmp_path_factory):
    """Pack rules: one for corporate files only, one that reports on context (`context:
    check`), one with neither (every level, never on context)."""
    folder = tmp_path_factory.mktemp("pack")
    for n, extra, level in (
        (1, "levels: [corporate]", "corporate"),
        (2, "context: check", "full"),
        (3, "", "full"),
    ):
        (folder / f"ZZZ{n:03d}.yaml").write_text(PACK.format(n=n, extra=extra, level=level))
    return Auditor(RuleSet(load_pack(folder)))


def test_a_rule_says_the_levels_it_applies_to_and_whether_it_reports_on_context(pack_auditor):
    geo = found(CONTEXT / "geo.yaml", pack_auditor)
    assert ("ZZZ001", "BU-EMEA") not in geo  # a full plan: ZZZ001 is for corporate files only
    assert ("ZZZ002", "BU-NA") in geo  # context: check reports on context
    assert ("ZZZ003", "BU-NA") not in geo and ("ZZZ003", "BU-EMEA") in geo
    hq = found(CONTEXT / "hq.yaml", pack_auditor)
    assert {("ZZZ001", "BU-NA"), ("ZZZ003", "BU-NA")} <= set(hq)


def test_rules_test_runs_the_examples_of_pack_rules_with_levels(run_cli, tmp_path):
    (tmp_path / "ZZZ001.yaml").write_text(
        PACK.format(n=1, extra="levels: [corporate]", level="corporate")
    )
    result = run_cli("rules", "test", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_level_or_include_entry_is_a_located_input_error(run_cli, tmp_path):
    (tmp_path / "hq.yaml").write_text("strataudit: 1\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text("strataudit: 1\nplan: {id: p, level: unit}\n")
    result = run_cli("audit", str(plan))
    assert result.returncode == 2 and "plan.yaml:2:" in result.stderr and "level" in result.stderr
    plan.write_text("strataudit: 1\nplan: {id: p}\ninclude:\n  - {file: hq.yaml, as: reference}\n")
    result = run_cli("audit", str(plan))
    assert result.returncode == 2 and "plan.yaml:4:" in result.stderr and "context" in result.stderr


def test_a_folder_does_not_audit_a_file_included_as_context_alone(run_cli):
    result = run_cli("audit", "--format", "json", str(CONTEXT))
    report = json.loads(result.stdout)
    assert [p["file"].rsplit("/", 1)[-1] for p in report["plans"]] == ["geo.yaml"]


def test_a_rule_pack_file_with_an_unknown_level_is_refused(tmp_path):
    from strataudit.errors import InputError

    (tmp_path / "ZZZ001.yaml").write_text(PACK.format(n=1, extra="levels: [unit]", level="full"))
    with pytest.raises(InputError) as exc:
        load_pack(tmp_path)
    assert "levels" in exc.value.problem.render()


def test_examples_with_included_files_are_shown_in_the_catalogue():
    from strataudit.docs import rule_markdown

    text = rule_markdown(RULESET.by_id["CON007"])
    assert "hq.yaml" in text and "currency: USD" in text


def test_a_plan_wide_finding_only_context_could_fix_is_silent(tmp_path):
    """SEG007: HQ's segment budgets above HQ's envelope are HQ's to fix; once the geography
    budgets a segment of its own, the sum is its business too."""
    hq = (
        (CONTEXT / "hq.yaml")
        .read_text()
        .replace(
            "size: 12000, priority: 1, target: true}",
            "size: 12000, priority: 1, target: true, budget: 3500000}",
        )
    )
    (tmp_path / "hq.yaml").write_text(hq)
    geo = (CONTEXT / "geo.yaml").read_text()
    (tmp_path / "geo.yaml").write_text(geo)
    assert ("SEG007", "") in found(tmp_path / "hq.yaml")  # HQ's own audit finds it
    assert ("SEG007", "") not in found(tmp_path / "geo.yaml")
    (tmp_path / "geo.yaml").write_text(
        geo.replace("  - hq.yaml", "")
        + "segments:\n  - {id: SEG-EMEA, name: EMEA plants, budget: 1}\n"
    )
    assert ("SEG007", "") in found(tmp_path / "geo.yaml")
    (tmp_path / "plain.yaml").write_text(geo.replace("{file: hq.yaml, as: context}", "hq.yaml"))
    assert ("SEG007", "") in found(tmp_path / "plain.yaml")


def test_a_corporate_section_only_context_writes_is_hqs_to_complete(tmp_path):
    """STR001: HQ's corporate section without goals is HQ's finding, not the geography's; a
    geography plan that includes no corporate strategy at all still gets it."""
    hq = (CONTEXT / "hq.yaml").read_text()
    start, end = hq.index("  goals:\n    - {id: CG1"), hq.index("assessment:")
    (tmp_path / "hq.yaml").write_text(hq[:start] + "\n" + hq[end:])
    (tmp_path / "geo.yaml").write_text((CONTEXT / "geo.yaml").read_text())
    assert ("STR001", "") in found(tmp_path / "hq.yaml")
    assert ("STR001", "") not in found(tmp_path / "geo.yaml")
    (tmp_path / "none.yaml").write_text("strataudit: 1\nplan: {id: p}\n")
    assert ("STR001", "") in found(tmp_path / "none.yaml")
