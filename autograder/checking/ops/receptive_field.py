"""Assignment 08-receptive-field: receptive field and jump, parameters and MACs.

The receptive field is measured, not computed from a formula: the reference
builds the stack as 1-D convolutions with all-one weights, back-propagates
from one output unit and reads which inputs received a gradient.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from ..registry import InvalidArguments, Mistake, register
from ._refusals import call_refusing

# --- receptive field ---------------------------------------------------------


def layer_geometry(layer):
    """(kernel_size, stride, dilation) of a layer given as a dict or a tuple."""
    if isinstance(layer, dict):
        k = layer["kernel_size"]
        return k, layer.get("stride", 1), layer.get("dilation", 1)
    k, s, d = (*layer, 1, 1)[:3]
    return k, s, d


def _stack(layers):
    convs = []
    for layer in layers:
        k, s, d = layer_geometry(layer)
        conv = torch.nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False)
        with torch.no_grad():
            conv.weight.fill_(1.0)  # all paths count, none cancels
        convs.append(conv.to(torch.float64))
    return torch.nn.Sequential(*convs)


def _input_gradient(stack, length, unit):
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(stack(x)[0, 0, unit], x)
    nonzero = torch.nonzero(grad[0, 0]).flatten()
    return int(nonzero[0]), int(nonzero[-1])


def _output_length(stack, length):
    with torch.no_grad():
        try:
            return stack(torch.zeros(1, 1, length, dtype=torch.float64)).shape[-1]
        except RuntimeError:  # the input is too short for the stack
            return 0


def _measured(layers):
    """(receptive field, jump) of a central output unit, by autograd."""
    stack = _stack(layers)
    length = 1
    while _output_length(stack, length) < 2:
        length *= 2
    length *= 2  # a few units more, so that one is central
    centre = _output_length(stack, length) // 2
    first, last = _input_gradient(stack, length, centre)
    before, _ = _input_gradient(stack, length, centre - 1)
    return last - first + 1, first - before


def _wrong_recurrence(jump="before", dilation=True):
    """rf = 1 + sum of D(K - 1) * J over the layers, with J or D taken wrongly.

    jump: "before" (right: the product of the strides before the layer),
    "after" (the layer's own stride included) or "none" (J = 1).
    """

    def variant(args):
        rf, before = 1, 1
        for k, s, d in map(layer_geometry, args["layers"]):
            factor = {"before": before, "after": before * s, "none": 1}[jump]
            rf += (d if dilation else 1) * (k - 1) * factor
            before *= s
        return rf, before

    return variant


RECEPTIVE_FIELD = [
    Mistake(
        "jump_forgotten",
        "the jump is forgotten: layer l's D(K - 1) counts positions of ITS input, "
        "which are J inputs apart, J = the product of the strides before layer l",
        _wrong_recurrence(jump="none"),
    ),
    Mistake(
        "jump_includes_own_stride",
        "the jump includes the layer's own stride: layer l adds D(K - 1) times "
        "the product of the strides BEFORE it",
        _wrong_recurrence(jump="after"),
    ),
    Mistake(
        "dilation_ignored",
        "the dilation is ignored: a dilated kernel spans D(K - 1) + 1 inputs",
        _wrong_recurrence(dilation=False),
    ),
]


@register("receptive_field", diagnoses=RECEPTIVE_FIELD)
def receptive_field(layers):
    """(receptive field, jump) of one output unit of a stack of layers."""
    try:
        return _measured(list(layers))
    except (RuntimeError, ValueError, TypeError, KeyError) as err:
        raise InvalidArguments(str(err)) from None


# --- parameters and MACs -----------------------------------------------------


def _conv2d_module(c_in, c_out, kernel_size, groups=1, bias=True):
    return call_refusing(
        torch.nn.Conv2d,
        c_in,
        c_out,
        kernel_size,
        groups=groups,
        bias=bias,
        device="meta",
    )


def _kernel_area(kernel_size):
    if isinstance(kernel_size, (tuple, list)):
        return kernel_size[0] * kernel_size[1]
    return kernel_size * kernel_size


COUNT_PARAMETERS = [
    Mistake(
        "bias_forgotten",
        "the bias is forgotten: a layer with bias=True has C_out biases",
        lambda a: {**a, "bias": False} if a["bias"] else None,
    ),
    Mistake(
        "bias_counted_when_false",
        "the bias is counted although bias=False",
        lambda a: {**a, "bias": True} if not a["bias"] else None,
    ),
    Mistake(
        "groups_ignored",
        "groups is ignored: each filter sees only C_in / groups input channels",
        lambda a: {**a, "groups": 1} if a["groups"] != 1 else None,
    ),
    Mistake(
        "int_kernel_size_one_dim",
        "an int kernel_size K means a K x K kernel: count K * K weights per "
        "channel pair, not K",
        lambda a: (
            a["c_out"] * (a["c_in"] // a["groups"]) * a["kernel_size"]
            + (a["c_out"] if a["bias"] else 0)
            if isinstance(a["kernel_size"], int) and a["kernel_size"] > 1
            else None
        ),
    ),
]


@register("count_parameters", diagnoses=COUNT_PARAMETERS)
def count_parameters(c_in, c_out, kernel_size, groups=1, bias=True):
    """Parameters of torch.nn.Conv2d(c_in, c_out, kernel_size, groups=, bias=)."""
    conv = _conv2d_module(c_in, c_out, kernel_size, groups, bias)
    return int(sum(p.numel() for p in conv.parameters()))


COUNT_MACS = [
    Mistake(
        "groups_ignored",
        "groups is ignored: each output value sums over C_in / groups input "
        "channels only",
        lambda a: {**a, "groups": 1} if a["groups"] != 1 else None,
    ),
    Mistake(
        "counts_flops",
        "this counts FLOPs, not MACs: one multiply-accumulate is two FLOPs, so "
        "MACs = FLOPs / 2",
        lambda a: 2 * count_macs(**a),
    ),
    Mistake(
        "int_sizes_one_dim",
        "an int kernel_size K means a K x K kernel, and an int output_size S an "
        "S x S output",
        lambda a: (
            a["c_out"]
            * (a["c_in"] // a["groups"])
            * (a["kernel_size"] if isinstance(a["kernel_size"], int) else 0)
            * (a["output_size"] if isinstance(a["output_size"], int) else 0)
            or None
        ),
    ),
]


@register("count_macs", diagnoses=COUNT_MACS)
def count_macs(c_in, c_out, kernel_size, output_size, groups=1):
    """Multiply-accumulates of one conv2d layer on one input, from FlopCounterMode.

    The layer runs on PyTorch's meta device (shapes only, no arithmetic), on an
    input just large enough to give output_size at stride 1 without padding.
    """
    conv = _conv2d_module(c_in, c_out, kernel_size, groups, bias=False)
    kh, kw = conv.kernel_size
    oh, ow = (
        output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    )
    if oh < 1 or ow < 1:
        raise InvalidArguments(f"output_size {output_size!r} is not positive")
    x = torch.empty(1, c_in, oh + kh - 1, ow + kw - 1, device="meta")
    with FlopCounterMode(display=False) as counter:
        F.conv2d(x, conv.weight, groups=groups)
    return int(counter.get_total_flops()) // 2
