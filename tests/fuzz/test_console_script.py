"""A small sample through the installed `strataudit` command in a subprocess, as users run it:
the properties hold there too, and it finds what the in-process runs find (so the harness's
forked click runner is a faithful stand-in)."""

from __future__ import annotations

import pytest
from hypothesis import given

from fuzz import strategies as fz
from fuzz.harness import examples, run_inprocess, run_subprocess
from fuzz.properties import check_sane, fingerprints

# Hypothesis over the whole pipeline, a few thousand plans in all: the slow set (CI runs it;
# tests/fuzz/test_regressions.py keeps every crasher found in the quick set).
pytestmark = pytest.mark.slow


@examples(6)
@given(fz.batches(2, 6))
def test_the_console_script_ends_as_the_contract_says(batch: list[fz.Case]) -> None:
    outcome = run_subprocess(batch)
    check_sane(outcome)
    assert fingerprints(outcome) == fingerprints(run_inprocess(batch))
