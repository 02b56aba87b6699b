# %% max_pool2d
def _hw(value, label):
    """(H, W) from an int or a pair; NumPy integers kept as they are."""
    if isinstance(value, (list, tuple)):
        if len(value) not in (1, 2):
            raise ValueError(f"{label}: an int or a pair")
        return (value[0], value[-1])
    return (value, value)


def _windows_1d(n, k, s, p, d, ceil_mode):
    """Start of each window along one axis (in unpadded coordinates).

    Window i starts at i*s in the padded input and reaches T = n + 2p - span
    at the latest; with ceil_mode, a window may also run past the padded input
    if the one before it did not reach its end, unless it starts in the right
    padding (at or after n + p).
    """
    if k < 1 or s < 1 or d < 1:
        raise ValueError("kernel_size, stride and dilation must be positive")
    if p < 0 or 2 * p > k:
        raise ValueError("padding must be between 0 and half the kernel")
    last = n + 2 * p - (d * (k - 1) + 1)
    starts = []
    i = 0
    while True:
        if ceil_mode:
            fits = (i - 1) * s < last and i * s < n + p
        else:
            fits = i * s <= last
        if not fits:
            break
        starts.append(i * s - p)
        i += 1
    if not starts:
        raise ValueError("output size is too small")
    return starts


def max_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Loops over the output positions; each window gathered by index arrays."""
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise ValueError("x must be (N, C, H, W) or (C, H, W), non-empty")
    (kh, kw), (ph, pw), (dh, dw) = (
        _hw(kernel_size, "kernel_size"),
        _hw(padding, "padding"),
        _hw(dilation, "dilation"),
    )
    sh, sw = (kh, kw) if stride is None else _hw(stride, "stride")
    h, w = x.shape[-2:]
    rows = _windows_1d(h, kh, sh, ph, dh, ceil_mode)
    cols = _windows_1d(w, kw, sw, pw, dw, ceil_mode)
    y = np.empty(x.shape[:-2] + (len(rows), len(cols)), dtype=x.dtype)
    idx = np.empty(y.shape, dtype=np.int64)
    for i, r in enumerate(rows):
        rr = r + dh * np.arange(kh)
        r_first = rr[rr >= 0][:1]  # where PyTorch points an all-padding window
        rr = rr[(rr >= 0) & (rr < h)]
        for j, c in enumerate(cols):
            cc = c + dw * np.arange(kw)
            c_first = cc[cc >= 0][:1]
            cc = cc[(cc >= 0) & (cc < w)]
            if len(rr) == 0 or len(cc) == 0:
                # the window holds only padding: -inf, as PyTorch gives
                y[..., i, j] = -np.inf
                idx[..., i, j] = r_first[0] * w + c_first[0]
                continue
            window = x[..., rr[:, None], cc[None, :]]
            window = window.reshape(x.shape[:-2] + (len(rr) * len(cc),))
            at = np.argmax(window, axis=-1)
            y[..., i, j] = np.take_along_axis(window, at[..., None], -1)[..., 0]
            idx[..., i, j] = rr[at // len(cc)] * w + cc[at % len(cc)]
    return (y, idx) if return_indices else y


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
    """A loop over the output positions."""
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise ValueError("x must be (N, C, L) or (C, L), non-empty")
    args = []
    for v in (kernel_size, stride, padding, dilation):
        if isinstance(v, (tuple, list)):
            if len(v) != 1:
                raise ValueError("expected an int or a 1-tuple")
            v = v[0]
        args.append(v)
    k, s, p, d = args
    s = k if s is None else s
    n = x.shape[-1]
    starts = _windows_1d(n, k, s, p, d, ceil_mode)
    y = np.empty(x.shape[:-1] + (len(starts),), dtype=x.dtype)
    idx = np.empty(y.shape, dtype=np.int64)
    for i, start in enumerate(starts):
        taps = start + d * np.arange(k)
        first = taps[taps >= 0][:1]
        taps = taps[(taps >= 0) & (taps < n)]
        if len(taps) == 0:  # only padding: -inf, as PyTorch gives
            y[..., i], idx[..., i] = -np.inf, first[0]
            continue
        window = x[..., taps]
        at = window.argmax(axis=-1)
        y[..., i] = np.take_along_axis(window, at[..., None], -1)[..., 0]
        idx[..., i] = taps[at]
    return (y, idx) if return_indices else y


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
    """Window sums from a summed-area table (cumsum), divisors from the bounds."""
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise ValueError("x must be (N, C, H, W) or (C, H, W), non-empty")
    kh, kw = _hw(kernel_size, "kernel_size")
    sh, sw = (kh, kw) if stride is None else _hw(stride, "stride")
    ph, pw = _hw(padding, "padding")
    h, w = x.shape[-2:]
    rows = np.array(_windows_1d(h, kh, sh, ph, 1, ceil_mode))
    cols = np.array(_windows_1d(w, kw, sw, pw, 1, ceil_mode))
    table = np.zeros(x.shape[:-2] + (h + 1, w + 1))
    table[..., 1:, 1:] = x.astype(np.float64).cumsum(-2).cumsum(-1)
    r0, r1 = np.clip(rows, 0, h), np.clip(rows + kh, 0, h)
    c0, c1 = np.clip(cols, 0, w), np.clip(cols + kw, 0, w)
    sums = (
        table[..., r1[:, None], c1[None, :]]
        - table[..., r0[:, None], c1[None, :]]
        - table[..., r1[:, None], c0[None, :]]
        + table[..., r0[:, None], c0[None, :]]
    )
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("divisor_override must not be zero")
        return (sums / divisor_override).astype(x.dtype)
    if count_include_pad:
        rows_n = np.minimum(rows + kh, h + ph) - rows
        cols_n = np.minimum(cols + kw, w + pw) - cols
    else:
        rows_n, cols_n = r1 - r0, c1 - c0
    return (sums / np.multiply.outer(rows_n, cols_n)).astype(x.dtype)


# %% avg_pool1d
def avg_pool1d(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """A loop over the output positions."""
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise ValueError("x must be (N, C, L) or (C, L), non-empty")
    k, s, p = (
        v[0] if isinstance(v, (tuple, list)) and len(v) == 1 else v
        for v in (kernel_size, stride, padding)
    )
    if any(isinstance(v, (tuple, list)) for v in (k, s, p)):
        raise ValueError("expected an int or a 1-tuple")
    s = k if s is None else s
    n = x.shape[-1]
    starts = _windows_1d(n, k, s, p, 1, ceil_mode)
    y = np.empty(x.shape[:-1] + (len(starts),), dtype=x.dtype)
    for i, start in enumerate(starts):
        lo, hi = max(start, 0), min(start + k, n)
        total = x[..., lo:hi].astype(np.float64).sum(axis=-1)
        div = min(start + k, n + p) - start if count_include_pad else hi - lo
        y[..., i] = total / div
    return y


# %% global_avg_pool2d
def global_avg_pool2d(x):
    """einsum sums each channel; keep the pooled axes with size 1."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    h, w = x.shape[-2:]
    total = np.einsum("...hw->...", x.astype(np.float64))
    return (total / (h * w))[..., None, None].astype(x.dtype)


# %% avg_pool2d_as_conv
def avg_pool2d_as_conv(x, kernel_size):
    """Loops over the output positions; each one a window times the weight."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    kh, kw = _hw(kernel_size, "kernel_size")
    c, h, w = x.shape[-3:]
    if not (1 <= kh <= h and 1 <= kw <= w):
        raise ValueError("the kernel does not fit in the input")
    weight = np.full((c, kh, kw), 1.0 / (kh * kw))
    y = np.empty(x.shape[:-2] + (h // kh, w // kw))
    for i in range(h // kh):
        for j in range(w // kw):
            window = x[..., i * kh : (i + 1) * kh, j * kw : (j + 1) * kw]
            y[..., i, j] = (window * weight).sum(axis=(-2, -1))
    return y.astype(x.dtype)
