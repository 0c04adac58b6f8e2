"""The condition grammar, compiled to durable-rules' JSON rulesets (pure data, no engine here).

Like ansible-rulebook, rule files are compiled into the engine's own JSON form. The grammar is
small on purpose: a pattern names a fact kind and tests its fields; tests are looked up in one
operator table, not an if-chain. Two shapes of engine rule come out:

- a *check* (one per rule case): `trigger`, then the rule's patterns. The trigger fact is
  asserted only after every data fact and every derivation is in, so absence (`absent: true`,
  compiled to a `$not` pattern) is decided on the complete plan, whatever the arrival order
  (docs/architecture.md, engine hazard 1).
- a *derivation*: the `derive` patterns, asserting a derived fact (forward chaining). They are
  positive joins only, so they reach their fixpoint before the trigger, whatever the order.

Two decisions of the plan format are compiled into every check, from the rule's data:
- *levels*: the trigger carries the plan's `level`; a rule with `levels:` tests it in its
  trigger pattern, so a rule that does not apply to a corporate file never fires on one;
- *context*: facts that only context includes write carry `context: true`; the subject pattern
  of a check requires it absent (unless the rule says `context: check`), so no finding is ever
  reported on context, while context facts still satisfy the other patterns (joins, absence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strataudit.contract import (
    ALWAYS,
    CONTEXT_FIELD,
    LEVEL_FIELD,
    NEVER,
    TRIGGER,
    TRIGGER_NAME,
    binding,
)
from strataudit.grammar import COMPARISONS, GrammarError, compile_tests, is_ref, value_of
from strataudit.model import LEVELS
from strataudit.rulefile import Case, Pattern, Rule, fact_types

__all__ = ["ALWAYS", "MAX_RULES_PER_RULESET", "GrammarError", "compile_rules", "compile_tests"]

TRIGGER_PATTERN = {TRIGGER_NAME: {"type": TRIGGER}}
# durable-rules hangs when 512 or more rules share their first test (docs/architecture.md), and
# gives wrong counts or crashes from 256 rules sharing one identical pattern (our probes); every
# check starts with the trigger, so a ruleset holds at most this many rules in all (sinks,
# derivations and checks; the engine module halves a chunk further if the engine refuses it).
MAX_RULES_PER_RULESET = 240


def compile_pattern(
    pattern: Pattern, anchor: str | None = None, guards: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A rule file's pattern as engine tests (its first fact kind; see `compile_tests`)."""
    return compile_tests(
        pattern.fact if isinstance(pattern.fact, str) else pattern.fact[0],
        pattern.where,
        anchor,
        guards,
    )


def _guards(patterns: list[Pattern]) -> dict[str, set[str]]:
    """Fields each named pattern must have because a later comparison refers to them."""
    need: dict[str, set[str]] = {}
    for pattern in patterns:
        for test in pattern.where.values():
            if isinstance(test, dict) and len(test) == 1:
                ((op, value),) = test.items()
                if op in COMPARISONS and is_ref(value):
                    name, _, attr = value[1:].partition(".")
                    need.setdefault(name, set()).add(attr or "key")
    return need


@dataclass(frozen=True)
class Check:
    """One compiled engine rule that reports matches of a rule case."""

    name: str
    rule_id: str
    case_index: int
    bound: tuple[str, ...]  # pattern names whose facts the action reads
    definition: dict[str, Any]
    types: frozenset[str] = frozenset()  # the fact types its patterns match
    category: str = ""


@dataclass(frozen=True)
class Derive:
    """One compiled engine rule that asserts a derived fact."""

    name: str
    bound: tuple[str, ...]
    template: dict[str, Any]
    definition: dict[str, Any]
    types: frozenset[str] = frozenset()
    produces: str = ""


@dataclass
class Program:
    """Everything the engine runs for a rule set: derivations and checks, as JSON."""

    derives: list[Derive] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    fact_types: set[str] = field(default_factory=set)

    def rulesets(self) -> list[Chunk]:
        """Checks chunked under the shared-pattern limit, each chunk with the derivations it
        needs and the fact types it receives (a fact of a type no pattern of the chunk names is
        not asserted there: the engine's fact indexes have a fixed number of buckets, so every
        fact in a session slows the others down). Routing by type is exact; routing by field
        values was tried and dropped, since the engine's equality is looser than Python's
        ("1" equals 1 there).

        One chunk is fastest for the built-in catalogue: splitting it by category was measured
        slower (CON001 alone needs every reference, so the facts were asserted 2.2 times)."""
        chunks: list[list[Check]] = [[]]
        needed: set[str] = set()
        derives: list[Derive] = []
        for check in self.checks:  # greedy: a chunk grows while it fits, with what it needs
            grown_needed, grown_derives = self._close(needed | check.types, derives)
            # a chunk's rules: one sink per needed type, its derivations, its checks
            size = len(grown_needed) + len(grown_derives) + len(chunks[-1]) + 1
            if size > MAX_RULES_PER_RULESET and chunks[-1]:
                chunks.append([])
                grown_needed, grown_derives = self._close(set(check.types), [])
                size = len(grown_needed) + len(grown_derives) + 1
            if size > MAX_RULES_PER_RULESET:
                raise GrammarError(
                    f"{check.name} needs {len(grown_derives)} derivations and "
                    f"{len(grown_needed)} fact kinds: more than one engine ruleset "
                    f"holds ({MAX_RULES_PER_RULESET} rules at most)"
                )
            chunks[-1].append(check)
            needed, derives = grown_needed, grown_derives
        return [self._chunk(checks) for checks in chunks]

    def _chunk(self, checks: list[Check]) -> Chunk:
        needed, derives = self._close({t for c in checks for t in c.types}, [])
        order = {id(d): i for i, d in enumerate(self.derives)}
        derives.sort(key=lambda d: order[id(d)])
        return Chunk([*self.sinks(needed), *derives, *checks], frozenset(needed))

    def _close(self, needed: set[str], derives: list[Derive]) -> tuple[set[str], list[Derive]]:
        """`needed` fact types and `derives`, grown by the derivations that produce any needed
        type, transitively. A derivation no check reads (even through other derivations)
        cannot change a finding, so it is never given to the engine."""
        needed, derives = set(needed), list(derives)
        taken = {id(d) for d in derives}  # by identity: comparing definitions costs a chunk's time
        grew = True
        while grew:
            grew = False
            for derive in self.derives:
                if derive.produces in needed and id(derive) not in taken:
                    derives.append(derive)
                    taken.add(id(derive))
                    needed.update(derive.types)
                    grew = True
        return needed, derives

    def sinks(self, types: set[str]) -> list[Derive]:
        """One never-firing rule per fact type, so that every asserted fact is "handled".

        A fact that completes no pattern raises MessageNotHandledException, and inside a batch
        that corrupted the engine's memory here (a double free in `delete_state` later). A sink
        matches the type alone, then waits for a fact kind that is never asserted: no action
        ever runs, the fact is stored, and nothing else changes.
        """
        return [
            Derive(
                name=f"sink.{t}",
                bound=(),
                template={},
                definition={
                    "all": [{binding("fact"): {"type": t}}, {binding("never"): {"type": NEVER}}]
                },
            )
            for t in sorted(types)
        ]


@dataclass(frozen=True)
class Chunk:
    """One engine ruleset: its rules, and which facts it receives."""

    items: list[Derive | Check]
    types: frozenset[str]  # the only fact types it receives


def _trigger(rule: Rule) -> dict[str, Any]:
    """The check's first pattern: the trigger, at the plan levels the rule applies to."""
    levels = rule.spec.levels
    if levels is None or set(levels) >= set(LEVELS):
        return dict(TRIGGER_PATTERN)
    test = levels[0] if len(set(levels)) == 1 else {"in": sorted(set(levels))}
    return {TRIGGER_NAME: compile_tests(TRIGGER, {LEVEL_FIELD: test})}


def _own_subject(rule: Rule, patterns: list[Pattern]) -> list[Pattern]:
    """The subject must not be context, unless the rule reports on context or tests the field
    itself (the subject is always the first pattern, checked when the rule was loaded)."""
    subject = patterns[0]
    if rule.spec.context == "check" or CONTEXT_FIELD in subject.where:
        return patterns
    where = {**subject.where, CONTEXT_FIELD: {"missing": True}}
    return [subject.model_copy(update={"where": where}), *patterns[1:]]


def _patterns(
    patterns: list[Pattern], anchor: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    compiled: list[dict[str, Any]] = []
    bound: list[str] = []
    guards = _guards(patterns)
    for i, pattern in enumerate(patterns):
        own = frozenset(guards.get(pattern.as_ or "", ()))
        if pattern.absent:
            # "none of these kinds": one $not per kind ($or on the type inside a $not with a
            # join silently drops the join in this engine, so it is not used).
            for j, fact_type in enumerate(fact_types(pattern)):
                compiled.append(
                    {f"n{i}_{j}$not": compile_tests(fact_type, pattern.where, anchor, own)}
                )
        else:
            name = binding(pattern.as_ or f"anon{i}")
            compiled.append({name: compile_pattern(pattern, anchor, own)})
            bound.append(name)
            anchor = anchor or name
    return compiled, bound


def compile_rule(rule: Rule, program: Program) -> None:
    """Add a rule's derivations and one check per case to `program`."""
    spec = rule.spec
    for d, derivation in enumerate(spec.derive):
        patterns, bound = _patterns(derivation.when, None)
        program.derives.append(
            Derive(
                name=f"{spec.id}.derive{d}",
                bound=tuple(bound),
                template={k: value_of(v) for k, v in derivation.assert_.items()},
                definition={"all": patterns},
                types=frozenset(t for p in derivation.when for t in fact_types(p)),
                produces=str(derivation.assert_.get("fact")),
            )
        )
        program.fact_types.update(t for p in derivation.when for t in fact_types(p))
    cases: list[Case] = rule.cases()
    for c, case in enumerate(cases):
        patterns, bound = _patterns(_own_subject(rule, [*spec.match, *case.match]), TRIGGER_NAME)
        program.checks.append(
            Check(
                name=f"{spec.id}.case{c}",
                rule_id=spec.id,
                case_index=c,
                bound=tuple(bound),
                definition={"all": [_trigger(rule), *patterns]},
                types=frozenset(
                    {TRIGGER, *(t for p in [*spec.match, *case.match] for t in fact_types(p))}
                ),
                category=spec.category,
            )
        )
        program.fact_types.update(t for p in [*spec.match, *case.match] for t in fact_types(p))
    program.fact_types.add(TRIGGER)


def compile_rules(rules: list[Rule]) -> Program:
    """The engine program of a rule set; a `GrammarError` if it cannot fit the engine."""
    program = Program()
    for rule in rules:
        compile_rule(rule, program)
    program.rulesets()  # a rule set the engine cannot hold fails here, before any plan
    return program


def bind_template(template: dict[str, Any], facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Fill a derived fact's template from the matched facts (`{p_link: dst}` -> its value)."""
    out: dict[str, Any] = {}
    for key, value in template.items():
        if isinstance(value, dict) and len(value) == 1:
            ((name, attr),) = value.items()
            fact = facts.get(name)
            out[key] = fact.get(attr) if fact is not None else None
        else:
            out[key] = value
    return out
