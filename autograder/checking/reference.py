"""PyTorch references for the functions that students write.

Every reference takes NumPy arrays (and plain Python arguments, exactly as the
student's function does), computes in float64 on the CPU, and returns NumPy
(or a tuple of arrays). The only thing a reference changes about its inputs is
their precision: a float32 input is promoted so that the reference is as exact
as it can be, and the comparison then allows for the student's float32
rounding.

References live in `checking/ops/`, one module per assignment, and register
themselves in `registry` with `@register("name", diagnoses=[...])`; importing
this module loads them all. Where PyTorch cannot be imported (in the browser,
under Pyodide), the tables are filled instead with PyTorch's stored answers
for the notebooks' visible checks (see `offline`).
"""

from __future__ import annotations

import importlib
import pkgutil

from .. import offline
from . import ops
from .registry import (
    DIAGNOSES,
    REFERENCES,
    InvalidArguments,
    Mistake,
    call_torch,
    register,
    tensor,
    torch,
)

__all__ = [
    "DIAGNOSES",
    "REFERENCES",
    "InvalidArguments",
    "Mistake",
    "call_torch",
    "register",
    "tensor",
    "torch",
]

if torch is None:
    offline.install(REFERENCES, DIAGNOSES, InvalidArguments, Mistake)
else:
    for _info in pkgutil.iter_modules(ops.__path__):
        importlib.import_module(f"{ops.__name__}.{_info.name}")
