"""Assignment 02-output-size: conv_output_size and conv1d."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..registry import Mistake, call_torch, register, tensor
from ._conv import CONV, size_variant

CONV_OUTPUT_SIZE = [
    Mistake(
        "plus_one_missing",
        "the +1 is missing: (W + 2P - D(K-1) - 1) // S counts the steps "
        "between windows, not the windows",
        size_variant(lambda w, k, s, p, d: (w + 2 * p - d * (k - 1) - 1) // s),
    ),
    Mistake(
        "padding_counted_once",
        "the padding is counted once: P is added on both sides, so it enters as 2P",
        size_variant(lambda w, k, s, p, d: (w + p - d * (k - 1) - 1) // s + 1),
    ),
    Mistake(
        "dilation_ignored",
        "the dilation is ignored: a dilated kernel spans D(K-1) + 1 inputs",
        size_variant(lambda w, k, s, p, d: (w + 2 * p - k) // s + 1),
    ),
    Mistake(
        "division_rounds_up",
        "the division rounds up: a window that does not fit is not computed, "
        "so round down (//)",
        size_variant(lambda w, k, s, p, d: -(-(w + 2 * p - d * (k - 1) - 1) // s) + 1),
    ),
]


@register("conv_output_size", diagnoses=CONV_OUTPUT_SIZE)
def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of the output of a 1-D convolution, read off PyTorch's own output.

    Raises InvalidArguments where PyTorch refuses the arguments (an output of
    length zero or less, or padding='same' with a stride above 1).
    """
    x = torch.zeros(1, 1, input_size, dtype=torch.float64)
    w = torch.zeros(1, 1, kernel_size, dtype=torch.float64)
    y = call_torch(F.conv1d, x, w, stride=stride, padding=padding, dilation=dilation)
    return int(y.shape[-1])


@register("conv1d", diagnoses=CONV)
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv1d in float64; same arguments, NumPy in and out."""
    y = call_torch(
        F.conv1d,
        tensor(x),
        tensor(weight),
        tensor(bias),
        stride,
        padding,
        dilation,
        groups,
    )
    return y.numpy()
