"""The HTML report's goal cascade: corporate goals -> unit goals (by level) -> the products and
actions that support them, laid out as layered columns for an inline SVG.

Each box carries its whole label, wrapped (cut only past MAX_LINES lines; the tooltip keeps
it all), and a goal's numbers as the plan gives them: baseline -> target, deadline, owner.
Boxes sit in a tidy tree on their main target; the order of siblings is then improved by a
few barycentre passes (each box moves towards the boxes it links to), keeping the order with
the fewest crossing arcs (`crossings`), so the plan's own order is kept when it is best.

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
LINE_H, PAD_Y, PAD_X = 14, 5, 8  # a label line's height; the box's padding
MAX_LINES = 6  # lines of a label; past them the label ends with an ellipsis (tooltip: all)
TOP, LEFT, BAND_GAP = 34, 8, 12
MAX_GOAL_LEVELS = 3
FONT, FACT_FONT = 11.5, 10.5  # px: the labels, and a goal's numbers under them
ROUNDS = 8  # barycentre passes tried on the order of siblings


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


def wrap(text: str, width: float, size: float, first: float = 0.0) -> list[str]:
    """`text` in lines of at most `width` px, broken at spaces (the first line starts `first`
    px in, after the id); a word longer than a line is clipped with an ellipsis."""
    lines: list[str] = []
    line, room = "", width - first
    for word in " ".join(text[:600].split()).split(" "):
        if not word:
            continue
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= room:
            line = candidate
            continue
        if line:
            lines.append(line)
            room = width
        line = word if text_width(word, size) <= room else fit(word, room, size)
    if line:
        lines.append(line)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], fit(lines[MAX_LINES - 1] + " \u2026", width, size)]
    return lines


def _goal_facts(goal: Goal) -> str:
    """`12 -> 16 · by 2027-11-30 · J. Doe`: a goal's numbers as the plan gives them."""
    parts = []
    if goal.target is not None:
        start = f"{_num(goal.baseline)} \u2192 " if goal.baseline is not None else "\u2192 "
        parts.append(start + _num(goal.target) + (f" {goal.metric}" if goal.metric else ""))
    if goal.deadline is not None:
        parts.append(f"by {goal.deadline.isoformat()}")
    if goal.owner:
        parts.append(goal.owner)
    return " \u00b7 ".join(parts)


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


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
    facts: str = ""  # a goal's baseline -> target, deadline, owner
    lines: list[str] = field(default_factory=list)  # the label, wrapped
    fact_lines: list[str] = field(default_factory=list)  # the facts, wrapped
    h: float = NODE_H
    x: float = 0.0
    y: float = -1.0

    def measure(self) -> None:
        """Wrap the label (after the bold id) and the facts; the box's height follows."""
        text_w = NODE_W - 2 * PAD_X - (10 if self.link_rule else 0)
        id_w = text_width(self.id, FONT, bold=True) + text_width(" ", FONT)
        self.lines = wrap(self.label, text_w, FONT, first=min(id_w, text_w))
        self.fact_lines = wrap(self.facts, text_w, FACT_FONT) if self.facts else []
        self.h = 2 * PAD_Y + LINE_H * (len(self.lines) + len(self.fact_lines))

    @property
    def mid(self) -> float:
        """The y of the box's middle: where its arcs start and end."""
        return self.y + self.h / 2


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


KIND_RANK = {"corporate": 0, "unit": 0, "product": 1, "action": 2}


def _tree(nodes: dict[str, Node]) -> tuple[list[Node], list[Node]]:
    """Hang every node under its main target (the deepest goal to its left it supports);
    returns the corporate roots and the loose roots (what reaches no goal that way)."""
    roots: list[Node] = []
    for node in nodes.values():
        left = [nodes[t] for t in node.targets if nodes[t].column < node.column]
        if left:
            parent = max(left, key=lambda n: (n.column, -n.order))
            parent.children.append(node)
        else:
            roots.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: (KIND_RANK[n.kind], n.column, n.order))
    corporate = sorted((n for n in roots if n.kind == "corporate"), key=lambda n: n.order)
    loose = sorted(
        (n for n in roots if n.kind != "corporate"),
        key=lambda n: (KIND_RANK[n.kind], n.column, n.order),
    )
    return corporate, loose


def _place(corporate: list[Node], loose: list[Node], last: int) -> float | None:
    """A tidy tree: every corporate goal gets a band holding what supports it, a node sits
    level with the middle of what it carries; the loose roots come last, below a rule (whose
    y is returned)."""
    floor = [float(TOP)] * (last + 1)

    def place(node: Node) -> None:
        start = max(floor[node.column :])
        for c in range(node.column, last + 1):
            floor[c] = max(floor[c], start)
        for child in node.children:
            place(child)
        if node.children:
            mid = (node.children[0].mid + node.children[-1].mid) / 2
            node.y = max(mid - node.h / 2, floor[node.column])
        else:
            node.y = floor[node.column]
        floor[node.column] = node.y + node.h + ROW_GAP

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
    return rule


def _segments(nodes: dict[str, Node]) -> list[tuple[float, float, float, float]]:
    """Every arc as the straight segment between its ends (x1, y1, x2, y2)."""
    column_w = NODE_W + COL_GAP
    out: list[tuple[float, float, float, float]] = []
    for node in nodes.values():
        for t in node.targets:
            target = nodes[t]
            x1 = LEFT + node.column * column_w
            x2 = LEFT + target.column * column_w + NODE_W
            out.append((x1, node.mid, x2, target.mid))
    return out


def crossings(segments: list[tuple[float, float, float, float]]) -> int:
    """How many pairs of segments cross (touching at an end does not count)."""

    def side(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    n = 0
    for i, (ax, ay, bx, by) in enumerate(segments):
        for cx, cy, dx, dy in segments[i + 1 :]:
            if max(ax, bx) < min(cx, dx) or max(cx, dx) < min(ax, bx):
                continue
            if (
                side(cx, cy, dx, dy, ax, ay) * side(cx, cy, dx, dy, bx, by) < 0
                and side(ax, ay, bx, by, cx, cy) * side(ax, ay, bx, by, dx, dy) < 0
            ):
                n += 1
    return n


def _layout(nodes: dict[str, Node], last: int) -> tuple[float, float | None]:
    """Place the nodes (`_tree`, `_place`), then try barycentre orders of siblings and keep
    the placement with the fewest crossings. Returns the height and the loose rule's y."""
    corporate, loose = _tree(nodes)
    neighbours: dict[str, list[Node]] = {k: [] for k in nodes}
    for node in nodes.values():
        for t in node.targets:
            neighbours[node.key].append(nodes[t])
            neighbours[t].append(node)

    def centre(node: Node) -> float:
        near = neighbours[node.key] or [node]
        return sum(n.mid for n in near) / len(near)

    best: tuple[int, dict[str, float], float | None] | None = None
    for _ in range(ROUNDS):
        rule = _place(corporate, loose, last)
        count = crossings(_segments(nodes))
        if best is None or count < best[0]:
            best = (count, {k: n.y for k, n in nodes.items()}, rule)
        if count == 0:
            break
        weight = {k: centre(n) for k, n in nodes.items()}
        for node in nodes.values():
            node.children.sort(key=lambda n: (n.column, weight[n.key], n.order))
        corporate.sort(key=lambda n: (weight[n.key], n.order))
        loose.sort(key=lambda n: (n.column, weight[n.key], n.order))
    assert best is not None
    for key, y in best[1].items():
        nodes[key].y = y
    height = max([float(TOP), *(n.y + n.h for n in nodes.values())]) + 14
    return height, best[2]


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
    height, divider = _layout(nodes, last)
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
