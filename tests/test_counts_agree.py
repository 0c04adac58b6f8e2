"""Every format says the same numbers: findings counted, waived, baselined, and counted again
because their waiver expired (one state per finding, results.py), for a run that has them all.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from conftest import SAMPLES, invoke

CONFIG = """\
waivers:
  - {rule: SEG002, entity: PR-LABKIT, reason: "Sunset in Q2", owner: cmo, expires: 2027-06-30}
  - {rule: SWT002, entity: W5, reason: "Hiring in Q1", owner: ops, expires: 2026-01-31}
"""
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")
COUNTED_ONLY = ("github", "codeclimate")  # list the counted findings only: accepted ones are not


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    """One run with a live waiver (its finding also in the baseline), an expired waiver (its
    finding in the baseline too), baselined findings and open ones, in every format."""
    folder = tmp_path_factory.mktemp("agree")
    (folder / "plan.yaml").write_text((SAMPLES / "acme-defects.yaml").read_text())
    (folder / "strataudit.yaml").write_text(CONFIG)
    select = ("--select", "SEG002,SWT002,GOL001,CON001")
    wrote = invoke("audit", *select, "--write-baseline", "base.json", "plan.yaml", cwd=folder)
    assert "findings recorded" in wrote.stderr
    base = json.loads((folder / "base.json").read_text())
    base["findings"] = [e for e in base["findings"] if e["rule"] != "CON001"]  # left open
    (folder / "base.json").write_text(json.dumps(base))
    reports = [f"--report={fmt}=out.{fmt}" for fmt in (*FORMATS, *COUNTED_ONLY) if fmt != "text"]
    result = invoke(
        "audit",
        *select,
        "--as-of",
        "2026-03-01",
        "--baseline",
        "base.json",
        *reports,
        "plan.yaml",
        cwd=folder,
    )
    assert result.returncode == 1, result.stderr
    out = {
        fmt: (folder / f"out.{fmt}").read_text()
        for fmt in (*FORMATS, *COUNTED_ONLY)
        if fmt != "text"
    }
    out["text"] = result.stdout
    return out


def _json(text: str) -> Counter[str]:
    s = json.loads(text)["summary"]
    return Counter({k: s[k] for k in ("counted", "waived", "baselined", "expired")})


def _states(states: list[str]) -> Counter[str]:
    tally = Counter(states)
    return Counter(
        counted=tally["open"] + tally["expired"],
        waived=tally["waived"],
        baselined=tally["baselined"],
        expired=tally["expired"],
    )


def _sarif(text: str) -> Counter[str]:
    results = json.loads(text)["runs"][0]["results"]
    assert all(("suppressions" in r) == (r["properties"]["state"] == "waived") for r in results)
    assert (
        sum(r["properties"]["counted"] for r in results)
        == _states([r["properties"]["state"] for r in results])["counted"]
    )
    return _states([r["properties"]["state"] for r in results])


def _junit(text: str) -> Counter[str]:
    """Failed cases count; waived and baselined findings are skipped cases saying which."""
    root = ET.fromstring(text)
    failures = root.findall(".//failure")
    skipped = [s.get("message", "") for s in root.findall(".//testcase/skipped")]
    return Counter(
        counted=int(root.get("failures", "0")) if failures else 0,
        waived=sum(m.startswith("waived") for m in skipped),
        baselined=sum(m.startswith("baselined") for m in skipped),
        expired=sum("waiver expired:" in (f.text or "") for f in failures),
    )


def _markdown(text: str) -> Counter[str]:
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| plans |"))
    names = [c.strip() for c in lines[head].strip("|").split("|")]
    values = [c.strip() for c in lines[head + 2].strip("|").split("|")]
    row = dict(zip(names, values, strict=True))
    return Counter(
        counted=int(row["counted"]),
        waived=int(row["waived"]),
        baselined=int(row["baselined"]),
        expired=int(row["waiver expired"]),
    )


def _html(text: str) -> Counter[str]:
    blocks = re.findall(r'<script type="application/json" id="[^"]*rows[^"]*">(.*?)</script>', text)
    assert blocks, "no findings data in the page"
    rows = [row for block in blocks for row in json.loads(block)]
    return _states([row["status"] for row in rows])


def _text(text: str) -> Counter[str]:
    m = re.search(
        r"(\d+) counted \((\d+) with an expired waiver\), (\d+) waived, (\d+) baselined", text
    )
    assert m, text[-600:]
    counted, expired, waived, baselined = map(int, m.groups())
    return Counter(counted=counted, waived=waived, baselined=baselined, expired=expired)


READERS = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "junit": _junit,
    "markdown": _markdown,
    "html": _html,
}


def test_every_format_gives_the_same_counts(outputs):
    counts = {fmt: READERS[fmt](outputs[fmt]) for fmt in FORMATS}
    reference = counts["json"]
    assert reference["waived"] >= 1 and reference["expired"] >= 1
    assert reference["baselined"] >= 1 and reference["counted"] > reference["expired"]
    for fmt in FORMATS:
        assert counts[fmt] == reference, fmt


def test_the_ci_formats_list_exactly_the_counted_findings(outputs):
    counted = _json(outputs["json"])["counted"]
    annotations = [line for line in outputs["github"].splitlines() if line.startswith("::")]
    assert len(annotations) == counted > 0
    assert len(json.loads(outputs["codeclimate"])) == counted


def test_the_cli_offers_every_registered_format():
    from strataudit import cli, reports

    assert set(cli.FORMATS) == set(reports.FORMATS)


def test_one_state_per_finding_and_the_gate_says_the_same(outputs):
    report = json.loads(outputs["json"])
    summary = report["summary"]
    assert summary["counted"] + summary["waived"] + summary["baselined"] == summary["findings"]
    both = [f for f in report["findings"] if f["waived"] and f["baselined"]]
    assert both and all(f["state"] == "waived" for f in both)  # waived wins over the baseline
    expired = [f for f in report["findings"] if f["state"] == "expired"]
    assert expired and all(f["baselined"] is False for f in expired)  # the baseline hides none


def test_a_pass_reason_counts_like_the_summary(tmp_path):
    (tmp_path / "plan.yaml").write_text((SAMPLES / "acme-defects.yaml").read_text())
    (tmp_path / "strataudit.yaml").write_text(CONFIG)
    invoke("audit", "--select", "SEG002", "--write-baseline", "b.json", "plan.yaml", cwd=tmp_path)
    args = ("--select", "SEG002", "--as-of", "2026-03-01", "--baseline", "b.json")
    result = invoke("audit", "--format", "json", *args, "plan.yaml", cwd=tmp_path)
    report = json.loads(result.stdout)
    s = report["summary"]
    assert result.returncode == 0 and s["waived"] == 1 and s["baselined"] == s["findings"] - 1
    assert f"{s['waived']} waived, {s['baselined']} baselined" in report["reasons"][-1]
