"""`diff(old, new, options) -> PlanDiff`: what changed between two versions of a plan.

Each version is audited whole (with its includes) by `run()`, never by a second audit of our
own: findings are then matched by fingerprint (rule, plan id, entity, path, detail: no line
numbers), so a finding is new, resolved or unchanged whatever moved around it in the file.
What moved in the plan itself (budgets, goal targets and deadlines, entities added and
removed) is read from the two loaded models, with both values: the diff reports values, it
never decides whether a value is good (that is a rule's job, and the findings say it).

Exit code (`PlanDiff.exit_code`): 2 when either version could not be audited, 1 when a new
finding counts at or above the fail level, 0 otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strataudit.model import Plan
from strataudit.results import Finding, PlanResult, Report, Severity
from strataudit.runner import RunOptions, run

Value = float | str | None  # a budget or target (a number), a deadline (ISO date), absent


@dataclass(frozen=True)
class EntityRef:
    """An entity of the plan, by kind and id (and its label, for people)."""

    kind: str  #: unit, goal, segment, product, action...: the table `ENTITIES` names them
    id: str  #: its id in the plan
    label: str  #: its name, title or statement


@dataclass(frozen=True)
class ValueChange:
    """One value that differs between the versions (or is there in only one of them)."""

    kind: str  #: the entity's kind (`corporate` for the envelope)
    id: str  #: the entity's id (`corporate` for the envelope)
    label: str  #: its name, as the new version (or the old, if removed) says
    field: str  #: `budget`, `target`, `baseline` or `deadline`
    old: Value  #: the old version's value
    new: Value  #: the new version's value

    @property
    def delta(self) -> float | None:
        """new - old, when both are numbers."""
        if isinstance(self.old, int | float) and isinstance(self.new, int | float):
            return self.new - self.old
        return None


def _goals(plan: Plan) -> Iterator[Any]:
    yield from (plan.corporate.goals or []) if plan.corporate else []
    for unit in plan.units or []:
        yield from unit.goals or []


def _swot(plan: Plan) -> Iterator[Any]:
    a = plan.assessment
    if a is not None:
        for part in (a.strengths, a.weaknesses, a.opportunities, a.threats):
            yield from part or []


def _market(name: str) -> Callable[[Plan], Iterator[Any]]:
    def items(plan: Plan) -> Iterator[Any]:
        yield from (getattr(plan.market_strategy, name) or []) if plan.market_strategy else []

    return items


def _list(name: str) -> Callable[[Plan], Iterator[Any]]:
    def items(plan: Plan) -> Iterator[Any]:
        yield from getattr(plan, name) or []

    return items


# kind -> (its entities in a plan, their label field)
ENTITIES: dict[str, tuple[Callable[[Plan], Iterator[Any]], str]] = {
    "goal": (_goals, "statement"),
    "unit": (_list("units"), "name"),
    "segment": (_list("segments"), "name"),
    "persona": (_list("personas"), "name"),
    "competitor": (_list("competitors"), "name"),
    "product": (_list("products"), "name"),
    "action": (_list("actions"), "title"),
    "swot item": (_swot, "text"),
    "audience": (_market("audiences"), "id"),
    "tier": (_market("portfolio"), "id"),
}
# kind -> the fields whose values the diff compares (budgets, then goals' numbers and dates)
VALUES: dict[str, tuple[str, ...]] = {
    "unit": ("budget",),
    "segment": ("budget",),
    "action": ("budget",),
    "goal": ("baseline", "target", "deadline"),
}


def _value(value: object) -> Value:
    """A compared value as every format shows it: a date as ISO text, a number as it is."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def entities(plan: Plan) -> dict[tuple[str, str], tuple[EntityRef, Any]]:
    """Every entity of `plan` by (kind, id), with its model."""
    out: dict[tuple[str, str], tuple[EntityRef, Any]] = {}
    for kind, (items, label) in ENTITIES.items():
        for item in items(plan):
            out.setdefault(
                (kind, item.id), (EntityRef(kind, item.id, str(getattr(item, label))), item)
            )
    return out


def plan_changes(
    old: Plan, new: Plan
) -> tuple[tuple[ValueChange, ...], tuple[EntityRef, ...], tuple[EntityRef, ...]]:
    """(changed values, entities added, entities removed) between two plan models."""
    before, after = entities(old), entities(new)
    changes: list[ValueChange] = []
    old_env = old.corporate.budget if old.corporate else None
    new_env = new.corporate.budget if new.corporate else None
    if old_env != new_env:
        changes.append(
            ValueChange("corporate", "corporate", "Corporate envelope", "budget", old_env, new_env)
        )
    for key in dict.fromkeys([*before, *after]):
        kind = key[0]
        ref, old_item = before.get(key, (None, None))
        new_ref, new_item = after.get(key, (None, None))
        shown = new_ref or ref
        assert shown is not None
        for name in VALUES.get(kind, ()):
            a = _value(getattr(old_item, name, None)) if old_item is not None else None
            b = _value(getattr(new_item, name, None)) if new_item is not None else None
            if a != b:
                changes.append(ValueChange(kind, shown.id, shown.label, name, a, b))
    added = tuple(after[k][0] for k in after if k not in before)
    removed = tuple(before[k][0] for k in before if k not in after)
    return tuple(changes), added, removed


@dataclass(frozen=True)
class PlanDiff:
    """Two audits of two versions of a plan, and what changed from one to the other."""

    old: Report  #: the audit of the old version
    new: Report  #: the audit of the new version
    new_findings: tuple[Finding, ...]  #: in the new version only (counted ones first)
    resolved: tuple[Finding, ...]  #: in the old version only
    unchanged: tuple[Finding, ...]  #: in both (as the new version reports them)
    values: tuple[ValueChange, ...]  #: budgets, goal targets and deadlines that differ
    added: tuple[EntityRef, ...]  #: entities only the new version has
    removed: tuple[EntityRef, ...]  #: entities only the old version has

    @property
    def fail_on(self) -> Severity | None:
        """The fail level both audits applied (None for `never`)."""
        return self.new.fail_on

    @property
    def errors(self) -> tuple[str, ...]:
        """Every input problem of either version, rendered."""
        return tuple(e.render() for r in (self.old, self.new) for e in r.all_errors)

    @property
    def failing(self) -> tuple[Finding, ...]:
        """New findings that count at or above the fail level: why the diff exits 1."""
        level = self.fail_on
        return tuple(
            f for f in self.new_findings if f.counts and level is not None and f.severity >= level
        )

    @property
    def exit_code(self) -> int:
        """2 input errors, 1 a new finding at the fail level, 0 otherwise."""
        if self.errors:
            return 2
        return 1 if self.failing else 0

    @property
    def verdict(self) -> str:
        """`error`, `fail` or `pass`, as `exit_code` says."""
        return ("pass", "fail", "error")[self.exit_code]


def _first_result(report: Report) -> PlanResult | None:
    return report.results[0] if report.results else None


def _order(findings: list[Finding]) -> tuple[Finding, ...]:
    """Counted findings first (with a baseline: the ones it does not know), then report order."""
    return tuple(sorted(findings, key=lambda f: (not f.counts, -f.severity, *f.sort_key())))


def diff(old: str | Path, new: str | Path, options: RunOptions | None = None) -> PlanDiff:
    """Audit `old` and `new` (each with its includes) and compare them."""
    options = dataclasses.replace(
        options or RunOptions(), formats=("html",), write_baseline=None, jobs=1
    )
    before, after = run([str(old)], options), run([str(new)], options)
    old_found = {f.fingerprint: f for f in before.findings}
    new_found = {f.fingerprint: f for f in after.findings}
    values: tuple[ValueChange, ...] = ()
    added: tuple[EntityRef, ...] = ()
    removed: tuple[EntityRef, ...] = ()
    a, b = _first_result(before), _first_result(after)
    if a is not None and b is not None and a.plan is not None and b.plan is not None:
        values, added, removed = plan_changes(a.plan.plan, b.plan.plan)
    return PlanDiff(
        before,
        after,
        _order([f for k, f in new_found.items() if k not in old_found]),
        _order([f for k, f in old_found.items() if k not in new_found]),
        _order([f for k, f in new_found.items() if k in old_found]),
        values,
        added,
        removed,
    )
