# %% backward_helpers
def pair(value, name):
    """(along H, along W)."""
    if isinstance(value, (tuple, list)):
        if len(value) not in (1, 2):
            raise ValueError(f"{name} must be an int or a pair")
        return (int(value[0]), int(value[-1]))
    return (int(value), int(value))


def padding_2d(padding, kernel_hw, stride, dilation):
    """((top, bottom), (left, right))."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"invalid padding string {padding!r}")
        if tuple(stride) != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for k, d in zip(kernel_hw, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError("negative padding is not supported")
    return ((ph, ph), (pw, pw))


def conv_geometry(grad_out, x, weight, stride, padding, dilation, groups):
    """Checks as PyTorch does; batched arrays and the geometry."""
    if x.ndim not in (3, 4) or weight.ndim != 4 or grad_out.ndim != x.ndim:
        raise ValueError("x (N, C, H, W) or (C, H, W), weight 4-D, grad_out like x")
    xb = x if x.ndim == 4 else x[None]
    gb = grad_out if grad_out.ndim == 4 else grad_out[None]
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1 or groups < 1:
        raise ValueError("stride, dilation and groups must be positive")
    c_out, cg, kh, kw = weight.shape
    if xb.shape[1] != cg * groups or c_out % groups:
        raise ValueError("the channels do not match groups")
    pads = padding_2d(padding, (kh, kw), stride, dilation)
    out = []
    for n, (a, b), k, s, d in zip(xb.shape[2:], pads, (kh, kw), stride, dilation):
        if n + a + b < d * (k - 1) + 1:
            raise ValueError("the kernel does not fit")
        out.append((n + a + b - d * (k - 1) - 1) // s + 1)
    if gb.shape != (xb.shape[0], c_out, *out):
        raise ValueError(f"grad_out has shape {grad_out.shape}, the output another")
    return xb, gb, pads, stride, dilation, tuple(out)


# %% conv2d_backward
def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """A loop over the taps: gather for grad_weight, scatter (+=) for grad_x."""
    xb, gb, pads, (sh, sw), (dh, dw), (ho, wo) = conv_geometry(
        grad_out, x, weight, stride, padding, dilation, groups
    )
    dtype = grad_out.dtype
    n, c, h, w = xb.shape
    c_out, cg, kh, kw = weight.shape
    og = c_out // groups
    xp = np.pad(xb.astype(np.float64), ((0, 0), (0, 0)) + tuple(pads))
    gx = np.zeros_like(xp)
    g = gb.astype(np.float64).reshape(n, groups, og, ho, wo)
    wg = weight.astype(np.float64).reshape(groups, og, cg, kh, kw)
    gw = np.zeros((groups, og, cg, kh, kw))
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + (ho - 1) * sh + 1, sh)
            cols = slice(q * dw, q * dw + (wo - 1) * sw + 1, sw)
            tap = xp[:, :, rows, cols].reshape(n, groups, cg, ho, wo)
            gw[:, :, :, p, q] = np.einsum("ngoij,ngcij->goc", g, tap)
            back = np.einsum("ngoij,goc->ngcij", g, wg[:, :, :, p, q])
            gx[:, :, rows, cols] += back.reshape(n, c, ho, wo)
    (top, _), (left, _) = pads
    gx = gx[:, :, top : top + h, left : left + w]
    gx = gx if x.ndim == 4 else gx[0]
    gbias = gb.sum(axis=(0, 2, 3))
    return gx.astype(dtype), gw.reshape(weight.shape).astype(dtype), gbias.astype(dtype)


# %% max_pool2d_backward
def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Length of max_pool2d's output along one axis, with PyTorch's ceil_mode rule."""
    top = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (top + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def max_pool2d_backward(
    grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """argmax of each window (a view of the -inf padded input), then np.add.at."""
    if x.ndim not in (3, 4) or grad_out.ndim != x.ndim or 0 in x.shape[-3:]:
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    if min(k + s + d) < 1 or min(p) < 0 or any(2 * a > b for a, b in zip(p, k)):
        raise ValueError("invalid kernel, stride, padding or dilation")
    h, w = x.shape[-2:]
    out = [pool_output_size(*a, ceil_mode) for a in zip((h, w), k, s, p, d)]
    if min(out) < 1:
        raise ValueError("output size is too small")
    if grad_out.shape != x.shape[:-2] + tuple(out):
        raise ValueError("grad_out does not have the output's shape")
    need = [(o - 1) * ss + dd * (kk - 1) + 1 for o, ss, dd, kk in zip(out, s, d, k)]
    widths = [(pp, max(pp, nd - n - pp)) for pp, nd, n in zip(p, need, (h, w))]
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + widths, constant_values=-np.inf)
    span = [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(-2, -1))
    win = win[..., :: s[0], :: s[1], :: d[0], :: d[1]][..., : out[0], : out[1], :, :]
    flat = win.reshape(win.shape[:-2] + (k[0] * k[1],))
    at = flat.argmax(axis=-1)  # the first maximum, as PyTorch picks
    r = np.arange(out[0])[:, None] * s[0] + (at // k[1]) * d[0] - p[0]
    c = np.arange(out[1])[None, :] * s[1] + (at % k[1]) * d[1] - p[1]
    lead = x.shape[:-2]
    grad = np.zeros(lead + (h * w,), dtype=np.float64)
    n_planes = int(np.prod(lead))
    planes = grad.reshape(n_planes, h * w)
    index = (r * w + c).reshape(n_planes, out[0] * out[1])
    rows = np.repeat(np.arange(n_planes), out[0] * out[1])
    np.add.at(planes, (rows, index.ravel()), grad_out.reshape(-1))
    return grad.reshape(x.shape).astype(grad_out.dtype)
