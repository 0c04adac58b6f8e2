"""The compiled-rule contract: the names the compiler writes, the engine adds, findings read.

A compiled check is `[trigger pattern, the rule's patterns...]`, each pattern bound under a
prefixed name; every fact the engine asserts carries its session id, its own id and the
always-true field. These names were literals in four modules; they live here, with `Match`,
the one thing the engine hands back, so that findings, the compiler and the engine agree
without importing one another (docs/architecture.md, "The compiled-rule contract").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TRIGGER = "trigger"  # the fact type asserted after every fact of a plan (absence is then sound)
TRIGGER_NAME = "t_trigger"  # the name the trigger pattern is bound under in every check
LEVEL_FIELD = "level"  # the trigger's field holding the plan's level (`full`, `corporate`)
DEFAULT_TRIGGER = {LEVEL_FIELD: "full"}  # a plan's trigger fields when none are given
CONTEXT_FIELD = "context"  # true on a fact that only context includes write
NEVER = "never_asserted"  # a fact type no one asserts: what a sink rule waits for
ALWAYS = "one"  # a field set to 1 on every asserted fact: the always-true closing join
BINDING_PREFIX = "p_"  # before every user pattern name, so none can be the engine's `s` or `m`
SID = "sid"  # the engine's session id field on every asserted fact
ID = "id"  # the engine's fact id (made unique by hash per session, so it may differ from FID)
FID = "fid"  # the fact's own id (facts.py), what findings look facts up by


def binding(name: str) -> str:
    """The engine pattern name of a rule's pattern `as: name` (`subject` -> `p_subject`)."""
    return f"{BINDING_PREFIX}{name}"


@dataclass(frozen=True)
class Match:
    """One firing of a check: which rule case, and the facts its patterns bound."""

    rule_id: str  #: the rule the check belongs to
    case_index: int  #: which of the rule's cases fired
    facts: dict[str, dict[str, Any]]  #: bound pattern name (`p_subject`) -> the fact it matched
