"""A parsed file and the format's limits, shared by the YAML and the JSON reader.

Both readers build the same `Document` (plain data plus a mark for every mapping key and list
item) and enforce the same limits with the same counting, as the text is read: a plan must not
be accepted by one syntax and refused by the other, nor refused late, when a finding asks where
a value was written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

MAX_BYTES = 64 * 1024 * 1024  # a plan file, or standard input, in bytes (UTF-8)
MAX_DEPTH = 64  # nested mappings and lists; the top-level mapping is level 1
MAX_ALIAS_NODES = 10_000  # nodes that YAML aliases add when expanded
MAX_ALIAS_BYTES = MAX_BYTES  # characters of text that YAML aliases add when expanded
MAX_DOUBLE = 1.7976931348623157e308

NUMBER_HINT = (
    "numbers in a plan are finite IEEE doubles (|x| <= 1.7976931348623157e308): write a smaller "
    "amount; NaN and infinities are not amounts"
)
DEPTH_HINT = "flatten the data; plans need only a few levels"
SPLIT_HINT = "split the plan into files joined with `include:`"

PathStep = str | int  # a step into parsed data: a mapping key or a list index


class Mark(NamedTuple):
    """A 1-based line and column in a file (a tuple: one is made for every key and item)."""

    line: int
    column: int


@dataclass
class Document:
    """One parsed file: its data and where each mapping key and list item was written."""

    file: str
    path: Path | None
    data: Any
    root: Mark
    marks: dict[int, Any] = field(default_factory=dict, repr=False)
    # Containers are kept alive by `data`; `marks` is keyed by their identity.

    def mark_of(self, raw_path: tuple[str | int, ...]) -> Mark:
        """Where the value at `raw_path` was written; the nearest written ancestor if absent."""
        node, mark = self.data, self.root
        for step in raw_path:
            table = self.marks.get(id(node))
            found, value = child(node, step)
            if table is None or not found:
                break
            mark, node = table[step], value
        return mark


def child(node: Any, step: str | int) -> tuple[bool, Any]:
    """Step into a mapping by key or a list by index: (found, value)."""
    if isinstance(node, dict):
        return (True, node[step]) if step in node else (False, None)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return True, node[step]
    return False, None


# A step of the path being read: a mapping key, or a list index with the item being built (its
# `id`, once read, names the item as the plan paths do: `actions[A1].budget`).
ReadStep = str | tuple[int, Any]


def render_steps(steps: list[ReadStep], most: int = 12) -> str:
    """The plan path of the value being read, for messages: `actions[A1].budget` (the middle
    of a very deep path is cut)."""
    if len(steps) > most:
        return f"{render_steps(steps[:4])}…{render_steps(steps[-4:]).lstrip('.')}"
    out = ""
    for step in steps:
        if isinstance(step, str):
            out += f".{step}" if out else step
            continue
        index, item = step
        key = item.get("id") if isinstance(item, dict) else None
        out += f"[{key}]" if isinstance(key, str) else f"[{index}]"
    return out


def field_name(steps: list[ReadStep]) -> str:
    """How a message names the value being read: its key, or its path when it is a list item."""
    if steps and isinstance(steps[-1], str):
        return f"`{steps[-1]}`"
    return f"`{render_steps(steps)}`" if steps else "the document"


def shown(text: str, limit: int = 40) -> str:
    """A value as quoted in a message: long values are cut (a 5,000-digit number stays short)."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 10]}…{text[-6:]} ({len(text):,} characters)"


def number_problem(value: int | float, written: str) -> str | None:
    """Why a number cannot be in a plan, or None: plans hold finite IEEE doubles only."""
    if isinstance(value, float):
        if math.isnan(value) or (math.isinf(value) and _infinity_literal(written)):
            return f"must be a finite number, got `{shown(written)}`"
        if math.isinf(value):
            return f"is too large a number: `{shown(written)}`"
        return None
    try:
        float(value)
    except OverflowError:
        return f"is too large a number: `{shown(written)}`"
    return None


def _infinity_literal(written: str) -> bool:
    return "inf" in written.lower()
