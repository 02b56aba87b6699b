"""Assignment 04-padding: pad, with the semantics of torch.nn.functional.pad."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

from ..registry import InvalidArguments, Mistake, register, tensor
from ._refusals import call_refusing


def _pairs(pad):
    """[(before, after), ...] from the last axis backwards, as PyTorch reads them."""
    pad = tuple(pad)
    return [(pad[i], pad[i + 1]) for i in range(0, len(pad) - 1, 2)]


def _flat(pairs):
    return tuple(p for pair in pairs for p in pair)


def _pad_variant(transform):
    """A mistake that reads the pad tuple wrongly: transform(pairs) -> pairs."""

    def variant(args):
        pairs = _pairs(args["pad"])
        changed = transform(pairs)
        if changed is None or changed == pairs:
            return None
        return {**args, "pad": _flat(changed)}

    return variant


def _numpy_widths(args):
    """np.pad's widths for a non-negative pad tuple, or None."""
    x, pairs = np.asarray(args["x"]), _pairs(args["pad"])
    if len(pairs) > x.ndim or min(args["pad"], default=0) < 0:
        return None
    return [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]


def _symmetric(args):
    """numpy's 'symmetric' mode: the mirror repeats the edge value."""
    widths = _numpy_widths(args)
    if args["mode"] != "reflect" or widths is None:
        return None
    return np.pad(np.asarray(args["x"], dtype=np.float64), widths, mode="symmetric")


def _circular_wrong_end(args):
    """Circular padding that copies the first values before, the last after."""
    widths = _numpy_widths(args)
    if args["mode"] != "circular" or widths is None:
        return None
    y = np.asarray(args["x"], dtype=np.float64)
    for axis, (before, after) in enumerate(widths):
        n = y.shape[axis]
        if before > n or after > n or not n:
            return None
        idx = np.r_[np.arange(before), np.arange(n), np.arange(n - after, n)]
        y = np.take(y, idx, axis=axis)
    return y


def _circular_before_crop(args):
    """Circular padding that wraps around the uncropped input, then crops."""
    pad = tuple(args["pad"])
    if args["mode"] != "circular" or min(pad, default=0) >= 0 or max(pad) <= 0:
        return None
    y = np.asarray(args["x"], dtype=np.float64)
    for i, (before, after) in enumerate(_pairs(pad)):
        axis, n = y.ndim - 1 - i, y.shape[y.ndim - 1 - i]
        if not n:
            return None
        y = np.take(y, np.arange(-before, n + after) % n, axis=axis)
    return y


PAD = [
    Mistake(
        "pad_pairs_from_first_axis",
        "the pad tuple is read from the first spatial axis: PyTorch's pairs start "
        "at the LAST axis, so (left, right, top, bottom) pads the width first, "
        "then the height",
        _pad_variant(lambda pairs: pairs[::-1]),
    ),
    Mistake(
        "pair_swapped",
        "the two amounts of a pair are swapped: each pair is (before, after), "
        "i.e. (left, right) or (top, bottom)",
        _pad_variant(lambda pairs: [(b, a) for a, b in pairs]),
    ),
    Mistake(
        "padding_applied_before_data_only",
        "the padding is applied before the data only: the right (and bottom) "
        "amounts are missing",
        _pad_variant(lambda pairs: [(a, 0) for a, _ in pairs]),
    ),
    Mistake(
        "padding_applied_after_data_only",
        "the padding is applied after the data only: the left (and top) "
        "amounts are missing",
        _pad_variant(lambda pairs: [(0, b) for _, b in pairs]),
    ),
    Mistake(
        "first_amount_both_sides",
        "the first amount of each pair is used on both sides",
        _pad_variant(lambda pairs: [(a, a) for a, _ in pairs]),
    ),
    Mistake(
        "reflect_as_symmetric",
        "reflect is implemented as numpy's 'symmetric', which repeats the edge "
        "value: PyTorch's reflect mirrors around the edge without repeating it "
        "([1, 2, 3] padded by 2 on the left is [3, 2, 1, 2, 3])",
        _symmetric,
    ),
    Mistake(
        "circular_wrong_end",
        "circular padding is taken from the wrong end: the values added on the "
        "left are the LAST ones of the input (x[-left:]), those on the right "
        "the first ones (x[:right])",
        _circular_wrong_end,
    ),
    Mistake(
        "circular_uncropped",
        "circular padding wraps around the uncropped input: with negative pads, "
        "PyTorch crops first, then copies the wrapped values from what is left "
        "([1, 2, 3, 4, 5] padded by (-1, 2) is [2, 3, 4, 5, 2, 3])",
        _circular_before_crop,
    ),
    Mistake(
        "mode_ignored",
        "the mode is ignored: the input is padded with zeros as in mode='constant'",
        lambda a: (
            {**a, "mode": "constant", "value": 0.0} if a["mode"] != "constant" else None
        ),
    ),
    Mistake(
        "value_ignored",
        "value is ignored: mode='constant' fills the padding with `value`",
        lambda a: (
            {**a, "value": 0.0} if a["mode"] == "constant" and a["value"] != 0 else None
        ),
    ),
]


def _circular_wraps_twice(x, pairs):
    """Whether circular padding wraps around the cropped input more than once.

    PyTorch crops first (negative pads), then copies each positive pad from
    what is left. Its own check compares the pads with the uncropped sizes, so
    a pad larger than the cropped axis reads memory it has not written yet: an
    internal error or undefined values. Such pads are refused here.
    """
    for n, (before, after) in zip(np.shape(x)[::-1], pairs):
        kept = n + min(before, 0) + min(after, 0)
        if kept < 0 or before > kept or after > kept:
            return True
    return False


@register("pad", diagnoses=PAD)
def pad(x, pad, mode="constant", value=0.0):
    """torch.nn.functional.pad in float64; same arguments, NumPy in and out."""
    pad = tuple(pad)
    if mode == "circular" and value == 0 and len(pad) % 2 == 0:
        if len(pad) // 2 <= np.ndim(x) and _circular_wraps_twice(x, _pairs(pad)):
            raise InvalidArguments(
                "circular padding: each pad must be at most the size that the "
                "axis keeps after cropping"
            )
    y = call_refusing(F.pad, tensor(x), pad, mode=mode, value=value)
    return y.numpy()
