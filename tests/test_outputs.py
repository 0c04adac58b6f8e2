"""Outputs never clobber inputs, are never half-written, and plan text cannot drive a terminal."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import SAMPLES, invoke

from strataudit.inert import inert

MINIMAL = "strataudit: 1\nplan: {id: x}\n"


@pytest.fixture
def workspace(tmp_path):
    """A unit plan that includes HQ's file, a config, a baseline and a rule pack."""
    shutil.copy(SAMPLES / "unit-eu" / "corporate.yaml", tmp_path / "corporate.yaml")
    shutil.copy(SAMPLES / "unit-eu" / "eu-plan.yaml", tmp_path / "plan.yaml")
    (tmp_path / "strataudit.yaml").write_text("fail_on: never\nrules: [pack]\n")
    (tmp_path / "pack").mkdir()
    rule = next((SAMPLES.parent / "rules" / "swot").glob("SWT002.yaml")).read_text()
    (tmp_path / "pack" / "ZZZ001.yaml").write_text(rule.replace("SWT002", "ZZZ001"))
    assert (
        invoke("audit", "--write-baseline", "base.json", "plan.yaml", cwd=tmp_path).returncode == 0
    )
    return tmp_path


INPUTS = ["plan.yaml", "corporate.yaml", "strataudit.yaml", "base.json", "pack/ZZZ001.yaml"]
OPTIONS = ["-o", "--report=json=", "--write-baseline"]


CASES = [(option, name, "same") for option in OPTIONS for name in INPUTS]
CASES += [("-o", name, how) for how in ("hard link", "symlink") for name in INPUTS]


@pytest.mark.parametrize(("option", "name", "how"), CASES)
def test_no_output_may_be_a_file_the_run_reads(workspace, option, name, how):
    target = workspace / name
    if how == "hard link":
        os.link(target, workspace / "alias")
        out = "alias"
    elif how == "symlink":
        os.symlink(target, workspace / "alias")
        out = "alias"
    else:
        out = name
    before = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    args = [option + out] if option.endswith("=") else [option, out]
    result = invoke("audit", "--baseline", "base.json", *args, "plan.yaml", cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "one of the audit's input files" in result.stderr
    assert {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()} == before


def test_a_failed_write_is_an_input_error_and_leaves_nothing_behind(tmp_path, monkeypatch):
    (tmp_path / "plan.yaml").write_text(MINIMAL)
    (tmp_path / "out.json").write_text("the old report\n")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    result = invoke("audit", "--format", "json", "-o", "out.json", "plan.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "No space left on device" in result.stderr
    assert "internal error" not in result.stderr
    assert (tmp_path / "out.json").read_text() == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "plan.yaml"]


def test_a_report_replaces_the_old_one_whole_and_keeps_its_mode(tmp_path):
    (tmp_path / "plan.yaml").write_text(MINIMAL)
    out = tmp_path / "out.json"
    out.write_text("x" * 100_000)
    out.chmod(0o640)
    result = invoke("audit", "--format", "json", "-o", "out.json", "plan.yaml", cwd=tmp_path)
    assert result.returncode in (0, 1) and out.read_text().startswith("{")
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "plan.yaml"]


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\u202eevil\x00\x9b"


def test_inert_escapes_control_and_format_characters_only():
    assert inert("tab\tnew\nline é 日本 🚀") == "tab\tnew\nline é 日本 🚀"
    assert inert(ESCAPES) == "\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil\\x00\\x9b"
    assert inert("\r\x7f\u200b\ufeff") == "\\x0d\\x7f\\u200b\\ufeff"


def test_terminal_escapes_in_a_plan_reach_no_terminal(tmp_path):
    """The text report and every message on standard error show them escaped."""
    text = (SAMPLES / "acme-defects.yaml").read_text()
    assert "    name: ACME research kit\n" in text
    name = "ACME \\e]0;pwned\\a\\e[2J\\u202ekit\\x9b"  # YAML escapes in a double-quoted string
    (tmp_path / "plan.yaml").write_text(text.replace("ACME research kit", f'"{name}"', 1))
    key = "seg\\e]0;pwned\\amnets"
    (tmp_path / "bad.yaml").write_text(f'strataudit: 1\nplan: {{id: x}}\n"{key}": []\n')
    result = invoke("audit", "plan.yaml", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    for stream in (result.stdout, result.stderr):
        assert not [c for c in stream if c in "\x1b\x07\x00\x9b\u202e"], stream
    assert "\\x1b]0;pwned\\x07" in result.stdout and "\\u202ekit" in result.stdout
    assert "bad.yaml:3:" in result.stderr and "seg\\x1b]0;pwned\\x07mnets" in result.stderr
