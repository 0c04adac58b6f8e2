"""The goal cascade carries the numbers and reads without a tangle: whole labels, a goal's
baseline -> target, deadline and owner, and fewer crossing arcs than the plan's own order gave.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from conftest import SAMPLES

from strataudit.loader import load_plan
from strataudit.reports.html_cascade import cascade
from strataudit.reports.html_cascade_layout import NODE_W
from strataudit.reports.marks import FindingLinks

# Crossing arcs before the order of siblings was chosen to reduce them (plan order, tidy tree),
# counted by `drawn_crossings` below on the same samples.
BEFORE = {
    "acme-2027.yaml": 58,
    "acme-defects.yaml": 143,
    "unit-eu/eu-plan.yaml": 5,
    "acme-2027.json": 6,
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _points(d: str, steps: int = 12) -> list[tuple[float, float]]:
    """The cubic Bézier of an arc's `d` (`M x0,y0 C x1,y1 x2,y2 x3,y3`) as a polyline."""
    x0, y0, x1, y1, x2, y2, x3, y3 = map(float, _NUMBER.findall(d))
    out = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        out.append(
            (
                u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
            )
        )
    return out


def _cross(p, q, r, s) -> bool:
    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return side(r, s, p) * side(r, s, q) < 0 and side(p, q, r) * side(p, q, s) < 0


def drawn_crossings(edges: list[dict[str, str]]) -> int:
    """Pairs of drawn arcs that cross (sharing an end is not crossing)."""
    curves = [_points(e["d"]) for e in edges]
    boxes = [
        (min(x for x, _ in c), max(x for x, _ in c), min(y for _, y in c), max(y for _, y in c))
        for c in curves
    ]
    count = 0
    for i, a in enumerate(curves):
        for j in range(i + 1, len(curves)):
            (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) = boxes[i], boxes[j]
            if ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0:
                continue
            b = curves[j]
            if any(
                _cross(a[k], a[k + 1], b[m], b[m + 1])
                for k in range(len(a) - 1)
                for m in range(len(b) - 1)
            ):
                count += 1
    return count


def _cascade(name: str):
    loaded = load_plan(SAMPLES / name, name)
    return loaded.plan, cascade(loaded.plan, FindingLinks())


def test_arcs_cross_less_than_in_the_plans_own_order():
    now = {name: drawn_crossings(_cascade(name)[1]["edges"]) for name in BEFORE}
    assert all(now[name] <= before for name, before in BEFORE.items()), now
    assert sum(now.values()) < sum(BEFORE.values()), now
    assert now["acme-defects.yaml"] < BEFORE["acme-defects.yaml"], now


@pytest.mark.parametrize("name", ["acme-2027.yaml", "acme-defects.yaml"])
def test_labels_are_whole_and_goals_show_their_numbers(name):
    plan, drawn = _cascade(name)
    nodes = {n["id"]: n for n in drawn["nodes"]}
    goals = [*(plan.corporate.goals or [])] + [g for u in plan.units or [] for g in u.goals or []]
    for goal in goals:
        node = nodes[goal.id]
        assert " ".join(node["lines"]) == " ".join(goal.statement.split())  # nothing cut
        facts = " ".join(node["facts"])
        if goal.target is not None:
            assert f"{goal.target:,.0f}" in facts.replace(".00", "")
        if goal.deadline is not None:
            assert goal.deadline.isoformat() in facts
        if goal.owner:
            assert goal.owner in facts
    # boxes grow with their text and never overlap in a column
    by_column: dict[float, list[dict]] = {}
    for n in drawn["nodes"]:
        by_column.setdefault(n["x"], []).append(n)
    for column in by_column.values():
        column.sort(key=lambda n: n["y"])
        for upper, lower in itertools.pairwise(column):
            assert upper["y"] + upper["h"] <= lower["y"], (upper["id"], lower["id"])
    assert all(n["x"] + NODE_W <= drawn["width"] for n in drawn["nodes"])


def test_the_page_draws_every_line_of_a_label(run_cli, tmp_path: Path):
    out = tmp_path / "r.html"
    run_cli("audit", "--format", "html", "-o", str(out), str(SAMPLES / "acme-2027.yaml"))
    html = out.read_text()
    section = html[html.index('id="p1-cascade"') : html.index('id="p1-swot"')]
    drawn = _cascade("acme-2027.yaml")[1]
    lines = [line for n in drawn["nodes"] for line in n["lines"]]
    assert section.count('<tspan x="8"') >= len(lines)
    assert "\u2026" not in " ".join(lines)
