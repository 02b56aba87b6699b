"""Name the likely mistake behind a wrong output.

A diagnosis is a `Mistake(key, message, make)` (see registry): `make(args)`
returns either the arguments a function making that mistake would effectively
have used (a dict, run through the reference), or directly the value it would
have returned, or None where the mistake changes nothing for these arguments.
When the student's output equals one of these, the feedback names the
mistake. When several mistakes give exactly the student's output (with
padding 1 and stride 1, a missing +1 in the output size and padding on the
left side only do), the feedback names them all.

The per-operation lists live beside the references, in ops/. Besides them,
two kinds of mistake apply to any output of an array op, whatever the op: a
wrong output size (one window too few or too many along some axes, with the
windows that are there right) and a wrong layout (the channel axis moved).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .compare import close, mismatch
from .registry import DIAGNOSES, REFERENCES, Mistake


def run_variant(op, make, args):
    """What a function making this mistake returns, or None if not applicable."""
    try:
        changed = make(args)
    except Exception:  # noqa: BLE001 - a diagnosis must never break grading
        return None
    if changed is None or not isinstance(changed, dict):
        return changed
    try:
        return REFERENCES[op](**changed)
    except Exception:  # noqa: BLE001
        return None


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


class Found(NamedTuple):
    """A mistake found in one output: its key and the message the student reads."""

    key: str
    message: str


def likely_mistakes(op, args, got, out_dtype=None):
    """Messages for the known mistakes whose output equals `got`."""
    return [f.message for f in found_mistakes(op, args, got, out_dtype)]


def found_mistakes(op, args, got, out_dtype=None):
    """The known mistakes (key and message) whose output equals `got`."""
    found = []
    for mistake in DIAGNOSES.get(op, []):
        candidate = run_variant(op, mistake.make, args)
        if candidate is None:
            continue
        if mismatch(got, candidate, out_dtype) is None:
            found.append(Found(mistake.key, mistake.message))
    if out_dtype is not None and isinstance(got, np.ndarray):
        try:
            expected = REFERENCES[op](**args)
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
    text = mistake.message.format(axes=_axes_text(axes))
    return [Found(mistake.key, text)] if same else []


def _layout_mistakes(got, expected, out_dtype):
    """A channels-last output: the right numbers with the channel axis moved."""
    if expected.ndim < 3:
        return []
    moved = np.moveaxis(expected, 1, -1)
    if moved.shape != expected.shape and close(got, moved, out_dtype):
        return [Found(CHANNELS_LAST.key, CHANNELS_LAST.message)]
    return []
