"""Values and small plans built from scratch along plan-format.md (the fuzz test's source (b)).

References are drawn from a fixed pool of ids of which a plan holds a drawn part, so they mostly
resolve (the rules have something to decide) and sometimes do not (CON001). Numbers include the
extremes issue 10 names; text includes what a hostile user would paste. Strategies are built
once (cached): building one costs Hypothesis more than drawing from it.
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any

from hypothesis import strategies as st

Numbers = st.SearchStrategy[Any]

# ---- numbers ----------------------------------------------------------------------------------

# Values the issue names, and their neighbours: tiny and huge, exponent-written, negative zero.
EXTREME_NUMBERS: tuple[int | float, ...] = (
    *(
        1e-300,
        5e-05,
        0.00005,
        1.0e16,
        1.0e20,
        1e308,
        1.0e-300,
        -1e308,
        5e-324,
        2.2250738585072014e-308,
    ),
    *(1.7976931348623157e308, 0.1, 1 / 3, 123456789.125, -0.0, 0.0, 1e15, 9.999e15, 1e-4, 9.9e-5),
    *(0, 1, -1, 10**15, 10**16, 2**53 + 1, 2**63, 2**64 + 1, 10**20, 10**300, 10**308, 10**309),
)


@cache
def numbers() -> Numbers:
    """Any number a plan may hold (whether the loader accepts it is for the pipeline to say).
    Strategies are built once: building one costs Hypothesis more than drawing from it."""
    return st.one_of(
        st.sampled_from(EXTREME_NUMBERS),
        st.integers(-(10**6), 10**7),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(),
    )


# ---- text ------------------------------------------------------------------------------------

WORDS = ("Grow", "service", "ARR", "Europe", "cobots", "Mid-sized", "plant", "uptime", "Petra")
HOSTILE_TEXT = (
    "",
    " ",
    "\t",
    "TBD",
    "n/a",
    "-",
    "?",
    "tbc",
    "null",
    "~",
    "no",
    "yes",
    "2027",
    "1e5",
    "\x1b]0;pwned\x07",
    "\x1b[2J\x1b[H",
    "\x1b[31mred",
    "a\x00b",
    "\x07\x08\x0b\x0c\x7f",
    "caf\u00e9",
    "\U0001f680 launch",
    "\u202eevil",
    "\u2028line",
    "\u00a0",
    "\ufeffbom",
    "e\u0301",
    "\u0085next",
    "a" * 2000,
    "{{ 7*7 }}",
    "<script>alert(1)</script>",
    "'; DROP",
    "%s%n",
    "${HOME}",
    "key: value",
    "- item",
    "# not a comment",
    "*alias",
    "&anchor",
)


@cache
def texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=20),
        st.builds(" ".join, st.lists(st.sampled_from(WORDS), min_size=1, max_size=6)),
    )


# ---- plans from scratch ----------------------------------------------------------------------

# Every id a scratch plan may use, by kind; a plan holds a drawn part of them, so a reference
# drawn from the whole pool sometimes names nothing (CON001's business).
POOL: dict[str, tuple[str, ...]] = {
    "goal": ("CG0", "CG1", "CG2", "U0-G0", "U0-G1", "U1-G0", "U1-G1"),
    "unit": ("U0", "U1"),
    "seg": ("SEG0", "SEG1", "SEG2"),
    "prod": ("PR0", "PR1", "PR2"),
    "comp": ("C0", "C1"),
    "aud": ("AU0", "AU1"),
    "swot": ("S1", "W1", "O1", "T1"),
    "action": ("A0", "A1", "A2", "A3"),
}
FUNCTIONS = ("marketing", "management", "product", "sales", "finance", "engineering", "other")
ACTION_KINDS = (
    *("go_to_market", "brand", "promotion", "communication", "business_development"),
    *("influencers", "portfolio", "opportunity_capture", "product", "research", "other"),
)
ROLES = ("general_management", "financial", "technical", "user", "procurement", "influencer")


def _refs(kind: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(POOL[kind]), max_size=3, unique=True)


def _vocab(*words: str) -> st.SearchStrategy[str]:
    return st.sampled_from(words)


@cache
def _optional_fields() -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """What each kind of entity may hold besides its id and label (plan-format.md)."""
    num, txt = numbers(), texts()
    date = st.dates(datetime.date(2025, 1, 1), datetime.date(2029, 12, 31))
    return {
        "plan": {
            "owner": txt,
            "currency": _vocab("EUR", "USD"),
            "status": _vocab("draft", "approved"),
            "period": st.just(
                {"start": datetime.date(2027, 1, 1), "end": datetime.date(2027, 12, 31)}
            ),
            "market_type": _vocab("b2b", "b2c", "mixed"),
            "business_model": _vocab("product", "project", "product_project"),
        },
        "corporate": {"summary": txt, "owner": txt, "budget": num},
        "goal": {
            "metric": txt,
            "baseline": num,
            "target": num,
            "deadline": date,
            "owner": txt,
            "direction": _vocab("increase", "decrease", "maintain"),
            "supports": _refs("goal"),
            "segments": _refs("seg"),
        },
        "unit": {
            "kind": _vocab("business_unit", "geography"),
            "parent": st.sampled_from(POOL["unit"]),
            "owner": txt,
            "budget": num,
            "strategy": txt,
        },
        "segment": {
            "size": num,
            "priority": num,
            "budget": num,
            "target": st.booleans(),
            "description": txt,
        },
        "product": {
            "kind": _vocab("product", "service", "brand"),
            "unit": st.sampled_from(POOL["unit"]),
            "value_proposition": txt,
            "segments": _refs("seg"),
            "supports": _refs("goal"),
            "positioning": st.fixed_dictionaries(
                {},
                optional={
                    "statement": txt,
                    "against": _refs("comp"),
                    "strengths": _refs("swot"),
                },
            ),
            "pricing": st.fixed_dictionaries({}, optional={"price": num, "model": txt}),
        },
        "market_strategy": {
            "owner": txt,
            "prepared": date,
            "go_to_market": txt,
            "brand": txt,
            "promotion": txt,
            "communication": txt,
            "influencers": txt,
            "business_development": txt,
        },
        "product_strategy": {"owner": txt, "summary": txt, "prepared": date},
        "positioning": {"statement": txt, "offers": _refs("prod"), "against": _refs("comp")},
        "audience": {"segment": st.sampled_from(POOL["seg"]), "message": txt},
        "action": {
            "kind": st.sampled_from(ACTION_KINDS),
            "unit": st.sampled_from(POOL["unit"]),
            "owner": txt,
            "budget": num,
            "start": date,
            "due": date,
            "addresses": _refs("swot"),
            "supports": _refs("goal"),
            "products": _refs("prod"),
            "segments": _refs("seg"),
            "audiences": _refs("aud"),
            "collaborators": st.lists(st.sampled_from(FUNCTIONS), max_size=2, unique=True),
        },
    }


def _entity(draw: st.DrawFn, kind: str, **required: Any) -> dict[str, Any]:
    """An entity with its required fields and a drawn subset of its optional ones (one draw
    picks the subset: Hypothesis spends ~50 µs a draw, a plan makes hundreds)."""
    out = dict(required)
    optional = _optional_fields()[kind]
    chosen = draw(st.integers(0, 2 ** len(optional) - 1))
    for bit, (key, value) in enumerate(optional.items()):
        if chosen >> bit & 1:
            out[key] = draw(value)
    return out


def _some(draw: st.DrawFn, kind: str) -> list[str]:
    """The ids of this kind the plan holds: a drawn prefix of the pool."""
    return list(POOL[kind][: draw(st.integers(0, len(POOL[kind])))])


@st.composite
def scratch_plans(draw: st.DrawFn) -> dict[str, Any]:
    """A small plan along plan-format.md: a few entities per section, cross-referenced."""
    txt = texts()
    label = lambda: draw(txt)  # noqa: E731
    plan: dict[str, Any] = {
        "strataudit": 1,
        "plan": _entity(draw, "plan", id="fuzz", title=label()),
    }
    corporate = _entity(draw, "corporate")
    corporate["goals"] = [
        _entity(draw, "goal", id=g, statement=label()) for g in _some(draw, "goal")[:3]
    ]
    plan["corporate"] = corporate
    plan["assessment"] = {
        f"{kind}s": [{"id": kind[0].upper() + "1", "text": label()}]
        for kind in ("strength", "weakness", "opportunity", "threat")
        if draw(st.booleans())
    }
    plan["units"] = [
        {
            **_entity(draw, "unit", id=u, name=label()),
            "goals": [_entity(draw, "goal", id=f"{u}-G{g}", statement=label()) for g in range(2)],
        }
        for u in _some(draw, "unit")
    ]
    plan["segments"] = [_entity(draw, "segment", id=s, name=label()) for s in _some(draw, "seg")]
    plan["competitors"] = [{"id": c, "name": label()} for c in _some(draw, "comp")]
    plan["products"] = [_entity(draw, "product", id=p, name=label()) for p in _some(draw, "prod")]
    market = _entity(draw, "market_strategy")
    market["positioning"] = [_entity(draw, "positioning", segment=s) for s in _some(draw, "seg")]
    market["audiences"] = [
        _entity(draw, "audience", id=a, role=draw(st.sampled_from(ROLES)))
        for a in _some(draw, "aud")
    ]
    plan["market_strategy"] = market
    plan["product_strategy"] = _entity(draw, "product_strategy")
    plan["actions"] = [_entity(draw, "action", id=a, title=label()) for a in _some(draw, "action")]
    # An empty section is sometimes written (`actions: []`), more often left out.
    return {k: v for k, v in plan.items() if v not in ([], {}) or draw(st.booleans())}
