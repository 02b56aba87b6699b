"""Transposed convolution in NumPy, with the arguments of PyTorch's conv_transpose2d.

Two ways to compute it, which the chapter shows agree:

- ``conv_transpose2d`` scatters: every input value adds a scaled copy of the kernel
  to the output, the copies ``stride`` apart; ``padding`` then crops the border.
- ``conv_transpose2d_by_conv`` inserts ``stride - 1`` zeros between the inputs, pads
  by ``dilation * (K - 1) - padding`` and convolves with the flipped kernel.
"""

from __future__ import annotations

import numpy as np


def _pair(v):
    """(v, v) for an int (or NumPy integer), the pair itself otherwise."""
    if isinstance(v, tuple | list):
        return tuple(int(a) for a in v)
    return int(v), int(v)


def conv_transpose_output_size(
    size, kernel, stride=1, padding=0, output_padding=0, dilation=1
):
    """Output length of a transposed convolution along one axis."""
    return (
        (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    )


def _check(x_shape, w_shape, groups, output_padding, stride, dilation):
    """Refuse what PyTorch refuses: channels that do not fit, output_padding too big."""
    if x_shape[1] % groups or w_shape[0] != x_shape[1]:
        raise ValueError(f"weight {w_shape} does not fit {x_shape[1]} input channels")
    if any(o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation)):
        raise ValueError("output_padding must be smaller than stride or dilation")


def conv_transpose2d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
):
    """Transposed 2-D convolution, as torch.nn.functional.conv_transpose2d.

    Inputs:
    - x: array of shape (N, C_in, H, W)
    - weight: array of shape (C_in, C_out // groups, KH, KW)
    - bias: None or array of shape (C_out,)
    - stride, padding, output_padding, dilation: int or (int, int)
    - groups: int, dividing C_in and C_out

    Returns:
    - out: array of shape (N, C_out, H_out, W_out), with
      H_out = (H - 1) * SH - 2 * PH + DH * (KH - 1) + OPH + 1
      (likewise W_out)
    """
    x, weight = map(np.asarray, (x, weight))  # lists too
    S, P = _pair(stride), _pair(padding)
    OP, D = _pair(output_padding), _pair(dilation)
    _check(x.shape, weight.shape, groups, OP, S, D)
    N, C_in, H, W = x.shape
    _, C_out_g, KH, KW = weight.shape
    size = [
        conv_transpose_output_size(n, k, *args)
        for n, k, args in zip((H, W), (KH, KW), zip(S, P, OP, D))
    ]
    if min(size) <= 0:
        raise ValueError(f"output size {size} is not positive")
    # The output before `padding` crops it: every copy, and output_padding.
    full = np.zeros(
        (N, groups, C_out_g, size[0] + 2 * P[0], size[1] + 2 * P[1]),
        dtype=np.result_type(x, weight),
    )
    xg = x.reshape(N, groups, C_in // groups, H, W)
    wg = weight.reshape(groups, C_in // groups, C_out_g, KH, KW)
    for kh in range(KH):
        for kw in range(KW):
            # Input (i, j) adds to (i*S + kh*D, j*S + kw*D): a strided slice.
            r0, c0 = kh * D[0], kw * D[1]
            rows = slice(r0, r0 + (H - 1) * S[0] + 1, S[0])
            cols = slice(c0, c0 + (W - 1) * S[1] + 1, S[1])
            tap = wg[..., kh, kw]  # (groups, C_in // groups, C_out_g)
            full[..., rows, cols] += np.einsum("ngchw,gco->ngohw", xg, tap)
    out = full[..., P[0] : P[0] + size[0], P[1] : P[1] + size[1]]
    out = out.reshape(N, groups * C_out_g, *size)  # N may be 0: no -1
    if bias is not None:
        out = out + np.asarray(bias).reshape(1, -1, 1, 1)
    return out


def insert_zeros(x, stride):
    """x (N, C, H, W) with stride - 1 zeros between neighbouring values."""
    SH, SW = _pair(stride)
    N, C, H, W = x.shape
    out = np.zeros((N, C, (H - 1) * SH + 1, (W - 1) * SW + 1), dtype=x.dtype)
    out[..., ::SH, ::SW] = x
    return out


def conv2d_valid(x, w, dilation=1):
    """Cross-correlation, no padding, stride 1; w of shape (C_out, C_in, KH, KW)."""
    DH, DW = _pair(dilation)
    C_out, _, KH, KW = w.shape
    H_out = x.shape[2] - DH * (KH - 1)
    W_out = x.shape[3] - DW * (KW - 1)
    out = np.zeros((x.shape[0], C_out, H_out, W_out), dtype=np.result_type(x, w))
    for kh in range(KH):
        for kw in range(KW):
            patch = x[:, :, kh * DH : kh * DH + H_out, kw * DW : kw * DW + W_out]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, kh, kw])
    return out


def conv_transpose2d_by_conv(
    x, weight, stride=1, padding=0, output_padding=0, dilation=1
):
    """The same operation (groups=1, no bias) as zero insertion, then a convolution.

    Zeros between the inputs, D(K - 1) - P zeros around them (plus output_padding
    at the bottom and right), then a stride-1 convolution with the kernel flipped
    and its two channel axes swapped. A negative pad (P > D(K - 1)) crops instead.
    """
    x, weight = map(np.asarray, (x, weight))
    (PH, PW), (OH, OW) = _pair(padding), _pair(output_padding)
    DH, DW = _pair(dilation)
    KH, KW = weight.shape[2:]
    z = insert_zeros(x, stride)
    eh, ew = DH * (KH - 1), DW * (KW - 1)
    z = np.pad(z, ((0, 0), (0, 0), (eh, eh + OH), (ew, ew + OW)))
    z = z[:, :, PH : z.shape[2] - PH, PW : z.shape[3] - PW]
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    return conv2d_valid(z, flipped, dilation)
