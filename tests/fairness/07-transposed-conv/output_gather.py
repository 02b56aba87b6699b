# %% conv_transpose2d
def conv_transpose2d(
    x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The gather view: each output row r takes, for every tap a, the input row
    i = (r + P - a*D) / S when that is a whole number inside the input."""
    sh, sw = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    ph, pw = padding if isinstance(padding, (tuple, list)) else (padding, padding)
    oh, ow = (
        output_padding
        if isinstance(output_padding, (tuple, list))
        else (output_padding, output_padding)
    )
    dh, dw = dilation if isinstance(dilation, (tuple, list)) else (dilation, dilation)
    x = np.asarray(x)
    single = x.ndim == 3
    if single:
        x = x.reshape((1,) + x.shape)
    weight = np.asarray(weight)
    N, Cin, H, W = x.shape
    if weight.shape[0] != Cin or Cin % groups != 0:
        raise ValueError("weight's input channels do not match x and groups")
    if not (oh < sh or oh < dh) or not (ow < sw or ow < dw):
        raise ValueError("output_padding must be smaller than stride or dilation")
    Cog, KH, KW = weight.shape[1], weight.shape[2], weight.shape[3]
    Ho = (H - 1) * sh - 2 * ph + dh * (KH - 1) + oh + 1
    Wo = (W - 1) * sw - 2 * pw + dw * (KW - 1) + ow + 1
    if Ho < 1 or Wo < 1:
        raise ValueError("output size must be positive")

    def sources(out_len, in_len, s, p, d, k):
        """For each tap, the (output index, input index) pairs it links."""
        links = []
        for a in range(k):
            o = np.arange(out_len)
            num = o + p - a * d
            ok = (num % s == 0) & (num >= 0) & (num // s < in_len)
            links.append((o[ok], num[ok] // s))
        return links

    rows = sources(Ho, H, sh, ph, dh, KH)
    cols = sources(Wo, W, sw, pw, dw, KW)
    y = np.zeros((N, Cog * groups, Ho, Wo))
    cg = Cin // groups
    for g in range(groups):
        xs = x[:, g * cg : (g + 1) * cg]
        for a, (ro, ri) in enumerate(rows):
            for b, (co, ci) in enumerate(cols):
                if len(ro) == 0 or len(co) == 0:
                    continue
                picked = xs[:, :, ri][:, :, :, ci]  # (N, cg, len(ro), len(co))
                k = weight[g * cg : (g + 1) * cg, :, a, b]  # (cg, Cog)
                add = np.einsum("ncij,co->noij", picked, k)
                y[:, g * Cog : (g + 1) * Cog, ro[:, None], co[None, :]] += add
    if bias is not None:
        y += np.asarray(bias).reshape(1, -1, 1, 1)
    y = y.astype(x.dtype if x.dtype.kind == "f" else np.float64)
    return y[0] if single else y
