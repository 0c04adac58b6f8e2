"""`--format markdown`: a pull-request comment (GitHub-flavoured Markdown).

The verdict and its reasons first, a summary table, then for each plan its checklist (what was
checked and passed, by category) and its findings in a table (where, rule, what, how to fix it),
waived and baselined findings marked as such, folded in `<details>` past FOLD_OVER findings;
then input errors, expired and unused waivers and resolved baseline entries. With
`--link-base URL` each location links to `URL/FILE#LLINE` (a repository's blob URL).

Everything that comes from a plan, a rule pack or a config is untrusted text: `cell()` escapes
it so that it can neither break a table row (pipes, newlines), nor open code spans, emphasis or
links, nor inject HTML, nor mention people (`@name`).
"""

from __future__ import annotations

import re
import urllib.parse

from strataudit.reports.base import RenderOptions
from strataudit.results import (
    Check,
    Checklist,
    Finding,
    InputProblem,
    PlanResult,
    Report,
    Severity,
    State,
    StateCounts,
    Waiver,
    effects_of,
)

ICONS = {"pass": "✅", "fail": "❌", "error": "❌"}
SEVERITY_ICONS = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}
MAX_CHARS = 60_000  # GitHub refuses comments over 65,536 characters
FOLD_OVER = 20  # a plan with more findings than this has its table folded in <details>
CHECK_HEADS = {  # the checklist's columns, in order
    Check.PASSED: "passed",
    Check.FAILED: "failed",
    Check.WAIVED: "waived or baselined",
    Check.NOT_APPLICABLE: "not applicable",
}

_PUNCT = re.compile(r"([\\`*_\[\]|~])")
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
_MENTION = re.compile(r"@(?=\w)")


def cell(text: object, strip: bool = True) -> str:
    """Untrusted text, safe in a table cell (or anywhere inline)."""
    s = str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _PUNCT.sub(r"\\\1", s)
    s = _MENTION.sub("@\u200b", s)  # a zero-width space: no notification
    s = "".join(c for c in s if c in "\t\n\r" or (ord(c) >= 32 and ord(c) != 127))
    s = s.replace("\t", " ")
    if not strip:
        return "<br>".join(_NEWLINES.split(s))
    return "<br>".join(line.strip() for line in _NEWLINES.split(s.strip())) or " "


def code(text: str) -> str:
    """Inline code when the text allows it (no backtick, no newline), else escaped text."""
    if not text or "`" in text or _NEWLINES.search(text) or "\\" in text:
        return cell(text)
    s = "".join(c for c in text if ord(c) >= 32 and ord(c) != 127)
    # `|` must stay escaped inside code spans in tables; `<`, `&` are literal in code spans
    return "`" + s.replace("|", "\\|").replace("@", "@\u200b") + "`"


_CODE_SPAN = re.compile(r"(`[^`\r\n]+`)")


def prose(text: str) -> str:
    """Rule-authored text (a fix, a reason): its `code spans` kept, the rest escaped."""
    parts = _CODE_SPAN.split(text)
    text = "".join(code(p[1:-1]) if i % 2 else cell(p, strip=False) for i, p in enumerate(parts))
    return text.strip() or " "


def link(base: str | None, file: str, line: int) -> str | None:
    """`base/file#Lline`, the file's path quoted; None without a base or for standard input.

    Only http(s) bases make links: the URL is the user's, but a `javascript:` link in a
    comment is never what they meant."""
    if not base or file.startswith("<") or not re.match(r"(?i)https?://", base):
        return None
    path = urllib.parse.quote(file.replace("\\", "/").lstrip("./"), safe="/")
    return f"{base.rstrip('/')}/{path}#L{line}"


def where(f: Finding, base: str | None = None) -> str:
    """`file:line:col` (a link with `--link-base`) and the plan path of a finding, as code."""
    loc = f.location
    text = code(f"{loc.file}:{loc.line}:{loc.column}")
    url = link(base, loc.file, loc.line)
    if url is not None:
        text = f"[{text}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
    return f"{text}<br>{code(loc.path)}"


def waiver_text(w: Waiver) -> str:
    """Until when, whose, and why: a waiver in one line."""
    return f"until {w.expires.isoformat()}, owner {cell(w.owner)}: {cell(w.reason)}"


def status(f: Finding) -> str:
    """What the finding's state adds under its message (nothing when it is open)."""
    if f.state is State.WAIVED and f.waiver is not None:
        also = " (also in the baseline)" if f.baselined else ""
        return f"<br>**waived** {waiver_text(f.waiver)}{also}"
    if f.state is State.EXPIRED and f.expired_waiver is not None:
        return f"<br>**waiver expired** {waiver_text(f.expired_waiver)}: it counts again"
    if f.state is State.BASELINED:
        return "<br>**baselined** (in the baseline, not counted)"
    return ""


def cause(f: Finding, effects: dict[str, list[Finding]] | None = None) -> str:
    """Under a message: the dangling reference the finding follows from (fix that first), or
    the findings it causes."""
    if f.caused_by:
        return f"<br>caused by {cell(f.caused_by.describe())}"
    caused = (effects or {}).get(f.fingerprint)
    return f"<br>causes {cell(', '.join(e.describe() for e in caused))}" if caused else ""


def severity(f: Finding) -> str:
    """The severity with its icon; struck through when the gate does not count it."""
    label = f"{SEVERITY_ICONS[f.severity]} {f.severity.label}"
    return label if f.counts else f"~~{label}~~"


def finding_row(
    f: Finding, effects: dict[str, list[Finding]] | None = None, base: str | None = None
) -> str:
    """One table row: severity, rule, where (a link under `base`), message and state (and
    cause), fix."""
    return (
        f"| {severity(f)} | {code(f.rule)} | {where(f, base)} | {cell(f.message)}{status(f)}"
        f"{cause(f, effects)} | "
        f"{prose(f.remediation)} |"
    )


def checklist_table(checklist: Checklist) -> list[str]:
    """What was checked and what passed: one row per category, counts per column, the rule ids
    of the columns that need a look (failed, waived) named."""
    heads = ["category", "rules", *CHECK_HEADS.values()]
    rows = []
    for row in checklist.rows:
        cells = [code(row.category), str(row.ran)]
        for check in CHECK_HEADS:
            n = row.count(check)
            named = check in (Check.FAILED, Check.WAIVED) and n
            cells.append(f"{n}: " + ", ".join(map(code, row.rules[check])) if named else str(n))
        rows.append("| " + " | ".join(cells) + " |")
    total = ["**all**", str(checklist.ran), *(str(checklist.total(c)) for c in CHECK_HEADS)]
    return [
        "| " + " | ".join(heads) + " |",
        "|---|" + "---:|" * (len(heads) - 1),
        *rows,
        "| " + " | ".join(total) + " |",
    ]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(report: Report) -> list[str]:
    """The summary table: plans, findings by severity and by state, input errors."""
    severities = report.by_severity()
    counts = report.counts()
    heads = [
        "plans",
        "findings",
        *severities,
        "counted",
        "waived",
        "baselined",
        "waiver expired",
        "input errors",
    ]
    values = [
        len(report.results),
        counts.findings,
        *severities.values(),
        counts.counted,
        counts.waived,
        counts.baselined,
        counts.expired,
        len(report.errors),
    ]
    return [
        "| " + " | ".join(heads) + " |",
        "|" + "---:|" * len(heads),
        "| " + " | ".join(map(str, values)) + " |",
    ]


def plan_section(
    result: PlanResult,
    plan_verdict: str | None,
    checklist: Checklist | None = None,
    base: str | None = None,
    new_first: bool = False,
) -> list[str]:
    """One plan's heading, checklist and findings table (or why it could not be audited)."""
    title = f"{code(result.file)}" + (f" ({cell(result.plan_id)})" if result.plan_id else "")
    icon = ICONS.get(plan_verdict or "", "")
    if result.error is not None:
        return [
            f"### {icon} {title}: could not be audited",
            "",
            *(
                f"{problem_where(p)}: {prose(p.message)}"
                + (f"<br>hint: {prose(p.hint)}" if p.hint else "")
                + "<br>"
                for p in result.problems
            ),
            "",
        ]
    findings = sorted(  # with a baseline, the findings it does not record first
        result.findings, key=lambda f: (new_first and f.baselined, *f.sort_key())
    )
    counted = StateCounts.of(findings).counted
    head = f"### {icon} {title}: {_plural(len(findings), 'finding')}" + (
        f", {counted} counted" if counted != len(findings) else ""
    )
    checks: list[str] = []
    if checklist is not None:
        checks = [
            f"<details><summary>Checklist: {cell(checklist.summary())}</summary>",
            "",
            *checklist_table(checklist),
            "",
            "</details>",
            "",
        ]
    if not findings:
        return [head, "", *checks, "No findings.", ""]
    effects = effects_of(findings)
    table = [
        "| severity | rule | where | finding | fix |",
        "|---|---|---|---|---|",
        *(finding_row(f, effects, base) for f in findings),
        "",
    ]
    if len(findings) > FOLD_OVER:
        summary_line = f"<summary>{_plural(len(findings), 'finding')}</summary>"
        table = ["<details>" + summary_line, "", *table, "</details>", ""]
    return [head, "", *checks, *table]


def problem_where(p: InputProblem) -> str:
    """`file:line:col` (and path) of an input problem, as code."""
    text = p.file if p.line is None else f"{p.file}:{p.line}:{p.column or 1}"
    return code(text) + (f" ({code(p.path)})" if p.path else "")


def waiver_line(w: Waiver) -> str:
    """A waiver as a list item (expired and unused waivers)."""
    target = w.entity or w.path or "(plan-wide)"
    files = f" in {code(w.files)}" if w.files else ""
    at = f" ({code(w.source)})" if w.source else ""
    return f"- {code(w.rule)} on {cell(target)}{files}, {waiver_text(w)}{at}"


def resolved_line(entry: dict[str, str]) -> str:
    """A resolved baseline entry as a list item."""
    rule = entry.get("rule") or "?"
    target = entry.get("entity") or entry.get("path") or "(plan-wide)"
    plan = entry.get("plan") or entry.get("plan_id") or entry.get("file")
    text = f"- {code(str(rule))} on {cell(target)}"
    if plan:
        text += f" in {cell(plan)}"
    if entry.get("fingerprint"):
        text += f" ({code(str(entry['fingerprint']))})"
    return text


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as a pull-request comment, cut to fit GitHub's limit."""
    options = options or RenderOptions()
    verdict = report.verdict
    fail_on = report.fail_on_label
    out = [
        f"## {ICONS.get(verdict.verdict, '')} strataudit: **{verdict.verdict.upper()}**",
        "",
        f"Gate: fail on `{fail_on}` and above; rules version {cell(report.rules_version)}, "
        f"strataudit {cell(report.tool_version)}, as of {report.as_of.isoformat()}.",
    ]
    if verdict.reasons:
        out += ["", *(f"- {prose(r)}" for r in verdict.reasons)]
    out += ["", *summary(report), ""]
    body: list[str] = []
    for result in report.results:
        checklist = report.checklist(result) if result.error is None else None
        body += plan_section(
            result,
            report.verdict_of(result).verdict,
            checklist,
            options.link_base,
            report.new_first(result.findings),
        )
    other = report.other_errors
    if other:
        body += [
            "### Input errors",
            "",
            "| where | problem | hint |",
            "|---|---|---|",
            *(f"| {problem_where(e)} | {prose(e.message)} | {prose(e.hint)} |" for e in other),
            "",
        ]
    if report.expired_waivers:
        body += [
            "### ⏰ Expired waivers (they no longer waive: their findings count again)",
            "",
            *map(waiver_line, report.expired_waivers),
            "",
        ]
    if report.unused_waivers:
        body += [
            "### 🧹 Unused waivers (they match no finding: remove them)",
            "",
            *map(waiver_line, report.unused_waivers),
            "",
        ]
    if report.resolved:
        body += [
            "### 🎉 Resolved since the baseline"
            + (f" {code(report.baseline_file)}" if report.baseline_file else ""),
            "",
            *map(resolved_line, report.resolved),
            "",
        ]
    if report.skipped:
        body += ["Skipped (not plans): " + ", ".join(code(s) for s in report.skipped), ""]
    return _fit("\n".join(out), body)


def _fit(head: str, body: list[str]) -> str:
    """Keep the comment under GitHub's size limit, cutting whole lines from the end."""
    text = head + "\n" + "\n".join(body)
    if len(text) <= MAX_CHARS:
        return text.rstrip("\n") + "\n"
    note = (
        "\n\n*The report was cut to fit a comment; see the full report "
        "(`--format json` or `--format sarif`).*\n"
    )
    kept: list[str] = []
    size = len(head) + len(note) + 1
    for line in body:
        if size + len(line) + 1 > MAX_CHARS:
            break
        kept.append(line)
        size += len(line) + 1
    return (head + "\n" + "\n".join(kept)).rstrip("\n") + note
