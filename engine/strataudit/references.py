"""Dangling references, for the reviewer: the id a bad reference probably meant, and the
findings it causes.

A reference that names nothing (CON001) rarely comes alone: the action that meant threat `T3`
but wrote `T03` leaves T3 unaddressed (SWT003), and the unit goal that supports `CG-2` instead
of `CG2` is not aligned (GOL001). Those findings are true, but their cause is the typo; a
reviewer who fixes it clears them all. This module says so: it is presentation of what the
engine decided (the suggestion and the cause are added to findings, never a finding of their
own), read from the rules' own patterns, so that a new rule gets its causes without Python.

A finding is caused by a dangling reference when its rule reads links of that reference's
field (its patterns, or its derivations, name `fact: link` with literal tests the link meets)
and either
- the rule reads links *from* its subject (`src: $subject`, or a derivation that asserts the
  link's `src`) and the finding's entity wrote the bad reference (GOL001 on EMEA-G3), or
- the rule reads links *to* its subject (`dst: $subject`, or a derivation that asserts the
  link's `dst`) and the finding's entity is the one the bad id probably meant (SWT003 on T3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from strataudit.facts import EXPECTED_FACTS, FactBase
from strataudit.rulefile import Pattern, Rule, fact_types

_SEPARATORS = re.compile(r"[\s_\-./]+")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")


def _shape(key: str) -> str:
    """`T03` and `t3`, `CG-2` and `CG2` have one shape: case, separators, leading zeros aside."""
    return _LEADING_ZEROS.sub("", _SEPARATORS.sub("", key.casefold()))


SUGGEST_AMONG = 5000
"""Above this many ids of one kind, only an id of the same shape is suggested: difflib's
nearest match costs a comparison per id, per bad reference."""


@dataclass(frozen=True)
class _Pool:
    """The ids a reference expecting one kind may name: sorted, as a set, and by shape."""

    ids: list[str]
    members: frozenset[str]
    shapes: dict[str, str]  # shape -> the first id (sorted) of that shape


class PlanIds:
    """The ids of one plan by the kind a reference expects, and what a bad id probably meant."""

    def __init__(self, base: FactBase) -> None:
        self._by_type: dict[str, set[str]] = {}
        for fact in base.facts:
            if fact["type"] != "link" and "key" in fact:
                self._by_type.setdefault(fact["type"], set()).add(fact["key"])
        self._pools: dict[str, _Pool] = {}

    def _pool(self, expects: str) -> _Pool:
        pool = self._pools.get(expects)
        if pool is None:
            kinds = EXPECTED_FACTS.get(expects, (expects,))
            members = frozenset().union(*(self._by_type.get(k, set()) for k in kinds))
            ids = sorted(members)
            shapes: dict[str, str] = {}
            for key in ids:
                shapes.setdefault(_shape(key), key)
            pool = self._pools[expects] = _Pool(ids, members, shapes)
        return pool

    def names_something(self, link: dict[str, Any]) -> bool:
        """Whether a link's id names an entity of the kind it expects."""
        return link.get("dst") in self._pool(str(link.get("expects", ""))).members

    def closest(self, wrong: str, expects: str) -> str | None:
        """The id `wrong` most probably meant among the ids of the expected kind: one of the
        same shape, else the nearest by difflib's ratio (0.8 or better: ids share prefixes,
        so `SEG-CA` is not a typo of `SEG-LAB`), else None."""
        pool = self._pool(expects)
        ids = pool.ids
        if not wrong.strip() or not ids:
            return None
        same = pool.shapes.get(_shape(wrong))
        if same is not None and same != wrong:
            return same
        if len(ids) > SUGGEST_AMONG:
            return None
        import difflib  # only a plan with a dangling reference needs it

        close = difflib.get_close_matches(wrong, ids, n=1, cutoff=0.8)
        return close[0] if close else None

    def suggestion(self, link: dict[str, Any]) -> tuple[str | None, str]:
        """(the id meant, the words added to the message) for a link that names nothing."""
        dst = str(link.get("dst", ""))
        if not dst.strip():
            return None, " (a blank entry: write the id, or remove the entry)"
        meant = self.closest(dst, str(link.get("expects", "")))
        return meant, f" (did you mean `{meant}`?)" if meant else ""


OUT, IN = "out", "in"


@dataclass(frozen=True)
class LinkRead:
    """A rule reads links that pass `tests` (literal field tests), from or to its subject."""

    direction: str  #: OUT: links its subject writes; IN: links that name its subject
    tests: tuple[tuple[str, Any], ...]  #: literal tests (field, value) of the pattern

    def covers(self, link: dict[str, Any]) -> bool:
        """Whether a link fact could have matched the pattern (literal equalities hold)."""
        return all(link.get(name) == value for name, value in self.tests)


def _literal_tests(pattern: Pattern) -> tuple[tuple[str, Any], ...]:
    return tuple(
        (name, value)
        for name, value in pattern.where.items()
        if name not in ("src", "dst")
        and isinstance(value, (str, int, float, bool))
        and not (isinstance(value, str) and value.startswith("$"))
    )


def _subject_side(pattern: Pattern) -> str | None:
    for name, direction in (("src", OUT), ("dst", IN)):
        value = pattern.where.get(name)
        if isinstance(value, str) and value.split(".")[0] == "$subject":
            return direction
    return None


def link_reads(rule: Rule) -> tuple[LinkRead, ...]:
    """Every way `rule` reads links, from its patterns and its derivations."""
    reads: list[LinkRead] = []
    patterns = [*rule.spec.match, *(p for c in rule.spec.cases for p in c.match)]
    for pattern in patterns:
        side = _subject_side(pattern) if "link" in fact_types(pattern) else None
        if side is not None:
            reads.append(LinkRead(side, _literal_tests(pattern)))
    for step in rule.spec.derive:
        asserted = {str(v) for v in step.assert_.values()}
        for pattern in step.when:
            if "link" not in fact_types(pattern) or pattern.as_ is None:
                continue
            for name, direction in (("src", OUT), ("dst", IN)):
                if f"${pattern.as_}.{name}" in asserted:
                    reads.append(LinkRead(direction, _literal_tests(pattern)))
    return tuple(reads)


@dataclass(frozen=True)
class Dangling:
    """A reference that names nothing: its link fact, and the id it probably meant."""

    link: dict[str, Any]
    meant: str | None


class Causes:
    """The dangling references of one plan, indexed by the entity that wrote each and the one
    it probably meant, so that naming the causes of a large plan's findings stays linear."""

    def __init__(self, dangling: Iterable[Dangling]) -> None:
        self.written_by: dict[str, list[Dangling]] = {}
        self.meant_for: dict[str, list[Dangling]] = {}
        for ref in dangling:  # in the order given: the first that fits is the cause
            self.written_by.setdefault(str(ref.link.get("src")), []).append(ref)
            if ref.meant is not None:
                self.meant_for.setdefault(ref.meant, []).append(ref)
        self._reads: dict[str, tuple[LinkRead, ...]] = {}

    def of(self, rule: Rule, entity: str | None) -> Dangling | None:
        """The first dangling reference a finding of `rule` on `entity` follows from, by the
        module docstring's test; None when none does."""
        if entity is None:
            return None
        reads = self._reads.get(rule.id)
        if reads is None:
            reads = self._reads[rule.id] = link_reads(rule)
        for direction, refs in ((OUT, self.written_by), (IN, self.meant_for)):
            for ref in refs.get(entity, ()):
                if any(r.direction == direction and r.covers(ref.link) for r in reads):
                    return ref
        return None
