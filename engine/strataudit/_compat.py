"""Make durable-rules 2.0.28 importable on Python 3.13 and later.

durable-rules' C extension calls `PyEval_CallObject`, a C function Python 3.13 removed; the
release is from 2020 and the upstream fix was never published, so the import fails with
`undefined symbol: PyEval_CallObject`. strataudit builds a tiny library at install time
(`_pyeval_compat.c`, from setup.py) that defines the symbol as a call of `PyObject_CallObject`.
Loaded here with RTLD_GLOBAL, before `durable` is imported, it is where the dynamic linker
finds the symbol when the extension is loaded. On Python 3.11 and 3.12 nothing is loaded: the
interpreter still provides what the extension calls.

engine.py imports this module before durable-rules; this module must never import durable.
"""

from __future__ import annotations

import sys

NEEDED = sys.version_info >= (3, 13)
"""Whether this interpreter lacks `PyEval_CallObject` (removed in Python 3.13)."""

LIBRARY = "strataudit._pyeval_compat"


def load_pyeval_compat() -> str | None:
    """Load the compatibility library globally when this Python needs it; return its path.

    Idempotent (the dynamic linker loads a library once). Raises ImportError with what to do
    when the library is missing, which only happens with a broken or source-tree install.
    """
    if not NEEDED:
        return None
    import ctypes  # only here: Python 3.11 and 3.12 have no use for ctypes
    import importlib.util

    spec = importlib.util.find_spec(LIBRARY)
    if spec is None or spec.origin is None:
        raise ImportError(
            f"{LIBRARY} is missing: Python {sys.version_info.major}.{sys.version_info.minor} "
            "needs it to load durable-rules; reinstall strataudit with pip (a C compiler and "
            "the Python headers are needed)"
        )
    ctypes.CDLL(spec.origin, mode=ctypes.RTLD_GLOBAL)
    return spec.origin


load_pyeval_compat()
