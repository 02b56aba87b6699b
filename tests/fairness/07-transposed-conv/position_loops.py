# %% conv_transpose2d
def _pair(v):
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise ValueError("expected an int or a pair")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def conv_transpose2d(
    x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Scatter one input position at a time: its channel vector times the kernel."""
    x = np.asarray(x)
    weight = np.asarray(weight)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    S, P, O, D = (_pair(v) for v in (stride, padding, output_padding, dilation))
    N, C, H, W = x.shape
    Cw, Cog, KH, KW = weight.shape
    if Cw != C or C % groups:
        raise ValueError("channels do not match")
    if O[0] >= max(S[0], D[0]) or O[1] >= max(S[1], D[1]):
        raise ValueError("output_padding too large")
    Ho = (H - 1) * S[0] - 2 * P[0] + D[0] * (KH - 1) + O[0] + 1
    Wo = (W - 1) * S[1] - 2 * P[1] + D[1] * (KW - 1) + O[1] + 1
    if Ho <= 0 or Wo <= 0:
        raise ValueError("output size not positive")
    out_dtype = x.dtype if x.dtype.kind == "f" else np.float64
    full = np.zeros((N, Cog * groups, Ho + 2 * P[0], Wo + 2 * P[1]))
    cg = C // groups
    for g in range(groups):
        wg = weight[g * cg : (g + 1) * cg].reshape(cg, -1)  # (cg, Cog*KH*KW)
        for i in range(H):
            for j in range(W):
                patch = (x[:, g * cg : (g + 1) * cg, i, j] @ wg).reshape(N, Cog, KH, KW)
                for a in range(KH):
                    for b in range(KW):
                        r, c = i * S[0] + a * D[0], j * S[1] + b * D[1]
                        full[:, g * Cog : (g + 1) * Cog, r, c] += patch[:, :, a, b]
    y = full[:, :, P[0] : P[0] + Ho, P[1] : P[1] + Wo]
    if bias is not None:
        y = y + np.asarray(bias)[None, :, None, None]
    y = y.astype(out_dtype)
    return y[0] if unbatched else y
