"""`strataudit diff OLD NEW`: findings new, resolved and unchanged by fingerprint, and the plan's
values that moved, with both values; every format; exit 0 / 1 / 2."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from conftest import ROOT, SAMPLES
from test_html_report import IMG_PAYLOAD, SCRIPT_PAYLOAD, Page, assert_offline

from strataudit.diff import diff
from strataudit.reports.diffs import FORMATS, renderer
from strataudit.runner import RunOptions

SCHEMA = json.loads((ROOT / "engine/strataudit/schemas/diff.schema.json").read_text())


def versions(tmp_path, *edits: tuple[str, str]):
    """The clean sample as `old.yaml`, and `new.yaml` with each (before, after) replaced once."""
    text = (SAMPLES / "acme-2027.yaml").read_text()
    (tmp_path / "old.yaml").write_text(text)
    for before, after in edits:
        assert before in text, before
        text = text.replace(before, after, 1)
    (tmp_path / "new.yaml").write_text(text)
    return tmp_path / "old.yaml", tmp_path / "new.yaml"


EDITS = (
    ("    budget: 1100000", "    budget: 1200000"),  # BU-EU's budget
    ("        target: 14\n", "        target: 16\n"),  # EU-G1's target
    ("target: true", "target: false"),  # the first target segment: findings appear
)


@pytest.fixture
def changed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old, new = versions(tmp_path, *EDITS)
    return diff(old.name, new.name, RunOptions(find_config=False))


def test_findings_are_matched_by_fingerprint_and_values_carry_both_sides(changed):
    assert changed.new_findings and not changed.resolved and not changed.unchanged
    assert {f.rule for f in changed.new_findings} >= {"SEG002", "CON005"}
    assert changed.new_findings[0].severity.label == "error"  # counted, worst first
    values = {(v.id, v.field): (v.old, v.new) for v in changed.values}
    assert values[("BU-EU", "budget")] == (1100000, 1200000)
    assert values[("EU-G1", "target")] == (14, 16)
    assert changed.exit_code == 1 and changed.verdict == "fail"


def test_the_reverse_diff_resolves_what_the_forward_one_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old, new = versions(tmp_path, *EDITS)
    back = diff(new.name, old.name, RunOptions(find_config=False))
    forward = diff(old.name, new.name, RunOptions(find_config=False))
    assert {f.fingerprint for f in back.resolved} == {f.fingerprint for f in forward.new_findings}
    assert back.exit_code == 0 and not back.new_findings


def test_entities_added_and_removed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (SAMPLES / "acme-2027.yaml").read_text()
    assert "id: A45\n" in text and "A99" not in text
    old, new = versions(tmp_path, ("id: A45\n", "id: A99\n"))
    result = diff(old.name, new.name, RunOptions(find_config=False))
    assert [(r.kind, r.id) for r in result.added] == [("action", "A99")]
    assert [(r.kind, r.id) for r in result.removed] == [("action", "A45")]


def test_every_format_lists_new_findings_first_and_json_keeps_its_schema(changed):
    first = changed.new_findings[0]
    where = f"{first.location.file}:{first.location.line}:{first.location.column}"
    for fmt in FORMATS:
        out = renderer(fmt)(changed)
        assert (first.fingerprint if fmt == "json" else where) in out, fmt
    data = json.loads(renderer("json")(changed))
    jsonschema.validate(data, SCHEMA)
    assert data["summary"]["new"] == len(changed.new_findings)
    assert data["findings"]["new"][0]["fingerprint"] == first.fingerprint
    text = renderer("text")(changed)
    assert text.index("new findings:") < text.index("values changed:")
    assert "budget: 1,100,000 -> 1,200,000 (+100,000)" in text
    html = renderer("html")(changed)
    assert html.index('id="new"') < html.index('id="resolved"') < html.index('id="unchanged"')
    assert_offline(html)
    assert not Page(html).scripts


def test_with_a_baseline_only_unrecorded_findings_fail(run_cli, tmp_path):
    versions(tmp_path, *EDITS)
    written = run_cli("audit", "new.yaml", "--write-baseline", "base.json", cwd=tmp_path)
    assert written.returncode == 1
    out = run_cli("diff", "old.yaml", "new.yaml", "--baseline", "base.json", cwd=tmp_path)
    assert out.returncode == 0, out.stdout  # new since OLD, but all in the baseline
    data = json.loads(
        run_cli(
            "diff",
            "old.yaml",
            "new.yaml",
            "--baseline",
            "base.json",
            "--format",
            "json",
            cwd=tmp_path,
        ).stdout
    )
    jsonschema.validate(data, SCHEMA)
    assert {f["state"] for f in data["findings"]["new"]} == {"baselined"}


def test_exit_codes(run_cli, tmp_path):
    versions(tmp_path, *EDITS)
    same = run_cli("diff", "old.yaml", "old.yaml", cwd=tmp_path)
    assert same.returncode == 0 and "0 new findings" in same.stdout
    assert run_cli("diff", "old.yaml", "new.yaml", cwd=tmp_path).returncode == 1
    assert (
        run_cli("diff", "old.yaml", "new.yaml", "--fail-on", "never", cwd=tmp_path).returncode == 0
    )
    missing = run_cli("diff", "old.yaml", "nope.yaml", "--format", "json", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    jsonschema.validate(json.loads(missing.stdout), SCHEMA)


def test_plan_text_stays_text_in_every_diff_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old, new = versions(
        tmp_path,
        ("name: Europe", f"name: {json.dumps(SCRIPT_PAYLOAD)}"),
        ("    budget: 1100000", "    budget: 1200000"),
        ("id: A45\n", f"id: {json.dumps(IMG_PAYLOAD)}\n"),
    )
    result = diff(old.name, new.name, RunOptions(find_config=False))
    html = renderer("html")(result)
    page = Page(html)
    assert not page.tags("img") and not page.scripts
    assert SCRIPT_PAYLOAD in "".join(page.text)
    markdown = renderer("markdown")(result)
    outside_code = re.sub(r"`[^`\n]*`", "", markdown)  # a code span shows `<` as text
    assert "<script>" not in outside_code and "<img" not in outside_code
    assert "&lt;script&gt;" in outside_code


def test_diff_page_in_headless_chromium(changed, tmp_path):
    from test_html_report import browse, chromium, console_lines

    browser = chromium()
    page = tmp_path / "diff.html"
    page.write_text(renderer("html")(changed), encoding="utf-8")
    run = browse(
        browser, page, tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert not console_lines(run.stderr), console_lines(run.stderr)
    live = Page(run.stdout)
    assert not live.scripts and not live.tags("img")
    rows = [a for a in live.tags("tr") if a.get("class") is not None]
    assert len(rows) == len(changed.new_findings) + len(changed.resolved) + len(changed.unchanged)
