# %% depthwise_conv2d
def _hw(v):
    """(H, W) of an int or a pair, as a tuple of ints."""
    out = tuple(v) if isinstance(v, (list, tuple)) else (v, v)
    if len(out) != 2:
        raise ValueError("an int or a pair is expected")
    return out


def _same_or_valid(padding, kernel, stride, dilation):
    if padding == "valid":
        return [(0, 0), (0, 0)]
    if padding != "same":
        raise ValueError("padding strings are 'valid' and 'same'")
    if any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    return [
        (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
        for k, d in zip(kernel, dilation)
    ]


def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """sliding_window_view, slicing for stride and dilation, einsum per channel."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    c = x.shape[-3]
    if weight.ndim != 4 or weight.shape[0] != c or weight.shape[1] != 1:
        raise ValueError(f"weight must be ({c}, 1, KH, KW)")
    if bias is not None and np.shape(bias) != (c,):
        raise ValueError("bias must have one value per channel")
    kernel = weight.shape[2:]
    stride, dilation = _hw(stride), _hw(dilation)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError("stride and dilation must be >= 1")
    if isinstance(padding, str):
        pads = _same_or_valid(padding, kernel, stride, dilation)
    else:
        ph, pw = _hw(padding)
        if ph < 0 or pw < 0:
            raise ValueError("padding must be >= 0")
        pads = [(ph, ph), (pw, pw)]
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + pads)
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if xp.shape[-2] < span[0] or xp.shape[-1] < span[1]:
        raise ValueError("kernel size can't be greater than the padded input")
    win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(-2, -1))
    win = win[..., :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]
    y = np.einsum("...cijpq,cpq->...cij", win, weight[:, 0])
    if bias is not None:
        y = y + np.asarray(bias)[:, None, None]
    return y.astype(x.dtype)


# %% pointwise_conv2d
def pointwise_conv2d(x, weight, bias=None):
    """tensordot over the channel axis, then the new axis moved into place."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C_in, H, W) or (C_in, H, W)")
    if weight.ndim != 4 or weight.shape[2] != 1 or weight.shape[3] != 1:
        raise ValueError("weight must be 1 x 1")
    if weight.shape[1] != x.shape[-3]:
        raise ValueError("weight does not match the input channels")
    y = np.tensordot(x, weight[:, :, 0, 0], axes=([x.ndim - 3], [1]))  # (..., H, W, O)
    y = np.moveaxis(y, -1, -3)
    if bias is not None:
        if np.shape(bias) != (weight.shape[0],):
            raise ValueError("bias must be (C_out,)")
        y = y + np.asarray(bias)[:, None, None]
    return y.astype(x.dtype)


# %% separable_conv2d
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
    """pointwise(depthwise(x))."""
    return pointwise_conv2d(
        depthwise_conv2d(
            x,
            depthwise_weight,
            depthwise_bias,
            stride=stride,
            padding=padding,
            dilation=dilation,
        ),
        pointwise_weight,
        pointwise_bias,
    )


# %% separable_parameter_counts
def separable_parameter_counts(c_in, c_out, kernel_size, bias=True):
    """A tuple of NumPy integers."""
    area = np.prod(np.broadcast_to(np.asarray(kernel_size, dtype=np.int64), (2,)))
    b = np.int64(bool(bias))
    standard = np.int64(c_out) * c_in * area + b * c_out
    depthwise = np.int64(c_in) * area + b * c_in
    pointwise = np.int64(c_out) * c_in + b * c_out
    return standard, depthwise + pointwise
