# %% max_pool2d
def _pair(v, name, n=2):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise ValueError(f"{name} must be an int or a {n}-tuple")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _out_len(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length along one axis."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    if out < 1:
        raise ValueError("output size is too small")
    return out


def _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, dims=2):
    if x.ndim not in (dims + 1, dims + 2) or 0 in x.shape[x.ndim - dims - 1 :]:
        raise ValueError("bad input shape")
    k = _pair(kernel_size, "kernel_size", dims)
    s = k if stride is None else _pair(stride, "stride", dims)
    p = _pair(padding, "padding", dims)
    d = _pair(dilation, "dilation", dims)
    if min(k + s + d) < 1 or min(p) < 0:
        raise ValueError("kernel, stride, dilation must be positive")
    if any(2 * pp > kk for pp, kk in zip(p, k)):
        raise ValueError("pad should be at most half of kernel size")
    out = tuple(
        _out_len(n, *a, ceil_mode) for n, a in zip(x.shape[-dims:], zip(k, s, p, d))
    )
    return k, s, p, d, out


def _windows(x, k, s, p, d, out, fill):
    """(..., H_out, W_out, KH, KW) windows of x padded with `fill`."""
    widths = [(0, 0)] * (x.ndim - 2)
    for n, kk, ss, pp, dd, oo in zip(x.shape[-2:], k, s, p, d, out):
        need = (oo - 1) * ss + dd * (kk - 1) + 1
        widths.append((pp, max(pp, need - n - pp)))
    xp = np.pad(x, widths, constant_values=fill)
    span = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d))
    win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(-2, -1))
    return win[
        ...,
        : (out[0] - 1) * s[0] + 1 : s[0],
        : (out[1] - 1) * s[1] + 1 : s[1],
        :: d[0],
        :: d[1],
    ]


def max_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Max over sliding_window_view windows of the -inf padded input."""
    k, s, p, d, out = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    win = _windows(x, k, s, p, d, out, -np.inf)
    y = win.max(axis=(-2, -1)).astype(x.dtype)
    if not return_indices:
        return y
    flat = win.reshape(win.shape[:-2] + (k[0] * k[1],)).argmax(axis=-1)
    tap_r, tap_c = np.divmod(flat, k[1])
    rows = np.arange(out[0])[:, None] * s[0] - p[0] + tap_r * d[0]
    cols = np.arange(out[1])[None, :] * s[1] - p[1] + tap_c * d[1]
    return y, (rows * x.shape[-1] + cols).astype(np.int64)


# %% max_pool1d
def max_pool1d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """A 1-D input is a 2-D input of height 1."""
    if x.ndim not in (2, 3):
        raise ValueError("x must be (N, C, L) or (C, L)")
    one = [_pair(a, "argument", 1)[0] for a in (kernel_size, padding, dilation)]
    st = None if stride is None else (1, _pair(stride, "stride", 1)[0])
    res = max_pool2d(
        x[..., None, :],
        (1, one[0]),
        st,
        (0, one[1]),
        (1, one[2]),
        ceil_mode,
        return_indices,
    )
    if return_indices:
        return res[0][..., 0, :], res[1][..., 0, :]
    return res[..., 0, :]


# %% avg_pool2d
def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Window sums of the zero-padded input; divisors from windows of masks."""
    k, s, p, d, out = _geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    sums = _windows(x.astype(np.float64), k, s, p, d, out, 0.0).sum(axis=(-2, -1))
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("divisor_override must not be zero")
        return (sums / divisor_override).astype(x.dtype)
    h, w = x.shape[-2:]
    if count_include_pad:
        # the padded input's area counts, nothing beyond it
        mask = np.ones((h + 2 * p[0], w + 2 * p[1]))
        mask = np.pad(mask, ((0, k[0] + s[0] * out[0]), (0, k[1] + s[1] * out[1])))
        win = np.lib.stride_tricks.sliding_window_view(mask, k)
        div = win[:: s[0], :: s[1]][: out[0], : out[1]].sum(axis=(-2, -1))
    else:
        div = _windows(np.ones((h, w)), k, s, p, d, out, 0.0).sum(axis=(-2, -1))
    return (sums / div).astype(x.dtype)


# %% avg_pool1d
def avg_pool1d(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """Through avg_pool2d with a height-1 kernel."""
    if x.ndim not in (2, 3):
        raise ValueError("x must be (N, C, L) or (C, L)")
    kk = _pair(kernel_size, "kernel_size", 1)[0]
    pp = _pair(padding, "padding", 1)[0]
    st = None if stride is None else (1, _pair(stride, "stride", 1)[0])
    y = avg_pool2d(x[..., None, :], (1, kk), st, (0, pp), ceil_mode, count_include_pad)
    return y[..., 0, :]


# %% global_avg_pool2d
def global_avg_pool2d(x):
    """The mean over H and W, keeping both axes."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    return x.mean(axis=(-2, -1), keepdims=True).astype(x.dtype)


# %% avg_pool2d_as_conv
def avg_pool2d_as_conv(x, kernel_size):
    """A depthwise convolution with weights 1/(KH*KW) at stride (KH, KW)."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    kh, kw = _pair(kernel_size, "kernel_size")
    h, w = x.shape[-2:]
    if kh < 1 or kw < 1 or kh > h or kw > w:
        raise ValueError("the kernel does not fit")
    c = x.shape[-3]
    weight = np.full((c, kh, kw), 1.0 / (kh * kw))
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(-2, -1))
    win = win[..., ::kh, ::kw, :, :][..., : h // kh, : w // kw, :, :]
    return np.einsum("...cijpq,cpq->...cij", win, weight).astype(x.dtype)
