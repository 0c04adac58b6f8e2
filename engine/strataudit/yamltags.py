"""YAML tags: what each core tag may hold, and how a scalar is read under YAML 1.1's schema.

PyYAML's safe constructors crash on tagged values they cannot hold (`!!bool maybe` is a
KeyError, `!!int ""` an IndexError), return a generator for `!!map foo`, and read `!!null x` as
null, losing the text. Here every scalar goes through one table of readers, one per core tag,
each with the words a hint uses to say what the tag holds; numbers are checked against the
format's policy (finite doubles) as they are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml import events as ev

from strataudit.document import NUMBER_HINT, number_problem, shown

CORE = "tag:yaml.org,2002:"
# First characters for which YAML 1.1 may resolve a plain scalar to something else than a string.
_MAYBE_TYPED = frozenset(yaml.resolver.Resolver.yaml_implicit_resolvers.keys()) - {""}
_constructor = yaml.constructor.SafeConstructor()
_resolver = yaml.resolver.Resolver()


class Refused(Exception):
    """A scalar its tag cannot hold: (message after the field's name, hint)."""


def written(tag: str) -> str:
    """A tag as the user wrote it: `!!int`, not `tag:yaml.org,2002:int`."""
    return "!!" + tag.removeprefix(CORE) if tag.startswith(CORE) else tag


def _construct(tag: str) -> Callable[[str], Any]:
    build = _constructor.yaml_constructors[CORE + tag]
    return lambda text: build(_constructor, yaml.ScalarNode(CORE + tag, text))


def _null(text: str) -> None:
    if text not in ("", "~", "null", "Null", "NULL"):
        raise ValueError(text)


def _bool(text: str) -> bool:
    return bool(_constructor.bool_values[text.lower()])  # KeyError for `maybe`


def _number(build: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        try:
            value = build(text)
        except (ValueError, IndexError, KeyError):
            digits = text.lstrip("+-").replace("_", "")
            if digits.isdigit():  # more digits than Python converts: far beyond a double
                raise Refused(f"is too large a number: `{shown(text)}`", NUMBER_HINT) from None
            raise
        problem = number_problem(value, text)
        if problem:
            raise Refused(problem, NUMBER_HINT)
        return value

    return read


def _not_scalar(text: str) -> Any:
    raise ValueError(text)


# core tag -> (how a scalar with it is read, what it may hold: for the hint). A reader raises
# ValueError/KeyError/IndexError for a value the tag cannot hold, `Refused` for its own words.
_SCALARS: dict[str, tuple[Callable[[str], Any], str]] = {
    "str": (str, "any text"),
    "null": (_null, "null, ~ or nothing"),
    "bool": (_bool, "true or false (YAML 1.1 also reads yes/no and on/off)"),
    "int": (_number(_construct("int")), "a whole number, e.g. 42, -7 or 1_000"),
    "float": (_number(_construct("float")), "a number, e.g. 1.5 or 1.0e+6"),
    "map": (_not_scalar, "a mapping (`key: value` lines, or `{...}`)"),
    "seq": (_not_scalar, "a list (`- item` lines, or `[...]`)"),
}
COLLECTION_TAGS = {
    ev.MappingStartEvent: {None, "!", CORE + "map"},
    ev.SequenceStartEvent: {None, "!", CORE + "seq"},
}


def _timestamp(text: str) -> Any:
    """An unquoted date; one that is not a real date (`2027-13-45`) stays text, so that the
    field's validation names the field, the value and the format expected."""
    try:
        return _constructor.construct_yaml_timestamp(yaml.ScalarNode(CORE + "timestamp", text))
    except ValueError:
        return text


_IMPLICIT: dict[str, Callable[[str], Any]] = {
    **{CORE + tag: read for tag, (read, _) in _SCALARS.items()},
    CORE + "timestamp": _timestamp,
}


def read_scalar(event: Any) -> Any:
    """The value of a scalar as YAML 1.1's safe schema reads it (raises for a bad tagged one)."""
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
        read = _IMPLICIT.get(tag)
        return value if read is None else read(value)  # `<<` and `=` resolve to no reader
    if tag == "!":
        return value
    read, holds = _SCALARS[tag.removeprefix(CORE)]
    name = written(tag)
    try:
        return read(value)
    except (ValueError, KeyError, IndexError):
        raise Refused(
            f"is tagged `{name}`, but `{shown(value)}` is not {holds.split(' (')[0]}",
            f"write {holds}, or remove the `{name}` tag",
        ) from None


ALLOWED_TAGS = {CORE + tag for tag in _SCALARS} | {"!"}
