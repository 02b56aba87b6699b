# %% conv2d_as_matrix
def selection(n_in, n_out, stride, before, tap):
    """S[i, r] = 1 where output i reads input r through kernel tap `tap`."""
    S = np.zeros((n_out, n_in))
    r = np.arange(n_out) * stride - before + tap
    ok = (r >= 0) & (r < n_in)
    S[np.arange(n_out)[ok], r[ok]] = 1.0
    return S


def conv2d_as_matrix(weight, input_shape, stride=1, padding=0):
    """Sum over taps (a, b) of kron(weight[:, :, a, b], kron(S_a, S_b))."""
    if len(weight.shape) != 4 or len(tuple(input_shape)) != 3:
        raise ValueError("expected weight (C_out, C_in, KH, KW), input_shape (C, H, W)")
    C_out, C_in, KH, KW = weight.shape
    C, H, W = input_shape
    if C != C_in:
        raise ValueError(f"weight expects {C_in} input channels, input_shape has {C}")
    SH, SW = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    if SH <= 0 or SW <= 0:
        raise ValueError("stride must be positive")
    if isinstance(padding, str):
        if padding == "valid":
            (PT, PB), (PL, PR) = (0, 0), (0, 0)
        elif padding == "same" and SH == SW == 1:
            PT, PL = (KH - 1) // 2, (KW - 1) // 2
            PB, PR = KH - 1 - PT, KW - 1 - PL
        else:
            raise ValueError("'same' needs stride 1; other strings are unknown")
    else:
        PH, PW = padding if isinstance(padding, (tuple, list)) else (padding, padding)
        if PH < 0 or PW < 0:
            raise ValueError("negative padding")
        PT, PB, PL, PR = PH, PH, PW, PW
    if KH > H + PT + PB or KW > W + PL + PR:
        raise ValueError("the kernel is larger than the padded input")
    HO = (H + PT + PB - KH) // SH + 1
    WO = (W + PL + PR - KW) // SW + 1
    M = np.zeros((C_out * HO * WO, C * H * W))
    for a in range(KH):
        Sa = selection(H, HO, SH, PT, a)
        for b in range(KW):
            shift = np.kron(Sa, selection(W, WO, SW, PL, b))  # (HO*WO, H*W)
            M += np.kron(weight[:, :, a, b], shift)
    return M.astype(weight.dtype)
