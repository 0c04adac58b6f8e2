"""The HTML report's spend view: how the money is spread, beside what the plan says matters.

Three tables with bars on one scale each: the budget each segment is given, beside its priority
and whether it is a target, and the budgets of the actions aimed at it (an action aimed at two
segments is listed under both: it is not split); the action budgets by kind of action; and by
the quarter an action starts in. Figures are the values the engine received (the `segment`,
`action` and `link` facts of `facts.py`); the only arithmetic here is grouping those values for
display, and nothing is judged: whether a segment is under-funded is a rule's question,
answered in the findings.

A segment written in an included file names it; one written in a context file (`origin.py`)
is tagged as context: it describes the plan's surroundings, not the plan's own spending.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from strataudit.facts import FactBase
from strataudit.model import Plan
from strataudit.reports.numbers import number as _number
from strataudit.reports.origin import Origins

BAR_MAX = 240  # px: the longest bar of a table


def _quarter(day: int | None) -> str:
    """`20270415` (a fact's day) -> `2027 Q2`."""
    if day is None:
        return "no start date"
    year, month = divmod(day // 100, 100)
    return f"{year} Q{(month - 1) // 3 + 1}"


def _bars(rows: list[dict[str, Any]], key: str = "value") -> list[dict[str, Any]]:
    """Each row's bar width on the table's own scale."""
    peak = max([0.0, *((r[key] or 0) for r in rows)])
    for r in rows:
        r["bar"] = round((r[key] or 0) / peak * BAR_MAX, 1) if peak else 0
        r["shown"] = _number(r[key])
    return rows


def spend(plan: Plan, facts: FactBase, origins: Origins) -> dict[str, Any] | None:
    """The spend view's three tables; None when the plan budgets nothing at all."""
    segments = {s.id: s for s in plan.segments or []}
    by_segment = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    by_quarter: dict[str, list[float]] = defaultdict(list)
    budgets = {f["key"]: f.get("budget") or 0 for f in facts.facts if f["type"] == "action"}
    aimed: dict[str, list[float]] = defaultdict(list)
    for fact in facts.facts:
        if fact["type"] == "link" and fact["src_type"] == "action" and fact["field"] == "segments":
            aimed[fact["dst"]].append(budgets.get(fact["src"], 0))
    for fact in facts.facts:
        if fact["type"] == "segment" and fact.get("key") in segments:
            seg = segments[fact["key"]]
            origin = origins.of(fact)
            by_segment.append(
                {
                    "id": seg.id,
                    "name": seg.name,
                    "priority": _number(seg.priority) if seg.priority is not None else None,
                    "target": bool(seg.target),
                    "value": fact.get("budget"),
                    "actions": len(aimed.get(seg.id, [])),
                    "aimed": _number(sum(aimed.get(seg.id, []))),
                    "file": origin.file,
                    "context": origin.context,
                }
            )
        elif fact["type"] == "action":
            budget = fact.get("budget") or 0
            by_kind[fact.get("kind") or "no kind given"].append(budget)
            by_quarter[_quarter(fact.get("start"))].append(budget)
    if not any(r["value"] for r in by_segment) and not any(sum(v) for v in by_kind.values()):
        return None
    by_segment.sort(key=lambda r: (not r["target"], r["priority"] is None, r["priority"] or ""))
    kinds = [
        {"name": k, "value": sum(v), "count": len(v)}
        for k, v in sorted(by_kind.items(), key=lambda kv: -sum(kv[1]))
    ]
    quarters = [
        {"name": q, "value": sum(v), "count": len(v)}
        for q, v in sorted(by_quarter.items(), key=lambda kv: (kv[0] == "no start date", kv[0]))
    ]
    return {
        "segments": _bars(by_segment),
        "kinds": _bars(kinds),
        "quarters": _bars(quarters),
        "bar_max": BAR_MAX,
        "context": any(r["context"] for r in by_segment),
    }
