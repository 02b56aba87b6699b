"""PyTorch references for the functions that students write.

Every reference takes NumPy arrays (and plain Python arguments, exactly as the
student's function does), computes in float64 on the CPU, and returns NumPy
(or a tuple of arrays). The only thing a reference changes about its inputs is
their precision: a float32 input is promoted so that the reference is as exact
as it can be, and the comparison then allows for the student's float32
rounding.

References live in `autograder/ops/`, one module per assignment, and register
themselves here with `@register("name", diagnoses=[...])`.

Where PyTorch cannot be imported (in the browser, under Pyodide), the tables
are filled instead with PyTorch's stored answers for the notebooks' visible
checks (see `offline`), and `register` does nothing.
"""

from __future__ import annotations

import warnings

import numpy as np

try:
    import torch
except ImportError:  # Pyodide: the references come from `offline`
    torch = None

REFERENCES = {}
DIAGNOSES = {}


class InvalidArguments(ValueError):
    """PyTorch refuses these arguments; the student's function must refuse them too."""


def register(name, diagnoses=()):
    """Make `fn` the reference for `name`, with its known mistakes (see diagnose)."""

    def decorate(fn):
        if torch is None:
            return fn
        REFERENCES[name] = fn
        DIAGNOSES[name] = list(diagnoses)
        return fn

    return decorate


def tensor(a):
    """A float64 tensor holding a copy of `a` (None stays None)."""
    return None if a is None else torch.from_numpy(np.array(a, dtype=np.float64))


def call_torch(fn, *args, **kwargs):
    """fn(*args, **kwargs), with PyTorch's refusals turned into InvalidArguments.

    PyTorch's warnings (e.g. about a padded copy for 'same' with an even kernel)
    are silenced: nbgrader scores a test cell that writes to stderr as failed.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except RuntimeError as err:
        raise InvalidArguments(str(err)) from None


def _load_ops():
    if torch is None:
        from . import offline

        offline.install(REFERENCES, DIAGNOSES, InvalidArguments)
        return

    import importlib
    import pkgutil

    from . import ops

    for info in pkgutil.iter_modules(ops.__path__):
        importlib.import_module(f"{ops.__name__}.{info.name}")


_load_ops()
