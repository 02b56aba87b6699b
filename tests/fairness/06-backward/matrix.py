# %% backward_helpers
def pair(value, name):
    """(along H, along W)."""
    if isinstance(value, int):
        return value, value
    value = tuple(value)
    if len(value) == 1:
        value = value * 2
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair")
    return value


def padding_2d(padding, kernel_hw, stride, dilation):
    """((top, bottom), (left, right))."""
    if padding in ("valid", "same"):
        if padding == "valid":
            return (0, 0), (0, 0)
        if stride != (1, 1):
            raise ValueError("padding='same' needs stride 1")
        lo = [d * (k - 1) // 2 for k, d in zip(kernel_hw, dilation)]
        hi = [d * (k - 1) - a for k, d, a in zip(kernel_hw, dilation, lo)]
        return (lo[0], hi[0]), (lo[1], hi[1])
    if isinstance(padding, str):
        raise ValueError("unknown padding string")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError("negative padding")
    return (ph, ph), (pw, pw)


# %% conv2d_backward
def _im2col_index(c, hp, wp, kh, kw, s, d, ho, wo):
    """Flat indices into a padded image (c, hp, wp): rows (c, p, q), columns (i, j)."""
    ch, p, q = np.meshgrid(np.arange(c), np.arange(kh), np.arange(kw), indexing="ij")
    i, j = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    r = p.reshape(-1, 1) * d[0] + i.reshape(1, -1) * s[0]
    col = q.reshape(-1, 1) * d[1] + j.reshape(1, -1) * s[1]
    return (ch.reshape(-1, 1) * hp + r) * wp + col  # (c*kh*kw, ho*wo)


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """im2col by index arrays; grad_weight and the patches' gradient are matrix
    products; col2im adds the patches back with np.bincount. Returns a list."""
    if x.ndim not in (3, 4) or weight.ndim != 4 or grad_out.ndim != x.ndim:
        raise ValueError("wrong ranks")
    xb = x[None] if x.ndim == 3 else x
    gb = grad_out[None] if x.ndim == 3 else grad_out
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    if min(s) < 1 or min(d) < 1 or groups < 1:
        raise ValueError("stride, dilation and groups must be positive")
    n, c, h, w = xb.shape
    o, cg, kh, kw = weight.shape
    if c != groups * cg or o % groups:
        raise ValueError("weight and groups do not match the channels")
    (pt, pb), (pl, pr) = padding_2d(padding, (kh, kw), s, d)
    hp, wp = h + pt + pb, w + pl + pr
    if hp < d[0] * (kh - 1) + 1 or wp < d[1] * (kw - 1) + 1:
        raise ValueError("the kernel does not fit")
    ho = (hp - d[0] * (kh - 1) - 1) // s[0] + 1
    wo = (wp - d[1] * (kw - 1) - 1) // s[1] + 1
    if gb.shape != (n, o, ho, wo):
        raise ValueError("grad_out's shape does not match the output")
    og = o // groups
    index = _im2col_index(cg, hp, wp, kh, kw, s, d, ho, wo)  # one group's rows
    xp = np.pad(xb.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    xp = xp.reshape(n, groups, cg * hp * wp)
    cols = xp[:, :, index]  # (n, G, cg*kh*kw, ho*wo)
    g = gb.astype(np.float64).reshape(n, groups, og, ho * wo)
    wm = weight.astype(np.float64).reshape(groups, og, cg * kh * kw)
    grad_w = np.matmul(g, cols.transpose(0, 1, 3, 2)).sum(axis=0)  # (G, og, cg*kh*kw)
    grad_cols = np.matmul(wm.transpose(0, 2, 1), g)  # (n, G, cg*kh*kw, ho*wo)
    size = cg * hp * wp
    flat = np.zeros((n * groups, size))
    for b in range(n * groups):  # col2im: every patch entry back to its pixel
        flat[b] = np.bincount(
            index.ravel(), weights=grad_cols.reshape(n * groups, -1)[b], minlength=size
        )
    gxp = flat.reshape(n, c, hp, wp)
    grad_x = gxp[:, :, pt : pt + h, pl : pl + w]
    if x.ndim == 3:
        grad_x = grad_x[0]
    dt = grad_out.dtype
    return [
        grad_x.astype(dt),
        grad_w.reshape(weight.shape).astype(dt),
        gb.sum(axis=(0, 2, 3)).astype(dt),
    ]


# %% max_pool2d_backward
def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Length of max_pool2d's output along one axis, with PyTorch's ceil_mode rule."""
    n = size + 2 * padding - dilation * (kernel - 1) - 1
    out = int(np.ceil(n / stride) if ceil_mode else np.floor(n / stride)) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def max_pool2d_backward(
    grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """Flat index of each window's maximum, then np.bincount adds the gradients."""
    if x.ndim not in (3, 4) or grad_out.ndim != x.ndim or 0 in x.shape[-3:]:
        raise ValueError("x must be (N, C, H, W) or (C, H, W), non-empty")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError("bad pooling arguments")
    if 2 * p[0] > k[0] or 2 * p[1] > k[1]:
        raise ValueError("pad should be at most half of kernel size")
    h, w = x.shape[-2:]
    ho, wo = (pool_output_size(*a, ceil_mode) for a in zip((h, w), k, s, p, d))
    if ho < 1 or wo < 1:
        raise ValueError("output size is too small")
    if grad_out.shape != x.shape[:-2] + (ho, wo):
        raise ValueError("grad_out has the wrong shape")
    r = (np.arange(ho) * s[0] - p[0])[:, None] + np.arange(k[0]) * d[0]  # (ho, kh)
    c = (np.arange(wo) * s[1] - p[1])[:, None] + np.arange(k[1]) * d[1]  # (wo, kw)
    rr = r[:, None, :, None]  # (ho, 1, kh, 1)
    cc = c[None, :, None, :]  # (1, wo, 1, kw)
    inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
    flat_idx = np.clip(rr, 0, h - 1) * w + np.clip(cc, 0, w - 1)  # (ho, wo, kh, kw)
    planes = x.reshape(-1, h * w) if x.size else x.reshape(0, h * w)
    vals = np.where(inside, planes[:, flat_idx], -np.inf)  # (P, ho, wo, kh, kw)
    vals = vals.reshape(planes.shape[0], ho, wo, k[0] * k[1])
    at = vals.argmax(axis=-1)  # first maximum in row-major order
    chosen = np.take_along_axis(
        np.broadcast_to(flat_idx.reshape(ho, wo, -1), vals.shape), at[..., None], -1
    )[..., 0]
    g = grad_out.reshape(planes.shape[0], ho * wo).astype(np.float64)
    out = np.zeros((planes.shape[0], h * w))
    for i in range(planes.shape[0]):
        out[i] = np.bincount(chosen[i].ravel(), weights=g[i], minlength=h * w)
    return out.reshape(x.shape).astype(grad_out.dtype)
