"""The audit pipeline for one or many plans: file -> model -> facts -> engine -> findings.

It never exits and never prints: input errors become part of the result, so one bad plan does
not stop the others from being audited and reported.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from strataudit.compiler import compile_rules
from strataudit.config import CONFIG_NAME
from strataudit.engine import Engine, EngineError
from strataudit.errors import InputError
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
        self.program = compile_rules(list(ruleset))
        self.engine = Engine(self.program)

    def findings(self, loaded: LoadedPlan) -> list[Finding]:
        """The findings of a loaded plan (facts, one engine run, findings)."""
        assert loaded.plan.plan is not None
        base = build_facts(loaded.plan)
        matches = self.engine.run(base.for_engine())
        return build_findings(matches, self.ruleset, base, loaded.locator, loaded.plan.plan.id)

    def audit(self, target: Target) -> PlanResult:
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


def _plan_files(directory: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory):
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
    for path in _plan_files(directory):
        found.files.add(os.path.realpath(path))
        try:
            text = read_text(path, display_name(path))
        except InputError as exc:
            found.errors.append(exc.problem)
            continue
        if "strataudit" not in text:
            found.skipped.append(display_name(path))
            continue
        if (
            not path.name.endswith(".json")
            and _TOP_KEY.search(text)
            and text.count("include") == len(_NO_INCLUDE.findall(text))
        ):
            plans.append(path)
            continue
        try:
            doc = load_document(path, display_name(path), text)
        except InputError as exc:
            found.errors.append(exc.problem)
            continue
        data = doc.data
        if not isinstance(data, dict) or "strataudit" not in data:
            found.skipped.append(display_name(path))
            continue
        plans.append(path)
        for name in data.get("include") or []:
            if isinstance(name, str):
                included.add(os.path.realpath(path.parent / name))
    for path in plans:
        if os.path.realpath(path) not in included:
            found.targets.append(Target(path, display_name(path)))


_SHARED = threading.local()  # per thread: a durable-rules Host is not thread-safe
MAX_RETIRED_SESSIONS = 64  # a shared Auditor is rebuilt past this many failed plans


def shared_auditor(ruleset: RuleSet) -> Auditor:
    """The Auditor of `ruleset` for this thread, reused by later runs with the same rules.

    Building one (compiling the rules, registering them in the engine) costs more than
    auditing a typical plan, and a long-lived process (the service's workers) runs many plans;
    one engine auditing plan after plan is what `Engine` is built for (hazard 6). The key is
    the identity of each rule's spec, kept alive by the cache so that no other spec can take
    its id; a failed plan retires an engine session, so past `MAX_RETIRED_SESSIONS` of them a
    fresh Auditor is built (the engine's limit is 1,024)."""
    key = tuple(id(rule.spec) for rule in ruleset)
    cached: tuple[tuple[int, ...], RuleSet, Auditor] | None = getattr(_SHARED, "auditor", None)
    if (
        cached is not None
        and cached[0] == key
        and cached[2].engine.live_sessions() <= MAX_RETIRED_SESSIONS
    ):
        return cached[2]
    auditor = Auditor(ruleset)
    _SHARED.auditor = (key, ruleset, auditor)
    return auditor


def audit_targets(
    ruleset: RuleSet,
    targets: list[Target],
    jobs: int = 1,
    done: Callable[[int], object] | None = None,
    keep_plans: bool = True,
) -> list[PlanResult]:
    """Audit every target, in order; with jobs > 1, in that many processes (a durable-rules
    Host is not thread-safe, so parallel audits get a process, and an engine, each).
    `done(1)` is called after each plan (a progress bar). Workers send the plan models back
    only when `keep_plans` (the HTML report draws them): pickling them cost more than the audit.

    An interrupt (KeyboardInterrupt, or the CLI's SIGTERM exception) stops the workers at once
    and goes on: the run ends without a report, never with a partial one."""
    results: list[PlanResult] = []
    if jobs <= 1 or len(targets) < 2:
        auditor = shared_auditor(ruleset)
        for target in targets:
            results.append(auditor.audit(target))
            if done:
                done(1)
        return results
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, min(32, len(targets) // (jobs * 8)))
    pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(ruleset, keep_plans))
    try:
        for result in pool.map(_audit_in_worker, targets, chunksize=chunk):
            results.append(result)
            if done:
                done(1)
    except BaseException:
        # `shutdown` would wait for the queued plans; the workers are stopped instead (the
        # executor has no public way before Python 3.14's `terminate_workers`).
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
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


def _audit_in_worker(target: Target) -> PlanResult:
    assert _WORKER is not None
    result = _WORKER.audit(target)
    if result.plan is None or not _KEEP_PLANS:
        return replace(result, plan=None)
    # The parsed documents key their marks by object identity, which does not survive pickling;
    # the findings already carry their locations, so only the plan model travels back.
    loaded = result.plan
    return replace(result, plan=LoadedPlan(loaded.file, loaded.plan, Locator([]), ()))
