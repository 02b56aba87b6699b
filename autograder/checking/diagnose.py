"""Name the likely mistake behind a wrong output.

A diagnosis is a pair (message, make): `make(args)` returns either the
arguments a function making that mistake would effectively have used (a dict,
run through the reference), or directly the value it would have returned, or
None where the mistake changes nothing for these arguments. When the
student's output equals one of these, the feedback names the mistake. When
several mistakes give exactly the student's output (with padding 1 and
stride 1, a missing +1 in the output size and padding on the left side only
do), the feedback names them all.

Besides the per-operation lists, two kinds of mistake apply to any output of
an array op, whatever the op: a wrong output size (one window too few or too
many along some axes, with the windows that are there right) and a wrong
layout (the channel axis moved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import reference
from .compare import close, mismatch


def _as_tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _spatial_dims(args):
    return np.ndim(args["weight"]) - 2


def _differs(args, name, neutral):
    v = args[name]
    if isinstance(v, str):
        return v != "valid" if neutral == 0 else True
    return any(s != neutral for s in _as_tuple(v, _spatial_dims(args)))


def _with(args, **changes):
    return {**args, **changes}


# --- output sizes ------------------------------------------------------------


def _size_terms(args):
    w, k = args["input_size"], args["kernel_size"]
    s, d = args["stride"], args["dilation"]
    p = args["padding"]
    if p == "valid":
        p = 0
    if isinstance(p, str):
        return None
    return w, k, s, p, d


def size_variant(formula):
    """A mistake in an output-size formula: formula(W, K, S, P, D) -> int."""

    def variant(args):
        terms = _size_terms(args)
        return None if terms is None else formula(*terms)

    return variant


# --- convolutions ------------------------------------------------------------


def _flipped(args):
    w = np.asarray(args["weight"])
    dims = tuple(range(2, w.ndim))
    flipped = np.flip(w, axis=dims)
    return None if np.array_equal(flipped, w) else _with(args, weight=flipped)


def _one_sided(side):
    """The input padded with all the padding on one side, then not padded."""

    def variant(args):
        p = args["padding"]
        if isinstance(p, str) or not _differs(args, "padding", 0):
            return None
        p = _as_tuple(p, _spatial_dims(args))
        x = np.asarray(args["x"])
        # (0, 0) for the batch (if any) and channel axes, whatever the input's rank.
        widths = [(0, 0)] * (x.ndim - len(p))
        widths += [(q, 0) if side == "left" else (0, q) for q in p]
        x = np.pad(x, widths)
        return _with(args, x=x, padding=0)

    return variant


def _groups_ignored(args):
    g = args["groups"]
    if g == 1:
        return None
    x = np.asarray(args["x"])
    c_per_group = np.shape(args["weight"])[1]
    batched = x.ndim == np.ndim(args["weight"])
    return _with(args, x=x[:, :c_per_group] if batched else x[:c_per_group], groups=1)


def _same_padding(split):
    """padding='same' with an odd total D(K-1) split the wrong way.

    PyTorch pads total // 2 before and the rest after; split(total) gives the
    (before, after) zeros that the mistake uses instead.
    """

    def variant(args):
        if not isinstance(args["padding"], str) or args["padding"] != "same":
            return None
        x = np.asarray(args["x"])
        kernel = np.shape(args["weight"])[2:]
        dilation = _as_tuple(args["dilation"], len(kernel))
        # (worded unlike the solutions, which the site must not reveal)
        totals = [dil * (size - 1) for size, dil in zip(kernel, dilation)]
        if all(t % 2 == 0 for t in totals):
            return None
        widths = [(0, 0)] * (x.ndim - len(kernel)) + [split(t) for t in totals]
        return _with(args, x=np.pad(x, widths), padding=0)

    return variant


CONV = [
    (
        "the kernel is flipped: PyTorch's conv computes a cross-correlation, "
        "sum_k x[i*S + k*D] * w[k], without reversing the kernel",
        _flipped,
    ),
    (
        "the stride is ignored: the windows start S inputs apart",
        lambda a: _with(a, stride=1) if _differs(a, "stride", 1) else None,
    ),
    (
        "the dilation is ignored: kernel taps are D inputs apart",
        lambda a: _with(a, dilation=1) if _differs(a, "dilation", 1) else None,
    ),
    (
        "the padding is ignored",
        lambda a: _with(a, padding=0) if _differs(a, "padding", 0) else None,
    ),
    ("the padding is applied on the left side only", _one_sided("left")),
    ("the padding is applied on the right side only", _one_sided("right")),
    (
        "the bias is not added",
        lambda a: _with(a, bias=None) if a["bias"] is not None else None,
    ),
    (
        "groups is ignored: with groups=G, output channel o sees only the "
        "input channels of its own group",
        _groups_ignored,
    ),
    (
        "padding='same' with an even kernel puts the extra zero at the start: "
        "PyTorch pads D(K-1)//2 before and the rest after (bottom / right)",
        _same_padding(lambda t: (t - t // 2, t // 2)),
    ),
    (
        "padding='same' with an even kernel pads D(K-1)/2 rounded up on both "
        "sides: the total must be D(K-1), with the extra zero after (bottom / right)",
        _same_padding(lambda t: (t - t // 2, t - t // 2)),
    ),
]


def _run_variant(op, make, args):
    """What a function making this mistake returns, or None if not applicable."""
    try:
        changed = make(args)
    except Exception:  # noqa: BLE001 - a diagnosis must never break grading
        return None
    if changed is None or not isinstance(changed, dict):
        return changed
    try:
        return reference.REFERENCES[op](**changed)
    except Exception:  # noqa: BLE001
        return None


@dataclass(frozen=True)
class Mistake:
    """A known mistake that any array op can make, found from the output alone."""

    key: str
    message: str


# The windows that are there are right, but the last one along some axes is
# missing (or one too many is computed): the output-size formula is off by one.
ONE_WINDOW_SHORT = Mistake(
    "one_window_short",
    "the output size misses its +1 along {axes}: (W + 2P - D(K-1) - 1) // S counts "
    "the steps between windows, not the windows, so the last window is missing",
)
ONE_WINDOW_LONG = Mistake(
    "one_window_long",
    "the output size counts one window too many along {axes}: the windows that "
    "fit are (W + 2P - D(K-1) - 1) // S + 1, rounded down",
)
CHANNELS_LAST = Mistake(
    "channels_last",
    "the channel axis is in the wrong place: the output is (N, ..., C_out) "
    "but PyTorch's layout is (N, C_out, ...)",
)


def likely_mistakes(op, args, got, out_dtype=None):
    """Messages for the known mistakes whose output equals `got`."""
    found = []
    for message, make in reference.DIAGNOSES.get(op, []):
        candidate = _run_variant(op, make, args)
        if candidate is None:
            continue
        if mismatch(got, candidate, out_dtype) is None:
            found.append(message)
    if out_dtype is not None and isinstance(got, np.ndarray):
        try:
            expected = reference.REFERENCES[op](**args)
        except Exception:  # noqa: BLE001 - a diagnosis must never break grading
            return found
        if isinstance(expected, np.ndarray):
            found += _size_mistakes(got, expected, out_dtype)
            found += _layout_mistakes(got, expected, out_dtype)
    return found


def _axes_text(axes):
    if len(axes) == 1:
        return f"axis {axes[0]}"
    return "axes " + ", ".join(map(str, axes[:-1])) + f" and {axes[-1]}"


def _size_mistakes(got, expected, out_dtype):
    """One window too few or too many along some axes, the others right."""
    if got.ndim != expected.ndim or got.shape == expected.shape:
        return []
    diff = [g - e for g, e in zip(got.shape, expected.shape)]
    axes = [i for i, d in enumerate(diff) if d]
    if min(axes) < min(2, expected.ndim - 1):  # never the batch or channel axes
        return []
    common = tuple(slice(0, min(g, e)) for g, e in zip(got.shape, expected.shape))
    if all(diff[i] == -1 for i in axes):
        mistake = ONE_WINDOW_SHORT
        same = close(got, expected[common], out_dtype)
    elif all(diff[i] == 1 for i in axes):
        mistake = ONE_WINDOW_LONG
        same = close(got[common], expected, out_dtype)
    else:
        return []
    return [mistake.message.format(axes=_axes_text(axes))] if same else []


def _layout_mistakes(got, expected, out_dtype):
    """A channels-last output: the right numbers with the channel axis moved."""
    if expected.ndim < 3:
        return []
    moved = np.moveaxis(expected, 1, -1)
    if moved.shape != expected.shape and close(got, moved, out_dtype):
        return [CHANNELS_LAST.message]
    return []
