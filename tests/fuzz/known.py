"""Bugs the fuzz test has found that are not fixed yet: one table, read by both sides.

The strategies do not generate an input of a kind listed here (so CI stays green while the fix is
under way), and the regression case of the same name is a strict xfail (so it fails, XPASS, the
day the fix lands). Fixing a bug therefore means deleting its line here: the regression case then
must pass, and the fuzz test generates that kind of input again.

`STRATAUDIT_FUZZ_KNOWN=1` (or `bench/fuzz.py --known`) generates every kind anyway, to see them.
"""

from __future__ import annotations

import os

KNOWN_BUGS: dict[str, str] = {}


def active(bug: str) -> bool:
    """Whether the fuzz test must still keep away from this bug's inputs (a name no longer in
    the table is a fixed bug: its inputs are generated again)."""
    return bug in KNOWN_BUGS and not os.environ.get("STRATAUDIT_FUZZ_KNOWN")
