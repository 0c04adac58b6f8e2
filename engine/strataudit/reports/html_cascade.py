"""The HTML report's goal cascade: corporate goals -> unit goals (by level) -> the products and
actions that support them, laid out as layered columns for an inline SVG.

This module turns the plan into boxes and arcs: which goal sits in which column, what each
box says (its whole label, and a goal's baseline -> target, deadline and owner), which findings
mark it; `html_cascade_layout.py` sizes the boxes and places them to cross few arcs.

Layout only: it returns plain data for the template; the template draws and escapes.
"""

from __future__ import annotations

from typing import Any

from strataudit.model import Action, Goal, Plan, Product
from strataudit.reports.html_cascade_layout import (
    COL_GAP,
    LEFT,
    LINE_H,
    MAX_GOAL_LEVELS,
    NODE_W,
    PAD_X,
    PAD_Y,
    Node,
    layout,
)
from strataudit.reports.marks import FindingLinks
from strataudit.reports.numbers import number


def _goal_facts(goal: Goal) -> str:
    """`12 -> 16 · by 2027-11-30 · J. Doe`: a goal's numbers as the plan gives them."""
    parts = []
    if goal.target is not None:
        start = f"{number(goal.baseline)} \u2192 " if goal.baseline is not None else "\u2192 "
        parts.append(start + number(goal.target) + (f" {goal.metric}" if goal.metric else ""))
    if goal.deadline is not None:
        parts.append(f"by {goal.deadline.isoformat()}")
    if goal.owner:
        parts.append(goal.owner)
    return " \u00b7 ".join(parts)


def _goal_levels(corporate: list[Goal], unit_goals: list[Goal]) -> dict[str, int]:
    """Level 0 for corporate goals; a unit goal sits one right of the deepest goal it supports.

    Loops are cut where the walk meets a goal it is still inside; goals that reach no goal at
    all sit at level 1. Levels past MAX_GOAL_LEVELS share the last goal column.
    """
    level: dict[str, int] = {g.id: 0 for g in corporate}
    by_id = {g.id: g for g in unit_goals}
    visiting: set[str] = set()

    def walk(gid: str) -> int:
        if gid in level:
            return level[gid]
        visiting.add(gid)
        deepest = 0
        for target in by_id[gid].supports or []:
            if target == gid or target in visiting:
                continue
            if target in level or target in by_id:
                deepest = max(deepest, walk(target))
        visiting.discard(gid)
        level[gid] = min(deepest + 1, MAX_GOAL_LEVELS)
        return level[gid]

    for g in unit_goals:
        walk(g.id)
    return level


def cascade(plan: Plan, links: FindingLinks) -> dict[str, Any] | None:
    """The cascade's nodes, edges and headers for the template; None without goals."""
    corporate = list((plan.corporate.goals or []) if plan.corporate else [])
    unit_of: dict[str, str] = {}
    unit_goals: list[Goal] = []
    for unit in plan.units or []:
        for g in unit.goals or []:
            unit_goals.append(g)
            unit_of[g.id] = unit.name
    if not corporate and not unit_goals:
        return None
    levels = _goal_levels(corporate, unit_goals)
    goal_ids = set(levels)
    last = max([0, *levels.values()]) + 1  # the products and actions column
    nodes: dict[str, Node] = {}
    dangling: list[dict[str, str]] = []

    def add(node: Node, supports: list[str] | None, kind_label: str) -> None:
        nodes[node.key] = node
        for target in dict.fromkeys(supports or []):
            if target in goal_ids:
                if target != node.id or node.kind not in ("corporate", "unit"):
                    node.targets.append("goal:" + target)
            else:
                dangling.append({"source": f"{kind_label} {node.id}", "target": target})

    for i, g in enumerate(corporate):
        node = Node(
            "goal:" + g.id,
            g.id,
            g.statement,
            "corporate",
            0,
            i,
            detail=g.metric or "corporate goal",
            facts=_goal_facts(g),
        )
        hit = links.first("cascade.unsupported", g.id)
        if hit:
            node.classes.append("unsupported")
            node.link_rule, node.link = hit
        add(node, g.supports, "corporate goal")
    for i, g in enumerate(unit_goals):
        node = Node(
            "goal:" + g.id,
            g.id,
            g.statement,
            "unit",
            levels[g.id],
            i,
            detail=unit_of[g.id],
            facts=_goal_facts(g),
        )
        for css in ("unaligned", "undelivered"):
            hit = links.first(f"cascade.{css}", g.id)
            if hit:
                node.classes.append(css)
                if node.link is None:
                    node.link_rule, node.link = hit
        add(node, g.supports, "unit goal")
    products: list[Product] = list(plan.products or [])
    actions: list[Action] = list(plan.actions or [])
    for i, p in enumerate(products):
        add(
            Node("product:" + p.id, p.id, p.name, "product", last, i, detail="product"),
            p.supports,
            "product",
        )
    for i, a in enumerate(actions):
        add(
            Node(
                "action:" + a.id, a.id, a.title, "action", last, len(products) + i, detail="action"
            ),
            a.supports,
            "action",
        )
    for node in nodes.values():
        if node.kind in ("product", "action") and not node.targets:
            node.classes.append("loose")
            hit = links.first("cascade.no_goal", node.id)
            if hit:
                node.link_rule, node.link = hit

    for node in nodes.values():
        node.measure()
    height, divider = layout(nodes, last)
    column_w = NODE_W + COL_GAP
    for node in nodes.values():
        node.x = LEFT + node.column * column_w
    width = LEFT + (last + 1) * column_w - COL_GAP + 30  # room for arcs on the right

    edges = []
    for node in nodes.values():
        for t in node.targets:
            target = nodes[t]
            sy, ty = node.mid, target.mid
            if target.column < node.column:
                x1, x2 = node.x, target.x + NODE_W
                mid = (x1 + x2) / 2
                d = f"M{x1:.1f},{sy:.1f} C{mid:.1f},{sy:.1f} {mid:.1f},{ty:.1f} {x2:.1f},{ty:.1f}"
                cls = "edge main" if node in target.children else "edge"
            else:  # same column or backwards (loops): an arc on the right of the boxes
                x1, x2 = node.x + NODE_W, target.x + NODE_W
                bulge = max(x1, x2) + 14 + min(abs(sy - ty) / 14, 14)
                d = (
                    f"M{x1:.1f},{sy:.1f} C{bulge:.1f},{sy:.1f} {bulge:.1f},{ty:.1f} "
                    f"{x2:.1f},{ty:.1f}"
                )
                cls = "edge back"
            if "unaligned" in node.classes:
                cls += " bad"
            edges.append({"d": d, "cls": cls, "title": f"{node.id} supports {target.id}"})
    edges.sort(key=lambda e: ("main" in e["cls"], "bad" in e["cls"]))  # drawn last: on top

    titles = (
        ["Corporate goals"]
        + [("Unit goals" if c == 1 else f"Unit goals, level {c}") for c in range(1, last)]
        + ["Products and actions"]
    )
    out_nodes = []
    for node in sorted(nodes.values(), key=lambda n: (n.column, n.y)):
        out_nodes.append(
            {
                "id": node.id,
                "lines": node.lines,
                "facts": node.fact_lines,
                "full": node.label,
                "facts_full": node.facts,
                "kind": node.kind,
                "detail": node.detail,
                "x": round(node.x, 1),
                "y": round(node.y, 1),
                "h": round(node.h, 1),
                "cls": " ".join([node.kind, *node.classes]),
                "link": node.link,
                "link_rule": node.link_rule,
            }
        )
    return {
        "width": round(width),
        "height": round(height),
        "node_w": NODE_W,
        "line_h": LINE_H,
        "pad_y": PAD_Y,
        "pad_x": PAD_X,
        "headers": [{"x": LEFT + c * column_w, "text": t} for c, t in enumerate(titles)],
        "rule": round(divider, 1) if divider is not None else None,
        "nodes": out_nodes,
        "edges": edges,
        "dangling": dangling,
        "counts": {
            name: sum(name in n.classes for n in nodes.values())
            for name in ("unaligned", "undelivered", "unsupported", "loose")
        },
    }
