"""Python 3.13 support: the PyEval_CallObject shim that lets durable-rules 2.0.28 import.

The suite as a whole is the real check (it runs on 3.11, 3.12 and 3.13 in `.ci/run`); these
tests pin what the shim must do so that a broken build fails here with a clear reason.
"""

from __future__ import annotations

import ast
import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

from strataudit import _compat

COMPAT = Path(_compat.__file__)


@pytest.mark.skipif(sys.version_info < (3, 13), reason="Python < 3.13 has PyEval_CallObject")
def test_the_installed_library_forwards_pyeval_callobject_to_pyobject_callobject():
    path = _compat.load_pyeval_compat()
    assert path and Path(path).is_file()
    library = ctypes.PyDLL(path)  # PyDLL: called with the GIL held, Python errors propagate
    call = library.PyEval_CallObject
    call.restype, call.argtypes = ctypes.py_object, [ctypes.py_object, ctypes.py_object]
    assert call(max, (3, 7, 5)) == 7
    with pytest.raises(ValueError):
        call(int, ("not a number",))


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="only Python < 3.13 loads nothing")
def test_older_pythons_load_nothing():
    assert _compat.load_pyeval_compat() is None


def test_durable_rules_imports_in_a_fresh_interpreter_through_the_engine_module():
    """The order matters: the engine module must load the shim before durable-rules."""
    code = "import strataudit.engine, durable.engine; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_the_compat_module_never_imports_durable_rules():
    """Importing durable before the shim is loaded is exactly the failure it prevents."""
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(COMPAT.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert not imported & {"durable", "durable_rules_engine"}, imported
