"""The `audit` command end to end, in-process (the console script itself: test_console_script)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, SAMPLES

REPORT_SCHEMA = json.loads(
    (ROOT / "engine" / "strataudit" / "schemas" / "report.schema.json").read_text()
)


def audit_json(run_cli, *args: str, **kw):
    result = run_cli("audit", "--format", "json", *args, **kw)
    report = json.loads(result.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    return result, report


def test_clean_sample_plan_passes(run_cli):
    result, report = audit_json(run_cli, str(SAMPLES / "acme-2027.yaml"))
    assert result.returncode == 0, result.stdout
    assert report["verdict"] == "pass"
    assert report["findings"] == []
    assert report["plans"][0]["id"]


def test_defects_fail_the_gate_with_located_findings(run_cli):
    result, report = audit_json(run_cli, str(SAMPLES / "acme-defects.yaml"))
    assert result.returncode == 1
    assert report["verdict"] == "fail"
    rules = {f["rule"] for f in report["findings"]}
    assert {"GOL001", "SEG002", "SWT002", "CON001"} <= rules
    for f in report["findings"]:
        assert f["location"]["file"].endswith("acme-defects.yaml")
        assert f["location"]["line"] >= 1 and f["location"]["path"]
        assert f["rationale"] and f["remediation"] and f["source"]
    keys = [(f["location"]["file"], f["location"]["line"], f["rule"]) for f in report["findings"]]
    assert keys == sorted(keys)


def test_skeleton_reports_missing_market_strategy(run_cli):
    _, report = audit_json(run_cli, str(SAMPLES / "acme-skeleton.yaml"))
    str003 = [f for f in report["findings"] if f["rule"] == "STR003"]
    assert len(str003) == 1 and str003[0]["entity"] is None


def test_fail_on_levels(run_cli):
    plan = str(SAMPLES / "acme-defects.yaml")
    assert run_cli("audit", "--fail-on", "never", plan).returncode == 0
    assert run_cli("audit", "--fail-on", "error", plan).returncode == 1
    assert run_cli("audit", "--select", "SWT005", "--fail-on", "error", plan).returncode == 0


def test_directory_audits_plans_and_skips_other_files(run_cli):
    result, report = audit_json(run_cli, str(SAMPLES))
    files = {p["file"] for p in report["plans"]}
    assert any(f.endswith("acme-2027.yaml") for f in files)
    assert not any("corporate.yaml" in f for f in files), "an included file is not audited alone"
    assert any("expected" in s for s in report["skipped"])
    assert result.returncode == 1


def test_standard_input(run_cli):
    text = (SAMPLES / "acme-2027.yaml").read_text()
    result, report = audit_json(run_cli, "-", stdin=text)
    assert result.returncode == 0 and report["plans"][0]["file"] == "<stdin>"


def test_one_bad_plan_does_not_stop_the_others(run_cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("strataudit: 1\nplan: {id: x}\nsegmnets: []\n")
    result, report = audit_json(run_cli, str(bad), str(SAMPLES / "acme-defects.yaml"))
    assert result.returncode == 2
    assert report["verdict"] == "error"
    assert report["errors"][0]["line"] == 3
    assert "segments" in report["errors"][0]["hint"]
    assert any(f["rule"] == "SEG002" for f in report["findings"])
    assert "bad.yaml:3:1" in result.stderr


def test_text_report_fits_100_columns(run_cli):
    result = run_cli("audit", str(SAMPLES))
    assert result.returncode == 1
    assert "verdict: FAIL" in result.stdout and "skipped (not plans)" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100


def test_output_file_and_no_traceback(run_cli, tmp_path):
    out = tmp_path / "report.json"
    result = run_cli(
        "audit", "--format", "json", "--output", str(out), str(SAMPLES / "acme-defects.yaml")
    )
    assert result.returncode == 1 and result.stdout == ""
    jsonschema.validate(json.loads(out.read_text()), REPORT_SCHEMA)


def test_unknown_select_is_an_input_error(run_cli):
    result = run_cli("audit", "--select", "NOPE999", str(SAMPLES / "acme-2027.yaml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "shows"),
    [
        (["rules", "list"], "SEG002  error       segmentation   Product matched to no target"),
        (["rules", "list", "--format", "json"], '"id": "SEG002"'),
        (["rules", "show", "SEG002"], "## SEG002: Product matched to no target segment"),
        (["schema"], '"$defs"'),
        (["--version"], "strataudit, version"),
    ],
)
def test_other_commands(run_cli, args, shows):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert shows in result.stdout


def test_user_files_are_never_written(run_cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_bytes((SAMPLES / "acme-defects.yaml").read_bytes())
    before = plan.stat().st_mtime_ns, plan.read_bytes()
    run_cli("audit", str(plan))
    assert (plan.stat().st_mtime_ns, plan.read_bytes()) == before
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["plan.yaml"]


def test_directory_discovery_sees_a_quoted_include(run_cli, tmp_path):
    """Found by review: `"include":` written quoted was missed and HQ's file audited alone."""
    import shutil

    shutil.copy(SAMPLES / "unit-eu" / "corporate.yaml", tmp_path / "corporate.yaml")
    unit = (SAMPLES / "unit-eu" / "eu-plan.yaml").read_text()
    include = "include: [{file: corporate.yaml, as: context}]"
    assert include in unit
    (tmp_path / "eu.yaml").write_text(
        unit.replace(include, '"include": [{"file": corporate.yaml, "as": context}]')
    )
    result, report = audit_json(run_cli, str(tmp_path))
    assert [p["file"].rsplit("/", 1)[-1] for p in report["plans"]] == ["eu.yaml"]
    assert result.returncode == 0, report


def test_directory_of_plans_with_empty_includes(run_cli, tmp_path):
    """`include: []` is the same as no include: such plans are found without a second parse,
    and a plan that does include something still hides the file it includes."""
    text = (SAMPLES / "acme-2027.yaml").read_text()
    body = text.replace("include: []\n", "") if "include: []" in text else text
    (tmp_path / "a.yaml").write_text(
        body.replace("strataudit: 1\n", "strataudit: 1\ninclude: []\n", 1)
    )
    (tmp_path / "b.yaml").write_text(
        body.replace("strataudit: 1\n", "strataudit: 1\ninclude: ~  # none\n", 1)
    )
    result, report = audit_json(run_cli, str(tmp_path))
    assert sorted(p["file"].rsplit("/", 1)[-1] for p in report["plans"]) == ["a.yaml", "b.yaml"]
    assert result.returncode == 0
