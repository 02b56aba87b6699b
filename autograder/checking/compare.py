"""Compare a student's output with the reference and describe any difference.

`describe_mismatch` returns None when the output is right, else a list of
lines that say what was expected, what came, and where the largest error is.

Outputs are judged as the grader receives them (see wire): an output that
is not plain data is a `wire.RemoteObject`, one that cannot make the trip a
`wire.Unsendable`; both are named here the same way wherever a check runs.
"""

from __future__ import annotations

import numpy as np

from . import wire

# (rtol, atol relative to the largest expected magnitude) by the input's dtype.
TOLERANCES = {
    np.dtype(np.float64): (1e-7, 1e-9),
    np.dtype(np.float32): (1e-4, 1e-5),
}


def show(value):
    """A short description of a value: arrays by dtype and shape."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array {value.shape}"
    if isinstance(value, wire.Unsendable):
        return f"an output that cannot be graded ({value.why})"
    if isinstance(value, wire.RemoteObject):
        return f"{kind_of(value)} {value.description}"
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"an int of {value.bit_length()} bits"
    return repr(value)


def kind_of(value):
    """The dotted type name of an output (with the dtype of a non-numeric array)."""
    if isinstance(value, wire.RemoteObject):
        dtype = f" of dtype {value.array_dtype}" if value.array_dtype else ""
        return value.type_name + dtype
    return type(value).__module__ + "." + type(value).__qualname__


def whole_number(value):
    """True for an int, a NumPy integer or a 0-d integer array (not a bool)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return (
        isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu"
    )


def _same_dtype(a, b):
    """Equal dtypes, whatever their byte order."""
    return a.kind == b.kind and a.itemsize == b.itemsize


def tolerance(dtype, expected):
    """rtol and atol for outputs of this dtype, atol scaled to the data."""
    rtol, atol = TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float32)])
    # Infinities (max pooling over a window of padding only) must match exactly.
    magnitude = np.abs(np.asarray(expected, dtype=np.float64))
    scale = float(np.max(magnitude, where=np.isfinite(magnitude), initial=1.0))
    return rtol, atol * scale


def close(got, expected, dtype):
    """True when two arrays have the same shape and agree within tolerance."""
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return False
    rtol, atol = tolerance(dtype, expected)
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _shape_lines(got, expected):
    lines = [f"expected shape {expected.shape}, got {got.shape}"]
    if got.ndim != expected.ndim:
        return lines
    diff = [g - e for g, e in zip(got.shape, expected.shape)]
    axes = [i for i, d in enumerate(diff) if d]
    if axes and (all(diff[i] == -1 for i in axes) or all(diff[i] == 1 for i in axes)):
        word = "short" if diff[axes[0]] < 0 else "long"
        where = (
            f"axis {axes[0]}"
            if len(axes) == 1
            else "axes " + (", ".join(map(str, axes[:-1])) + f" and {axes[-1]}")
        )
        lines.append(
            f"the output is one element too {word} along {where}: "
            "check the floor and the +1 of the output-size formula"
        )
    return lines


def _value_lines(got, expected, dtype):
    rtol, atol = tolerance(dtype, expected)
    same = got == expected  # equal infinities count as no error
    with np.errstate(invalid="ignore"):
        err = np.where(same, 0.0, np.abs(got.astype(np.float64) - expected))
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if not (np.isfinite(got) | same).all():
        where = tuple(int(i) for i in np.argwhere(~(np.isfinite(got) | same))[0])
        return [f"the output holds {got[where]} at index {where}"]
    where = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
    return [
        f"shape {expected.shape} is right, but {int(bad.sum())} of {bad.size} "
        "values differ from PyTorch's",
        f"largest error {err[where]:.3g} at index {where}: "
        f"expected {expected[where]:.6g}, got {got[where]:.6g} "
        f"(tolerance {atol:.1g} + {rtol:.0e} * |expected|)",
    ]


def describe_mismatch(got, expected, out_dtype):
    """Lines describing how `got` differs from `expected`; None if it does not.

    `expected` is the float64 reference; `out_dtype` is the dtype the output
    must have (the input's) and sets the tolerance.
    """
    if isinstance(got, wire.Unsendable):
        return [f"the output cannot be graded: {got.why}"]
    if not isinstance(got, np.ndarray):
        return [f"expected a NumPy array, got {kind_of(got)}"]
    lines = []
    if expected.dtype.kind in "iu":  # indices (max pooling's return_indices)
        if got.dtype.kind not in "iu":
            lines.append(f"expected an integer array (indices), got {got.dtype}")
    elif not _same_dtype(got.dtype, np.dtype(out_dtype)):
        want = np.dtype(out_dtype)
        lines.append(f"expected dtype {want} (the input's), got {got.dtype}")
    if got.shape != expected.shape:
        return lines + _shape_lines(got, expected)
    if expected.dtype.kind in "iu":
        if not lines and not np.array_equal(got, expected):
            lines += _index_lines(got, expected)
    elif got.size and not close(got, expected, out_dtype):
        lines += _value_lines(got, expected, out_dtype)
    return lines or None


def _index_lines(got, expected):
    """Integer outputs (indices) must be equal, not close."""
    bad = got != expected
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    return [
        f"shape {expected.shape} is right, but {int(bad.sum())} of {bad.size} "
        "indices differ from PyTorch's",
        f"first at index {where}: expected {expected[where]}, got {got[where]}",
    ]


def describe_scalar_mismatch(got, expected):
    """Lines describing how an integer result differs; None if it does not.

    An int, a NumPy integer and a 0-d integer array are all whole numbers (as
    PyTorch's sizes are); a bool is not.
    """
    if isinstance(got, wire.Unsendable):
        return [f"the output cannot be graded: {got.why}"]
    if not whole_number(got):
        what = show(got)
        if not isinstance(got, (np.ndarray, wire.RemoteObject)):
            what = f"{type(got).__name__} {what}"
        hint = ""
        if isinstance(got, (float, np.floating)):
            hint = " (use // or math.floor: sizes are whole numbers)"
        return [f"expected an int, got {what}{hint}"]
    if got != expected:
        return [f"expected {expected}, got {show(int(got))}"]
    return None


#: The relative tolerance of a real-valued result (a ratio, a time in seconds).
REAL_RTOL = 1e-9


def real_number(value):
    """True for an int or a float, NumPy's included, or a 0-d array of one."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    return (
        isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"
    )


def describe_real_mismatch(got, expected):
    """Lines describing how a real-valued result differs; None if it does not.

    Any real number is accepted (an int, a float, a NumPy scalar or 0-d array),
    equal to the reference within a relative REAL_RTOL.
    """
    if isinstance(got, wire.Unsendable):
        return [f"the output cannot be graded: {got.why}"]
    if not real_number(got):
        return [f"expected a number, got {show(got)}"]
    value = float(got)
    if value == expected or abs(value - expected) <= REAL_RTOL * abs(expected):
        return None
    return [f"expected {expected!r}, got {value!r}"]


def describe_text_mismatch(got, expected):
    """Lines describing how a str result differs; None if it does not."""
    if isinstance(got, wire.Unsendable):
        return [f"the output cannot be graded: {got.why}"]
    if not isinstance(got, str):
        return [f"expected the str {expected!r}, got {show(got)}"]
    return None if got == expected else [f"expected {expected!r}, got {got!r}"]


def mismatch(got, expected, out_dtype):
    """Lines describing how `got` differs from `expected` (array, tuple, int,
    float or str)."""
    if isinstance(expected, tuple):
        return _tuple_mismatch(got, expected, out_dtype)
    if isinstance(expected, np.ndarray):
        return describe_mismatch(got, expected, out_dtype)
    if isinstance(expected, str):
        return describe_text_mismatch(got, expected)
    if isinstance(expected, float):
        return describe_real_mismatch(got, expected)
    return describe_scalar_mismatch(got, expected)


def _tuple_mismatch(got, expected, out_dtype):
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return [f"expected a tuple of {len(expected)} outputs, got {show(got)}"]
    lines = []
    for i, (g, e) in enumerate(zip(got, expected)):
        if e is None:
            sub = None if g is None else [f"expected None, got {show(g)}"]
        else:
            sub = mismatch(g, e, out_dtype)
        lines += [f"output {i}: {line}" for line in sub or []]
    return lines or None
