# %% depthwise_conv2d
def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Each channel correlated with its kernel through 2-D FFTs."""
    unbatched = x.ndim == 3
    xb = x[None] if unbatched else x
    if xb.ndim != 4:
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    n, c, h, w = xb.shape
    if weight.ndim != 4 or weight.shape[0] != c or weight.shape[1] != 1:
        raise ValueError("weight must be (C, 1, KH, KW)")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != c):
        raise ValueError("bias must be (C,)")
    kh, kw = weight.shape[2:]
    sh, sw = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    dh, dw = dilation if isinstance(dilation, (tuple, list)) else (dilation, dilation)
    if sh < 1 or sw < 1 or dh < 1 or dw < 1:
        raise ValueError("stride and dilation must be positive")
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if isinstance(padding, str):
        if padding == "valid":
            pt = pb = pl = pr = 0
        elif padding == "same" and sh == 1 and sw == 1:
            pt, pl = (eh - 1) // 2, (ew - 1) // 2
            pb, pr = eh - 1 - pt, ew - 1 - pl
        else:
            raise ValueError("'same' needs stride 1; other strings are refused")
    else:
        ph, pw = padding if isinstance(padding, (tuple, list)) else (padding, padding)
        if ph < 0 or pw < 0:
            raise ValueError("negative padding")
        pt, pb, pl, pr = ph, ph, pw, pw
    hp, wp = h + pt + pb, w + pl + pr
    if hp < eh or wp < ew:
        raise ValueError("the kernel does not fit")
    ho, wo = (hp - eh) // sh + 1, (wp - ew) // sw + 1
    xp = np.zeros((n, c, hp, wp))
    xp[:, :, pt : pt + h, pl : pl + w] = xb
    kern = np.zeros((c, eh, ew))
    kern[:, ::dh, ::dw] = weight[:, 0]
    size = (hp + eh - 1, wp + ew - 1)
    spec = np.fft.rfft2(xp, size) * np.fft.rfft2(kern[:, ::-1, ::-1], size)
    full = np.fft.irfft2(spec, size)
    y = full[:, :, eh - 1 :: sh, ew - 1 :: sw][:, :, :ho, :wo]
    if bias is not None:
        y = y + bias[:, None, None]
    y = y.astype(x.dtype)
    return y[0] if unbatched else y


# %% pointwise_conv2d
def pointwise_conv2d(x, weight, bias=None):
    """(C_out, C_in) @ (C_in, H*W) for every image, via matmul broadcasting."""
    if x.ndim not in (3, 4) or weight.ndim != 4:
        raise ValueError("bad ranks")
    c_out, c_in, kh, kw = weight.shape
    if (kh, kw) != (1, 1):
        raise ValueError("pointwise weight must be 1 x 1")
    if x.shape[-3] != c_in:
        raise ValueError("channel mismatch")
    h, w = x.shape[-2:]
    flat = x.reshape(x.shape[:-3] + (c_in, h * w))
    y = np.matmul(weight.reshape(c_out, c_in), flat)
    if bias is not None:
        if bias.shape != (c_out,):
            raise ValueError("bias must be (C_out,)")
        y = y + bias[:, None]
    return y.reshape(x.shape[:-3] + (c_out, h, w)).astype(x.dtype)


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
    """The two steps, one after the other."""
    mid = depthwise_conv2d(
        x, depthwise_weight, depthwise_bias, stride, padding, dilation
    )
    return pointwise_conv2d(mid, pointwise_weight, pointwise_bias)


# %% separable_parameter_counts
def separable_parameter_counts(c_in, c_out, kernel_size, bias=True):
    """A list [standard, separable]."""
    if isinstance(kernel_size, (tuple, list)):
        kh, kw = kernel_size
    else:
        kh = kw = kernel_size
    extra_std = c_out if bias else 0
    extra_sep = c_in + c_out if bias else 0
    return [c_in * c_out * kh * kw + extra_std, c_in * (kh * kw + c_out) + extra_sep]
