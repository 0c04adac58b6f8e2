"""The pre-commit hook: files named together, as pre-commit passes them, and the real tool.

pre-commit passes the changed files' names. Named together, an included fragment is audited
through the plan that includes it; with `--skip-non-plans` (the hook's), a file that is not a
plan, or a fragment whose plan is not among the files, is skipped with a note. The last test
runs the hook with `pre-commit try-repo` on a small git repository, as a user would try it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES, invoke
from snapshot import git, index_unreachable, snapshot

UNIT = SAMPLES / "unit-eu"


def plans_of(result) -> list[str]:
    return [p["file"] for p in json.loads(result.stdout)["plans"]]


def test_files_named_together_audit_a_fragment_through_its_plan():
    result = invoke(
        "audit", "--format", "json", "unit-eu/corporate.yaml", "unit-eu/eu-plan.yaml", cwd=SAMPLES
    )
    assert result.returncode == 0, result.stderr
    assert plans_of(result) == ["unit-eu/eu-plan.yaml"]


def test_a_file_named_twice_or_also_under_a_folder_is_audited_once():
    result = invoke(
        "audit", "--format", "json", "acme-2027.yaml", ".", "acme-2027.yaml", cwd=SAMPLES
    )
    files = plans_of(result)
    assert files.count("acme-2027.yaml") == 1 and "unit-eu/corporate.yaml" not in files


def test_a_named_non_plan_is_an_error_unless_the_hook_skips_it(tmp_path):
    (tmp_path / "ci.yaml").write_text("jobs: {build: {}}\n")
    # a fragment: no `plan:` section, only audited through a plan that includes it
    (tmp_path / "corporate.yaml").write_text("strataudit: 1\ncorporate: {budget: 1500000}\n")
    alone = invoke("audit", "ci.yaml", cwd=tmp_path)
    assert alone.returncode == 2
    hooked = invoke("audit", "--skip-non-plans", "ci.yaml", "corporate.yaml", cwd=tmp_path)
    assert hooked.returncode == 0, hooked.stderr
    notes = [line for line in hooked.stderr.splitlines() if line.startswith("note: ")]
    assert [n.split(":")[1].strip() for n in notes] == ["ci.yaml", "corporate.yaml"]
    assert "included fragment" in notes[1]
    quiet = invoke("audit", "-q", "--skip-non-plans", "ci.yaml", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_the_hook_definition_is_what_pre_commit_reads():
    [hook, everything] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "strataudit" and hook["language"] == "python"
    assert hook["files"] == r"\.(ya?ml|json)$"
    assert "--skip-non-plans" in hook["entry"] and hook["require_serial"] is True
    assert everything["pass_filenames"] is False


@pytest.mark.slow  # pre-commit builds its own environment for the hook
def test_the_hook_through_pre_commit_try_repo(tmp_path):
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (it is in the test extra: pip install '.[test]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    hook_repo = snapshot(tmp_path / "hook")
    work = tmp_path / "work"
    (work / "plans").mkdir(parents=True)
    shutil.copy(UNIT / "corporate.yaml", work / "plans" / "corporate.yaml")
    shutil.copy(UNIT / "eu-plan.yaml", work / "plans" / "eu-plan.yaml")
    (work / ".gitlab-ci.yml").write_text("test: {script: [echo]}\n")  # not a plan: skipped
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"))
    env.pop("VIRTUAL_ENV", None)

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(hook_repo), "strataudit", "--all-files"],
            cwd=work,
            env=env,
            text=True,
            capture_output=True,
            timeout=1200,
        )

    clean = try_repo()
    if clean.returncode != 0 and index_unreachable(clean.stdout + clean.stderr):
        pytest.skip("pip cannot reach the package index to install the hook's environment")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout
    shutil.copy(SAMPLES / "acme-defects.yaml", work / "plans" / "defects.yaml")
    git("add", "-A", cwd=work)
    failing = try_repo()
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "Failed" in failing.stdout and "CON001" in failing.stdout
    assert "could not be audited" not in failing.stdout, "the fragment is never audited alone"
