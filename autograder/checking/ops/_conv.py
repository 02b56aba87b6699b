"""The known mistakes of convolutions, shared by the assignments' conv ops.

Each is a `Mistake(key, message, make)`; an op that takes only some of them
selects them by key (`select`).
"""

from __future__ import annotations

import numpy as np

from ..registry import Mistake


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
    Mistake(
        "kernel_flipped",
        "the kernel is flipped: PyTorch's conv computes a cross-correlation, "
        "sum_k x[i*S + k*D] * w[k], without reversing the kernel",
        _flipped,
    ),
    Mistake(
        "stride_ignored",
        "the stride is ignored: the windows start S inputs apart",
        lambda a: _with(a, stride=1) if _differs(a, "stride", 1) else None,
    ),
    Mistake(
        "dilation_ignored",
        "the dilation is ignored: kernel taps are D inputs apart",
        lambda a: _with(a, dilation=1) if _differs(a, "dilation", 1) else None,
    ),
    Mistake(
        "padding_ignored",
        "the padding is ignored",
        lambda a: _with(a, padding=0) if _differs(a, "padding", 0) else None,
    ),
    Mistake(
        "padding_left_only",
        "the padding is applied on the left side only",
        _one_sided("left"),
    ),
    Mistake(
        "padding_right_only",
        "the padding is applied on the right side only",
        _one_sided("right"),
    ),
    Mistake(
        "bias_not_added",
        "the bias is not added",
        lambda a: _with(a, bias=None) if a["bias"] is not None else None,
    ),
    Mistake(
        "groups_ignored",
        "groups is ignored: with groups=G, output channel o sees only the "
        "input channels of its own group",
        _groups_ignored,
    ),
    Mistake(
        "same_extra_zero_first",
        "padding='same' with an even kernel puts the extra zero at the start: "
        "PyTorch pads D(K-1)//2 before and the rest after (bottom / right)",
        _same_padding(lambda t: (t - t // 2, t // 2)),
    ),
    Mistake(
        "same_rounded_up_both_sides",
        "padding='same' with an even kernel pads D(K-1)/2 rounded up on both "
        "sides: the total must be D(K-1), with the extra zero after (bottom / right)",
        _same_padding(lambda t: (t - t // 2, t - t // 2)),
    ),
]


BY_KEY = {m.key: m for m in CONV}


def select(*keys):
    """The conv mistakes named by `keys`, in that order."""
    return [BY_KEY[key] for key in keys]


def all_but(*keys):
    """The conv mistakes, without those named by `keys`."""
    missing = set(keys) - set(BY_KEY)
    if missing:
        raise KeyError(f"no conv mistake {sorted(missing)}")
    return [m for m in CONV if m.key not in keys]
