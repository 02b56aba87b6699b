# %% backward_helpers
def pair(value, name):
    """[along H, along W] as a list."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return [value[0], value[0]]
        if len(value) == 2:
            return list(value)
        raise ValueError(f"{name}: one or two values")
    return [value, value]


def padding_2d(padding, kernel_hw, stride, dilation):
    """[[top, bottom], [left, right]]."""
    if padding == "valid":
        return [[0, 0], [0, 0]]
    if padding == "same":
        if stride != [1, 1] and tuple(stride) != (1, 1):
            raise ValueError("'same' needs stride 1")
        result = []
        for k, d in zip(kernel_hw, dilation):
            total = d * (k - 1)
            result.append([total // 2, total - total // 2])
        return result
    if isinstance(padding, str):
        raise ValueError("unknown padding")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError("negative padding")
    return [[ph, ph], [pw, pw]]


# %% conv2d_backward
def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Loops over every output value: it sends its gradient to its window."""
    if x.ndim not in (3, 4) or grad_out.ndim != x.ndim or weight.ndim != 4:
        raise ValueError("bad ranks")
    batched = x.ndim == 4
    xb = x if batched else x[None]
    gb = grad_out if batched else grad_out[None]
    sh, sw = pair(stride, "stride")
    dh, dw = pair(dilation, "dilation")
    if min(sh, sw, dh, dw) <= 0 or groups <= 0:
        raise ValueError("stride, dilation, groups must be positive")
    N, C, H, W = xb.shape
    O, CG, KH, KW = weight.shape
    if C != CG * groups or O % groups:
        raise ValueError("channels do not match groups")
    (pt, pb), (pl, pr) = padding_2d(padding, (KH, KW), [sh, sw], [dh, dw])
    HO = (H + pt + pb - dh * (KH - 1) - 1) // sh + 1
    WO = (W + pl + pr - dw * (KW - 1) - 1) // sw + 1
    if HO < 1 or WO < 1:
        raise ValueError("the kernel does not fit")
    if gb.shape != (N, O, HO, WO):
        raise ValueError("grad_out's shape is not the output's")
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr))
    xp[:, :, pt : pt + H, pl : pl + W] = xb
    gxp = np.zeros_like(xp)
    gw = np.zeros(weight.shape)
    og = O // groups
    for n in range(N):
        for o in range(O):
            c0 = (o // og) * CG
            for i in range(HO):
                for j in range(WO):
                    g = gb[n, o, i, j]
                    rs = slice(i * sh, i * sh + dh * (KH - 1) + 1, dh)
                    cs = slice(j * sw, j * sw + dw * (KW - 1) + 1, dw)
                    gw[o] += g * xp[n, c0 : c0 + CG, rs, cs]
                    gxp[n, c0 : c0 + CG, rs, cs] += g * weight[o]
    gx = gxp[:, :, pt : pt + H, pl : pl + W]
    gbias = gb.sum(axis=(0, 2, 3))
    t = grad_out.dtype
    return (gx if batched else gx[0]).astype(t), gw.astype(t), gbias.astype(t)


# %% max_pool2d_backward
def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Length of max_pool2d's output along one axis, with PyTorch's ceil_mode rule."""
    span = dilation * (kernel - 1) + 1
    if ceil_mode:
        out = -((span - size - 2 * padding) // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return (size + 2 * padding - span) // stride + 1


def max_pool2d_backward(
    grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """Loops over every output: its gradient goes to its window's first maximum."""
    if x.ndim not in (3, 4) or grad_out.ndim != x.ndim:
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = (kh, kw) if stride is None else pair(stride, "stride")
    ph, pw = pair(padding, "padding")
    dh, dw = pair(dilation, "dilation")
    if min(kh, kw, sh, sw, dh, dw) < 1 or min(ph, pw) < 0:
        raise ValueError("kernel, stride, dilation must be positive")
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError("pad should be at most half of the kernel")
    xb = x if x.ndim == 4 else x[None]
    gb = grad_out if x.ndim == 4 else grad_out[None]
    N, C, H, W = xb.shape
    if min(C, H, W) == 0:
        raise ValueError("empty input")
    HO = pool_output_size(H, kh, sh, ph, dh, ceil_mode)
    WO = pool_output_size(W, kw, sw, pw, dw, ceil_mode)
    if HO < 1 or WO < 1:
        raise ValueError("output size is too small")
    if gb.shape != (N, C, HO, WO):
        raise ValueError("grad_out must have the output's shape")
    gx = np.zeros((N, C, H, W))
    for n in range(N):
        for c in range(C):
            for i in range(HO):
                for j in range(WO):
                    best, at = -np.inf, None
                    for a in range(kh):
                        r = i * sh - ph + a * dh
                        if not 0 <= r < H:
                            continue
                        for b in range(kw):
                            q = j * sw - pw + b * dw
                            if 0 <= q < W and (at is None or xb[n, c, r, q] > best):
                                best, at = xb[n, c, r, q], (r, q)
                    if at is not None:
                        gx[n, c, at[0], at[1]] += gb[n, c, i, j]
    gx = gx.astype(grad_out.dtype)
    return gx if x.ndim == 4 else gx[0]
