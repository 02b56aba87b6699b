# %% conv2d_helpers

# %% conv2d_naive
def _two(v, what):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) == 1:
        v = v * 2
    if len(v) != 2:
        raise ValueError(f"{what}: expected an int or a pair")
    return v


def _geometry(x, weight, bias, stride, padding, dilation, groups):
    """All checks; returns (x4, (pt, pb, pl, pr), (SH, SW), (DH, DW), (HO, WO))."""
    if np.ndim(x) == 3:
        x = np.expand_dims(x, 0)
    if np.ndim(x) != 4 or np.ndim(weight) != 4:
        raise ValueError("expected 4-D (or unbatched 3-D) input and 4-D weight")
    SH, SW = _two(stride, "stride")
    DH, DW = _two(dilation, "dilation")
    if SH <= 0 or SW <= 0 or DH <= 0 or DW <= 0 or groups <= 0:
        raise ValueError("stride, dilation and groups must be > 0")
    O, CG, KH, KW = weight.shape
    if x.shape[1] != CG * groups:
        raise ValueError("input channels != weight.shape[1] * groups")
    if O % groups:
        raise ValueError("groups does not divide the output channels")
    if bias is not None and np.shape(bias) != (O,):
        raise ValueError("bias must be (C_out,)")
    if padding == "same":
        if (SH, SW) != (1, 1):
            raise ValueError("'same' needs stride 1")
        th, tw = DH * (KH - 1), DW * (KW - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    elif padding == "valid":
        pads = (0, 0, 0, 0)
    elif isinstance(padding, str):
        raise ValueError("padding must be 'same' or 'valid'")
    else:
        PH, PW = _two(padding, "padding")
        if PH < 0 or PW < 0:
            raise ValueError("negative padding")
        pads = (PH, PH, PW, PW)
    H, W = x.shape[2:]
    HO = (H + pads[0] + pads[1] - DH * (KH - 1) - 1) // SH + 1
    WO = (W + pads[2] + pads[3] - DW * (KW - 1) - 1) // SW + 1
    if HO < 1 or WO < 1:
        raise ValueError("kernel size can't be greater than the padded input size")
    return x, pads, (SH, SW), (DH, DW), (HO, WO)


def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Scalar loops, exactly the definition's sums (slow, small inputs only)."""
    xb, (pt, pb, pl, pr), (SH, SW), (DH, DW), (HO, WO) = _geometry(
        x, weight, bias, stride, padding, dilation, groups
    )
    N, C, H, W = xb.shape
    O, CG, KH, KW = weight.shape
    og = O // groups
    y = np.zeros((N, O, HO, WO), dtype=np.float64)
    for n in range(N):
        for o in range(O):
            g = o // og
            for i in range(HO):
                for j in range(WO):
                    acc = 0.0 if bias is None else float(bias[o])
                    for c in range(CG):
                        for p in range(KH):
                            r = i * SH + p * DH - pt
                            if not 0 <= r < H:
                                continue
                            for q in range(KW):
                                s = j * SW + q * DW - pl
                                if 0 <= s < W:
                                    acc += xb[n, g * CG + c, r, s] * weight[o, c, p, q]
                    y[n, o, i, j] = acc
    return (y if np.ndim(x) == 4 else y[0]).astype(x.dtype)


# %% conv2d
def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """sliding_window_view, slicing for stride and dilation, one einsum."""
    xb, (pt, pb, pl, pr), (SH, SW), (DH, DW), (HO, WO) = _geometry(
        x, weight, bias, stride, padding, dilation, groups
    )
    N, C, H, W = xb.shape
    O, CG, KH, KW = weight.shape
    xp = np.pad(xb, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    spans = (DH * (KH - 1) + 1, DW * (KW - 1) + 1)
    win = np.lib.stride_tricks.sliding_window_view(xp, spans, axis=(2, 3))
    win = win[:, :, : (HO - 1) * SH + 1 : SH, : (WO - 1) * SW + 1 : SW, ::DH, ::DW]
    win = win.reshape(N, groups, CG, HO, WO, KH, KW)
    wg = weight.reshape(groups, O // groups, CG, KH, KW)
    y = np.einsum("ngcijpq,gocpq->ngoij", win, wg, optimize=True)
    y = y.reshape(N, O, HO, WO)
    if bias is not None:
        y = y + np.reshape(bias, (1, O, 1, 1))
    y = y.astype(x.dtype)
    return y if np.ndim(x) == 4 else y[0]
