# %% conv2d_as_matrix
def _pair(v):
    v = np.broadcast_to(np.asarray(v, dtype=np.int64), (2,))
    return v[0], v[1]


def conv2d_as_matrix(weight, input_shape, stride=1, padding=0):
    """Broadcast index arrays over (C_out, H_out, W_out, C_in, KH, KW); np.add.at."""
    if np.ndim(weight) != 4 or len(input_shape) != 3:
        raise ValueError("weight (C_out, C_in, KH, KW), input_shape (C_in, H, W)")
    O, C, KH, KW = weight.shape
    c, H, W = input_shape
    if c != C:
        raise ValueError("channel mismatch")
    SH, SW = _pair(stride)
    if min(SH, SW) < 1:
        raise ValueError("stride must be >= 1")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError("padding string must be 'same' or 'valid'")
        if padding == "same" and (SH != 1 or SW != 1):
            raise ValueError("'same' with stride > 1")
        PT, PL = ((KH - 1) // 2, (KW - 1) // 2) if padding == "same" else (0, 0)
        PB, PR = ((KH - 1) - PT, (KW - 1) - PL) if padding == "same" else (0, 0)
    else:
        PT, PL = _pair(padding)
        PB, PR = PT, PL
        if min(PT, PL) < 0:
            raise ValueError("negative padding")
    HO = (H + PT + PB - KH) // SH + 1
    WO = (W + PL + PR - KW) // SW + 1
    if H + PT + PB < KH or W + PL + PR < KW:
        raise ValueError("kernel does not fit")
    o, i, j, ch, a, b = np.ix_(
        np.arange(O),
        np.arange(HO),
        np.arange(WO),
        np.arange(C),
        np.arange(KH),
        np.arange(KW),
    )
    r = i * SH - PT + a
    q = j * SW - PL + b
    rows = (o * HO + i) * WO + j + 0 * (ch + r + q)
    cols = (ch * H + r) * W + q + 0 * o
    vals = np.broadcast_to(weight[:, None, None], rows.shape)
    inside = (r >= 0) & (r < H) & (q >= 0) & (q < W)
    inside = np.broadcast_to(inside, rows.shape)
    M = np.zeros((O * HO * WO, C * H * W), dtype=weight.dtype)
    np.add.at(M, (rows[inside], cols[inside]), vals[inside])
    return M
