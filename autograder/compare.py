"""Compare a student's output with the reference and describe any difference.

`describe_mismatch` returns None when the output is right, else a list of
lines that say what was expected, what came, and where the largest error is.
"""

from __future__ import annotations

import numpy as np

# (rtol, atol relative to the largest expected magnitude) by the input's dtype.
TOLERANCES = {
    np.dtype(np.float64): (1e-7, 1e-9),
    np.dtype(np.float32): (1e-4, 1e-5),
}


def show(value):
    """A short description of a value: arrays by dtype and shape."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array {value.shape}"
    return repr(value)


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
    diff = [i for i, (g, e) in enumerate(zip(got.shape, expected.shape)) if g != e]
    if len(diff) == 1 and abs(got.shape[diff[0]] - expected.shape[diff[0]]) == 1:
        axis = diff[0]
        word = "short" if got.shape[axis] < expected.shape[axis] else "long"
        lines.append(
            f"the output is one element too {word} along axis {axis}: "
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
    if not isinstance(got, np.ndarray):
        kind = type(got).__module__ + "." + type(got).__qualname__
        return [f"expected a NumPy array, got {kind}"]
    lines = []
    if expected.dtype.kind in "iu":  # indices (max pooling's return_indices)
        if got.dtype.kind not in "iu":
            lines.append(f"expected an integer array (indices), got {got.dtype}")
    elif got.dtype != np.dtype(out_dtype):
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
    """Lines describing how an integer result differs; None if it does not."""
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        kind = type(got).__name__
        hint = ""
        if kind == "float":
            hint = " (use // or math.floor: sizes are whole numbers)"
        return [f"expected an int, got {kind} {got!r}{hint}"]
    if got != expected:
        return [f"expected {expected}, got {got}"]
    return None


def mismatch(got, expected, out_dtype):
    """Lines describing how `got` differs from `expected` (array, tuple or int)."""
    if isinstance(expected, tuple):
        return _tuple_mismatch(got, expected, out_dtype)
    if isinstance(expected, np.ndarray):
        return describe_mismatch(got, expected, out_dtype)
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
