# %% depthwise_conv2d
def _pair(v):
    a = np.atleast_1d(np.asarray(v))
    if a.shape not in [(1,), (2,)]:
        raise ValueError("an int or a pair")
    return int(a[0]), int(a[-1])


def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """as_strided windows of the zero-filled padded input; computed in x's dtype."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    xb = x if x.ndim == 4 else x[None]
    c, h, w = xb.shape[1:]
    if weight.shape != (c, 1) + weight.shape[2:] or weight.ndim != 4:
        raise ValueError("weight must be (C, 1, KH, KW)")
    if bias is not None and bias.shape != (c,):
        raise ValueError("bias must be (C,)")
    kh, kw = weight.shape[2:]
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    if sh <= 0 or sw <= 0 or dh <= 0 or dw <= 0:
        raise ValueError("stride, dilation must be positive")
    if padding in ("same", "valid"):
        if padding == "same" and (sh, sw) != (1, 1):
            raise ValueError("'same' padding needs stride 1")
        th = dh * (kh - 1) if padding == "same" else 0
        tw = dw * (kw - 1) if padding == "same" else 0
        top, left = th // 2, tw // 2
        bottom, right = th - top, tw - left
    elif isinstance(padding, str):
        raise ValueError("unknown padding string")
    else:
        top, left = _pair(padding)
        if top < 0 or left < 0:
            raise ValueError("negative padding")
        bottom, right = top, left
    hp, wp = h + top + bottom, w + left + right
    ho = (hp - dh * (kh - 1) - 1) // sh + 1
    wo = (wp - dw * (kw - 1) - 1) // sw + 1
    if hp < dh * (kh - 1) + 1 or wp < dw * (kw - 1) + 1:
        raise ValueError("kernel larger than the padded input")
    xp = np.zeros((xb.shape[0], c, hp, wp), dtype=x.dtype)
    xp[:, :, top : top + h, left : left + w] = xb
    s = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp,
        shape=(xb.shape[0], c, ho, wo, kh, kw),
        strides=(s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw),
        writeable=False,
    )
    y = (win * weight[:, 0, None, None].astype(x.dtype)).sum(axis=(-2, -1))
    if bias is not None:
        y += bias.astype(x.dtype)[:, None, None]
    return y if x.ndim == 4 else y[0]


# %% pointwise_conv2d
def pointwise_conv2d(x, weight, bias=None):
    """Channels last, one matmul, channels back in front."""
    if x.ndim not in (3, 4) or weight.ndim != 4 or weight.shape[-2:] != (1, 1):
        raise ValueError("x (N, C, H, W) or (C, H, W); weight (C_out, C_in, 1, 1)")
    if weight.shape[1] != x.shape[-3]:
        raise ValueError("the weight's C_in differs from x's channels")
    last = np.moveaxis(x, -3, -1)  # (..., H, W, C_in)
    y = last @ weight[:, :, 0, 0].T  # (..., H, W, C_out)
    if bias is not None:
        if bias.shape != weight.shape[:1]:
            raise ValueError("bias must be (C_out,)")
        y = y + bias
    return np.moveaxis(y, -1, -3).astype(x.dtype)


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
    """depthwise_conv2d, then pointwise_conv2d."""
    y = depthwise_conv2d(
        x,
        depthwise_weight,
        depthwise_bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    return pointwise_conv2d(y, pointwise_weight, pointwise_bias)


# %% separable_parameter_counts
def separable_parameter_counts(c_in, c_out, kernel_size, bias=True):
    """A tuple of 0-d arrays."""
    kh, kw = _pair(kernel_size)
    with_bias = 1 if bias else 0
    standard = np.array(c_out * (c_in * kh * kw + with_bias))
    separable = np.array(c_in * (kh * kw + with_bias) + c_out * (c_in + with_bias))
    return standard, separable
