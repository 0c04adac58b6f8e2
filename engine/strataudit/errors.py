"""Input errors: what the user gave could not be used.

Every input error names the file, line and column, the path in the plan, what is wrong and what
would fix it, because a reviewer must be able to act on it without reading a traceback.
"""

from __future__ import annotations

from strataudit.results import InputProblem

__all__ = ["MAX_PROBLEMS", "InputError", "InputProblem", "input_error"]


MAX_PROBLEMS = 50
"""At most this many problems of one file are reported in one run: all of a file with a few
mistakes (one run, not one run per mistake), and a screenful, not thousands, for a file that is
not a plan at all."""


class InputError(Exception):
    """Raised with the problems of one input (the first is `problem`); the CLI renders each and
    exits 2."""

    def __init__(self, problem: InputProblem, *more: InputProblem) -> None:
        super().__init__("\n".join(p.render() for p in (problem, *more)))
        self.problem = problem
        self.problems: tuple[InputProblem, ...] = (problem, *more)[:MAX_PROBLEMS]


def input_error(
    file: str, line: int | None, column: int | None, message: str, hint: str, path: str = ""
) -> InputError:
    """An `InputError` in one call: where, what is wrong, what would fix it."""
    return InputError(InputProblem(file, line, column, message, hint, path))
