# %% backward_helpers
def pair(value, name):
    """(along H, along W) as NumPy integers."""
    a = np.atleast_1d(np.asarray(value, dtype=np.int64))
    if a.ndim != 1 or len(a) not in (1, 2):
        raise ValueError(f"{name} must be an int or a pair")
    return tuple(np.resize(a, 2))


def padding_2d(padding, kernel_hw, stride, dilation):
    """((top, bottom), (left, right))."""
    if not isinstance(padding, str):
        ph, pw = pair(padding, "padding")
        if ph < 0 or pw < 0:
            raise ValueError("padding must be non-negative")
        return ((ph, ph), (pw, pw))
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError("'same' is for stride 1 only")
        t = [d * (k - 1) for k, d in zip(kernel_hw, dilation)]
        return tuple((a // 2, a - a // 2) for a in t)
    raise ValueError("padding must be an int, a pair, 'valid' or 'same'")


# %% conv2d_backward
def _windows(a, size, step):
    """(N, C, positions..., size...) windows of (N, C, H, W), every step-th tap."""
    v = np.lib.stride_tricks.sliding_window_view(a, size, axis=(2, 3))
    return v[..., :: step[0], :: step[1]]


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """grad_x as a transposed convolution (zeros inserted, kernel flipped and
    transposed); grad_weight as a correlation of the input with grad_out."""
    if x.ndim not in (3, 4) or grad_out.ndim != x.ndim or weight.ndim != 4:
        raise ValueError("x (N, C, H, W) or (C, H, W); grad_out alike; weight 4-D")
    xb = x.reshape((1,) * (4 - x.ndim) + x.shape).astype(np.float64)
    gb = grad_out.reshape((1,) * (4 - x.ndim) + grad_out.shape).astype(np.float64)
    (sh, sw), (dh, dw) = pair(stride, "stride"), pair(dilation, "dilation")
    if min(sh, sw, dh, dw) < 1 or groups < 1:
        raise ValueError("stride, dilation, groups must be >= 1")
    N, C, H, W = xb.shape
    O, CG, KH, KW = weight.shape
    if CG * groups != C or O % groups != 0:
        raise ValueError("weight does not match C_in and groups")
    (pt, pb), (pl, pr) = padding_2d(padding, (KH, KW), (sh, sw), (dh, dw))
    Hp, Wp = H + pt + pb, W + pl + pr
    eh, ew = dh * (KH - 1) + 1, dw * (KW - 1) + 1
    if Hp < eh or Wp < ew:
        raise ValueError("kernel does not fit in the padded input")
    HO, WO = (Hp - eh) // sh + 1, (Wp - ew) // sw + 1
    if gb.shape != (N, O, HO, WO):
        raise ValueError("grad_out must have the output's shape")
    G, OG = groups, O // groups
    w = weight.astype(np.float64).reshape(G, OG, CG, KH, KW)
    # grad of the padded input: grad_out with S-1 zeros between values,
    # padded by D(K-1) (and the rows the last window did not reach), then
    # correlated with the flipped kernel, channel axes swapped
    up = np.zeros((N, O, (HO - 1) * sh + 1, (WO - 1) * sw + 1))
    up[:, :, ::sh, ::sw] = gb
    zp = np.pad(
        up,
        (
            (0, 0),
            (0, 0),
            (eh - 1, Hp - up.shape[2]),
            (ew - 1, Wp - up.shape[3]),
        ),
    )
    win = _windows(zp, (eh, ew), (dh, dw)).reshape(N, G, OG, Hp, Wp, KH, KW)
    gxp = np.einsum("ngoijpq,gocpq->ngcij", win, w[..., ::-1, ::-1]).reshape(
        N, C, Hp, Wp
    )
    gx = gxp[:, :, pt : pt + H, pl : pl + W]
    # grad_weight[o, c, p, q] = sum over n, i, j of
    #     g[n, o, i, j] * xp[n, c, iS + pD, jS + qD]
    xp = np.pad(xb, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    span = ((HO - 1) * sh + 1, (WO - 1) * sw + 1)
    xw = _windows(xp, span, (sh, sw))[:, :, ::dh, ::dw][:, :, :KH, :KW]
    xw = xw.reshape(N, G, CG, KH, KW, HO, WO)
    gw = np.einsum("ngcpqij,ngoij->gocpq", xw, gb.reshape(N, G, OG, HO, WO))
    t = grad_out.dtype
    gx = gx if x.ndim == 4 else gx[0]
    return (
        gx.astype(t),
        gw.reshape(O, CG, KH, KW).astype(t),
        gb.sum((0, 2, 3)).astype(t),
    )


# %% max_pool2d_backward
def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Length of max_pool2d's output along one axis, with PyTorch's ceil_mode rule."""
    import math

    exact = (size + 2 * padding - dilation * (kernel - 1) - 1) / stride
    out = (math.ceil(exact) if ceil_mode else math.floor(exact)) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def max_pool2d_backward(
    grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """A one-hot mask of each window's first maximum, scattered tap by tap."""
    if x.ndim not in (3, 4) or grad_out.ndim != x.ndim or 0 in x.shape[-3:]:
        raise ValueError("x must be (N, C, H, W) or (C, H, W), non-empty")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    if min(*k, *s, *d) < 1 or min(p) < 0:
        raise ValueError("bad kernel, stride, dilation or padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError("padding above half the kernel")
    h, w = x.shape[-2:]
    ho = pool_output_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    wo = pool_output_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    if ho < 1 or wo < 1:
        raise ValueError("output size is too small")
    if grad_out.shape != x.shape[:-2] + (ho, wo):
        raise ValueError("grad_out has the wrong shape")
    hp = max(h + 2 * p[0], (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1)
    wp = max(w + 2 * p[1], (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1)
    xp = np.full(x.shape[:-2] + (hp, wp), -np.inf)
    xp[..., p[0] : p[0] + h, p[1] : p[1] + w] = x
    taps = [(a, b) for a in range(k[0]) for b in range(k[1])]

    def tap_slice(a, b):
        return (
            Ellipsis,
            slice(a * d[0], a * d[0] + (ho - 1) * s[0] + 1, s[0]),
            slice(b * d[1], b * d[1] + (wo - 1) * s[1] + 1, s[1]),
        )

    stack = np.stack([xp[tap_slice(a, b)] for a, b in taps])  # (K, ..., HO, WO)
    is_max = stack == stack.max(axis=0)
    first = is_max & (np.cumsum(is_max, axis=0) == 1)
    gxp = np.zeros(xp.shape)
    for t, (a, b) in enumerate(taps):
        gxp[tap_slice(a, b)] += np.where(first[t], grad_out, 0.0)
    return gxp[..., p[0] : p[0] + h, p[1] : p[1] + w].astype(grad_out.dtype)
