"""Hypothesis strategies for plans an adversarial user could write.

Two sources, as issue 10 asks: (a) the bundled sample plans, mutated (extreme numbers, dropped
or blanked fields, hostile text, YAML tags, deep nesting, aliases, reordering, renamed ids), and
(b) small plans built from scratch along plan-format.md, whose references mostly resolve (so the
rules have something to decide) and sometimes do not. A case is one or more files in a folder of
its own; its first file is the plan named on the command line.

Inputs of a bug listed in `known.KNOWN_BUGS` are not generated while that bug is open.
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from fuzz.known import active
from fuzz.notation import SPELLINGS, Anchored, Format, Raw, render

SAMPLES = Path(__file__).resolve().parents[2] / "sample_plans"


@dataclass(frozen=True)
class PlanFile:
    """One file of a case: its name inside the case's folder and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Case:
    """One plan to audit: `files[0]` is named on the command line, the others it includes."""

    files: tuple[PlanFile, ...]
    label: str  # how the case was made, shown when a property fails

    def __repr__(self) -> str:
        shown = "\n".join(f"--- {f.name}\n{f.data.decode('utf-8', 'replace')}" for f in self.files)
        return f"Case({self.label})\n{shown}"


def case_of(data: Any, fmt: Format, label: str, spelling: str = "plain", ascii_only=False) -> Case:
    """A one-file case from plan data."""
    text = render(data, fmt, spelling, ascii_only)  # type: ignore[arg-type]
    return Case((PlanFile(f"plan.{fmt}", text.encode("utf-8")),), label)


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


def _engine_safe(number: int | float) -> bool:
    """What the engine reads right today: no exponent in json.dumps, no integer past 2**53."""
    if isinstance(number, int):
        return abs(number) < 2**53
    return "e" not in json.dumps(number) and (number == 0 or 1e-4 <= abs(number) < 1e15)


@cache
def numbers() -> Numbers:
    """Any number a plan may hold (whether the loader accepts it is for the pipeline to say).
    Strategies are built once: building one costs Hypothesis more than drawing from it."""
    drawn = st.one_of(
        st.sampled_from(EXTREME_NUMBERS),
        st.integers(-(10**6), 10**7),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(),
    )
    return drawn.filter(_engine_safe) if active("engine-numbers") else drawn


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


# ---- the sample plans, mutated -----------------------------------------------------------------

SAMPLE_NAMES = ("acme-skeleton.yaml", "acme-2027.yaml", "acme-defects.yaml", "acme-2027.json")


@cache
def sample(name: str) -> Any:
    """A bundled sample plan as data (our own file: PyYAML's safe loader is enough)."""
    return yaml.safe_load((SAMPLES / name).read_text(encoding="utf-8"))


@st.composite
def sample_subsets(draw: st.DrawFn, names: tuple[str, ...] = SAMPLE_NAMES) -> dict[str, Any]:
    """A sample plan cut to its first few entities per list (an audit of the whole of
    acme-2027.yaml costs 80 ms; its first entities keep most of its kinds of content)."""
    data = copy.deepcopy(sample(draw(st.sampled_from(names))))
    keep = draw(st.integers(1, 4))

    def cut(node: Any, depth: int) -> Any:
        if isinstance(node, dict):
            return {k: cut(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [cut(v, depth + 1) for v in node[: keep if depth <= 3 else None]]
        return node

    return cut(data, 0)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into the data (mapping keys and list indexes), the root excluded."""
    found: list[tuple] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _parent(data: Any, path: tuple) -> tuple[Any, Any]:
    node = data
    for step in path[:-1]:
        node = node[step]
    return node, path[-1]


def _nested(depth: int, leaf: Any) -> Any:
    for i in range(depth):
        leaf = [leaf] if i % 2 else {"n": leaf}
    return leaf


TAGGED = (
    "!!bool maybe",
    '!!bool ""',
    '!!int ""',
    "!!int -",
    "!!int +",
    "!!int _",
    '!!float ""',
    "!!map foo",
    "!!seq foo",
    "!!null x",
    "!!str 5",
    "!!int 0x1F",
    "!!float 1.5e+3",
    "!!int 12",
    "!!timestamp 2027-13-45",
    "!!binary aGk=",
    "!!python/object:os.system",
    "!!set {a: null}",
    "!foo bar",
    "!!omap []",
    "!!str",
    "!!int",
    '!!float "nan"',
    "!!bool yes",
    "!!null",
)
SAFE_TAGGED = ("!!str 5", "!!int 12", "!!float 1.5e+3", "!!bool yes", "!!null", "!!str")
BLANKS: tuple[Any, ...] = (None, "", "  ", "TBD", "n/a", "-", [], {}, 0, False, "2027-13-45")


@st.composite
def mutate(draw: st.DrawFn, data: Any, fmt: Format) -> tuple[Any, str]:
    """One to four mutations of plan data at drawn places; returns the data and what was done."""
    data = copy.deepcopy(data)
    done: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node, key = _parent(data, path)
        op = draw(st.sampled_from(sorted(MUTATIONS)))
        if not _allowed(op, fmt):
            op = "blank"
        MUTATIONS[op](draw, data, node, key)
        done.append(f"{op}@{'.'.join(map(str, path))}")
    return data, ", ".join(done)


def _number(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    node[key] = draw(numbers())


def _blank(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    node[key] = draw(st.sampled_from(BLANKS))


def _drop(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    del node[key]


def _text(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    node[key] = draw(texts())


def _reorder(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    if isinstance(node[key], list):
        node[key] = draw(st.permutations(node[key]))


def _rename(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    """Rename an id everywhere it is written (the plan stays the same plan)."""
    old, new = node[key], draw(st.sampled_from(["X1", "renamed-id", "ü-ид", "A" * 200, "a b"]))

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return new if value == old and isinstance(value, str) else value

    if isinstance(old, str):
        data.update(walk(data))


def _duplicate(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    if isinstance(node, list):
        node.insert(key, copy.deepcopy(node[key]))


def _unknown_key(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    if isinstance(node, dict):
        node[draw(st.sampled_from([f"{key}s", f"x_{key}", "budgett", "extra", "Id"]))] = "v"


def _long_key(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    """A key over YAML's 1,024-character limit for implicit keys (JSON has no such limit)."""
    if isinstance(node, dict):
        node["x_" + "k" * draw(st.sampled_from([1000, 1100, 5000]))] = "v"


def _nest(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    node[key] = _nested(draw(st.integers(50, 70)), draw(st.sampled_from([1, "x", None])))


def _tag(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    node[key] = Raw(draw(st.sampled_from(SAFE_TAGGED if active("core-tag-values") else TAGGED)))


def _alias(draw: st.DrawFn, data: Any, node: Any, key: Any) -> None:
    """Anchor this value and repeat it: as a bomb under an `x_` key, or as a second entity."""
    value = node[key]
    node[key] = Anchored("a1", value)
    copies = draw(st.sampled_from([1, 3, 50, 200]))
    if isinstance(node, list):  # a second entity with the same content: a duplicate id
        node.extend(Raw("*a1") for _ in range(min(copies, 3)))
    else:
        data["x_aliases"] = Anchored("a2", [Raw("*a1")] * copies)
        data["x_more"] = [Raw("*a2")] * copies


MUTATIONS: dict[str, Callable[[st.DrawFn, Any, Any, Any], None]] = {
    "number": _number,
    "blank": _blank,
    "drop": _drop,
    "text": _text,
    "reorder": _reorder,
    "rename": _rename,
    "duplicate": _duplicate,
    "unknown-key": _unknown_key,
    "long-key": _long_key,
    "nest": _nest,
    "tag": _tag,
    "alias": _alias,
}
YAML_ONLY = frozenset({"tag", "alias"})


def _allowed(op: str, fmt: Format) -> bool:
    """JSON has no tags and no aliases; a long key in JSON meets an open bug."""
    if op in YAML_ONLY:
        return fmt == "yaml"
    return op != "long-key" or fmt == "yaml" or not active("json-yaml-marks")


# ---- damage to the text ------------------------------------------------------------------------


@st.composite
def damage(draw: st.DrawFn, text: str, fmt: Format) -> tuple[bytes, str]:
    """Damage the written file: raw control characters, a cut, CRLF, a BOM, bad UTF-8."""
    kinds = ["none", "crlf", "bom", "cut", "tail", "bad-utf8"]
    if not active("raw-control-chars"):
        kinds.append("control")
    kind = draw(st.sampled_from(kinds))
    at = draw(st.integers(0, len(text)))
    if kind == "crlf":
        return text.replace("\n", "\r\n").encode(), kind
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode(), kind
    if kind == "cut":
        return text[:at].encode(), f"cut@{at}"
    if kind == "tail":
        tails = ["}", "]", "---\nx: 1\n", ": :", " \n", "\t"]
        if fmt == "json" and active("json-yaml-marks"):
            tails.remove("\t")
        return (text + draw(st.sampled_from(tails))).encode(), kind
    if kind == "bad-utf8":
        return text[:at].encode() + b"\xff\xfe" + text[at:].encode(), f"bad-utf8@{at}"
    if kind == "control":
        char = draw(st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x0b", "\x85", "\ufffe"]))
        return (text[:at] + char + text[at:]).encode(), f"control {char!r}@{at}"
    return text.encode(), kind


# ---- cases ---------------------------------------------------------------------------------------

FORMATS: tuple[Format, ...] = ("yaml", "json")


@st.composite
def written(draw: st.DrawFn, data: Any, label: str, fmt: Format | None = None) -> Case:
    """Plan data written as a file, in a drawn format and number spelling, maybe damaged."""
    fmt = fmt or draw(st.sampled_from(FORMATS))
    spelling = draw(st.sampled_from(SPELLINGS))
    if active("engine-numbers"):
        spelling = "plain" if spelling in ("exponent", "shortest") else spelling
    ascii_only = fmt == "json" and not active("json-surrogates") and draw(st.booleans())
    text = render(data, fmt, spelling, ascii_only)
    raw, how = draw(damage(text, fmt))
    return Case((PlanFile(f"plan.{fmt}", raw),), f"{label}; {fmt}/{spelling}; {how}")


@st.composite
def mutated_samples(draw: st.DrawFn) -> Case:
    """(a) A sample plan, cut down, mutated, written out."""
    fmt = draw(st.sampled_from(FORMATS))
    data, how = draw(mutate(draw(sample_subsets()), fmt))
    return draw(written(data, f"sample mutated: {how}", fmt))


@st.composite
def mutated_scratch(draw: st.DrawFn) -> Case:
    """(b) A plan built from scratch, sometimes mutated too, written out."""
    fmt = draw(st.sampled_from(FORMATS))
    data, how = draw(scratch_plans()), "as built"
    if draw(st.booleans()):
        data, how = draw(mutate(data, fmt))
    return draw(written(data, f"scratch: {how}", fmt))


@st.composite
def mutated_unit_plans(draw: st.DrawFn) -> Case:
    """The unit plan that includes headquarters' file, either of the two files mutated."""
    eu, hq = sample("unit-eu/eu-plan.yaml"), sample("unit-eu/corporate.yaml")
    which = draw(st.sampled_from(["eu", "hq"]))
    data, how = draw(mutate(eu if which == "eu" else hq, "yaml"))
    eu, hq = (data, hq) if which == "eu" else (eu, data)
    files = (
        PlanFile("eu-plan.yaml", render(eu, "yaml").encode()),
        PlanFile("corporate.yaml", render(hq, "yaml").encode()),
    )
    return Case(files, f"unit-eu, {which} mutated: {how}")


def any_case() -> st.SearchStrategy[Case]:
    return st.one_of(mutated_samples(), mutated_scratch(), mutated_unit_plans())


def batches(max_size: int = 6) -> st.SearchStrategy[list[Case]]:
    """Several cases audited in one run (shrinking drops the innocent ones)."""
    return st.lists(any_case(), min_size=1, max_size=max_size)
