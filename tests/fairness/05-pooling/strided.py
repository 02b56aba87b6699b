# %% max_pool2d
import math


def _ints(value, n, name):
    """n ints from an int or a sequence of 1 or n ints (a list, not a tuple)."""
    if np.ndim(value) == 0:
        return [int(value)] * n
    value = [int(v) for v in value]
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise ValueError(f"{name}: expected {n} values")
    return value


def _length(size, k, s, p, d, ceil_mode):
    span = d * (k - 1) + 1
    frac = (size + 2 * p - span) / s
    out = (math.ceil(frac) if ceil_mode else math.floor(frac)) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window would start in the right padding
    return out


def _plan(x, spatial, kernel_size, stride, padding, dilation, ceil_mode):
    """Checks; per-axis lists k, s, p, d and output lengths."""
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"expected a {spatial + 1}-D or {spatial + 2}-D input")
    if any(n == 0 for n in x.shape[-spatial - 1 :]):
        raise ValueError("empty channel or spatial axis")
    k = _ints(kernel_size, spatial, "kernel_size")
    s = k if stride is None else _ints(stride, spatial, "stride")
    p = _ints(padding, spatial, "padding")
    d = _ints(dilation, spatial, "dilation")
    if min(k) <= 0 or min(s) <= 0 or min(d) <= 0 or min(p) < 0:
        raise ValueError("non-positive kernel, stride or dilation")
    if any(pp > kk // 2 for pp, kk in zip(p, k)):
        raise ValueError("padding larger than half the kernel")
    out = [
        _length(n, *a, ceil_mode) for n, a in zip(x.shape[-spatial:], zip(k, s, p, d))
    ]
    if min(out) < 1:
        raise ValueError("output size is too small")
    return k, s, p, d, out


def _strided(x, spatial, k, s, p, d, out, fill):
    """(lead..., out..., k...) windows by as_strided on a filled copy."""
    lead = x.shape[:-spatial]
    sizes = [
        max(n + 2 * pp, (o - 1) * ss + dd * (kk - 1) + 1)
        for n, kk, ss, pp, dd, o in zip(x.shape[-spatial:], k, s, p, d, out)
    ]
    buf = np.full(lead + tuple(sizes), fill, dtype=x.dtype)
    buf[
        (Ellipsis,) + tuple(slice(pp, pp + n) for pp, n in zip(p, x.shape[-spatial:]))
    ] = x
    st = buf.strides
    sp = st[-spatial:]
    return np.lib.stride_tricks.as_strided(
        buf,
        shape=lead + tuple(out) + tuple(k),
        strides=st[:-spatial]
        + tuple(a * b for a, b in zip(sp, s))
        + tuple(a * b for a, b in zip(sp, d)),
        writeable=False,
    )


def _max_pool(x, spatial, kernel_size, stride, padding, dilation, ceil_mode, indices):
    k, s, p, d, out = _plan(
        x, spatial, kernel_size, stride, padding, dilation, ceil_mode
    )
    win = _strided(x, spatial, k, s, p, d, out, -np.inf)
    flat = win.reshape(win.shape[: win.ndim - spatial] + (math.prod(k),))
    arg = flat.argmax(axis=-1)
    y = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    if not indices:
        return y
    taps = np.unravel_index(arg, k)
    index = np.zeros(arg.shape, dtype=np.int64)
    for axis in range(spatial):
        shape = [1] * spatial
        shape[axis] = out[axis]
        start = (np.arange(out[axis]) * s[axis] - p[axis]).reshape(shape)
        index = index * x.shape[x.ndim - spatial + axis] + start + taps[axis] * d[axis]
    return y, index


def max_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """as_strided windows of a -inf filled copy; argmax, then the max taken there."""
    return _max_pool(
        x, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


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
    """The same code with one spatial axis."""
    return _max_pool(
        x, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


# %% avg_pool2d
def _avg_pool(x, spatial, kernel_size, stride, padding, ceil_mode, include, override):
    k, s, p, d, out = _plan(x, spatial, kernel_size, stride, padding, 1, ceil_mode)
    win = _strided(x.astype(np.float64), spatial, k, s, p, d, out, 0.0)
    sums = win.sum(axis=tuple(range(-spatial, 0)))
    if override is not None:
        if override == 0:
            raise ValueError("divisor_override must not be zero")
        return (sums / override).astype(x.dtype)
    divisor = np.ones(out)
    for axis in range(spatial):
        n = x.shape[x.ndim - spatial + axis]
        start = np.arange(out[axis]) * s[axis] - p[axis]
        end = np.minimum(start + k[axis], n + p[axis])
        if include:
            count = end - start
        else:
            count = np.minimum(end, n) - np.maximum(start, 0)
        shape = [1] * spatial
        shape[axis] = out[axis]
        divisor = divisor * count.reshape(shape)
    return (sums / divisor).astype(x.dtype)


def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Window sums by as_strided; divisors from each window's start and end."""
    return _avg_pool(
        x,
        2,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


# %% avg_pool1d
def avg_pool1d(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """The same code with one spatial axis."""
    return _avg_pool(
        x, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


# %% global_avg_pool2d
def global_avg_pool2d(x):
    """Sum over H and W, divided by H * W, cast to x's dtype at the end."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    h, w = x.shape[-2:]
    total = np.add.reduce(x.astype(np.float64), axis=(-2, -1), keepdims=True)
    return (total / (h * w)).astype(x.dtype)


# %% avg_pool2d_as_conv
def avg_pool2d_as_conv(x, kernel_size):
    """Crop to whole windows, reshape into blocks, contract with the weights."""
    kh, kw = _ints(kernel_size, 2, "kernel_size")
    if x.ndim not in (3, 4) or kh <= 0 or kw <= 0:
        raise ValueError("bad input or kernel")
    *lead, c, h, w = x.shape
    if kh > h or kw > w:
        raise ValueError("the kernel does not fit in the input")
    ho, wo = h // kh, w // kw
    weight = np.ones((c, kh, kw)) / (kh * kw)  # one kernel per channel
    blocks = x[..., : ho * kh, : wo * kw].reshape(*lead, c, ho, kh, wo, kw)
    y = np.einsum("...cipjq,cpq->...cij", blocks, weight)
    return y.astype(x.dtype)
