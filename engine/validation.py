"""Pydantic validation errors, told in the user's words: where, what is wrong, what fixes it.

Shared by plan files and rule files, so both kinds of input error read the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from strataudit.errors import InputError, input_error
from strataudit.source import Document, child

PathStep = str | int


def _raw_loc(doc: Document, loc: tuple[Any, ...]) -> tuple[PathStep, ...]:
    """Pydantic's error location, keeping only steps that exist in the data (drops type tags)."""
    raw: list[PathStep] = []
    node = doc.data
    for step in loc:
        found, value = child(node, step)
        if found:
            raw.append(step)
            node = value
        elif isinstance(node, dict) and isinstance(step, str):
            raw.append(step)  # a missing required key or an unknown key
            break
    return tuple(raw)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the mapping at `loc`, for did-you-mean hints."""
    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(step)
        if field is None:
            break
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [n for n in current.model_fields if n != "x_fields"]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false as booleans)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the text "{value}"'
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


def translate(exc: ValidationError, doc: Document, model: type[BaseModel],
              path_of: Callable[[Any, tuple[PathStep, ...]], str] | None = None) -> InputError:
    """The first validation error, in the user's words, with a fix."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    raw = _raw_loc(doc, loc)
    kind = error["type"]
    value = error.get("input")
    field = next((s for s in reversed(raw) if isinstance(s, str)), "")
    if kind == "extra_forbidden":
        allowed = _fields_at(model, raw[:-1])
        close = difflib.get_close_matches(str(field), allowed, n=1, cutoff=0.6)
        message = f"unknown key `{field}`"
        hint = f"did you mean `{close[0]}`?" if close else (
            "allowed here: " + ", ".join(allowed) if allowed else "remove it")
        hint += " (free-form data goes under `extra:` or in keys starting with `x_`)"
    elif kind == "missing":
        message = f"required field `{field}` is missing"
        hint = f"add `{field}:`; every entity needs its id and its label"
    elif kind in ("string_type",):
        message = f"`{field}` must be text, got {_describe(value)}"
        shown = value if not isinstance(value, bool) else "no"
        hint = f'quote it: `{field}: "{shown}"`'
    elif kind in ("float_type", "float_parsing", "int_type"):
        message = f"`{field}` must be a number, got {_describe(value)}"
        hint = (f"write the number without quotes: `{field}: {value}`" if isinstance(value, str)
                else "write a plain number, e.g. 150000")
    elif kind in ("bool_type", "bool_parsing"):
        message = f"`{field}` must be true or false, got {_describe(value)}"
        hint = f"write `{field}: true` or `{field}: false`"
    elif kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"`{field}` cannot be {_describe(value)}"
        hint = f"use one of: {expected}"
        if field == "strataudit":
            message = f"unsupported format version {value!r}"
            hint = "this tool reads plan format version 1: write `strataudit: 1`"
    elif kind in ("list_type",):
        message = f"`{field}` must be a list, got {_describe(value)}"
        hint = f"write `{field}: [A, B]` (a list of ids), or leave it out"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"`{field or 'the plan'}` must be a mapping, got {_describe(value)}"
        hint = "write its fields as `key: value` lines under it"
    elif kind == "value_error":
        why = str(error.get("msg", "")).removeprefix("Value error, ")
        message = f"`{field}` is not a valid date: {why}"
        hint = f"write `{field}: YYYY-MM-DD`, e.g. 2027-06-30"
    else:
        message = f"`{field}`: {error.get('msg')}"
        hint = "see the plan format (docs: plan-format.md)"
    if "strataudit" in loc[:1] and kind == "missing":
        message = "the format version `strataudit: 1` is missing"
        hint = "add `strataudit: 1` as the first line"
    mark = doc.mark_of(raw)
    path = path_of(doc.data, raw) if path_of else ".".join(str(s) for s in raw)
    return input_error(doc.file, mark.line, mark.column, message, hint, path)


