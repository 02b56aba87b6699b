"""Assignment 01-conv-vs-linear: the dense matrix of a 2-D convolution."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..registry import InvalidArguments, Mistake, call_torch, register, tensor
from ._conv import select


def _output_shape(weight, input_shape, stride, padding):
    """(C_out, H_out, W_out) of F.conv2d on one input of shape input_shape."""
    x = torch.zeros((1, *input_shape), dtype=torch.float64)
    y = call_torch(F.conv2d, x, tensor(weight), None, stride, padding)
    return tuple(y.shape[1:])


def _reordered(input_last, output_last):
    """The matrix for inputs and/or outputs flattened channels-last (H, W, C)."""

    def variant(args):
        m = conv2d_as_matrix(**args)
        c, h, w = args["input_shape"]
        co, ho, wo = _output_shape(
            args["weight"], args["input_shape"], args["stride"], args["padding"]
        )
        if (c == 1 or not input_last) and (co == 1 or not output_last):
            return None
        m = m.reshape(co, ho, wo, c, h, w)
        rows = (1, 2, 0) if output_last else (0, 1, 2)
        cols = (4, 5, 3) if input_last else (3, 4, 5)
        return m.transpose(*rows, *cols).reshape(co * ho * wo, c * h * w)

    return variant


CONV2D_AS_MATRIX = select("kernel_flipped", "stride_ignored", "padding_ignored") + [
    Mistake(
        "matrix_transposed",
        "the matrix is transposed: M has one ROW per output value "
        "(C_out * H_out * W_out rows) and one COLUMN per input value (C_in * H * W)",
        lambda a: conv2d_as_matrix(**a).T,
    ),
    Mistake(
        "input_flattened_channels_last",
        "the input is flattened channels-last: x.reshape(-1) of a (C, H, W) array "
        "puts the channel first, so column c*H*W + i*W + j is input (c, i, j)",
        _reordered(input_last=True, output_last=False),
    ),
    Mistake(
        "output_flattened_channels_last",
        "the output is flattened channels-last: row o*H_out*W_out + i*W_out + j "
        "is output (o, i, j)",
        _reordered(input_last=False, output_last=True),
    ),
    Mistake(
        "both_flattened_channels_last",
        "inputs and outputs are both flattened channels-last: PyTorch's order is "
        "(channel, row, column)",
        _reordered(input_last=True, output_last=True),
    ),
]


@register("conv2d_as_matrix", diagnoses=CONV2D_AS_MATRIX)
def conv2d_as_matrix(weight, input_shape, stride=1, padding=0):
    """The matrix M with M @ x.reshape(-1) == F.conv2d(x[None], weight).reshape(-1).

    Computed by convolving every vector of the identity basis: column j of M
    is the convolution of the input that is 1 at flat position j, 0 elsewhere.
    """
    try:
        c, h, w = (int(n) for n in input_shape)
    except (TypeError, ValueError):
        raise InvalidArguments(
            f"input_shape {input_shape!r} is not (C, H, W)"
        ) from None
    basis = torch.eye(c * h * w, dtype=torch.float64).reshape(-1, c, h, w)
    y = call_torch(F.conv2d, basis, tensor(weight), None, stride, padding)
    return y.reshape(c * h * w, -1).T.contiguous().numpy()
