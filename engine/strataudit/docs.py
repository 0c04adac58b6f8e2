"""The generated documentation: the rule catalogue, the fact kinds, the plan guide and schema.

Each is made from the code or data it documents (rule files, `facts.FACT_KINDS`, the plan
models' field descriptions), so it cannot drift: a test regenerates every file of `GENERATED`
and fails when one is stale. `python -m strataudit.docs` rewrites them.
"""

from __future__ import annotations

import datetime
import importlib.resources
import json
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from strataudit.model import Plan, plan_json_schema
from strataudit.rulefile import Rule, RuleSet

_SCOPE = {"entity": "one finding per entity", "plan": "plan-wide"}


def rule_markdown(rule: Rule) -> str:
    spec = rule.spec
    example = spec.examples.fail[0]
    fix = spec.examples.pass_[0]
    quote = f"\n\n> {spec.quote.strip()}" if spec.quote else ""
    levels = f" · levels: {', '.join(spec.levels)}" if spec.levels else ""
    where = f"category `{spec.category}` · {_SCOPE[spec.scope]}{levels}"
    return f"""## {spec.id}: {spec.title}

*{spec.severity}* · {where} · source: {spec.source}

### What it does
Flags {spec.title[0].lower() + spec.title[1:]}. Message: “{_placeholders(spec.message.strip())}”

### Why it matters
{spec.rationale.strip()}{quote}

### Example
```yaml
{example.plan.rstrip()}
```
{_files(example.files)}
### Use instead
{spec.remediation.strip()}

```yaml
{fix.plan.rstrip()}
```
{_files(fix.files)}"""


def _files(files: dict[str, str]) -> str:
    """The files an example's plan includes, each after its name."""
    return "".join(
        f"\n`{name}`, which it includes:\n```yaml\n{text.rstrip()}\n```\n"
        for name, text in files.items()
    )


def catalogue_markdown(ruleset: RuleSet) -> str:
    head = [
        "# Rule catalogue",
        "",
        "Generated from the rule files by `python -m strataudit.docs`; do not edit by hand.",
        "",
        "| id | severity | category | title |",
        "|---|---|---|---|",
    ]
    head += [
        f"| [{r.id}](#{r.id.lower()}-{_anchor(r.spec.title)}) | {r.spec.severity} | "
        f"{r.category} | {r.spec.title} |"
        for r in ruleset
    ]
    return "\n".join(head) + "\n\n" + "\n".join(rule_markdown(r) for r in ruleset)


def facts_markdown() -> str:
    """The fact kinds and fields rules can match (from facts.FACT_KINDS, so it cannot drift)."""
    from strataudit.facts import COMMON, FACT_KINDS

    out = [
        "# Fact kinds",
        "",
        "Generated from `engine/strataudit/facts.py` by `python -m strataudit.docs`; "
        "do not edit by hand.",
        "",
        "Every fact has `type` (its kind) and, for entities, "
        + ", ".join(f"`{k}` ({v})" for k, v in COMMON.items())
        + ". A field that is missing in the plan (absent, null, blank, empty) is left out "
        "of the fact: test it with `missing: true`. Dates are numbers `YYYYMMDD`. "
        "`label`, `path` and `expects_label` are for messages only: they are not sent to "
        "the engine, and a rule's `where` cannot test them.",
        "",
    ]
    for kind, (what, fields) in FACT_KINDS.items():
        out += [f"## `{kind}`", "", what[0].upper() + what[1:] + ".", ""]
        if fields:
            out += ["| field | meaning |", "|---|---|"]
            out += [f"| `{name}` | {meaning} |" for name, meaning in fields.items()]
            out.append("")
    return "\n".join(out)


def plan_guide_markdown() -> str:
    """The plan author's guide: our prose (templates/plan-guide.md) around a reference of every
    section and field, generated from the models' docstrings and field descriptions."""
    template = importlib.resources.files("strataudit") / "templates" / "plan-guide.md"
    prose = template.read_text(encoding="utf-8")
    return prose.replace("<!-- reference -->\n", "\n".join(_reference(Plan)))


def _reference(root: type[BaseModel]) -> list[str]:
    """One table per model, in the order a plan is written; a model used in several places
    (goals, SWOT items) is described once, under all its paths."""
    paths: dict[type[BaseModel], list[str]] = {}

    def visit(model: type[BaseModel], path: str) -> None:
        if model in paths:
            paths[model].append(path)
            return
        paths[model] = [path]
        for name, field in model.model_fields.items():
            nested, many = _model_of(field.annotation)
            if nested is not None:
                visit(nested, f"{path}{'.' if path else ''}{name}{'[]' if many else ''}")

    visit(root, "")
    out: list[str] = []
    for model, where in paths.items():
        heading = ", ".join(f"`{p}`" for p in where) if model is not root else "The top level"
        out += [f"### {heading}", "", (model.__doc__ or "").strip().splitlines()[0], ""]
        out += ["| field | type | meaning |", "|---|---|---|"]
        for name, field in model.model_fields.items():
            if field.exclude or name == "extra":  # `extra` is everywhere: told once, in prose
                continue
            required = " **(required)**" if field.is_required() else ""
            text = (field.description or "").replace("|", "\\|")
            key = field.alias or name  # `as` is a Python keyword: the model's field is `as_`
            out.append(f"| `{key}` | {_type_name(field.annotation)} | {text}{required} |")
        out.append("")
    return out


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly or as a list of them), and whether it is a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    for arg in get_args(annotation):
        found, many = _model_of(arg)
        if found is not None:
            return found, many or get_origin(annotation) is list
    return None, False


_SCALARS: dict[Any, str] = {
    str: "text",
    float: "number",
    bool: "`true` or `false`",
    datetime.date: "date",
}


def _type_name(annotation: Any) -> str:
    """A field's type as a plan author reads it: `text`, `list of text`, `one of ...`."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is Literal:
        return ", ".join(f"`{a}`" for a in args) if len(args) > 1 else f"`{args[0]}`"
    if origin is list:
        return f"list of {_type_name(args[0]).replace('mapping', 'mappings')}"
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return _SCALARS.get(annotation, str(annotation))


def plan_schema_json() -> str:
    """`docs/plan.schema.json`: what `strataudit schema` prints, for editors to point at."""
    return json.dumps(plan_json_schema(), indent=2) + "\n"


GENERATED = {
    "docs/rules.md": lambda rs: catalogue_markdown(rs),
    "docs/facts.md": lambda rs: facts_markdown(),
    "docs/plan-guide.md": lambda rs: plan_guide_markdown(),
    "docs/plan.schema.json": lambda rs: plan_schema_json(),
}


def main() -> None:
    """Regenerate the docs in the working directory (the repository root)."""
    from pathlib import Path

    from strataudit.rulefile import load_ruleset

    ruleset = load_ruleset()
    for name, make in GENERATED.items():
        Path(name).write_text(make(ruleset), encoding="utf-8")
        print(f"wrote {name}")


def _placeholders(template: str) -> str:
    """`{subject.label}` -> `<label>` (in angle quotes): a readable sketch of the message."""
    import re

    return re.sub(r"\{(?:[a-z_0-9]+\.)?([a-z_0-9]+)\}", lambda m: f"‹{m.group(1)}›", template)


def _anchor(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


if __name__ == "__main__":
    main()
