"""What a reviewer acts on (issue 13, items 3-5): plans as the format allows them, every input
error of a file in one run with suggestions, placeholders counted as missing, the cause of a
finding that follows from a dangling reference, and remediations that name the finding's ids.

Through the CLI in-process (`run_cli`) and `strataudit.run`, as users and services call it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT

from strataudit import run
from strataudit.runner import RunOptions

SCHEMA = json.loads((ROOT / "engine/strataudit/schemas/report.schema.json").read_text())


def audit(tmp_path: Path, text: str, config: str | None = None, name: str = "plan.yaml"):
    """The JSON-shaped report of one plan (and, if given, its `strataudit.yaml`)."""
    from strataudit.reports.json_report import as_dict

    plan = tmp_path / name
    plan.write_text(textwrap.dedent(text))
    options = RunOptions(find_config=False)
    if config is not None:
        (tmp_path / "strataudit.yaml").write_text(textwrap.dedent(config))
        options = RunOptions(config=tmp_path / "strataudit.yaml")
    report = as_dict(run([plan], options))
    jsonschema.validate(report, SCHEMA)
    return report


def found(report: dict, rule: str) -> dict[str | None, dict]:
    return {f["entity"]: f for f in report["findings"] if f["rule"] == rule}


TYPOS = """\
    strataudit: 1
    plan: {id: ex, period: {start: 2027-01-01, end: 2027-12-31}}
    corporate:
      goals: [{id: CG2, statement: Grow}]
    assessment:
      weaknesses: [{id: W1, text: Small brand}, {id: W3, text: Thin service team}]
      threats: [{id: T3, text: Low-cost entrants}]
    units:
      - id: EMEA
        name: EMEA
        goals: [{id: EMEA-G3, statement: Sign integrators, supports: CG-2}]
    actions:
      - {id: A1, title: Price watch, addresses: [W1, T03]}
"""


def test_a_single_id_is_a_list_and_a_blank_date_is_missing(tmp_path):
    report = audit(
        tmp_path,
        """\
        strataudit: 1
        plan: {id: ex, period: {start: 2027-01-01, end: 2027-12-31}}
        corporate:
          goals: [{id: CG-1, statement: Grow, metric: ARR, target: 5}]
        units:
          - id: BU-1
            name: Europe
            goals: [{id: G1, statement: Sign, supports: CG-1, deadline: "", segments: ""}]
        """,
    )
    assert report["errors"] == []
    assert "G1" not in found(report, "GOL001")  # CG-1 is its one supported goal
    assert "CG-1" not in found(report, "GOL004")
    assert found(report, "GOL006")["G1"]["location"]["path"] == "units[BU-1].goals[G1].deadline"


def test_a_blank_entry_in_a_reference_list_is_a_reference_to_nothing(tmp_path):
    report = audit(
        tmp_path,
        """\
        strataudit: 1
        plan: {id: ex}
        assessment:
          weaknesses: [{id: W1, text: Small brand}]
        actions:
          - {id: A1, title: Recruit, addresses: [W1, ""]}
        """,
    )
    (con001,) = [f for f in report["findings"] if f["rule"] == "CON001"]
    assert con001["entity"] == "A1" and con001["detail"] == ""
    assert "a blank entry" in con001["message"]
    assert con001["location"]["line"] == 6


def test_every_input_error_of_a_file_is_reported_in_one_run_with_suggestions(run_cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        textwrap.dedent(
            """\
            strataudit: 1
            plan: {id: ex}
            units:
              - {id: BU-1, name: Europe, budget: lots}
            actions:
              - {id: A1, title: Fair, kind: influencer}
              - {id: A2, title: Webinar, colour: red, collaborators: [salse]}
            """
        )
    )
    ran = run_cli("audit", str(plan), "--format", "json", cwd=tmp_path)
    assert ran.returncode == 2
    errors = json.loads(ran.stdout)["errors"]
    assert [(e["line"], e["path"]) for e in errors] == [
        (4, "units[BU-1].budget"),
        (6, "actions[A1].kind"),
        (7, "actions[A2].colour"),
        (7, "actions[A2].collaborators[0]"),
    ]
    assert "did you mean `influencers`?" in errors[1]["hint"]
    assert "did you mean `sales`?" in errors[3]["hint"]
    assert ran.stderr.count("error: plan.yaml:") == 4


def test_input_errors_are_capped_per_file(run_cli, tmp_path):
    actions = "".join(f"  - {{id: A{i}, title: T, budget: x}}\n" for i in range(80))
    plan = tmp_path / "plan.yaml"
    plan.write_text("strataudit: 1\nplan: {id: ex}\nactions:\n" + actions)
    ran = run_cli("audit", str(plan), "--format", "json", cwd=tmp_path)
    assert len(json.loads(ran.stdout)["errors"]) == 50


def test_placeholders_count_as_missing_and_the_config_adds_to_them(tmp_path):
    plan = """\
        strataudit: 1
        plan: {id: ex}
        units:
          - {id: BU-1, name: Europe, strategy: tbc, goals: [{id: G1, statement: Sign}]}
        actions:
          - {id: A1, title: Fair, owner: TBD, unit: n/a}
          - {id: A2, title: Webinar, owner: pending}
          - {id: A3, title: Brand book, owner: Owner}
        """
    report = audit(tmp_path, plan)
    assert set(found(report, "ACT001")) == {"A1", "A3"}
    assert "BU-1" in found(report, "STR002")
    assert not found(report, "CON001")  # `unit: n/a` is a missing unit, not a bad id
    report = audit(tmp_path, plan, config="placeholders: [Pending]\n")
    assert set(found(report, "ACT001")) == {"A1", "A2", "A3"}


def test_a_placeholder_number_or_date_is_missing_not_a_wrong_type(tmp_path):
    report = audit(
        tmp_path,
        """\
        strataudit: 1
        plan: {id: ex}
        actions:
          - {id: A1, title: Fair, owner: me, budget: TBD, start: tbc, due: 2027-05-01,
             supports: TBD}
        """,
    )
    assert report["errors"] == []
    assert not found(report, "CON001")  # `supports: TBD` is a missing list, not a bad id
    assert "A1" in found(report, "ACT004")
    assert "A1" in found(report, "ACT002")  # no budget
    assert "start date" in found(report, "ACT003")["A1"]["message"]


def test_a_bad_placeholders_key_is_an_input_error_with_its_line(run_cli, tmp_path):
    (tmp_path / "strataudit.yaml").write_text("fail_on: error\nplaceholders: [TBD, '  ']\n")
    (tmp_path / "plan.yaml").write_text("strataudit: 1\nplan: {id: ex}\n")
    ran = run_cli("audit", "plan.yaml", cwd=tmp_path)
    assert ran.returncode == 2
    assert "strataudit.yaml:2:" in ran.stderr


def test_a_dangling_reference_suggests_the_id_meant_and_is_the_cause_of_what_follows(tmp_path):
    report = audit(tmp_path, TYPOS)
    bad = {f["detail"]: f for f in report["findings"] if f["rule"] == "CON001"}
    assert "did you mean `T3`?" in bad["T03"]["message"]
    assert "did you mean `CG2`?" in bad["CG-2"]["message"]
    causes = {
        (f["rule"], f["entity"]): (
            f["caused_by"]["rule"],
            f["caused_by"]["entity"],
            f["caused_by"]["detail"],
        )
        for f in report["findings"]
        if f["caused_by"]
    }
    assert causes == {
        ("SWT003", "T3"): ("CON001", "A1", "T03"),
        ("GOL001", "EMEA-G3"): ("CON001", "EMEA-G3", "CG-2"),
        ("GOL004", "CG2"): ("CON001", "EMEA-G3", "CG-2"),
    }
    assert found(report, "SWT003")["T3"]["caused_by"]["fingerprint"] == bad["T03"]["fingerprint"]
    # a finding the typo does not explain names no cause
    assert found(report, "SWT002")["W3"]["caused_by"] is None
    assert found(report, "GOL008")["EMEA-G3"]["caused_by"] is None


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_and_markdown_show_the_cause_under_the_finding(run_cli, tmp_path, fmt):
    (tmp_path / "plan.yaml").write_text(textwrap.dedent(TYPOS))
    out = run_cli("audit", "plan.yaml", "--format", fmt, cwd=tmp_path).stdout
    assert "caused by CON001 on A1" in out
    assert "caused by CON001 on EMEA-G3" in out
    assert "causes SWT003 on T3" in out  # and under the cause, what it causes


def test_remediation_names_the_findings_own_ids_and_only_what_is_missing(tmp_path):
    report = audit(
        tmp_path,
        """\
        strataudit: 1
        plan: {id: ex}
        assessment:
          weaknesses: [{id: W3, text: Thin service team}]
        segments: [{id: S-PROMO, name: Priced, target: true}]
        products: [{id: P1, name: Care, segments: [S-PROMO], pricing: {price: 90}}]
        """,
    )
    swt002 = found(report, "SWT002")["W3"]["remediation"]
    assert "`addresses: [W3]`" in swt002 and "W1" not in swt002
    mkt002 = found(report, "MKT002")["S-PROMO"]
    assert "promotion or communication action" in mkt002["remediation"]
    assert "price" not in mkt002["remediation"]
    assert "S-PROMO" in mkt002["remediation"]


def test_the_new_checks_stay_silent_where_nothing_is_wrong(tmp_path):
    report = audit(
        tmp_path,
        """\
        strataudit: 1
        plan: {id: ex, period: {start: 2027-01-01, end: 2027-12-31}}
        corporate:
          budget: 100
          goals: [{id: CG1, statement: Grow, metric: ARR, target: 100, aggregate: sum}]
        segments: [{id: S1, name: Mid, budget: 100}]
        units:
          - id: BU-1
            name: Europe
            budget: 0
            goals: [{id: G1, statement: EU, metric: arr, target: 100, supports: CG1}]
        """,
    )
    fired = {f["rule"] for f in report["findings"]}
    assert not fired & {"STR005", "CON006", "SEG007", "GOL010"}


def test_an_error_in_an_included_file_is_reported_as_itself(run_cli, tmp_path):
    (tmp_path / "hq.yaml").write_text("strataudit: 1\nunits:\n  - {id: BU-EU, budget: lots}\n")
    (tmp_path / "eu.yaml").write_text(
        "strataudit: 1\nplan: {id: eu}\ninclude: [hq.yaml]\n"
        "units:\n  - {id: BU-EU, name: Europe, strategy: Win}\n"
    )
    ran = run_cli("audit", "eu.yaml", "--format", "json", cwd=tmp_path)
    errors = json.loads(ran.stdout)["errors"]
    assert [e["path"] for e in errors] == ["units[BU-EU].budget"]
