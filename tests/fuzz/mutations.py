"""Mutations of plan data and damage to its text (the fuzz test's source (a): the samples).

A mutation changes plan data at a drawn place: an extreme number, a dropped or blanked field,
hostile text, a renamed id, a duplicate, an unknown or over-long key, deep nesting, a YAML tag or
alias. Damage changes the written bytes: a cut, CRLF, a BOM, bad UTF-8, raw control characters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from fuzz.known import active
from fuzz.notation import Anchored, Format, Raw
from fuzz.scratch import numbers, texts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_plans"

# ---- the sample plans, mutated -----------------------------------------------------------------

SAMPLE_NAMES = ("acme-skeleton.yaml", "acme-2027.yaml", "acme-defects.yaml", "acme-2027.json")


@cache
def sample(name: str) -> Any:
    """A bundled sample plan as data (our own file: PyYAML's safe loader is enough)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SAMPLES / name).read_text(encoding="utf-8"), Loader=loader)


@st.composite
def sample_subsets(draw: st.DrawFn, names: tuple[str, ...] = SAMPLE_NAMES) -> dict[str, Any]:
    """A sample plan cut to its first few entities per list (an audit of the whole of
    acme-2027.yaml costs 80 ms; its first entities keep most of its kinds of content)."""
    data = sample(draw(st.sampled_from(names)))  # `cut` copies it
    keep = draw(st.integers(1, 4))

    def cut(node: Any, depth: int) -> Any:
        if isinstance(node, dict):
            return {k: cut(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [cut(v, depth + 1) for v in node[: keep if depth <= 3 else None]]
        return node

    return cut(data, 0)


def _copy(node: Any) -> Any:
    """A copy of plan data (containers rebuilt, leaves shared: they are immutable); five times
    as fast as copy.deepcopy, which a mutated sample plan would spend most of its time in."""
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


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
    data = _copy(data)
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
        node.insert(key, _copy(node[key]))


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
