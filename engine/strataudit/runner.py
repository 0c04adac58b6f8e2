"""`run(targets, options) -> Report`: one audit run, the call under every front end.

The CLI, the HTTP service and tests call this, never a copy of it: config discovery, the rule
set, discovery of plans, the audit, waivers, the baseline, the gate and the `Report`. It never
prints and never exits: a config, option, baseline or rule pack that cannot be used raises
`InputError` (the CLI's exit 2); a plan or path that cannot be used is an error in the report,
and the other plans are still audited. The only file it writes is `write_baseline`, and only
after checking that no output the caller names is a file the run read (`outputs.py`).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from strataudit.audit import Auditor, audit_targets, discover
from strataudit.config import Config, find_config, load_config
from strataudit.gate import FAIL_LEVELS, judge
from strataudit.loader import display_name
from strataudit.outputs import identities, refuse_inputs, write_atomic
from strataudit.reports import needs_plans
from strataudit.results import InputProblem, Report, Waiver
from strataudit.rulefile import RuleSet, check_known_ids, load_ruleset
from strataudit.suppress import apply_baseline, apply_waivers, read_baseline, save_baseline

STDIN = "-"  # the target that means standard input (its text: `RunOptions.stdin_text`)


@dataclass(frozen=True)
class RunOptions:
    """Everything a run takes besides its targets (the CLI's `audit` options)."""

    stdin_text: str | None = None  #: the text of the `-` target, already read and decoded
    #: why standard input could not be read (empty, not UTF-8, too large): the `-` target's
    #: error, reported beside the other targets' results
    stdin_error: InputProblem | None = None
    packs: tuple[Path, ...] = ()  #: extra rule pack folders (after the config's)
    select: tuple[str, ...] = ()  #: rule ids or categories (comma lists allowed); overrides config
    ignore: tuple[str, ...] = ()  #: rule ids or categories to skip, besides the config's
    fail_on: str | None = None  #: error | warning | info | never; None: the config's, or error
    config: Path | None = None  #: the config file; None: `strataudit.yaml` found from `cwd`
    find_config: bool = True  #: with no `config`, look in the working folder and its parents
    baseline: Path | None = None  #: count only findings not in this baseline
    write_baseline: Path | None = None  #: record the findings in this baseline file
    as_of: datetime.date | None = None  #: the day waivers are judged on; None: today
    jobs: int = 1  #: audit plans in this many processes
    #: files named that are not plans, or fragments no plan named includes, are skipped
    #: rather than audited (the pre-commit hook passes every changed YAML and JSON file)
    skip_non_plans: bool = False
    stdin_name: str | None = None  #: standard input's file name in reports (`<stdin>` if None)
    formats: tuple[str, ...] = ("json",)  #: the formats the caller renders (html keeps models)
    outputs: tuple[Path, ...] = ()  #: files the caller will write: refused if the run reads them
    #: waivers granted elsewhere (the service's record), applied after the config's
    waivers: tuple[Waiver, ...] = ()
    #: called as `progress(done, total)` after each plan (a progress bar); never prints itself
    progress: Callable[[int, int], object] | None = field(default=None, compare=False)


def _split(values: Sequence[str]) -> tuple[str, ...]:
    """`("goals,SEG002", "GOL008")` -> `("goals", "SEG002", "GOL008")`."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def rule_set(options: RunOptions, config: Config) -> RuleSet:
    """The rules that run: built-ins and packs, selected, ignored, with severity overrides."""
    ruleset = load_ruleset((*config.packs, *options.packs))
    select, ignore = _split(options.select), _split(options.ignore)
    check_known_ids(select, ruleset, "--select")
    check_known_ids(ignore, ruleset, "--ignore")
    check_known_ids(config.names(), ruleset, config.file or "strataudit.yaml", config.lines)
    return ruleset.select(select or config.select, ignore + config.ignore).with_severities(
        config.severity
    )


_AUDITORS: dict[str, Auditor] = {}
RETIRE_AT = 512  # sessions held by failed plans: a fresh engine long before the engine's 1,024


def auditor_for(ruleset: RuleSet, placeholders: frozenset[str] = frozenset()) -> Auditor:
    """The compiled engine of a rule set, reused by every run in this process with the same
    rules: compiling is cheap, but the engine never gives back the memory of a ruleset it
    holds (about 12 MiB each), so a service or a test suite making an engine per run grows.
    An engine whose failed plans hold many sessions is replaced (they are never reused)."""
    key = hashlib.sha256("\n".join(r.fingerprint for r in ruleset).encode()).hexdigest() + "".join(
        f"\x1f{p}" for p in sorted(placeholders)
    )
    cached = _AUDITORS.get(key)
    if cached is None or cached.engine.live_sessions() >= RETIRE_AT:
        _AUDITORS[key] = Auditor(ruleset, placeholders)
    return _AUDITORS[key]


def _config(options: RunOptions) -> tuple[Config, Path | None]:
    path = options.config
    if path is None and options.find_config:
        path = find_config(Path.cwd())
    return load_config(path, display_name(path) if path else None), path


def run(targets: Sequence[str | Path], options: RunOptions | None = None) -> Report:
    """Audit `targets` (plan files, folders, `-` for `options.stdin_text`) into a `Report`."""
    options = options or RunOptions()
    names = [str(t) for t in targets]
    config, config_path = _config(options)
    ruleset = rule_set(options, config)
    entries = read_baseline(options.baseline) if options.baseline else None
    pack_files = [p for pack in (*config.packs, *options.packs) for p in Path(pack).rglob("*")]
    read = identities(
        [
            *(n for n in names if n != STDIN),
            *([config_path] if config_path else []),
            *([options.baseline] if options.baseline else []),
            *pack_files,
        ]
    )
    outputs = (*options.outputs, *([options.write_baseline] if options.write_baseline else []))
    refuse_inputs(outputs, read)  # early: before the audit's time is spent
    found = discover(
        names, options.stdin_text, options.skip_non_plans, options.stdin_name, options.stdin_error
    )
    total = len(found.targets)
    tally = [0]

    def done(n: int) -> None:
        tally[0] += n
        if options.progress is not None:
            options.progress(tally[0], total)

    placeholders = frozenset(config.placeholders)
    results = audit_targets(
        ruleset,
        found.targets,
        options.jobs,
        done,
        needs_plans(options.formats),
        auditor=auditor_for(ruleset, placeholders) if options.jobs <= 1 or total < 2 else None,
        placeholders=placeholders,
    )
    today = options.as_of or datetime.date.today()
    waivers = (*config.waivers, *options.waivers)
    waived = apply_waivers(results, waivers, today, set(ruleset.by_id))
    results = waived.results
    read |= identities([*found.files, *(s for r in results for s in r.sources)])
    refuse_inputs(outputs, read)
    resolved: tuple[dict[str, object], ...] = ()
    if entries is not None:
        results, resolved = apply_baseline(results, entries)
    written = None
    if options.write_baseline is not None:
        count = save_baseline(options.write_baseline, results, write_atomic)
        written = (str(options.write_baseline), count)
    errors = (*found.errors, *(p for r in results for p in r.problems))
    level = FAIL_LEVELS[options.fail_on or config.fail_on or "error"]
    verdict = judge(results, level, run_errors=len(found.errors), expired=waived.expired)
    return Report(
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
        baseline_file=str(options.baseline) if options.baseline else None,
        baseline_written=written,
        inputs=read,
    )
