"""Text and Markdown as a reader uses them: whole ids and paths, the fix under each finding,
long plans folded, locations that link to the repository."""

from __future__ import annotations

import re

import yaml
from conftest import SAMPLES

from strataudit import run
from strataudit.reports import renderer
from strataudit.reports.base import RenderOptions
from strataudit.runner import RunOptions

LONG_ID = "PR-" + "X" * 70  # longer than the finding column


def test_text_never_cuts_an_id_or_a_path_and_shows_the_fix(run_cli, tmp_path):
    plan = (SAMPLES / "acme-skeleton.yaml").read_text().replace("PR-ARM5", LONG_ID)
    (tmp_path / "plan.yaml").write_text(plan)
    out = run_cli("audit", "plan.yaml", cwd=tmp_path).stdout
    assert f"-> products[{LONG_ID}].segments" in out  # on one line, whole
    report = run([str(SAMPLES / "acme-defects.yaml")], RunOptions())
    text = renderer("text")(report)
    words = set(re.findall(r"[\w.\[\]-]+", text))
    for f in report.findings:
        assert f.rule in words
        assert f"-> {f.location.path}" in text, f.location.path
    assert text.count("fix: ") == len(report.findings)
    hidden = renderer("text", RenderOptions(fix=False))(report)
    assert "fix: " not in hidden
    assert "fix: " not in run_cli("audit", "--no-fix", str(SAMPLES / "acme-defects.yaml")).stdout


def test_markdown_folds_more_than_20_findings_and_links_locations(run_cli):
    out = run_cli(
        "audit",
        "--format",
        "markdown",
        "--link-base",
        "https://git.example/acme/plans/blob/main/",
        str(SAMPLES / "acme-defects.yaml"),
        str(SAMPLES / "acme-skeleton.yaml"),
    ).stdout
    n = len(yaml.safe_load((SAMPLES / "expected" / "acme-defects.yaml").read_text()))
    defects = out[out.index(f"acme-2027-defects): {n}") : out.index("acme-skeleton.yaml` (")]
    skeleton = out[out.index("acme-skeleton.yaml` (") :]
    assert f"<details><summary>{n} findings</summary>" in defects
    assert "findings</summary>" not in skeleton  # 12 findings: not folded
    assert (
        "[`sample_plans/acme-skeleton.yaml:37:5`]"
        "(<https://git.example/acme/plans/blob/main/sample_plans/acme-skeleton.yaml#L37>)"
    ) in skeleton
    plain = run_cli("audit", "--format", "markdown", str(SAMPLES / "acme-skeleton.yaml")).stdout
    assert "](<" not in plain


def test_link_base_makes_only_web_links(run_cli):
    out = run_cli(
        "audit",
        "--format",
        "markdown",
        "--link-base",
        "javascript:alert(1)//",
        str(SAMPLES / "acme-skeleton.yaml"),
    ).stdout
    assert "javascript:" not in out


def test_with_a_baseline_new_findings_come_first_in_the_readable_formats(run_cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text((SAMPLES / "acme-skeleton.yaml").read_text())
    assert run_cli("audit", "plan.yaml", "--write-baseline", "b.json", cwd=tmp_path).returncode
    text = plan.read_text().replace("PR-ARM5", "PR-ARM6")  # its findings become new ones
    plan.write_text(text)
    markers = {  # (a row of a new finding, a row of a baselined one)
        "text": ("-> products[PR-ARM6]", "(baseline)"),
        "markdown": ("`products[PR-ARM6]", "**baselined**"),
        "html": ('<span class="nobr">[PR-ARM6]</span>', ' baselined">'),
    }
    for fmt, (new, old) in markers.items():
        out = run_cli(
            "audit", "plan.yaml", "--baseline", "b.json", "--format", fmt, cwd=tmp_path
        ).stdout
        if fmt == "html":
            out = out[out.index('<table class="findings">') :]
            out = out[: out.index("</table>")]
        assert new in out and old in out, fmt
        assert out.rindex(new) < out.index(old), fmt
