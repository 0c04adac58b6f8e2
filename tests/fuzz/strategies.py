"""Hypothesis strategies for the cases the fuzz test audits: plans an adversarial user writes.

Two sources, as issue 10 asks: (a) the bundled sample plans, cut down and mutated (`mutations`),
and (b) small plans built from scratch along plan-format.md (`scratch`). Either is written out in
a drawn format and number spelling (`notation`), maybe damaged. A case is one or more files in a
folder of its own; its first file is the plan named on the command line.

Inputs of a bug listed in `known.KNOWN_BUGS` are not generated while that bug is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from fuzz.known import active
from fuzz.mutations import damage, mutate, sample, sample_subsets
from fuzz.notation import SPELLINGS, Format, Spelling, render
from fuzz.scratch import scratch_plans


@dataclass(frozen=True)
class PlanFile:
    """One file of a case: its name inside the case's folder and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Case:
    """One plan to audit: `files[0]` is named on the command line, the others it includes."""

    files: tuple[PlanFile, ...]
    label: str  # how the case was made, shown when a property fails

    def __repr__(self) -> str:
        shown = "\n".join(f"--- {f.name}\n{f.data.decode('utf-8', 'replace')}" for f in self.files)
        return f"Case({self.label})\n{shown}"


def case_of(data: Any, fmt: Format, label: str, spelling: Spelling = "plain") -> Case:
    """A one-file case from plan data."""
    text = render(data, fmt, spelling)
    return Case((PlanFile(f"plan.{fmt}", text.encode("utf-8")),), label)


FORMATS: tuple[Format, ...] = ("yaml", "json")


@st.composite
def written(draw: st.DrawFn, data: Any, label: str, fmt: Format | None = None) -> Case:
    """Plan data written as a file, in a drawn format and number spelling, maybe damaged."""
    fmt = fmt or draw(st.sampled_from(FORMATS))
    spelling = draw(st.sampled_from(SPELLINGS))
    ascii_only = fmt == "json" and not active("json-surrogates") and draw(st.booleans())
    text = render(data, fmt, spelling, ascii_only)
    raw, how = draw(damage(text, fmt))
    return Case((PlanFile(f"plan.{fmt}", raw),), f"{label}; {fmt}/{spelling}; {how}")


@st.composite
def mutated_samples(draw: st.DrawFn) -> Case:
    """(a) A sample plan, cut down, mutated, written out."""
    fmt = draw(st.sampled_from(FORMATS))
    data, how = draw(mutate(draw(sample_subsets()), fmt))
    return draw(written(data, f"sample mutated: {how}", fmt))


@st.composite
def mutated_scratch(draw: st.DrawFn) -> Case:
    """(b) A plan built from scratch, sometimes mutated too, written out."""
    fmt = draw(st.sampled_from(FORMATS))
    data, how = draw(scratch_plans()), "as built"
    if draw(st.booleans()):
        data, how = draw(mutate(data, fmt))
    return draw(written(data, f"scratch: {how}", fmt))


@st.composite
def mutated_unit_plans(draw: st.DrawFn) -> Case:
    """The unit plan that includes headquarters' file, either of the two files mutated."""
    eu, hq = sample("unit-eu/eu-plan.yaml"), sample("unit-eu/corporate.yaml")
    which = draw(st.sampled_from(["eu", "hq"]))
    data, how = draw(mutate(eu if which == "eu" else hq, "yaml"))
    eu, hq = (data, hq) if which == "eu" else (eu, data)
    files = (
        PlanFile("eu-plan.yaml", render(eu, "yaml").encode()),
        PlanFile("corporate.yaml", render(hq, "yaml").encode()),
    )
    return Case(files, f"unit-eu, {which} mutated: {how}")


def any_case() -> st.SearchStrategy[Case]:
    return st.one_of(mutated_samples(), mutated_scratch(), mutated_unit_plans())


def batches(min_size: int = 2, max_size: int = 10) -> st.SearchStrategy[list[Case]]:
    """Several cases audited in one run (a run costs ~30 ms before its first plan, a small
    plan ~10 ms); shrinking drops the innocent ones, down to `min_size`."""
    return st.lists(any_case(), min_size=min_size, max_size=max_size)
