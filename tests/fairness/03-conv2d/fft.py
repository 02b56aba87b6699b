# %% conv2d_helpers
def pair(value, name):
    """Pairs as lists: [along H, along W]."""
    try:
        items = list(value)
    except TypeError:
        return [value, value]
    if len(items) not in (1, 2):
        raise ValueError(f"{name} must have one or two values")
    return items * (3 - len(items)) if len(items) == 1 else items


def padding_2d(padding, kernel_hw, stride, dilation):
    """[[top, bottom], [left, right]]."""
    if padding in ("valid", "same"):
        if padding == "same" and list(stride) != [1, 1]:
            raise ValueError("same padding with a stride above 1")
        if padding == "valid":
            return [[0, 0], [0, 0]]
        totals = [d * (k - 1) for k, d in zip(kernel_hw, dilation)]
        return [[t // 2, t - t // 2] for t in totals]
    if isinstance(padding, str):
        raise ValueError("bad padding string")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError("negative padding")
    return [[ph, ph], [pw, pw]]


def conv2d_setup(x, weight, bias, stride, padding, dilation, groups):
    """Checks; xb, pads, stride, dilation, out_hw (lists, not tuples)."""
    if x.ndim == 3:
        xb = x[np.newaxis]
    elif x.ndim == 4:
        xb = x
    else:
        raise ValueError("x must have 3 or 4 axes")
    if weight.ndim != 4:
        raise ValueError("weight must have 4 axes")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if any(v < 1 for v in stride + dilation) or groups < 1:
        raise ValueError("stride, dilation, groups must be at least 1")
    if xb.shape[1] % groups or weight.shape[0] % groups:
        raise ValueError("groups must divide C_in and C_out")
    if xb.shape[1] // groups != weight.shape[1]:
        raise ValueError("weight.shape[1] must be C_in // groups")
    if bias is not None and list(bias.shape) != [weight.shape[0]]:
        raise ValueError("bias must be (C_out,)")
    pads = padding_2d(padding, weight.shape[2:], stride, dilation)
    out_hw = [
        (n + sum(p) - d * (k - 1) - 1) // s + 1
        for n, p, k, s, d in zip(xb.shape[2:], pads, weight.shape[2:], stride, dilation)
    ]
    if min(out_hw) < 1 or any(
        n + sum(p) < d * (k - 1) + 1
        for n, p, k, d in zip(xb.shape[2:], pads, weight.shape[2:], dilation)
    ):
        raise ValueError("the kernel does not fit in the padded input")
    return xb, pads, stride, dilation, out_hw


# %% conv2d_naive
def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Loops over image, group, output channel and output position (np.vdot)."""
    xb, pads, (sh, sw), (dh, dw), (ho, wo) = conv2d_setup(
        x, weight, bias, stride, padding, dilation, groups
    )
    n_img, c_in, h, w = xb.shape
    c_out, cg, kh, kw = weight.shape
    xp = np.zeros((n_img, c_in, h + sum(pads[0]), w + sum(pads[1])))
    xp[:, :, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + w] = xb
    per = c_out // groups
    y = np.empty((n_img, c_out, ho, wo))
    rows = np.arange(kh) * dh
    cols = np.arange(kw) * dw
    for n in range(n_img):
        for g in range(groups):
            chans = xp[n, g * cg : (g + 1) * cg]
            for o in range(g * per, (g + 1) * per):
                for i in range(ho):
                    for j in range(wo):
                        win = chans[:, i * sh + rows][:, :, j * sw + cols]
                        y[n, o, i, j] = np.vdot(win, weight[o]) + (
                            0.0 if bias is None else bias[o]
                        )
    y = y.astype(x.dtype)
    return y[0] if x.ndim == 3 else y


# %% conv2d
def window_view(xp, kernel_hw, stride, dilation, out_hw):
    """The windows by sliding_window_view, then slicing (a view)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel_hw, stride, dilation, out_hw
    v = np.lib.stride_tricks.sliding_window_view(
        xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(1, 2)
    )
    v = v[:, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, ::dh, ::dw]
    return v.transpose(0, 3, 4, 1, 2)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Correlation through 2-D real FFTs, then every stride-th value.

    The kernel is dilated by inserting zeros; the product of spectra sums over
    the input channels of each group; the output is cast to x's dtype at the end.
    """
    xb, pads, (sh, sw), (dh, dw), (ho, wo) = conv2d_setup(
        x, weight, bias, stride, padding, dilation, groups
    )
    n_img, c_in, h, w = xb.shape
    c_out, cg, kh, kw = weight.shape
    xp = np.pad(xb.astype(np.float64), [(0, 0), (0, 0), pads[0], pads[1]])
    hp, wp = xp.shape[2:]
    ek = np.zeros((c_out, cg, (kh - 1) * dh + 1, (kw - 1) * dw + 1))
    ek[:, :, ::dh, ::dw] = weight
    # the correlation of xp with ek equals the convolution with ek flipped
    shape = (hp + ek.shape[2] - 1, wp + ek.shape[3] - 1)
    fx = np.fft.rfft2(xp, s=shape)
    nf = fx.shape[-1]
    fx = fx.reshape(n_img, groups, cg, shape[0], nf)
    fk = np.fft.rfft2(ek[:, :, ::-1, ::-1], s=shape)
    fk = fk.reshape(groups, c_out // groups, cg, shape[0], nf)
    fy = np.einsum("ngcuv,gocuv->ngouv", fx, fk, optimize=True)
    full = np.fft.irfft2(fy.reshape(n_img, c_out, shape[0], nf), s=shape)
    oh, ow = ek.shape[2] - 1, ek.shape[3] - 1  # offset of the "valid" part
    y = full[:, :, oh : oh + (ho - 1) * sh + 1 : sh, ow : ow + (wo - 1) * sw + 1 : sw]
    if bias is not None:
        y = y + bias[:, None, None]
    y = y.astype(x.dtype)
    return y[0] if x.ndim == 3 else y
