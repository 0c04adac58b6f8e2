"""Build step that pyproject.toml cannot declare: the C compatibility library.

`strataudit._pyeval_compat` gives durable-rules 2.0.28 the `PyEval_CallObject` symbol that
Python 3.13 removed (see engine/strataudit/_compat.py). It is built on every Python so that the
package is the same everywhere; a C compiler is needed anyway, since durable-rules publishes no
wheels and compiles its own C core at install time. Everything else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "strataudit._pyeval_compat",
            sources=["engine/strataudit/_pyeval_compat.c"],
        )
    ]
)
