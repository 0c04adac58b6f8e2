"""Input errors: what the user gave could not be used.

Every input error names the file, line and column, the path in the plan, what is wrong and what
would fix it, because a reviewer must be able to act on it without reading a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input file (a plan, a rule pack, a config)."""

    file: str
    line: int | None
    column: int | None
    message: str
    hint: str
    path: str = ""

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.message}"
        if self.path:
            text += f" (at {self.path})"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class InputError(Exception):
    """Raised with one problem; the CLI renders it and exits 2."""

    def __init__(self, problem: InputProblem) -> None:
        super().__init__(problem.render())
        self.problem = problem


def input_error(
    file: str, line: int | None, column: int | None, message: str, hint: str, path: str = ""
) -> InputError:
    return InputError(InputProblem(file, line, column, message, hint, path))
