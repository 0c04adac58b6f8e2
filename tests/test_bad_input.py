"""Every input-error class of the plan format (docs/plan-guide.md): exit 2, `file:line:col`,
what is wrong, a fix.

Through the installed console script, as a workflow meets them; never a traceback, and fast."""

from __future__ import annotations

import json
import sys
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
    # Python 3.13's json names the trailing comma itself (line 13); 3.11 and 3.12 the next line
    "invalid_json.json": (14 if sys.version_info < (3, 13) else 13, "invalid JSON", "JSON syntax"),
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
    result = run_cli(
        "audit",
        "--format",
        "json",
        str(BAD / "python_tag.yaml"),
        str(SAMPLES / "acme-2027.yaml"),
        str(BAD / "empty.yaml"),
    )
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


MINIMAL = (FIXTURES / "good" / "minimal.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("strataudit: 1", "strataudit: true", "unsupported format version"),
        ("strataudit: 1", "strataudit: 1.0", "unsupported format version"),
        ("budget: 150000", "budget: .inf", "finite number"),
        ("budget: 150000", "budget: .nan", "finite number"),
        ("budget: 150000", "budget: 1e6", "YAML 1.1 reads an exponent"),
        ("budget: 150000", "budget: 1" + "0" * 400, "too large"),
        ("target: true", 'target: "yes"', "true or false"),
    ],
)
def test_lax_values_are_input_errors(run_cli, tmp_path, old, new, words):
    assert old in MINIMAL, old
    plan = tmp_path / "plan.yaml"
    plan.write_text(MINIMAL.replace(old, new, 1))
    result = run_cli("audit", str(plan))
    assert result.returncode == 2, result.stdout
    assert words in result.stderr and "plan.yaml:" in result.stderr
    assert "internal error" not in result.stderr


def test_amounts_that_overflow_when_summed_are_an_input_error(run_cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "strataudit: 1\nplan: {id: x}\ncorporate: {budget: 1}\nactions:\n"
        "  - {id: A1, title: a, budget: 1.0e+308}\n"
        "  - {id: A2, title: b, budget: 1.0e+308}\n"
    )
    result = run_cli("audit", str(plan))
    assert result.returncode == 2 and "largest number" in result.stderr


def test_include_of_a_directory(run_cli, tmp_path):
    (tmp_path / "hq").mkdir()
    plan = tmp_path / "plan.yaml"
    plan.write_text("strataudit: 1\nplan: {id: x}\ninclude: [hq]\n")
    result = run_cli("audit", str(plan))
    assert result.returncode == 2 and "plan.yaml:3:" in result.stderr
    assert "is a directory" in result.stderr


def test_reports_never_overwrite_an_audited_plan_and_bad_outputs_are_input_errors(
    run_cli, tmp_path
):
    plan = tmp_path / "plan.yaml"
    plan.write_text(MINIMAL)
    result = run_cli("audit", "-o", str(plan), str(plan))
    assert result.returncode == 2 and plan.read_text() == MINIMAL
    result = run_cli("audit", "--report", f"json={tmp_path}/no/such/dir/r.json", str(plan))
    assert result.returncode == 2 and "cannot write the report" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('{"strataudit": 1,\n "plan": {"id": "x"},\n "plan": {"id": "y"}}\n', 3, "duplicate key"),
        ('{"strataudit": 1,\n "plan": {"id": "x"},\n "corporate": {"budget": NaN}}\n', 3, ""),
        (
            '{"strataudit": 1, "plan": {"id": "x"}, "x_deep": ' + "[" * 100 + "]" * 100 + "}\n",
            1,
            "deeper than 64",
        ),
    ],
)
def test_json_fast_path_hands_doubtful_files_to_the_located_parser(
    run_cli, tmp_path, text, line, words
):
    plan = tmp_path / "plan.json"
    plan.write_text(text)
    result = run_cli("audit", str(plan))
    assert result.returncode == 2 and f"plan.json:{line}:" in result.stderr, result.stderr
    assert words in result.stderr and "internal error" not in result.stderr


def test_json_plan_findings_are_located_like_yaml(run_cli, tmp_path):
    """JSON plans load through the C json module; marks are computed only for findings."""
    import json

    import yaml

    data = yaml.safe_load((SAMPLES / "acme-defects.yaml").read_text())
    text = json.dumps(data, indent=2, default=str)
    plan = tmp_path / "defects.json"
    plan.write_text(text)
    report = json.loads(run_cli("audit", "--format", "json", str(plan)).stdout)
    lines = text.splitlines()
    entity_findings = [f for f in report["findings"] if f["entity"]]
    assert len(entity_findings) > 40
    for f in entity_findings:
        assert f["location"]["file"].endswith("defects.json")
        start = f["location"]["line"] - 1
        near = "\n".join(lines[max(0, start - 40) : start + 3])
        assert f'"{f["entity"]}"' in near, (f["rule"], f["entity"], f["location"])
