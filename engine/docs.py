"""Rule documentation, generated from the rule files (the same sections for every rule)."""

from __future__ import annotations

from strataudit.rulefile import Rule, RuleSet


def rule_markdown(rule: Rule) -> str:
    spec = rule.spec
    example = spec.examples.fail[0]
    fix = spec.examples.pass_[0]
    quote = f"\n\n> {spec.quote.strip()}" if spec.quote else ""
    return f"""## {spec.id}: {spec.title}

*{spec.severity}* · category `{spec.category}` · {spec.scope}-wide · source: {spec.source}

### What it does
{spec.message.strip()}

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
    head = ["# Rule catalogue", "",
            "Generated from the rule files by `python -m strataudit.docs`; do not edit by hand.",
            "", "| id | severity | category | title |", "|---|---|---|---|"]
    head += [f"| [{r.id}](#{r.id.lower()}-{_anchor(r.spec.title)}) | {r.spec.severity} | "
             f"{r.category} | {r.spec.title} |" for r in ruleset]
    return "\n".join(head) + "\n\n" + "\n".join(rule_markdown(r) for r in ruleset)


def _anchor(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
