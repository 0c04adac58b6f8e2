"""From a plan file to a validated `Plan`: includes, merging, and input errors with locations.

Each file is validated on its own first, so a type error points at the file and line the user
wrote; then the files merge by id (included files first) and the merged plan is validated once
more. Locations of findings are looked up later, lazily, through `Locator`.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from strataudit.errors import InputError, input_error
from strataudit.model import Plan, entity_key_field
from strataudit.results import Location
from strataudit.source import Document, Mark, PathStep, file_problem, load_document
from strataudit.validation import translate


@dataclass(frozen=True)
class IdStep:
    """A path step into an entity list by the item's id (`products[PR-SVC]`)."""

    key: str


@dataclass(frozen=True)
class ValueStep:
    """A path step into a list of ids by the id itself: where a reference was written, in
    whichever file wrote it (lists of ids are united across files, so indexes do not carry)."""

    value: str


PlanPath = tuple[str | int | IdStep | ValueStep, ...]


def render_path(path: PlanPath) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, ValueStep):
            out += f"[{step.value}]"
        elif isinstance(step, IdStep):
            out += f"[{step.key}]"
        else:
            out += f".{step}" if out else step
    return out


class Locator:
    """Finds where a plan path was written, in the file nearest the audited one."""

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents  # nearest (the audited file) first
        self._index: dict[int, dict[str, int]] = {}

    def _item(self, items: list[Any], name: str, key: str) -> int | None:
        index = self._index.get(id(items))
        if index is None:
            field = entity_key_field(name)
            index = {}
            for i, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get(field), str):
                    index.setdefault(item[field], i)
            self._index[id(items)] = index
        return index.get(key)

    def _raw(self, doc: Document, path: PlanPath) -> tuple[tuple[PathStep, ...], bool]:
        raw: list[PathStep] = []
        node: Any = doc.data
        name = ""
        for step in path:
            if isinstance(step, int):
                if not isinstance(node, list) or not 0 <= step < len(node):
                    return tuple(raw), False
                raw.append(step)
                node = node[step]
            elif isinstance(step, ValueStep):
                if not isinstance(node, list) or step.value not in node:
                    return tuple(raw), False
                index = node.index(step.value)
                raw.append(index)
                node = node[index]
            elif isinstance(step, IdStep):
                if not isinstance(node, list):
                    return tuple(raw), False
                i = self._item(node, name, step.key)
                if i is None:
                    return tuple(raw), False
                raw.append(i)
                node = node[i]
            else:
                if not isinstance(node, dict) or step not in node:
                    return tuple(raw), False
                raw.append(step)
                node, name = node[step], step
        return tuple(raw), True

    def locate(self, path: PlanPath, fallback: PlanPath = ()) -> Location:
        """The deepest written prefix of `path`, preferring the nearest file on ties."""
        best: tuple[int, Document, tuple[PathStep, ...]] | None = None
        for candidate in (path, fallback) if fallback else (path,):
            for doc in self.documents:
                raw, complete = self._raw(doc, candidate)
                if complete:
                    mark = doc.mark_of(raw)
                    return Location(doc.file, mark.line, mark.column, render_path(path))
                if best is None or len(raw) > best[0]:
                    best = (len(raw), doc, raw)
        assert best is not None
        _, doc, raw = best
        mark = doc.mark_of(raw) if raw else _plan_key_mark(doc)
        return Location(doc.file, mark.line, mark.column, render_path(path))

    def exists(self, path: PlanPath) -> bool:
        return any(self._raw(doc, path)[1] for doc in self.documents)


def _plan_key_mark(doc: Document) -> Mark:
    if isinstance(doc.data, dict) and "plan" in doc.data:
        return doc.mark_of(("plan",))
    return doc.root


@dataclass(frozen=True)
class Provenance:
    """What the merged plan cannot say by itself: which of its parts only context files wrote,
    and the currency of the file each amount came from.

    Plain data (it travels back from a worker process with the plan, and the report's views
    read it): `context` holds the paths (`units[BU-NA]`, `corporate.goals[CG3]`, `corporate`)
    of the entities and sections that no file of the plan's own writes; `currencies` the paths
    of amounts (`units[BU-EU].budget`) written in a file whose `plan.currency` is not the
    audited plan's, with that currency. Every other amount is in `currency`, the plan's."""

    context: frozenset[str] = frozenset()
    currency: str | None = None
    currencies: dict[str, str] = field(default_factory=dict)

    def is_context(self, path: str) -> bool:
        """Whether the entity or section at `path` (as `render_path` writes it) is context."""
        return path in self.context

    def currency_of(self, path: str) -> str | None:
        """The currency of the amount at `path`: its file's, else the plan's."""
        return self.currencies.get(path, self.currency)


@dataclass(frozen=True)
class LoadedPlan:
    """A plan ready for the audit: the merged model and where each part was written."""

    file: str
    plan: Plan
    locator: Locator
    documents: tuple[Document, ...]
    provenance: Provenance = field(default_factory=Provenance)


def display_name(path: Path) -> str:
    """Paths as the user sees them: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def load_plan(path: Path | None, display: str, text: str | None = None) -> LoadedPlan:
    """Load an audited plan with everything it includes; raise InputError on bad input.

    Each file is validated alone, so an error points at the line its author wrote; only a
    missing label may wait for the merge (HQ may set a unit's budget, the unit its name).
    This is the load boundary: a plan too large for the memory available is that plan's input
    error (the batch goes on), never a MemoryError traceback and never the gate's exit 1."""
    try:
        return _load_plan(path, display, text)
    except MemoryError:
        pass  # raised below: here, the MemoryError's traceback still holds the partial plan
    raise input_error(
        display,
        None,
        None,
        "the plan is too large for the memory available",
        "split the plan into files joined with `include:`, or audit it on a larger machine",
    )


def _load_plan(path: Path | None, display: str, text: str | None) -> LoadedPlan:
    order: list[Document] = []
    depth: dict[int, int] = {}
    graph = _IncludeGraph()
    _collect(path, display, text, order, seen=set(), active=[], depth=depth, graph=graph)
    audited = order[-1]
    single = len(order) == 1
    plans = [
        _validate(doc, included=doc is not audited, may_lack_labels=not single) for doc in order
    ]
    for doc in order:
        _check_unique_ids(doc)
    nearest = sorted(reversed(order), key=lambda d: depth[id(d)])
    locator = Locator(nearest)  # nearest first: the audited file, its includes, theirs
    merged = plans[-1] if single else _merged(order, audited, locator)
    if merged is None or merged.plan is None:
        mark = audited.root
        raise input_error(
            audited.file,
            mark.line,
            mark.column,
            "the audited plan has no `plan:` section with an `id`",
            "add `plan: {id: my-plan-2027, title: ...}` at the top level",
        )
    _check_ids_across_kinds(merged, locator)
    own = graph.own(audited)
    provenance = _provenance(merged, nearest, own)
    return LoadedPlan(audited.file, merged, locator, tuple(nearest), provenance)


def _merged(order: list[Document], audited: Document, locator: Locator) -> Plan:
    data: dict[str, Any] = {}
    for doc in order:
        own = dict(doc.data)
        if doc is not audited:
            own.pop("plan", None)
        own.pop("include", None)
        own.pop("$schema", None)  # an editor's hint, per file: never a merge conflict
        _merge(data, own, (), doc, order)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:  # a label no file gave: located where the entity is written
        raw = tuple(step for step in exc.errors()[0]["loc"] if isinstance(step, (str, int)))
        where = locator.locate(_plan_steps(data, raw[:-1]))
        spot = Document(where.file, None, data, Mark(where.line, where.column))
        raise translate(exc, spot, Plan, plan_path_of) from None


def _collect(
    path: Path | None,
    display: str,
    text: str | None,
    order: list[Document],
    seen: set[str],
    active: list[str],
    depth: dict[int, int],
    graph: _IncludeGraph,
) -> None:
    """Depth-first, includes before the includer; each file read once; cycles are errors.
    `graph` records, per file (real path), the files it includes and whether as context."""
    doc = load_document(path, display, text)
    depth[id(doc)] = len(active)
    key = os.path.realpath(path) if path is not None else "<stdin>"
    graph.docs[key] = doc
    graph.edges[key] = []
    active.append(key)
    data = doc.data
    if not isinstance(data, dict):
        raise input_error(
            display,
            doc.root.line,
            doc.root.column,
            "a plan is a mapping of sections, not a list or a single value",
            "start the file with `strataudit: 1` and `plan:`",
        )
    # relative to the file itself, even when it was reached through a symbolic link
    base = Path(os.path.realpath(path)).parent if path is not None else Path.cwd()
    for raw, name, context in include_entries(data):
        mark = doc.mark_of(raw)
        target = base / name
        target_key = os.path.realpath(target)
        graph.edges[key].append((target_key, context))
        if target_key in active:
            raise input_error(
                display,
                mark.line,
                mark.column,
                f"include cycle: `{name}` includes this file again",
                "remove one of the includes; includes must form a tree",
            )
        if target_key in seen:
            continue
        problem = file_problem(target)
        if problem is not None:
            what, hint = _INCLUDE_PROBLEMS.get(problem[0], (problem[0], problem[1]))
            raise input_error(
                display,
                mark.line,
                mark.column,
                f"included file `{name}` {what}",
                hint.format(base=base),
            )
        _collect(target, display_name(target), None, order, seen, active, depth, graph)
    active.pop()
    seen.add(key)
    order.append(doc)


def include_entries(data: Any) -> list[tuple[tuple[PathStep, ...], str, bool]]:
    """The includes a raw plan names: (where the path is written, the path, as context?).
    Entries that are not a path or a `{file: PATH}` mapping are left to validation."""
    includes = data.get("include") if isinstance(data, dict) else None
    out: list[tuple[tuple[PathStep, ...], str, bool]] = []
    for i, entry in enumerate(includes if isinstance(includes, list) else ()):
        if isinstance(entry, str):
            out.append((("include", i), entry, False))
        elif isinstance(entry, dict) and isinstance(entry.get("file"), str):
            out.append((("include", i, "file"), entry["file"], entry.get("as") == "context"))
    return out


@dataclass
class _IncludeGraph:
    """Every file read for a plan (by real path) and what each includes, plainly or as context."""

    docs: dict[str, Document] = field(default_factory=dict)
    edges: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)

    def own(self, audited: Document) -> list[Document]:
        """The plan's own files: the audited one and what it reaches through plain includes
        only. A file reached both ways is the plan's own (read once, it cannot be both)."""
        start = next(key for key, doc in self.docs.items() if doc is audited)
        own, todo = {start}, [start]
        while todo:
            for target, context in self.edges.get(todo.pop(), ()):
                if not context and target not in own:
                    own.add(target)
                    todo.append(target)
        return [self.docs[key] for key in own]


# The sections and entity lists whose items become facts, besides `_ENTITY_LISTS`' (positioning
# entries are keyed by their segment): what `Provenance.context` can name.
_SECTIONS: tuple[tuple[str, ...], ...] = (
    ("corporate",),
    ("market_strategy",),
    ("product_strategy",),
)

# Where amounts in the plan's currency are written: (entity list or section, field path).
AMOUNTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    ((), ("corporate", "budget")),
    (("units",), ("budget",)),
    (("segments",), ("budget",)),
    (("actions",), ("budget",)),
    (("products",), ("pricing", "price")),
)


def _currency(doc: Document) -> str | None:
    """A file's `plan.currency`, normalised (`eur` is EUR); read raw, since an included file's
    `plan` section is otherwise ignored."""
    header = doc.data.get("plan") if isinstance(doc.data, dict) else None
    value = header.get("currency") if isinstance(header, dict) else None
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


def _provenance(plan: Plan, nearest: list[Document], own: list[Document]) -> Provenance:
    """Context paths and foreign amounts; both empty, and free, for a plan without context
    includes or other currencies (the usual case)."""
    audited = nearest[0]
    currency = _currency(audited)
    context: frozenset[str] = frozenset()
    if len(own) < len(nearest):
        data = plan.model_dump(include={*(w[0] for w in _ENTITY_LISTS), *(s[0] for s in _SECTIONS)})
        mine = Locator([d for d in nearest if d in own])
        context = frozenset(
            render_path(steps) for steps in _fact_paths(data) if not mine.exists(steps)
        )
    currencies: dict[str, str] = {}
    for n, doc in enumerate(nearest):
        theirs = _currency(doc)
        if doc is audited or theirs is None or theirs == currency:
            continue
        nearer = Locator(nearest[:n])
        for steps in _amount_paths(doc.data):
            if not nearer.exists(steps):  # an amount is in the currency of its nearest file
                currencies.setdefault(render_path(steps), theirs)
    return Provenance(context, currency, currencies)


def _fact_paths(data: Any) -> list[PlanPath]:
    """The plan paths of every section and entity that becomes a fact."""
    paths: list[PlanPath] = [s for s in _SECTIONS if data.get(s[0]) is not None]
    for where in (*_ENTITY_LISTS, ("market_strategy", "positioning")):
        node: Any = data
        for step in where:
            node = node.get(step) if isinstance(node, dict) else None
        for item in node or ():
            steps: PlanPath = (*where, IdStep(item[entity_key_field(where[-1])]))
            paths.append(steps)
            if where == ("units",):
                paths += [(*steps, "goals", IdStep(g["id"])) for g in item.get("goals") or ()]
    return paths


def _amount_paths(data: Any) -> list[PlanPath]:
    """The plan paths of the amounts a raw file writes (`units[BU-EU].budget`)."""
    out: list[PlanPath] = []
    for where, fields in AMOUNTS:
        node: Any = data
        for step in where:
            node = node.get(step) if isinstance(node, dict) else None
        items = node if where else [data]
        for item in items if isinstance(items, list) else ():
            value: Any = item
            for step in fields:
                value = value.get(step) if isinstance(value, dict) else None
            if value is None:
                continue
            if not where:
                out.append(fields)
            elif isinstance(item.get("id"), str):
                out.append((*where, IdStep(item["id"]), *fields))
    return out


# file_problem's words -> what an include's message says instead (the include's author fixes it)
_INCLUDE_PROBLEMS = {
    "no such file": ("does not exist", "paths are relative to this file ({base}); fix the name"),
    "is a directory, not a plan file": (
        "is a directory; an include names a plan file",
        "name the file, e.g. `hq/corporate.yaml`",
    ),
}


def _validate(doc: Document, included: bool, may_lack_labels: bool) -> Plan | None:
    data = doc.data
    if included and isinstance(data, dict) and "plan" in data:
        data = {k: v for k, v in data.items() if k != "plan"}  # ignored when included
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        if may_lack_labels and all(_may_come_from_another_file(e) for e in exc.errors()):
            return None  # another file may give it: checked on the merged plan
        # The file's own mistakes, without the labels another file may still give.
        skip = _may_come_from_another_file if may_lack_labels else None
        raise translate(exc, doc, Plan, plan_path_of, skip=skip) from None


def _may_come_from_another_file(error: Any) -> bool:
    """A missing label (not an id, not the version): another file of the plan may write it."""
    return bool(
        error["type"] == "missing" and error["loc"][-1] != "id" and error["loc"][0] != "strataudit"
    )


def plan_path_of(data: Any, raw: tuple[PathStep, ...]) -> str:
    """`('products', 3, 'budget')` -> `products[PR-SVC].budget`, using the items' ids."""
    return render_path(_plan_steps(data, raw))


_ENTITY_LISTS: tuple[tuple[str, ...], ...] = (
    ("corporate", "goals"),
    ("assessment", "strengths"),
    ("assessment", "weaknesses"),
    ("assessment", "opportunities"),
    ("assessment", "threats"),
    ("units",),
    ("segments",),
    ("personas",),
    ("competitors",),
    ("products",),
    ("market_strategy", "audiences"),
    ("market_strategy", "portfolio"),
    ("actions",),
)


def _entity_ids(data: Any) -> list[tuple[str, tuple[PathStep, ...], str]]:
    """(id, raw path of the item, kind name) for every id-carrying entity of a raw document."""
    out: list[tuple[str, tuple[PathStep, ...], str]] = []
    if not isinstance(data, dict):
        return out
    for where in _ENTITY_LISTS:
        node: Any = data
        for step in where:
            node = node.get(step) if isinstance(node, dict) else None
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    out.append((item["id"], (*where, i), ".".join(where)))
                    if where == ("units",) and isinstance(item.get("goals"), list):
                        for j, goal in enumerate(item["goals"]):
                            if isinstance(goal, dict) and isinstance(goal.get("id"), str):
                                out.append((goal["id"], ("units", i, "goals", j), "units.goals"))
    return out


def _check_unique_ids(doc: Document) -> None:
    seen: dict[str, tuple[PathStep, ...]] = {}
    for key, raw, _kind in _entity_ids(doc.data):
        if key in seen:
            first = doc.mark_of(seen[key])
            mark = doc.mark_of(raw)
            raise input_error(
                doc.file,
                mark.line,
                mark.column,
                f"duplicate id `{key}` (first used at line {first.line})",
                "ids are unique within a plan: rename one of them",
                plan_path_of(doc.data, raw),
            )
        seen[key] = raw
    ms = doc.data.get("market_strategy") if isinstance(doc.data, dict) else None
    positioning = ms.get("positioning") if isinstance(ms, dict) else None
    if isinstance(positioning, list):
        segs: dict[str, int] = {}
        for i, entry in enumerate(positioning):
            seg = entry.get("segment") if isinstance(entry, dict) else None
            if isinstance(seg, str):
                if seg in segs:
                    mark = doc.mark_of(("market_strategy", "positioning", i))
                    raise input_error(
                        doc.file,
                        mark.line,
                        mark.column,
                        f"duplicate id: two positioning entries for segment `{seg}`",
                        "keep one positioning entry per segment",
                    )
                segs[seg] = i


def _check_ids_across_kinds(plan: Plan, locator: Locator) -> None:
    """After merging, an id may still name two entities from two files: two kinds, or the same
    kind under two parents (a goal under two units). Both places are named."""
    data = plan.model_dump(
        include={
            "corporate",
            "assessment",
            "units",
            "segments",
            "personas",
            "competitors",
            "products",
            "market_strategy",
            "actions",
        }
    )
    first: dict[str, tuple[PathStep, ...]] = {}
    for key, raw, _kind in _entity_ids(data):
        if key in first:
            here = locator.locate(_plan_steps(data, raw))
            there = locator.locate(_plan_steps(data, first[key]))
            raise input_error(
                here.file,
                here.line,
                here.column,
                f"duplicate id `{key}`: also used at {there.file}:{there.line} ({there.path})",
                "ids are unique within a plan, across files: rename one of them",
                here.path,
            )
        first[key] = raw


def _merge(
    into: dict[str, Any],
    new: dict[str, Any],
    raw: tuple[PathStep, ...],
    doc: Document,
    order: list[Document],
) -> None:
    """Merge `new` (from `doc`) into `into`: entities by id, id lists united, fields must agree."""
    for key, value in new.items():
        if key not in into or into[key] is None:
            into[key] = _copy(value)
            continue
        current = into[key]
        if value is None:
            continue
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value, (*raw, key), doc, order)
        elif isinstance(current, list) and isinstance(value, list):
            _merge_list(current, value, (*raw, key), doc, order, key)
        elif not _same(current, value):
            raise _conflict(doc, order, (*raw, key))


def _same(a: Any, b: Any) -> bool:
    """Equal as the plan format reads them: 40 and 40.0; a date and its quoted form."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(a == b)
    if isinstance(a, datetime.date) or isinstance(b, datetime.date):
        return str(a) == str(b)
    return bool(a == b) and type(a) is type(b)


def _merge_list(
    into: list[Any],
    new: list[Any],
    raw: tuple[PathStep, ...],
    doc: Document,
    order: list[Document],
    name: str,
) -> None:
    field = entity_key_field(name)
    if all(isinstance(v, dict) for v in into + new):
        by_key = {item.get(field): item for item in into}
        for i, item in enumerate(new):
            key = item.get(field)
            if key in by_key and key is not None:
                if name == "positioning":  # one entry per segment: the format's duplicate id
                    mark = doc.mark_of((*raw, i))
                    raise input_error(
                        doc.file,
                        mark.line,
                        mark.column,
                        f"duplicate id: a positioning entry for segment `{key}` "
                        "is also written in an included file",
                        "keep the segment's positioning in one file",
                    )
                _merge(by_key[key], item, (*raw, i), doc, order)
            else:
                copy = _copy(item)
                into.append(copy)
                by_key[key] = copy
    else:
        for item in new:
            if item not in into:
                into.append(_copy(item))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _conflict(doc: Document, order: list[Document], raw: tuple[PathStep, ...]) -> InputError:
    """Name both files: the one written earlier and the one that disagrees."""
    path = plan_path_of(doc.data, raw)
    steps = _plan_steps(doc.data, raw)
    locator = Locator([d for d in order if d is not doc])
    other = locator.locate(steps)
    mark = doc.mark_of(raw)
    return input_error(
        doc.file,
        mark.line,
        mark.column,
        f"`{path}` is given here and in {other.file}:{other.line} with different values",
        "keep the value in one file only (HQ's or the unit's)",
        path,
    )


def _plan_steps(data: Any, raw: tuple[PathStep, ...]) -> PlanPath:
    steps: list[str | IdStep] = []
    node = data
    name = ""
    for step in raw:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if step < len(node) else None
            key = item.get(entity_key_field(name)) if isinstance(item, dict) else None
            steps.append(IdStep(key if isinstance(key, str) else str(step)))
            node = item
        else:
            steps.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
            name = str(step)
    return tuple(steps)
