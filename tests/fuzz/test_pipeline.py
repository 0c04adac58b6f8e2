"""Whatever a plan holds, the CLI ends as the contract says: exit 0, 1 or 2, no signal, no
traceback, no internal error, input errors located, every plan of a batch reported.

Cases are audited in batches (see `strategies.batches`)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given

from fuzz import strategies as fz
from fuzz.harness import examples, run_inprocess
from fuzz.known import active
from fuzz.properties import check_sane

# Hypothesis over the whole pipeline, a few thousand plans in all: the slow set (CI runs it;
# tests/fuzz/test_regressions.py keeps every crasher found in the quick set).
pytestmark = pytest.mark.slow


@examples(120)
@given(fz.batches())
def test_any_batch_ends_as_the_contract_says(batch: list[fz.Case]) -> None:
    check_sane(run_inprocess(batch))


@examples(30)
@given(fz.batches())
def test_folders_of_plans_end_as_the_contract_says(batch: list[fz.Case]) -> None:
    """Each case's folder named on the command line: directory discovery finds the plans."""
    check_sane(run_inprocess(batch, folders=True))


def _decodes(data: bytes) -> bool:
    try:
        return bool(data.decode("utf-8-sig").strip())
    except UnicodeDecodeError:
        return False


@examples(30)
@given(fz.batches(1, 4))
def test_a_plan_on_standard_input_ends_as_the_contract_says(batch: list[fz.Case]) -> None:
    """The first plan is read from standard input, the others from their files."""
    assume(len(batch[0].files) == 1)  # what it includes could not be found from stdin
    assume(not active("stdin-aborts-batch") or _decodes(batch[0].files[0].data))
    check_sane(run_inprocess(batch, stdin=0))
