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
import os
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
from strataudit.gate import FAIL_LEVELS  # the fail-on vocabulary: one list, in the gate
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


def _interrupted(message: str, code: int) -> None:
    """Leave at once after an interrupt: every report write has been undone by then (they are
    atomic), the engine's children are reaped and `--jobs` workers terminated; what is left
    are the interpreter's exit handlers, and concurrent.futures' one could print a traceback
    while waking the stopped pool (seen with --jobs 2 under SIGTERM)."""
    say(message)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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
            _fail("\n".join("error: " + p.render() for p in exc.problems))
        except KeyboardInterrupt:
            _interrupted("interrupted: no report written", EXIT_INTERRUPTED)
        except Terminated:
            _interrupted("terminated: no report written", EXIT_TERMINATED)
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


def rule_set_options(command: str, fail_on: str, baseline: str) -> Callable[[F], F]:
    """The options that choose the rules and the gate, shared by `audit` and `diff` (one list,
    so both commands take the same names, also from `STRATAUDIT_<COMMAND>_<OPTION>`)."""
    options = [
        click.option(
            "--rules",
            "packs",
            envvar=env(command, "RULES"),
            multiple=True,
            type=click.Path(file_okay=False, path_type=Path),
            help="Extra rule pack directory (repeatable).",
        ),
        click.option("--select", multiple=True, help="Only these rule ids or categories."),
        click.option("--ignore", multiple=True, help="Skip these rule ids or categories."),
        click.option("--fail-on", type=click.Choice(list(FAIL_LEVELS)), help=fail_on),
        click.option(
            "--config",
            "config_file",
            envvar=env(command, "CONFIG"),
            type=click.Path(dir_okay=False, path_type=Path),
            help="Config file [default: strataudit.yaml here or in a parent folder].",
        ),
        click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), help=baseline),
        click.option(
            "--as-of",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            help="The day waivers are judged on (YYYY-MM-DD) [default: today].",
        ),
    ]

    def apply(func: F) -> F:
        for option in reversed(options):  # click lists options in the order they are applied
            func = option(func)
        return func

    return apply


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "auto_envvar_prefix": ENV_PREFIX,
    }
)
@click.version_option(__version__, prog_name="strataudit")
def main() -> None:
    """Audit marketing strategy plans against a catalogue of declarative rules."""


# Commands left to Python's own shutdown: the service's server and database pool stop in their
# handlers, which a hard exit would skip.
_CLEAN_EXIT = frozenset({"serve"})


def console() -> None:
    """The `strataudit` console script (and `python -m strataudit`): `main`, then leave without
    tearing the interpreter down.

    When a command has returned, everything it writes is written and closed (reports
    atomically, with a rename); Python's shutdown would only free every object and module:
    70 M of a one-plan audit's 1,500 M instructions (callgrind). mypy leaves the same way.
    Standard output and error are flushed first; a flush that fails (a closed pipe) exits
    120, as Python's own shutdown does."""
    code: str | int | None
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command in _CLEAN_EXIT:
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # `sys.exit("message")`: Python prints it and exits 1
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        code = code or 120
    os._exit(code)


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
@rule_set_options(
    "audit",
    fail_on="Lowest severity that fails the gate [default: error, or the config's].",
    baseline="Count only findings not recorded in this baseline.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the current findings in this baseline file.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Audit plans in this many processes.",
)
@click.option("--no-fix", is_flag=True, help="Text report: leave out the fix under each finding.")
@click.option(
    "--link-base",
    metavar="URL",
    help="Markdown report: link locations to URL/FILE#LLINE (a repository's blob URL).",
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
    no_fix: bool,
    link_base: str | None,
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
    stdin_text, stdin_error = None, None
    if "-" in paths:
        from strataudit.errors import InputError
        from strataudit.source import read_stdin

        try:
            stdin_text = read_stdin(sys.stdin.buffer, stdin_filename or "<stdin>")  # bounded
        except InputError as exc:  # that target's error: the other targets are still audited
            stdin_error = exc.problem
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
                stdin_error=stdin_error,
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
    settings = RenderOptions(
        fix=not no_fix, link_base=link_base, root=sarif_root, docs_url=docs_url, quiet=quiet
    )
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


@main.command("diff")
@click.argument("old")
@click.argument("new")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
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
@rule_set_options(
    "diff",
    fail_on="Lowest severity of a new finding that fails [default: error, or the config's].",
    baseline="Findings in this baseline do not count (they are listed after the others).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@guarded
def diff_command(
    old: str,
    new: str,
    fmt: str,
    output: Path | None,
    packs: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    config_file: Path | None,
    baseline: Path | None,
    as_of: Any,
    debug: bool,
) -> None:
    """What changed from OLD to NEW (two versions of a plan, each with its includes): findings
    new, resolved and unchanged, and budgets, goals and entities that moved. Exit 0 no new
    finding at the fail level, 1 new ones, 2 a version or setting could not be used."""
    from strataudit.diff import diff
    from strataudit.outputs import write_atomic
    from strataudit.reports.diffs import renderer
    from strataudit.runner import RunOptions

    result = diff(
        old,
        new,
        RunOptions(
            packs=packs,
            select=select,
            ignore=ignore,
            fail_on=fail_on,
            config=config_file,
            baseline=baseline,
            as_of=as_of.date() if as_of else None,
            outputs=(output,) if output is not None else (),
        ),
    )
    rendered = renderer(fmt)(result)
    if output is not None:
        write_atomic(output, rendered)
    else:
        click.echo(rendered, nl=False)
    for error in result.errors:
        say("error: " + error)
    sys.exit(result.exit_code)


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


# -- the service (`strataudit serve`, its tokens and its record); FastAPI and SQLAlchemy are
# imported inside the commands, so `audit` never loads them. docs/service.md describes them.

_database = click.option(
    "--database",
    "database_url",
    envvar="STRATAUDIT_DATABASE_URL",
    default="sqlite:///strataudit.db",
    show_default=True,
    help="SQLAlchemy URL of the decision record [env STRATAUDIT_DATABASE_URL].",
)


def _store(database_url: str) -> Any:
    try:
        from strataudit.service.store import Store
    except ImportError as exc:
        _fail(f"error: the service needs its extra: pip install 'strataudit[service]' ({exc})")
    store = Store(database_url)
    store.migrate()
    return store


@main.command()
@_database
@click.option("--host", envvar="STRATAUDIT_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="STRATAUDIT_PORT", type=click.IntRange(0, 65535), default=8080)
@click.option(
    "--workers",
    envvar="STRATAUDIT_WORKERS",
    type=click.IntRange(1, 64),
    help="Audit worker processes [default: the cores, at most 4].",
)
@click.option(
    "--audit-timeout",
    envvar="STRATAUDIT_AUDIT_TIMEOUT",
    type=click.FloatRange(0.1, 3600),
    default=30.0,
    show_default=True,
    help="Seconds one audit may run before its worker is stopped (503).",
)
@click.option(
    "--max-body",
    envvar="STRATAUDIT_MAX_BODY",
    type=click.IntRange(1024),
    default=5 * 1024 * 1024,
    show_default=True,
    help="Largest request body in bytes (larger: 413).",
)
@click.option(
    "--max-waiver-days",
    envvar="STRATAUDIT_MAX_WAIVER_DAYS",
    type=click.IntRange(1, 3650),
    default=365,
    show_default=True,
    help="Longest waiver a reviewer may grant.",
)
@click.option(
    "--no-store-plans",
    is_flag=True,
    envvar="STRATAUDIT_NO_STORE_PLANS",
    help="Record digests and findings, not the submitted bytes.",
)
@click.option(
    "--log-level",
    envvar="STRATAUDIT_LOG_LEVEL",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def serve(
    database_url: str,
    host: str,
    port: int,
    workers: int | None,
    audit_timeout: float,
    max_body: int,
    max_waiver_days: int,
    no_store_plans: bool,
    log_level: str,
) -> None:
    """Serve the pre-approval gate over HTTP (docs/service.md).

    Not `guarded`: uvicorn handles SIGINT and SIGTERM itself (a graceful shutdown that lets
    running audits finish and be recorded), then re-raises the signal, so the process ends as
    a service killed by that signal is expected to."""
    try:
        from strataudit.service.app import serve as run_server
        from strataudit.service.settings import Settings
    except ImportError as exc:
        _fail(f"error: the service needs its extra: pip install 'strataudit[service]' ({exc})")
    settings = Settings(
        database_url=database_url,
        host=host,
        port=port,
        audit_timeout=audit_timeout,
        max_body=max_body,
        max_waiver_days=max_waiver_days,
        store_plans=not no_store_plans,
        log_level=log_level,
        **({"workers": workers} if workers else {}),
    )
    run_server(settings)


@main.group()
def tokens() -> None:
    """The service's bearer tokens: create, list, revoke."""


@tokens.command("create")
@click.option("--name", required=True, help="Who uses it: the submitter or reviewer name.")
@click.option("--role", type=click.Choice(["submitter", "reviewer", "admin"]), required=True)
@_database
@guarded
def tokens_create(name: str, role: str, database_url: str) -> None:
    """Create a token and print it (this once: only its hash is kept)."""
    from sqlalchemy.exc import IntegrityError

    from strataudit.service.auth import create_token

    try:
        token_id, token = create_token(_store(database_url), name, role, "cli")
    except IntegrityError:
        _fail(f"error: a token is already named `{name}`")
        return
    say(f"token {token_id} ({role} `{name}`); it is shown this once:")
    click.echo(token)


@tokens.command("list")
@_database
@guarded
def tokens_list(database_url: str) -> None:
    """Every token: id, name, role, created, revoked (never the secret)."""
    from tabulate import tabulate

    rows = [
        (r["id"], r["name"], r["role"], r["created_at"], r["revoked_at"] or "")
        for r in _store(database_url).tokens()
    ]
    click.echo(inert(tabulate(rows, headers=["id", "name", "role", "created", "revoked"])))


@tokens.command("revoke")
@click.argument("token_id")
@_database
@guarded
def tokens_revoke(token_id: str, database_url: str) -> None:
    """Revoke a token at once (a record of its own; the token row stays)."""
    store = _store(database_url)
    if store.token(token_id) is None:
        _fail(f"error: no token `{token_id}`; see `strataudit tokens list`")
    if not store.revoke_token(token_id, "cli"):
        _fail(f"error: token `{token_id}` is already revoked")
    click.echo(f"revoked {token_id}")


@main.group()
def decisions() -> None:
    """The service's decision record: verify, prune."""


@decisions.command("verify")
@click.argument("ids", nargs=-1)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only decisions since.")
@_database
@guarded
def decisions_verify(ids: tuple[str, ...], since: Any, database_url: str) -> None:
    """Re-audit stored decisions; exit 1 if one would differ under the same rules."""
    import datetime

    from strataudit.service.replay import verify

    start = since.replace(tzinfo=datetime.UTC) if since else None
    tally: dict[str, int] = {}
    bad = 0
    for outcome in verify(_store(database_url), start, ids):
        tally[outcome.status] = tally.get(outcome.status, 0) + 1
        if outcome.status != "same":
            click.echo(inert(f"{outcome.status:13} {outcome.decision_id} {outcome.detail}"))
        bad += outcome.bad
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(tally.items())) or "no decisions")
    sys.exit(1 if bad else 0)


@decisions.command("prune")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Delete decisions submitted before this day (UTC).",
)
@click.option("--yes", is_flag=True, help="Do it (without: only count them).")
@_database
@guarded
def decisions_prune(before: Any, yes: bool, database_url: str) -> None:
    """Delete old decisions with their files and reviews: retention, never a side effect."""
    import datetime

    store = _store(database_url)
    cutoff = before.replace(tzinfo=datetime.UTC)
    if not yes:
        count = store.count_decisions(before=cutoff)
        click.echo(f"{count} decisions before {cutoff.date()} would be deleted (add --yes)")
        return
    click.echo(f"deleted {store.prune(cutoff)} decisions before {cutoff.date()}")
