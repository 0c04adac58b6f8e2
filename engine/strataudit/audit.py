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
from strataudit.loader import LoadedPlan, Locator, display_name, load_plan
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

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
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
        base = build_facts(loaded.plan)
        matches = self.engine.run_isolated(base.for_engine())
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
            return PlanResult(target.display, None, error=exc.problem, sources=named)
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
        return PlanResult(loaded.file, plan_id, findings, plan=loaded, sources=sources)


@dataclass
class Discovery:
    """What a set of command-line paths names: plans to audit, skipped files, path errors."""

    targets: list[Target] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[InputProblem] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # every file looked at (real paths)


def discover(paths: list[str], stdin_text: str | None = None) -> Discovery:
    """Files named are plans; directories yield their plans that no other file includes."""
    found = Discovery()
    for raw in paths:
        if raw == "-":
            found.targets.append(Target(None, "<stdin>", stdin_text or ""))
            continue
        path = Path(raw)
        if path.is_dir():
            _discover_dir(path, found)
        else:
            found.targets.append(Target(path, display_name(path)))
    return found


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


def _discover_dir(directory: Path, found: Discovery) -> None:
    """Plans are files with a top-level `strataudit` key; included files are not audited alone.

    A YAML file with `strataudit:` at the start of a line, and no word `include` but in a
    top-level `include: []`, is a plan that includes nothing: it is not parsed twice (it is
    parsed when audited). Anything less plain is parsed here."""
    plans: list[Path] = []
    included: set[str] = set()
    for path in _plan_files(directory, found):
        found.files.add(os.path.realpath(path))
        exhausted = False
        try:
            _look_at(path, plans, included, found)
        except InputError as exc:  # a special file, a link loop, bad bytes: refused unopened
            found.errors.append(exc.problem)
        except MemoryError:
            exhausted = True  # reported once the exception, and the data it holds, are freed
        if exhausted:
            found.errors.append(_too_large(path))
    for path in plans:
        if os.path.realpath(path) not in included:
            found.targets.append(Target(path, display_name(path)))


def _look_at(path: Path, plans: list[Path], included: set[str], found: Discovery) -> None:
    """Whether `path` is a plan (appended to `plans`), and which files it includes."""
    text = read_text(path, display_name(path))
    if "strataudit" not in text:
        found.skipped.append(display_name(path))
        return
    if (
        not path.name.endswith(".json")
        and _TOP_KEY.search(text)
        and text.count("include") == len(_NO_INCLUDE.findall(text))
    ):
        plans.append(path)
        return
    data = load_document(path, display_name(path), text).data
    if not isinstance(data, dict) or "strataudit" not in data:
        found.skipped.append(display_name(path))
        return
    plans.append(path)
    includes = data.get("include")
    for name in includes if isinstance(includes, list) else ():  # else: the plan's error
        if isinstance(name, str):
            included.add(os.path.realpath(path.parent / name))


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
) -> list[PlanResult]:
    """Audit every target, in order; with jobs > 1, in that many processes (a durable-rules
    Host is not thread-safe, so parallel audits get a process, and an engine, each).
    `done(1)` is called after each plan (a progress bar). Workers send the plan models back
    only when `keep_plans` (the HTML report draws them): pickling them cost more than the audit.
    `auditor`: an engine compiled from `ruleset` before, for a run in this process.

    An interrupt (KeyboardInterrupt, or the CLI's SIGTERM exception) stops the workers at once
    and goes on: the run ends without a report, never with a partial one."""
    results: list[PlanResult] = []
    if jobs <= 1 or len(targets) < 2:
        auditor = auditor or Auditor(ruleset)
        for target in targets:
            results.append(auditor.audit(target))
            if done:
                done(1)
        return results
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(32, len(targets) // (jobs * 8)))
    pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(ruleset, keep_plans))
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


def _init_worker(ruleset: RuleSet, keep_plans: bool) -> None:
    """A worker ends at SIGTERM (the parent's handler would report it as a task's error) and
    leaves Ctrl-C to the parent, which stops it."""
    global _WORKER, _KEEP_PLANS
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = Auditor(ruleset)
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
    return replace(result, plan=LoadedPlan(loaded.file, loaded.plan, Locator([]), ()))
