"""What every output format renders: one frozen `Report`, built once by the CLI."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from strataudit import RULES_VERSION, __version__
from strataudit.audit import PlanResult
from strataudit.errors import InputProblem
from strataudit.findings import Finding, Waiver
from strataudit.gate import Verdict
from strataudit.rulefile import RuleSet, Severity


@dataclass(frozen=True)
class Report:
    results: tuple[PlanResult, ...]
    errors: tuple[InputProblem, ...]  # every input problem: plans, paths
    skipped: tuple[str, ...]
    verdict: Verdict
    ruleset: RuleSet
    fail_on: Severity | None
    tool_version: str = __version__
    rules_version: str = RULES_VERSION
    as_of: datetime.date = field(default_factory=datetime.date.today)
    expired_waivers: tuple[Waiver, ...] = ()  # no longer waive; reported, the gate fails as usual
    unused_waivers: tuple[Waiver, ...] = ()  # matched nothing: stale, to clean up
    resolved: tuple[dict[str, Any], ...] = ()  # baseline entries no finding matches any more
    baseline_file: str | None = None

    @cached_property
    def findings(self) -> list[Finding]:
        return sorted((f for r in self.results for f in r.findings), key=Finding.sort_key)

    def by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity.label for f in self.findings)
        return {s.label: counts.get(s.label, 0) for s in sorted(Severity, reverse=True)}


class Renderer(Protocol):
    """An output format: renders a report to text; never prints, never exits."""

    def __call__(self, report: Report) -> str: ...
