"""`check`: call a student's function and its PyTorch reference the same way.

    check(conv1d, "conv1d", x, w, stride=2)

passes silently when the student's output matches PyTorch's, and otherwise
raises an AssertionError whose message says what was expected, what came,
and the likely mistake.

One function, `verdict`, decides, wherever `check` runs: in the student's
notebook, in the grader (where the student's function is a proxy for the
sandboxed process, and its output has made the trip through `wire`), and in
the browser (where PyTorch's answers come from `offline`). In the notebook,
the arguments and the output make the same trip in-process (`wire.carry`),
so the student's function sees what it sees while grading, and `verdict`
judges exactly the value the grader receives: same value, same verdict, same
message.
"""

from __future__ import annotations

import inspect
import os
import textwrap
from dataclasses import dataclass

import numpy as np

from . import reference, wire
from .compare import mismatch, show
from .diagnose import found_mistakes
from .guard import ForbiddenCall, forbidden_text, watch_library_calls
from .registry import active_recorder


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


def bind(op, args, kwargs):
    """The arguments of a call of `op`, by name, defaults filled in."""
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


# `nbgrader validate` cuts every line it prints at Validator.width - 3
# characters (90 - 3, its indent included): under it, messages are wrapped
# to fit, so that no diagnosis is cut. Elsewhere a line stays whole (a
# notebook wraps it on screen, and feedback pages do too).
VALIDATE_WIDTH = 68
MISTAKE_PREFIX = "  likely mistake: "  # how a message's diagnosis lines start
AMBIGUOUS_LINE = "  these mistakes give exactly this output here (it may be any one):"


class CheckFailed(AssertionError):
    """A failed check; `mistake_keys` names the diagnosed mistakes, if any."""

    def __init__(self, message, mistake_keys=()):
        super().__init__(message)
        self.mistake_keys = tuple(mistake_keys)


@dataclass(frozen=True)
class Verdict:
    """Whether an output is right; if not, what is wrong and the likely mistakes."""

    passed: bool
    lines: tuple = ()
    mistakes: tuple = ()
    keys: tuple = ()  # the mistakes' keys (diagnose.Diagnosis.key), in order

    def message(self, call):
        """The text of the AssertionError that `check` raises for this verdict:
        the diagnosis first, then what was expected and what came."""
        message = [f"{call} does not match PyTorch:"]
        if len(self.mistakes) > 1:
            message.append(AMBIGUOUS_LINE)
        message += [f"{MISTAKE_PREFIX}{m}" for m in self.mistakes]
        message += [f"  {line}" for line in self.lines]
        return _fit("\n".join(message))

    def error(self, call):
        """The exception that `check` raises for this verdict."""
        return CheckFailed(self.message(call), self.keys)


def _fit(text):
    if not os.environ.get("NBGRADER_VALIDATING"):
        return text
    lines = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        lines += textwrap.wrap(
            line, VALIDATE_WIDTH, subsequent_indent=indent, break_on_hyphens=False
        ) or [""]
    return "\n".join(lines)


def verdict(op, bound, got, expected):
    """The Verdict on `got`, returned for the arguments `bound` of `op`.

    `expected` is the reference's result for `bound`; `got` is the output as
    the grader receives it (after `wire`'s trip).
    """
    out_dtype = _out_dtype(bound) if not isinstance(expected, (int, float)) else None
    lines = mismatch(got, expected, out_dtype)
    if not lines:
        return Verdict(True)
    found = found_mistakes(op, bound, got, out_dtype)
    return Verdict(
        False,
        tuple(lines),
        tuple(m.message for m in found),
        tuple(m.key for m in found),
    )


def _fail(call, lines):
    __tracebackhide__ = True  # IPython shows the student's frames only
    raise Verdict(False, tuple(lines)).error(call)


def _call_student(student_fn, call, args, kwargs):
    """Run the student's function as the grader does, watching its calls.

    The arguments and the output make the sandbox's trip (`wire.carry`): the
    function gets fresh plain copies, and the output is what the grader
    would receive. A forbidden call is reported with guard's message, whether
    this process saw it (the notebook) or the sandbox did (grading).
    """
    __tracebackhide__ = True
    args, kwargs = wire.carry(tuple(args)), wire.carry(dict(kwargs))
    with watch_library_calls() as forbidden:
        try:
            got = student_fn(*args, **kwargs)
        except NotImplementedError:
            raise
        except ForbiddenCall as err:  # the sandbox refused a forbidden call
            raise ForbiddenCall(f"{call} {err}") from None
        except Exception as err:
            if not forbidden:
                err.add_note(f"raised by {call}")
                raise
    if forbidden:
        raise ForbiddenCall(f"{call} {forbidden_text(forbidden[0])}")
    return wire.carry(got)


def check(student_fn, op, *args, **kwargs):
    """Assert that student_fn(*args, **kwargs) equals PyTorch's result for `op`.

    Within `registry.recording()`, only notes the call (see offline.precompute).
    """
    __tracebackhide__ = True
    bound = bind(op, args, kwargs)
    recorder = active_recorder()
    if recorder is not None:
        recorder.checks.append((op, bound))
        return
    call = describe_call(op, bound)
    try:
        expected = reference.REFERENCES[op](**bound)
    except reference.InvalidArguments as err:
        return _check_refuses(student_fn, call, args, kwargs, err)
    got = _call_student(student_fn, call, args, kwargs)
    result = verdict(op, bound, got, expected)
    if not result.passed:
        raise result.error(call)


def _check_refuses(student_fn, call, args, kwargs, err):
    __tracebackhide__ = True
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
