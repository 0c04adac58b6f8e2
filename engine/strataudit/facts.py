"""From a merged `Plan` to the flat facts the rules match (the fact kinds are a public contract).

Every entity becomes one fact; every reference (an id in a list or a single-id field) becomes
one `link` fact, because the engine cannot match inside lists (docs/architecture.md). A field
that is missing (absent, null, blank, empty, or a placeholder such as `TBD`) is left out of the
fact, so rules test it with `missing: true`. Values that need arithmetic or normalisation (sums,
counts, normalised text, a goal's gain) are derived here once; every decision stays in the rules.

Facts carry `key` (the plan id), never `id` or `sid`: those are the engine's own.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from strataudit.loader import IdStep, PlanPath, Provenance, ValueStep, render_path
from strataudit.model import PLACEHOLDERS, Goal, Plan, placeholder_key

Fact = dict[str, Any]
# Shown in messages and locations, never matched: kept out of the engine (a third of the bytes
# it would otherwise encode and store at 20,000 entities). Rule files cannot test them.
DISPLAY_FIELDS = frozenset({"label", "path", "expects_label"})

# fact type -> (what it is, {field: meaning}); `docs/rule-format.md` is generated from this table.
COMMON = {
    "key": "the entity's id",
    "label": "its label (named in messages)",
    "path": "its path in the plan",
    "context": "true when only context includes (`{file: ..., as: context}`) write the entity "
    "or section (a reference: when its referring entity is context); left out otherwise. "
    "A check never reports on a context subject unless its rule says `context: check`",
}
FACT_KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "plan": (
        "the plan header, one per plan",
        {
            "market_type": "b2b (default), b2c or mixed",
            "business_model": "product (default), project or product_project",
            "status": "draft, submitted, approved",
            "period_start": "plan.period.start as YYYYMMDD",
            "period_end": "plan.period.end",
            "level": "full (default) or corporate: what the file is audited as",
            "currency": "plan.currency, trimmed and upper-cased (`eur` is EUR)",
            "products": "count of products",
            "segment_budget": "sum of the segments' budgets, when any segment has one",
            "top_cost": "budgets of units with no (or a dangling) "
            "parent plus actions with no (or a dangling) unit",
        },
    ),
    "corporate": (
        "the corporate section, when present",
        {
            "budget": "the envelope",
            "budget_currency": "the currency of the file that wrote the budget "
            "(that file's `plan.currency`, else the plan's)",
            "summary": "text",
            "owner": "text",
            "goals": "count",
        },
    ),
    "market_strategy": (
        "the market strategy section, when present",
        {
            f: "text"
            for f in (
                "owner",
                "go_to_market",
                "brand",
                "promotion",
                "communication",
                "influencers",
                "business_development",
            )
        }
        | {
            "prepared": "YYYYMMDD",
            "positioning": "count",
            "audiences": "count",
            "portfolio": "count of tiers (left out when 0)",
        },
    ),
    "product_strategy": (
        "the product strategy section, when present",
        {
            "owner": "text",
            "summary": "text",
            "prepared": "YYYYMMDD",
            "contributors": "count (each one is also a link, field contributors)",
        },
    ),
    "goal": (
        "a corporate or unit goal",
        {
            "level": "corporate or unit",
            "unit": "the unit of a unit goal",
            "metric": "text",
            "baseline": "number",
            "target": "number",
            "direction": "increase (default), decrease, maintain",
            "deadline": "YYYYMMDD",
            "owner": "text",
            "gain": "target minus baseline, when both are given",
            "aggregate": "sum, when a corporate goal says its metric adds up",
            "rollup": "for a goal with aggregate sum and a target: the sum of the targets of "
            "the unit goals that support it directly with the same metric (case and spacing "
            "aside), when any has one",
            "rollup_gap": "target minus rollup, when both are given",
        },
    ),
    "unit": (
        "a business unit or geography",
        {
            "kind": "business_unit or geography",
            "parent": "id",
            "owner": "text",
            "budget": "number",
            "budget_currency": "the currency of the file that wrote the budget",
            "strategy": "text",
        },
    ),
    "spend": (
        "what a unit's actions cost (one per unit)",
        {"unit": "the unit's id", "cost": "sum of the budgets of actions whose unit is it"},
    ),
    "strength": ("an assessment strength", {}),
    "weakness": ("an assessment weakness", {"accepted_risk": "text"}),
    "opportunity": ("an assessment opportunity", {}),
    "threat": ("an assessment threat", {"accepted_risk": "text"}),
    "segment": (
        "a market segment",
        {
            "target": "true or false (default false)",
            "size": "number",
            "priority": "number",
            "budget": "number",
            "budget_currency": "the currency of the file that wrote the budget",
            "description": "text",
        },
    ),
    "persona": (
        "a persona",
        {
            f: "text"
            for f in (
                "segment",
                "occupation",
                "recreation",
                "spending",
                "usage",
                "value",
                "willingness_to_pay",
            )
        },
    ),
    "competitor": ("a competitor", {}),
    "product": (
        "a product, service or brand",
        {
            "kind": "product, service, brand",
            "unit": "id",
            "value_proposition": "text",
            "value_norm": "the value proposition case-folded, whitespace collapsed and trimmed",
            "index": "position among products as written (0-based); order-dependent: prefer rank",
            "rank": "position of the product's id among all product ids in sorted order "
            "(0-based): the same whatever order the plan lists products in",
            "positioning_statement": "text",
            "pricing": "true when pricing is given",
            "price": "number (pricing.price)",
            "price_currency": "the currency of the file that wrote pricing.price",
            "go_to_market": "text",
        },
    ),
    "positioning": (
        "a market_strategy.positioning entry (key: its segment)",
        {"statement": "text", "pricing": "text"},
    ),
    "audience": (
        "a market_strategy.audiences entry",
        {
            "role": "general_management, financial, technical, user, procurement, influencer, "
            "other",
            "segment": "id",
            "message": "text",
        },
    ),
    "tier": (
        "a market_strategy.portfolio entry",
        {"tier": "major, medium, small", "criteria": "text", "approach": "text"},
    ),
    "action": (
        "an action",
        {
            "kind": "the action kind",
            "unit": "id",
            "owner": "text",
            "budget": "number",
            "budget_currency": "the currency of the file that wrote the budget",
            "start": "YYYYMMDD",
            "due": "YYYYMMDD",
            "span": "days from start to due (negative when start is after due)",
        },
    ),
    "link": (
        "one id in a reference field (or one function in contributors/collaborators)",
        {
            "field": "the field (supports, segments, addresses, unit, parent...)",
            "src_type": "the fact type of the referring entity",
            "src": "its id",
            "src_level": "corporate or unit, when the referrer is a goal",
            "dst": "the id referred to",
            "expects": "the kind it must name (goal, unit, segment, "
            "competitor, strength, swot, product, audience, tier; none for functions)",
            "expects_label": "that kind in words",
            "path": "the reference field's path",
            "key": "the referring entity's id (as src)",
            "label": "the referring entity's label",
        },
    ),
}

# (field, expects, words): what each reference must name (docs/plan-guide.md, references).
EXPECTS = {
    "unit": "unit",
    "goal": "goal",
    "segment": "segment",
    "competitor": "competitor",
    "strength": "strength",
    "swot": "strength, weakness, opportunity or threat",
    "product": "product",
    "audience": "audience",
    "tier": "tier",
    "function": "function",
}
# The fact kinds a reference that expects a kind may name (the kind itself unless listed).
EXPECTED_FACTS: dict[str, tuple[str, ...]] = {
    "swot": ("strength", "weakness", "opportunity", "threat"),
    "function": (),
}


def _day(value: datetime.date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


def _present(value: Any, placeholders: frozenset[str] = frozenset()) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip()) and placeholder_key(value) not in placeholders
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


# Fields that name an entity, never a value a placeholder could stand in for.
_NAMES = frozenset({"key", "src", "dst"})


class FactError(ValueError):
    """A plan the model accepted but whose derived values cannot be computed (overflow)."""


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    if not math.isfinite(value):
        raise FactError("amounts add up beyond the largest number this tool can hold")
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    return _SPACES.sub(" ", text.casefold()).strip()


@dataclass
class FactBase:
    """The facts of one plan and, for each entity fact, where it sits in the plan."""

    facts: list[Fact] = field(default_factory=list)
    steps: dict[str, PlanPath] = field(default_factory=dict)  # fact id -> plan path steps
    by_id: dict[str, Fact] = field(default_factory=dict)
    placeholders: frozenset[str] = PLACEHOLDERS  # values that count as missing
    provenance: Provenance = field(default_factory=Provenance)
    #: the trigger's fields (asserted after every fact; each check's first pattern tests it)
    trigger: dict[str, Any] = field(default_factory=dict)

    def currency(self, steps: PlanPath, amount: Any) -> str | None:
        """The currency of the amount at `steps` (its file's, else the plan's), if it is given."""
        return self.provenance.currency_of(render_path(steps)) if amount is not None else None

    def _context(self, steps: PlanPath) -> bool:
        """Whether the entity at `steps`, or one it sits in, only context files write."""
        context = self.provenance.context
        return bool(context) and any(
            render_path(steps[:n]) in context for n in range(1, len(steps) + 1)
        )

    def present(self, value: Any) -> bool:
        """Written, and not blank, empty or a placeholder."""
        return _present(value, self.placeholders)

    def for_engine(self) -> list[Fact]:
        """The facts as the engine gets them: without the display-only fields."""
        return [{k: v for k, v in f.items() if k not in DISPLAY_FIELDS} for f in self.facts]

    def add(self, fact_type: str, steps: PlanPath, **fields: Any) -> Fact:
        fact: Fact = {"type": fact_type}
        for name, value in fields.items():
            if _present(value, frozenset() if name in _NAMES else self.placeholders):
                fact[name] = value
        if self._context(steps):
            fact["context"] = True
        fact["id"] = f"{fact_type}:{len(self.facts)}"  # plain characters: see engine.fnv32
        fact["path"] = render_path(steps)
        self.steps[fact["id"]] = steps
        self.by_id[fact["id"]] = fact
        self.facts.append(fact)
        return fact

    def link(
        self,
        src_type: str,
        src: str,
        src_steps: PlanPath,
        field_name: str,
        expects: str,
        ids: Iterable[str] | str | None,
        label: str = "",
        **extra: Any,
    ) -> None:
        if ids is None:
            return
        single = isinstance(ids, str)
        if single and not self.present(ids):
            return  # a single-id field left blank or `TBD`: missing, as any other field
        values: list[str] = [ids] if isinstance(ids, str) else list(ids)
        for dst in values:
            # A blank entry inside a list is a reference to nothing (CON001 reports it).
            steps = (*src_steps, field_name) if single else (*src_steps, field_name, ValueStep(dst))
            fact = self.add(
                "link",
                steps,
                key=src,
                label=label or src,
                field=field_name,
                src_type=src_type,
                src=src,
                dst=dst,
                expects=expects,
                expects_label=EXPECTS[expects],
                **extra,
            )
            fact["dst"] = dst
            fact["path"] = render_path((*src_steps, field_name))


def build_facts(
    plan: Plan, placeholders: frozenset[str] = frozenset(), provenance: Provenance | None = None
) -> FactBase:
    """Every fact of the plan, in plan order (the engine's answers do not depend on it).
    `placeholders`: values that count as missing besides `PLACEHOLDERS` (the config's).
    `provenance` (the loader's) says what is context and which file's currency each amount
    is in; without it, nothing is context and every amount is in the plan's currency."""
    header = plan.plan
    assert header is not None
    if provenance is None:
        currency = header.currency.strip().upper() if header.currency else None
        provenance = Provenance(currency=currency or None)
    base = FactBase(
        placeholders=PLACEHOLDERS | {placeholder_key(p) for p in placeholders},
        provenance=provenance,
        trigger={"level": header.level or "full"},
    )
    unit_ids = {u.id for u in plan.units or []}
    actions = plan.actions or []
    products = plan.products or []

    def top_cost() -> float | int | None:
        total = sum(u.budget or 0 for u in plan.units or [] if u.parent not in unit_ids)
        total += sum(a.budget or 0 for a in actions if a.unit not in unit_ids)
        return _number(total)

    period = header.period
    base.add(
        "plan",
        ("plan",),
        key=header.id,
        label=header.title or header.id,
        market_type=header.market_type or "b2b",
        business_model=header.business_model or "product",
        status=header.status,
        level=header.level or "full",
        currency=provenance.currency,
        period_start=_day(period.start) if period else None,
        period_end=_day(period.end) if period else None,
        products=len(products),
        top_cost=top_cost(),
        segment_budget=_sum(s.budget for s in plan.segments or []),
    )
    _sections(base, plan)
    _goals(base, plan)
    _units(base, plan, actions)
    _assessment(base, plan)
    for s in plan.segments or []:
        seg_steps: PlanPath = ("segments", IdStep(s.id))
        base.add(
            "segment",
            seg_steps,
            key=s.id,
            label=s.name,
            target=bool(s.target),
            size=_number(s.size),
            priority=_number(s.priority),
            budget=_number(s.budget),
            budget_currency=base.currency((*seg_steps, "budget"), s.budget),
            description=s.description,
        )
    for p in plan.personas or []:
        steps: PlanPath = ("personas", IdStep(p.id))
        base.add(
            "persona",
            steps,
            key=p.id,
            label=p.name,
            segment=p.segment,
            occupation=p.occupation,
            recreation=p.recreation,
            spending=p.spending,
            usage=p.usage,
            value=p.value,
            willingness_to_pay=p.willingness_to_pay,
        )
        base.link("persona", p.id, steps, "segment", "segment", p.segment, label=p.name)
    for c in plan.competitors or []:
        base.add("competitor", ("competitors", IdStep(c.id)), key=c.id, label=c.name)
    _products(base, products)
    _market(base, plan)
    _actions(base, actions)
    return base


def _sections(base: FactBase, plan: Plan) -> None:
    corp = plan.corporate
    if corp is not None and base.present(corp.model_dump(exclude_defaults=True)):
        base.add(
            "corporate",
            ("corporate",),
            key="corporate",
            label="corporate strategy",
            budget=_number(corp.budget),
            budget_currency=base.currency(("corporate", "budget"), corp.budget),
            summary=corp.summary,
            owner=corp.owner,
            goals=len(corp.goals or []),
        )
    ms = plan.market_strategy
    if ms is not None and base.present(ms.model_dump(exclude_defaults=True)):
        base.add(
            "market_strategy",
            ("market_strategy",),
            key="market_strategy",
            label="market strategy",
            owner=ms.owner,
            prepared=_day(ms.prepared),
            go_to_market=ms.go_to_market,
            brand=ms.brand,
            promotion=ms.promotion,
            communication=ms.communication,
            influencers=ms.influencers,
            business_development=ms.business_development,
            positioning=len(ms.positioning or []),
            audiences=len(ms.audiences or []),
            portfolio=len(ms.portfolio or []) or None,
        )
    ps = plan.product_strategy
    if ps is not None and base.present(ps.model_dump(exclude_defaults=True)):
        steps: PlanPath = ("product_strategy",)
        base.add(
            "product_strategy",
            steps,
            key="product_strategy",
            label="product strategy",
            owner=ps.owner,
            summary=ps.summary,
            prepared=_day(ps.prepared),
            contributors=len(ps.contributors or []),
        )
        base.link(
            "product_strategy",
            "product_strategy",
            steps,
            "contributors",
            "function",
            ps.contributors,
            label="product strategy",
        )


def _sum(values: Iterable[float | None]) -> float | int | None:
    """The sum of the amounts given; None when none is (nothing to compare)."""
    given = [v for v in values if v is not None]
    return _number(math.fsum(given)) if given else None


def _rollups(base: FactBase, plan: Plan) -> dict[str, float | int | None]:
    """Corporate goal id -> the sum of its direct unit supporters' targets, same metric.

    Only for goals that say their metric adds up (`aggregate: sum`): percentages and ratios
    do not, so nothing is guessed without it."""
    corporate = (plan.corporate.goals or []) if plan.corporate else []
    summed = {g.id: g for g in corporate if g.aggregate == "sum" and base.present(g.metric)}
    targets: dict[str, list[float | None]] = {key: [] for key in summed}
    for unit in plan.units or []:
        for goal in unit.goals or []:
            if goal.target is None or not base.present(goal.metric):
                continue
            for key in dict.fromkeys(goal.supports or []):
                up = summed.get(key)
                if up is not None and normalise_text(up.metric or "") == normalise_text(
                    goal.metric or ""
                ):
                    targets[key].append(goal.target)
    return {key: _sum(values) for key, values in targets.items()}


def _goal(
    base: FactBase,
    goal: Goal,
    steps: PlanPath,
    level: str,
    unit: str | None,
    rollup: float | int | None = None,
) -> None:
    gain = None
    if goal.target is not None and goal.baseline is not None:
        gain = _number(goal.target - goal.baseline)
    base.add(
        "goal",
        steps,
        key=goal.id,
        label=goal.statement,
        level=level,
        unit=unit,
        metric=goal.metric,
        baseline=_number(goal.baseline),
        target=_number(goal.target),
        direction=goal.direction or "increase",
        deadline=_day(goal.deadline),
        owner=goal.owner,
        gain=gain,
        aggregate=goal.aggregate,
        rollup=rollup,
        rollup_gap=_number(goal.target - rollup)
        if goal.target is not None and rollup is not None
        else None,
    )
    base.link(
        "goal",
        goal.id,
        steps,
        "supports",
        "goal",
        goal.supports,
        label=goal.statement,
        src_level=level,
    )
    base.link(
        "goal",
        goal.id,
        steps,
        "segments",
        "segment",
        goal.segments,
        label=goal.statement,
        src_level=level,
    )


def _goals(base: FactBase, plan: Plan) -> None:
    rollups = _rollups(base, plan)
    for goal in (plan.corporate.goals or []) if plan.corporate else []:
        steps: PlanPath = ("corporate", "goals", IdStep(goal.id))
        _goal(base, goal, steps, "corporate", None, rollups.get(goal.id))
    for unit in plan.units or []:
        for goal in unit.goals or []:
            _goal(base, goal, ("units", IdStep(unit.id), "goals", IdStep(goal.id)), "unit", unit.id)


def _units(base: FactBase, plan: Plan, actions: list[Any]) -> None:
    cost: dict[str, float] = {}
    for action in actions:
        if action.unit is not None:
            cost[action.unit] = cost.get(action.unit, 0) + (action.budget or 0)
    for unit in plan.units or []:
        steps: PlanPath = ("units", IdStep(unit.id))
        base.add(
            "unit",
            steps,
            key=unit.id,
            label=unit.name,
            kind=unit.kind,
            parent=unit.parent,
            owner=unit.owner,
            budget=_number(unit.budget),
            budget_currency=base.currency((*steps, "budget"), unit.budget),
            strategy=unit.strategy,
        )
        base.link("unit", unit.id, steps, "parent", "unit", unit.parent, label=unit.name)
        base.add(
            "spend",
            steps,
            key=unit.id,
            label=unit.name,
            unit=unit.id,
            cost=_number(cost.get(unit.id, 0)),
        )


def _assessment(base: FactBase, plan: Plan) -> None:
    a = plan.assessment
    if a is None:
        return
    for kind, items in (
        ("strength", a.strengths),
        ("weakness", a.weaknesses),
        ("opportunity", a.opportunities),
        ("threat", a.threats),
    ):
        for item in items or []:
            base.add(
                kind,
                ("assessment", f"{_PLURAL[kind]}", IdStep(item.id)),
                key=item.id,
                label=item.text,
                accepted_risk=getattr(item, "accepted_risk", None),
            )


_PLURAL = {
    "strength": "strengths",
    "weakness": "weaknesses",
    "opportunity": "opportunities",
    "threat": "threats",
}


def _products(base: FactBase, products: list[Any]) -> None:
    # Rules that pick "the first" of several products use the rank of the id, so a finding does
    # not move to another product when the file lists them in another order.
    ranks = {key: n for n, key in enumerate(sorted({p.id for p in products}))}
    for index, p in enumerate(products):
        steps: PlanPath = ("products", IdStep(p.id))
        pos = p.positioning
        base.add(
            "product",
            steps,
            key=p.id,
            label=p.name,
            kind=p.kind,
            unit=p.unit,
            value_proposition=p.value_proposition,
            value_norm=normalise_text(p.value_proposition)
            if base.present(p.value_proposition)
            else None,
            index=index,
            rank=ranks[p.id],
            positioning_statement=pos.statement if pos else None,
            pricing=True
            if p.pricing is not None
            and any(base.present(v) for v in (p.pricing.model, p.pricing.price, p.pricing.per))
            else None,
            price=_number(p.pricing.price) if p.pricing else None,
            go_to_market=p.go_to_market,
            price_currency=base.currency(
                (*steps, "pricing", "price"), p.pricing.price if p.pricing else None
            ),
        )
        base.link("product", p.id, steps, "unit", "unit", p.unit, label=p.name)
        base.link("product", p.id, steps, "segments", "segment", p.segments, label=p.name)
        base.link("product", p.id, steps, "supports", "goal", p.supports, label=p.name)
        if pos is not None:
            pos_steps: PlanPath = (*steps, "positioning")
            base.link(
                "product", p.id, pos_steps, "against", "competitor", pos.against, label=p.name
            )
            base.link(
                "product", p.id, pos_steps, "strengths", "strength", pos.strengths, label=p.name
            )


def _market(base: FactBase, plan: Plan) -> None:
    ms = plan.market_strategy
    if ms is None:
        return
    names = {s.id: s.name for s in plan.segments or []}
    for entry in ms.positioning or []:
        steps: PlanPath = ("market_strategy", "positioning", IdStep(entry.segment))
        base.add(
            "positioning",
            steps,
            key=entry.segment,
            label=names.get(entry.segment, entry.segment),
            statement=entry.statement,
            pricing=entry.pricing,
        )
        label = names.get(entry.segment, entry.segment)
        base.link(
            "positioning", entry.segment, steps, "segment", "segment", entry.segment, label=label
        )
        base.link(
            "positioning", entry.segment, steps, "against", "competitor", entry.against, label=label
        )
        base.link(
            "positioning", entry.segment, steps, "offers", "product", entry.offers, label=label
        )
    for au in ms.audiences or []:
        steps = ("market_strategy", "audiences", IdStep(au.id))
        seg = names.get(au.segment or "", au.segment)
        label = f"{au.role} in {seg}" if seg else au.role
        base.add(
            "audience",
            steps,
            key=au.id,
            label=label,
            role=au.role,
            segment=au.segment,
            message=au.message,
        )
        base.link("audience", au.id, steps, "segment", "segment", au.segment, label=label)
    for tier in ms.portfolio or []:
        base.add(
            "tier",
            ("market_strategy", "portfolio", IdStep(tier.id)),
            key=tier.id,
            label=tier.tier,
            tier=tier.tier,
            criteria=tier.criteria,
            approach=tier.approach,
        )


def _actions(base: FactBase, actions: list[Any]) -> None:
    for a in actions:
        steps: PlanPath = ("actions", IdStep(a.id))
        span = (a.due - a.start).days if a.start and a.due else None
        base.add(
            "action",
            steps,
            key=a.id,
            label=a.title,
            kind=a.kind,
            unit=a.unit,
            owner=a.owner,
            budget=_number(a.budget),
            budget_currency=base.currency((*steps, "budget"), a.budget),
            start=_day(a.start),
            due=_day(a.due),
            span=span,
        )
        for name, expects in (
            ("unit", "unit"),
            ("addresses", "swot"),
            ("supports", "goal"),
            ("products", "product"),
            ("segments", "segment"),
            ("audiences", "audience"),
            ("tiers", "tier"),
            ("collaborators", "function"),
        ):
            base.link("action", a.id, steps, name, expects, getattr(a, name), label=a.title)
