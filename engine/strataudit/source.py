"""Read one plan file (or standard input) into a `Document`: bounded, checked, located.

This is the load boundary of one file. The text is read only from regular files (a FIFO, a
device or a socket is refused before it is opened, since reading one may never end), at most
64 MiB of it, in chunks (standard input too: nothing unbounded is held); it must be UTF-8 with
no control character. Then the YAML or the JSON reader builds the document, both under the
limits of `document.py`. Whatever is wrong becomes an `InputError` with the file, and, when it
is in the text, the line and column.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from strataudit.document import (
    MAX_ALIAS_BYTES,
    MAX_ALIAS_NODES,
    MAX_BYTES,
    MAX_DEPTH,
    SPLIT_HINT,
    Document,
    Mark,
    PathStep,
    child,
    field_name,
    render_steps,
)
from strataudit.errors import InputError, input_error
from strataudit.jsonsource import LazyDocument, load_json
from strataudit.jsonsource import context as json_context
from strataudit.yamlsource import context as yaml_context
from strataudit.yamlsource import parse

__all__ = [
    "MAX_ALIAS_BYTES",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Document",
    "LazyDocument",
    "Mark",
    "PathStep",
    "child",
    "decode",
    "file_problem",
    "load_document",
    "parse",
    "read_stdin",
    "read_text",
]

CHUNK = 1024 * 1024
_NOT_FILES = (
    (stat.S_ISDIR, "is a directory, not a plan file", "name a plan file, or audit the directory"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a plan file", "pipe a plan in with `-`"),
    (stat.S_ISCHR, "is a character device, not a plan file", "name a plan file"),
    (stat.S_ISBLK, "is a block device, not a plan file", "name a plan file"),
    (stat.S_ISSOCK, "is a socket, not a plan file", "name a plan file"),
)
# What YAML 1.1 calls printable (JSON's strings hold no raw control character either): tab,
# line feed and carriage return are the only control characters a plan may contain.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 0x1B: "ESC", 0x7F: "DEL"}


def file_problem(path: Path) -> tuple[str, str] | None:
    """Why `path` cannot be read as a plan file, (what is wrong, hint), or None when it can.
    Only `os.stat`: a special file is judged without being opened."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return "is a symbolic link to nothing", "fix or remove the link"
        return "no such file", "check the path; plans are .yaml, .yml or .json files"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop", "fix the links: one of them points back to itself"
        return f"cannot be read: {exc.strerror}", "check the file's permissions"
    for test, message, hint in _NOT_FILES:
        if test(info.st_mode):
            return message, hint
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file", "name a plan file"
    return None


def read_text(path: Path, display: str) -> str:
    """The file's text, with the file kind, size and encoding limits checked."""
    problem = file_problem(path)
    if problem is not None:
        raise input_error(display, None, None, *problem)
    try:
        with open(path, "rb") as stream:
            raw = _read_bounded(stream, display)
    except OSError as exc:
        raise input_error(
            display, None, None, f"cannot be read: {exc.strerror}", "check the file's permissions"
        ) from None
    return decode(raw, display)


def read_stdin(stream: BinaryIO, display: str = "<stdin>") -> str:
    """Standard input's text, read in chunks and refused as soon as it passes 64 MiB."""
    return decode(_read_bounded(stream, display), display)


def _read_bounded(stream: BinaryIO, display: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BYTES:
            raise input_error(
                display,
                None,
                None,
                f"the input is over the {MAX_BYTES // 2**20} MiB limit",
                SPLIT_HINT,
            )
        chunks.append(chunk)


def decode(raw: bytes, display: str) -> str:
    """UTF-8 text without control characters, or an input error at the first bad byte."""
    if len(raw) > MAX_BYTES:
        raise input_error(
            display,
            None,
            None,
            f"the input is {len(raw):,} bytes, over the {MAX_BYTES // 2**20} MiB limit",
            SPLIT_HINT,
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
    bad = _UNPRINTABLE.search(text)
    if bad is not None:
        raise _control_error(text, bad.start(), display)
    if not text.strip():
        raise input_error(
            display,
            1,
            1,
            "the file is empty",
            "a plan starts with `strataudit: 1` and a `plan:` section",
        ) from None
    return text


def _control_error(text: str, pos: int, display: str) -> InputError:
    """Located, and named by its field: the reader is run on the text before the character."""
    code = ord(text[pos])
    name = _CONTROL_NAMES.get(code)
    what = f"control character U+{code:04X}" + (f" ({name})" if name else "")
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    steps = (json_context if display.endswith(".json") else yaml_context)(text[:pos])
    return input_error(
        display,
        line,
        column,
        f"{field_name(steps)} holds {what}, which is not allowed in a plan",
        "remove it (an editor's search for the column finds it); a plan is printable text",
        render_steps(steps),
    )


def load_document(path: Path | None, display: str, text: str | None = None) -> Document:
    """Read and parse one file, YAML or JSON by its name (standard input is read as YAML)."""
    if text is None:
        assert path is not None
        text = read_text(path, display)
    if display.endswith(".json"):
        return load_json(text, display, path)
    return parse(text, display, path)
