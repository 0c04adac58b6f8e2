"""Pydantic validation errors, told in the user's words: where, what is wrong, what fixes it.

Shared by plan files and rule files, so both kinds of input error read the same way.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from strataudit.document import NUMBER_HINT, Document, PathStep, child, shown
from strataudit.errors import MAX_PROBLEMS, InputError, InputProblem


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


def _annotation_at(model: type[BaseModel], raw: tuple[Any, ...]) -> Any:
    """The field annotation at a raw path (for hints that depend on the field's kind)."""
    current: Any = model
    annotation: Any = None
    for step in raw:
        if isinstance(step, int):
            continue
        found = (
            _model_in(current)
            if not (isinstance(current, type) and issubclass(current, BaseModel))
            else current
        )
        if found is None or step not in found.model_fields:
            return None
        annotation = found.model_fields[step].annotation
        current = annotation
    return annotation


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _describe(value: Any) -> str:
    """The value as the message names it (cut when long: a message stays one screen)."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false as booleans)"
    if isinstance(value, (int, float)):
        return f"the number {_number_text(value)}"
    if isinstance(value, str):
        return f'the text "{shown(value)}"'
    if isinstance(value, datetime.datetime):
        return f"the date and time {value.isoformat(sep=' ')}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


Explain = Callable[[str, Any, dict[str, Any]], tuple[str, str]]
_NUMERIC_TEXT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _unknown_key(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    import difflib  # imported by the few paths that explain an error: not on a clean audit's

    close = difflib.get_close_matches(field, ctx["allowed"], n=1, cutoff=0.6)
    hint = (
        f"did you mean `{close[0]}`?"
        if close
        else ("allowed here: " + ", ".join(ctx["allowed"]) if ctx["allowed"] else "remove it")
    )
    return (
        f"unknown key `{field}`",
        hint + " (free-form data goes under `extra:` or in keys starting with `x_`)",
    )


def _not_text(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    if isinstance(value, (dict, list)):
        return f"`{field}` must be text, got {_describe(value)}", f'write `{field}: "..."`'
    written = "no" if value is False else "yes" if value is True else value
    if isinstance(written, (int, float)):
        written = _number_text(written)
    return (
        f"`{field}` must be text, got {_describe(value)}",
        f'quote it: `{field}: "{shown(str(written))}"`',
    )


def _number_text(value: int | float) -> str:
    try:
        return shown(str(value))
    except ValueError:  # an integer of more digits than Python prints
        return f"of {int(value).bit_length():,} bits"


def _not_number(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    if isinstance(value, int) and not isinstance(value, bool):  # a float cannot hold it
        return f"`{field}` is too large a number: {_number_text(value)}", NUMBER_HINT
    if isinstance(value, str) and _NUMERIC_TEXT.match(value.strip()):
        message = f'`{field}` must be a number, got the text "{value}"'
        if "e" in value.lower():  # 1e6 or 1.0e300 unquoted: text in YAML 1.1
            return message, (
                f"YAML 1.1 reads an exponent as a number only with a dot and a "
                f"sign: write `{field}: 1.0e+6` or the plain number"
            )
        return message, f"write the number without quotes: `{field}: {value.strip()}`"
    return (
        f"`{field}` must be a number, got {_describe(value)}",
        "write a plain number, e.g. 150000",
    )


def _not_finite(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    return f"`{field}` must be a finite number, got {value}", NUMBER_HINT


def _not_bool(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    return (
        f"`{field}` must be true or false, got {_describe(value)}",
        f"write `{field}: true` or `{field}: false`",
    )


def _not_in_vocabulary(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    import difflib

    expected = ctx.get("expected", "")
    words = re.findall(r"'([^']*)'", str(expected))
    close = (
        difflib.get_close_matches(value.casefold(), words, n=1, cutoff=0.6)
        if isinstance(value, str)
        else []
    )
    hint = f"did you mean `{close[0]}`? " if close else ""
    return f"`{field}` cannot be {_describe(value)}", f"{hint}use one of: {expected}"


def _not_list(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    hint = (
        f"write `{field}:` as a list of entries, one `- id: ...` per line"
        if ctx["entities"]
        else f"write `{field}: [A, B]` (a list), or leave it out"
    )
    return f"`{field}` must be a list, got {_describe(value)}", hint


def _not_mapping(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    return (
        f"`{field or 'the plan'}` must be a mapping, got {_describe(value)}",
        "write its fields as `key: value` lines under it",
    )


def _bad_value(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    """The format's only value validators are dates' (the version has its own explainer)."""
    why = ctx["why"]
    got = "" if str(value) in why else f", got {_describe(value)}"  # the value, named once
    return (
        f"`{field}` is not a valid date: {why}{got}",
        f"write `{field}: YYYY-MM-DD` with a real month and day, e.g. `{field}: 2027-06-30`",
    )


def _other(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    """Any other Pydantic error: its own words, with the field and the value."""
    return (
        f"`{field}` is not valid: {ctx['why']}, got {_describe(value)}",
        "`strataudit schema` prints what each field accepts",
    )


def _missing(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    why = "every entity needs its id and its label" if ctx["model"] == "Plan" else "it is required"
    return f"required field `{field}` is missing", f"add `{field}:`; {why}"


EXPLAIN: dict[str, Explain] = {
    "extra_forbidden": _unknown_key,
    "missing": _missing,
    "string_type": _not_text,
    "float_type": _not_number,
    "float_parsing": _not_number,
    "int_type": _not_number,
    "finite_number": _not_finite,
    "bool_type": _not_bool,
    "bool_parsing": _not_bool,
    "literal_error": _not_in_vocabulary,
    "list_type": _not_list,
    "model_type": _not_mapping,
    "model_attributes_type": _not_mapping,
    "dict_type": _not_mapping,
    "value_error": _bad_value,
}


def _version(field: str, value: Any, ctx: dict[str, Any]) -> tuple[str, str]:
    if ctx["kind"] == "missing":
        return (
            "the format version `strataudit: 1` is missing",
            "add `strataudit: 1` as the first line",
        )
    return (
        f"unsupported format version {value!r}",
        "this tool reads plan format version 1: write `strataudit: 1`",
    )


def translate(
    exc: ValidationError,
    doc: Document,
    model: type[BaseModel],
    path_of: Callable[[Any, tuple[PathStep, ...]], str] | None = None,
    skip: Callable[[dict[str, Any]], bool] | None = None,
) -> InputError:
    """Every validation error (up to `MAX_PROBLEMS`), in the user's words, each with a fix, in
    the order of the file: a file with three mistakes takes one run, not three. `skip` drops
    errors the caller resolves elsewhere (a label another file of the plan may give), unless
    nothing else is wrong."""
    errors = exc.errors(include_url=False)
    kept = [e for e in errors if skip is None or not skip(dict(e))] or errors
    problems = [_problem(dict(e), doc, model, path_of) for e in kept[:MAX_PROBLEMS]]
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return InputError(*problems)


def _problem(
    error: dict[str, Any],
    doc: Document,
    model: type[BaseModel],
    path_of: Callable[[Any, tuple[PathStep, ...]], str] | None,
) -> InputProblem:
    """One Pydantic error as an input problem: where, what is wrong, what fixes it."""
    raw = _raw_loc(doc, tuple(error["loc"]))
    kind = error["type"]
    field = next((s for s in reversed(raw) if isinstance(s, str)), "")
    ctx = {
        **error.get("ctx", {}),
        "kind": kind,
        "model": model.__name__,
        "why": str(error.get("msg", "")).removeprefix("Value error, "),
        "allowed": _fields_at(model, raw[:-1]) if kind == "extra_forbidden" else [],
        "entities": _model_in(_annotation_at(model, raw)) is not None,
    }
    explain = (
        _version
        if raw[:1] == ("strataudit",) and model.__name__ == "Plan"
        else EXPLAIN.get(kind, _other)
    )
    message, hint = explain(field, error.get("input"), ctx)
    mark = doc.mark_of(raw)
    path = path_of(doc.data, raw) if path_of else ".".join(str(s) for s in raw)
    return InputProblem(doc.file, mark.line, mark.column, message, hint, path)
