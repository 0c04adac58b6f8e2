/* PyEval_CallObject for durable-rules 2.0.28 on Python 3.13 and later.
 *
 * durable-rules' C extension (its last release, 2020) calls PyEval_CallObject, which Python
 * 3.13 removed from the C API: the stock extension then fails to import with
 * "undefined symbol: PyEval_CallObject". strataudit._compat loads this library with
 * RTLD_GLOBAL before durable is imported, so the dynamic linker resolves that symbol here.
 * On Python 3.12 and earlier the headers still define PyEval_CallObject (as a macro), the
 * interpreter exports what the extension needs, and this file only defines an empty module.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef PyEval_CallObject
PyAPI_FUNC(PyObject *) PyEval_CallObject(PyObject *callable, PyObject *args);

PyObject *PyEval_CallObject(PyObject *callable, PyObject *args)
{
    return PyObject_CallObject(callable, args);
}
#endif

/* A module init, so that the library is an ordinary extension module that setuptools builds
 * and importlib can locate; strataudit never imports it as a module. */
static struct PyModuleDef compat_module = {
    PyModuleDef_HEAD_INIT, "_pyeval_compat",
    "PyEval_CallObject for durable-rules on Python 3.13+ (loaded with ctypes).", -1, NULL,
};

PyMODINIT_FUNC PyInit__pyeval_compat(void)
{
    return PyModule_Create(&compat_module);
}
