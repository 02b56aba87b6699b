"""Assignment 03-conv2d: conv2d_naive and conv2d, both torch.nn.functional.conv2d."""

from __future__ import annotations

import torch.nn.functional as F

from ..registry import call_torch, register, tensor
from ._conv import CONV


def _conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv2d in float64; same arguments, NumPy in and out."""
    y = call_torch(
        F.conv2d,
        tensor(x),
        tensor(weight),
        tensor(bias),
        stride,
        padding,
        dilation,
        groups,
    )
    return y.numpy()


# The loop version and the vectorised one have the same contract, hence the same
# reference; they are registered apart so that each part names its own function.
conv2d_naive = register("conv2d_naive", diagnoses=CONV)(_conv2d)
conv2d = register("conv2d", diagnoses=CONV)(_conv2d)
