"""Assignment 07-transposed-conv: conv_transpose2d, as torch.nn.functional's."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

from ..registry import InvalidArguments, Mistake, call_torch, register, tensor


def _pair(v):
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * 2


def _with(args, **changes):
    return {**args, **changes}


def _differs(args, name, neutral):
    return any(v != neutral for v in _pair(args[name]))


def _fits(args, **changes):
    """The arguments with `changes`, or None where output_padding no longer fits."""
    changed = _with(args, **changes)
    op, s, d = (_pair(changed[k]) for k in ("output_padding", "stride", "dilation"))
    if any(o >= max(a, b) for o, a, b in zip(op, s, d)):
        return None
    return changed


def _reference(args, **changes):
    """The reference's output for the arguments with `changes`, or None."""
    changed = _fits(args, **changes)
    if changed is None:
        return None
    try:
        return conv_transpose2d(**changed)
    except InvalidArguments:
        return None


def _kernel_not_flipped(args):
    """The gather view (zeros between inputs, then a convolution) without the flip."""
    w = np.asarray(args["weight"])
    flipped = np.flip(w, axis=(-2, -1))
    return None if np.array_equal(flipped, w) else _with(args, weight=flipped)


def _stride_as_in_conv2d(args):
    """The output of stride 1, then every S-th value kept: conv2d's stride."""
    s = _pair(args["stride"])
    if s == (1, 1):
        return None
    y = _reference(args, stride=1, output_padding=0)
    return None if y is None else y[..., :: s[0], :: s[1]]


def _padding_added(args):
    """The output without padding, then P zeros on each side (not P cropped)."""
    p = _pair(args["padding"])
    if p == (0, 0):
        return None
    y = _reference(args, padding=0, bias=None)
    if y is None:
        return None
    widths = [(0, 0)] * (y.ndim - 2) + [(p[0], p[0]), (p[1], p[1])]
    y = np.pad(y, widths)
    if args["bias"] is not None:
        y = y + np.asarray(args["bias"], dtype=np.float64).reshape(-1, 1, 1)
    return y


def _groups_mixed(args):
    """The output channels taken group-minor: channel o from group o % G."""
    g = int(args["groups"])
    if g == 1:
        return None
    y = _reference(args, bias=None)
    if y is None:
        return None
    c = y.shape[-3]
    lead = y.shape[:-3]
    y = y.reshape(*lead, g, c // g, *y.shape[-2:])
    y = np.swapaxes(y, -4, -3).reshape(*lead, c, *y.shape[-2:])
    if args["bias"] is not None:
        y = y + np.asarray(args["bias"], dtype=np.float64).reshape(-1, 1, 1)
    return y


TRANSPOSED = [
    Mistake(
        "kernel_not_flipped",
        "the kernel is not flipped in the gather view: a transposed convolution "
        "is the stride-1 convolution of the zero-stuffed input with the kernel "
        "flipped (w[..., ::-1, ::-1]) and its two channel axes swapped; the "
        "scatter view needs no flip: input (i, j) adds w[:, :, kh, kw] at "
        "(i*S + kh*D, j*S + kw*D)",
        _kernel_not_flipped,
    ),
    Mistake(
        "stride_as_in_conv2d",
        "the stride is applied as in conv2d, keeping every S-th output: in a "
        "transposed convolution the stride spreads the inputs S apart in the "
        "output, which grows to (H - 1)*S + ...",
        _stride_as_in_conv2d,
    ),
    Mistake(
        "stride_ignored",
        "the stride is ignored: neighbouring inputs add their kernel copies S "
        "outputs apart",
        lambda a: _fits(a, stride=1) if _differs(a, "stride", 1) else None,
    ),
    Mistake(
        "padding_added",
        "the padding is added instead of cropped: in a transposed convolution "
        "`padding` removes P rows and columns from each side of the full output, "
        "so H_out = (H - 1)*S - 2P + D(K - 1) + output_padding + 1",
        _padding_added,
    ),
    Mistake(
        "padding_ignored",
        "the padding is ignored: P rows and columns are cropped from each side",
        lambda a: _with(a, padding=0) if _differs(a, "padding", 0) else None,
    ),
    Mistake(
        "output_padding_ignored",
        "output_padding is ignored: it adds that many rows (columns) at the "
        "bottom (right) of the output, which hold the copies that reach there",
        lambda a: (
            _with(a, output_padding=0) if _differs(a, "output_padding", 0) else None
        ),
    ),
    Mistake(
        "dilation_ignored",
        "the dilation is ignored: kernel taps land D outputs apart",
        lambda a: _fits(a, dilation=1) if _differs(a, "dilation", 1) else None,
    ),
    Mistake(
        "groups_mixed",
        "the groups are mixed: output channels g*(C_out/G) ... (g+1)*(C_out/G) - 1 "
        "come from group g's input channels and weight[g*C_in/G : (g+1)*C_in/G]",
        _groups_mixed,
    ),
    Mistake(
        "bias_not_added",
        "the bias is not added",
        lambda a: _with(a, bias=None) if a["bias"] is not None else None,
    ),
]


@register("conv_transpose2d", diagnoses=TRANSPOSED)
def conv_transpose2d(
    x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """torch.nn.functional.conv_transpose2d in float64; NumPy in and out."""
    y = call_torch(
        F.conv_transpose2d,
        tensor(x),
        tensor(weight),
        tensor(bias),
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )
    return y.numpy()
