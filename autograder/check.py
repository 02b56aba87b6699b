"""`check`: call a student's function and its PyTorch reference the same way.

    check(conv1d, "conv1d", x, w, stride=2)

passes silently when the student's output matches PyTorch's, and otherwise
raises an AssertionError whose message says what was expected, what came,
and the likely mistake. Visible and hidden tests both call it, so a student
sees the same diagnosis the grader records.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np

from . import reference
from .compare import describe_mismatch, describe_scalar_mismatch
from .diagnose import likely_mistakes


def _show(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array {value.shape}"
    return repr(value)


def describe_call(op, args):
    """conv1d(x=float64 array (2, 3, 11), weight=..., stride=2): defaults left out."""
    params = inspect.signature(reference.REFERENCES[op]).parameters
    shown = [
        f"{name}={_show(value)}"
        for name, value in args.items()
        if params[name].default is inspect.Parameter.empty
        or not _same(value, params[name].default)
    ]
    return f"{op}({', '.join(shown)})"


def _same(a, b):
    return not isinstance(a, np.ndarray) and type(a) is type(b) and a == b


def _bind(op, args, kwargs):
    sig = inspect.signature(reference.REFERENCES[op])
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _fail(call, lines, mistakes=()):
    message = [f"{call} does not match PyTorch:"]
    message += [f"  {line}" for line in lines]
    message += [f"  likely mistake: {m}" for m in mistakes]
    raise AssertionError("\n".join(message))


def check(student_fn, op, *args, **kwargs):
    """Assert that student_fn(*args, **kwargs) equals PyTorch's result for `op`."""
    bound = _bind(op, args, kwargs)
    call = describe_call(op, bound)
    try:
        expected = reference.REFERENCES[op](**bound)
    except reference.InvalidArguments as err:
        return _check_refuses(student_fn, call, args, kwargs, err)
    try:
        got = student_fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except NotImplementedError:
        raise
    except Exception as err:
        err.add_note(f"raised by {call}; PyTorch returns a result for these arguments")
        raise
    if isinstance(expected, np.ndarray):
        out_dtype = np.asarray(bound["x"]).dtype
        lines = describe_mismatch(got, expected, out_dtype)
    else:
        out_dtype = None
        lines = describe_scalar_mismatch(got, expected)
    if lines:
        _fail(call, lines, likely_mistakes(op, bound, got, out_dtype))


def _check_refuses(student_fn, call, args, kwargs, err):
    try:
        got = student_fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except ValueError:
        return
    except Exception as other:
        _fail(call, [f"expected ValueError, got {type(other).__name__}: {other}"])
    _fail(
        call,
        [
            f"PyTorch refuses these arguments ({err}),",
            f"so a ValueError is expected; the function returned {_show(got)}",
        ],
    )
