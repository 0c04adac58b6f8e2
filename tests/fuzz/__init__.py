"""Property-based fuzzing of the whole pipeline (issue 10, item 7).

A package, so that its test modules import their helpers as `fuzz.strategies` etc. (pytest puts
`tests/` on the path, as it does for `from conftest import ROOT`), and `bench/fuzz.py` can run
the same properties for longer. `strategies` makes plans, `notation` writes them, `harness` runs
the CLI, `properties` says what must hold, `known` lists the bugs not fixed yet.
"""
