# %% depthwise_conv2d
def _two(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name}: an int or a pair")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """A loop over the KH x KW taps; each tap scales a strided slice per channel."""
    squeeze = x.ndim == 3
    if squeeze:
        x = x[None]
    if x.ndim != 4:
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    n, c, h, w = x.shape
    if weight.ndim != 4 or weight.shape[:2] != (c, 1):
        raise ValueError("weight must be (C, 1, KH, KW)")
    if bias is not None and bias.shape != (c,):
        raise ValueError("bias must be (C,)")
    kh, kw = weight.shape[2:]
    sh, sw = _two(stride, "stride")
    dh, dw = _two(dilation, "dilation")
    if min(sh, sw, dh, dw) < 1:
        raise ValueError("stride and dilation must be positive")
    if padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("'same' needs stride 1")
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    elif isinstance(padding, str):
        raise ValueError("unknown padding")
    else:
        ph, pw = _two(padding, "padding")
        if min(ph, pw) < 0:
            raise ValueError("negative padding")
        pads = ((ph, ph), (pw, pw))
    xp = np.pad(x, ((0, 0), (0, 0)) + pads)
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    if xp.shape[2] < dh * (kh - 1) + 1 or xp.shape[3] < dw * (kw - 1) + 1:
        raise ValueError("the kernel does not fit")
    y = np.zeros((n, c, ho, wo))
    for p in range(kh):
        for q in range(kw):
            tap = xp[:, :, p * dh :: sh, q * dw :: sw][:, :, :ho, :wo]
            y += tap * weight[:, 0, p, q][:, None, None]
    if bias is not None:
        y += bias[:, None, None]
    y = y.astype(x.dtype)
    return y[0] if squeeze else y


# %% pointwise_conv2d
def pointwise_conv2d(x, weight, bias=None):
    """einsum over the channels at every pixel."""
    if x.ndim not in (3, 4) or weight.ndim != 4:
        raise ValueError("x must be 3-D or 4-D, weight 4-D")
    if weight.shape[2:] != (1, 1) or weight.shape[1] != x.shape[-3]:
        raise ValueError("weight must be (C_out, C_in, 1, 1)")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError("bias must be (C_out,)")
    y = np.einsum("oc,...chw->...ohw", weight[:, :, 0, 0], x)
    if bias is not None:
        y = y + bias[:, None, None]
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
    """Depthwise, then pointwise."""
    y = depthwise_conv2d(x, depthwise_weight, depthwise_bias, stride, padding, dilation)
    return pointwise_conv2d(y, pointwise_weight, pointwise_bias)


# %% separable_parameter_counts
def separable_parameter_counts(c_in, c_out, kernel_size, bias=True):
    """A tuple of Python ints."""
    kh, kw = _two(kernel_size, "kernel_size")
    b = 1 if bias else 0
    standard = c_out * c_in * kh * kw + b * c_out
    separable = c_in * kh * kw + b * c_in + c_out * c_in + b * c_out
    return standard, separable
