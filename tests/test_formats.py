"""The interchange formats (SARIF, JUnit, Markdown), end to end through the CLI (in-process).

SARIF and JUnit output are validated against the official schemas, kept in `tests/schemas/`
(the SARIF 2.1.0 JSON Schema, the JUnit XSD that CI tools read; its README says where they come
from).
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, SAMPLES, invoke
from lxml import etree

from strataudit.rulefile import load_ruleset

SCHEMAS = Path(__file__).resolve().parent / "schemas"
DEFECTS = "sample_plans/acme-defects.yaml"
CLEAN = "sample_plans/acme-2027.yaml"
BAD = "tests/fixtures/bad/python_tag.yaml"
HOSTILE = "a | b <script>alert(1)</script> `x` @someone\n|---|"


def schema_file(name: str) -> Path:
    path = SCHEMAS / name
    assert path.is_file(), f"official schema {name} is missing from {SCHEMAS}"
    return path


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(schema_file("sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(schema_file("junit-10.xsd"))))


@pytest.fixture(scope="module")
def expected() -> dict:
    """The JSON report of the same run, the reference the other formats must agree with."""
    return json.loads(invoke("audit", "--format", "json", DEFECTS, CLEAN).stdout)


def run_format(run_cli, fmt: str, *paths: str, **kw):
    return run_cli("audit", "--format", fmt, *paths, **kw)


def hostile_plan(tmp_path: Path) -> Path:
    text = (SAMPLES / "acme-defects.yaml").read_text(encoding="utf-8")
    assert "    name: ACME research kit\n" in text
    text = text.replace("    name: ACME research kit\n", f"    name: {json.dumps(HOSTILE)}\n")
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- SARIF -------------------------------------------------------------------------------------


def test_sarif_validates_and_points_at_real_rules(run_cli, sarif_validator, expected):
    result = run_format(run_cli, "sarif", DEFECTS, CLEAN)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    errors = sorted(sarif_validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "strataudit" and driver["version"]
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) >= 50
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith(f"## {rule['id']}")
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert rule["properties"]["category"]
    results = run["results"]
    assert len(results) == len(expected["findings"]) > 0
    for res, finding in zip(results, expected["findings"], strict=True):
        assert res["ruleId"] in ids and rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["ruleId"] == finding["rule"]
        assert (
            res["level"]
            == {"error": "error", "warning": "warning", "info": "note"}[finding["severity"]]
        )
        loc = res["locations"][0]
        physical = loc["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == DEFECTS  # relative, forward slashes
        assert physical["region"]["startLine"] == finding["location"]["line"] >= 1
        assert physical["region"]["startColumn"] == finding["location"]["column"] >= 1
        assert loc["logicalLocations"][0]["fullyQualifiedName"] == finding["location"]["path"]
        assert res["partialFingerprints"]["strataudit/v1"] == finding["fingerprint"]
        assert "suppressions" not in res and "baselineState" not in res
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []


def test_sarif_reports_input_errors_as_notifications(run_cli, sarif_validator):
    result = run_format(run_cli, "sarif", DEFECTS, BAD)
    assert result.returncode == 2
    log = json.loads(result.stdout)
    assert not list(sarif_validator.iter_errors(log))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "tag" in note["message"]["text"]
    physical = note["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == BAD
    assert physical["region"]["startLine"] >= 1
    assert log["runs"][0]["results"], "the good plan is still reported"


def test_sarif_of_standard_input_is_valid(run_cli, sarif_validator):
    text = (SAMPLES / "acme-defects.yaml").read_text(encoding="utf-8")
    result = run_format(run_cli, "sarif", "-", stdin=text)
    log = json.loads(result.stdout)
    assert not list(sarif_validator.iter_errors(log))
    assert all(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
        for r in log["runs"][0]["results"]
    )


# --- JUnit -------------------------------------------------------------------------------------


def test_junit_has_a_case_per_passed_rule_and_per_failed_finding(run_cli, junit_schema, expected):
    result = run_format(run_cli, "junit", DEFECTS, CLEAN, BAD)
    assert result.returncode == 2
    doc = etree.fromstring(result.stdout.encode("utf-8"))
    assert junit_schema.validate(doc), junit_schema.error_log
    counted = len(expected["findings"])
    assert len(doc.findall(".//failure")) == counted
    assert int(doc.get("failures")) == counted
    suites = doc.findall("testsuite")
    assert [s.get("name") for s in suites] == [DEFECTS, CLEAN, BAD]
    for suite in suites:  # the counts add up as CI tools recount them
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(bool(c.findall("failure")) for c in cases)
        assert all(len(c.findall("failure")) <= 1 for c in cases)
        assert int(suite.get("errors")) == len(suite.findall(".//error"))
        assert int(suite.get("skipped")) == len(suite.findall(".//skipped"))
        assert float(suite.get("time")) > 0
        assert all(float(c.get("time")) > 0 for c in cases), "time=0 breaks junit2html"
    assert int(doc.get("tests")) == sum(int(s.get("tests")) for s in suites)
    assert int(doc.get("errors")) == 1
    defects, clean, bad = suites
    assert {c.get("classname") for c in defects.findall("testcase")} == {"acme-2027-defects"}
    names = [c.get("name") for c in defects.findall("testcase")]
    assert len(names) == len(set(names)), "every case is told apart"
    failed_rules = {f["rule"] for f in expected["findings"]}
    passed = [n for n in names if n.split()[0] not in failed_rules]
    rules = len(load_ruleset())
    assert len(passed) == rules - len(failed_rules) and all(" at " not in n for n in passed)
    want = [f for f in expected["findings"] if f["rule"] == "SEG002"]
    seg002 = [c for c in defects.findall("testcase") if c.get("name").startswith("SEG002 ")]
    assert [c.get("name") for c in seg002] == [
        f"SEG002 {f['entity']} at {f['location']['path']}" for f in want
    ]
    failures = [c.find("failure") for c in seg002]
    assert [f.get("message") for f in failures] == [f["message"] for f in want]
    assert all(f.get("type") == "error" for f in failures)
    loc = want[0]["location"]
    assert f"{loc['file']}:{loc['line']}:{loc['column']}" in failures[0].text
    assert loc["path"] in failures[0].text and "fix:" in failures[0].text
    con001 = [n for n in names if n.startswith("CON001 ")]
    assert len(con001) == sum(f["rule"] == "CON001" for f in expected["findings"]) > 1
    assert clean.get("failures") == "0" and len(clean.findall("testcase")) == rules
    [case] = bad.findall("testcase")
    [error] = case.findall("error")
    assert "tag" in error.get("message")


def test_junit_reads_back_in_junitparser_and_renders_in_junit2html(run_cli, tmp_path):
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    pytest.importorskip("junit2htmlreport", reason="junit2html is in the test extra")
    from junit2htmlreport import matrix, parser

    expected = json.loads(run_format(run_cli, "json", DEFECTS, CLEAN).stdout)
    xml = tmp_path / "junit.xml"
    xml.write_text(run_format(run_cli, "junit", DEFECTS, CLEAN).stdout, encoding="utf-8")
    suites = list(junitparser.JUnitXml.fromfile(str(xml)))
    assert [s.name for s in suites] == [DEFECTS, CLEAN]
    failed = [
        c for s in suites for c in s if any(isinstance(r, junitparser.Failure) for r in c.result)
    ]
    assert len(failed) == len(expected["findings"])
    for suite in suites:
        assert suite.tests == len(list(suite)) and suite.failures == sum(
            1 for c in suite if c.result and isinstance(c.result[0], junitparser.Failure)
        )
        assert suite.time > 0 and all(c.time > 0 for c in suite)
    con001 = [f for f in expected["findings"] if f["rule"] == "CON001"]
    shown = [c for c in failed if c.name.startswith("CON001 ")]
    assert len(shown) == len(con001) > 1, "every CON001 finding is visible"

    report = parser.Junit(str(xml))
    html = report.html()
    for finding in con001:
        assert finding["entity"] in html
    grid = matrix.HtmlReportMatrix(str(tmp_path))
    grid.add_report(str(xml))
    page = grid.summary()  # the time breakdown divides by the total time: never 0
    assert "acme-2027-defects" in page


def test_junit_escapes_hostile_text(run_cli, junit_schema, tmp_path):
    result = run_format(run_cli, "junit", str(hostile_plan(tmp_path)))
    doc = etree.fromstring(result.stdout.encode("utf-8"))
    assert junit_schema.validate(doc), junit_schema.error_log
    messages = [f.get("message") for f in doc.iter("failure")]
    assert any(HOSTILE in m for m in messages)


# --- Markdown ----------------------------------------------------------------------------------

CELL_SPLIT = re.compile(r"(?<!\\)\|")


def table_rows(markdown: str) -> list[list[str]]:
    """Every table: (header, rows) as lists of cells; each row must match its header's width."""
    tables: list[list[str]] = []
    lines = markdown.splitlines()
    width = None
    for line in lines:
        if line.startswith("|"):
            cells = CELL_SPLIT.split(line)[1:-1]
            if width is None:
                width = len(cells)
            assert len(cells) == width, f"a row does not match its table: {line}"
            tables.append(cells)
        else:
            width = None
    return tables


def test_markdown_has_verdict_findings_and_locations(run_cli, expected):
    result = run_format(run_cli, "markdown", DEFECTS, CLEAN, BAD)
    assert result.returncode == 2
    md = result.stdout
    head = md.splitlines()[0]
    assert "❌" in head and "ERROR" in head
    assert "41 errors at or above `error`" in md
    table_rows(md)
    for f in expected["findings"]:
        loc = f["location"]
        assert f"`{f['rule']}`" in md
        assert f"`{loc['file']}:{loc['line']}:{loc['column']}`" in md
    assert "could not be audited" in md and "python\\_tag.yaml" in md
    clean = run_format(run_cli, "markdown", CLEAN)
    assert clean.returncode == 0 and clean.stdout.startswith("## ✅")


def test_markdown_survives_a_hostile_product_name(run_cli, tmp_path):
    result = run_format(run_cli, "markdown", str(hostile_plan(tmp_path)))
    md = result.stdout
    rows = table_rows(md)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "@someone" not in md  # nobody is notified
    hostile = [r for r in rows if "a \\| b" in "|".join(r)]
    assert hostile, "the hostile finding is listed"
    for cells in hostile:
        assert len(cells) == 5
        assert "\\`x\\`" in cells[3] and "<br>" in cells[3]


# --- Reports built directly: waivers, baseline, expired and unused waivers ---------------------


def _report(**changes):
    from strataudit.audit import Auditor, Target
    from strataudit.gate import judge
    from strataudit.reports.base import Report
    from strataudit.rulefile import Severity, load_ruleset

    ruleset = load_ruleset()
    auditor = Auditor(ruleset)
    result = auditor.audit(Target(ROOT / DEFECTS, DEFECTS))
    findings = list(result.findings)
    waiver = changes.pop("waiver")
    if waiver is not None:
        findings = [replace(f, waiver=waiver) if f.rule == "SEG002" else f for f in findings]
    findings = [replace(f, baselined=True) if f.rule == "GOL001" else f for f in findings]
    result = replace(result, findings=tuple(findings))
    verdict = judge([result], Severity.ERROR)
    return Report((result,), (), (), verdict, ruleset, Severity.ERROR, **changes)


@pytest.fixture(scope="module")
def gated():
    from strataudit.findings import Waiver

    hostile = Waiver(
        "SEG002",
        "accepted | for <now>",
        "@market-team",
        datetime.date(2027, 6, 30),
        entity="PR-LABKIT",
        source="strataudit.yaml:12",
    )
    expired = Waiver(
        "SWT002",
        "old reason",
        "ops",
        datetime.date(2020, 1, 31),
        entity="W5",
        source="strataudit.yaml:20",
    )
    unused = Waiver("VAL001", "stale", "ops", datetime.date(2027, 1, 1), path="products")
    return _report(
        waiver=hostile,
        expired_waivers=(expired,),
        unused_waivers=(unused,),
        resolved=(
            {
                "rule": "SEG001",
                "plan": "acme-2027-defects",
                "entity": "SEG-X",
                "path": "segments[SEG-X]",
                "fingerprint": "0" * 32,
            },
        ),
        baseline_file="baseline.json",
        as_of=datetime.date(2026, 3, 1),
    )


def test_sarif_suppressions_and_baseline_state(gated, sarif_validator):
    from strataudit.reports import renderer

    log = json.loads(renderer("sarif")(gated))
    assert not list(sarif_validator.iter_errors(log))
    run = log["runs"][0]
    for res in run["results"]:
        if res["ruleId"] == "SEG002":
            [sup] = res["suppressions"]
            assert sup["kind"] == "external" and sup["status"] == "accepted"
            assert "accepted | for <now>" in sup["justification"]
            assert "2027-06-30" in sup["justification"]
        else:
            assert "suppressions" not in res
        assert res["baselineState"] == ("unchanged" if res["ruleId"] == "GOL001" else "new")
    config = run["invocations"][0]["toolConfigurationNotifications"]
    assert [n["associatedRule"]["id"] for n in config] == ["SWT002", "VAL001"]
    assert config[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 20
    assert run["properties"]["baseline"]["resolved"][0]["rule"] == "SEG001"


def test_junit_waived_and_baselined_are_skipped_cases(gated, junit_schema):
    from strataudit.reports import renderer

    doc = etree.fromstring(renderer("junit")(gated).encode("utf-8"))
    assert junit_schema.validate(doc), junit_schema.error_log
    counted = sum(f.counts for f in gated.findings)
    assert counted < len(gated.findings)
    assert len(doc.findall(".//failure")) == int(doc.get("failures")) == counted
    skipped = [c for c in doc.iter("testcase") if c.find("skipped") is not None]
    assert len(skipped) == len(gated.findings) - counted
    by_rule = {}
    for case in skipped:
        by_rule.setdefault(case.get("name").split()[0], []).append(case.find("skipped"))
    assert set(by_rule) == {"SEG002", "GOL001"}
    assert any("waived until 2027-06-30" in s.get("message") for s in by_rule["SEG002"])
    assert all("baselined" in s.get("message") for s in by_rule["GOL001"])


def test_markdown_marks_waivers_and_baseline(gated):
    from strataudit.reports import renderer

    md = renderer("markdown")(gated)
    table_rows(md)
    assert "**waived** until 2027-06-30" in md and "accepted \\| for &lt;now&gt;" in md
    assert "@market-team" not in md and "@\u200bmarket-team" in md
    assert "**baselined**" in md
    assert "Expired waivers" in md and "`SWT002` on W5" in md
    assert "Unused waivers" in md and "`VAL001` on products" in md
    assert "Resolved since the baseline `baseline.json`" in md and "`SEG001` on SEG-X" in md
    summary = md.split("| plans |", 1)[1].splitlines()[2]
    waived = sum(f.waiver is not None for f in gated.findings)
    assert f"| {waived} | {sum(f.baselined for f in gated.findings)} | 0 |" in summary


# --- Through the CLI with a config (waivers) and a baseline, all three formats in one run ------

GATE_CONFIG = """waivers:
  - {rule: SEG002, entity: PR-LABKIT, reason: "Lab kit | sunset <Q2>", owner: "@cmo",
     expires: 2027-06-30}
  - {rule: SWT002, entity: W5, reason: "Hiring in Q1", owner: ops, expires: 2026-01-31}
  - {rule: VAL001, path: products, reason: "Stale", owner: ops, expires: 2027-06-30}
"""


def test_formats_with_waivers_and_baseline_through_the_cli(
    run_cli, tmp_path, sarif_validator, junit_schema
):
    (tmp_path / "plan.yaml").write_text(
        (SAMPLES / "acme-defects.yaml").read_text("utf-8"), encoding="utf-8"
    )
    (tmp_path / "strataudit.yaml").write_text(GATE_CONFIG, encoding="utf-8")
    written = run_cli(
        "audit", "--select", "GOL001", "--write-baseline", "base.json", "plan.yaml", cwd=tmp_path
    )
    assert "findings recorded" in written.stderr
    base = json.loads((tmp_path / "base.json").read_text())
    base["findings"].append(
        {
            "fingerprint": "f" * 32,
            "rule": "SEG001",
            "plan": "acme-2027-defects",
            "entity": "SEG-X",
            "path": "segments[SEG-X]",
        }
    )
    (tmp_path / "base.json").write_text(json.dumps(base))
    result = run_cli(
        "audit",
        "--as-of",
        "2026-03-01",
        "--baseline",
        "base.json",
        "--report",
        "sarif=out.sarif",
        "--report",
        "junit=out.xml",
        "--report",
        "json=out.json",
        "--format",
        "markdown",
        "plan.yaml",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    findings = report["findings"]
    counted = [f for f in findings if not f["waived"] and not f["baselined"]]
    assert any(f["waived"] for f in findings) and any(f["baselined"] for f in findings)

    log = json.loads((tmp_path / "out.sarif").read_text())
    assert not list(sarif_validator.iter_errors(log))
    run = log["runs"][0]
    assert len(run["results"]) == len(findings)
    for res, f in zip(run["results"], findings, strict=True):
        assert res["ruleId"] == f["rule"]
        assert res["baselineState"] == ("unchanged" if f["baselined"] else "new")
        assert ("suppressions" in res) == bool(f["waived"])
    labkit = next(
        r
        for r, f in zip(run["results"], findings, strict=True)
        if f["rule"] == "SEG002" and f["entity"] == "PR-LABKIT"
    )
    assert labkit["suppressions"][0]["justification"].startswith("Lab kit | sunset <Q2>")
    notes = run["invocations"][0]["toolConfigurationNotifications"]
    assert {(n["descriptor"]["id"], n["associatedRule"]["id"]) for n in notes} == {
        ("expired-waiver", "SWT002"),
        ("unused-waiver", "VAL001"),
    }
    assert [e["rule"] for e in run["properties"]["baseline"]["resolved"]] == ["SEG001"]

    doc = etree.parse(str(tmp_path / "out.xml"))
    assert junit_schema.validate(doc), junit_schema.error_log
    assert len(doc.findall(".//failure")) == int(doc.getroot().get("failures")) == len(counted)

    md = result.stdout
    table_rows(md)
    assert md.startswith("## ❌") and "**waived** until 2027-06-30" in md
    assert "Lab kit \\| sunset &lt;Q2&gt;" in md and "@cmo" not in md
    assert "**baselined**" in md
    assert "Expired waivers" in md and "`SWT002` on W5" in md
    assert "Unused waivers" in md and "`VAL001` on products" in md
    assert "Resolved since the baseline `base.json`" in md and "`SEG001` on SEG-X" in md


def test_a_plan_result_carries_its_audit_time_which_equality_ignores():
    from dataclasses import replace as changed

    from strataudit import RunOptions, run

    report = run([ROOT / DEFECTS, ROOT / CLEAN], RunOptions(find_config=False))
    assert all(r.duration > 0 for r in report.results)
    first = report.results[0]
    assert changed(first, duration=first.duration + 1) == first, "a measurement, not an outcome"
