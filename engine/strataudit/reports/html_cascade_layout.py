"""The goal cascade's geometry: box sizes, wrapped labels and where each box goes.

Boxes carry their whole label, wrapped (cut only past MAX_LINES lines; the tooltip keeps it
all). They sit in a tidy tree on their main target (`_tree`, `_place`); the order of siblings
is then improved by a few barycentre passes (each box moves towards the boxes it links to),
keeping the order with the fewest crossing arcs (`crossings`), so the plan's own order is kept
when it is best. Pure layout: no plan model, no markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def layout(nodes: dict[str, Node], last: int) -> tuple[float, float | None]:
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
