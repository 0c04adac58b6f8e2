"""`--format github`: GitHub Actions workflow commands, one annotation per counted finding.

A line `::error file=F,line=L,endLine=L,col=C,title=T::message` printed by a workflow step is
shown by GitHub on the pull request's diff and in the run's summary ("Workflow commands for
GitHub Actions", `https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands`,
sections "Setting an error message", "Setting a warning message", "Setting a notice message").
Severity picks the command: error -> `::error`, warning -> `::warning`, info -> `::notice`.
An input error is an `::error` on its file (and line, when it has one), since the gate fails
on it. Waived and baselined findings are accepted, so they are not annotated (the other formats
still list them).

Paths are relative to the repository root (`RenderOptions.root`, see `paths.py`): GitHub
resolves `file=` against the workspace, not against the folder the step ran in.

Escaping is the one GitHub's own toolkit applies (`@actions/core`, `command.ts`: `escapeData`
and `escapeProperty`): `%`, CR and LF in the message; the same and also `:` and `,` in property
values. Control characters from plans are first made inert (`\\x1b`), as in every text output.
GitHub shows at most 10 error and 10 warning annotations per step (and 50 per job); the rest
are still in the log.
"""

from __future__ import annotations

from collections.abc import Iterator

from strataudit.inert import inert
from strataudit.reports import RenderOptions
from strataudit.reports.base import Report
from strataudit.reports.paths import default_root, repo_path
from strataudit.results import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
INPUT_ERROR_TITLE = "strataudit: input error"


def escape_data(text: str) -> str:
    """A command's message: `%`, CR, LF percent-encoded (GitHub decodes them back)."""
    return inert(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as a message, and `:` and `,` too (they delimit properties)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: object) -> str:
    """`::name k=v,k=v::message`; properties that are None are left out."""
    given = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return (
        f"::{name} {given}::{escape_data(message)}"
        if given
        else f"::{name}::{escape_data(message)}"
    )


def workflow_commands(report: Report, options: RenderOptions) -> Iterator[str]:
    """One workflow command per counted finding, then one per input error."""
    root = options.root or default_root()
    for finding in report.findings:
        if not finding.counts:
            continue
        loc = finding.location
        yield command(
            COMMANDS[finding.severity],
            f"{finding.message} (at {loc.path})\nFix: {finding.remediation.strip()}",
            file=repo_path(loc.file, root),
            line=loc.line,
            endLine=loc.line,
            col=loc.column,
            title=f"{finding.rule} {finding.title}",
        )
    for error in report.all_errors:
        yield command(
            "error",
            f"{error.message}\nHint: {error.hint}" if error.hint else error.message,
            file=repo_path(error.file, root),
            line=error.line,
            col=error.column if error.line is not None else None,
            title=INPUT_ERROR_TITLE,
        )


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The report as workflow commands, one per line."""
    return "".join(f"{line}\n" for line in workflow_commands(report, options or RenderOptions()))
