"""Rule files: the public format of a rule (version 1), loaded and checked into `Rule` objects.

A rule is data: what it flags (its condition, in the grammar of `compiler.py`), why (rationale
and the source sentence), how to fix it, and its own pass/fail examples. Loading a pack never runs
code from it, and a malformed file is an input error naming the file, line and field.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from strataudit import snapshot
from strataudit.contract import TRIGGER_NAME
from strataudit.document import Mark
from strataudit.errors import InputError, input_error
from strataudit.grammar import GrammarError, compile_tests
from strataudit.model import Level
from strataudit.results import Severity
from strataudit.source import Document, load_document
from strataudit.validation import translate

RULE_FORMAT_VERSION = 1


CATEGORIES = (
    "structure",
    "goals",
    "segmentation",
    "swot",
    "value",
    "market",
    "actions",
    "consistency",
    "audiences",
    "collaboration",
)

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*[0-9]{3}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Strict):
    """One fact to match (or, with `absent: true`, a fact that must not exist)."""

    fact: Name | list[Name]
    as_: Name | None = Field(default=None, alias="as")
    absent: bool = False
    where: dict[str, Any] = Field(default_factory=dict)


class Derivation(_Strict):
    """A forward-chaining step: when the patterns match, assert a derived fact."""

    when: list[Pattern] = Field(min_length=1, max_length=12)
    assert_: dict[str, Any] = Field(alias="assert")


class Case(_Strict):
    """One way the rule can fail; matches of several cases on one entity make one finding."""

    label: str | None = None
    scope: Literal["entity", "plan"] | None = None  # overrides the rule's scope
    match: list[Pattern] = Field(default_factory=list, max_length=12)
    field: str | None = None
    at: list[str] | None = None
    detail: str | None = None


class Expectation(_Strict):
    entity: str | None = None
    path: str | None = None
    detail: str | None = None
    message_contains: str | None = None


FileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")]


class FailExample(_Strict):
    name: str | None = None
    plan: str
    #: other files the plan includes, by name (`hq.yaml`), each a whole plan file's text
    files: dict[FileName, str] = Field(default_factory=dict)
    expect: list[Expectation] = Field(min_length=1)


class PassExample(_Strict):
    name: str | None = None
    plan: str
    files: dict[FileName, str] = Field(default_factory=dict)


class Examples(_Strict):
    fail: list[FailExample] = Field(min_length=1)
    pass_: list[PassExample] = Field(alias="pass", min_length=1)


class RuleSpec(_Strict):
    """The rule file, as written."""

    strataudit_rule: Literal[1]
    id: RuleId
    title: str
    severity: Literal["error", "warning", "info"]
    category: Name
    scope: Literal["entity", "plan"]
    #: the plan levels (`plan.level`) the rule applies to; none given: every level
    levels: list[Level] | None = Field(default=None, min_length=1)
    #: `skip` (the default): no finding on a subject that only context includes write;
    #: `check`: the rule reports on context too
    context: Literal["skip", "check"] = "skip"
    source: str
    quote: str | None = None
    rationale: str
    remediation: str
    message: str
    field: str | None = None
    at: list[str] | None = None
    detail: str | None = None
    item: str | None = None
    derive: list[Derivation] = Field(default_factory=list)
    match: list[Pattern] = Field(default_factory=list, max_length=12)
    cases: list[Case] = Field(default_factory=list)
    example_fix: str | None = None
    examples: Examples


@dataclass(frozen=True)
class Rule:
    """A loaded rule: its spec plus where it came from."""

    spec: RuleSpec
    file: str
    builtin: bool

    @property
    def id(self) -> str:
        """The rule's id, e.g. `SEG002`."""
        return self.spec.id

    @property
    def severity(self) -> Severity:
        """The rule's severity (after the config's overrides)."""
        return Severity.parse(self.spec.severity)

    @property
    def category(self) -> str:
        """The rule's category (its folder)."""
        return self.spec.category

    def cases(self) -> list[Case]:
        return list(self.spec.cases) or [Case()]

    @property
    def fingerprint(self) -> str:
        """What the rule's compiled form depends on (the compiled-engine cache's key): a built-in
        rule as shipped is its id, since the catalogue is read once per process and frozen;
        any other rule (a pack's, or a severity override) is its file and whole spec."""
        if self.builtin and _shipped_specs().get(self.spec.id) is self.spec:
            return f"builtin\x1f{self.spec.id}"
        return f"{self.file}\x1f{self.builtin}\x1f{self.spec.model_dump_json()}"

    def applies_at(self, level: str) -> bool:
        """Whether the rule runs on a plan of this `plan.level` (the engine decides it through
        the trigger; this answers the checklist's "not applicable at this level")."""
        return self.spec.levels is None or level in self.spec.levels


def fact_types(pattern: Pattern) -> list[str]:
    """The fact kinds a pattern matches (`fact:` is one kind or a list)."""
    return [pattern.fact] if isinstance(pattern.fact, str) else list(pattern.fact)


def builtin_rules_dir() -> Path:
    """The catalogue shipped inside the installed package (`strataudit/rules`)."""
    import importlib.resources

    return Path(str(importlib.resources.files("strataudit.rules")))


def load_rule_file(path: Path, display: str, builtin: bool) -> Rule:
    """One rule file, checked; a malformed file is an input error with its line."""
    doc = load_document(path, display)
    try:
        spec = RuleSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise translate(exc, doc, RuleSpec) from None
    _check_semantics(spec, doc)
    return Rule(spec, display, builtin)


def _rule_from_snapshot(path: Path, display: str, data: Any) -> Rule:
    """A built-in rule from the build's parsed data (`snapshot.py`), checked as a file is;
    if the check fails, the file is read again for the error's line."""
    unlocated = Document(display, path, data, Mark(1, 1))
    try:
        spec = RuleSpec.model_validate(data)
        _check_semantics(spec, unlocated)
    except (ValidationError, InputError):
        return load_rule_file(path, display, True)
    return Rule(spec, display, True)


def _check_semantics(spec: RuleSpec, doc: Document) -> None:
    """What the schema cannot say: the subject, the category, names used before they are bound."""

    def fail(raw: tuple[str | int, ...], message: str, hint: str) -> InputError:
        mark = doc.mark_of(raw)
        return input_error(doc.file, mark.line, mark.column, message, hint, ".".join(map(str, raw)))

    cases = list(spec.cases) or [Case()]
    for c, case in enumerate(cases):
        patterns = [*spec.match, *case.match]
        where: tuple[str | int, ...] = ("match",) if spec.match else ("cases", c, "match")
        if not patterns or patterns[0].as_ != "subject" or patterns[0].absent:
            raise fail(
                where,
                "the first pattern must be `as: subject`",
                "start `match` (or each case's `match`) with the fact the finding is "
                "about, named `as: subject`",
            )
        names: set[str] = set()
        for i, pattern in enumerate(patterns):
            raw = (
                ("match", i) if i < len(spec.match) else ("cases", c, "match", i - len(spec.match))
            )
            if not isinstance(pattern.fact, str) and not pattern.absent:
                raise fail(
                    raw,
                    "a list of fact kinds is allowed only with `absent`",
                    "write one rule case per kind instead",
                )
            _check_refs(pattern, names, lambda m, h, raw=raw: fail(raw, m, h))
            if pattern.as_ and not pattern.absent:
                names.add(pattern.as_)
    for d, derivation in enumerate(spec.derive):
        names = set()
        for i, pattern in enumerate(derivation.when):
            if pattern.absent or not isinstance(pattern.fact, str):
                raise fail(
                    ("derive", d, "when", i),
                    "a derivation matches one kind of fact per pattern, never `absent`",
                    "derive from positive matches only; put the absence in `match`",
                )
            _check_refs(pattern, names, lambda m, h, d=d, i=i: fail(("derive", d, "when", i), m, h))
            if pattern.as_:
                names.add(pattern.as_)
        if not isinstance(derivation.assert_.get("fact"), str):
            raise fail(
                ("derive", d, "assert"),
                "`assert` must name the derived `fact:`",
                "write `assert: {fact: my_fact, field: $pattern.field}`",
            )
        for key, value in derivation.assert_.items():
            where = ("derive", d, "assert", key)
            if isinstance(value, (dict, list)):
                raise fail(
                    where,
                    "a derived field holds one value (text, number, true/false)",
                    "derive one fact per value; the engine cannot match inside lists",
                )
            if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
                name, _, attr = value[1:].partition(".")
                if name not in names:
                    raise fail(
                        where,
                        f"`{value}` refers to `{name}`, which no pattern binds",
                        "bind it with `as:` in this derivation's `when`",
                    )
                if attr in _display_fields():
                    raise fail(
                        where,
                        f"`{value}`: {attr} is for messages only",
                        "derive from ids and fields, not labels or paths",
                    )


def _display_fields() -> frozenset[str]:
    from strataudit.facts import DISPLAY_FIELDS

    return DISPLAY_FIELDS


def _check_refs(pattern: Pattern, bound: set[str], fail: Any) -> None:
    display = _display_fields()
    shown = [f for f in pattern.where if f in display] + [
        v
        for v in _values(pattern.where)
        if isinstance(v, str) and v.startswith("$") and v.rpartition(".")[2] in display
    ]
    if shown:
        raise fail(
            f"`{shown[0]}`: {', '.join(sorted(display))} are for messages only",
            "match on ids and fields; use labels and paths in `message`",
        )
    try:
        kind = pattern.fact if isinstance(pattern.fact, str) else pattern.fact[0]
        compile_tests(kind, pattern.where, anchor=TRIGGER_NAME)  # compiled for its errors only
    except GrammarError as exc:
        raise fail(str(exc), "see docs/rule-format.md for the operators") from None
    for value in _values(pattern.where):
        if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
            name = value[1:].split(".", 1)[0]
            if name not in bound:
                raise fail(
                    f"`{value}` refers to `{name}`, which no earlier pattern binds",
                    "bind it with `as:` on an earlier (non-absent) pattern",
                )


def _values(where: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for value in where.values():
        if isinstance(value, dict):
            for inner in value.values():
                out.extend(inner if isinstance(inner, list) else [inner])
        else:
            out.append(value)
    return out


class RuleSet:
    """An ordered collection of rules with unique ids: the built-ins plus any user packs."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = sorted(rules, key=lambda r: r.id)
        self.by_id = {r.id: r for r in self.rules}

    def __iter__(self) -> Any:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def select(self, select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> RuleSet:
        """Keep rules named by id or category in `select` (all if empty), minus `ignore`."""

        def named(rule: Rule, names: tuple[str, ...]) -> bool:
            return any(n.upper() == rule.id or n.lower() == rule.category for n in names)

        return RuleSet(
            [r for r in self.rules if (not select or named(r, select)) and not named(r, ignore)]
        )

    def with_severities(self, overrides: dict[str, str]) -> RuleSet:
        """Per-rule severity overrides from the config; `off` drops the rule."""
        rules = []
        for rule in self.rules:
            level = overrides.get(rule.id)
            if level == "off":
                continue
            if level is not None:
                rule = Rule(
                    rule.spec.model_copy(update={"severity": level}), rule.file, rule.builtin
                )
            rules.append(rule)
        return RuleSet(rules)


def load_pack(directory: Path, builtin: bool = False) -> list[Rule]:
    """Every `*.yaml` rule file under `directory`, in a stable order."""
    if not directory.is_dir():
        raise input_error(
            str(directory),
            None,
            None,
            "rule pack directory not found",
            "point --rules at a directory of rule files (*.yaml)",
        )
    display = (lambda p: _builtin_name(directory, p)) if builtin else str
    return [load_rule_file(p, display(p), builtin) for p in snapshot.rule_files(directory)]


def _builtin_name(directory: Path, path: Path) -> str:
    """How reports name a built-in rule's file: `rules/goals/GOL001.yaml`."""
    return f"rules/{path.relative_to(directory)}"


@functools.cache
def _builtin_rules() -> tuple[Rule, ...]:
    """The built-in catalogue, read once per process: it is package data, and its rules are
    frozen; parsing its files costs more than auditing a small plan, which a long-lived process
    (the service's workers) pays on every run otherwise."""
    return load_catalogue(builtin_rules_dir())


@functools.cache
def _shipped_specs() -> dict[str, RuleSpec]:
    return {rule.id: rule.spec for rule in _builtin_rules()}


def load_catalogue(directory: Path) -> tuple[Rule, ...]:
    """The built-in rules under `directory`: from the build's parsed data while it matches the
    files (`snapshot.py`), else from the files; the same rules and errors either way."""
    parsed = snapshot.read(directory)
    if parsed is None:
        return tuple(load_pack(directory, builtin=True))
    return tuple(
        _rule_from_snapshot(path, _builtin_name(directory, path), data) for path, data in parsed
    )


def load_ruleset(extra_packs: tuple[Path, ...] = ()) -> RuleSet:
    """The built-in catalogue plus user packs; an id used twice is an error."""
    rules = list(_builtin_rules())
    seen = {r.id: r for r in rules}
    for pack in extra_packs:
        for rule in load_pack(pack):
            if rule.id in seen:
                raise input_error(
                    rule.file,
                    1,
                    1,
                    f"rule id {rule.id} is already used by {seen[rule.id].file}",
                    "give the pack's rule its own id (ids are permanent)",
                )
            seen[rule.id] = rule
            rules.append(rule)
    return RuleSet(rules)


def check_known_ids(
    names: Iterable[str],
    ruleset: RuleSet,
    where: str,
    lines: dict[str, tuple[int, int]] | None = None,
) -> None:
    """Every name given to select, ignore, severity or a waiver is a rule id or a category of
    the loaded rules (`where`: the option, or the config file with `lines` of each name)."""
    categories = {r.category for r in ruleset}
    for name in names:
        if name.upper() not in ruleset.by_id and name.lower() not in categories:
            line, column = (lines or {}).get(name, (None, None))
            raise input_error(
                where,
                line,
                column,
                f"`{name}` is neither a rule id nor a category",
                "see `strataudit rules list` for ids and categories",
            )


def description(rule: Rule) -> dict[str, Any]:
    """A rule as `rules list --format json` shows it."""
    spec = rule.spec
    return {
        "id": spec.id,
        "title": spec.title,
        "severity": spec.severity,
        "category": spec.category,
        "scope": spec.scope,
        "levels": list(spec.levels) if spec.levels else None,
        "source": spec.source,
        "file": rule.file,
    }
