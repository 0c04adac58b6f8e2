"""What only a real process shows: the installed entry point, its exit codes, standard input,
a terminal's progress bar, and signals (an interrupt is never a verdict, and leaves no report).
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import time

import pytest
from conftest import FIXTURES, ROOT, SAMPLES, strataudit_command


def test_entry_point_exit_codes_and_no_traceback(run_script):
    assert run_script("--version").stdout.startswith("strataudit, version")
    assert run_script("audit", str(SAMPLES / "acme-2027.yaml")).returncode == 0
    assert run_script("audit", str(SAMPLES / "acme-defects.yaml")).returncode == 1
    bad = run_script("audit", str(FIXTURES / "bad" / "python_tag.yaml"))
    assert bad.returncode == 2 and "python_tag.yaml:" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_script_leaves_only_after_its_output_is_complete(run_script, tmp_path):
    """The console script skips the interpreter's shutdown (`cli.console`): what it printed
    beyond a pipe's buffer, and the files it wrote, are all there, with the gate's code."""
    report = tmp_path / "r.sarif"
    result = run_script("audit", "--format", "json", "--report", f"sarif={report}", str(SAMPLES))
    assert result.returncode == 1 and len(result.stdout) > 65536
    assert json.loads(result.stdout)["summary"]["findings"] > 0
    assert json.loads(report.read_text())["runs"]
    for args in (("rules", "list"), ("audit", "--help")):
        assert run_script(*args).returncode == 0


def test_standard_input_through_the_script(run_script):
    text = (SAMPLES / "acme-defects.yaml").read_text()
    result = run_script("audit", "--format", "json", "-", stdin=text)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["plans"][0]["file"] == "<stdin>"
    assert report["findings"]


def test_progress_bar_only_on_a_terminal(run_script, tmp_path):
    for i in range(25):
        shutil.copy(SAMPLES / "acme-2027.yaml", tmp_path / f"p{i}.yaml")
    quiet = run_script("audit", "--format", "json", str(tmp_path))
    assert quiet.returncode == 0 and quiet.stderr == ""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [*strataudit_command(), "audit", "--format", "json", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
        )
        os.set_blocking(leader, False)
        shown = os.read(leader, 65536).decode(errors="replace")
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 0
    assert "auditing" in shown and "100%" in shown


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A folder of plans that takes seconds to audit: time to send a signal mid-run."""
    folder = tmp_path_factory.mktemp("batch")
    text = (SAMPLES / "acme-defects.yaml").read_text()
    for i in range(400):
        (folder / f"p{i:03}.yaml").write_text(text)
    return folder


@pytest.mark.parametrize(
    ("signum", "code", "jobs"),
    [(signal.SIGINT, 130, "1"), (signal.SIGTERM, 143, "1"), (signal.SIGTERM, 143, "2")],
    ids=["sigint", "sigterm", "sigterm-jobs-2"],
)
def test_a_signal_ends_the_run_with_its_code_and_no_report(batch, tmp_path, signum, code, jobs):
    outputs = ["-o", str(tmp_path / "report.json"), "--report", f"sarif={tmp_path / 'r.sarif'}"]
    proc = subprocess.Popen(
        [*strataudit_command(), "audit", "-j", jobs, "--format", "json", *outputs, str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(2.5)  # past start-up, into the batch (400 plans take far longer)
    assert proc.poll() is None, "the batch ended before the signal: make it larger"
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert stdout == "" and "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no report, no temporary file
