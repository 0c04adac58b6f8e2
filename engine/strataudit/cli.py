"""The command line: the only place that prints to stderr and exits.

Exit codes (cli-and-report.md): 0 the gate passed, 1 it failed, 2 something given could not be
used (2 wins over 1). No traceback reaches the user unless `--debug` asks for it.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from strataudit import __version__

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")
PROGRESS_FROM = 20  # plans: a progress bar on a terminal's stderr for batches this large


def _fail(message: str, code: int = 2) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def guarded(func: F) -> F:
    """Input errors become `file:line:col: message` + hint and exit 2; bugs say so, exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from strataudit.errors import InputError

        debug = kwargs.get("debug", False)
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            if debug:
                traceback.print_exc()
            _fail("error: " + exc.problem.render())
        except (click.ClickException, click.exceptions.Exit, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if debug:
                traceback.print_exc()
            _fail(
                f"internal error: {exc}\n  (run again with --debug for the traceback; "
                "please report it)"
            )

    return wrapper  # type: ignore[return-value]


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="strataudit")
def main() -> None:
    """Audit marketing strategy plans against a catalogue of declarative rules."""


def _write(path: Path, text: str) -> None:
    """Write a report; a path that cannot be written is the user's input error, not a bug."""
    from strataudit.errors import input_error

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise input_error(
            str(path),
            None,
            None,
            f"cannot write the report: {exc.strerror}",
            "check that the folder exists and is writable",
        ) from None


def _refuse_overwriting_inputs(inputs: set[str], outputs: list[Path | None]) -> None:
    """The user's files are never written to: no output may be a file the audit read (a plan,
    an included file, any file of an audited folder)."""
    from strataudit.errors import input_error

    for out in outputs:
        if out is not None and str(out.resolve()) in inputs:
            raise input_error(
                str(out),
                None,
                None,
                "this output file is one of the audit's input files",
                "write the report to another file",
            )


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
    multiple=True,
    metavar="FORMAT=FILE",
    help="Also write a report in FORMAT to FILE (repeatable), e.g. sarif=out.sarif.",
)
@click.option(
    "--rules",
    "packs",
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
    debug: bool,
) -> None:
    """Audit plan files, or every plan under a directory (`-` reads standard input)."""
    import datetime

    from strataudit.audit import audit_targets, discover
    from strataudit.config import find_config, load_config
    from strataudit.gate import FAIL_LEVELS, judge
    from strataudit.loader import display_name
    from strataudit.reports import renderer
    from strataudit.reports.base import Report
    from strataudit.rulefile import check_known_ids, load_ruleset
    from strataudit.suppress import apply_baseline, apply_waivers, read_baseline, save_baseline

    targets = [_report_target(r) for r in reports]
    outputs = [output, write_baseline, *(f for _, f in targets)]
    _refuse_overwriting_inputs({str(Path(p).resolve()) for p in paths if p != "-"}, outputs)
    config_path = config_file or find_config(Path.cwd())
    config = load_config(config_path, display_name(config_path) if config_path else None)
    ruleset = load_ruleset((*config.packs, *packs))
    cli_select, cli_ignore = _split(select), _split(ignore)
    check_known_ids(cli_select, ruleset, "--select")
    check_known_ids(cli_ignore, ruleset, "--ignore")
    check_known_ids(config.names(), ruleset, config.file or "strataudit.yaml", config.lines)
    select, ignore = cli_select or config.select, cli_ignore + config.ignore
    ruleset = ruleset.select(select, ignore).with_severities(config.severity)
    entries = read_baseline(baseline) if baseline else None
    stdin_text = None
    if "-" in paths:
        from strataudit.source import decode

        stdin_text = decode(sys.stdin.buffer.read(), "<stdin>")
    found = discover(list(paths), stdin_text)
    keep_plans = "html" in (fmt, *(f for f, _ in targets))
    if sys.stderr.isatty() and len(found.targets) >= PROGRESS_FROM:
        with click.progressbar(length=len(found.targets), label="auditing", file=sys.stderr) as bar:
            results = audit_targets(ruleset, found.targets, jobs, bar.update, keep_plans)
    else:
        results = audit_targets(ruleset, found.targets, jobs, keep_plans=keep_plans)
    today = as_of.date() if as_of else datetime.date.today()
    waived = apply_waivers(results, config.waivers, today, set(ruleset.by_id))
    results = waived.results
    _refuse_overwriting_inputs(found.files | {s for r in results for s in r.sources}, outputs)
    resolved: tuple[dict[str, Any], ...] = ()
    if entries is not None:
        results, resolved = apply_baseline(results, entries)
    if write_baseline is not None:
        count = save_baseline(write_baseline, results, _write)
        click.echo(f"baseline: {count} findings recorded in {write_baseline}", err=True)
    errors = tuple(found.errors) + tuple(r.error for r in results if r.error is not None)
    level = FAIL_LEVELS[fail_on or config.fail_on or "error"]
    verdict = judge(results, level, run_errors=len(found.errors), expired=waived.expired)
    report = Report(
        tuple(results),
        errors,
        tuple(found.skipped),
        verdict,
        ruleset,
        level,
        as_of=today,
        expired_waivers=waived.expired,
        unused_waivers=waived.unused,
        resolved=resolved,
        baseline_file=str(baseline) if baseline else None,
    )
    for target_fmt, target_file in targets:
        _write(target_file, renderer(target_fmt)(report))
    text = renderer(fmt)(report)
    if output is not None:
        _write(output, text)
    else:
        click.echo(text, nl=False)
    for error in errors:
        click.echo("error: " + error.render(), err=True)
    for waiver in waived.expired:
        click.echo(f"warning: waiver expired: {waiver.describe()} ({waiver.source})", err=True)
    for waiver in waived.unused:
        click.echo(f"note: waiver matched nothing: {waiver.describe()} ({waiver.source})", err=True)
    sys.exit(verdict.exit_code)


@main.group()
def rules() -> None:
    """The rule catalogue: list, show, test."""


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--rules", "packs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
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
@click.option("--rules", "packs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
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
        click.echo(f"FAIL {o.rule} {o.example}: {o.problem}")
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
