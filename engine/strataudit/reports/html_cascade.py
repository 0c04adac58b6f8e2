"""The HTML report's goal cascade: corporate goals -> unit goals (by level) -> the products and
actions that support them, laid out as layered columns for an inline SVG.

Layout only: it returns plain data for the template; the template draws and escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strataudit.model import Action, Goal, Plan, Product
from strataudit.reports.marks import FindingLinks

# ---------------------------------------------------------------------------------------------
# Goal cascade: corporate goals -> unit goals (by level) -> products and actions

NODE_W, NODE_H, ROW_GAP, COL_GAP = 218, 24, 7, 64
TOP, LEFT, BAND_GAP = 34, 8, 12
MAX_GOAL_LEVELS = 3
FONT = 11.5  # px, the cascade's node labels


def text_width(text: str, size: float, bold: bool = False) -> float:
    """A generous estimate of rendered width (DejaVu Sans, the widest common fallback)."""
    em = 0.0
    for ch in text:
        if ch in "iljtfI.,:;'|!()[] ":
            em += 0.34
        elif ch in "mwMW@%":
            em += 0.9
        elif ch.isupper() or ch in "&#":
            em += 0.72
        elif ch.isdigit():
            em += 0.64
        else:
            em += 0.58
    return em * size * (1.08 if bold else 1.0)


def fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """`text`, clipped with an ellipsis so that it fits in `width` pixels."""
    text = " ".join(text[:400].split())  # no label needs more; keeps the loop below short
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "\u2026", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


@dataclass
class Node:
    """A box of the cascade: a goal, product or action, its column and its links."""

    key: str  # "goal:CG1", "product:PR-1", "action:A1" (ids may repeat across kinds)
    id: str
    label: str
    kind: str  # corporate | unit | product | action
    column: int
    order: int  # plan order, for stable ties
    detail: str = ""
    classes: list[str] = field(default_factory=list)
    link: str | None = None
    link_rule: str | None = None
    targets: list[str] = field(default_factory=list)  # node keys this node supports
    children: list[Node] = field(default_factory=list)  # what it carries in the layout
    x: float = 0.0
    y: float = -1.0


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


def _layout(nodes: dict[str, Node], last: int) -> tuple[float, float | None]:
    """A tidy tree on each node's main target (the deepest goal to its left it supports).

    Every corporate goal gets a horizontal band holding what supports it; a node sits level
    with the middle of what it carries. What reaches no corporate goal this way (loops, goals
    that support nothing) comes last, below a rule. Returns the height and that rule's y.
    """
    step = NODE_H + ROW_GAP
    kind_rank = {"corporate": 0, "unit": 0, "product": 1, "action": 2}
    roots: list[Node] = []
    for node in nodes.values():
        left = [nodes[t] for t in node.targets if nodes[t].column < node.column]
        if left:
            parent = max(left, key=lambda n: (n.column, -n.order))
            parent.children.append(node)
        else:
            roots.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: (kind_rank[n.kind], n.column, n.order))
    floor = [float(TOP)] * (last + 1)

    def place(node: Node) -> None:
        start = max(floor[node.column :])
        for c in range(node.column, last + 1):
            floor[c] = max(floor[c], start)
        for child in node.children:
            place(child)
        if node.children:
            mid = (node.children[0].y + node.children[-1].y) / 2
            node.y = max(mid, floor[node.column])
        else:
            node.y = floor[node.column]
        floor[node.column] = node.y + step

    corporate = sorted((n for n in roots if n.kind == "corporate"), key=lambda n: n.order)
    loose = sorted(
        (n for n in roots if n.kind != "corporate"),
        key=lambda n: (kind_rank[n.kind], n.column, n.order),
    )
    for node in corporate:
        place(node)
        top = max(floor) + BAND_GAP
        floor = [top] * (last + 1)
    rule = None
    if loose:
        rule = max(floor) if corporate else None
        if rule is not None:
            floor = [rule + 26] * (last + 1)
        for node in loose:
            place(node)
    height = max([float(TOP), *(n.y + NODE_H for n in nodes.values())]) + 14
    return height, rule


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
        )
        hit = links.first("cascade.unsupported", g.id)
        if hit:
            node.classes.append("unsupported")
            node.link_rule, node.link = hit
        add(node, g.supports, "corporate goal")
    for i, g in enumerate(unit_goals):
        node = Node(
            "goal:" + g.id, g.id, g.statement, "unit", levels[g.id], i, detail=unit_of[g.id]
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

    height, divider = _layout(nodes, last)
    column_w = NODE_W + COL_GAP
    for node in nodes.values():
        node.x = LEFT + node.column * column_w
    width = LEFT + (last + 1) * column_w - COL_GAP + 30  # room for arcs on the right

    edges = []
    for node in nodes.values():
        for t in node.targets:
            target = nodes[t]
            sy, ty = node.y + NODE_H / 2, target.y + NODE_H / 2
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
    text_w = NODE_W - 14
    out_nodes = []
    for node in sorted(nodes.values(), key=lambda n: (n.column, n.y)):
        id_w = text_width(node.id, FONT, bold=True) + text_width(" ", FONT)
        room = text_w - id_w - (10 if node.link_rule else 0)
        out_nodes.append(
            {
                "id": node.id,
                "label": fit(node.label, room, FONT) if room > 20 else "",
                "full": node.label,
                "kind": node.kind,
                "detail": node.detail,
                "x": round(node.x, 1),
                "y": round(node.y, 1),
                "cls": " ".join([node.kind, *node.classes]),
                "link": node.link,
                "link_rule": node.link_rule,
            }
        )
    return {
        "width": round(width),
        "height": round(height),
        "node_w": NODE_W,
        "node_h": NODE_H,
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
