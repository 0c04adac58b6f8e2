"""The composite GitHub Action: its `run:` scripts, read from action.yml, run in bash as the
runner runs them (`bash --noprofile --norc -eo pipefail`), with the `${{ }}` expressions of
their `env:` filled in as GitHub would for a workflow that uses the action.

The install step really installs strataudit from the action's own path (a copy of this
repository) into a virtual environment under `RUNNER_TEMP`, with pip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT, SAMPLES
from snapshot import index_unreachable, snapshot
from test_ci_formats import parse_command

# pip installs the action into a fresh environment: the slow set (CI runs it).
pytestmark = pytest.mark.slow

EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def fill(value: str, context: dict[str, str]) -> str:
    """`${{ inputs.paths }}` -> the value in `context` (an unknown expression fails the test)."""

    def one(m: re.Match[str]) -> str:
        assert m[1] in context, f"action.yml uses `{m[1]}`, which the test does not provide"
        return context[m[1]]

    return EXPRESSION.sub(one, value)


def run_steps(context: dict[str, str], workspace: Path, runner_temp: Path, only: str = ""):
    """Every step (or those whose name contains `only`), in order; the last one's result."""
    done = None
    steps = action()["runs"]["steps"]
    for number, step in enumerate(steps, 1):
        if only not in step["name"]:
            continue
        assert step["shell"] == "bash" and not EXPRESSION.search(step["run"]), (
            "inputs reach the script through env:, never pasted into it"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STRATAUDIT_", "VIRTUAL"))}
        env.update({k: fill(str(v), context) for k, v in step.get("env", {}).items()})
        env["RUNNER_TEMP"] = str(runner_temp)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env=env,
            text=True,
            capture_output=True,
            timeout=1800,
        )
        if number < len(steps):  # the audit's exit code is the verdict; the others must pass
            assert done.returncode == 0, f"{step['name']}: {done.stdout}{done.stderr}"
    return done


def test_the_action_declares_its_inputs():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert set(spec["inputs"]) == {"paths", "fail-on", "format", "sarif-file"}
    assert all(i["description"] for i in spec["inputs"].values())


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The install step, run once: the action's path is a copy of this repository."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    action_path = snapshot(tmp_path_factory.mktemp("action"), commit=False)
    runner_temp = tmp_path_factory.mktemp("runner-temp")
    context = {"github.action_path": str(action_path)}
    try:
        run_steps(context, action_path, runner_temp, only="Install")
    except AssertionError as exc:
        if index_unreachable(str(exc)):
            pytest.skip("pip cannot reach the package index to install the action")
        raise
    assert (runner_temp / "strataudit-venv" / "bin" / "strataudit").exists()
    return runner_temp


def _workspace(tmp_path: Path, *plans: str) -> Path:
    work = tmp_path / "work"
    (work / "plans").mkdir(parents=True)
    for name in plans:
        shutil.copy(SAMPLES / name, work / "plans" / Path(name).name)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    return work


def _context(**inputs: str) -> dict[str, str]:
    spec = action()["inputs"]
    values = {f"inputs.{k}": inputs.get(k.replace("-", "_"), v["default"]) for k, v in spec.items()}
    return {
        **values,
        "github.server_url": "https://github.com",
        "github.action_repository": inputs.get("repository", ""),
        "github.action_ref": inputs.get("ref", ""),
    }


def test_the_action_annotates_and_fails_on_defects_and_writes_sarif(installed, tmp_path):
    work = _workspace(tmp_path, "acme-defects.yaml", "acme-2027.yaml")
    context = _context(sarif_file="results.sarif", repository="acme/strataudit", ref="v1")
    done = run_steps(context, work, installed, only="Audit")
    assert done.returncode == 1, done.stderr
    commands = [parse_command(line) for line in done.stdout.splitlines()]
    assert commands and {c[1]["file"] for c in commands} == {"plans/acme-defects.yaml"}
    log = json.loads((work / "results.sarif").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    assert (
        run["tool"]["driver"]["informationUri"]
        == "https://github.com/acme/strataudit/blob/v1/docs/"
    )
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert (artifact["uri"], artifact["uriBaseId"]) == ("plans/acme-defects.yaml", "%SRCROOT%")


def test_the_action_passes_a_clean_plan_and_honours_fail_on(installed, tmp_path):
    work = _workspace(tmp_path, "acme-2027.yaml", "acme-defects.yaml")
    (work / "plans" / "acme-defects.yaml").unlink()
    clean = run_steps(
        _context(paths="plans/acme-2027.yaml", format="text"), work, installed, "Audit"
    )
    assert clean.returncode == 0, clean.stderr
    assert "verdict: PASS" in clean.stdout
    shutil.copy(SAMPLES / "acme-defects.yaml", work / "plans" / "d e.yaml")  # a space in a name
    lenient = run_steps(_context(paths="plans", fail_on="never"), work, installed, "Audit")
    assert lenient.returncode == 0 and "plans/d e.yaml" in lenient.stdout


def test_the_recipes_in_docs_ci_match_the_action_and_the_hooks():
    """docs/ci.md's YAML parses, uses only the action's inputs and names only real hook ids."""
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "ci.md").read_text(), re.S)
    docs = [yaml.safe_load(block) for block in blocks]
    workflow = next(d for d in docs if isinstance(d, dict) and "jobs" in d)
    [step] = [s for s in workflow["jobs"]["audit"]["steps"] if "strataudit" in s.get("uses", "")]
    assert set(step["with"]) <= set(action()["inputs"])
    hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    config = next(d for d in docs if isinstance(d, dict) and "repos" in d)
    assert {h["id"] for r in config["repos"] for h in r["hooks"]} <= hooks
    gitlab = next(d for d in docs if isinstance(d, dict) and "strataudit" in d)["strataudit"]
    script = " ".join(gitlab["script"])
    for fmt, file in (("codeclimate", "codequality"), ("junit", "junit")):
        assert f"--report {fmt}={gitlab['artifacts']['reports'][file]}" in script
