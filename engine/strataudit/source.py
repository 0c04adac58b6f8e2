"""Read one YAML or JSON file into plain Python data, remembering where every value was written.

PyYAML's constructors lose line numbers, silently keep the last of two duplicate keys, recurse
(a 20,000-deep document overflows) and expand alias bombs. So the document is built here from
the C parser's event stream, iteratively, with every safety limit of the plan format checked as
the events arrive: nothing the user wrote is lost or executed, and a bad file fails fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml import events as ev

from strataudit.errors import InputError, input_error

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_NODES = 10_000

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")}
_ALLOWED_TAGS.add("!")
# First characters for which YAML 1.1 may resolve a plain scalar to something else than a string.
_MAYBE_TYPED = frozenset(yaml.resolver.Resolver.yaml_implicit_resolvers.keys()) - {""}
_constructor = yaml.constructor.SafeConstructor()
_resolver = yaml.resolver.Resolver()


PathStep = str | int  # a step into parsed data: a mapping key or a list index


class Mark(NamedTuple):
    """A 1-based line and column in a file (a tuple: one is made for every key and item)."""

    line: int
    column: int


_new_mark = tuple.__new__


def _mark(m: Any) -> Mark:
    return _new_mark(Mark, (m.line + 1, m.column + 1))


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


def _scalar(event: Any) -> Any:
    """The value of a scalar as YAML 1.1's safe schema reads it."""
    value = event.value
    tag = event.tag
    if tag is None:
        if event.style:  # quoted or block scalar: always a string
            return value
        if not value:
            return None
        if value[0] not in _MAYBE_TYPED:
            return value
        tag = _resolver.resolve(yaml.ScalarNode, value, event.implicit)
    if tag == f"{_CORE}str" or tag == "!":
        return value
    constructor = _constructor.yaml_constructors.get(tag)
    if constructor is None:
        return value
    return constructor(_constructor, yaml.ScalarNode(tag, value))


class _Frame:
    __slots__ = ("anchor", "container", "key", "key_mark", "merged", "size", "start", "table")

    def __init__(self, container: Any, anchor: str | None) -> None:
        self.container = container
        self.table: Any = {} if isinstance(container, dict) else []
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_mark: Mark | None = None
        self.merged: set[str] = set()
        self.size = 1
        self.start = Mark(1, 1)


_NO_KEY = object()


def read_text(path: Path, display: str) -> str:
    """The file's text, with the size and encoding limits checked."""
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            raise input_error(
                display,
                None,
                None,
                f"the file is {size:,} bytes, over the 64 MiB limit",
                "split the plan into files joined with `include:`",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise input_error(
            display,
            None,
            None,
            "no such file",
            "check the path; plans are .yaml, .yml or .json files",
        ) from None
    except IsADirectoryError:
        raise input_error(
            display,
            None,
            None,
            "is a directory, not a plan file",
            "name a plan file, or audit the directory as a whole",
        ) from None
    except OSError as exc:
        raise input_error(
            display, None, None, f"cannot be read: {exc.strerror}", "check the file's permissions"
        ) from None
    return decode(raw, display)


def decode(raw: bytes, display: str) -> str:
    if len(raw) > MAX_BYTES:
        raise input_error(
            display,
            None,
            None,
            f"the input is {len(raw):,} bytes, over the 64 MiB limit",
            "split the plan into files joined with `include:`",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise input_error(
            display,
            line,
            column,
            f"byte 0x{raw[exc.start]:02x} is not UTF-8",
            "save the file as UTF-8 (plans are UTF-8 text)",
        ) from None
    if not text.strip():
        raise input_error(
            display,
            1,
            1,
            "the file is empty",
            "a plan starts with `strataudit: 1` and a `plan:` section",
        ) from None
    return text


def parse(text: str, display: str, path: Path | None = None) -> Document:
    """Build the document from the parser's events, enforcing the format's safety limits."""
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    marks: dict[int, Any] = {}
    alias_nodes = 0
    root: Any = None
    root_mark = Mark(1, 1)
    documents = 0
    try:
        for event in _events(text):
            kind = type(event)
            if kind is ev.ScalarEvent or kind is ev.AliasEvent:
                if kind is ev.ScalarEvent:
                    if event.tag is not None and event.tag not in _ALLOWED_TAGS:
                        raise _tag_error(display, event)
                    try:
                        value = _scalar(event)
                    except ValueError as exc:
                        m = _mark(event.start_mark)
                        raise input_error(
                            display,
                            m.line,
                            m.column,
                            f"`{event.value}` is not a valid value: {exc}",
                            "write dates as real YYYY-MM-DD dates; quote text",
                        ) from None
                    size = 1
                    if event.anchor:
                        anchors[event.anchor] = (value, 1)
                else:
                    if event.anchor not in anchors:
                        m = _mark(event.start_mark)
                        raise input_error(
                            display,
                            m.line,
                            m.column,
                            f"alias *{event.anchor} names no anchor",
                            f"define `&{event.anchor}` before using it",
                        )
                    value, size = anchors[event.anchor]
                    alias_nodes += size
                    if alias_nodes > MAX_ALIAS_NODES:
                        m = _mark(event.start_mark)
                        raise input_error(
                            display,
                            m.line,
                            m.column,
                            f"anchors and aliases expand past {MAX_ALIAS_NODES:,} nodes",
                            "write the repeated data out, or use fewer aliases",
                        )
                if not stack:
                    root, root_mark = value, _mark(event.start_mark)
                    continue
                _add(stack[-1], value, size, event, display, kind is ev.ScalarEvent)
            elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                if event.tag is not None and event.tag not in _ALLOWED_TAGS:
                    raise _tag_error(display, event)
                if len(stack) >= MAX_DEPTH:
                    m = _mark(event.start_mark)
                    raise input_error(
                        display,
                        m.line,
                        m.column,
                        f"the document nests deeper than {MAX_DEPTH} levels",
                        "flatten the data; plans need only a few levels",
                    )
                container: Any = {} if kind is ev.MappingStartEvent else []
                frame = _Frame(container, event.anchor)
                frame.start = _mark(event.start_mark)
                if not stack:
                    root_mark = frame.start
                stack.append(frame)
            elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                frame = stack.pop()
                marks[id(frame.container)] = frame.table
                if frame.anchor:
                    anchors[frame.anchor] = (frame.container, frame.size)
                if not stack:
                    root = frame.container
                else:
                    _add(
                        stack[-1],
                        frame.container,
                        frame.size,
                        event,
                        display,
                        False,
                        start=frame.start,
                    )
            elif kind is ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    m = _mark(event.start_mark)
                    raise input_error(
                        display,
                        m.line,
                        m.column,
                        "the file holds more than one YAML document",
                        "keep one plan per file; remove the `---` separator",
                    )
    except yaml.MarkedYAMLError as exc:
        where: Any = exc.problem_mark or exc.context_mark
        line, column = (where.line + 1, where.column + 1) if where is not None else (None, None)
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, met while scanning ahead
            raise input_error(
                display,
                line,
                column,
                f"the document nests deeper than {MAX_DEPTH} levels",
                "flatten the data; plans need only a few levels",
            ) from None
        raise input_error(
            display,
            line,
            column,
            f"invalid YAML: {exc.problem or exc.context}",
            "fix the syntax at this spot (indentation, a missing `:` or quote)",
        ) from None
    except yaml.YAMLError as exc:
        raise input_error(display, None, None, f"invalid YAML: {exc}", "fix the syntax") from None
    except RecursionError:
        raise input_error(
            display,
            None,
            None,
            f"the document nests deeper than {MAX_DEPTH} levels",
            "flatten the data",
        ) from None
    return Document(display, path, root, root_mark, marks)


def _events(text: str) -> Iterator[Any]:
    """The parser's events (what `yaml.parse` yields, without its per-event `check_event`)."""
    loader = _Loader(text)
    try:
        get = loader.get_event
        event = get()
        while event is not None:
            yield event
            event = get()
    finally:
        loader.dispose()


def _tag_error(display: str, event: Any) -> InputError:
    m = _mark(event.start_mark)
    return input_error(
        display,
        m.line,
        m.column,
        f"YAML tag `{event.tag}` is not allowed",
        "remove the tag: plans are plain data (safe YAML only)",
    )


def _add(
    frame: _Frame,
    value: Any,
    size: int,
    event: Any,
    display: str,
    is_scalar: bool,
    start: Mark | None = None,
) -> None:
    """Put a finished value into its parent: a list item, a mapping key, or a mapping value."""
    frame.size += size
    mark = start or _mark(event.start_mark)
    container = frame.container
    if isinstance(container, list):
        container.append(value)
        frame.table.append(mark)
        return
    if frame.key is _NO_KEY:
        if not is_scalar:
            raise input_error(
                display,
                mark.line,
                mark.column,
                "a mapping key must be a plain word",
                "write keys as simple names, e.g. `budget:`",
            )
        key = event.value if isinstance(event, ev.ScalarEvent) else value
        if not isinstance(key, str):
            key = str(key)
        if key in container and key not in frame.merged:
            first = frame.table[key]
            raise input_error(
                display,
                mark.line,
                mark.column,
                f"duplicate key `{key}` (first written at line {first.line})",
                "keep one of the two: YAML would silently drop the first value",
            )
        frame.key, frame.key_mark = key, mark
        return
    key, key_mark = frame.key, frame.key_mark
    frame.key = _NO_KEY
    if key == "<<" and isinstance(event, (ev.AliasEvent, ev.MappingEndEvent, ev.SequenceEndEvent)):
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                raise input_error(
                    display,
                    mark.line,
                    mark.column,
                    "`<<` merges only mappings",
                    "point `<<:` at an anchored mapping",
                )
            for k, v in source.items():
                if k not in container:
                    container[k] = v
                    frame.table[k] = key_mark
                    frame.merged.add(k)
        return
    frame.merged.discard(key)
    container[key] = value
    frame.table[key] = key_mark


def load_document(path: Path | None, display: str, text: str | None = None) -> Document:
    """Read and parse one file. JSON takes a fast path: the C `json` module builds the data and
    the marks are computed only if something asks where a value was written (a finding, an
    error); anything the fast path cannot vouch for goes through the event parser."""
    if text is None:
        assert path is not None
        text = read_text(path, display)
    if display.endswith(".json"):
        fast = _json_fast(text, display, path)
        if fast is not None:
            return fast
    return parse(text, display, path)


class _Fallback(Exception):
    """The fast JSON path cannot decide: the event parser will, with a located message."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _Fallback
    return data


def _no_constants(name: str) -> Any:  # NaN, Infinity: not JSON, and not numbers we accept
    raise _Fallback


def _json_fast(text: str, display: str, path: Path | None) -> Document | None:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise input_error(
            display,
            exc.lineno,
            exc.colno,
            f"invalid JSON: {exc.msg}",
            "fix the JSON syntax at this spot (a missing comma, quote or bracket)",
        ) from None
    except (_Fallback, RecursionError):
        return None
    if _deeper_than(data, MAX_DEPTH):
        return None
    return LazyDocument(display, path, data, text)


def _deeper_than(data: Any, limit: int) -> bool:
    stack = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return False


class LazyDocument(Document):
    """A JSON document whose marks are computed on the first question about a location."""

    def __init__(self, file: str, path: Path | None, data: Any, text: str) -> None:
        super().__init__(file, path, data, Mark(1, 1))
        self._text = text
        self._marked: Document | None = None

    def mark_of(self, raw_path: tuple[str | int, ...]) -> Mark:
        if self._marked is None:
            self._marked = parse(self._text, self.file, self.path)
            self.root = self._marked.root
        return self._marked.mark_of(raw_path)
