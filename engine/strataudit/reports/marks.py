"""Which findings the HTML views mark, and where each finding sits in the page.

The views (matrix, SWOT, budget bars, goal cascade) never decide anything: they mark what a
rule found. This registry is the one place that says which rule's findings each mark shows,
so a view asks for `budget.over`, not for a catalogue id (a test checks every id here exists).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# mark -> the rules whose findings it shows, first match wins
MARKS: dict[str, tuple[str, ...]] = {
    "matrix.unmatched_product": ("SEG002",),  # a product matched to no target segment
    "matrix.unserved_target": ("SEG003",),  # a target segment no product serves
    "budget.over": ("CON004",),  # spending over a unit's budget or the corporate envelope
    "swot.strengths": ("SWT004",),  # a strength nothing uses
    "swot.weaknesses": ("SWT002",),  # a weakness nothing addresses
    "swot.opportunities": ("SWT005",),  # an opportunity nothing pursues
    "swot.threats": ("SWT003",),  # a threat nothing answers
    "cascade.unaligned": ("GOL001",),  # a unit goal that reaches no corporate goal
    "cascade.undelivered": ("GOL008",),  # a unit goal nothing delivers
    "cascade.unsupported": ("GOL004",),  # a corporate goal no unit goal supports
    "cascade.no_goal": ("ACT004", "GOL003"),  # an action or product that supports no goal
}


@dataclass
class FindingLinks:
    """Where each finding sits in the page, by (rule, entity): for the pictures' links."""

    by_rule_entity: dict[tuple[str, str | None], str] = field(default_factory=dict)

    def add(self, rule: str, entity: str | None, anchor: str) -> None:
        """Record a finding's anchor (the first one of a rule and entity is kept)."""
        self.by_rule_entity.setdefault((rule, entity), anchor)

    def first(self, mark: str, entity: str | None) -> tuple[str, str] | None:
        """(rule, anchor) of the first finding on `entity` that `mark` shows, if any."""
        for rule in MARKS[mark]:
            anchor = self.by_rule_entity.get((rule, entity))
            if anchor:
                return rule, anchor
        return None

    def get(self, mark: str, entity: str | None) -> str | None:
        """The anchor of the finding `mark` shows on `entity`, if any."""
        hit = self.first(mark, entity)
        return hit[1] if hit else None
