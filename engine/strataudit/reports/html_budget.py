"""The HTML report's budget bars: each unit's budget against what its actions cost, and the
corporate envelope against the top-level total.

The figures are the budget rule's own numbers as the engine received them (`spend` and `plan`
facts of `facts.py`); an overrun is drawn only where the rule found one (mark `budget.over`).
Layout only: plain data for the template, which draws and escapes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from strataudit.facts import FactBase
from strataudit.model import Plan
from strataudit.reports.html_cascade_layout import fit, text_width
from strataudit.reports.marks import FindingLinks
from strataudit.reports.numbers import number as _number

BAR_LABEL_W, BAR_W, BAR_VALUE_W, BAR_ROW = 250, 560, 300, 34


def _bar(budget: float | None, spend: float, scale: float, over: bool) -> dict[str, Any]:
    """A unit's bar: its budget, its spending, and the overrun part when the budget rule
    (mark `budget.over`) found one."""
    over = over and budget is not None
    return {
        "budget_w": round((budget or 0) * scale, 1) if budget is not None else None,
        "spend_w": round(
            min(spend, budget) * scale if over and budget is not None else spend * scale, 1
        ),
        "over_x": round((budget or 0) * scale, 1),
        "over_w": round(max(spend - (budget or 0), 0) * scale, 1) if over else 0,
        "over": over,
    }


def _figures(facts: FactBase) -> tuple[dict[str, float], float]:
    """The budget rule's numbers as the engine received them (`facts.py`): each unit's spending, and
    the cost of what the corporate envelope pays for (the bars draw these, never re-add)."""
    spend: dict[str, float] = {}
    top_cost = 0.0
    for fact in facts.by_id.values():
        if fact["type"] == "spend":
            spend[fact["unit"]] = fact.get("cost") or 0
        elif fact["type"] == "plan":
            top_cost = fact.get("top_cost") or 0
    return spend, top_cost


def budget(plan: Plan, links: FindingLinks, facts: FactBase) -> dict[str, Any] | None:
    units = list(plan.units or [])
    actions = list(plan.actions or [])
    corp_budget = plan.corporate.budget if plan.corporate else None
    if not units and corp_budget is None and not any(a.budget for a in actions):
        return None
    spend, top_cost = _figures(facts)
    unit_ids = {u.id for u in units}
    names = {u.id: u.name for u in units}
    count = Counter(a.unit for a in actions if a.unit in unit_ids)
    loose = [a for a in actions if a.unit not in unit_ids]  # the bar's "no unit" part
    loose_cost = sum(a.budget or 0 for a in loose)
    top_units = [u for u in units if u.parent not in unit_ids]

    # Units: one common scale; child units indented under their parent.
    children: dict[str | None, list[Any]] = defaultdict(list)
    for u in units:
        children[u.parent if u.parent in unit_ids else None].append(u)
    ordered: list[tuple[Any, int]] = []
    seen: set[str] = set()

    def visit(parent: str | None, depth: int) -> None:
        for u in children.get(parent, []):
            if u.id not in seen:
                seen.add(u.id)
                ordered.append((u, depth))
                visit(u.id, depth + 1)

    visit(None, 0)
    ordered += [(u, 0) for u in units if u.id not in seen]  # parents in a loop
    peak = max([1.0, *((u.budget or 0) for u in units), *spend.values()])
    scale = BAR_W / peak
    rows = []
    for i, (u, depth) in enumerate(ordered):
        cost = spend.get(u.id, 0.0)
        finding = links.get("budget.over", u.id)
        bar = _bar(u.budget, cost, scale, finding is not None)
        share = f"{cost / u.budget:.0%}" if u.budget else None
        rows.append(
            {
                "id": u.id,
                "name": u.name,
                "depth": depth,
                "label": fit(u.name, BAR_LABEL_W - 24 - 14 * depth - text_width(u.id, 11), 12.5),
                "parent": names.get(u.parent) if u.parent in unit_ids else None,
                "budget": _number(u.budget) if u.budget is not None else None,
                "spend": _number(cost),
                "actions": count.get(u.id, 0),
                "share": share,
                "delta": _number(abs(cost - (u.budget or 0))) if u.budget is not None else None,
                "y": i * BAR_ROW,
                **bar,
                "finding": finding,
            }
        )
    corporate = None
    if corp_budget is not None or top_units or loose:
        envelope_finding = links.get("budget.over", None)
        cpeak = max(1.0, corp_budget or 0, top_cost)
        cscale = BAR_W / cpeak
        parts = []
        x = 0.0
        for u in top_units:
            if u.budget:
                w = u.budget * cscale
                parts.append(
                    {
                        "x": round(x, 1),
                        "w": round(w, 1),
                        "title": f"{u.name} ({u.id}): {_number(u.budget)}",
                        "loose": False,
                    }
                )
                x += w
        if loose_cost:
            w = loose_cost * cscale
            parts.append(
                {
                    "x": round(x, 1),
                    "w": round(w, 1),
                    "loose": True,
                    "title": f"Actions with no unit: {_number(loose_cost)}",
                }
            )
        corporate = {
            "budget": _number(corp_budget) if corp_budget is not None else None,
            "budget_w": round(corp_budget * cscale, 1) if corp_budget is not None else None,
            "total": _number(top_cost),
            "over": envelope_finding is not None,
            "delta": _number(abs(top_cost - (corp_budget or 0))),
            "parts": parts,
            "breakdown": [
                {"name": u.name, "id": u.id, "budget": _number(u.budget)} for u in top_units
            ],
            "loose": _number(loose_cost),
            "loose_count": len(loose),
            "finding": envelope_finding,
        }
    return {
        "rows": rows,
        "corporate": corporate,
        "label_w": BAR_LABEL_W,
        "bar_w": BAR_W,
        "value_w": BAR_VALUE_W,
        "row_h": BAR_ROW,
        "width": BAR_LABEL_W + BAR_W + BAR_VALUE_W,
        "height": max(1, len(rows)) * BAR_ROW + 4,
    }
