"""JSON text -> a `Document`: the C `json` module for the data, a located reader for the rest.

The C decoder builds the data of a good file fast, but it cannot say where a value was written,
and it accepts what a plan may not hold: duplicate keys, NaN and infinities, unpaired UTF-16
surrogates (`"\\ud83d"` alone), numbers beyond a double, and it raises on integers of more than
4,300 digits. Its hooks only note such a doubt, so that it still checks the syntax; a doubtful
file is then read by `_Reader`, which refuses the first problem with its line, column and field.
The same reader computes the marks, lazily, the first time a finding asks where a value is:
it applies the checks the fast path applied, so it cannot refuse a file late.
"""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from strataudit.document import (
    DEPTH_HINT,
    MAX_DEPTH,
    NUMBER_HINT,
    Document,
    Mark,
    ReadStep,
    field_name,
    number_problem,
    render_steps,
    shown,
)
from strataudit.errors import InputError, input_error

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_CONSTANTS = ("NaN", "-Infinity", "Infinity")
_SYNTAX_HINT = "fix the JSON syntax at this spot (a missing comma, quote or bracket)"
EAGER_MARKS_CHARS = 16 * 2**20  # beyond any hand-written plan (20,000 entities are ~6 MiB)
_SAFE_DIGITS = 308  # an integer with fewer digits always converts to a finite double


class _Doubts:
    """The C decoder's hooks: values are kept, doubts only noted, so that the decoder still
    checks the whole file's syntax (a syntax error is reported with its own line)."""

    def __init__(self) -> None:
        self.found = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        if len(data) != len(pairs):
            self.found = True
        return data

    def constant(self, name: str) -> None:
        self.found = True

    def integer(self, text: str) -> int:
        if len(text) <= _SAFE_DIGITS:
            return int(text)
        self.found = True
        return 0

    def real(self, text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            self.found = True
        return value


def load_json(text: str, display: str, path: Path | None) -> Document:
    """The document of a JSON file, or an InputError for its first problem, located.

    A large file has its marks read at once, by the located reader alone: reading them later,
    when a finding asks, would need a second copy of the data outside the load boundary, where
    running out of memory is no longer that plan's input error."""
    if len(text) > EAGER_MARKS_CHARS:
        return _Reader(text, display).document(path)
    doubts = _Doubts()
    try:
        data = json.loads(
            text,
            object_pairs_hook=doubts.pairs,
            parse_constant=doubts.constant,
            parse_int=doubts.integer,
            parse_float=doubts.real,
        )
    except json.JSONDecodeError as exc:
        raise input_error(
            display, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}", _SYNTAX_HINT
        ) from None
    except RecursionError:  # far deeper than the limit: the reader stops at level 65
        doubts.found = True
    if (
        doubts.found
        or _deeper_than(data, MAX_DEPTH)
        or (_SURROGATE_ESCAPE.search(text) is not None and _has_surrogate(data))
    ):
        return _Reader(text, display).document(path)
    return LazyDocument(display, path, data, text)


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether a container sits below level `limit` (the top-level one is level 1)."""
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        values = node.values() if isinstance(node, dict) else node
        stack.extend((v, depth + 1) for v in values if isinstance(v, (dict, list)))
    return False


def _has_surrogate(data: Any) -> bool:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class LazyDocument(Document):
    """A JSON document whose marks are read on the first question about a location."""

    def __init__(self, file: str, path: Path | None, data: Any, text: str) -> None:
        super().__init__(file, path, data, Mark(1, 1))
        self._text = text
        self._marked: Document | None = None

    def mark_of(self, raw_path: tuple[str | int, ...]) -> Mark:
        if self._marked is None:
            self._marked = _Reader(self._text, self.file).document(self.path)
            self.root = self._marked.root
        return self._marked.mark_of(raw_path)


class _Reader:
    """A recursive-descent JSON reader that knows where it is: data, marks, and the first
    problem located. Its recursion is bounded by the depth limit it enforces."""

    def __init__(self, text: str, display: str) -> None:
        self.text = text
        self.display = display
        self.marks: dict[int, Any] = {}
        self.steps: list[ReadStep] = []
        self._lines = [0, *(m.end() for m in re.finditer("\n", text))]

    def mark(self, pos: int) -> Mark:
        line = bisect.bisect_right(self._lines, pos)
        return Mark(line, pos - self._lines[line - 1] + 1)

    def error(self, pos: int, message: str, hint: str, named: bool = True) -> InputError:
        at = self.mark(pos)
        text = f"{field_name(self.steps)} {message}" if named else message
        return input_error(self.display, at.line, at.column, text, hint, render_steps(self.steps))

    def document(self, path: Path | None) -> Document:
        start = self.skip(0)
        data, end = self.value(start, 0)
        end = self.skip(end)
        if end != len(self.text):
            raise self.error(end, "invalid JSON: extra data", _SYNTAX_HINT, False)
        return Document(self.display, path, data, self.mark(start), self.marks)

    def skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        text = self.text
        char = text[pos : pos + 1]
        if char in ("{", "["):
            if depth >= MAX_DEPTH:
                message = f"the document nests deeper than {MAX_DEPTH} levels"
                raise self.error(pos, message, DEPTH_HINT, False)
            return self.mapping(pos, depth + 1) if char == "{" else self.sequence(pos, depth + 1)
        if char == '"':
            return self.string(pos)
        number = _NUMBER.match(text, pos)
        if number:
            return self.number(pos, number)
        for word, value in _LITERALS.items():
            if text.startswith(word, pos):
                return value, pos + len(word)
        for word in _CONSTANTS:
            if text.startswith(word, pos):
                message = f"must be a finite number, got `{word}`"
                raise self.error(pos, message, NUMBER_HINT)
        raise self.error(pos, "invalid JSON: expected a value", _SYNTAX_HINT, False)

    def string(self, pos: int) -> tuple[str, int]:
        try:
            value, end = scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as exc:
            raise self.error(exc.pos, f"invalid JSON: {exc.msg}", _SYNTAX_HINT, False) from None
        lone = _SURROGATE.search(value)
        if lone:
            raise self.error(
                pos,
                f"has an unpaired UTF-16 surrogate `\\u{ord(lone.group()):04x}`",
                "write the character itself, or both halves of its pair (`\\ud83d\\ude80`)",
            )
        return value, end

    def number(self, pos: int, match: re.Match[str]) -> tuple[int | float, int]:
        written = match.group()
        if match.group(1) or match.group(2):
            value: int | float = float(written)
        elif len(written) > 4300:  # more digits than Python converts: far beyond a double
            raise self.error(pos, f"is too large a number: `{shown(written)}`", NUMBER_HINT)
        else:
            value = int(written)
        problem = number_problem(value, written)
        if problem:
            raise self.error(pos, problem, NUMBER_HINT)
        return value, match.end()

    def expect(self, pos: int, char: str) -> int:
        if self.text[pos : pos + 1] != char:
            raise self.error(pos, f"invalid JSON: expected `{char}`", _SYNTAX_HINT, False)
        return self.skip(pos + 1)

    def mapping(self, pos: int, depth: int) -> tuple[dict[str, Any], int]:
        data: dict[str, Any] = {}
        table: dict[str, Mark] = {}
        self.marks[id(data)] = table
        if self.steps and isinstance(self.steps[-1], tuple):
            self.steps[-1] = (self.steps[-1][0], data)  # names the list item by its id
        pos = self.skip(pos + 1)
        if self.text[pos : pos + 1] == "}":
            return data, pos + 1
        while True:
            if self.text[pos : pos + 1] != '"':
                raise self.error(pos, "invalid JSON: expected a key in quotes", _SYNTAX_HINT, False)
            key, end = self.string(pos)
            if key in data:
                first = table[key].line
                raise self.error(
                    pos,
                    f"duplicate key `{key}` (first written at line {first})",
                    "keep one of the two: a JSON reader would silently drop the first value",
                    False,
                )
            table[key] = self.mark(pos)
            self.steps.append(key)
            value, end = self.value(self.skip(self.expect(self.skip(end), ":")), depth)
            self.steps.pop()
            data[key] = value
            pos = self.skip(end)
            if self.text[pos : pos + 1] == "}":
                return data, pos + 1
            pos = self.expect(pos, ",")

    def sequence(self, pos: int, depth: int) -> tuple[list[Any], int]:
        data: list[Any] = []
        table: list[Mark] = []
        self.marks[id(data)] = table
        pos = self.skip(pos + 1)
        if self.text[pos : pos + 1] == "]":
            return data, pos + 1
        while True:
            table.append(self.mark(pos))
            self.steps.append((len(data), None))
            value, end = self.value(pos, depth)
            self.steps.pop()
            data.append(value)
            pos = self.skip(end)
            if self.text[pos : pos + 1] == "]":
                return data, pos + 1
            pos = self.expect(pos, ",")


def context(text: str) -> list[ReadStep]:
    """The path of the value that `text` (a file cut just before a bad character) ends in."""
    reader = _Reader(text, "")
    try:
        reader.document(None)
    except InputError:
        return reader.steps
    return []
