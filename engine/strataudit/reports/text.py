"""`--format text`: a table per file and a summary line, readable in a 100-column terminal.

The whole text passes through `inert`: a plan's control characters (terminal escapes, bidi
overrides) are shown escaped, never sent to the terminal.
"""

from __future__ import annotations

import textwrap
from itertools import groupby

from tabulate import tabulate

from strataudit.inert import inert
from strataudit.reports import RenderOptions
from strataudit.results import Finding, Report, State

WIDTH = 100
MARKS = {State.WAIVED: "(waived)", State.BASELINED: "(baseline)", State.EXPIRED: "(expired)"}


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _severity(f: Finding) -> str:
    mark = MARKS.get(f.state)
    return f"{f.severity.label}\n{mark}" if mark else f.severity.label


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as text tables, control characters escaped (`--quiet`: tables only)."""
    return inert(_render(report, quiet=options is not None and options.quiet))


def _render(report: Report, quiet: bool = False) -> str:
    out: list[str] = []
    for result in report.results:  # a table per audited plan, even when files are shared
        if not result.findings:
            continue
        for file, group in groupby(
            sorted(result.findings, key=Finding.sort_key), key=lambda f: f.location.file
        ):
            rows = [
                (
                    f"{f.location.line}:{f.location.column}",
                    _severity(f),
                    f.rule,
                    _wrap(f"{f.message}\n-> {f.location.path}", 56)
                    if f.location.path
                    else _wrap(f.message, 56),
                )
                for f in group
            ]
            shown = file if file == result.file else f"{file} (included by {result.file})"
            out.append("\n" + textwrap.fill(shown, WIDTH, subsequent_indent="  "))
            out.append(
                tabulate(
                    rows,
                    headers=["where", "severity", "rule", "finding"],
                    tablefmt="simple",
                    maxcolwidths=[None, None, None, 60],
                )
            )
    if quiet:  # the findings only (`--quiet`)
        return "\n".join(out).lstrip("\n") + "\n" if out else ""
    for w in report.expired_waivers:
        out.append(f"expired waiver ({w.source}): {w.describe()}")
    for w in report.unused_waivers:
        out.append(f"unused waiver ({w.source}): {w.describe()}")
    if report.resolved:
        out.append(f"{len(report.resolved)} baselined finding(s) resolved")
    if report.skipped:
        out.append(
            "\n"
            + textwrap.fill(
                "skipped (not plans): " + ", ".join(report.skipped), WIDTH, subsequent_indent="  "
            )
        )
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
        out.append(textwrap.fill(reason, WIDTH, initial_indent="  - ", subsequent_indent="    "))
    return "\n".join(out).lstrip("\n") + "\n"
