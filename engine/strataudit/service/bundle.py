"""Request bodies -> a `Bundle`: safely named files, the plan to audit and the gate's options.

Two forms: one plan as the body (`application/yaml` or `application/json`, options in the
query), or a bundle (`application/vnd.strataudit.bundle+json`: `{"files": {name: text},
"main": name, "options": {...}}`). Names are checked here, in the server, before any file is
written: plain relative names only (no absolute path, no `..`, no backslash, no hidden part,
no duplicates). Includes are checked in the worker by `resolve_includes` (it must parse the
files, which the server's event loop never does): every include must name a bundle file, so the
audit reads nothing of the server's.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from strataudit.service.problems import Problem

BUNDLE_TYPE = "application/vnd.strataudit.bundle+json"
PLAN_TYPES = {  # content type -> the file name a single plan gets unless `name` says
    "application/yaml": "plan.yaml",
    "application/x-yaml": "plan.yaml",
    "text/yaml": "plan.yaml",
    "text/x-yaml": "plan.yaml",
    "application/json": "plan.json",
}
MAX_FILES = 256
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_SUFFIXES = (".yaml", ".yml", ".json")
Level = Literal["error", "warning", "info", "never"]


class GateOptions(BaseModel):
    """The gate's options a request may set (the `strataudit.yaml` keys that make sense for
    one submission; waivers come from the record, never from the request)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fail_on: Level = "error"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Literal["error", "warning", "info", "off"]] = Field(default_factory=dict)


class BundleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: Annotated[dict[str, str], Field(min_length=1, max_length=MAX_FILES)]
    main: str | None = None
    options: GateOptions = Field(default_factory=GateOptions)


@dataclass(frozen=True)
class Bundle:
    """What one submission audits."""

    files: tuple[tuple[str, bytes], ...]  #: (name, bytes), names checked by `check_name`
    main: str | None  #: the plan to audit; None: the one file no other file includes
    options: GateOptions  #: the gate's options

    def digest(self) -> str:
        """sha256 over names, bytes and options: what tells a retry from another request."""
        h = hashlib.sha256()
        for name, raw in self.files:
            h.update(f"{name}\0{len(raw)}\0".encode())
            h.update(raw)
        h.update(json.dumps([self.main, self.options.model_dump()], sort_keys=True).encode())
        return h.hexdigest()


def check_name(name: str) -> str:
    """`name` if it is a plain relative plan file name (`eu/plan.yaml`); a 400 problem if not."""
    parts = name.split("/")
    if (
        not name
        or len(name) > 500
        or "\\" in name
        or name.startswith("/")
        or len(parts) > 8
        or not all(_PART.fullmatch(p) for p in parts)
    ):
        raise Problem(
            "invalid-bundle",
            f"`{name[:200]}` is not a plain relative file name: use letters, digits, `_`, `-` "
            "and `.`, folders separated by `/`; no absolute path, `..`, backslash or hidden part",
        )
    if not name.endswith(_SUFFIXES):
        raise Problem("invalid-bundle", f"`{name}`: a plan file ends in .yaml, .yml or .json")
    return name


def _check_names(names: list[str]) -> None:
    folders = {posixpath.dirname(n) for n in names}
    for name in names:
        check_name(name)
        if name in folders or any(f.startswith(name + "/") for f in folders):
            raise Problem("invalid-bundle", f"`{name}` is both a file and a folder")
    if len(set(names)) != len(names):
        raise Problem("invalid-bundle", "a file name appears twice")


def from_plan(body: bytes, content_type: str, name: str | None, options: GateOptions) -> Bundle:
    """A single plan sent as the body."""
    name = check_name(name) if name else PLAN_TYPES[content_type]
    return Bundle(((name, body),), name, options)


def from_bundle(body: bytes) -> Bundle:
    """A JSON bundle; its errors are 400 (not JSON) or 422 (fields) problems."""
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:  # includes invalid UTF-8
        raise Problem("bad-request", f"the bundle is not JSON in UTF-8: {exc}") from None
    try:
        parsed = BundleBody.model_validate(data)
    except ValidationError as exc:
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()[:20]]
        raise Problem(
            "validation-error", "the bundle's fields are invalid", errors=errors
        ) from None
    names = list(parsed.files)
    _check_names(names)
    if parsed.main is not None and parsed.main not in parsed.files:
        raise Problem("invalid-bundle", f"`main` names `{parsed.main}`, not a bundle file")
    try:
        files = tuple((n, parsed.files[n].encode("utf-8")) for n in sorted(parsed.files))
    except UnicodeEncodeError:
        raise Problem(
            "bad-request", "a file's text is not valid Unicode (a lone surrogate)"
        ) from None
    return Bundle(files, parsed.main, parsed.options)


# -- in the worker ---------------------------------------------------------------------------
_NO_INCLUDE = re.compile(r"^include[ \t]*:[ \t]*(\[[ \t]*\]|~|null)?[ \t]*(#.*)?$", re.M)


def _may_include(raw: bytes) -> bool:
    """False only when the file cannot name an include: every `include` in it is a top-level
    empty `include:` line and it has no backslash (an escaped key could spell `include`).
    Such files (most plans) are not parsed twice."""
    text = raw.decode("utf-8", "replace")
    return "\\" in text or text.count("include") != len(_NO_INCLUDE.findall(text))


def resolve_includes(files: tuple[tuple[str, bytes], ...], main: str | None) -> str:
    """The plan to audit, after checking that every include of every file names a bundle
    file (a 422 `include-outside-bundle` problem if not). A file that does not parse is left
    to the audit, which reports it with its line (it cannot then read that file's includes)."""
    from strataudit.errors import InputError
    from strataudit.loader import include_entries
    from strataudit.source import decode, load_document

    names = {name for name, _ in files}
    included: set[str] = set()
    for name, raw in files:
        if not _may_include(raw):
            continue
        try:
            data = load_document(None, name, decode(raw, name)).data
        except InputError:
            continue
        # every form the loader follows, plain paths and `{file: PATH, as: context}` alike
        for _where, entry, _context in include_entries(data):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), entry))
            if entry.startswith("/") or "\\" in entry or target not in names:
                raise Problem(
                    "include-outside-bundle",
                    f"{name}: `include: {entry[:200]}` names no file of the bundle",
                    file=name,
                    include=entry[:500],
                )
            included.add(target)
    if main is not None:
        return main
    roots = sorted(names - included)
    if len(roots) != 1:
        raise Problem(
            "invalid-bundle",
            f"the bundle has {len(roots)} files that no other file includes "
            f"({', '.join(roots[:5])}): name the plan to audit with `main`",
        )
    return roots[0]
