"""The pre-approval gate end to end: config, waivers with expiry, baseline, several outputs."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest
import yaml
from conftest import SAMPLES

from strataudit.source import load_document

DEFECTS = SAMPLES / "acme-defects.yaml"


def workspace(tmp_path, config: str | None = None):
    plan = tmp_path / "plan.yaml"
    shutil.copy(DEFECTS, plan)
    if config is not None:
        (tmp_path / "strataudit.yaml").write_text(config)
    return plan


def audit(run_cli, tmp_path, *args):
    result = run_cli("audit", "--format", "json", *args, "plan.yaml", cwd=tmp_path)
    return result, (json.loads(result.stdout) if result.stdout else None)


SEG_ONLY = "select: [SEG002]\n"
WAIVE_BOTH = """waivers:
  - {rule: SEG002, entity: PR-LABKIT, reason: "Lab kit is sunset in Q2", owner: cmo@acme.example,
     expires: 2027-06-30}
  - {rule: SEG002, path: "products[PR-EDU].segments", files: "plan*.yaml",
     reason: "Training cell moves to 2028", owner: cmo@acme.example, expires: 2027-06-30}
"""


def test_config_is_found_in_a_parent_folder_and_cli_overrides_it(run_cli, tmp_path):
    workspace(tmp_path, SEG_ONLY + "fail_on: never\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(DEFECTS, sub / "plan.yaml")
    result, report = audit(run_cli, sub)
    assert result.returncode == 0 and {f["rule"] for f in report["findings"]} == {"SEG002"}
    result, _ = audit(run_cli, sub, "--fail-on", "error")
    assert result.returncode == 1


@pytest.mark.parametrize(
    ("config", "line", "words"),
    [
        ("fail_on: eror\n", 1, "fail_on"),
        (
            "select: [SEG002]\nwaivers:\n"
            "  - {rule: SEG002, entity: PR-X, owner: me, expires: 2027-01-01}\n",
            3,
            "reason",
        ),
        ("waivers:\n  - {rule: SEG002, entity: PR-X, reason: r, owner: me}\n", 2, "expires"),
        ("ignroe: [SEG002]\n", 1, "did you mean `ignore`"),
        ("severity: {SEG002: fatal}\n", 1, "SEG002"),
    ],
)
def test_bad_config_is_an_input_error_with_its_line(run_cli, tmp_path, config, line, words):
    workspace(tmp_path, config)
    result, _ = audit(run_cli, tmp_path)
    assert result.returncode == 2
    assert f"strataudit.yaml:{line}:" in result.stderr and words in result.stderr
    assert "Traceback" not in result.stderr


def test_live_waivers_waive_and_are_reported(run_cli, tmp_path):
    workspace(tmp_path, SEG_ONLY + WAIVE_BOTH)
    result, report = audit(run_cli, tmp_path, "--as-of", "2027-06-30")
    assert result.returncode == 0, report["reasons"]
    assert [f["waived"]["owner"] for f in report["findings"]] == ["cmo@acme.example"] * 2
    assert report["summary"]["waived"] == 2 and report["summary"]["counted"] == 0
    assert "2 waived" in report["reasons"][-1]
    assert report["unused_waivers"] == [] and report["expired_waivers"] == []


def test_expired_waiver_no_longer_waives_and_fails_the_gate(run_cli, tmp_path):
    workspace(tmp_path, SEG_ONLY + WAIVE_BOTH)
    result, report = audit(run_cli, tmp_path, "--as-of", "2027-07-01")
    assert result.returncode == 1
    assert len(report["expired_waivers"]) == 2
    assert all(f["waived"] is None for f in report["findings"])
    assert any("waiver expired on 2027-06-30" in r for r in report["reasons"])
    assert "waiver expired" in result.stderr


def test_unused_waiver_is_reported(run_cli, tmp_path):
    workspace(
        tmp_path,
        SEG_ONLY
        + WAIVE_BOTH.replace("PR-LABKIT", "PR-GONE").replace(
            'files: "plan*.yaml"', 'files: "other/*.yaml"'
        ),
    )
    result, report = audit(run_cli, tmp_path, "--as-of", "2027-01-01")
    assert result.returncode == 1
    assert {w["entity"] or w["path"] for w in report["unused_waivers"]} == {
        "PR-GONE",
        "products[PR-EDU].segments",
    }


def test_planwide_waiver_without_entity_or_path(run_cli, tmp_path):
    workspace(
        tmp_path,
        "select: [STR003, SEG002]\nwaivers:\n"
        "  - {rule: STR003, reason: r, owner: o, expires: 2030-01-01}\n",
    )
    shutil.copy(SAMPLES / "acme-skeleton.yaml", tmp_path / "plan.yaml")
    _, report = audit(run_cli, tmp_path, "--as-of", "2027-01-01")
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert by_rule["STR003"]["waived"] is not None
    assert by_rule["SEG002"]["waived"] is None


def test_severity_override_and_off(run_cli, tmp_path):
    workspace(tmp_path, "severity: {SEG002: info, GOL001: 'off'}\n")
    _, report = audit(run_cli, tmp_path)
    rules = {f["rule"]: f["severity"] for f in report["findings"]}
    assert rules["SEG002"] == "info" and "GOL001" not in rules


def test_baseline_counts_only_new_findings_and_reports_resolved(run_cli, tmp_path):
    plan = workspace(tmp_path)
    result, _ = audit(run_cli, tmp_path, "--write-baseline", "base.json")
    assert result.returncode == 1 and "findings recorded" in result.stderr
    # Move every line down and reword nothing: old findings stay old.
    plan.write_text("# moved\n# down\n" + plan.read_text())
    result, report = audit(run_cli, tmp_path, "--baseline", "base.json")
    assert result.returncode == 0, report["reasons"]
    assert all(f["baselined"] for f in report["findings"]) and report["resolved"] == []
    # Fix one defect, add another: the fix is resolved, the new one fails the gate.
    data = yaml.safe_load(plan.read_text())
    for product in data["products"]:
        if product["id"] == "PR-LABKIT":
            product["segments"] = ["SEG-MID"]
    data["assessment"]["weaknesses"].append({"id": "W-NEW", "text": "Brand new weakness"})
    plan.write_text(yaml.safe_dump(data, sort_keys=False))
    result, report = audit(run_cli, tmp_path, "--baseline", "base.json")
    assert result.returncode == 1
    new = [f for f in report["findings"] if not f["baselined"]]
    assert [(f["rule"], f["entity"]) for f in new] == [("SWT002", "W-NEW")]
    assert ("SEG002", "PR-LABKIT") in {(e["rule"], e["entity"]) for e in report["resolved"]}


def test_bad_baseline_is_an_input_error(run_cli, tmp_path):
    workspace(tmp_path)
    (tmp_path / "base.json").write_text("{not json")
    result, _ = audit(run_cli, tmp_path, "--baseline", "base.json")
    assert result.returncode == 2 and "base.json" in result.stderr


def test_several_outputs_in_one_run(run_cli, tmp_path):
    workspace(tmp_path)
    result = run_cli(
        "audit",
        "--format",
        "text",
        "--report",
        "json=out.json",
        "--report",
        "sarif=out.sarif",
        "plan.yaml",
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "verdict: FAIL" in result.stdout
    assert json.loads((tmp_path / "out.json").read_text())["verdict"] == "fail"
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    assert run_cli("audit", "--report", "yaml=x", "plan.yaml", cwd=tmp_path).returncode == 2


def test_plan_schema_accepts_every_sample_plan(run_cli):
    schema = json.loads(run_cli("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    plans = [*SAMPLES.glob("*.yaml"), *SAMPLES.glob("*.json"), *SAMPLES.glob("unit-eu/*.yaml")]
    assert len(plans) >= 5
    for path in plans:
        data = load_document(path, path.name).data
        errors = list(validator.iter_errors(json.loads(json.dumps(data, default=str))))
        assert not errors, (path, errors[0].message)
    bad = {"strataudit": 1, "plan": {"id": "x"}, "segmnets": []}
    assert list(validator.iter_errors(bad))
    assert not list(validator.iter_errors({"strataudit": 1, "plan": {"id": "x"}, "x_own": 1}))


def test_jobs_give_the_same_report(run_cli):
    args = ["audit", "--format", "json", str(SAMPLES)]
    one = json.loads(run_cli(*args).stdout)
    two = json.loads(run_cli(*args, "--jobs", "2").stdout)
    assert one["findings"] == two["findings"] and one["plans"] == two["plans"]


@pytest.mark.parametrize(
    ("config", "line", "words"),
    [
        (
            "waivers:\n"
            "  - {rule: XYZ999, entity: PR-X, reason: r, owner: o, expires: 2030-01-01}\n",
            2,
            "XYZ999",
        ),
        ("select: [SEG002, nope]\n", 1, "`nope`"),
    ],
)
def test_config_names_only_known_rules(run_cli, tmp_path, config, line, words):
    workspace(tmp_path, config)
    result, _ = audit(run_cli, tmp_path)
    assert result.returncode == 2
    assert f"strataudit.yaml:{line}:" in result.stderr and words in result.stderr


def test_config_conveniences(run_cli, tmp_path):
    """An unquoted `off` (YAML reads false) means off; an empty config sets nothing."""
    workspace(tmp_path, "severity: {GOL001: off}\n")
    _, report = audit(run_cli, tmp_path)
    assert "GOL001" not in {f["rule"] for f in report["findings"]}
    (tmp_path / "strataudit.yaml").write_text("")
    result, report = audit(run_cli, tmp_path)
    assert result.returncode == 1 and "GOL001" in {f["rule"] for f in report["findings"]}


def test_waiver_files_glob_is_on_the_audited_plan_and_stays_in_its_folder(run_cli, tmp_path):
    (tmp_path / "plans" / "eu").mkdir(parents=True)
    shutil.copy(DEFECTS, tmp_path / "plans" / "eu" / "plan.yaml")
    waiver = (
        "select: [SEG002]\nwaivers:\n  - {rule: SEG002, entity: PR-LABKIT, reason: r, "
        'owner: o, expires: 2030-01-01, files: "GLOB"}\n'
    )
    for glob, waived in (
        ("plans/*.yaml", False),
        ("plans/**/*.yaml", True),
        ("plans/eu/plan.yaml", True),
    ):
        (tmp_path / "strataudit.yaml").write_text(waiver.replace("GLOB", glob))
        result = run_cli("audit", "--format", "json", "plans", cwd=tmp_path)
        findings = json.loads(result.stdout)["findings"]
        got = [f["waived"] is not None for f in findings if f["entity"] == "PR-LABKIT"]
        assert got == [waived], glob


def test_waivers_of_rules_not_run_are_not_called_unused(run_cli, tmp_path):
    workspace(tmp_path, WAIVE_BOTH)
    _, report = audit(run_cli, tmp_path, "--select", "GOL001", "--as-of", "2027-01-01")
    assert report["unused_waivers"] == []
