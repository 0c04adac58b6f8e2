"""`python -m strataudit` runs the command line."""

from strataudit.cli import console

console()
