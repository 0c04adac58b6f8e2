"""What was checked and what passed: every format shows each plan's checklist, the same one.

The checklist is derived from the report (the rules that ran, the findings, their states), so
every rule that ran is in exactly one column per plan, and plans that passed are named too.
"""

from __future__ import annotations

import dataclasses
import json
import re

import jsonschema
from conftest import ROOT, SAMPLES, invoke

from strataudit import run
from strataudit.reports import renderer
from strataudit.results import Check
from strataudit.runner import RunOptions

SCHEMA = json.loads((ROOT / "engine/strataudit/schemas/report.schema.json").read_text())
CONFIG = """\
waivers:
  - {rule: SEG002, entity: PR-LABKIT, reason: "Sunset in Q2", owner: cmo, expires: 2099-06-30}
"""


def _report(tmp_path, *plans):
    (tmp_path / "strataudit.yaml").write_text(CONFIG)
    return run(
        [str(SAMPLES / p) for p in plans],
        RunOptions(config=tmp_path / "strataudit.yaml", select=("segmentation", "structure")),
    )


def test_every_rule_that_ran_is_in_one_column(tmp_path):
    report = _report(tmp_path, "acme-defects.yaml", "acme-2027.yaml")
    ran = {r.id for r in report.ruleset}
    defects, clean = report.results
    checklist = report.checklist(defects)
    columns = {c: {i for row in checklist.rows for i in row.rules[c]} for c in Check}
    assert set().union(*columns.values()) == ran and checklist.ran == len(ran)
    failing = {f.rule for f in defects.findings if f.counts}
    assert columns[Check.FAILED] == failing
    # SEG002 has several findings: one waived, the others count, so it failed.
    assert "SEG002" in columns[Check.FAILED]
    assert report.checklist(clean).total(Check.PASSED) == len(ran)


def test_a_rule_whose_findings_are_all_waived_is_waived_not_passed(tmp_path):
    report = _report(tmp_path, "acme-defects.yaml")
    (result,) = report.results
    kept = tuple(f for f in result.findings if f.rule != "SEG002" or f.entity == "PR-LABKIT")
    result = dataclasses.replace(result, findings=kept)
    checklist = report.checklist(result)
    assert (
        "SEG002"
        in next(r for r in checklist.rows if r.category == "segmentation").rules[Check.WAIVED]
    )


def test_rules_outside_the_plans_level_are_not_applicable(tmp_path):
    """HQ's file audited on its own (`plan.level: corporate`): the rules about products,
    actions and market strategy are "not applicable", never "passed"."""
    report = _report(tmp_path, "unit-eu/corporate.yaml")
    (result,) = report.results
    assert result.level == "corporate" and result.not_applicable
    checklist = report.checklist(result)
    assert checklist.total(Check.NOT_APPLICABLE) == len(result.not_applicable)
    applicable = len(report.ruleset) - len(result.not_applicable)
    assert (
        checklist.total(Check.PASSED)
        + checklist.total(Check.FAILED)
        + checklist.total(Check.WAIVED)
        == applicable
    )
    assert "not applicable" in checklist.summary()


def test_every_format_shows_the_checklist(tmp_path):
    report = _report(tmp_path, "acme-defects.yaml", "acme-2027.yaml")
    defects = report.results[0]
    failed = report.checklist(defects).total(Check.FAILED)
    text = renderer("text")(report)
    # one line per plan, the clean one included
    assert re.search(
        r"acme-2027\.yaml \(acme-2027\): PASS, 0 findings; \d+ rules: \d+ passed", text
    )
    assert "acme-defects.yaml (acme-2027-defects): FAIL" in text and f"{failed} failed" in text
    data = json.loads(renderer("json")(report))
    jsonschema.validate(data, SCHEMA)
    entry = data["plans"][0]["checklist"]
    assert entry["failed"] == failed and entry["rules"] == len(report.ruleset)
    assert (
        "SEG002"
        in next(c for c in entry["categories"] if c["category"] == "segmentation")["failed"]
    )
    markdown = renderer("markdown")(report)
    assert markdown.count("| category | rules | passed | failed |") == 2
    html = renderer("html")(report)
    assert html.count('<table class="checklist">') == 2 and 'id="p2-checklist"' in html


def test_an_unreadable_plan_has_no_checklist(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("strataudit: 1\nplan: {id: x}\nsegmnets: []\n")
    out = invoke("audit", "--format", "json", str(bad))
    data = json.loads(out.stdout)
    jsonschema.validate(data, SCHEMA)
    assert "checklist" not in data["plans"][0]
    text = invoke("audit", "bad.yaml", cwd=tmp_path).stdout
    assert "bad.yaml: ERROR, could not be audited" in text


def test_html_checklist_links_failed_rules_to_their_first_finding(tmp_path):
    report = _report(tmp_path, "acme-defects.yaml")
    html = renderer("html")(report)
    table = html[
        html.index('<table class="checklist">') : html.index(
            "</table>", html.index('<table class="checklist">')
        )
    ]
    links = dict(re.findall(r'<a href="#(p1-f\d+)"><code>(\w+)</code></a>', table))
    failed = {f.rule for f in report.results[0].findings if f.counts}
    assert set(links.values()) == failed
    for anchor, rule in links.items():
        row = re.search(
            rf'<tr id="{anchor}"[^>]*>.*?<span class="rule-id">(\w+)</span>', html, re.S
        )
        assert row and row.group(1) == rule
