# %% conv_transpose2d
def conv_transpose2d(
    x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """All products at once (einsum), then np.add.at onto their output indices."""

    def pair(v):
        t = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
        if len(t) != 2:
            raise ValueError("bad argument")
        return t

    s, p, op, d = map(pair, (stride, padding, output_padding, dilation))
    xa = np.asarray(x)
    squeeze = xa.ndim == 3
    if squeeze:
        xa = xa[None]
    wa = np.asarray(weight)
    n, c, h, w_ = xa.shape
    if wa.shape[0] != c or groups < 1 or c % groups:
        raise ValueError("channel mismatch")
    if any(op[k] >= max(s[k], d[k]) for k in range(2)):
        raise ValueError("output_padding too big")
    cog, kh, kw = wa.shape[1:]
    size = [
        (dim - 1) * s[k] - 2 * p[k] + d[k] * (ks - 1) + op[k] + 1
        for k, (dim, ks) in enumerate(((h, kh), (w_, kw)))
    ]
    if min(size) < 1:
        raise ValueError("non-positive output size")
    cg = c // groups
    xg = xa.reshape(n, groups, cg, h, w_)
    wg = wa.reshape(groups, cg, cog, kh, kw)
    prod = np.einsum("ngcij,gcoab->ngoijab", xg, wg)
    prod = prod.reshape(n, groups * cog, h, w_, kh, kw)
    rows = (np.arange(h)[:, None] * s[0] + np.arange(kh)[None, :] * d[0]) - p[0]
    cols = (np.arange(w_)[:, None] * s[1] + np.arange(kw)[None, :] * d[1]) - p[1]
    R = np.broadcast_to(rows[:, None, :, None], (h, w_, kh, kw))
    Cc = np.broadcast_to(cols[None, :, None, :], (h, w_, kh, kw))
    keep = (R >= 0) & (R < size[0]) & (Cc >= 0) & (Cc < size[1])
    out = np.zeros((n, groups * cog, size[0], size[1]))
    vals = prod[:, :, keep]  # (n, C_out, k)
    flat = out.reshape(n, groups * cog, size[0] * size[1])
    np.add.at(flat, (slice(None), slice(None), R[keep] * size[1] + Cc[keep]), vals)
    out = flat.reshape(out.shape)
    if bias is not None:
        out = out + np.asarray(bias)[:, None, None]
    out = out.astype(xa.dtype if xa.dtype.kind == "f" else float)
    return out[0] if squeeze else out
