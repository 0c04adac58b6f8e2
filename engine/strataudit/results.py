"""The result types every front end and every report reads: frozen, documented, engine-free.

This module imports nothing of the package but its version constants, so a renderer, the gate,
the config or a service can use these types without loading the parser or the rule engine
(a test checks it in a fresh interpreter; see docs/architecture.md, "Dependency direction").

One rule for counting, applied by the gate's reasons and by every format: each finding is in
exactly one *state*, decided in this order:

1. `waived`: a live waiver covers it (reported, not counted); it may also be in the baseline,
   but the waiver says more (who accepted it, until when), so it counts as waived only;
2. `expired`: a waiver covered it but has expired: it counts again, and a baseline cannot
   hide it (the expiry is the point at which someone must look at it again);
3. `baselined`: it is in the baseline (reported, not counted);
4. `open`: none of these; it counts.

So `counted + waived + baselined == findings`, and `expired` is the part of `counted` that a
waiver used to cover.
"""

from __future__ import annotations

import datetime
import enum
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from strataudit import RULES_VERSION, __version__

if TYPE_CHECKING:  # for annotations only: neither is imported at run time
    from strataudit.loader import LoadedPlan
    from strataudit.rulefile import RuleSet


class Severity(enum.IntEnum):
    """Ordered so that the gate can compare: error > warning > info."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        """The lower-case name used in reports and options (`error`, `warning`, `info`)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """`"warning"` -> `Severity.WARNING` (case-insensitive)."""
        return cls[text.upper()]


SEVERITIES = tuple(sorted(Severity, reverse=True))  # error, warning, info: the report order


@dataclass(frozen=True)
class Location:
    """Where a finding points: the file the user wrote, 1-based line and column, plan path."""

    file: str  #: the file as the user named it (relative to the working directory if under it)
    line: int  #: 1-based line of the value the finding is about
    column: int  #: 1-based column, in Unicode code points
    path: str  #: the path in the plan, e.g. `products[PR-1].segments`


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input file (a plan, a rule pack, a config, a baseline, a path).

    Every input error names the file, line and column, the path in the plan, what is wrong and
    what would fix it, because a reviewer must be able to act on it without a traceback."""

    file: str  #: the file as the user named it (or `<stdin>`)
    line: int | None  #: 1-based line, when the problem is at a place in the file
    column: int | None  #: 1-based column, with `line`
    message: str  #: what is wrong
    hint: str  #: what would fix it
    path: str = ""  #: the path in the plan or config, when known

    def render(self) -> str:
        """`file:line:col: message (at path)` and an indented hint: the form stderr shows."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.message}"
        if self.path:
            text += f" (at {self.path})"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass(frozen=True)
class Waiver:
    """An accepted finding, with who accepted it, why, and until when (config `waivers:`)."""

    rule: str  #: the rule id it waives
    reason: str  #: why the finding is accepted
    owner: str  #: who accepted it
    expires: datetime.date  #: its last valid day
    entity: str | None = None  #: the entity it waives the rule on
    path: str | None = None  #: or the plan path; with neither, the rule's plan-wide finding
    files: str | None = None  #: a glob on the audited plan's file name
    source: str = ""  #: where it was written: `strataudit.yaml:12`

    def describe(self) -> str:
        """`SEG002 on PR-1 until 2027-06-30 (owner)`: one line for notes and reports."""
        target = self.entity or self.path or "(plan-wide)"
        return f"{self.rule} on {target} until {self.expires.isoformat()} ({self.owner})"


class State(enum.Enum):
    """A finding's state for the gate and the counts (see the module docstring)."""

    WAIVED = "waived"
    EXPIRED = "expired"
    BASELINED = "baselined"
    OPEN = "open"

    @property
    def counts(self) -> bool:
        """Whether the gate counts a finding in this state."""
        return self in (State.OPEN, State.EXPIRED)


@dataclass(frozen=True)
class Cause:
    """The finding another one follows from: a reference that names nothing (CON001), whose
    fix clears both (SWT003 on T3 because an action wrote `T03`)."""

    fingerprint: str  #: the causing finding's fingerprint
    rule: str  #: its rule, e.g. `CON001`
    entity: str | None  #: the entity it is on (the one that wrote the bad reference)
    detail: str | None = None  #: its detail (the bad id)

    def describe(self) -> str:
        """`CON001 on A1 (`T03`)`: one line under the finding it causes."""
        text = f"{self.rule} on {self.entity or '(plan)'}"
        return f"{text} (`{self.detail}`)" if self.detail is not None else text


@dataclass(frozen=True)
class Finding:
    """What is wrong, where, why it matters and how to fix it."""

    rule: str  #: the rule id, e.g. `SEG002`
    severity: Severity  #: after the config's overrides
    category: str  #: the rule's category, e.g. `segmentation`
    message: str  #: the rule's message, filled with the plan's labels and numbers
    location: Location  #: where the reviewer should look
    entity: str | None  #: the entity's id for per-entity rules; None for plan-wide findings
    fingerprint: str  #: stable id (rule, plan, entity, path, detail): what a baseline records
    rationale: str  #: why it matters
    remediation: str  #: how to fix it
    source: str  #: the principle or sentence the rule rests on
    title: str  #: the rule's title
    plan_id: str  #: the audited plan's `plan.id`
    detail: str | None = None  #: what tells two findings on one entity apart (CON001: the bad id)
    items: tuple[str, ...] = field(default=())  #: the cases or joined facts the finding lists
    waiver: Waiver | None = None  #: a live waiver covers it: reported, not counted by the gate
    baselined: bool = False  #: it is in the baseline (whether or not a waiver also covers it)
    expired_waiver: Waiver | None = None  #: a waiver that covered it has expired: it counts
    caused_by: Cause | None = None  #: the dangling reference it follows from, if any

    @property
    def state(self) -> State:
        """Its one state, by the precedence in the module docstring."""
        if self.waiver is not None:
            return State.WAIVED
        if self.expired_waiver is not None:
            return State.EXPIRED
        if self.baselined:
            return State.BASELINED
        return State.OPEN

    @property
    def counts(self) -> bool:
        """Whether the gate counts this finding."""
        return self.state.counts

    def describe(self) -> str:
        """`SWT003 on T3`: the finding in a few words, for the lines that link causes."""
        return f"{self.rule} on {self.entity or '(plan)'}"

    def sort_key(self) -> tuple[str, int, str, int, str]:
        """File, line, rule, column, path: the order of every report."""
        return (
            self.location.file,
            self.location.line,
            self.rule,
            self.location.column,
            self.location.path,
        )


def effects_of(findings: tuple[Finding, ...] | list[Finding]) -> dict[str, list[Finding]]:
    """The causing finding's fingerprint -> the findings whose `caused_by` names it, in order:
    what a report shows under a cause."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        if f.caused_by is not None:
            out.setdefault(f.caused_by.fingerprint, []).append(f)
    return out


@dataclass(frozen=True)
class StateCounts:
    """How many findings are in each state (counted = open + expired)."""

    findings: int = 0  #: all findings
    counted: int = 0  #: findings the gate counts (at any severity)
    waived: int = 0  #: covered by a live waiver
    baselined: int = 0  #: in the baseline and not waived
    expired: int = 0  #: counted because their waiver expired (part of `counted`)

    @classmethod
    def of(cls, findings: tuple[Finding, ...] | list[Finding]) -> StateCounts:
        """Count `findings` by state: the one function behind every number a report shows."""
        states = Counter(f.state for f in findings)
        return cls(
            findings=len(findings),
            counted=states[State.OPEN] + states[State.EXPIRED],
            waived=states[State.WAIVED],
            baselined=states[State.BASELINED],
            expired=states[State.EXPIRED],
        )


@dataclass(frozen=True)
class PlanResult:
    """The outcome for one audited file: its findings, or the input error that stopped it."""

    file: str  #: the audited plan file as the user named it (or `<stdin>`)
    plan_id: str | None  #: its `plan.id`, when it loaded that far
    findings: tuple[Finding, ...] = ()  #: in report order
    error: InputProblem | None = None  #: why it could not be audited
    plan: LoadedPlan | None = field(default=None, compare=False, repr=False)  #: for views
    sources: tuple[str, ...] = ()  #: every file read for it (real paths): never written to
    more_errors: tuple[InputProblem, ...] = ()  #: its other input problems, after `error`
    level: str = "full"  #: what it was audited as: its `plan.level` (`full` or `corporate`)
    #: ids of the run's rules that do not apply at that level (their rule files' `levels:`):
    #: a checklist shows them as "not applicable at this level", not as passed
    not_applicable: tuple[str, ...] = ()
    #: the wall-clock seconds its audit took (load, facts, engine, findings), measured by
    #: `Auditor.audit`; a measurement, not an outcome, so two results compare equal without it
    duration: float = field(default=0.0, compare=False)

    @property
    def problems(self) -> tuple[InputProblem, ...]:
        """Every input problem of the plan, `error` first (none when it was audited)."""
        return (self.error, *self.more_errors) if self.error is not None else ()


class Check(enum.Enum):
    """What one rule that ran says about one plan: the checklist's columns.

    `failed`: a finding of the rule counts; `waived`: it has findings and none counts (each is
    waived or baselined: someone accepted it); `passed`: it applies and found nothing;
    `not_applicable`: it ran but does not apply at this plan's level
    (`PlanResult.not_applicable`)."""

    PASSED = "passed"
    FAILED = "failed"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ChecklistRow:
    """One category's rules on one plan, by what each said (`rules` in each column)."""

    category: str  #: the catalogue section, e.g. `goals`
    rules: dict[Check, tuple[str, ...]]  #: rule ids per column, every column present

    def count(self, check: Check) -> int:
        """How many of the category's rules are in that column."""
        return len(self.rules[check])

    @property
    def ran(self) -> int:
        """The category's rules that ran (all four columns)."""
        return sum(len(ids) for ids in self.rules.values())


@dataclass(frozen=True)
class Checklist:
    """What was checked on a plan and what passed: every rule that ran, once, by category."""

    rows: tuple[ChecklistRow, ...]  #: by category name

    @classmethod
    def of(cls, ruleset: RuleSet, result: PlanResult) -> Checklist:
        """Each rule of `ruleset` put in one column from `result`'s findings and states."""
        found: dict[str, list[Finding]] = {}
        for f in result.findings:
            found.setdefault(f.rule, []).append(f)
        by_category: dict[str, dict[Check, list[str]]] = {}
        for rule in ruleset:
            columns = by_category.setdefault(rule.category, {c: [] for c in Check})
            mine = found.get(rule.id, [])
            if rule.id in result.not_applicable and not mine:
                check = Check.NOT_APPLICABLE
            elif any(f.counts for f in mine):
                check = Check.FAILED
            elif mine:
                check = Check.WAIVED
            else:
                check = Check.PASSED
            columns[check].append(rule.id)
        return cls(
            tuple(
                ChecklistRow(name, {c: tuple(ids) for c, ids in columns.items()})
                for name, columns in sorted(by_category.items())
            )
        )

    def total(self, check: Check) -> int:
        """How many rules, over every category, are in that column."""
        return sum(row.count(check) for row in self.rows)

    @property
    def ran(self) -> int:
        """Every rule that ran on the plan."""
        return sum(row.ran for row in self.rows)

    def summary(self) -> str:
        """`50 rules: 41 passed, 6 failed, 1 waived, 2 not applicable`: one line for text."""
        parts = [f"{self.total(c)} {c.value.replace('_', ' ')}" for c in Check if self.total(c)]
        return f"{self.ran} rule{'' if self.ran == 1 else 's'}: " + (", ".join(parts) or "none")


@dataclass(frozen=True)
class PlanVerdict:
    """The gate's verdict on one plan."""

    file: str  #: the plan file, as in `PlanResult.file`
    plan_id: str | None  #: its `plan.id`
    verdict: str  #: `pass`, `fail` or `error` (it could not be audited)
    reasons: tuple[str, ...]  #: why it failed or could not be audited; empty when it passed


@dataclass(frozen=True)
class Verdict:
    """The run's verdict: `error` when any input could not be used, else fail or pass."""

    verdict: str  #: `pass`, `fail` or `error`
    exit_code: int  #: 0 pass, 1 fail, 2 error
    plans: tuple[PlanVerdict, ...]  #: one per audited plan, in order
    reasons: tuple[str, ...]  #: why it failed, or what it let through when it passed


@dataclass(frozen=True)
class Report:
    """Everything one run found, and the answers every format gives from it.

    Renderers ask the report (`verdict_of`, `counts`, `plan_errors`, `fail_on_label`...)
    rather than re-deriving, so that text, JSON, SARIF, JUnit, Markdown and HTML say the same
    numbers."""

    results: tuple[PlanResult, ...]  #: one per audited plan, in the order named
    errors: tuple[InputProblem, ...]  #: every input problem: paths and folders, then plans
    skipped: tuple[str, ...]  #: files under audited folders that are not plans
    verdict: Verdict  #: the gate's verdict
    ruleset: RuleSet  #: the rules that ran (after select, ignore and severity overrides)
    fail_on: Severity | None  #: the lowest severity that fails the gate; None for `never`
    tool_version: str = __version__  #: strataudit's version
    rules_version: str = RULES_VERSION  #: the rule format's version
    as_of: datetime.date = field(default_factory=datetime.date.today)  #: waivers' "today"
    expired_waivers: tuple[Waiver, ...] = ()  #: no longer waive; their findings count again
    unused_waivers: tuple[Waiver, ...] = ()  #: live but matched nothing: to clean up
    resolved: tuple[dict[str, Any], ...] = ()  #: baseline entries no finding matches any more
    baseline_file: str | None = None  #: the baseline compared with, as named
    baseline_written: tuple[str, int] | None = None  #: (file, entries) of `--write-baseline`
    #: the identities (st_dev, st_ino) of every file the run read: never written to
    inputs: frozenset[tuple[int, int]] = field(default=frozenset(), compare=False, repr=False)

    @cached_property
    def findings(self) -> list[Finding]:
        """Every plan's findings in report order (file, line, rule, column, path)."""
        return sorted((f for r in self.results for f in r.findings), key=Finding.sort_key)

    @property
    def fail_on_label(self) -> str:
        """`error`, `warning`, `info` or `never`."""
        return self.fail_on.label if self.fail_on is not None else "never"

    def counts(self, result: PlanResult | None = None) -> StateCounts:
        """Findings by state, for the run or for one plan."""
        return StateCounts.of(self.findings if result is None else result.findings)

    def by_severity(
        self, result: PlanResult | None = None, counted_only: bool = False
    ) -> dict[str, int]:
        """`{"error": n, "warning": n, "info": n}` for the run or for one plan: every finding,
        or only those the gate counts."""
        found = self.findings if result is None else result.findings
        tally = Counter(f.severity for f in found if f.counts or not counted_only)
        return {s.label: tally.get(s, 0) for s in SEVERITIES}

    @cached_property
    def _verdicts(self) -> dict[tuple[str, str | None], PlanVerdict]:
        return {(p.file, p.plan_id): p for p in self.verdict.plans}

    def verdict_of(self, result: PlanResult) -> PlanVerdict:
        """The gate's verdict on one of `results`."""
        found = self._verdicts.get((result.file, result.plan_id))
        if found is not None:
            return found
        state = "error" if result.error is not None else "pass"
        return PlanVerdict(result.file, result.plan_id, state, ())

    def new_first(self, findings: tuple[Finding, ...] | list[Finding]) -> bool:
        """Whether a view should list `findings` new ones first: only when a baseline was
        compared and some of them are in it (so "new" means something)."""
        return self.baseline_file is not None and any(f.baselined for f in findings)

    def checklist(self, result: PlanResult) -> Checklist:
        """What was checked on one plan and what passed, rule by rule (`Checklist`)."""
        return Checklist.of(self.ruleset, result)

    @cached_property
    def plan_errors(self) -> tuple[InputProblem, ...]:
        """The problems that stopped a plan of `results` (its suite, section or row)."""
        return tuple(p for r in self.results for p in r.problems)

    @cached_property
    def other_errors(self) -> tuple[InputProblem, ...]:
        """The problems that never became a plan result: paths, unreadable folder entries."""
        own = set(self.plan_errors)
        return tuple(e for e in self.errors if e not in own)

    @cached_property
    def all_errors(self) -> tuple[InputProblem, ...]:
        """`errors` and every plan's error, each once, in order."""
        return tuple(dict.fromkeys((*self.errors, *self.plan_errors)))
