"""Text from plans made inert for a terminal: control and format characters escaped.

A plan string can hold ESC (terminal escapes set the window title, clear the screen), BEL,
NUL, C1 controls or bidi overrides (U+202E turns text around). Anything in Unicode category
Cc or Cf, except a tab or a newline (layout), is written as `\\x1b` or `\\u202e`. The text
report and every message the CLI prints to standard error pass through `inert`.
"""

from __future__ import annotations

import re
import unicodedata

_SUSPECT = re.compile(r"[^\t\n\x20-\x7e]")  # printable ASCII, tab and newline are always safe


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if unicodedata.category(char) not in ("Cc", "Cf"):
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def inert(text: str) -> str:
    """`text` with every Cc/Cf character but tab and newline escaped (`\\x1b`, `\\u202e`)."""
    return _SUSPECT.sub(_escape, text)
