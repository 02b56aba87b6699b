"""Assignment 10-separable: depthwise, pointwise and separable convolutions."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

from ..registry import InvalidArguments, Mistake, call_torch, register, tensor
from ._conv import all_but
from .receptive_field import count_parameters

# --- depthwise ---------------------------------------------------------------


def _channels(x):
    return np.shape(x)[-3] if np.ndim(x) in (3, 4) else None


def _depthwise(x, weight, bias, stride, padding, dilation):
    c = _channels(x)
    if c is None or np.shape(weight)[:2] != (c, 1) or np.ndim(weight) != 4:
        raise InvalidArguments(
            f"a depthwise weight for {c} channels has shape ({c}, 1, KH, KW), "
            f"not {np.shape(weight)}"
        )
    y = call_torch(
        F.conv2d,
        tensor(x),
        tensor(weight),
        tensor(bias),
        stride,
        padding,
        dilation,
        c,
    )
    return y.numpy()


def _channels_mixed(args):
    """A depthwise conv that sums over the input channels (a dense conv)."""
    c = _channels(args["x"])
    if not c or c < 2:
        return None
    dense = np.repeat(np.asarray(args["weight"], dtype=np.float64), c, axis=1)
    y = call_torch(
        F.conv2d,
        tensor(args["x"]),
        tensor(dense),
        tensor(args["bias"]),
        args["stride"],
        args["padding"],
        args["dilation"],
    )
    return y.numpy()


DEPTHWISE = all_but("groups_ignored") + [
    Mistake(
        "channels_mixed",
        "the channels are mixed: a depthwise conv filters channel c with kernel "
        "weight[c, 0] alone, it does not sum over the channels",
        _channels_mixed,
    ),
]


@register("depthwise_conv2d", diagnoses=DEPTHWISE)
def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """F.conv2d with groups = channels and a (C, 1, KH, KW) weight, in float64."""
    return _depthwise(x, weight, bias, stride, padding, dilation)


# --- pointwise ---------------------------------------------------------------


def _pointwise(x, weight, bias):
    if np.ndim(weight) != 4 or np.shape(weight)[2:] != (1, 1):
        raise InvalidArguments(f"a pointwise weight is 1 x 1, not {np.shape(weight)}")
    return call_torch(F.conv2d, tensor(x), tensor(weight), tensor(bias)).numpy()


def _transposed_weight(args):
    w = np.asarray(args["weight"])
    if w.ndim != 4 or w.shape[0] != w.shape[1]:
        return None
    return {**args, "weight": w.transpose(1, 0, 2, 3)}


POINTWISE = [
    Mistake(
        "weight_transposed",
        "the weight is read as (C_in, C_out): weight[o, c, 0, 0] is what input "
        "channel c contributes to output channel o",
        _transposed_weight,
    ),
    Mistake(
        "bias_not_added",
        "the bias is not added",
        lambda a: {**a, "bias": None} if a["bias"] is not None else None,
    ),
]


@register("pointwise_conv2d", diagnoses=POINTWISE)
def pointwise_conv2d(x, weight, bias=None):
    """F.conv2d with a (C_out, C_in, 1, 1) weight, in float64."""
    return _pointwise(x, weight, bias)


# --- separable ---------------------------------------------------------------


def _separable(args):
    a = args
    y = _depthwise(
        a["x"],
        a["depthwise_weight"],
        a["depthwise_bias"],
        a["stride"],
        a["padding"],
        a["dilation"],
    )
    return _pointwise(y, a["pointwise_weight"], a["pointwise_bias"])


def _pointwise_first(args):
    a = args
    y = _pointwise(a["x"], a["pointwise_weight"], a["pointwise_bias"])
    return _depthwise(
        y,
        a["depthwise_weight"],
        a["depthwise_bias"],
        a["stride"],
        a["padding"],
        a["dilation"],
    )


def _ignored(name, *neutral):
    """The argument left at its neutral value, where it has another."""

    def variant(args):
        return None if args[name] in neutral else {**args, name: neutral[0]}

    return variant


def _bias_missing(name):
    return lambda a: None if a[name] is None else {**a, name: None}


def _flipped_depthwise(args):
    w = np.asarray(args["depthwise_weight"])
    flipped = np.flip(w, axis=(-2, -1))
    return None if np.array_equal(w, flipped) else {**args, "depthwise_weight": flipped}


SEPARABLE = [
    Mistake(
        "pointwise_first",
        "the pointwise conv comes first: a separable conv filters each channel "
        "(depthwise), THEN mixes the channels (pointwise)",
        _pointwise_first,
    ),
    Mistake(
        "depthwise_kernel_flipped",
        "the depthwise kernel is flipped: PyTorch's conv is a cross-correlation",
        _flipped_depthwise,
    ),
    Mistake("stride_ignored", "the stride is ignored", _ignored("stride", 1, (1, 1))),
    Mistake(
        "padding_ignored",
        "the padding is ignored",
        _ignored("padding", 0, (0, 0), "valid"),
    ),
    Mistake(
        "dilation_ignored", "the dilation is ignored", _ignored("dilation", 1, (1, 1))
    ),
    Mistake(
        "depthwise_bias_not_added",
        "the depthwise bias is not added",
        _bias_missing("depthwise_bias"),
    ),
    Mistake(
        "pointwise_bias_not_added",
        "the pointwise bias is not added",
        _bias_missing("pointwise_bias"),
    ),
]


@register("separable_conv2d", diagnoses=SEPARABLE)
def separable_conv2d(
    x,
    depthwise_weight,
    pointwise_weight,
    depthwise_bias=None,
    pointwise_bias=None,
    stride=1,
    padding=0,
    dilation=1,
):
    """A depthwise conv (groups = channels) then a 1 x 1 conv, in float64."""
    return _separable(
        {
            "x": x,
            "depthwise_weight": depthwise_weight,
            "pointwise_weight": pointwise_weight,
            "depthwise_bias": depthwise_bias,
            "pointwise_bias": pointwise_bias,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
        }
    )


# --- parameter counts ----------------------------------------------------------


def _counts(c_in, c_out, kernel_size, bias, depthwise_groups=None):
    groups = c_in if depthwise_groups is None else depthwise_groups
    standard = count_parameters(c_in, c_out, kernel_size, 1, bias)
    depthwise = count_parameters(c_in, c_in, kernel_size, groups, bias)
    return standard, depthwise + count_parameters(c_in, c_out, 1, 1, bias)


def _one_bias_missing(which):
    def variant(args):
        if not args["bias"]:
            return None
        standard, separable = separable_parameter_counts(**args)
        return standard, separable - (
            args["c_in"] if which == "depthwise" else args["c_out"]
        )

    return variant


SEPARABLE_COUNTS = [
    Mistake(
        "depthwise_counted_full",
        "the depthwise conv is counted as a full conv: it has one KH x KW kernel "
        "per input channel (groups = C_in), C_in * KH * KW weights",
        lambda a: (
            _counts(a["c_in"], a["c_out"], a["kernel_size"], a["bias"], 1)
            if a["c_in"] > 1
            else None
        ),
    ),
    Mistake(
        "biases_forgotten",
        "the biases are forgotten: with bias=True each of the three convs has "
        "one bias per output channel",
        lambda a: {**a, "bias": False} if a["bias"] else None,
    ),
    Mistake(
        "depthwise_bias_forgotten",
        "the depthwise conv's bias (C_in values) is forgotten",
        _one_bias_missing("depthwise"),
    ),
    Mistake(
        "pointwise_bias_forgotten",
        "the pointwise conv's bias (C_out values) is forgotten",
        _one_bias_missing("pointwise"),
    ),
]


@register("separable_parameter_counts", diagnoses=SEPARABLE_COUNTS)
def separable_parameter_counts(c_in, c_out, kernel_size, bias=True):
    """(standard, separable) parameter counts of torch.nn.Conv2d modules."""
    return _counts(c_in, c_out, kernel_size, bias)
