"""Findings depend on the plan, not on how it is written or run: the order of its entities, the
notation of its numbers (`5` / `5.0` / `5.0e+00`, `0.00005` / `5e-05`), JSON or YAML, one plan
at a time or a batch, one process or two. Variants of a plan are audited side by side in one
run (a case folder each), which also makes every comparison a batch."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import strategies as fz
from fuzz.harness import Outcome, examples, run_inprocess
from fuzz.notation import SPELLINGS
from fuzz.properties import check_sane, fingerprints

# Hypothesis over the whole pipeline, a few thousand plans in all: the slow set (CI runs it;
# tests/fuzz/test_regressions.py keeps every crasher found in the quick set).
pytestmark = pytest.mark.slow


@st.composite
def plans(draw: st.DrawFn) -> Any:
    """Plan data, from scratch or a sample cut down, maybe mutated (as JSON can write it too)."""
    data = draw(st.one_of(fz.scratch_plans(), fz.sample_subsets()))
    if draw(st.booleans()):
        data, _ = draw(fz.mutate(data, "json"))
    return data


@st.composite
def reordered(draw: st.DrawFn, data: Any) -> Any:
    """The same plan with every list of entities (mappings) in a drawn order."""
    if isinstance(data, dict):
        return {k: draw(reordered(v)) for k, v in data.items()}
    if isinstance(data, list):
        items = [draw(reordered(v)) for v in data]
        return draw(st.permutations(items)) if all(isinstance(v, dict) for v in items) else items
    return data


def _same(outcome: Outcome, what: str, labels: list[str]) -> None:
    """The run is sane and its cases (variants of one plan) have the same findings."""
    check_sane(outcome)
    found = fingerprints(outcome)
    keep = [found.get(f"c{i}", frozenset()) for i in range(len(labels))]
    for label, other in zip(labels[1:], keep[1:], strict=True):
        assert other == keep[0], (
            f"{what}: {labels[0]} and {label} differ\n"
            f"  only in {labels[0]}: {sorted(keep[0] - other, key=str)}\n"
            f"  only in {label}: {sorted(other - keep[0], key=str)}"
        )


@examples(60)
@given(plans(), st.sampled_from(fz.FORMATS), st.data())
def test_reordering_entities_changes_no_finding(data: Any, fmt: fz.Format, more: st.DataObject):
    shuffled = more.draw(reordered(data))
    cases = [fz.case_of(data, fmt, "as written"), fz.case_of(shuffled, fmt, "reordered")]
    _same(run_inprocess(cases), "entity order", ["as written", "reordered"])


@examples(60)
@given(plans())
def test_the_same_plan_in_any_notation_gives_the_same_findings(data: Any) -> None:
    variants = [(fmt, spelling) for fmt in fz.FORMATS for spelling in SPELLINGS]
    labels = [f"{fmt}/{spelling}" for fmt, spelling in variants]
    cases = [
        fz.case_of(data, fmt, label, spelling)
        for (fmt, spelling), label in zip(variants, labels, strict=True)
    ]
    _same(run_inprocess(cases), "notation", labels)


@examples(25)
@given(fz.batches(2, 4))
def test_a_batch_gives_each_plan_what_it_gets_alone(batch: list[fz.Case]) -> None:
    together = run_inprocess(batch)
    check_sane(together)
    found = fingerprints(together)
    for i, case in enumerate(batch):
        alone = run_inprocess([case])
        check_sane(alone)
        assert found.get(f"c{i}") == fingerprints(alone).get("c0"), f"plan {i} differs in a batch"


@examples(10)
@given(fz.batches(2, 8))
def test_two_processes_give_what_one_gives(batch: list[fz.Case]) -> None:
    one, two = run_inprocess(batch), run_inprocess(batch, "--jobs", "2")
    check_sane(one)
    check_sane(two)
    assert fingerprints(one) == fingerprints(two)
