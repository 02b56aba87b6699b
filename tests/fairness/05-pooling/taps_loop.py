# %% max_pool2d
def as_pair(v):
    if isinstance(v, (tuple, list)):
        if len(v) == 2:
            return v[0], v[1]
        if len(v) == 1:
            return v[0], v[0]
        raise ValueError("expected an int or a pair")
    return v, v


def pool_size(n, k, s, p, d, ceil_mode):
    """Output length along one axis (PyTorch's rule for ceil_mode)."""
    top = n + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = -(-top // s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
    else:
        out = top // s + 1
    return out


def check_pool(x, k, s, p, d, ceil_mode, nd):
    """Validate; return the output size per axis."""
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError("wrong input rank")
    if min(x.shape[-nd - 1 :]) == 0:
        raise ValueError("empty input axis")
    for kk, ss, pp, dd in zip(k, s, p, d):
        if kk < 1 or ss < 1 or dd < 1 or pp < 0:
            raise ValueError("kernel, stride, dilation must be >= 1")
        if 2 * pp > kk:
            raise ValueError("padding must be at most half the kernel")
    out = [pool_size(n, *a, ceil_mode) for n, a in zip(x.shape[-nd:], zip(k, s, p, d))]
    if min(out) <= 0:
        raise ValueError("output too small")
    return out


def max_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """A loop over the KH x KW taps: a running maximum (and where it came from)."""
    k = as_pair(kernel_size)
    s = k if stride is None else as_pair(stride)
    p, d = as_pair(padding), as_pair(dilation)
    ho, wo = check_pool(x, k, s, p, d, ceil_mode, 2)
    h, w = x.shape[-2:]
    # room for every window, -inf outside the input
    hp = max(h + 2 * p[0], (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1)
    wp = max(w + 2 * p[1], (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1)
    xp = np.full(x.shape[:-2] + (hp, wp), -np.inf, dtype=x.dtype)
    xp[..., p[0] : p[0] + h, p[1] : p[1] + w] = x
    best = np.full(x.shape[:-2] + (ho, wo), -np.inf, dtype=x.dtype)
    where = np.zeros(best.shape, dtype=np.int64)
    rows, cols = np.arange(ho) * s[0] - p[0], np.arange(wo) * s[1] - p[1]
    for a in range(k[0]):
        for b in range(k[1]):
            r0, c0 = a * d[0], b * d[1]
            tap = xp[
                ...,
                r0 : r0 + (ho - 1) * s[0] + 1 : s[0],
                c0 : c0 + (wo - 1) * s[1] + 1 : s[1],
            ]
            better = (tap > best) | (np.isnan(tap) & ~np.isnan(best))
            best = np.where(better, tap, best)
            here = (rows[:, None] + r0) * w + (cols[None, :] + c0)
            where = np.where(better, here, where)
    return (best, where) if return_indices else best


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
    """A loop over the K taps, in 1-D."""

    def one(v):
        if isinstance(v, (tuple, list)):
            if len(v) != 1:
                raise ValueError("expected an int or a 1-tuple")
            return v[0]
        return v

    k = one(kernel_size)
    s = k if stride is None else one(stride)
    p, d = one(padding), one(dilation)
    (lo,) = check_pool(x, (k,), (s,), (p,), (d,), ceil_mode, 1)
    n = x.shape[-1]
    size = max(n + 2 * p, (lo - 1) * s + d * (k - 1) + 1)
    xp = np.full(x.shape[:-1] + (size,), -np.inf, dtype=x.dtype)
    xp[..., p : p + n] = x
    best = np.full(x.shape[:-1] + (lo,), -np.inf, dtype=x.dtype)
    where = np.zeros(best.shape, dtype=np.int64)
    for t in range(k):
        tap = xp[..., t * d : t * d + (lo - 1) * s + 1 : s]
        better = (tap > best) | (np.isnan(tap) & ~np.isnan(best))
        best = np.where(better, tap, best)
        where = np.where(better, np.arange(lo) * s - p + t * d, where)
    return (best, where) if return_indices else best


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
    """Sum the taps one by one; count what each window covers the same way."""
    k = as_pair(kernel_size)
    s = k if stride is None else as_pair(stride)
    p = as_pair(padding)
    ho, wo = check_pool(x, k, s, p, (1, 1), ceil_mode, 2)
    h, w = x.shape[-2:]
    hp = max(h + 2 * p[0], (ho - 1) * s[0] + k[0])
    wp = max(w + 2 * p[1], (wo - 1) * s[1] + k[1])
    xp = np.zeros(x.shape[:-2] + (hp, wp), dtype=x.dtype)
    xp[..., p[0] : p[0] + h, p[1] : p[1] + w] = x
    # 1 where a window's position counts in the divisor
    counted = np.zeros((hp, wp))
    if count_include_pad:
        counted[: h + 2 * p[0], : w + 2 * p[1]] = 1.0
    else:
        counted[p[0] : p[0] + h, p[1] : p[1] + w] = 1.0
    total = np.zeros(x.shape[:-2] + (ho, wo), dtype=x.dtype)
    count = np.zeros((ho, wo))
    for a in range(k[0]):
        for b in range(k[1]):
            sl = (
                slice(a, a + (ho - 1) * s[0] + 1, s[0]),
                slice(b, b + (wo - 1) * s[1] + 1, s[1]),
            )
            total = total + xp[(Ellipsis,) + sl]
            count = count + counted[sl]
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("divisor_override must not be zero")
        count = divisor_override
    return (total / count).astype(x.dtype)


# %% avg_pool1d
def avg_pool1d(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """Sum the K taps; the divisor counted alongside."""

    def one(v):
        return v[0] if isinstance(v, (tuple, list)) and len(v) == 1 else v

    k = one(kernel_size)
    s = k if stride is None else one(stride)
    p = one(padding)
    if isinstance(k, (tuple, list)) or isinstance(s, (tuple, list)):
        raise ValueError("expected an int or a 1-tuple")
    if isinstance(p, (tuple, list)):
        raise ValueError("expected an int or a 1-tuple")
    (lo,) = check_pool(x, (k,), (s,), (p,), (1,), ceil_mode, 1)
    n = x.shape[-1]
    size = max(n + 2 * p, (lo - 1) * s + k)
    xp = np.zeros(x.shape[:-1] + (size,), dtype=x.dtype)
    xp[..., p : p + n] = x
    counted = np.zeros(size)
    if count_include_pad:
        counted[: n + 2 * p] = 1.0
    else:
        counted[p : p + n] = 1.0
    total = np.zeros(x.shape[:-1] + (lo,), dtype=x.dtype)
    count = np.zeros(lo)
    for t in range(k):
        total = total + xp[..., t : t + (lo - 1) * s + 1 : s]
        count = count + counted[t : t + (lo - 1) * s + 1 : s]
    return (total / count).astype(x.dtype)


# %% global_avg_pool2d
def global_avg_pool2d(x):
    """Sum the rows, then the columns, one loop each, in x's dtype."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    h, w = x.shape[-2:]
    acc = np.zeros(x.shape[:-2] + (1, 1), dtype=x.dtype)
    for i in range(h):
        acc += x[..., i : i + 1, :].sum(axis=-1, keepdims=True)
    return acc / x.dtype.type(h * w)


# %% avg_pool2d_as_conv
def avg_pool2d_as_conv(x, kernel_size):
    """A grouped convolution: one (KH, KW) kernel per channel, a loop over taps."""
    kh, kw = as_pair(kernel_size)
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    c, h, w = x.shape[-3:]
    ho, wo = h // kh, w // kw
    if ho < 1 or wo < 1:
        raise ValueError("the kernel does not fit")
    weight = np.full((c, kh, kw), 1.0 / (kh * kw))
    y = np.zeros(x.shape[:-2] + (ho, wo))
    for p in range(kh):
        for q in range(kw):
            tap = x[..., p : p + (ho - 1) * kh + 1 : kh, q : q + (wo - 1) * kw + 1 : kw]
            y += tap * weight[:, p, q][:, None, None]
    return y.astype(x.dtype)
