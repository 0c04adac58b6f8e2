"""Plan data written out as YAML or JSON text, with every number spelled as the test asks.

The fuzz properties compare runs of *the same plan written differently*: JSON or YAML, `5` or
`5.0` or `5e0`, `0.00005` or `5e-05`. A generic dumper cannot say how a number is spelled, so this
small emitter writes block YAML (strings double-quoted, which escapes any character) and JSON,
with a `Spelling` choosing each number's form. Markers let the strategies put into the text what
no dumper writes: a raw YAML fragment (tags, anchors and aliases) and raw bytes of text.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

Format = Literal["yaml", "json"]
Spelling = Literal["plain", "float", "exponent", "shortest"]
SPELLINGS: tuple[Spelling, ...] = ("plain", "float", "exponent", "shortest")


@dataclass(frozen=True)
class Raw:
    """Text written verbatim as a value in YAML (a tag, an alias); in JSON, `json` verbatim, or
    without it the YAML text as a JSON string (JSON has no tags and no aliases)."""

    yaml: str
    json: str | None = None


@dataclass(frozen=True)
class Anchored:
    """A YAML value with an anchor (`&name value`); JSON writes the value alone."""

    name: str
    value: Any


def _digits(number: int | float) -> tuple[str, int]:
    """The significant digits of a number and its decimal exponent: 0.00005 -> ("5", -5)."""
    exact = Decimal(repr(number) if isinstance(number, float) else number)
    _, digits, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0")
    return (text, exponent + len(digits) - 1) if text else ("0", 0)


def spell(number: int | float, spelling: Spelling, fmt: Format) -> str:
    """One number in the asked form, always the same value once read back.

    plain: positional (`0.00005`, `10000000000000000.0`); float: positional with a fraction
    (`5.0`); exponent: `5.0e-05` (YAML 1.1 reads an exponent only after a dot and with a sign,
    so YAML and JSON get that form alike); shortest: what `json.dumps` writes (in YAML with a
    dot added to an exponent's mantissa: `1.0e-300`).
    An integer that a float cannot hold exactly stays an integer in every spelling.
    """
    negative = str(number).startswith("-")  # keeps -0.0 negative
    sign = "-" if negative else ""
    if spelling == "shortest" or (isinstance(number, int) and abs(number) > 2**53):
        text = json.dumps(number)
        mantissa, e, exponent = text.partition("e")
        if fmt == "yaml" and e and "." not in mantissa:  # YAML 1.1 reads `1e-300` as text
            text = f"{mantissa}.0e{exponent}"
        return text
    digits, exponent = _digits(abs(number))
    if spelling == "exponent":
        mantissa = digits[0] + "." + (digits[1:] or "0")
        return f"{sign}{mantissa}e{exponent:+03d}"
    if exponent >= len(digits) - 1:
        whole, fraction = digits + "0" * (exponent - len(digits) + 1), ""
    elif exponent >= 0:
        whole, fraction = digits[: exponent + 1], digits[exponent + 1 :]
    else:
        whole, fraction = "0", "0" * (-exponent - 1) + digits
    if isinstance(number, int) and spelling == "plain":
        return sign + whole
    return f"{sign}{whole}.{fraction or '0'}"


def render(data: Any, fmt: Format, spelling: Spelling = "plain", ascii_only: bool = False) -> str:
    """`data` as the text of a plan file. `ascii_only` writes JSON as `json.dumps` does by
    default: non-ASCII characters as `\\u` escapes, surrogate pairs beyond the BMP."""

    def number(value: Any) -> str:
        return spell(value, spelling, fmt)

    if isinstance(data, dict) and data.get("strataudit") == 1:
        data = {**data, "strataudit": Raw("1", "1")}  # the format version is no number of the plan
    if fmt == "json":
        return _json(data, number, ascii_only) + "\n"
    lines: list[str] = []
    _yaml_block(data, 0, lines, number)
    return "\n".join(lines) + "\n"


def _scalar(value: Any, number: Callable[[Any], str], ascii_only: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Raw):
        return value.yaml
    text = json.dumps(str(value), ensure_ascii=ascii_only)
    return text if ascii_only else _YAML_UNPRINTABLE.sub(_escape, text)


# Characters YAML does not allow raw, or reads as line breaks inside a quoted string (which would
# change the value): escaped as `\uXXXX` (JSON has already escaped those below U+0020).
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _json(value: Any, number: Callable[[Any], str], ascii_only: bool) -> str:
    if isinstance(value, Anchored):
        return _json(value.value, number, ascii_only)
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {_json(v, number, ascii_only)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v, number, ascii_only) for v in value) + "]"
    if isinstance(value, datetime.date):
        return json.dumps(value.isoformat())
    if isinstance(value, Raw):
        return value.json if value.json is not None else json.dumps(value.yaml)
    return _scalar(value, number, ascii_only)


def _flow(value: Any, number: Callable[[Any], str]) -> str:
    """An empty or anchored container, or a scalar, on one line (YAML flow style)."""
    if isinstance(value, Anchored):
        return f"&{value.name} {_flow(value.value, number)}"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {_flow(v, number)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, number) for v in value) + "]"
    return _scalar(value, number, False)


def _yaml_block(value: Any, indent: int, lines: list[str], number: Callable[[Any], str]) -> None:
    pad = " " * indent
    if isinstance(value, dict) and value:
        for key, item in value.items():
            head = f"{pad}{_key(key)}:"
            if len(head) - indent > 1024:  # YAML allows implicit keys up to 1,024 characters:
                lines.append(f"{pad}? {_key(key)}")  # a longer one is written explicitly
                head = f"{pad}:"
            if isinstance(item, dict | list) and item:
                lines.append(head)
                _yaml_block(item, indent + 2, lines, number)
            else:
                lines.append(f"{head} {_flow(item, number)}")
    elif isinstance(value, list) and value:
        for item in value:
            if isinstance(item, dict | list) and item:
                sub: list[str] = []
                _yaml_block(item, indent + 2, sub, number)
                lines.append(f"{pad}- {sub[0][indent + 2 :]}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- {_flow(item, number)}")
    else:
        lines.append(pad + _flow(value, number))


def _key(key: Any) -> str:
    """Plain keys stay plain (as people write them); anything else is quoted."""
    text = str(key)
    if text.replace("_", "").isalnum() and text.isascii() and not text[0].isdigit():
        return text
    return json.dumps(text)
