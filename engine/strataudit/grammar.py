"""The condition grammar: one table of operators, compiled to durable-rules' JSON tests.

Pure data, no engine and no rule files here: `rulefile.py` compiles each pattern once for its
errors when a rule is loaded, `compiler.py` assembles whole rulesets; both use this module, so
neither imports the other's internals. A pattern's tests are ordered around the engine's
defects (docs/architecture.md, "Engine hazards").
"""

from __future__ import annotations

from typing import Any

from strataudit.contract import ALWAYS, binding


def value_of(value: Any) -> Any:
    """A literal, or `$name.field`: a field of an earlier pattern (`$$` escapes a literal $)."""
    if isinstance(value, str) and value.startswith("$"):
        if value.startswith("$$"):
            return value[1:]
        name, _, attr = value[1:].partition(".")
        return {binding(name): attr or "key"}
    return value


def _eq(field_: str, value: Any) -> dict[str, Any]:
    return {field_: value_of(value)}


def _cmp(op: str) -> Any:
    return lambda field_, value: {op: {field_: value_of(value)}}


def _in(field_: str, values: Any) -> dict[str, Any]:
    return {"$or": [{field_: value_of(v)} for v in values]}


def _not_in(field_: str, values: Any) -> dict[str, Any]:
    return {"$and": [{"$neq": {field_: value_of(v)}} for v in values]}


def _missing(field_: str, flag: Any) -> dict[str, Any]:
    return {"$nex" if flag else "$ex": {field_: 1}}


def _present(field_: str, flag: Any) -> dict[str, Any]:
    return _missing(field_, not flag)


# The operator table: `where: {field: {op: value}}`.
OPERATORS = {
    "eq": _eq,
    "ne": _cmp("$neq"),
    "lt": _cmp("$lt"),
    "le": _cmp("$lte"),
    "gt": _cmp("$gt"),
    "ge": _cmp("$gte"),
    "in": _in,
    "not_in": _not_in,
    "missing": _missing,
    "present": _present,
}


class GrammarError(ValueError):
    """A condition that cannot be compiled (unknown operator...)."""


def is_ref(value: Any) -> bool:
    """Whether a test value refers to an earlier pattern (`$name.field`)."""
    return isinstance(value, str) and value.startswith("$") and not value.startswith("$$")


COMPARISONS = {"ne", "lt", "le", "gt", "ge"}


def compile_tests(
    fact_type: str,
    where: dict[str, Any],
    anchor: str | None = None,
    guards: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """One pattern's tests, ordered around three engine defects seen in durable-rules 2.0.28.

    - A join test placed after an `$or` group is silently ignored: `$or` groups (from `in`)
      come last, after every join.
    - When the last join test of a pattern is false, the engine reads past the end of its
      expression array (events.c, reduceExpressionSequence): segfaults, or wrong answers. Every
      pattern with a join therefore ends with a join that is always true: the constant field
      `ALWAYS` (1 on every asserted fact) equal to the anchor pattern's. (A join on `sid` for
      this crashed the engine in its turn: `sid` is not an ordinary property.)
    - A comparison (`lt`, `gt`, `ne`...) with a field the other fact lacks aborts the whole
      assertion (error 311): the referenced pattern gets a `present` guard (`guards`).
    """
    literal: list[dict[str, Any]] = [{"type": fact_type}]
    literal += [{"$ex": {name: 1}} for name in sorted(guards)]
    compare: list[dict[str, Any]] = []
    equal: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for field_, test in where.items():
        if not isinstance(test, dict):
            test = {"eq": test}
        if len(test) != 1:
            raise GrammarError(f"`{field_}`: one operator per field test, got {sorted(test)}")
        op, value = next(iter(test.items()))
        if op not in OPERATORS:
            raise GrammarError(
                f"`{field_}`: unknown operator `{op}`; use one of {', '.join(OPERATORS)}"
            )
        compiled = OPERATORS[op](field_, value)
        if op in ("in", "not_in"):
            if not isinstance(value, list) or any(is_ref(v) for v in value):
                raise GrammarError(f"`{field_}`: `{op}` takes a list of literal values")
            (groups if op == "in" else literal).append(compiled)
        elif is_ref(value):
            (compare if op in COMPARISONS else equal).append(compiled)
        else:
            literal.append(compiled)
    joins = compare + equal
    if joins:
        if anchor is None:
            raise GrammarError("the first pattern cannot refer to another pattern")
        joins.append({ALWAYS: {anchor: ALWAYS}})
    tests = literal + joins + groups
    return tests[0] if len(tests) == 1 else {"$and": tests}
