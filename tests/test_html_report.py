"""`--format html`: a self-contained page; plan strings stay text; it works in a real browser."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import html as html_lib
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SAMPLES

from strataudit.audit import Auditor, Target
from strataudit.findings import Waiver
from strataudit.gate import judge
from strataudit.reports.base import Report
from strataudit.reports.html import SCRIPT, render
from strataudit.rulefile import Severity, load_ruleset

SCRIPT_PAYLOAD = "<script>alert(1)</script>"
IMG_PAYLOAD = '"><img src=x onerror=alert(1)>'


class Page(HTMLParser):
    """Every element with its attributes, the text of each <script>, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(attributes["id"] or "")
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


def audit_html(
    run_cli,
    tmp_path: Path,
    *plans: str,
) -> tuple[subprocess.CompletedProcess[str], str]:
    out = tmp_path / "report.html"
    result = run_cli("audit", "--format", "html", "--output", str(out), *plans)
    assert result.returncode in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result, out.read_text(encoding="utf-8")


def assert_offline(html: str) -> None:
    """No address the browser could fetch: no URL but an XML namespace, nothing to load."""
    for m in re.finditer(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html):
        before = html[max(0, m.start() - 12) : m.start()]
        assert "xmlns" in before, f"network address in the page: {m.group(0)}"
    page = Page(html)
    for tag in ("link", "img", "iframe", "object", "embed", "audio", "video", "source", "base"):
        assert not page.tags(tag), f"<{tag}> in a self-contained page"
    assert not [a for _, a in page.elements if "src" in a], "an element loads something"
    assert "@import" not in html and "url(" not in html
    for attrs, _ in page.scripts:
        assert "src" not in attrs


def assert_only_own_scripts(page: Page) -> None:
    for attrs, text in page.scripts:
        if attrs.get("type") == "application/json":
            json.loads(text)  # data, never executed
        else:
            assert attrs == {} and text == SCRIPT, f"not the report's own script: {text[:80]!r}"
    handlers = [
        (tag, name)
        for tag, attrs in page.elements
        for name in attrs
        if name.lower().startswith("on")
    ]
    assert not handlers, f"event handler attributes: {handlers}"


# --------------------------------------------------------------------------- (a) sample plans


def test_sample_plans_render_every_section_offline(run_cli, tmp_path):
    result, html = audit_html(
        run_cli, tmp_path, str(SAMPLES / "acme-defects.yaml"), str(SAMPLES / "acme-2027.yaml")
    )
    assert result.returncode == 1 and result.stdout == ""
    page = Page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert {"summary", "index", "plan-1", "plan-2"} <= page.ids
    for plan in ("p1", "p2"):
        for part in ("findings", "matrix", "cascade", "swot", "budget"):
            assert f"{plan}-{part}" in page.ids, f"{plan}-{part} missing"
    assert len([a for a in page.tags("svg") if "cascade" in (a.get("class") or "")]) == 2
    assert len([a for a in page.tags("svg") if "bars" in (a.get("class") or "")]) >= 2
    # Index: one row per plan, linking to its section, with its verdict.
    index_links = [a["href"] for a in page.tags("a") if a.get("href") in ("#plan-1", "#plan-2")]
    assert {"#plan-1", "#plan-2"} <= set(index_links)
    text = " ".join(page.text)
    assert "acme-2027-defects" in text and "FAIL" in text and "PASS" in text
    assert_offline(html)
    assert_only_own_scripts(page)
    # Findings: as many rows as the JSON report has, each located and with its remediation.
    report = json.loads(
        run_cli("audit", "--format", "json", str(SAMPLES / "acme-defects.yaml")).stdout
    )
    rows = [a for a in page.tags("tr") if re.fullmatch(r"p1-f\d+", a.get("id") or "")]
    assert len(rows) == len(report["findings"])
    data = next(json.loads(t) for a, t in page.scripts if a.get("id") == "p1-rows")
    assert {r["id"] for r in data} == {a["id"] for a in rows}
    shown = "".join(page.text)
    for f in report["findings"]:
        loc = f["location"]
        assert f"{loc['file']}:{loc['line']}:{loc['column']}{loc['path']}" in shown
        assert f["remediation"].split("`")[0] in shown
    # Filters offer exactly what the findings hold.
    selects = {a["name"] for a in page.tags("select")}
    assert {"severity", "category", "rule"} <= selects
    options = {a["value"] for a in page.tags("option")}
    assert {"error", "warning", "info", "segmentation", "SEG002", "GOL001"} <= options


def test_plans_audited_in_worker_processes_render_too(run_cli, tmp_path):
    """With --jobs 2 the plans come back from the workers without their parsed documents: the
    page still renders every plan, and context content is still marked (from the facts)."""
    plans = [str(SAMPLES / "acme-defects.yaml"), str(SAMPLES / "unit-eu" / "eu-plan.yaml")]
    _, serial = audit_html(run_cli, tmp_path, *plans)
    (tmp_path / "serial.html").write_text(serial)
    out = tmp_path / "report.html"
    result = run_cli("audit", "--format", "html", "--jobs", "2", "--output", str(out), *plans)
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    page = Page(out.read_text(encoding="utf-8"))
    assert {"plan-1", "plan-2", "p1-spend", "p2-spend"} <= page.ids
    assert "context" in out.read_text(encoding="utf-8")


def test_pictures_link_to_their_findings(run_cli, tmp_path):
    _, html = audit_html(run_cli, tmp_path, str(SAMPLES / "acme-defects.yaml"))
    page = Page(html)
    rows = {}
    for m in re.finditer(
        r'<tr id="(p1-f\d+)"[^>]*>\s*<td>.*?<span class="rule-id">(\w+)</span>', html, re.S
    ):
        rows[m.group(1)] = m.group(2)
    links = [
        a["href"][1:] for a in page.tags("a") if re.fullmatch(r"#p1-f\d+", a.get("href") or "")
    ]
    linked_rules = {rows[anchor] for anchor in links}
    # matrix (SEG002 row, SEG003 column), cascade (GOL001, GOL008), SWOT, budget (CON004)
    assert {"SEG002", "SEG003", "GOL001", "GOL008", "SWT002", "CON004"} <= linked_rules
    matrix = html[html.index('id="p1-matrix"') : html.index('id="p1-cascade"')]
    assert "PR-LABKIT" in matrix and 'class="nomatch"' in matrix
    assert "SEG-PHARMA" in matrix and "t empty" in matrix
    cascade = html[html.index('id="p1-cascade"') : html.index('id="p1-swot"')]
    assert "node unit unaligned" in cascade and "node unit undelivered" in cascade
    swot = html[html.index('id="p1-swot"') : html.index('id="p1-budget"')]
    assert "accepted risk" in swot and "Hedged by treasury" in swot
    budget = html[html.index('id="p1-budget"') :]
    assert "795,000 of 700,000: over by 95,000" in budget
    assert "2,960,000 of 2,800,000: over by 160,000" in budget


def test_unloadable_plan_is_listed_with_its_message(run_cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("strataudit: 1\nplan: {id: x}\nsegmnets: []\n")
    result, html = audit_html(run_cli, tmp_path, str(bad), str(SAMPLES / "acme-2027.yaml"))
    assert result.returncode == 2
    page = Page(html)
    assert "errors" in page.ids and "ERROR" in " ".join(page.text)
    errors = html[html.index('id="errors"') :]
    assert "bad.yaml:3:1" in errors and "segmnets" in errors
    assert "#error-1" in {a.get("href") for a in page.tags("a")}


def test_waived_and_baselined_findings_are_shown_as_such():
    ruleset = load_ruleset()
    result = Auditor(ruleset).audit(Target(SAMPLES / "acme-defects.yaml", "acme-defects.yaml"))
    findings = list(result.findings)
    waiver = Waiver(
        rule=findings[0].rule,
        reason="agreed with the board",
        owner="cfo@acme",
        expires=datetime.date(2099, 1, 31),
        entity=findings[0].entity,
        source="strataudit.yaml:7",
    )
    findings[0] = dataclasses.replace(findings[0], waiver=waiver)
    findings[1] = dataclasses.replace(findings[1], baselined=True)
    result = dataclasses.replace(result, findings=tuple(findings))
    report = Report(
        (result,),
        (),
        (),
        judge([result], Severity.ERROR),
        ruleset,
        Severity.ERROR,
        unused_waivers=(waiver,),
    )
    html = render(report)
    page = Page(html)
    text = " ".join(page.text)
    assert "agreed with the board" in text and "2099-01-31" in text and "baselined" in text
    assert {"open", "waived", "baselined"} <= {a["value"] for a in page.tags("option")}
    waived_rows = [a for a in page.tags("tr") if "waived" in (a.get("class") or "")]
    assert len(waived_rows) == 1
    assert "housekeeping" in page.ids  # the unused waiver


# --------------------------------------------------------------------------- (b) hostile plan


HOSTILE_HQ = f"""\
strataudit: 1
corporate:
  budget: 5
  goals:
    - id: CG1
      statement: {json.dumps(SCRIPT_PAYLOAD)}
assessment:
  weaknesses:
    - {{id: W1, text: {json.dumps(SCRIPT_PAYLOAD)}}}
    - {{id: W2, text: {json.dumps(IMG_PAYLOAD)}}}
  threats:
    - {{id: T1, text: {json.dumps(IMG_PAYLOAD)}, accepted_risk: {json.dumps(SCRIPT_PAYLOAD)}}}
"""

HOSTILE = f"""\
strataudit: 1
plan:
  id: hostile
  title: {json.dumps(SCRIPT_PAYLOAD + " plan")}
  company: {json.dumps(IMG_PAYLOAD)}
  currency: {json.dumps(IMG_PAYLOAD)}
include: [hq.yaml]
units:
  - id: BU-1
    name: {json.dumps(SCRIPT_PAYLOAD)}
    budget: 10
    goals:
      - id: G-1
        statement: {json.dumps(IMG_PAYLOAD)}
        supports: [CG1]
      - id: {json.dumps("G-" + SCRIPT_PAYLOAD)}
        statement: {json.dumps(SCRIPT_PAYLOAD)}
        supports: [{json.dumps(IMG_PAYLOAD)}]
segments:
  - {{id: SEG-1, name: {json.dumps(SCRIPT_PAYLOAD)}, target: true}}
  - {{id: {json.dumps("SEG-" + IMG_PAYLOAD)}, name: {json.dumps(IMG_PAYLOAD)}, target: true}}
products:
  - id: PR-1
    name: {json.dumps(SCRIPT_PAYLOAD)}
    unit: BU-1
    segments: [SEG-1, {json.dumps(SCRIPT_PAYLOAD)}]
    supports: [G-1]
  - id: {json.dumps("PR-" + IMG_PAYLOAD)}
    name: {json.dumps(IMG_PAYLOAD)}
actions:
  - id: A1
    title: {json.dumps(SCRIPT_PAYLOAD)}
    unit: BU-1
    budget: 100
    supports: [G-1]
    addresses: [W1]
  - id: A2
    title: {json.dumps(IMG_PAYLOAD)}
    supports: [{json.dumps(IMG_PAYLOAD)}]
    addresses: [{json.dumps(SCRIPT_PAYLOAD)}]
"""


def write_hostile(tmp_path: Path) -> Path:
    (tmp_path / "hq.yaml").write_text(HOSTILE_HQ, encoding="utf-8")
    plan = tmp_path / "hostile.yaml"
    plan.write_text(HOSTILE, encoding="utf-8")
    return plan


def test_hostile_plan_strings_render_as_text(run_cli, tmp_path):
    plan = write_hostile(tmp_path)
    result, html = audit_html(run_cli, tmp_path, str(plan))
    assert result.returncode == 1, result.stderr  # audited (findings), not an input error
    page = Page(html)
    assert_only_own_scripts(page)
    assert len([a for a, _ in page.scripts if a.get("type") != "application/json"]) == 1
    assert not page.tags("img"), "an injected <img> became an element"
    assert not [a for _, a in page.elements if "onerror" in a]
    assert_offline(html)
    # The payloads are there, as text: in headings, the matrix, the SVG labels, messages.
    text = "".join(page.text)
    assert text.count(SCRIPT_PAYLOAD) >= 8 and text.count(IMG_PAYLOAD) >= 6
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for part in ("matrix", "cascade", "swot", "budget"):
        section = html[html.index(f'id="p1-{part}"') :]
        assert "&lt;script&gt;" in section[:200_000] or "&#34;&gt;&lt;img" in section[:200_000]
    # Findings from the included file name that file.
    assert re.search(r"hq\.yaml:\d+:\d+", text)


# --------------------------------------------------------------------------- (c) browser

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    """The browser, or skip; in CI (env CI set) a missing browser is a failure, not a skip."""
    found = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI: apt-get install -y chromium")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def browse(
    browser: str,
    page: Path,
    profile: Path,
    *flags: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )


def console_lines(stderr: str) -> list[str]:
    """What the page wrote to its console (log, errors, uncaught exceptions, CSP refusals)."""
    return [
        line
        for line in stderr.splitlines()
        if ":CONSOLE" in line or "Uncaught" in line or "Content Security Policy" in line
    ]


def test_console_check_sees_page_errors(tmp_path):
    """The check below is not vacuous: a page that errs is caught by it."""
    browser = chromium()
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>console.error('canary'); nope();</script>")
    run = browse(
        browser, bad, tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom"
    )
    lines = console_lines(run.stderr)
    assert any("canary" in line for line in lines), run.stderr[-2000:]
    assert any("Uncaught" in line for line in lines)


@pytest.mark.parametrize("plan", ["acme-defects.yaml", "hostile"])
def test_report_in_headless_chromium(run_cli, tmp_path, plan):
    browser = chromium()
    source = write_hostile(tmp_path) if plan == "hostile" else SAMPLES / plan
    _, html = audit_html(run_cli, tmp_path, str(source))
    report = tmp_path / "report.html"
    run = browse(
        browser, report, tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert not console_lines(run.stderr), console_lines(run.stderr)
    assert 'data-js="ready"' in dom, "the report's script did not run"
    assert '<table class="findings">' in dom and 'class="cascade"' in dom
    rows = len(re.findall(r'<tr id="p1-f\d+"', html))
    assert f"{rows} of {rows} shown" in dom  # the filter script counted the rows
    live = Page(dom)  # the DOM the browser built: no element, handler or script was injected
    assert not live.tags("img")
    assert_only_own_scripts(live)
    if plan == "hostile":
        return
    shot = tmp_path / "shot.png"
    run = browse(
        browser,
        report,
        tmp_path / "profile",
        "--screenshot=" + str(shot),
        "--window-size=1400,2400",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 2400)
    assert len(data) > 60_000, "the screenshot is (nearly) blank"


def test_each_finding_shows_the_plan_text_around_it_escaped(run_cli, tmp_path):
    plan = write_hostile(tmp_path)
    _, html = audit_html(run_cli, tmp_path, str(plan))
    page = Page(html)
    excerpts = [a for a in page.tags("details") if "excerpt" in (a.get("class") or "")]
    rows = [a for a in page.tags("tr") if re.fullmatch(r"p1-f\d+", a.get("id") or "")]
    assert len(excerpts) == len(rows)  # every finding, including those in the included file
    assert not page.tags("img") and "onerror" not in {n for _, a in page.elements for n in a}
    # the finding's own line is marked, numbered as in its file, and shown as text
    files = {"hostile.yaml": HOSTILE.splitlines(), "hq.yaml": HOSTILE_HQ.splitlines()}
    shown = re.findall(
        r'<td class="where"><code>.*?([\w.]+\.yaml)</span>:(\d+):\d+</code>.*?'
        r'<span class="ln here"><span class="no">(\d+)</span>(.*?)</span>',
        html,
        re.S,
    )
    assert len(shown) == len(rows) and {f for f, *_ in shown} == set(files)
    for file, line, number, text in shown:
        assert line == number
        assert html_lib.unescape(text) == files[file][int(line) - 1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html[html.index('class="excerpt"') :]
    assert_offline(html)


# --------------------------------------------------------------------------- (d) layout

MEASURE = (Path(__file__).parent / "measure_layout.js").read_text(encoding="utf-8")


def measured(browser: str, html: str, folder: Path, width: int) -> dict[str, object]:
    """The layout problems `measure_layout.js` records in `html` at `width` px, plus a
    screenshot of the page at that width (`folder/shot-WIDTH.png`)."""
    digest = base64.b64encode(hashlib.sha256(MEASURE.encode()).digest()).decode()
    page = html.replace("script-src &#39;", f"script-src &#39;sha256-{digest}&#39; &#39;", 1)
    page = page.replace("</body>", f"<script>{MEASURE}</script>\n</body>", 1)
    copy = folder / f"measure-{width}.html"
    copy.write_text(page, encoding="utf-8")
    run = browse(browser, copy, folder / "profile", f"--window-size={width},1000", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'.*<pre id="measured">(.*?)</pre>', run.stdout, re.S)  # the last one
    assert found, "the measuring script did not run"
    shot = folder / f"shot-{width}.png"
    browse(browser, copy, folder / "profile", f"--screenshot={shot}", f"--window-size={width},2400")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == width
    result: dict[str, object] = json.loads(html_lib.unescape(found.group(1)))
    return result


def test_layout_check_sees_overlaps_and_broken_words(tmp_path):
    """The check below is not vacuous: squeezed cells are caught by it."""
    browser = chromium()
    page = (
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content='script-src &#39;none&#39;'></head><body><table class='findings' "
        "style='table-layout:fixed;width:60px'><tr id='r'><td style='width:20px'>"
        "<span style='padding:0 30px'>warning</span></td>"
        "<td style='width:40px;overflow-wrap:anywhere'>structure</td></tr></table></body></html>"
    )
    found = measured(browser, page, tmp_path, 800)
    assert found["rows"] == 1 and found["outside"] and found["broken"]


@pytest.mark.parametrize("width", [800, 1400])
def test_findings_table_holds_at_width(run_cli, tmp_path, width):
    browser = chromium()
    _, html = audit_html(
        run_cli,
        tmp_path,
        str(SAMPLES / "acme-defects.yaml"),
        str(SAMPLES / "acme-skeleton.yaml"),
    )
    found = measured(browser, html, tmp_path, width)
    rows = len(re.findall(r'<tr id="p\d+-f\d+"', html))
    assert found["rows"] == rows + 2  # and the two header rows
    assert found["overlaps"] == [], found["overlaps"][:5]
    assert found["outside"] == [], found["outside"][:5]
    assert found["broken"] == [], found["broken"][:5]
    # the goal cascade is never cut off: wider than the page, it scrolls in a window-high frame
    frames = found["frames"]
    assert frames  # the defects plan has a cascade (the skeleton has no goals)
    for frame in frames:
        assert not frame["wide"] or (frame["fits"] and frame["scrolls"] == "auto"), frame
    if width == 800:
        assert any(frame["wide"] for frame in frames)  # the check above is exercised


def test_print_view_ends_each_plan_with_a_sign_off_block(run_cli, tmp_path):
    _, html = audit_html(
        run_cli, tmp_path, str(SAMPLES / "acme-defects.yaml"), str(SAMPLES / "acme-2027.yaml")
    )
    sections = html.split('<section class="plan"')[1:]
    assert len(sections) == 2
    for section in sections:
        last = section[section.rindex("<section ") :]  # the plan's last block
        assert last.startswith('<section class="signoff"')
        assert all(word in last for word in ("Reviewer", "Date", "Decision", "Verdict"))
    screen, printed = html.split("@media print {", 1)
    assert ".signoff { display: none; }" in screen  # on paper only
    assert ".signoff { display: block;" in printed.split("</style>")[0]


def test_spend_view_spreads_the_budgets_the_plan_gives(tmp_path):
    from strataudit import run
    from strataudit.runner import RunOptions

    report = run([str(SAMPLES / "unit-eu" / "eu-plan.yaml")], RunOptions(formats=("html",)))
    (result,) = report.results
    assert result.plan is not None
    plan = result.plan.plan
    html = render(report)
    section = html[html.index('id="p1-spend"') : html.index('class="signoff"')]
    actions = plan.actions or []
    for kind in {a.kind for a in actions if a.kind}:
        total = sum(a.budget or 0 for a in actions if a.kind == kind)
        row = re.search(
            rf"<td>{kind.replace('_', ' ')}</td><td class=\"num\">(\d+)</td>"
            rf"<td class=\"num\">([\d,]+)</td>",
            section,
        )
        assert row, kind
        assert int(row.group(2).replace(",", "")) == total
    assert "2027 Q1" in section
    for seg in plan.segments or []:
        assert seg.id in section
    # segments written only in HQ's file, which the unit includes as context, say so
    assert "context · sample_plans/unit-eu/corporate.yaml" in section
    marked = html
    assert 'tr class="context"' in section
    # the matrix and the SWOT tag context content as such, too
    matrix = marked[marked.index('id="p1-matrix"') : marked.index('id="p1-cascade"')]
    assert 'title="written in sample_plans/unit-eu/corporate.yaml, a context file' in matrix
    swot = marked[marked.index('id="p1-swot"') : marked.index('id="p1-budget"')]
    assert '<span class="tag">context</span>' in swot
