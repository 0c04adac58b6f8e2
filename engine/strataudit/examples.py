"""Each rule's own pass/fail examples, run through the real pipeline (`strataudit rules test`).

A fail example must give exactly the findings it lists for its rule (entity, path, detail); a
pass example must give none. Examples run on an engine compiled from the whole rule set, so a
pack's rule sees the same derived facts it will see in an audit.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from strataudit.audit import Auditor
from strataudit.errors import InputError
from strataudit.loader import LoadedPlan, load_plan
from strataudit.rulefile import Rule


@dataclass(frozen=True)
class ExampleOutcome:
    """Whether one example of a rule behaved, and what went wrong if not."""

    rule: str
    example: str  # e.g. "fail[0]"
    ok: bool
    problem: str = ""


def _expected(rule: Rule, index: int) -> set[tuple[str | None, str | None, str | None]]:
    example = rule.spec.examples.fail[index]
    return {(e.entity, e.path, e.detail) for e in example.expect}


def run_examples(
    auditor: Auditor, rules: list[Rule], only: str | None = None
) -> list[ExampleOutcome]:
    """Run the pass/fail examples of `rules` (`only`: one label, e.g. `fail[0]`)."""
    outcomes: list[ExampleOutcome] = []
    for rule in rules:
        examples = [("fail", i, ex.plan, ex.files) for i, ex in enumerate(rule.spec.examples.fail)]
        examples += [
            ("pass", i, ex.plan, ex.files) for i, ex in enumerate(rule.spec.examples.pass_)
        ]
        for kind, index, text, files in examples:
            label = f"{kind}[{index}]"
            if only is not None and label != only:
                continue
            try:
                loaded = _load(f"{rule.file}#{label}", text, files)
            except InputError as exc:
                outcomes.append(
                    ExampleOutcome(
                        rule.id,
                        label,
                        False,
                        "the example plan does not load: " + exc.problem.render(),
                    )
                )
                continue
            found = [f for f in auditor.findings(loaded) if f.rule == rule.id]
            got = {(f.entity, f.location.path, f.detail) for f in found}
            if kind == "pass":
                ok = not found
                problem = (
                    ""
                    if ok
                    else "fired on a pass example: "
                    + "; ".join(
                        f"{f.entity or '(plan)'} at {f.location.path}: {f.message}" for f in found
                    )
                )
            else:
                want = _expected(rule, index)
                # An expectation may leave path/detail open (None): compare what it names.
                unmatched = [w for w in want if not any(_fits(w, g) for g in got)]
                extra = [g for g in got if not any(_fits(w, g) for w in want)]
                messages = [
                    e.message_contains
                    for e in rule.spec.examples.fail[index].expect
                    if e.message_contains
                ]
                missing_text = [m for m in messages if not any(m in f.message for f in found)]
                ok = not unmatched and not extra and len(found) == len(want) and not missing_text
                problem = (
                    ""
                    if ok
                    else (
                        f"expected {sorted(map(str, want))}, got {sorted(map(str, got))}"
                        + (f"; messages lack {missing_text}" if missing_text else "")
                    )
                )
            outcomes.append(ExampleOutcome(rule.id, label, ok, problem))
    return outcomes


def _load(display: str, text: str, files: dict[str, str]) -> LoadedPlan:
    """An example's plan; with `files`, written beside it in a fresh folder so that its
    includes name them (`include: [hq.yaml]`), then loaded like any plan file."""
    if not files:
        return load_plan(None, display, text)
    with tempfile.TemporaryDirectory(prefix="strataudit-example-") as folder:
        for name, content in files.items():
            (Path(folder) / name).write_text(content, encoding="utf-8")
        plan = Path(folder) / "plan.yaml"
        plan.write_text(text, encoding="utf-8")
        return load_plan(plan, display)


def _fits(
    want: tuple[str | None, str | None, str | None], got: tuple[str | None, str | None, str | None]
) -> bool:
    entity, path, detail = want
    return (
        entity == got[0]
        and (path is None or path == got[1])
        and (detail is None or detail == got[2])
    )
