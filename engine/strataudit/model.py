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
    model_validator,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _to_date(value: Any) -> Any:
    """Dates are YYYY-MM-DD, quoted or not; YAML already turns unquoted ones into dates."""
    if isinstance(value, datetime.datetime):
        raise ValueError("a date is YYYY-MM-DD, without a time")
    if isinstance(value, datetime.date) or value is None:
        return value
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


Text = Annotated[str, Strict()]
Number = Annotated[float, Strict(), AllowInfNan(False)]
Date = Annotated[datetime.date, BeforeValidator(_to_date)]
Ids = list[Text]
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
    """Strict base: unknown keys are errors, except `extra:` and keys starting with `x_`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    extra: dict[str, Any] | None = None
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
    start: Date | None = None
    end: Date | None = None


class PlanHeader(Model):
    id: Text
    title: Text | None = None
    company: Text | None = None
    owner: Text | None = None
    currency: Text | None = None
    period: Period | None = None
    status: Literal["draft", "submitted", "approved"] | None = None
    market_type: Literal["b2b", "b2c", "mixed"] | None = None
    business_model: Literal["product", "project", "product_project"] | None = None


class Goal(Model):
    id: Text
    statement: Text
    metric: Text | None = None
    baseline: Number | None = None
    target: Number | None = None
    direction: Literal["increase", "decrease", "maintain"] | None = None
    deadline: Date | None = None
    owner: Text | None = None
    supports: Ids | None = None
    segments: Ids | None = None


class Corporate(Model):
    summary: Text | None = None
    owner: Text | None = None
    budget: Number | None = None
    goals: list[Goal] | None = None


class SwotItem(Model):
    id: Text
    text: Text


class RiskItem(SwotItem):
    accepted_risk: Text | None = None


class Assessment(Model):
    strengths: list[SwotItem] | None = None
    weaknesses: list[RiskItem] | None = None
    opportunities: list[SwotItem] | None = None
    threats: list[RiskItem] | None = None


class Unit(Model):
    id: Text
    name: Text
    kind: Literal["business_unit", "geography"] | None = None
    parent: Text | None = None
    owner: Text | None = None
    budget: Number | None = None
    strategy: Text | None = None
    goals: list[Goal] | None = None


class Segment(Model):
    id: Text
    name: Text
    description: Text | None = None
    size: Number | None = None
    size_unit: Text | None = None
    priority: Number | None = None
    budget: Number | None = None
    target: StrictBool | None = None


class Persona(Model):
    id: Text
    name: Text
    segment: Text | None = None
    occupation: Text | None = None
    recreation: Text | None = None
    spending: Text | None = None
    usage: Text | None = None
    value: Text | None = None
    willingness_to_pay: Text | None = None


class Competitor(Model):
    id: Text
    name: Text


class ProductPositioning(Model):
    statement: Text | None = None
    against: Ids | None = None
    strengths: Ids | None = None


class Pricing(Model):
    model: Text | None = None
    price: Number | None = None
    per: Text | None = None


class Product(Model):
    id: Text
    name: Text
    kind: Literal["product", "service", "brand"] | None = None
    unit: Text | None = None
    value_proposition: Text | None = None
    segments: Ids | None = None
    supports: Ids | None = None
    positioning: ProductPositioning | None = None
    pricing: Pricing | None = None
    go_to_market: Text | None = None


class ProductStrategy(Model):
    owner: Text | None = None
    summary: Text | None = None
    contributors: list[Function] | None = None
    prepared: Date | None = None


class SegmentPositioning(Model):
    segment: Text
    statement: Text | None = None
    against: Ids | None = None
    offers: Ids | None = None
    pricing: Text | None = None


class Audience(Model):
    id: Text
    role: Role
    segment: Text | None = None
    message: Text | None = None


class Tier(Model):
    id: Text
    tier: Literal["major", "medium", "small"]
    criteria: Text | None = None
    approach: Text | None = None


class MarketStrategy(Model):
    owner: Text | None = None
    prepared: Date | None = None
    go_to_market: Text | None = None
    brand: Text | None = None
    promotion: Text | None = None
    communication: Text | None = None
    positioning: list[SegmentPositioning] | None = None
    audiences: list[Audience] | None = None
    portfolio: list[Tier] | None = None
    influencers: Text | None = None
    business_development: Text | None = None


class Action(Model):
    id: Text
    title: Text
    kind: ActionKind | None = None
    unit: Text | None = None
    owner: Text | None = None
    budget: Number | None = None
    start: Date | None = None
    due: Date | None = None
    addresses: Ids | None = None
    supports: Ids | None = None
    products: Ids | None = None
    segments: Ids | None = None
    audiences: Ids | None = None
    tiers: Ids | None = None
    collaborators: list[Function] | None = None


class Plan(Model):
    """One plan file (or the merge of a plan and what it includes)."""

    strataudit: Annotated[Literal[1], BeforeValidator(_version)]
    plan: PlanHeader | None = None
    include: list[Text] | None = None
    corporate: Corporate | None = None
    assessment: Assessment | None = None
    units: list[Unit] | None = None
    segments: list[Segment] | None = None
    personas: list[Persona] | None = None
    competitors: list[Competitor] | None = None
    products: list[Product] | None = None
    product_strategy: ProductStrategy | None = None
    market_strategy: MarketStrategy | None = None
    actions: list[Action] | None = None


# Entity lists that merge by id, with the key that identifies an item.
ENTITY_KEY: dict[str, str] = {"positioning": "segment"}


def entity_key_field(list_name: str) -> str:
    """The field that names an item of an entity list (positioning entries go by segment)."""
    return ENTITY_KEY.get(list_name, "id")


def plan_json_schema() -> dict[str, Any]:
    """The plan format's JSON Schema, generated from these models so it cannot drift.

    `x_` keys are allowed everywhere (patternProperties); the internal `x_fields` is hidden.
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
    return schema
