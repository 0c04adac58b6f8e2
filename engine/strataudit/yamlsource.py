"""YAML text -> a `Document`, built from libyaml's event stream with the format's limits.

PyYAML's constructors lose line numbers, silently keep the last of two duplicate keys, recurse
(a 20,000-deep document overflows), expand alias bombs and crash on tagged values they cannot
hold (`!!bool maybe`, `!!int ""`). So the document is built here from the C parser's events,
iteratively, with every limit of the plan format checked as the events arrive, and every
scalar read through the table of what each core tag may hold (`yamltags.py`): nothing the
user wrote is lost or executed, and a bad file fails fast with its line, column and field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev

from strataudit.document import (
    DEPTH_HINT,
    MAX_ALIAS_BYTES,
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    Document,
    Mark,
    ReadStep,
    field_name,
    render_steps,
    shown,
)
from strataudit.errors import InputError, input_error
from strataudit.yamltags import ALLOWED_TAGS, COLLECTION_TAGS, Refused, read_scalar, written

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_new_mark = tuple.__new__


def _mark(m: Any) -> Mark:
    return _new_mark(Mark, (m.line + 1, m.column + 1))


class _Frame:
    __slots__ = (
        "anchor",
        "chars",
        "container",
        "key",
        "key_mark",
        "merged",
        "size",
        "start",
        "table",
    )

    def __init__(self, container: Any, anchor: str | None, start: Mark) -> None:
        self.container = container
        self.table: Any = {} if isinstance(container, dict) else []
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_mark: Mark | None = None
        self.merged: set[str] = set()
        self.size = 1  # nodes, for the alias limit
        self.chars = 0  # characters of scalars, for the alias limit
        self.start = start


_NO_KEY = object()


class _Builder:
    """The document under construction: a stack of open mappings and lists, the anchors, and
    the alias budget. `steps()` says where the parser is, for messages."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # value, nodes, characters
        self.marks: dict[int, Any] = {}
        self.alias_nodes = 0
        self.alias_chars = 0
        self.root: Any = None
        self.root_mark = Mark(1, 1)
        self.documents = 0

    def steps(self) -> list[ReadStep]:
        """The path of the value being read: keys, and list indexes with their items."""
        out: list[ReadStep] = []
        for i, frame in enumerate(self.stack):
            if isinstance(frame.container, list):
                item = self.stack[i + 1].container if i + 1 < len(self.stack) else None
                out.append((len(frame.container), item))
            elif frame.key is not _NO_KEY:
                out.append(str(frame.key))
        return out

    def error(self, at: Mark, message: str, hint: str, named: bool = True) -> InputError:
        """An error at `at`; the message starts with the field's name when `named`."""
        steps = self.steps()
        text = f"{field_name(steps)} {message}" if named else message
        return input_error(self.display, at.line, at.column, text, hint, render_steps(steps))

    def scalar(self, event: Any) -> None:
        if event.tag is not None and event.tag not in ALLOWED_TAGS:
            raise self.tag_error(event)
        try:
            value = read_scalar(event)
        except Refused as exc:
            message, hint = exc.args
            raise self.error(_mark(event.start_mark), message, hint) from None
        except (ValueError, KeyError, IndexError):  # a value PyYAML's constructor refused
            message = f"has a value YAML cannot read: `{shown(event.value)}`"
            raise self.error(
                _mark(event.start_mark), message, "quote it to keep it as text"
            ) from None
        chars = len(event.value)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1, chars)
        self.add(value, 1, chars, event, True)

    def alias(self, event: Any) -> None:
        at = _mark(event.start_mark)
        if event.anchor not in self.anchors:
            message = f"alias *{event.anchor} names no anchor"
            raise self.error(at, message, f"define `&{event.anchor}` before using it", False)
        value, size, chars = self.anchors[event.anchor]
        self.alias_nodes += size
        self.alias_chars += chars
        hint = "write the repeated data out, or use fewer aliases"
        if self.alias_nodes > MAX_ALIAS_NODES:
            message = f"anchors and aliases expand past {MAX_ALIAS_NODES:,} nodes"
            raise self.error(at, message, hint, False)
        if self.alias_chars > MAX_ALIAS_BYTES:
            message = f"anchors and aliases expand past {MAX_ALIAS_BYTES // 2**20} MiB of text"
            raise self.error(at, message, hint, False)
        self.add(value, size, chars, event, False)

    def start(self, event: Any) -> None:
        at = _mark(event.start_mark)
        if event.tag not in COLLECTION_TAGS[type(event)]:
            if event.tag not in ALLOWED_TAGS:
                raise self.tag_error(event)
            what = "a mapping" if type(event) is ev.MappingStartEvent else "a list"
            name = written(event.tag)
            raise self.error(at, f"is tagged `{name}`, but its value is {what}", "remove the tag")
        if len(self.stack) >= MAX_DEPTH:
            message = f"the document nests deeper than {MAX_DEPTH} levels"
            raise self.error(at, message, DEPTH_HINT, False)
        container: Any = {} if type(event) is ev.MappingStartEvent else []
        if not self.stack:
            self.root_mark = at
        self.stack.append(_Frame(container, event.anchor, at))

    def end(self, event: Any) -> None:
        frame = self.stack.pop()
        self.marks[id(frame.container)] = frame.table
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.container, frame.size, frame.chars)
        self.add(frame.container, frame.size, frame.chars, event, False, frame.start)

    def document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            raise self.error(
                _mark(event.start_mark),
                "the file holds more than one YAML document",
                "keep one plan per file; remove the `---` separator",
                False,
            )

    def tag_error(self, event: Any) -> InputError:
        return self.error(
            _mark(event.start_mark),
            f"has the YAML tag `{written(event.tag)}`, which is not allowed",
            "remove the tag: plans are plain data (safe YAML only)",
        )

    def add(
        self,
        value: Any,
        size: int,
        chars: int,
        event: Any,
        is_scalar: bool,
        start: Mark | None = None,
    ) -> None:
        """Put a finished value into its parent: a list item, a mapping key or value."""
        mark = start or _mark(event.start_mark)
        if not self.stack:
            self.root = value
            if start is None:
                self.root_mark = mark
            return
        frame = self.stack[-1]
        frame.size += size
        frame.chars += chars
        container = frame.container
        if isinstance(container, list):
            container.append(value)
            frame.table.append(mark)
            return
        if frame.key is _NO_KEY:
            self.key(frame, value, event, is_scalar, mark)
            return
        key, key_mark = frame.key, frame.key_mark
        frame.key = _NO_KEY
        if key == "<<" and not is_scalar:
            self.merge(frame, value, mark, key_mark)
            return
        frame.merged.discard(key)
        container[key] = value
        frame.table[key] = key_mark

    def key(self, frame: _Frame, value: Any, event: Any, is_scalar: bool, mark: Mark) -> None:
        if not is_scalar:
            raise self.error(
                mark,
                "a mapping key must be a plain word",
                "write keys as simple names, e.g. `budget:`",
                False,
            )
        key = event.value if isinstance(event, ev.ScalarEvent) else value
        if not isinstance(key, str):
            key = str(key)
        if key in frame.container and key not in frame.merged:
            first = frame.table[key]
            raise self.error(
                mark,
                f"duplicate key `{key}` (first written at line {first.line})",
                "keep one of the two: YAML would silently drop the first value",
                False,
            )
        frame.key, frame.key_mark = key, mark

    def merge(self, frame: _Frame, value: Any, mark: Mark, key_mark: Mark | None) -> None:
        """`<<: *defaults`: the anchored mapping's keys, unless the mapping writes them."""
        for source in value if isinstance(value, list) else [value]:
            if not isinstance(source, dict):
                raise self.error(
                    mark, "`<<` merges only mappings", "point `<<:` at an anchored mapping", False
                )
            for k, v in source.items():
                if k not in frame.container:
                    frame.container[k] = v
                    frame.table[k] = key_mark
                    frame.merged.add(k)


_HANDLERS: dict[type, Callable[[_Builder, Any], None]] = {
    ev.ScalarEvent: _Builder.scalar,
    ev.AliasEvent: _Builder.alias,
    ev.MappingStartEvent: _Builder.start,
    ev.SequenceStartEvent: _Builder.start,
    ev.MappingEndEvent: _Builder.end,
    ev.SequenceEndEvent: _Builder.end,
    ev.DocumentStartEvent: _Builder.document,
}


def parse(text: str, display: str, path: Path | None = None) -> Document:
    """Build the document from the parser's events, enforcing the format's limits."""
    builder = _Builder(display)
    handlers = _HANDLERS
    try:
        for event in _events(text):
            handle = handlers.get(type(event))
            if handle is not None:
                handle(builder, event)
    except yaml.MarkedYAMLError as exc:
        where: Any = exc.problem_mark or exc.context_mark
        at = _mark(where) if where is not None else Mark(1, 1)
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, met while scanning ahead
            message = f"the document nests deeper than {MAX_DEPTH} levels"
            raise builder.error(at, message, DEPTH_HINT, False) from None
        raise builder.error(
            at,
            f"invalid YAML: {exc.problem or exc.context}",
            "fix the syntax at this spot (indentation, a missing `:` or quote)",
            False,
        ) from None
    except yaml.reader.ReaderError as exc:  # a character libyaml refuses (checked before)
        at = _offset_mark(text, exc.position)
        message = f"invalid YAML: {exc.reason} (character U+{exc.character:04X})"
        raise builder.error(at, message, "remove the character", False) from None
    except yaml.YAMLError as exc:
        raise builder.error(Mark(1, 1), f"invalid YAML: {exc}", "fix the syntax", False) from None
    return Document(display, path, builder.root, builder.root_mark, builder.marks)


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


def _offset_mark(text: str, offset: int) -> Mark:
    """The mark of libyaml's offset, which counts the bytes of the UTF-8 text."""
    before = text.encode("utf-8")[:offset].decode("utf-8", "ignore")
    return Mark(before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)


def context(text: str) -> list[ReadStep]:
    """The path of the value that `text` (a file cut just before a bad character) ends in, so
    that an error found outside the parser can name its field too. Best effort: []."""
    probe = _Builder("")
    last: list[ReadStep] = []  # where the last scalar was, if it ran to the cut
    cut = _offset_mark(text, len(text.encode("utf-8")))
    try:
        for event in _events(text):
            handle = _HANDLERS.get(type(event))
            if handle is not None:
                if type(event) is ev.ScalarEvent:  # an empty one: the value the cut began
                    at_cut = _mark(event.end_mark) == cut or not (event.value or event.style)
                    last = probe.steps() if at_cut else []
                handle(probe, event)
    except (yaml.YAMLError, InputError):
        pass
    return last or probe.steps()  # else: cut in a quoted text, a key, or the next item
