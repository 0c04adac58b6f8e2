"""Input errors: what the user gave could not be used.

Every input error names the file, line and column, the path in the plan, what is wrong and what
would fix it, because a reviewer must be able to act on it without reading a traceback.
"""

from __future__ import annotations

from strataudit.results import InputProblem

__all__ = ["InputError", "InputProblem", "input_error"]


class InputError(Exception):
    """Raised with one problem; the CLI renders it and exits 2."""

    def __init__(self, problem: InputProblem) -> None:
        super().__init__(problem.render())
        self.problem = problem


def input_error(
    file: str, line: int | None, column: int | None, message: str, hint: str, path: str = ""
) -> InputError:
    """An `InputError` in one call: where, what is wrong, what would fix it."""
    return InputError(InputProblem(file, line, column, message, hint, path))
