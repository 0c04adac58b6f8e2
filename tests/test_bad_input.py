"""Every input-error class of plan-format.md: exit 2, `file:line:col`, what is wrong, a fix.

Through the installed console script, as a workflow meets them; never a traceback, and fast."""

from __future__ import annotations

import json
import time

import pytest
from conftest import FIXTURES, SAMPLES

BAD = FIXTURES / "bad"
# file -> (line, words the message must contain, words the hint must contain)
CASES = {
    "unknown_section.yaml": (43, "unknown key `segmnets`", "did you mean `segments`"),
    "unknown_field.yaml": (64, "value_propostion", "value_proposition"),
    "wrong_type_id_number.yaml": (4, "must be text", "quote it"),
    "id_no_bool.yaml": (49, "must be text", 'quote it: `id: "no"`'),
    "string_budget.yaml": (95, "must be a number", "budget: 150000"),
    "bad_vocabulary.yaml": (29, "regional", "business_unit"),
    "duplicate_id.yaml": (116, "duplicate id `A2`", "rename"),
    "duplicate_key.yaml": (62, "duplicate key `name`", "keep one"),
    "bad_date.yaml": (109, "2027-13-45", "YYYY-MM-DD"),
    "bad_date_quoted.yaml": (109, "not a valid date", "YYYY-MM-DD"),
    "invalid_yaml.yaml": (5, "invalid YAML", "syntax"),
    "invalid_json.json": (14, "invalid JSON", "JSON syntax"),
    "python_tag.yaml": (5, "tag", "safe YAML"),
    "alias_bomb.yaml": (None, "expand past 10,000 nodes", "aliases"),
    "deep_nesting.yaml": (69, "deeper than 64 levels", "flatten"),
    "not_utf8.yaml": (58, "not UTF-8", "UTF-8"),
    "empty.yaml": (1, "empty", "strataudit: 1"),
    "wrong_version.yaml": (2, "version", "strataudit: 1"),
    "missing_version.yaml": (None, "strataudit: 1", "strataudit: 1"),
    "missing_include.yaml": (11, "does not exist", "relative"),
    "include_cycle_a.yaml": (None, "include cycle", "tree"),
    "include_conflict_main.yaml": (33, "include_conflict_hq.yaml:6", "one file"),
    "no_plan_id.yaml": (3, "`id` is missing", "id"),
}


def test_every_fixture_is_covered():
    listed = {p.name for p in BAD.iterdir() if p.suffix in (".yaml", ".json")}
    halves = {"include_cycle_b.yaml", "include_conflict_hq.yaml"}
    assert listed - halves == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_a_clear_error(run_cli, name):
    line, message, hint = CASES[name]
    start = time.perf_counter()
    result = run_cli("audit", "--format", "json", str(BAD / name))
    elapsed = time.perf_counter() - start
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    report = json.loads(result.stdout)
    error = report["errors"][0]
    assert error["file"].endswith(name) or name.startswith("include_cycle")
    if line is not None:
        assert error["line"] == line, error
    assert error["line"] is not None and error["column"] is not None
    assert message in error["message"], error
    assert hint in error["hint"], error
    assert f":{error['line']}:{error['column']}: " in result.stderr
    assert elapsed < 30, "bad input must fail fast, not grind"


def test_bad_plan_among_good_ones_still_reports_the_good(run_cli):
    result = run_cli("audit", "--format", "json", str(BAD / "python_tag.yaml"),
                     str(SAMPLES / "acme-2027.yaml"), str(BAD / "empty.yaml"))
    report = json.loads(result.stdout)
    assert result.returncode == 2
    assert [p["verdict"] for p in report["plans"]] == ["error", "pass", "error"]
    assert len(report["errors"]) == 2


def test_missing_file(run_cli):
    result = run_cli("audit", "no/such/plan.yaml")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_debug_flag_keeps_input_errors_plain(run_cli):
    result = run_cli("audit", "--debug", str(BAD / "empty.yaml"))
    assert result.returncode == 2 and "empty.yaml:1:1: the file is empty" in result.stderr
