"""Everyday command-line habits: --quiet, --no-progress, options from the environment, shell
completion, and waiver `files:` globs that mean what a shell user expects."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess

import pytest
from conftest import ROOT, SAMPLES, strataudit_command

DEFECTS = SAMPLES / "acme-defects.yaml"


def test_quiet_prints_the_findings_only(run_cli, tmp_path):
    shutil.copy(DEFECTS, tmp_path / "plan.yaml")
    (tmp_path / "strataudit.yaml").write_text(
        "waivers:\n  - {rule: VAL001, path: products, reason: r, owner: o, expires: 2099-01-01}\n"
    )
    loud = run_cli("audit", "plan.yaml", cwd=tmp_path)
    quiet = run_cli("audit", "--quiet", "plan.yaml", cwd=tmp_path)
    assert loud.returncode == quiet.returncode == 1
    assert "verdict: FAIL" in loud.stdout and "note: waiver matched nothing" in loud.stderr
    assert "verdict" not in quiet.stdout and "plan audited" not in quiet.stdout
    assert quiet.stderr == ""
    assert quiet.stdout.strip() and quiet.stdout in loud.stdout, "the same tables, nothing else"
    clean = run_cli("audit", "-q", str(SAMPLES / "acme-2027.yaml"))
    assert clean.returncode == 0 and clean.stdout == ""


def test_no_progress_on_a_terminal(tmp_path):
    for i in range(25):
        shutil.copy(SAMPLES / "acme-2027.yaml", tmp_path / f"p{i}.yaml")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [*strataudit_command(), "audit", "--no-progress", "--format", "json", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=300,
        )
        os.set_blocking(leader, False)
        try:
            shown = os.read(leader, 65536).decode(errors="replace")
        except BlockingIOError:
            shown = ""
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 0 and "auditing" not in shown


def _script(*args: str, env: dict[str, str] | None = None, cwd=ROOT):
    full = {k: v for k, v in os.environ.items() if not k.startswith("STRATAUDIT_")}
    full.update(env or {})
    return subprocess.run(
        [*strataudit_command(), *args],
        env=full,
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=300,
    )


def test_options_come_from_strataudit_variables():
    plan = str(DEFECTS)
    assert _script("audit", plan).returncode == 1
    assert _script("audit", plan, env={"STRATAUDIT_AUDIT_FAIL_ON": "never"}).returncode == 0
    chosen = _script(
        "audit", plan, env={"STRATAUDIT_AUDIT_FORMAT": "json", "STRATAUDIT_AUDIT_SELECT": "SEG002"}
    )
    assert {f["rule"] for f in json.loads(chosen.stdout)["findings"]} == {"SEG002"}
    # the command line wins over the environment
    argv = _script("audit", "--fail-on", "error", plan, env={"STRATAUDIT_AUDIT_FAIL_ON": "never"})
    assert argv.returncode == 1
    bad = _script("audit", plan, env={"STRATAUDIT_AUDIT_FAIL_ON": "sometimes"})
    assert bad.returncode == 2 and "fail-on" in bad.stderr and "Traceback" not in bad.stderr


def test_shell_completion_is_click_s():
    script = _script(env={"_STRATAUDIT_COMPLETE": "bash_source"})
    assert script.returncode == 0 and "_strataudit_completion" in script.stdout
    words = _script(
        env={
            "_STRATAUDIT_COMPLETE": "bash_complete",
            "COMP_WORDS": "strataudit audit --format s",
            "COMP_CWORD": "3",
        }
    )
    assert "plain,sarif" in words.stdout.split()  # click's bash protocol: type,value
    options = _script(
        env={
            "_STRATAUDIT_COMPLETE": "bash_complete",
            "COMP_WORDS": "strataudit audit --qu",
            "COMP_CWORD": "2",
        }
    )
    assert "plain,--quiet" in options.stdout.split()


WAIVE = (
    "select: [SEG002]\nwaivers:\n  - {rule: SEG002, entity: PR-LABKIT, reason: r, "
    'owner: o, expires: 2099-01-01, files: "GLOB"}\n'
)


@pytest.mark.parametrize(
    ("glob", "waived"),
    [
        ("plans/[de]*/*.yaml", {"plans/de/plan.yaml", "plans/eu/plan.yaml"}),
        ("plans/[!e]*/*.y*ml", {"plans/de/plan.yaml", "plans/fr/plan.yml"}),
        ("plans/{de,fr}/*", {"plans/de/plan.yaml", "plans/fr/plan.yml"}),
        (
            "plans/*/plan.{yaml,yml}",
            {"plans/de/plan.yaml", "plans/eu/plan.yaml", "plans/fr/plan.yml"},
        ),
        ("plans/**/*.yaml", {"plans/de/plan.yaml", "plans/eu/plan.yaml", "plans/top.yaml"}),
        ("plans/*.yaml", {"plans/top.yaml"}),
        ("plans/d?/plan.yaml", {"plans/de/plan.yaml"}),
    ],
)
def test_waiver_file_globs_mean_what_users_expect(run_cli, tmp_path, glob, waived):
    files = ["plans/de/plan.yaml", "plans/eu/plan.yaml", "plans/fr/plan.yml", "plans/top.yaml"]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEFECTS, tmp_path / name)
    (tmp_path / "strataudit.yaml").write_text(WAIVE.replace("GLOB", glob))
    result = run_cli("audit", "--format", "json", "plans", cwd=tmp_path)
    findings = json.loads(result.stdout)["findings"]
    got = {
        f["location"]["file"]
        for f in findings
        if f["entity"] == "PR-LABKIT" and f["waived"] is not None
    }
    assert got == waived


def test_a_glob_with_too_many_alternatives_is_an_input_error_with_its_line(run_cli, tmp_path):
    shutil.copy(DEFECTS, tmp_path / "plan.yaml")
    (tmp_path / "strataudit.yaml").write_text(WAIVE.replace("GLOB", "{a,b}" * 12))
    result = run_cli("audit", "plan.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "strataudit.yaml:3:" in result.stderr and "too many" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_variable_docs_ci_lists_is_an_option_s():
    """docs/ci.md's table names real variables: each is the one click reads for an option."""
    import re

    import click

    from strataudit.cli import ENV_PREFIX, main

    known: set[str] = set()

    def walk(command: click.Command, prefix: str) -> None:
        for param in command.params:
            if isinstance(param, click.Option):
                envvar = param.envvar or f"{prefix}_{param.name.upper()}"
                known.update([envvar] if isinstance(envvar, str) else envvar)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{prefix}_{name.upper()}")

    walk(main, ENV_PREFIX)
    table = (ROOT / "docs" / "ci.md").read_text().split("## Settings from the environment")[1]
    listed = set(re.findall(r"`(STRATAUDIT_[A-Z_]+)`", table.split("## Shell completion")[0]))
    assert listed and listed <= known, sorted(listed - known)
