"""The command line: parses options, calls `strataudit.run`, renders, writes and exits.

It is the only place that prints and exits. Exit codes: 0 the gate passed, 1 it failed, 2
something given could not be used (2 wins over 1), 130 interrupted (SIGINT), 143 terminated
(SIGTERM), with no report written then. No traceback reaches the user unless `--debug` asks
for it. Every message on standard error passes through `inert` (plan text cannot drive the
terminal). See docs/architecture.md for the run's stages.

Every option can also come from the environment, `STRATAUDIT_<COMMAND>_<OPTION>` (click's
`auto_envvar_prefix`; `env()` names those whose parameter is renamed), and click provides shell
completion (`_STRATAUDIT_COMPLETE=bash_source strataudit`); docs/ci.md lists both.
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from strataudit import __version__
from strataudit.inert import inert

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "github", "codeclimate")
PROGRESS_FROM = 20  # plans: a progress bar on a terminal's stderr for batches this large
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + the signal's number, as shells report


class Terminated(BaseException):
    """Raised by the SIGTERM handler, so that waits (a pool, a child) are broken, not resumed.

    A BaseException, like KeyboardInterrupt: no `except Exception` on the way swallows it."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises `Terminated` while a command runs (the old handler comes back after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def say(message: str) -> None:
    """One message on standard error, control characters escaped."""
    click.echo(inert(message), err=True)


def _fail(message: str, code: int = 2) -> None:
    say(message)
    sys.exit(code)


def guarded(func: F) -> F:
    """Input errors become `file:line:col: message` + hint and exit 2; bugs say so, exit 2;
    SIGINT exits 130 and SIGTERM 143, never a gate's 0 or 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from strataudit.errors import InputError

        debug = kwargs.get("debug", False)
        try:
            with _sigterm_raises():
                return func(*args, **kwargs)
        except InputError as exc:
            if debug:
                traceback.print_exc()
            _fail("error: " + exc.problem.render())
        except KeyboardInterrupt:
            _fail("interrupted: no report written", EXIT_INTERRUPTED)
        except Terminated:
            _fail("terminated: no report written", EXIT_TERMINATED)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except Exception as exc:
            if debug:
                traceback.print_exc()
            _fail(
                f"internal error: {exc}\n  (run again with --debug for the traceback; "
                "please report it)"
            )

    return wrapper  # type: ignore[return-value]


ENV_PREFIX = "STRATAUDIT"  # every option from STRATAUDIT_<COMMAND>_<OPTION>, e.g. _AUDIT_FAIL_ON


def env(command: str, option: str) -> str:
    """The variable of an option whose parameter is renamed (`--format` is `fmt`): click's
    automatic name would follow the parameter (`..._FMT`), the documented one the option."""
    return f"{ENV_PREFIX}_{command.upper()}_{option}"


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "auto_envvar_prefix": ENV_PREFIX,
    }
)
@click.version_option(__version__, prog_name="strataudit")
def main() -> None:
    """Audit marketing strategy plans against a catalogue of declarative rules."""


def _absolute_url(value: str | None) -> str | None:
    """`--docs-url` must be an absolute URL: SARIF viewers open it as it is."""
    from urllib.parse import urlsplit

    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "file") or (
        parts.scheme != "file" and not parts.netloc
    ):
        raise click.BadParameter(
            f"`{value}`: give an absolute http(s) or file URL, where strataudit's docs/ "
            "folder is published",
            param_hint="--docs-url",
        )
    return value


def _report_target(value: str) -> tuple[str, Path]:
    fmt, sep, file = value.partition("=")
    if not sep or fmt not in FORMATS or not file:
        raise click.BadParameter(
            f"`{value}`: write FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}",
            param_hint="--report",
        )
    return fmt, Path(file)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    envvar=env("audit", "FORMAT"),
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format on standard output (or --output).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--report",
    "reports",
    envvar=env("audit", "REPORT"),
    multiple=True,
    metavar="FORMAT=FILE",
    help="Also write a report in FORMAT to FILE (repeatable), e.g. sarif=out.sarif.",
)
@click.option(
    "--rules",
    "packs",
    envvar=env("audit", "RULES"),
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Extra rule pack directory (repeatable).",
)
@click.option("--select", multiple=True, help="Only these rule ids or categories.")
@click.option("--ignore", multiple=True, help="Skip these rule ids or categories.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    help="Lowest severity that fails the gate [default: error, or the config's].",
)
@click.option(
    "--config",
    "config_file",
    envvar=env("audit", "CONFIG"),
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: strataudit.yaml here or in a parent folder].",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Count only findings not recorded in this baseline.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the current findings in this baseline file.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day waivers are judged on (YYYY-MM-DD) [default: today].",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Audit plans in this many processes.",
)
@click.option(
    "--sarif-root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="SARIF, GitHub and Code Quality paths are relative to this folder "
    "[default: the git root of the working directory, else the working directory].",
)
@click.option(
    "--docs-url",
    metavar="URL",
    callback=lambda ctx, param, value: _absolute_url(value),
    help="Where strataudit's docs/ folder is published: SARIF informationUri and per-rule "
    "helpUri (URL/rules.md#rule-id) [default: none].",
)
@click.option(
    "--skip-non-plans",
    is_flag=True,
    help="Skip named files that are not plans (no top-level `strataudit` key) and included "
    "fragments that no named plan includes, with a note, instead of failing on them "
    "(for pre-commit, which passes every changed file).",
)
@click.option(
    "--stdin-filename",
    metavar="NAME",
    help="The file name standard input (`-`) is reported under, in every format.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Findings only: no summary lines in the text report, no notes on standard error "
    "(errors and expired waivers are still shown).",
)
@click.option("--no-progress", is_flag=True, help="Never show a progress bar.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@guarded
def audit(
    paths: tuple[str, ...],
    fmt: str,
    output: Path | None,
    reports: tuple[str, ...],
    packs: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    config_file: Path | None,
    baseline: Path | None,
    write_baseline: Path | None,
    as_of: Any,
    jobs: int,
    sarif_root: Path | None,
    docs_url: str | None,
    skip_non_plans: bool,
    stdin_filename: str | None,
    quiet: bool,
    no_progress: bool,
    debug: bool,
) -> None:
    """Audit plan files, or every plan under a directory (`-` reads standard input)."""
    from strataudit.outputs import write_atomic
    from strataudit.reports import RenderOptions, render
    from strataudit.runner import RunOptions, run

    targets = [_report_target(r) for r in reports]
    outputs = [p for p in (output, *(f for _, f in targets)) if p is not None]
    stdin_text = None
    if "-" in paths:
        from strataudit.source import read_stdin

        stdin_text = read_stdin(sys.stdin.buffer, stdin_filename or "<stdin>")  # bounded
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def progress(done: int, total: int) -> None:
            if no_progress or total < PROGRESS_FROM or not sys.stderr.isatty():
                return
            if not bars:
                bar = click.progressbar(length=total, label="auditing", file=sys.stderr)
                bars.append(stack.enter_context(bar))
            bars[0].update(1)

        report = run(
            paths,
            RunOptions(
                stdin_text=stdin_text,
                packs=packs,
                select=select,
                ignore=ignore,
                fail_on=fail_on,
                config=config_file,
                baseline=baseline,
                write_baseline=write_baseline,
                as_of=as_of.date() if as_of else None,
                jobs=jobs,
                skip_non_plans=skip_non_plans,
                stdin_name=stdin_filename,
                formats=(fmt, *(f for f, _ in targets)),
                outputs=tuple(outputs),
                progress=progress,
            ),
        )
    if report.baseline_written is not None and not quiet:
        file, count = report.baseline_written
        say(f"baseline: {count} findings recorded in {file}")
    settings = RenderOptions(root=sarif_root, docs_url=docs_url, quiet=quiet)
    rendered = {
        f: render(f, report, settings) for f in dict.fromkeys((fmt, *(f for f, _ in targets)))
    }
    for target_fmt, target_file in targets:
        write_atomic(target_file, rendered[target_fmt])
    if output is not None:
        write_atomic(output, rendered[fmt])
    else:
        click.echo(rendered[fmt], nl=False)
    for error in report.errors:
        say("error: " + error.render())
    for name in _skipped_named(paths, report.skipped) if skip_non_plans and not quiet else ():
        say(f"note: {name}: {SKIPPED_NOTE}")
    for waiver in report.expired_waivers:
        say(f"warning: waiver expired: {waiver.describe()} ({waiver.source})")
    for waiver in () if quiet else report.unused_waivers:
        say(f"note: waiver matched nothing: {waiver.describe()} ({waiver.source})")
    sys.exit(report.verdict.exit_code)


SKIPPED_NOTE = (
    "skipped: not a plan (no top-level `strataudit` key), or an included fragment that no "
    "plan among the files given includes (it is audited through its plan)"
)


def _skipped_named(paths: tuple[str, ...], skipped: tuple[str, ...]) -> list[str]:
    """The skipped files that were named on the command line (a folder's are not noted)."""
    from strataudit.loader import display_name

    named = {display_name(Path(p)) for p in paths if p != "-"}
    return [s for s in skipped if s in named]


@main.group()
def rules() -> None:
    """The rule catalogue: list, show, test."""


@rules.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar=env("rules_list", "FORMAT"),
)
@click.option(
    "--rules",
    "packs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    envvar=env("rules_list", "RULES"),
)
@guarded
def rules_list(fmt: str, packs: tuple[Path, ...]) -> None:
    """Every rule: id, severity, category, title."""
    from tabulate import tabulate

    from strataudit.rulefile import description, load_ruleset

    ruleset = load_ruleset(packs)
    if fmt == "json":
        click.echo(json.dumps([description(r) for r in ruleset], indent=2))
        return
    rows = [(r.id, r.spec.severity, r.category, r.spec.title) for r in ruleset]
    click.echo(tabulate(rows, headers=["id", "severity", "category", "title"]))


@rules.command("show")
@click.argument("rule_id")
@click.option(
    "--rules",
    "packs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    envvar=env("rules_show", "RULES"),
)
@guarded
def rules_show(rule_id: str, packs: tuple[Path, ...]) -> None:
    """One rule's documentation: what it flags, why, an example, the fix."""
    from strataudit.docs import rule_markdown
    from strataudit.rulefile import load_ruleset

    ruleset = load_ruleset(packs)
    rule = ruleset.by_id.get(rule_id.upper())
    if rule is None:
        _fail(f"error: no rule `{rule_id}`; see `strataudit rules list`")
        return
    click.echo(rule_markdown(rule))


@rules.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True)
@guarded
def rules_test(directory: Path | None, debug: bool) -> None:
    """Run the examples of the built-in rules, or of the pack in DIRECTORY."""
    from strataudit.audit import Auditor
    from strataudit.examples import run_examples
    from strataudit.rulefile import load_ruleset

    packs = (directory,) if directory else ()
    ruleset = load_ruleset(packs)
    tested = [r for r in ruleset if (r.builtin if directory is None else not r.builtin)]
    outcomes = run_examples(Auditor(ruleset), tested)
    bad = [o for o in outcomes if not o.ok]
    for o in bad:
        click.echo(inert(f"FAIL {o.rule} {o.example}: {o.problem}"))
    rules_bad = sorted({o.rule for o in bad})
    click.echo(
        f"{len(tested) - len(rules_bad)} rules behaved, {len(rules_bad)} misbehaved "
        f"({len(outcomes)} examples)"
    )
    sys.exit(1 if bad else 0)


@main.command()
@guarded
def schema() -> None:
    """Print the JSON Schema of the plan format (for editors and validators)."""
    from strataudit.model import plan_json_schema

    click.echo(json.dumps(plan_json_schema(), indent=2))
