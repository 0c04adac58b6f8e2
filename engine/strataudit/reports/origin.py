"""Where an entity of the plan was written, for the views: the plan's own file, an included
file, or an included file marked as *context* (HQ's segments in a unit's plan, say).

Context content describes the plan's surroundings; a view shows it tagged as such and never
as the plan's own shortfall. The mark is read where the multi-level loader puts it: a
`context` flag on the entity's fact, or on the `Document` of the file that wrote it; without
either, nothing is context (and an included file is still named).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strataudit.facts import Fact, FactBase
    from strataudit.loader import LoadedPlan


@dataclass(frozen=True)
class Origin:
    """An entity's file, when it is not the audited one, and whether that is context."""

    file: str | None  #: the included file that wrote it; None: the plan's own file
    context: bool  #: written in a file marked as context


OWN = Origin(None, False)


class Origins:
    """The origin of each fact of one plan (its entity's first written place)."""

    def __init__(self, loaded: LoadedPlan | None, facts: FactBase) -> None:
        self.loaded = loaded
        self.facts = facts
        docs = loaded.documents if loaded is not None else ()
        self.context_files = {d.file for d in docs if getattr(d, "context", False)}

    def of(self, fact: Fact | dict[str, Any]) -> Origin:
        """Where the entity of `fact` was written."""
        flagged = bool(fact.get("context"))
        if self.loaded is None or not self.loaded.documents:
            # a plan sent back by a `--jobs` worker carries no documents (their marks do not
            # survive pickling): the context mark still comes with the facts
            return Origin(None, flagged)
        file = self.loaded.locator.locate(self.facts.steps[fact["id"]]).file
        if file == self.loaded.file:
            return Origin(None, flagged)
        return Origin(file, flagged or file in self.context_files)

    def by_key(self, fact_type: str) -> dict[str, Origin]:
        """`{entity id: origin}` for every fact of `fact_type`."""
        return {
            f["key"]: self.of(f)
            for f in self.facts.facts
            if f["type"] == fact_type and isinstance(f.get("key"), str)
        }
