"""Assignment 05-pooling: max and average pooling, global pooling, pooling as a conv."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch.nn.functional as F

from ..registry import Mistake, register, tensor
from ._refusals import call_refusing

# --- the mistakes ------------------------------------------------------------


def _as_tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _dims(op):
    """Spatial axes of a pooling op: 1 for the 1-D ops, 2 for the 2-D ones."""
    return 1 if op.endswith("1d") else 2


def _nonzero(v):
    return any(p != 0 for p in _as_tuple(v, 2))


def _out_sizes(args, dims, drop):
    """Window counts per spatial axis, with or without PyTorch's ceil_mode rule."""
    x = np.asarray(args["x"])
    k = _as_tuple(args["kernel_size"], dims)
    s = _as_tuple(args["stride"] if args["stride"] is not None else k, dims)
    p = _as_tuple(args["padding"], dims)
    d = _as_tuple(args.get("dilation", 1), dims)
    sizes = []
    for n, ki, si, pi, di in zip(x.shape[-dims:], k, s, p, d):
        out = -(-(n + 2 * pi - di * (ki - 1) - 1) // si) + 1
        if drop and (out - 1) * si >= n + pi:
            out -= 1
        sizes.append(out)
    return sizes


def _ceil_windows_kept(op, fill):
    """ceil_mode without the rule that drops a last window starting in the padding.

    Such a window sees only padding: its max is -inf, its padded sum 0.
    """

    def variant(args):
        if not args["ceil_mode"] or args.get("return_indices"):
            return None
        dims = _dims(op)
        kept = _out_sizes(args, dims, drop=False)
        dropped = _out_sizes(args, dims, drop=True)
        if kept == dropped:
            return None
        expected = REFERENCES_BY_NAME[op](**args)
        out = np.full(expected.shape[: -len(kept)] + tuple(kept), fill)
        out[(...,) + tuple(slice(0, n) for n in dropped)] = expected
        return out

    return variant


def _zero_padded(op):
    """Max pooling over an input padded with zeros (not -inf) by the student."""

    def variant(args):
        if not _nonzero(args["padding"]) or args["ceil_mode"]:
            return None
        dims = _dims(op)
        x = np.asarray(args["x"], dtype=np.float64)
        p = _as_tuple(args["padding"], dims)
        x = np.pad(x, [(0, 0)] * (x.ndim - dims) + [(q, q) for q in p])
        return {**args, "x": x, "padding": 0}

    return variant


def _divisor_past_padding(op):
    """Average pooling that divides by the full kernel area even past the padding."""

    def variant(args):
        if not args["ceil_mode"] or not args["count_include_pad"]:
            return None
        if args.get("divisor_override") is not None:
            return None
        dims = _dims(op)
        k = _as_tuple(args["kernel_size"], dims)
        s = _as_tuple(args["stride"] if args["stride"] is not None else k, dims)
        p = _as_tuple(args["padding"], dims)
        x = tensor(args["x"])
        if dims == 1:  # avg_pool1d has no divisor_override: pool rows of height 1
            x, k, s, p = x.unsqueeze(-2), (1, *k), (1, *s), (0, *p)
        y = F.avg_pool2d(x, k, s, p, True, True, int(np.prod(k)))
        return (y.squeeze(-2) if dims == 1 else y).numpy()

    return variant


def _swapped(args):
    """The tuple arguments read as (width, height)."""
    changed = {}
    for name in ("kernel_size", "stride", "padding", "dilation"):
        v = args.get(name)
        if isinstance(v, (tuple, list)) and len(v) == 2 and v[0] != v[1]:
            changed[name] = (v[1], v[0])
    return {**args, **changed} if changed else None


STRIDE_DEFAULT = Mistake(
    "stride_none_as_one",
    "stride=None means stride = kernel_size (non-overlapping windows), not 1",
    lambda a: {**a, "stride": 1} if a["stride"] is None else None,
)
CEIL_IGNORED = Mistake(
    "ceil_mode_ignored",
    "ceil_mode is ignored: with ceil_mode=True the window count is rounded up",
    lambda a: {**a, "ceil_mode": False} if a["ceil_mode"] else None,
)
SWAPPED = Mistake(
    "width_height_swapped",
    "the tuple arguments are read as (width, height): PyTorch's are (height, width)",
    _swapped,
)
PADDING_IGNORED = Mistake(
    "padding_ignored",
    "the padding is ignored",
    lambda a: {**a, "padding": 0} if _nonzero(a["padding"]) else None,
)

CEIL_WINDOW_KEPT = (
    "with ceil_mode, a last window that would start in the right padding (or "
    "past it) is dropped: PyTorch keeps only windows that start inside the "
    "input or the left padding"
)


def _wrong_indices(op, transform):
    """return_indices with PyTorch's indices mapped by transform(row, col, args)."""

    def variant(args):
        if not args.get("return_indices"):
            return None
        y, idx = REFERENCES_BY_NAME[op](**args)
        width = np.shape(args["x"])[-1]
        wrong = transform(idx // width, idx % width, args, _dims(op), idx.shape)
        if wrong is None or np.array_equal(wrong, idx):
            return None
        return y, wrong.astype(np.int64)

    return variant


def _padded_plane(row, col, args, dims, shape):
    """Flat indices into the padded plane (H + 2 PH) x (W + 2 PW)."""
    p = _as_tuple(args["padding"], dims)
    if not _nonzero(p):
        return None
    ph, pw = (0, *p) if dims == 1 else p
    width = np.shape(args["x"])[-1] + 2 * pw
    return (row + ph) * width + col + pw


def _whole_array(row, col, args, dims, shape):
    """Flat indices into the whole array, batch and channel axes included."""
    x = np.asarray(args["x"])
    lead = int(np.prod(shape[: x.ndim - dims]))
    if lead == 1:
        return None
    plane = int(np.prod(x.shape[-dims:]))
    offsets = np.arange(lead).reshape(shape[: x.ndim - dims] + (1,) * dims)
    return offsets * plane + row * x.shape[-1] + col


def _window_local(row, col, args, dims, shape):
    """The tap's position in its window, p * KW + q, instead of the input's."""
    k = _as_tuple(args["kernel_size"], dims)
    s = _as_tuple(args["stride"] if args["stride"] is not None else k, dims)
    p = _as_tuple(args["padding"], dims)
    d = _as_tuple(args.get("dilation", 1), dims)
    if dims == 1:
        k, s, p, d = (1, *k), (1, *s), (0, *p), (1, *d)
    i = np.arange(shape[-2] if dims == 2 else 1).reshape(-1, 1)
    j = np.arange(shape[-1]).reshape(1, -1)
    tap_row = (row - (i * s[0] - p[0])) // d[0]
    tap_col = (col - (j * s[1] - p[1])) // d[1]
    return tap_row * k[1] + tap_col


INDICES_MISTAKES = [
    Mistake(
        "indices_in_padded_input",
        "the indices point into the padded input: PyTorch's count positions of "
        "the unpadded H x W plane of each channel",
        _padded_plane,
    ),
    Mistake(
        "indices_over_whole_array",
        "the indices count over the whole array: PyTorch's restart at 0 in every "
        "channel's H x W plane (row * W + col)",
        _whole_array,
    ),
    Mistake(
        "indices_in_window",
        "the indices are positions in the window (p * KW + q): PyTorch's are "
        "positions in the input plane (row * W + col)",
        _window_local,
    ),
]


def max_pool_mistakes(op):
    """The diagnoses of max_pool1d or max_pool2d (op)."""
    indices = [replace(m, make=_wrong_indices(op, m.make)) for m in INDICES_MISTAKES]
    return indices + [
        STRIDE_DEFAULT,
        Mistake(
            "padding_zeros_not_inf",
            "the padding is filled with zeros: max pooling pads with -inf, so that "
            "padding never wins the max (visible when all inputs are negative)",
            _zero_padded(op),
        ),
        Mistake(
            "dilation_ignored",
            "the dilation is ignored: the window's taps are D inputs apart",
            lambda a: (
                {**a, "dilation": 1} if _as_tuple(a["dilation"], 2) != (1, 1) else None
            ),
        ),
        PADDING_IGNORED,
        CEIL_IGNORED,
        Mistake(
            "ceil_window_in_padding", CEIL_WINDOW_KEPT, _ceil_windows_kept(op, -np.inf)
        ),
        SWAPPED,
    ]


def avg_pool_mistakes(op):
    """The diagnoses of avg_pool1d or avg_pool2d (op)."""
    return [
        STRIDE_DEFAULT,
        Mistake(
            "count_include_pad_inverted",
            "count_include_pad is inverted: True divides by the window's size in the "
            "padded input, False by the number of real inputs it covers",
            lambda a: (
                {**a, "count_include_pad": not a["count_include_pad"]}
                if _nonzero(a["padding"]) or a["ceil_mode"]
                else None
            ),
        ),
        PADDING_IGNORED,
        CEIL_IGNORED,
        Mistake(
            "ceil_window_in_padding", CEIL_WINDOW_KEPT, _ceil_windows_kept(op, 0.0)
        ),
        Mistake(
            "divisor_counts_past_padded",
            "the divisor counts positions past the padded input: with ceil_mode, a "
            "window that runs past the right padding divides (with "
            "count_include_pad=True) by the positions it covers up to the end of "
            "the padding, not by the kernel size",
            _divisor_past_padding(op),
        ),
        Mistake(
            "divisor_override_ignored",
            "divisor_override is ignored: when it is given, every window's sum is "
            "divided by it",
            lambda a: (
                {**a, "divisor_override": None}
                if a.get("divisor_override") is not None
                else None
            ),
        ),
        SWAPPED,
    ]


# --- the references ----------------------------------------------------------


def _max_pool(fn, x, *args, return_indices):
    """fn(x, *args), and with return_indices its int64 indices too (NumPy)."""
    y = call_refusing(fn, tensor(x), *args, return_indices=bool(return_indices))
    if return_indices:
        return y[0].numpy(), y[1].numpy()
    return y.numpy()


@register("max_pool1d", diagnoses=max_pool_mistakes("max_pool1d"))
def max_pool1d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """torch.nn.functional.max_pool1d in float64; NumPy in and out."""
    args = kernel_size, stride, padding, dilation, ceil_mode
    return _max_pool(F.max_pool1d, x, *args, return_indices=return_indices)


@register("max_pool2d", diagnoses=max_pool_mistakes("max_pool2d"))
def max_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """torch.nn.functional.max_pool2d in float64; NumPy in and out."""
    args = kernel_size, stride, padding, dilation, ceil_mode
    return _max_pool(F.max_pool2d, x, *args, return_indices=return_indices)


@register("avg_pool1d", diagnoses=avg_pool_mistakes("avg_pool1d"))
def avg_pool1d(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """torch.nn.functional.avg_pool1d in float64; NumPy in and out."""
    y = call_refusing(
        F.avg_pool1d,
        tensor(x),
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
    )
    return y.numpy()


@register("avg_pool2d", diagnoses=avg_pool_mistakes("avg_pool2d"))
def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """torch.nn.functional.avg_pool2d in float64; NumPy in and out."""
    y = call_refusing(
        F.avg_pool2d,
        tensor(x),
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )
    return y.numpy()


REFERENCES_BY_NAME = {
    "max_pool1d": max_pool1d,
    "max_pool2d": max_pool2d,
    "avg_pool1d": avg_pool1d,
    "avg_pool2d": avg_pool2d,
}


GLOBAL_POOL = [
    Mistake(
        "pooled_axes_dropped",
        "the pooled axes are dropped: the output keeps them with size 1, "
        "(N, C, 1, 1), as adaptive_avg_pool2d(x, 1) does",
        lambda a: global_avg_pool2d(a["x"])[..., 0, 0],
    ),
    Mistake(
        "mean_over_channels",
        "the mean runs over the channels too: each channel has its own mean",
        lambda a: np.broadcast_to(
            np.asarray(a["x"], dtype=np.float64).mean(axis=(-3, -2, -1), keepdims=True),
            global_avg_pool2d(a["x"]).shape,
        ),
    ),
]


@register("global_avg_pool2d", diagnoses=GLOBAL_POOL)
def global_avg_pool2d(x):
    """torch.nn.functional.adaptive_avg_pool2d(x, 1) in float64."""
    return call_refusing(F.adaptive_avg_pool2d, tensor(x), 1).numpy()


def _as_conv_mistakes():
    def area(a):
        return int(np.prod(_as_tuple(a["kernel_size"], 2)))

    def pooled(a, **kw):
        return avg_pool2d(a["x"], a["kernel_size"], **kw)

    return [
        Mistake(
            "kernel_not_normalised",
            "the kernel is not normalised: each weight must be 1/(KH*KW), so that "
            "the conv computes a mean, not a sum",
            lambda a: pooled(a) * area(a),
        ),
        Mistake(
            "conv_mixes_channels",
            "the convolution mixes the channels: mean pooling is a grouped conv "
            "(groups=C) whose output channel c sees input channel c only",
            lambda a: (
                np.broadcast_to(pooled(a).sum(axis=-3, keepdims=True), pooled(a).shape)
                if np.shape(a["x"])[-3] > 1
                else None
            ),
        ),
        Mistake(
            "stride_one",
            "the stride is 1: pooling windows do not overlap, so the conv's "
            "stride is the kernel size",
            lambda a: pooled(a, stride=1) if area(a) > 1 else None,
        ),
    ]


@register("avg_pool2d_as_conv", diagnoses=_as_conv_mistakes())
def avg_pool2d_as_conv(x, kernel_size):
    """torch.nn.functional.avg_pool2d(x, kernel_size) in float64."""
    return avg_pool2d(x, kernel_size)
