"""The condition grammar, compiled to durable-rules' JSON rulesets (pure data, no engine here).

Like ansible-rulebook, rule files are compiled into the engine's own JSON form. The grammar is
small on purpose: a pattern names a fact kind and tests its fields; tests are looked up in one
operator table, not an if-chain. Two shapes of engine rule come out:

- a *check* (one per rule case): `trigger`, then the rule's patterns. The trigger fact is
  asserted only after every data fact and every derivation is in, so absence (`absent: true`,
  compiled to a `$not` pattern) is decided on the complete plan, whatever the arrival order
  (field notes, hazard 1).
- a *derivation*: the `derive` patterns, asserting a derived fact (forward chaining). They are
  positive joins only, so they reach their fixpoint before the trigger, whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strataudit.rulefile import Case, Pattern, Rule, fact_types

TRIGGER = "trigger"
NEVER = "never_asserted"
TRIGGER_PATTERN = {"t_trigger": {"type": TRIGGER}}
# durable-rules hangs when 512 or more rules share their first test (field notes, hazard 7), and
# every check starts with the trigger: checks are split into rulesets of at most this many (the
# engine module halves a chunk further when the engine's tables refuse it).
MAX_CHECKS_PER_RULESET = 200
MAX_RULES_PER_RULESET = 4000


def _binding(name: str) -> str:
    """Engine pattern names: prefixed so no user name can be `s` or `m` (reserved)."""
    return f"p_{name}"


def _value(value: Any) -> Any:
    """A literal, or `$name.field`: a field of an earlier pattern (`$$` escapes a literal $)."""
    if isinstance(value, str) and value.startswith("$"):
        if value.startswith("$$"):
            return value[1:]
        name, _, attr = value[1:].partition(".")
        return {_binding(name): attr or "key"}
    return value


def _eq(field_: str, value: Any) -> dict[str, Any]:
    return {field_: _value(value)}


def _cmp(op: str) -> Any:
    return lambda field_, value: {op: {field_: _value(value)}}


def _in(field_: str, values: Any) -> dict[str, Any]:
    return {"$or": [{field_: _value(v)} for v in values]}


def _not_in(field_: str, values: Any) -> dict[str, Any]:
    return {"$and": [{"$neq": {field_: _value(v)}} for v in values]}


def _missing(field_: str, flag: Any) -> dict[str, Any]:
    return {"$nex" if flag else "$ex": {field_: 1}}


def _present(field_: str, flag: Any) -> dict[str, Any]:
    return _missing(field_, not flag)


# The operator table: `where: {field: {op: value}}`.
OPERATORS = {
    "eq": _eq, "ne": _cmp("$neq"), "lt": _cmp("$lt"), "le": _cmp("$lte"), "gt": _cmp("$gt"),
    "ge": _cmp("$gte"), "in": _in, "not_in": _not_in, "missing": _missing, "present": _present,
}


class GrammarError(ValueError):
    """A condition that cannot be compiled (unknown operator...)."""


def compile_pattern(pattern: Pattern) -> dict[str, Any]:
    return compile_tests(pattern.fact if isinstance(pattern.fact, str) else pattern.fact[0],
                         pattern.where)


def compile_tests(fact_type: str, where: dict[str, Any]) -> dict[str, Any]:
    tests: list[dict[str, Any]] = [{"type": fact_type}]
    for field_, test in where.items():
        if isinstance(test, dict):
            if len(test) != 1:
                raise GrammarError(f"`{field_}`: one operator per field test, got {sorted(test)}")
            op, value = next(iter(test.items()))
            if op not in OPERATORS:
                raise GrammarError(f"`{field_}`: unknown operator `{op}`; "
                                   f"use one of {', '.join(OPERATORS)}")
            tests.append(OPERATORS[op](field_, value))
        else:
            tests.append(_eq(field_, test))
    return tests[0] if len(tests) == 1 else {"$and": tests}


@dataclass(frozen=True)
class Check:
    """One compiled engine rule that reports matches of a rule case."""

    name: str
    rule_id: str
    case_index: int
    bound: tuple[str, ...]  # pattern names whose facts the action reads
    definition: dict[str, Any]


@dataclass(frozen=True)
class Derive:
    """One compiled engine rule that asserts a derived fact."""

    name: str
    bound: tuple[str, ...]
    template: dict[str, Any]
    definition: dict[str, Any]


@dataclass
class Program:
    """Everything the engine runs for a rule set: derivations and checks, as JSON."""

    derives: list[Derive] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    fact_types: set[str] = field(default_factory=set)

    def rulesets(self) -> list[list[Derive | Check]]:
        """Checks chunked under the shared-first-test limit, each chunk with every derivation."""
        chunks = [self.checks[i:i + MAX_CHECKS_PER_RULESET]
                  for i in range(0, len(self.checks), MAX_CHECKS_PER_RULESET)] or [[]]
        return [[*self.sinks(), *self.derives, *chunk] for chunk in chunks]

    def sinks(self) -> list[Derive]:
        """One never-firing rule per fact type, so that every asserted fact is "handled".

        A fact that completes no pattern raises MessageNotHandledException, and inside a batch
        that corrupted the engine's memory here (a double free in `delete_state` later). A sink
        matches the type alone, then waits for a fact kind that is never asserted: no action
        ever runs, the fact is stored, and nothing else changes.
        """
        return [Derive(name=f"sink.{t}", bound=(), template={},
                       definition={"all": [{"p_fact": {"type": t}},
                                           {"p_never": {"type": NEVER}}]})
                for t in sorted(self.fact_types)]


def _patterns(patterns: list[Pattern], start: int) -> tuple[list[dict[str, Any]], list[str]]:
    compiled: list[dict[str, Any]] = []
    bound: list[str] = []
    for i, pattern in enumerate(patterns, start):
        if pattern.absent:
            # "none of these kinds": one $not per kind ($or on the type inside a $not with a
            # join did not match in our probes, so it is not used).
            for j, fact_type in enumerate(fact_types(pattern)):
                compiled.append({f"n{i}_{j}$not": compile_tests(fact_type, pattern.where)})
        else:
            name = _binding(pattern.as_ or f"anon{i}")
            compiled.append({name: compile_pattern(pattern)})
            bound.append(name)
    return compiled, bound


def compile_rule(rule: Rule, program: Program) -> None:
    spec = rule.spec
    for d, derivation in enumerate(spec.derive):
        patterns, bound = _patterns(derivation.when, 0)
        program.derives.append(Derive(
            name=f"{spec.id}.derive{d}", bound=tuple(bound),
            template={k: _value(v) for k, v in derivation.assert_.items()},
            definition={"all": patterns}))
        program.fact_types.update(t for p in derivation.when for t in fact_types(p))
    cases: list[Case] = rule.cases()
    for c, case in enumerate(cases):
        patterns, bound = _patterns([*spec.match, *case.match], 0)
        program.checks.append(Check(
            name=f"{spec.id}.case{c}", rule_id=spec.id, case_index=c, bound=tuple(bound),
            definition={"all": [dict(TRIGGER_PATTERN), *patterns]}))
        program.fact_types.update(t for p in [*spec.match, *case.match] for t in fact_types(p))
    program.fact_types.add(TRIGGER)


def compile_rules(rules: list[Rule]) -> Program:
    program = Program()
    for rule in rules:
        compile_rule(rule, program)
    if len(program.derives) + MAX_CHECKS_PER_RULESET > MAX_RULES_PER_RULESET:
        raise GrammarError(f"{len(program.derives)} derivations exceed the engine's limit")
    return program


def bind_template(template: dict[str, Any], facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Fill a derived fact's template from the matched facts (`{p_link: dst}` -> its value)."""
    out: dict[str, Any] = {}
    for key, value in template.items():
        if isinstance(value, dict) and len(value) == 1:
            (name, attr), = value.items()
            fact = facts.get(name)
            out[key] = fact.get(attr) if fact is not None else None
        else:
            out[key] = value
    return out
