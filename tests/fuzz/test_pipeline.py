"""Whatever a plan holds, the CLI ends as the contract says: exit 0, 1 or 2, no signal, no
traceback, no internal error, input errors located, every plan of a batch reported."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from fuzz import strategies as fz
from fuzz.harness import examples, run_inprocess
from fuzz.known import active
from fuzz.properties import check_sane


@examples(150)
@given(fz.batches())
def test_any_batch_ends_as_the_contract_says(batch: list[fz.Case]) -> None:
    check_sane(run_inprocess(batch))


@examples(120)
@given(fz.mutated_scratch())
def test_a_plan_built_from_scratch_ends_as_the_contract_says(case: fz.Case) -> None:
    check_sane(run_inprocess([case]))


@examples(40)
@given(fz.mutated_unit_plans())
def test_a_unit_plan_and_its_included_file_end_as_the_contract_says(case: fz.Case) -> None:
    check_sane(run_inprocess([case]))


def _decodes(data: bytes) -> bool:
    try:
        return bool(data.decode("utf-8-sig").strip())
    except UnicodeDecodeError:
        return False


@examples(40)
@given(st.lists(st.one_of(fz.mutated_samples(), fz.mutated_scratch()), min_size=1, max_size=3))
def test_a_plan_on_standard_input_ends_as_the_contract_says(batch: list[fz.Case]) -> None:
    """The first plan is read from standard input, the others from their files."""
    assume(not active("stdin-aborts-batch") or _decodes(batch[0].files[0].data))
    check_sane(run_inprocess(batch, stdin=0))
