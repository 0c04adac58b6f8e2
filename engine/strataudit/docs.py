"""Rule documentation, generated from the rule files (the same sections for every rule)."""

from __future__ import annotations

from strataudit.rulefile import Rule, RuleSet

_SCOPE = {"entity": "one finding per entity", "plan": "plan-wide"}


def rule_markdown(rule: Rule) -> str:
    spec = rule.spec
    example = spec.examples.fail[0]
    fix = spec.examples.pass_[0]
    quote = f"\n\n> {spec.quote.strip()}" if spec.quote else ""
    return f"""## {spec.id}: {spec.title}

*{spec.severity}* · category `{spec.category}` · {_SCOPE[spec.scope]} · source: {spec.source}

### What it does
Flags {spec.title[0].lower() + spec.title[1:]}. Message: “{_placeholders(spec.message.strip())}”

### Why it matters
{spec.rationale.strip()}{quote}

### Example
```yaml
{example.plan.rstrip()}
```

### Use instead
{spec.remediation.strip()}

```yaml
{fix.plan.rstrip()}
```
"""


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


GENERATED = {
    "docs/rules.md": lambda rs: catalogue_markdown(rs),
    "docs/facts.md": lambda rs: facts_markdown(),
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
