"""`--format text`: a table per file and a summary line, readable in a 100-column terminal.

Each finding's cell holds its message, its plan path and (unless `--no-fix`) its fix. Text is
wrapped at spaces only: an id, a file name or a plan path is never cut across lines (a longer
one overflows its column rather than becoming two half-ids a reader cannot search for). Every
audited plan ends with one line: its verdict, its findings and its checklist, so plans that
passed are named too.

The whole text passes through `inert`: a plan's control characters (terminal escapes, bidi
overrides) are shown escaped, never sent to the terminal.
"""

from __future__ import annotations

import textwrap
from itertools import groupby

from tabulate import tabulate

from strataudit.inert import inert
from strataudit.reports.base import RenderOptions
from strataudit.results import Finding, PlanResult, Report, State, effects_of

WIDTH = 100
CELL = 56  # the finding column: where, severity and rule take the rest of WIDTH
MARKS = {State.WAIVED: "(waived)", State.BASELINED: "(baseline)", State.EXPIRED: "(expired)"}


def _wrap(text: str, width: int = CELL, indent: str = "") -> str:
    """Wrapped at spaces only: never inside a word, an id or a path, never at a hyphen."""
    lines = textwrap.wrap(
        text,
        width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines) or text


def _cell(f: Finding, options: RenderOptions) -> str:
    """The finding column: message, then `-> path`, then `fix: ...`, each wrapped on its own."""
    parts = [_wrap(f.message)]
    if f.location.path:
        parts.append(f"-> {f.location.path}")  # one line, however long: never cut
    if options.fix and f.remediation:
        parts.append(_wrap(f"fix: {' '.join(f.remediation.split())}", indent="     "))
    return "\n".join(parts)


def plan_line(report: Report, result: PlanResult) -> str:
    """`file (id): PASS, 0 findings; 50 rules: 50 passed`: one plan's outcome in a line."""
    name = result.file + (f" ({result.plan_id})" if result.plan_id else "")
    verdict = report.verdict_of(result).verdict.upper()
    if result.error is not None:
        return f"{name}: {verdict}, could not be audited (see standard error)"
    n = len(result.findings)
    return (
        f"{name}: {verdict}, {n} finding{'' if n == 1 else 's'}; "
        f"{report.checklist(result).summary()}"
    )


def _severity(f: Finding) -> str:
    mark = MARKS.get(f.state)
    return f"{f.severity.label}\n{mark}" if mark else f.severity.label


def _cause(f: Finding, effects: dict[str, list[Finding]]) -> str:
    """Under a finding: the dangling reference it follows from, or what fixing it clears."""
    if f.caused_by:
        return "\n" + _wrap(f"caused by {f.caused_by.describe()}", 56)
    caused = effects.get(f.fingerprint)
    if caused:
        return "\n" + _wrap("causes " + ", ".join(e.describe() for e in caused), 56)
    return ""


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as text tables, control characters escaped (`--quiet`: tables only)."""
    return inert(_render(report, options or RenderOptions()))


def _render(report: Report, options: RenderOptions) -> str:
    out: list[str] = []
    for result in report.results:  # a table per audited plan, even when files are shared
        if not result.findings:
            continue
        effects = effects_of(result.findings)
        new_first = report.new_first(result.findings)  # with a baseline: not in it, first
        for file, group in groupby(
            sorted(result.findings, key=Finding.sort_key), key=lambda f: f.location.file
        ):
            found = sorted(group, key=lambda f: (new_first and f.baselined, *f.sort_key()))
            rows = [
                (
                    f"{f.location.line}:{f.location.column}",
                    _severity(f),
                    f.rule,
                    _cell(f, options) + _cause(f, effects),
                )
                for f in found
            ]
            shown = file if file == result.file else f"{file} (included by {result.file})"
            out.append("\n" + _wrap(shown, WIDTH, indent="  "))
            out.append(
                tabulate(
                    rows,
                    headers=["where", "severity", "rule", "finding"],
                    tablefmt="simple",
                )
            )
    if options.quiet:  # the findings only (`--quiet`)
        return "\n".join(out).lstrip("\n") + "\n" if out else ""
    for w in report.expired_waivers:
        out.append(f"expired waiver ({w.source}): {w.describe()}")
    for w in report.unused_waivers:
        out.append(f"unused waiver ({w.source}): {w.describe()}")
    if report.resolved:
        out.append(f"{len(report.resolved)} baselined finding(s) resolved")
    if report.skipped:
        out.append(
            "\n" + _wrap("skipped (not plans): " + ", ".join(report.skipped), WIDTH, indent="  ")
        )
    if report.results:
        out.append("")
        out += [_wrap(plan_line(report, r), WIDTH, indent="  ") for r in report.results]
    summary = ", ".join(f"{n} {label}" for label, n in report.by_severity().items())
    plans = len(report.results)
    if report.errors:
        out.append(f"\n{len(report.errors)} input error(s), on standard error")
    out.append(
        f"\n{plans} plan{'s' if plans != 1 else ''} audited, "
        f"{len(report.findings)} findings ({summary}); verdict: "
        f"{report.verdict.verdict.upper()}"
    )
    counts = report.counts()
    if counts.counted != counts.findings or counts.expired:
        out.append(
            f"  {counts.counted} counted ({counts.expired} with an expired waiver), "
            f"{counts.waived} waived, {counts.baselined} baselined"
        )
    for reason in report.verdict.reasons:
        out.append(_wrap(f"  - {reason}", WIDTH, indent="    "))
    return "\n".join(out).lstrip("\n") + "\n"
