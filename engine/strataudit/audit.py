"""The audit pipeline for one or many plans: file -> model -> facts -> engine -> findings.

It never exits and never prints: input errors become part of the result, so one bad plan does
not stop the others from being audited and reported.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from strataudit.compiler import GrammarError, compile_rules
from strataudit.config import CONFIG_NAME
from strataudit.engine import Engine, EngineError
from strataudit.errors import InputError, input_error
from strataudit.facts import FactError, build_facts
from strataudit.findings import build_findings
from strataudit.loader import LoadedPlan, Locator, display_name, include_entries, load_plan
from strataudit.results import Finding, InputProblem, PlanResult
from strataudit.rulefile import RuleSet
from strataudit.source import load_document, read_text

__all__ = ["Auditor", "PlanResult", "Target", "audit_targets", "discover"]

PLAN_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Target:
    """A plan to audit: a path (or standard input when `text` is given) and its display name."""

    path: Path | None
    display: str
    text: str | None = None


class Auditor:
    """Compiles a rule set once, then audits plans one after another on one engine."""

    def __init__(self, ruleset: RuleSet, placeholders: frozenset[str] = frozenset()) -> None:
        self.ruleset = ruleset
        self.placeholders = placeholders  # the config's, besides facts.PLACEHOLDERS
        try:
            self.program = compile_rules(list(ruleset))
        except GrammarError as exc:  # a rule set the engine cannot hold: the packs' to fix
            packs = sorted({str(Path(r.file).parent) for r in ruleset if not r.builtin})
            raise input_error(
                ", ".join(packs) or "the rule catalogue",
                None,
                None,
                f"the rule set cannot run in the engine: {exc}",
                "merge derivations that assert the same kind of fact, or split the pack",
            ) from None
        self.engine = Engine(self.program)

    def findings(self, loaded: LoadedPlan) -> list[Finding]:
        """The findings of a loaded plan (facts, one engine run, findings)."""
        assert loaded.plan.plan is not None
        base = build_facts(loaded.plan, self.placeholders, loaded.provenance)
        matches = self.engine.run_isolated(base.for_engine(), trigger=base.trigger)
        return build_findings(matches, self.ruleset, base, loaded.locator, loaded.plan.plan.id)

    def audit(self, target: Target) -> PlanResult:
        """One plan; whatever goes wrong with it, even a defect of ours, is that plan's error.

        Input errors and engine failures are handled below; anything else (a bug) becomes an
        "internal error" for this plan only, so one plan never hides the others of a batch.
        The result carries the wall-clock time the audit took (`PlanResult.duration`)."""
        started = time.perf_counter()
        result = self._audit_guarded(target)
        return replace(result, duration=time.perf_counter() - started)

    def _audit_guarded(self, target: Target) -> PlanResult:
        try:
            return self._audit_paused(target)
        except MemoryError:
            pass  # answered below, once the half-built plan is gone (raising here kept it alive)
        except Exception as exc:
            message = f"internal error while auditing this plan: {exc!r}"
            hint = "this is a defect of strataudit: please report it with the plan"
            problem = InputProblem(target.display, None, None, message, hint)
            return PlanResult(target.display, None, error=problem)
        message = "the plan is too large to audit in the memory available"
        hint = "split it into smaller plans, or audit it on a machine with more memory"
        return PlanResult(
            target.display, None, error=InputProblem(target.display, None, None, message, hint)
        )

    def _audit_paused(self, target: Target) -> PlanResult:
        """One plan; whatever goes wrong with it is its own error, the others go on.

        The cyclic garbage collector is paused meanwhile: a plan is many small acyclic dicts
        and lists, whose collector passes cost a quarter of parsing and validating at 20,000
        entities; reference counting still frees them, and cycles wait for the next pass."""
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._audit(target)
        finally:
            if paused:
                gc.enable()

    def _audit(self, target: Target) -> PlanResult:
        named = (os.path.realpath(target.path),) if target.path is not None else ()
        try:
            loaded = load_plan(target.path, target.display, target.text)
        except InputError as exc:
            return PlanResult(
                target.display,
                None,
                error=exc.problem,
                more_errors=exc.problems[1:],
                sources=named,
            )
        assert loaded.plan.plan is not None
        plan_id = loaded.plan.plan.id
        sources = tuple(os.path.realpath(d.path) for d in loaded.documents if d.path)
        try:
            findings = tuple(self.findings(loaded))
        except (FactError, EngineError) as exc:
            where = loaded.locator.locate(("plan",))
            hint = "check the plan's amounts" if isinstance(exc, FactError) else exc.hint
            problem = InputProblem(loaded.file, where.line, where.column, str(exc), hint)
            return PlanResult(loaded.file, plan_id, error=problem, sources=sources)
        level = loaded.plan.plan.level or "full"
        return PlanResult(
            loaded.file,
            plan_id,
            findings,
            plan=loaded,
            sources=sources,
            level=level,
            not_applicable=tuple(r.id for r in self.ruleset if not r.applies_at(level)),
        )


@dataclass
class Discovery:
    """What a set of command-line paths names: plans to audit, skipped files, path errors."""

    targets: list[Target] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[InputProblem] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # every file looked at (real paths)


@dataclass
class _Candidate:
    """A file to classify: found under a folder, or named (named files must be plans)."""

    path: Path
    named: bool
    kind: str = "plan"  # plan | fragment (no `plan` section) | other (no `strataudit` key)


STDIN_NAME = "<stdin>"  # the display name of standard input when none is given


def discover(
    paths: list[str],
    stdin_text: str | None = None,
    skip_non_plans: bool = False,
    stdin_name: str | None = None,
    stdin_error: InputProblem | None = None,
) -> Discovery:
    """The plans that `paths` name, each audited once, with what it includes.

    Files named together behave like the files of a folder: a file that another plan of the
    set includes is audited only through it, never alone. A named file is otherwise audited
    (so one that is not a plan is an input error saying so), unless `skip_non_plans` (the
    pre-commit hook, which passes every changed YAML and JSON file): then a named file with no
    top-level `strataudit` key, or a fragment (no `plan` section) that no plan of the set
    includes, is skipped (listed in `skipped`; the CLI notes it). `stdin_name` is standard
    input's display name (`--stdin-filename`); `stdin_error` why it could not be read: that
    target's error, the others are still audited."""
    found = Discovery()
    candidates: list[_Candidate | Target] = []
    seen: set[str] = set()
    for raw in paths:
        if raw == "-":
            if stdin_error is not None:
                found.errors.append(stdin_error)
            else:
                candidates.append(Target(None, stdin_name or STDIN_NAME, stdin_text or ""))
            continue
        path = Path(raw)
        listed = _plan_files(path, found) if path.is_dir() else iter((path,))
        for file in listed:
            real = os.path.realpath(file)
            if real not in seen:  # named twice, or named and under a folder: audited once
                seen.add(real)
                candidates.append(_Candidate(file, named=not path.is_dir()))
    included: set[str] = set()
    alone = len(candidates) == 1  # one named plan: nothing else can include it
    for item in candidates:
        if isinstance(item, _Candidate) and (skip_non_plans or not alone or not item.named):
            _classify(item, included, found, thorough=skip_non_plans)
    for item in candidates:
        if isinstance(item, Target):
            found.targets.append(item)
            continue
        if os.path.realpath(item.path) in included:
            continue  # audited through the plan that includes it
        fate = _fate(item, skip_non_plans)
        if fate == "audit":
            found.targets.append(Target(item.path, display_name(item.path)))
        elif fate == "skip":
            found.skipped.append(display_name(item.path))
    return found


def _fate(item: _Candidate, skip_non_plans: bool) -> str:
    """`audit`, `skip` (listed as skipped) or `drop` (its read error is already reported).

    A folder's fragment that nothing includes is audited as a plan of its own, so that its
    missing `plan` section is reported; a named file that cannot be read is audited, so that
    its audit says why."""
    if item.kind == "plan":
        return "audit"
    if not item.named:
        return {"fragment": "audit", "other": "skip", "error": "drop"}[item.kind]
    return "audit" if item.kind == "error" or not skip_non_plans else "skip"


def _plan_files(directory: Path, found: Discovery) -> Iterator[Path]:
    """Files with a plan suffix, in a stable order. Symbolic links to folders are not followed
    (no loop can trap the walk); a folder that cannot be listed is an error, not a silent gap:
    a gate must not pass plans it did not see."""

    def unreadable(exc: OSError) -> None:
        name = display_name(Path(exc.filename)) if exc.filename else display_name(directory)
        found.errors.append(
            InputProblem(
                name,
                None,
                None,
                f"cannot be read: {exc.strerror}",
                "check the folder's permissions",
            )
        )

    for root, dirs, files in os.walk(directory, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(PLAN_SUFFIXES) and name != CONFIG_NAME:
                yield Path(root) / name


_TOP_KEY = re.compile(r"^strataudit[ \t]*:", re.MULTILINE)
_NO_INCLUDE = re.compile(r"^include[ \t]*:[ \t]*(\[[ \t]*\]|~|null)[ \t]*(#.*)?$", re.MULTILINE)


def _classify(item: _Candidate, included: set[str], found: Discovery, thorough: bool) -> None:
    """Whether `item` is a plan, a fragment or another file, and which files it includes.

    A YAML file with `strataudit:` at the start of a line, and no word `include` but in a
    top-level `include: []`, is a plan that includes nothing: it is not parsed twice (it is
    parsed when audited), unless `thorough` asks whether it has a `plan` section. Anything
    less plain is parsed here. A named file that cannot be read is left to its audit, which
    reports why; under a folder, the error is reported here."""
    found.files.add(os.path.realpath(item.path))
    exhausted = False
    try:
        item.kind = _look_at(item.path, included, thorough, item.named)
    except InputError as exc:  # a special file, a link loop, bad bytes: refused unopened
        item.kind = "error"
        if not item.named:
            found.errors.append(exc.problem)
    except MemoryError:
        exhausted = True  # reported once the exception, and the data it holds, are freed
    if exhausted:
        item.kind = "error"
        if not item.named:
            found.errors.append(_too_large(item.path))


def _look_at(path: Path, included: set[str], thorough: bool, named: bool) -> str:
    """`plan`, `fragment` or `other`; adds the files `path` includes to `included`.

    A named file is audited whatever it is (unless `thorough`): only its includes matter
    here, so one without the word `include` is not parsed (it is parsed when audited)."""
    text = read_text(path, display_name(path))
    if "strataudit" not in text:
        return "other"
    if named and not thorough and "include" not in text:
        return "plan"
    if (
        not thorough
        and not path.name.endswith(".json")
        and _TOP_KEY.search(text)
        and text.count("include") == len(_NO_INCLUDE.findall(text))
    ):
        return "plan"
    data = load_document(path, display_name(path), text).data
    if not isinstance(data, dict) or "strataudit" not in data:
        return "other"
    for _where, name, _context in include_entries(data):  # the others: the plan's error
        included.add(os.path.realpath(path.parent / name))
    return "plan" if "plan" in data else "fragment"


def _too_large(path: Path) -> InputProblem:
    return InputProblem(
        display_name(path),
        None,
        None,
        "the file is too large for the memory available",
        "split the plan into files joined with `include:`, or audit it on a larger machine",
    )


def audit_targets(
    ruleset: RuleSet,
    targets: list[Target],
    jobs: int = 1,
    done: Callable[[int], object] | None = None,
    keep_plans: bool = True,
    auditor: Auditor | None = None,
    placeholders: frozenset[str] = frozenset(),
) -> list[PlanResult]:
    """Audit every target, in order; with jobs > 1, in that many processes (a durable-rules
    Host is not thread-safe, so parallel audits get a process, and an engine, each).
    `done(1)` is called after each plan (a progress bar). Workers send the plan models back
    only when `keep_plans` (the HTML report draws them): pickling them cost more than the audit.
    `auditor`: an engine compiled from `ruleset` before, for a run in this process.
    `placeholders`: the config's values that count as missing (for the auditors made here).

    An interrupt (KeyboardInterrupt, or the CLI's SIGTERM exception) stops the workers at once
    and goes on: the run ends without a report, never with a partial one."""
    results: list[PlanResult] = []
    if jobs <= 1 or len(targets) < 2:
        auditor = auditor or Auditor(ruleset, placeholders)
        for target in targets:
            results.append(auditor.audit(target))
            if done:
                done(1)
        return results
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(32, len(targets) // (jobs * 8)))
    pool = ProcessPoolExecutor(
        jobs, initializer=_init_worker, initargs=(ruleset, keep_plans, placeholders)
    )
    try:
        chunks = [targets[i : i + size] for i in range(0, len(targets), size)]
        for future in [pool.submit(_audit_chunk, chunk) for chunk in chunks]:
            for result in future.result():
                results.append(result)
                if done:
                    done(1)
    except BaseException:
        # `shutdown` would wait for the queued plans: the workers are stopped instead (the
        # executor has no public way before Python 3.14's `terminate_workers`), and it fails
        # the queued futures itself (had they been cancelled, as `map` does, its thread
        # would trip over them).
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False)
        raise
    pool.shutdown()
    return results


_WORKER: Auditor | None = None
_KEEP_PLANS = True


def _init_worker(ruleset: RuleSet, keep_plans: bool, placeholders: frozenset[str]) -> None:
    """A worker ends at SIGTERM (the parent's handler would report it as a task's error) and
    leaves Ctrl-C to the parent, which stops it."""
    global _WORKER, _KEEP_PLANS
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = Auditor(ruleset, placeholders)
    _KEEP_PLANS = keep_plans


def _audit_chunk(targets: list[Target]) -> list[PlanResult]:
    return [_audit_in_worker(t) for t in targets]


def _audit_in_worker(target: Target) -> PlanResult:
    assert _WORKER is not None
    result = _WORKER.audit(target)
    if result.plan is None or not _KEEP_PLANS:
        return replace(result, plan=None)
    # The parsed documents key their marks by object identity, which does not survive pickling;
    # the findings already carry their locations, so only the plan model travels back.
    loaded = result.plan
    return replace(result, plan=replace(loaded, locator=Locator([]), documents=()))
