"""`--format github` and `--format codeclimate`, read back as GitHub and GitLab read them.

GitHub's annotations are parsed by `parse_command`, written from GitHub's documented syntax
(`::command key=value,key=value::message`, "Workflow commands for GitHub Actions") and the
unescaping of its toolkit; GitLab's Code Quality report is validated against
`tests/schemas/gitlab-codequality.schema.json`, written from GitLab's documentation.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, SAMPLES, invoke

DEFECTS = "sample_plans/acme-defects.yaml"
CLEAN = "sample_plans/acme-2027.yaml"
BAD = "tests/fixtures/bad/python_tag.yaml"
HOSTILE = "kit 50%, a:b::c\nnext line %0A"
COMMAND = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def unescape(text: str) -> str:
    """GitHub's decoding of `%25`, `%0D`, `%0A`, `%3A`, `%2C` (`%25` last: it made the rest)."""
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """One workflow command line -> (command, properties, message), unescaped."""
    m = COMMAND.match(line)
    assert m, f"not a workflow command: {line!r}"
    props: dict[str, str] = {}
    for pair in (m["props"] or "").split(","):
        if pair:
            key, sep, value = pair.partition("=")
            assert sep and key and "::" not in value, pair
            props[key] = unescape(value)
    return m["name"], props, unescape(m["message"])


def audit_json(*paths: str, cwd: Path | None = None) -> dict:
    return json.loads(invoke("audit", "--format", "json", *paths, cwd=cwd).stdout)


@pytest.fixture(scope="module")
def codequality_schema() -> jsonschema.Draft7Validator:
    schema = json.loads((ROOT / "tests" / "schemas" / "gitlab-codequality.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def hostile_plan(folder: Path) -> Path:
    text = (SAMPLES / "acme-defects.yaml").read_text(encoding="utf-8")
    assert "    name: ACME research kit\n" in text
    text = text.replace("    name: ACME research kit\n", f"    name: {json.dumps(HOSTILE)}\n")
    path = folder / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- GitHub ------------------------------------------------------------------------------------


def test_github_annotates_every_counted_finding_where_it_is():
    expected = audit_json(DEFECTS, CLEAN)
    result = invoke("audit", "--format", "github", DEFECTS, CLEAN)
    assert result.returncode == 1
    parsed = [parse_command(line) for line in result.stdout.splitlines()]
    assert len(parsed) == len(expected["findings"]) > 0
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    for (name, props, message), finding in zip(parsed, expected["findings"], strict=True):
        loc = finding["location"]
        assert name == kinds[finding["severity"]]
        assert props["file"] == loc["file"] == DEFECTS  # the repository root is the cwd here
        assert int(props["line"]) == int(props["endLine"]) == loc["line"]
        assert int(props["col"]) == loc["column"]
        assert props["title"] == f"{finding['rule']} {finding['title']}"
        assert message.startswith(finding["message"]) and "\nFix: " in message


def test_github_escapes_round_trip_and_control_characters_are_inert(tmp_path):
    plan = hostile_plan(tmp_path)
    result = invoke("audit", "--format", "github", str(plan))
    lines = result.stdout.splitlines()
    assert all(line.startswith("::") for line in lines), "a newline escaped the command"
    messages = [parse_command(line)[2] for line in lines]
    assert any(HOSTILE in m for m in messages)
    esc = tmp_path / "esc.yaml"
    esc.write_text(plan.read_text().replace(json.dumps(HOSTILE), '"kit\\e[31m"'))
    messages = [
        parse_command(line)[2]
        for line in invoke("audit", "--format", "github", str(esc)).stdout.splitlines()
    ]
    assert any("kit\\x1b[31m" in m for m in messages) and not any("\x1b" in m for m in messages)


def test_github_paths_are_relative_to_the_repository_root_from_a_subfolder():
    result = invoke(
        "audit",
        "--format",
        "github",
        "acme-defects.yaml",
        BAD.replace("tests/", "../tests/"),
        cwd=SAMPLES,
    )
    assert result.returncode == 2
    parsed = [parse_command(line) for line in result.stdout.splitlines()]
    files = {props["file"] for _, props, _ in parsed}
    assert files == {DEFECTS, BAD}
    [error] = [p for p in parsed if p[1]["title"] == "strataudit: input error"]
    assert error[0] == "error" and int(error[1]["line"]) >= 1 and "tag" in error[2]


def test_github_leaves_out_waived_findings(tmp_path):
    shutil.copy(ROOT / DEFECTS, tmp_path / "plan.yaml")
    (tmp_path / "strataudit.yaml").write_text(
        "select: [SEG002]\nwaivers:\n  - {rule: SEG002, entity: PR-LABKIT, reason: r, "
        "owner: o, expires: 2099-01-01}\n"
    )
    report = audit_json("plan.yaml", cwd=tmp_path)
    counted = [f for f in report["findings"] if not f["waived"]]
    assert len(counted) < len(report["findings"])
    lines = invoke("audit", "--format", "github", "plan.yaml", cwd=tmp_path).stdout.splitlines()
    assert len(lines) == len(counted)
    assert not any("PR-LABKIT" in parse_command(line)[2] for line in lines)


# --- GitLab Code Quality -----------------------------------------------------------------------


def test_codeclimate_is_valid_and_lists_counted_findings_and_errors(codequality_schema):
    expected = audit_json(DEFECTS, BAD)
    result = invoke("audit", "--format", "codeclimate", DEFECTS, BAD)
    assert result.returncode == 2
    issues = json.loads(result.stdout)
    errors = sorted(codequality_schema.iter_errors(issues), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    found, problems = issues[: len(expected["findings"])], issues[len(expected["findings"]) :]
    assert len(found) == len(expected["findings"]) > 0
    for issue, finding in zip(found, expected["findings"], strict=True):
        assert issue["check_name"] == finding["rule"]
        assert issue["fingerprint"] == finding["fingerprint"]
        assert issue["location"]["path"] == DEFECTS
        assert issue["location"]["positions"]["begin"] == {
            "line": finding["location"]["line"],
            "column": finding["location"]["column"],
        }
    assert len({i["fingerprint"] for i in issues}) == len(issues), "GitLab shows one per print"
    [problem] = problems
    assert problem["check_name"] == "strataudit/input-error" and problem["severity"] == "blocker"
    assert problem["location"]["path"] == BAD


def test_codeclimate_paths_follow_the_sarif_root(codequality_schema):
    result = invoke("audit", "--format", "codeclimate", "--sarif-root", "sample_plans", DEFECTS)
    issues = json.loads(result.stdout)
    assert not list(codequality_schema.iter_errors(issues))
    assert {i["location"]["path"] for i in issues} == {"acme-defects.yaml"}


def test_git_root_is_the_default_root(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "plans").mkdir()
    shutil.copy(ROOT / DEFECTS, tmp_path / "plans" / "p.yaml")
    result = invoke("audit", "--format", "codeclimate", "p.yaml", cwd=tmp_path / "plans")
    assert {i["location"]["path"] for i in json.loads(result.stdout)} == {"plans/p.yaml"}
