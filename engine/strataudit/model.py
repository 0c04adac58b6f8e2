"""The plan format v1 as Pydantic models: the users' contract, checked field by field.

The loader only enforces what the format calls an input error (types, vocabularies, unknown
keys, required ids and labels). A missing optional field or a dangling reference is the rules'
business, reported as a finding with its location, so every such field is optional here.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    WithJsonSchema,
    model_validator,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

PLACEHOLDERS = frozenset(
    {
        *("tbd", "tbc", "tba", "n/a", "na", "-", "--", "?", "??", "..."),
        *("todo", "owner", "xxx", "none", "unknown"),
    }
)
"""Values that stand for "not written yet": missing, as the format defines it, wherever the
catalogue says "missing" (case-insensitive; `placeholders:` in `strataudit.yaml` adds to them
for text fields; a number or a date written as one of these is missing too)."""


def placeholder_key(text: str) -> str:
    """How a value is compared with the placeholders: case-folded, spacing trimmed."""
    return text.strip().casefold()


def _not_written(value: Any) -> Any:
    """A blank or placeholder number (`budget: TBD`) is missing, not a wrong type."""
    if isinstance(value, str) and (not value.strip() or placeholder_key(value) in PLACEHOLDERS):
        return None
    return value


def _to_date(value: Any) -> Any:
    """Dates are YYYY-MM-DD, quoted or not; YAML already turns unquoted ones into dates."""
    if isinstance(value, datetime.datetime):
        raise ValueError("a date is YYYY-MM-DD, without a time")
    if isinstance(value, datetime.date) or value is None:
        return value
    if _not_written(value) is None:
        return None  # blank or `TBD` is "missing", as the format defines it: rules report it
    if isinstance(value, str) and _DATE.match(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"`{value}` is not a real calendar date") from None
    raise ValueError("a date is written YYYY-MM-DD")


def _version(value: Any) -> Any:
    """`strataudit: 1` exactly: not `true`, not `1.0` (YAML would let both pass as 1)."""
    if type(value) is not int or value != 1:
        raise ValueError(f"unsupported format version {value!r}")
    return value


def _one_id(value: Any) -> Any:
    """`supports: CG-1` is the one-element list `[CG-1]`: a single id is a list of one
    (and a blank or placeholder one, `supports: TBD`, is missing, as anywhere in the format)."""
    if isinstance(value, str):
        return None if _not_written(value) is None else [value]
    return value


Text = Annotated[str, Strict()]
Number = Annotated[
    Annotated[float, Strict(), AllowInfNan(False)] | None, BeforeValidator(_not_written)
]
Date = Annotated[datetime.date | None, BeforeValidator(_to_date)]  # blank: None
Ids = Annotated[
    list[Text] | None,  # blank or a placeholder: None
    BeforeValidator(_one_id),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]
Aggregate = Literal["sum"]
Function = Literal[
    "marketing", "management", "product", "sales", "finance", "engineering", "service", "other"
]
ActionKind = Literal[
    "go_to_market",
    "brand",
    "promotion",
    "communication",
    "business_development",
    "influencers",
    "portfolio",
    "opportunity_capture",
    "product",
    "research",
    "other",
]
Role = Literal[
    "general_management", "financial", "technical", "user", "procurement", "influencer", "other"
]


def _is_x(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("x_")


class Model(BaseModel):
    """Strict base: unknown keys are errors, except `extra:` and keys starting with `x_`.

    Every field carries a `description`: editors show it (through `strataudit schema`) and
    `docs/plan-guide.md` is generated from it, so the text is written for plan authors.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    extra: dict[str, Any] | None = Field(
        None,
        description="Your own data, in any shape: kept with the plan and never checked "
        "(keys starting with `x_` are kept the same way, anywhere).",
    )
    x_fields: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _keep_x_keys(cls, data: Any) -> Any:
        """`x_` keys are the user's own: kept aside, never checked."""
        if isinstance(data, dict) and any(_is_x(k) for k in data):
            own = {k: v for k, v in data.items() if not _is_x(k)}
            own["x_fields"] = {k: v for k, v in data.items() if _is_x(k)}
            return own
        return data


class Period(Model):
    """The dates the plan covers."""

    start: Date | None = Field(None, description="First day of the period (`YYYY-MM-DD`).")
    end: Date | None = Field(None, description="Last day of the period (`YYYY-MM-DD`).")


Level = Literal["full", "corporate"]
"""What a plan file is audited as: `full` (a whole plan: units, products, actions, market
strategy) or `corporate` (HQ's corporate strategy on its own). Rule files name the levels they
apply to with these words (`levels:`)."""
LEVELS: tuple[Level, ...] = ("full", "corporate")


class PlanHeader(Model):
    """What the plan is: its id, company, owner, currency and period."""

    id: Text = Field(
        description="The plan's id, shown in reports and part of every finding's fingerprint. "
        "Required in a file that is audited; an included file's `plan` section is ignored."
    )
    title: Text | None = Field(None, description="The plan's title.")
    company: Text | None = Field(None, description="The company the plan is for.")
    owner: Text | None = Field(
        None, description="Who is accountable for the plan (a name or an email address)."
    )
    currency: Text | None = Field(
        None,
        description="The currency of every budget and price in the plan (`EUR`, `USD`). An "
        "included file may state its own: its budgets and prices are then in that currency, "
        "and a currency other than the audited plan's is a finding (CON007).",
    )
    period: Period | None = Field(
        None,
        description="The dates the plan covers; goal deadlines and action dates must fall "
        "within them.",
    )
    status: Literal["draft", "submitted", "approved"] | None = Field(
        None, description="Where the plan is in its approval: `draft`, `submitted` or `approved`."
    )
    market_type: Literal["b2b", "b2c", "mixed"] | None = Field(
        None, description="Who the company sells to: `b2b` (the default), `b2c` or `mixed`."
    )
    business_model: Literal["product", "project", "product_project"] | None = Field(
        None,
        description="How the company sells: `product` (the default), `project` or "
        "`product_project`. A project business is expected to plan how it captures projects.",
    )
    level: Level | None = Field(
        None,
        description="What the file is audited as: `full` (the default: a whole plan) or "
        "`corporate` (HQ's corporate strategy on its own, before it is published: only the "
        "rules about what a corporate file holds run, such as corporate goals, SWOT, unit "
        "budgets against the envelope and segments; those about products, actions and the "
        "market strategy do not). Ignored in an included file.",
    )


class Goal(Model):
    """A goal, corporate or of a unit: where you want to be, from where you are, by when."""

    id: Text = Field(description="The goal's id, unique in the plan.")
    statement: Text = Field(
        description="What the goal is, in a sentence (it names the goal in findings)."
    )
    metric: Text | None = Field(
        None, description="What is measured (`service ARR`, `new service contracts`)."
    )
    baseline: Number | None = Field(
        None, description="Where you are: the metric's value when the plan starts."
    )
    target: Number | None = Field(
        None, description="Where you want to be: the metric's value at the deadline."
    )
    direction: Literal["increase", "decrease", "maintain"] | None = Field(
        None,
        description="Which way the metric should move: `increase` (the default), `decrease` "
        "or `maintain`.",
    )
    deadline: Date | None = Field(
        None, description="When the target is due (`YYYY-MM-DD`), within the plan's period."
    )
    owner: Text | None = Field(None, description="Who is accountable for the goal.")
    supports: Ids | None = Field(
        None,
        description="Ids of the goals this one contributes to, corporate or unit goals. A unit "
        "goal is aligned when a chain of `supports` reaches a corporate goal.",
    )
    segments: Ids | None = Field(
        None, description="Ids of the segments the goal is about, if it is about some."
    )
    aggregate: Aggregate | None = Field(
        None,
        description="How the metric of a corporate goal adds up from the unit goals that "
        "support it: `sum` (their targets with the same metric must reach its target). "
        "Without it nothing is added up: percentages and ratios do not sum.",
    )


class Corporate(Model):
    """The corporate marketing strategy: the company-wide goals and the budget envelope."""

    summary: Text | None = Field(None, description="The corporate strategy in a few sentences.")
    owner: Text | None = Field(None, description="Who owns the corporate strategy.")
    budget: Number | None = Field(
        None,
        description="The marketing envelope for the period: the units' budgets plus the "
        "budgets of actions that belong to no unit must fit in it.",
    )
    goals: list[Goal] | None = Field(
        None, description="The corporate goals, which the units' goals support."
    )


class SwotItem(Model):
    """A strength or an opportunity of the assessment."""

    id: Text = Field(
        description="The item's id, unique in the plan (actions name it in `addresses`)."
    )
    text: Text = Field(description="What the item says (it names the item in findings).")


class RiskItem(SwotItem):
    """A weakness or a threat: something an action should address, or a risk you accept."""

    accepted_risk: Text | None = Field(
        None,
        description="Why this is knowingly left unaddressed: with a reason here, no action "
        "needs to address it.",
    )


class Assessment(Model):
    """Where you are: the company's strengths and weaknesses, its opportunities and threats."""

    strengths: list[SwotItem] | None = Field(
        None, description="What gives the company an advantage; products can build on them."
    )
    weaknesses: list[RiskItem] | None = Field(
        None,
        description="What puts the company at a disadvantage; each needs an action that "
        "addresses it, or an `accepted_risk`.",
    )
    opportunities: list[SwotItem] | None = Field(
        None, description="What the market offers that the plan could use."
    )
    threats: list[RiskItem] | None = Field(
        None,
        description="What in the market could hurt the company; each needs an action that "
        "addresses it, or an `accepted_risk`.",
    )


class Unit(Model):
    """A business unit or a geography, with its own budget, strategy and goals."""

    id: Text = Field(description="The unit's id, unique in the plan.")
    name: Text = Field(description="The unit's name (it names the unit in findings).")
    kind: Literal["business_unit", "geography"] | None = Field(
        None, description="`business_unit` or `geography`."
    )
    parent: Text | None = Field(
        None, description="The id of the unit this one belongs to; none for a top-level unit."
    )
    owner: Text | None = Field(None, description="Who is accountable for the unit's plan.")
    budget: Number | None = Field(
        None,
        description="The unit's marketing budget for the period, in the plan's currency; its "
        "actions must fit in it.",
    )
    strategy: Text | None = Field(None, description="The unit's marketing strategy, in prose.")
    goals: list[Goal] | None = Field(
        None, description="The unit's goals, each supporting a corporate goal."
    )


class Segment(Model):
    """A possible segment of the global market; the targets are the ones the plan pursues."""

    id: Text = Field(description="The segment's id, unique in the plan.")
    name: Text = Field(description="The segment's name (it names the segment in findings).")
    description: Text | None = Field(None, description="Who is in the segment.")
    size: Number | None = Field(None, description="How big the segment is, counted in `size_unit`.")
    size_unit: Text | None = Field(
        None, description="What `size` counts: accounts by default (`plants`, `people`)."
    )
    priority: Number | None = Field(None, description="The segment's priority; 1 is the highest.")
    budget: Number | None = Field(None, description="The budget set aside for the segment.")
    target: StrictBool | None = Field(
        None, description="Whether the segment is a target (`true`); `false` by default."
    )


class Persona(Model):
    """A typical member of a segment: who they are, how they use the offer, what it is worth."""

    id: Text = Field(description="The persona's id, unique in the plan.")
    name: Text = Field(description="The persona's name (it names the persona in findings).")
    segment: Text | None = Field(None, description="The id of the segment the persona belongs to.")
    occupation: Text | None = Field(None, description="What they do for a living.")
    recreation: Text | None = Field(None, description="What they do for recreation.")
    spending: Text | None = Field(None, description="How they spend their money.")
    usage: Text | None = Field(None, description="How and when they use the product or service.")
    value: Text | None = Field(None, description="What it does for them.")
    willingness_to_pay: Text | None = Field(None, description="How much it is worth to them.")


class Competitor(Model):
    """A competitor that products and segments are positioned against."""

    id: Text = Field(description="The competitor's id, unique in the plan.")
    name: Text = Field(description="The competitor's name.")


class ProductPositioning(Model):
    """How a product stands against the competition."""

    statement: Text | None = Field(None, description="The positioning, in a sentence.")
    against: Ids | None = Field(
        None, description="Ids of the competitors it is positioned against."
    )
    strengths: Ids | None = Field(None, description="Ids of the strengths it builds on.")


class Pricing(Model):
    """A product's price."""

    model: Text | None = Field(None, description="The pricing model (`subscription`, `licence`).")
    price: Number | None = Field(None, description="The price, in the plan's currency.")
    per: Text | None = Field(None, description="What the price is for (`month`, `seat`).")


class Product(Model):
    """A product, service or brand: what it offers, to which segments, for which goals."""

    id: Text = Field(description="The product's id, unique in the plan.")
    name: Text = Field(description="The product's name (it names the product in findings).")
    kind: Literal["product", "service", "brand"] | None = Field(
        None, description="`product`, `service` or `brand`."
    )
    unit: Text | None = Field(None, description="The id of the unit that sells it.")
    value_proposition: Text | None = Field(
        None, description="Why a customer would buy it: its unique value proposition."
    )
    segments: Ids | None = Field(
        None,
        description="Ids of the segments it is offered to: the product/segment matching "
        "matrix. A product needs at least one target segment.",
    )
    supports: Ids | None = Field(None, description="Ids of the goals, of its unit, it serves.")
    positioning: ProductPositioning | None = Field(
        None, description="How it stands against the competition."
    )
    pricing: Pricing | None = Field(None, description="What it costs.")
    go_to_market: Text | None = Field(None, description="How it reaches its customers.")


class ProductStrategy(Model):
    """The product axis: how the whole portfolio of products and services is steered."""

    owner: Text | None = Field(None, description="Who owns the product strategy.")
    summary: Text | None = Field(None, description="The product strategy in a few sentences.")
    contributors: list[Function] | None = Field(
        None,
        description="The functions that shaped it: `marketing`, `management`, `product`, "
        "`sales`, `finance`, `engineering`, `service` or `other`.",
    )
    prepared: Date | None = Field(
        None,
        description="When it was prepared (`YYYY-MM-DD`); the market strategy should come first.",
    )


class SegmentPositioning(Model):
    """How the company positions itself in one target segment."""

    segment: Text = Field(
        description="The id of the target segment; one entry per segment (it identifies the "
        "entry, as an id does)."
    )
    statement: Text | None = Field(None, description="The positioning, in a sentence.")
    against: Ids | None = Field(
        None, description="Ids of the competitors it is positioned against."
    )
    offers: Ids | None = Field(None, description="Ids of the products offered to the segment.")
    pricing: Text | None = Field(None, description="The pricing for the segment.")


class Audience(Model):
    """A kind of decision-maker at the customer, by function, in a segment."""

    id: Text = Field(description="The audience's id, unique in the plan.")
    role: Role = Field(
        description="Their function: `general_management`, `financial`, `technical`, `user`, "
        "`procurement`, `influencer` or `other`."
    )
    segment: Text | None = Field(None, description="The id of the segment they are in.")
    message: Text | None = Field(None, description="What the plan tells them.")


class Tier(Model):
    """A tier of the client portfolio, with how its clients are served."""

    id: Text = Field(description="The tier's id, unique in the plan.")
    tier: Literal["major", "medium", "small"] = Field(
        description="`major`, `medium` or `small` accounts (it names the tier in findings)."
    )
    criteria: Text | None = Field(None, description="Which clients belong to the tier.")
    approach: Text | None = Field(None, description="How the tier's clients are served.")


class MarketStrategy(Model):
    """The market axis: the main lines for all segments, positioning, audiences, portfolio."""

    owner: Text | None = Field(None, description="Who owns the market strategy.")
    prepared: Date | None = Field(
        None,
        description="When it was prepared (`YYYY-MM-DD`); it should precede the product strategy.",
    )
    go_to_market: Text | None = Field(None, description="The main line of the go to market.")
    brand: Text | None = Field(None, description="The main line of the brand.")
    promotion: Text | None = Field(None, description="The main line of promotion.")
    communication: Text | None = Field(None, description="The main line of communication.")
    positioning: list[SegmentPositioning] | None = Field(
        None, description="The positioning in each target segment, one entry per segment."
    )
    audiences: list[Audience] | None = Field(
        None, description="The decision-makers at the customer that the plan addresses."
    )
    portfolio: list[Tier] | None = Field(
        None, description="The client portfolio, by tier (major, medium, small accounts)."
    )
    influencers: Text | None = Field(None, description="How the plan works with influencers.")
    business_development: Text | None = Field(
        None, description="How the plan develops new business."
    )


class Action(Model):
    """What will be done, by whom, when, with what budget, and what it serves."""

    id: Text = Field(description="The action's id, unique in the plan.")
    title: Text = Field(description="What will be done (it names the action in findings).")
    kind: ActionKind | None = Field(
        None,
        description="The kind of action: `go_to_market`, `brand`, `promotion`, "
        "`communication`, `business_development`, `influencers`, `portfolio`, "
        "`opportunity_capture`, `product`, `research` or `other`.",
    )
    unit: Text | None = Field(
        None,
        description="The id of the unit whose budget pays for it; none: the corporate budget.",
    )
    owner: Text | None = Field(None, description="Who is responsible for it.")
    budget: Number | None = Field(None, description="What it costs, in the plan's currency.")
    start: Date | None = Field(None, description="When it starts (`YYYY-MM-DD`).")
    due: Date | None = Field(None, description="When it is done (`YYYY-MM-DD`).")
    addresses: Ids | None = Field(
        None, description="Ids of the SWOT items it acts on (strengths, weaknesses, ...)."
    )
    supports: Ids | None = Field(None, description="Ids of the goals it contributes to.")
    products: Ids | None = Field(None, description="Ids of the products it is about.")
    segments: Ids | None = Field(None, description="Ids of the segments it is aimed at.")
    audiences: Ids | None = Field(None, description="Ids of the audiences it addresses.")
    tiers: Ids | None = Field(None, description="Ids of the portfolio tiers it addresses.")
    collaborators: list[Function] | None = Field(
        None,
        description="The functions involved besides marketing (same values as the product "
        "strategy's `contributors`).",
    )


SCHEMA_KEY = "$schema"
"""A JSON plan's link to its JSON Schema, for editors: accepted at the top level and ignored."""


def _include_entry(value: Any) -> Any:
    """A plain path is the short form of `{file: PATH}` (anything else is checked as an entry)."""
    return {"file": value} if isinstance(value, str) else value


def _include_schema(schema: dict[str, Any]) -> None:
    """Editors are told both forms: a path, or a `{file, as}` mapping."""
    for variant in schema.get("anyOf", [schema]):
        if "items" in variant:
            variant["items"] = {"anyOf": [{"type": "string"}, variant["items"]]}


class Include(Model):
    """An include entry: a path, or a mapping naming the file and how it is included."""

    file: Text = Field(description="The path of the included file, relative to this file.")
    as_: Literal["context"] | None = Field(
        None,
        alias="as",
        description="`context`: what only this file (and what it includes) writes is context. "
        "It is merged, satisfies references and absence checks and is shown in reports as "
        "context, but no finding is reported on it; an entity the plan's own files also write "
        "is the plan's own and fully checked.",
    )


class Plan(Model):
    """One plan file (or the merge of a plan and what it includes)."""

    strataudit: Annotated[Literal[1], BeforeValidator(_version)] = Field(
        description="The format version: `1`. Required at the top of every plan file."
    )
    plan: PlanHeader | None = Field(
        None, description="What the plan is: id, company, owner, currency, period."
    )
    include: list[Annotated[Include, BeforeValidator(_include_entry)]] | None = Field(
        None,
        json_schema_extra=_include_schema,
        description="Other plan files merged into this one before the audit, as paths "
        "relative to this file (for example the corporate strategy HQ publishes). A plain "
        "path is part of the plan and fully checked; `{file: PATH, as: context}` is context.",
    )
    corporate: Corporate | None = Field(None, description="The corporate marketing strategy.")
    assessment: Assessment | None = Field(
        None, description="Strengths, weaknesses, opportunities and threats (SWOT)."
    )
    units: list[Unit] | None = Field(None, description="The business units and geographies.")
    segments: list[Segment] | None = Field(
        None, description="The global market, divided into possible segments."
    )
    personas: list[Persona] | None = Field(None, description="Typical members of the segments.")
    competitors: list[Competitor] | None = Field(None, description="The competition.")
    products: list[Product] | None = Field(None, description="Products, services and brands.")
    product_strategy: ProductStrategy | None = Field(
        None, description="The product axis: the whole portfolio."
    )
    market_strategy: MarketStrategy | None = Field(
        None, description="The market axis: segments, positioning, audiences, portfolio."
    )
    actions: list[Action] | None = Field(
        None, description="What will be done, by whom, when and with what budget."
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_schema_link(cls, data: Any) -> Any:
        """`$schema` belongs to the editor (JSON has no comment to carry a modeline)."""
        if isinstance(data, dict) and SCHEMA_KEY in data:
            return {k: v for k, v in data.items() if k != SCHEMA_KEY}
        return data


# Entity lists that merge by id, with the key that identifies an item.
ENTITY_KEY: dict[str, str] = {"positioning": "segment"}


def entity_key_field(list_name: str) -> str:
    """The field that names an item of an entity list (positioning entries go by segment)."""
    return ENTITY_KEY.get(list_name, "id")


def plan_json_schema() -> dict[str, Any]:
    """The plan format's JSON Schema, generated from these models so it cannot drift.

    `x_` keys are allowed everywhere (patternProperties); the internal `x_fields` is hidden;
    a top-level `$schema` (a JSON editor's link to this schema) is allowed.
    """
    schema = Plan.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "strataudit plan, format version 1"

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                props.pop("x_fields", None)
                if node.get("additionalProperties") is False:
                    node["patternProperties"] = {"^x_": {}}
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    fix(schema)
    schema["properties"] = {
        SCHEMA_KEY: {
            "type": "string",
            "description": "The URL or path of this JSON Schema, for editors; ignored by the "
            "audit (YAML plans use a `# yaml-language-server: $schema=...` comment instead).",
        },
        **schema["properties"],
    }
    return schema
