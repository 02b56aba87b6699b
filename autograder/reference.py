"""PyTorch references for the functions that students write.

Every reference takes NumPy arrays (and plain Python arguments, exactly as the
student's function does), computes in float64 on the CPU, and returns NumPy.
The only thing a reference changes about its inputs is their precision: a
float32 input is promoted so that the reference is as exact as it can be, and
the comparison then allows for the student's float32 rounding.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


class InvalidArguments(ValueError):
    """PyTorch refuses these arguments; the student's function must refuse them too."""


def _tensor(a):
    return None if a is None else torch.from_numpy(np.array(a, dtype=np.float64))


def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of the output of a 1-D convolution, read off PyTorch's own output.

    Raises InvalidArguments where PyTorch refuses the arguments (an output of
    length zero or less, or padding='same' with a stride above 1).
    """
    x = torch.zeros(1, 1, input_size, dtype=torch.float64)
    w = torch.zeros(1, 1, kernel_size, dtype=torch.float64)
    try:
        y = F.conv1d(x, w, stride=stride, padding=padding, dilation=dilation)
    except RuntimeError as err:
        raise InvalidArguments(str(err)) from None
    return int(y.shape[-1])


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv1d in float64; same arguments, NumPy in and out."""
    try:
        y = F.conv1d(
            _tensor(x), _tensor(weight), _tensor(bias), stride, padding, dilation, groups
        )
    except RuntimeError as err:
        raise InvalidArguments(str(err)) from None
    return y.numpy()


REFERENCES = {
    "conv_output_size": conv_output_size,
    "conv1d": conv1d,
}
