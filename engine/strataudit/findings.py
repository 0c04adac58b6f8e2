"""From engine matches to findings: message, location, identity and fingerprint.

A per-entity rule gives one finding per entity (per `detail`, for rules like CON001 that report
each bad id); matches of several cases or several joined facts on that entity merge into it,
listing their items. This is presentation of what the engine decided, never a decision:
messages and remediations are templates filled from the matched facts (so a remediation names
the finding's own ids and what it lacks), a reference that names nothing suggests the id it
probably meant, and a finding that follows from such a reference names it as its cause
(`references.py`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from strataudit.contract import FID, Match, binding
from strataudit.facts import FactBase
from strataudit.loader import IdStep, Locator, PlanPath
from strataudit.references import Causes, Dangling, PlanIds
from strataudit.results import Cause, Finding, Waiver
from strataudit.rulefile import Rule, RuleSet

__all__ = ["Finding", "Waiver", "build_findings", "fingerprint", "render"]


def fingerprint(
    rule: str, plan_id: str, entity: str | None, path: str, detail: str | None = None
) -> str:
    """Stable across moved lines and reworded messages: rule, plan, entity, path (+ detail)."""
    text = "\x1f".join((rule, plan_id, entity or "", path, detail or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?\}")


def render(template: str, facts: dict[str, dict[str, Any]], extra: dict[str, str]) -> str:
    """Fill `{subject.label}`, `{items}`...; an unknown name renders as `?` (never raises)."""

    def one(m: re.Match[str]) -> str:
        name, attr = m.group(1), m.group(2)
        if attr is None:
            return extra.get(name, "?")
        fact = facts.get(binding(name))
        value = fact.get(attr) if fact else None
        return "?" if value is None else _text(value, attr)

    return _FIELD.sub(one, template)


DATE_FIELDS = frozenset({"deadline", "start", "due", "prepared", "period_start", "period_end"})


def _text(value: Any, attr: str) -> str:
    """Facts hold dates as YYYYMMDD numbers: show them as dates, and amounts with separators."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if attr in DATE_FIELDS and isinstance(value, int):
        text = str(value)
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _steps(dotted: str) -> PlanPath:
    """`market_strategy.go_to_market` -> steps; `products[PR-1].segments` too."""
    out: list[str | IdStep] = []
    for part in dotted.split("."):
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        while rest:
            key, _, rest = rest.partition("]")
            out.append(IdStep(key))
            rest = rest[1:] if rest.startswith("[") else rest
    return tuple(out)


def _match_order(match: Match) -> tuple[str, int, tuple[str, ...]]:
    """Rule, case, then the matched facts' paths: independent of the engine's firing order."""
    return (
        match.rule_id,
        match.case_index,
        tuple(str(match.facts[k].get("path", "")) for k in sorted(match.facts)),
    )


@dataclass
class _Pending:
    rule: Rule
    case_index: int
    facts: dict[str, dict[str, Any]]
    items: list[str]


def build_findings(
    matches: list[Match], ruleset: RuleSet, base: FactBase, locator: Locator, plan_id: str
) -> list[Finding]:
    """Merge matches by identity (rule, entity, detail) and make one finding of each."""
    pending: dict[tuple[str, str | None, str | None], _Pending] = {}
    # The engine saw facts without their display fields: give messages the whole fact back.
    matches = [
        Match(
            m.rule_id,
            m.case_index,
            {name: {**base.by_id.get(f.get(FID, ""), {}), **f} for name, f in m.facts.items()},
        )
        for m in matches
    ]
    for match in sorted(matches, key=_match_order):
        rule = ruleset.by_id[match.rule_id]
        spec = rule.spec
        case = rule.cases()[match.case_index]
        subject = match.facts.get(binding("subject"), {})
        scope = case.scope or spec.scope
        entity = subject.get("key") if scope == "entity" else None
        detail_template = case.detail or spec.detail
        detail = render(detail_template, match.facts, {}) if detail_template else None
        item = case.label or (render(spec.item, match.facts, {}) if spec.item else None)
        identity = (rule.id, entity, detail)
        entry = pending.get(identity)
        if entry is None:
            entry = pending[identity] = _Pending(rule, match.case_index, match.facts, [])
        if item and item not in entry.items:
            entry.items.append(item)
    for entry in pending.values():
        if entry.rule.spec.item and not any(c.label for c in entry.rule.cases()):
            entry.items.sort()  # joined facts, not cases: plan order must not show through
    ids = PlanIds(base)
    findings = [
        _finding(p, base, ids, locator, plan_id, ident[1], ident[2]) for ident, p in pending.items()
    ]
    return sorted(_with_causes(findings, pending, ids), key=Finding.sort_key)


def _link_subject(p: _Pending) -> dict[str, Any] | None:
    subject = p.facts.get(binding("subject"), {})
    return subject if subject.get("type") == "link" else None


def _with_causes(
    findings: list[Finding], pending: dict[Any, _Pending], ids: PlanIds
) -> list[Finding]:
    """Each finding that follows from a dangling reference, with that reference as its cause.

    The dangling references are the findings on a link whose id names nothing of its kind
    (CON001's): not a decision, only which findings to name as causes."""
    dangling: list[tuple[Finding, Dangling]] = []
    for finding, p in zip(findings, pending.values(), strict=True):
        link = _link_subject(p)
        if link is not None and not ids.names_something(link):
            dangling.append((finding, Dangling(link, ids.suggestion(link)[0])))
    if not dangling:
        return findings
    dangling.sort(key=lambda d: d[0].sort_key())
    by_link = {id(d.link): f for f, d in dangling}
    index = Causes(d for _, d in dangling)
    out: list[Finding] = []
    for finding, p in zip(findings, pending.values(), strict=True):
        ref = None if _link_subject(p) else index.of(p.rule, finding.entity)
        if ref is None:
            out.append(finding)
            continue
        cause = by_link[id(ref.link)]
        out.append(
            replace(
                finding,
                caused_by=Cause(cause.fingerprint, cause.rule, cause.entity, cause.detail),
            )
        )
    return out


def _finding(
    p: _Pending,
    base: FactBase,
    ids: PlanIds,
    locator: Locator,
    plan_id: str,
    entity: str | None,
    detail: str | None,
) -> Finding:
    spec = p.rule.spec
    case = p.rule.cases()[p.case_index]
    subject = p.facts.get(binding("subject"), {})
    if (case.scope or spec.scope) == "entity":
        steps = base.steps.get(subject.get(FID, ""), ())
        if subject.get("type") == "link":  # a reference: located at the id, path of its field
            location = replace(locator.locate(steps), path=subject["path"])
        else:
            field_name = case.field or spec.field
            path_steps: PlanPath = (*steps, field_name) if field_name else steps
            location = locator.locate(path_steps, fallback=steps)
    else:
        at = case.at or spec.at or ["plan"]
        written = next((c for c in map(_steps, at) if locator.exists(c)), ("plan",))
        location = replace(locator.locate(written), path=at[0])
    link = _link_subject(p)
    extra = {
        "items": ", ".join(p.items),
        "detail": detail or "",
        "suggestion": ids.suggestion(link)[1] if link is not None else "",
    }
    message = render(spec.message, p.facts, extra)
    return Finding(
        rule=spec.id,
        severity=p.rule.severity,
        category=spec.category,
        message=message,
        location=location,
        entity=entity,
        fingerprint=fingerprint(spec.id, plan_id, entity, location.path, detail),
        rationale=spec.rationale.strip(),
        remediation=render(spec.remediation.strip(), p.facts, extra),
        source=spec.source,
        title=spec.title,
        plan_id=plan_id,
        detail=detail,
        items=tuple(p.items),
    )
