"""The pre-approval gate: findings in, a verdict with its reasons and an exit code out.

A finding counts unless it is waived or baselined (one state per finding, `results.py`); the
run fails when a counted finding is at or above `fail_on`, and is an error (exit 2, which wins)
when any input could not be used.
"""

from __future__ import annotations

from collections import Counter

from strataudit.results import (
    PlanResult,
    PlanVerdict,
    Severity,
    StateCounts,
    Verdict,
    Waiver,
)

__all__ = [
    "EXIT_FAIL",
    "EXIT_INPUT",
    "EXIT_PASS",
    "FAIL_LEVELS",
    "PlanVerdict",
    "Verdict",
    "judge",
    "judge_plan",
]

FAIL_LEVELS: dict[str, Severity | None] = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "never": None,
}
EXIT_PASS, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def judge_plan(result: PlanResult, fail_on: Severity | None) -> PlanVerdict:
    """One plan: `error` if it could not be audited, `fail` if a counted finding blocks."""
    if result.error is not None:
        return PlanVerdict(
            result.file,
            result.plan_id,
            "error",
            (f"{result.file} could not be audited: {result.error.message}",),
        )
    blocking = [
        f for f in result.findings if fail_on is not None and f.counts and f.severity >= fail_on
    ]
    if not blocking:
        return PlanVerdict(result.file, result.plan_id, "pass", ())
    counts = Counter(f.severity for f in blocking)
    parts = [
        f"{counts[s]} {s.label}{'s' if counts[s] != 1 else ''}"
        for s in sorted(counts, reverse=True)
    ]
    rules = sorted({f.rule for f in blocking})
    assert fail_on is not None
    reason = (
        f"{result.file}: {' and '.join(parts)} at or above `{fail_on.label}` ({', '.join(rules)})"
    )
    return PlanVerdict(result.file, result.plan_id, "fail", (reason,))


def judge(
    results: list[PlanResult],
    fail_on: Severity | None,
    run_errors: int = 0,
    expired: tuple[Waiver, ...] = (),
) -> Verdict:
    """The verdict with reasons: why it failed, or what it let through when it passed."""
    plans = tuple(judge_plan(r, fail_on) for r in results)
    reasons = [reason for p in plans for reason in p.reasons]
    reasons += [
        f"waiver expired on {w.expires.isoformat()} ({w.source}): {w.describe()}; "
        "its findings count again"
        for w in expired
    ]
    if run_errors:
        reasons.append(f"{run_errors} input(s) could not be read")
    if run_errors or any(p.verdict == "error" for p in plans):
        return Verdict("error", EXIT_INPUT, plans, tuple(reasons))
    if any(p.verdict == "fail" for p in plans):
        return Verdict("fail", EXIT_FAIL, plans, tuple(reasons))
    counts = StateCounts.of([f for r in results for f in r.findings])
    level = fail_on.label if fail_on else "never"
    reasons.append(
        f"passed at fail-on `{level}`: {counts.counted} finding(s) below it, "
        f"{counts.waived} waived, {counts.baselined} baselined"
    )
    return Verdict("pass", EXIT_PASS, plans, tuple(reasons))
