"""Includes and merging, as the plan format says (found wanting by review, now pinned).

Fixtures in tests/fixtures/includes/: each folder is a small set of files that include each
other. Everything runs through the installed command."""

from __future__ import annotations

import json

from conftest import FIXTURES

INC = FIXTURES / "includes"


def test_same_id_under_two_units_in_two_files_is_a_duplicate(run_cli):
    result = run_cli("audit", str(INC / "kinds_goal" / "main.yaml"))
    assert result.returncode == 2
    assert "duplicate id `EU-G1`" in result.stderr and "hq.yaml:6" in result.stderr


def test_positioning_for_one_segment_in_two_files_is_a_duplicate(run_cli):
    result = run_cli("audit", str(INC / "pos" / "main.yaml"))
    assert result.returncode == 2 and "positioning entry for segment" in result.stderr


def test_findings_sit_in_the_nearest_file_by_include_depth(run_cli):
    """a includes [b, c], c includes d: an entity written in b and d is b's to report."""
    result = run_cli("audit", "--format", "json", str(INC / "near" / "a.yaml"))
    seg004 = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "SEG004"]
    assert seg004 and all(f["location"]["file"].endswith("near/b.yaml") for f in seg004)


def test_equal_values_in_two_files_are_no_conflict(run_cli):
    """40 and 40.0, a date quoted and unquoted: the same value."""
    result = run_cli("audit", str(INC / "dt2" / "main.yaml"))
    assert result.returncode in (0, 1), result.stderr


def test_a_bad_id_in_a_united_list_is_located_where_it_was_written(run_cli):
    result = run_cli(
        "audit", "--format", "json", "--select", "CON001", str(INC / "con" / "main.yaml")
    )
    found = {f["detail"]: f["location"] for f in json.loads(result.stdout)["findings"]}
    hq = (INC / "con" / "hq.yaml").read_text().splitlines()
    for bad in ("SEG-NOPE", "W-GONE"):
        loc = found[bad]
        assert loc["file"].endswith("con/hq.yaml")
        assert hq[loc["line"] - 1][loc["column"] - 1 :].startswith(bad)


def test_directory_discovery_follows_block_style_includes(run_cli):
    result = run_cli("audit", "--format", "json", str(INC / "d1"))
    report = json.loads(result.stdout)
    assert [p["file"].rsplit("/", 1)[-1] for p in report["plans"]] == ["eu-plan.yaml"]
    assert result.returncode == 0, report["errors"]


def test_no_output_may_overwrite_a_file_the_audit_read(run_cli, tmp_path):
    import shutil

    shutil.copytree(INC / "d1", tmp_path / "d1")
    corp = tmp_path / "d1" / "corporate.yaml"
    before = corp.read_bytes()
    for args in (
        ["-o", str(corp), str(tmp_path / "d1")],
        ["--write-baseline", str(corp), str(tmp_path / "d1" / "eu-plan.yaml")],
        ["--report", f"json={corp}", str(tmp_path / "d1" / "eu-plan.yaml")],
    ):
        result = run_cli("audit", *args)
        assert result.returncode == 2 and "input files" in result.stderr
    assert corp.read_bytes() == before


def test_hq_may_set_part_of_an_entity_and_the_unit_the_rest(run_cli, tmp_path):
    """HQ's file gives BU-EU a kind and a budget, the unit's file its name and strategy: the
    label is required of the merged entity, not of each file. Given by none: located error."""
    import shutil

    result = run_cli("audit", str(INC / "partial" / "eu-plan.yaml"))
    assert result.returncode == 0, result.stderr
    shutil.copytree(INC / "partial", tmp_path / "partial")
    unit = tmp_path / "partial" / "eu-plan.yaml"
    unit.write_text(unit.read_text().replace("    name: Europe", "    x_name: Europe"))
    result = run_cli("audit", str(unit))
    assert result.returncode == 2
    assert "eu-plan.yaml:19:5: required field `name` is missing" in result.stderr
