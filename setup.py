"""Build steps that pyproject.toml cannot declare.

1. The C compatibility library: `strataudit._pyeval_compat` gives durable-rules 2.0.28 the
   `PyEval_CallObject` symbol that Python 3.13 removed (see engine/strataudit/_compat.py). It is
   built on every Python so that the package is the same everywhere; a C compiler is needed
   anyway, since durable-rules publishes no wheels and compiles its own C core at install time.
2. The catalogue snapshot: the built-in rule files parsed once, by strataudit's own reader from
   this source tree, into `strataudit/rules/_parsed.json` (engine/strataudit/snapshot.py says
   why and when it is used). Only the built package gets it; an editable install parses the
   YAML files, which is slower at start-up and otherwise the same.

Everything else is in pyproject.toml.
"""

import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class build_py_with_snapshot(build_py):
    """`build_py`, then the parsed catalogue beside the copied rule files."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the rules stay in the source tree: no snapshot to keep in step
        rules = Path(self.build_lib) / "strataudit" / "rules"
        sys.path.insert(0, str(HERE / "engine"))
        try:
            from strataudit import snapshot

            written = snapshot.write(rules)
        finally:
            sys.path.remove(str(HERE / "engine"))
        self.announce(
            f"catalogue snapshot: {'written' if written else 'not written'} in {rules}", level=2
        )


setup(
    cmdclass={"build_py": build_py_with_snapshot},
    ext_modules=[
        Extension(
            "strataudit._pyeval_compat",
            sources=["engine/strataudit/_pyeval_compat.c"],
        )
    ],
)
