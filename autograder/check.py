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
from .compare import mismatch, show
from .diagnose import likely_mistakes
from .guard import ForbiddenCall, watch_library_calls


def describe_call(op, args):
    """conv1d(x=float64 array (2, 3, 11), weight=..., stride=2): defaults left out."""
    params = inspect.signature(reference.REFERENCES[op]).parameters
    shown = [
        f"{name}={show(value)}"
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


def _out_dtype(bound):
    """Outputs have the dtype of the first array argument, as in PyTorch."""
    for value in bound.values():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value.dtype
    return np.dtype(np.float64)


def _fail(call, lines, mistakes=()):
    message = [f"{call} does not match PyTorch:"]
    message += [f"  {line}" for line in lines]
    message += [f"  likely mistake: {m}" for m in mistakes]
    raise AssertionError("\n".join(message))


def _call_student(student_fn, call, args, kwargs):
    """Run the student's function on copies of the arguments, watching its calls."""
    with watch_library_calls() as forbidden:
        try:
            got = student_fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NotImplementedError:
            raise
        except Exception as err:
            if not forbidden:
                err.add_note(f"raised by {call}")
                raise
    if forbidden:
        raise ForbiddenCall(
            f"{call} calls {forbidden[0]}: the kernels must be written in NumPy, "
            "so this part scores zero"
        )
    return got


def check(student_fn, op, *args, **kwargs):
    """Assert that student_fn(*args, **kwargs) equals PyTorch's result for `op`."""
    bound = _bind(op, args, kwargs)
    call = describe_call(op, bound)
    try:
        expected = reference.REFERENCES[op](**bound)
    except reference.InvalidArguments as err:
        return _check_refuses(student_fn, call, args, kwargs, err)
    got = _call_student(student_fn, call, args, kwargs)
    out_dtype = _out_dtype(bound) if not isinstance(expected, (int, float)) else None
    lines = mismatch(got, expected, out_dtype)
    if lines:
        _fail(call, lines, likely_mistakes(op, bound, got, out_dtype))


def _check_refuses(student_fn, call, args, kwargs, err):
    try:
        got = _call_student(student_fn, call, args, kwargs)
    except ValueError:
        return
    except (NotImplementedError, ForbiddenCall):
        raise
    except Exception as other:
        _fail(call, [f"expected ValueError, got {type(other).__name__}: {other}"])
    _fail(
        call,
        [
            f"PyTorch refuses these arguments ({err}),",
            f"so a ValueError is expected; the function returned {show(got)}",
        ],
    )
