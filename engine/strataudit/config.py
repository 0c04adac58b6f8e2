"""`strataudit.yaml`: the gate's settings, validated like a plan (unknown key -> file:line).

Found in the working directory or its parents, or named with `--config`. Command-line options
override it. Paths in it (rule packs) are relative to the config file.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from strataudit.errors import input_error
from strataudit.results import Waiver
from strataudit.source import Document, load_document
from strataudit.suppress import glob_problem
from strataudit.validation import translate

CONFIG_NAME = "strataudit.yaml"
Level = Literal["error", "warning", "info", "never"]
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError("a date is written YYYY-MM-DD") from None
    return value


def _off(value: Any) -> Any:
    """YAML 1.1 reads an unquoted `off` as false: the user meant `off`."""
    return "off" if value is False else value


class WaiverSpec(BaseModel):
    """One entry of `waivers:` as written (checked, then made a `Waiver`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9]*[0-9]{3}$")]
    entity: NonBlank | None = None
    path: NonBlank | None = None
    files: NonBlank | None = None
    reason: NonBlank
    owner: NonBlank
    expires: Annotated[datetime.date, BeforeValidator(_date)]


class ConfigSpec(BaseModel):
    """`strataudit.yaml` as written: unknown keys are errors with their line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fail_on: Level | None = None
    severity: dict[
        str, Annotated[Literal["error", "warning", "info", "off"], BeforeValidator(_off)]
    ] = Field(default_factory=dict)
    select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    waivers: list[WaiverSpec] = Field(default_factory=list)
    placeholders: list[NonBlank] = Field(default_factory=list)


@dataclass(frozen=True)
class Config:
    """The settings in force, with where they came from."""

    file: str | None = None
    fail_on: str | None = None
    severity: dict[str, str] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    packs: tuple[Path, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    #: values that count as missing besides the built-in `TBD`, `n/a`... (facts.PLACEHOLDERS)
    placeholders: tuple[str, ...] = ()
    lines: dict[str, tuple[int, int]] = field(default_factory=dict)  # where each id was named

    def names(self) -> list[str]:
        """Every rule id or category the config names (checked once the packs are loaded)."""
        return [*self.select, *self.ignore, *self.severity, *(w.rule for w in self.waivers)]


def find_config(start: Path) -> Path | None:
    """`strataudit.yaml` in `start` or the nearest parent that has one."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None, display: str | None = None) -> Config:
    """The settings of `path` (none: the defaults); an input error with its line if bad."""
    if path is None:
        return Config()
    shown = display or str(path)
    if not path.read_bytes().strip():
        return Config(file=shown)  # an empty config sets nothing
    doc = load_document(path, shown)
    data = doc.data if doc.data is not None else {}
    try:
        spec = ConfigSpec.model_validate(data)
    except ValidationError as exc:
        raise translate(exc, doc, ConfigSpec) from None
    waivers = tuple(_waiver(w, i, doc) for i, w in enumerate(spec.waivers))
    for rule_id in spec.severity:
        if not rule_id[:1].isalpha():
            mark = doc.mark_of(("severity", rule_id))
            raise input_error(
                shown,
                mark.line,
                mark.column,
                f"`{rule_id}` is not a rule id",
                "key severity overrides by rule id, e.g. `SEG005: warning`",
            )
    base = path.parent
    lines: dict[str, tuple[int, int]] = {}
    for key in ("select", "ignore"):
        for i, name in enumerate(getattr(spec, key)):
            lines.setdefault(name, _at(doc, (key, i)))
    for name in spec.severity:
        lines.setdefault(name, _at(doc, ("severity", name)))
    for i, w in enumerate(spec.waivers):
        lines.setdefault(w.rule.upper(), _at(doc, ("waivers", i, "rule")))
    return Config(
        file=shown,
        fail_on=spec.fail_on,
        severity={k.upper(): v for k, v in spec.severity.items()},
        select=tuple(spec.select),
        ignore=tuple(spec.ignore),
        packs=tuple(base / p for p in spec.rules),
        waivers=waivers,
        placeholders=tuple(spec.placeholders),
        lines=lines,
    )


def _at(doc: Document, raw: tuple[str | int, ...]) -> tuple[int, int]:
    mark = doc.mark_of(raw)
    return mark.line, mark.column


def _waiver(spec: WaiverSpec, index: int, doc: Document) -> Waiver:
    mark = doc.mark_of(("waivers", index))
    if spec.entity and spec.path:
        raise input_error(
            doc.file,
            mark.line,
            mark.column,
            "a waiver names an `entity` or a `path`, not both",
            "keep the one that identifies the finding",
        )
    problem = glob_problem(spec.files) if spec.files else None
    if problem:
        where = doc.mark_of(("waivers", index, "files"))
        raise input_error(
            doc.file,
            where.line,
            where.column,
            problem,
            "write fewer `{a,b}` alternatives, or several waivers",
        )
    return Waiver(
        rule=spec.rule.upper(),
        reason=spec.reason,
        owner=spec.owner,
        expires=spec.expires,
        entity=spec.entity,
        path=spec.path,
        files=spec.files,
        source=f"{doc.file}:{mark.line}",
    )
