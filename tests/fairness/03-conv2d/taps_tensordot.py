# %% conv2d_helpers
def pair(value, name):
    """(along H, along W) as NumPy integers."""
    arr = np.atleast_1d(np.asarray(value, dtype=np.int64))
    if arr.ndim != 1 or arr.size not in (1, 2):
        raise ValueError(f"{name} must be an int or a pair")
    arr = np.broadcast_to(arr, (2,))
    return arr[0], arr[1]


def padding_2d(padding, kernel_hw, stride, dilation):
    """((top, bottom), (left, right)) as NumPy integers."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((np.int64(0),) * 2,) * 2
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' requires stride 1")
            total = np.asarray(dilation) * (np.asarray(kernel_hw) - 1)
            lo = total // 2
            return tuple((a, b) for a, b in zip(lo, total - lo))
        raise ValueError("padding strings are 'valid' and 'same'")
    ph, pw = pair(padding, "padding")
    if min(ph, pw) < 0:
        raise ValueError("padding must be non-negative")
    return (ph, ph), (pw, pw)


def conv2d_setup(x, weight, bias, stride, padding, dilation, groups):
    """Check as PyTorch does; geometry as NumPy integers."""
    if x.ndim not in (3, 4) or weight.ndim != 4:
        raise ValueError("expected x (N, C, H, W) or (C, H, W), weight 4-D")
    xb = x.reshape((1,) * (4 - x.ndim) + x.shape)
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if min(stride) <= 0 or min(dilation) <= 0:
        raise ValueError("stride and dilation must be positive")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError("groups must be a positive int")
    if weight.shape[0] % groups or weight.shape[1] * groups != xb.shape[1]:
        raise ValueError("weight and groups do not match the input channels")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0]):
        raise ValueError("bias must have one value per output channel")
    kernel = np.asarray(weight.shape[2:])
    pads = padding_2d(padding, tuple(kernel), stride, dilation)
    padded = np.asarray(xb.shape[2:]) + np.asarray([sum(p) for p in pads])
    span = np.asarray(dilation) * (kernel - 1) + 1
    if np.any(padded < span):
        raise ValueError("the kernel does not fit")
    out_hw = (padded - span) // np.asarray(stride) + 1
    return xb, pads, stride, dilation, (out_hw[0], out_hw[1])


# %% conv2d_naive
def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Loops over n, o, i, j; the window is gathered with np.ix_."""
    xb, ((pt, pb), (pl, pr)), (sh, sw), (dh, dw), (ho, wo) = conv2d_setup(
        x, weight, bias, stride, padding, dilation, groups
    )
    out = np.zeros((xb.shape[0], weight.shape[0], ho, wo), dtype=x.dtype)
    xp = np.pad(xb, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    cg, kh, kw = weight.shape[1:]
    per = weight.shape[0] // groups
    for n in range(out.shape[0]):
        for o in range(out.shape[1]):
            chans = np.arange(cg) + (o // per) * cg
            for i in range(ho):
                for j in range(wo):
                    idx = np.ix_(
                        chans, i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)
                    )
                    total = (xp[n][idx] * weight[o]).sum()
                    out[n, o, i, j] = total if bias is None else total + bias[o]
    return out if x.ndim == 4 else out[0]


# %% conv2d
def window_view(xp, kernel_hw, stride, dilation, out_hw):
    """Windows via as_strided (unused by conv2d below, kept for the contract)."""
    sc, sh_, sw_ = xp.strides
    shape = (xp.shape[0], *kernel_hw, *out_hw)
    strides = (
        sc,
        sh_ * dilation[0],
        sw_ * dilation[1],
        sh_ * stride[0],
        sw_ * stride[1],
    )
    return np.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """One tensordot per kernel tap and group; padding by a zero array; x's dtype."""
    xb, ((pt, pb), (pl, pr)), (sh, sw), (dh, dw), (ho, wo) = conv2d_setup(
        x, weight, bias, stride, padding, dilation, groups
    )
    n, c, h, w = xb.shape
    c_out, cg, kh, kw = weight.shape
    xp = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    xp[:, :, pt : pt + h, pl : pl + w] = xb
    wt = weight.astype(x.dtype)
    per = c_out // groups
    y = np.zeros((n, c_out, ho, wo), dtype=x.dtype)
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        for p in range(kh):
            for q in range(kw):
                tap = xs[
                    :,
                    :,
                    p * dh : p * dh + (ho - 1) * sh + 1 : sh,
                    q * dw : q * dw + (wo - 1) * sw + 1 : sw,
                ]  # (N, cg, HO, WO)
                contrib = np.tensordot(
                    wt[g * per : (g + 1) * per, :, p, q], tap, ([1], [1])
                )
                y[:, g * per : (g + 1) * per] += contrib.transpose(1, 0, 2, 3)
    if bias is not None:
        y += bias.astype(x.dtype)[:, None, None]
    return y if x.ndim == 4 else y[0]
