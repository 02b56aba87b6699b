# %% conv2d_helpers
def pair(value, name):
    """(along H, along W) from an int or a sequence of one or two ints."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return int(value[0]), int(value[0])
        if len(value) == 2:
            return int(value[0]), int(value[1])
        raise ValueError(f"{name} must be an int or a pair, got {value!r}")
    return int(value), int(value)


def padding_2d(padding, kernel_hw, stride, dilation):
    """((top, bottom), (left, right)) for each form of padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"unknown padding {padding!r}")
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        out = []
        for k, d in zip(kernel_hw, dilation):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))
        return tuple(out)
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError("negative padding is not supported")
    return (ph, ph), (pw, pw)


def conv2d_setup(x, weight, bias, stride, padding, dilation, groups):
    """Check the arguments; return xb, pads, stride, dilation, out_hw."""
    if x.ndim not in (3, 4):
        raise ValueError("x must be (N, C, H, W) or (C, H, W)")
    if weight.ndim != 4:
        raise ValueError("weight must be (C_out, C_in // groups, KH, KW)")
    xb = x if x.ndim == 4 else x[None]
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError("stride and dilation must be positive")
    if groups < 1:
        raise ValueError("groups must be positive")
    c_out, c_group, kh, kw = weight.shape
    if xb.shape[1] != c_group * groups or c_out % groups:
        raise ValueError("the channels do not match groups")
    if bias is not None and bias.shape != (c_out,):
        raise ValueError("bias must have shape (C_out,)")
    pads = padding_2d(padding, (kh, kw), stride, dilation)
    out_hw = []
    for size, (a, b), k, s, d in zip(xb.shape[2:], pads, (kh, kw), stride, dilation):
        room = size + a + b - d * (k - 1) - 1
        if room < 0:
            raise ValueError("the kernel is larger than the padded input")
        out_hw.append(room // s + 1)
    return xb, pads, stride, dilation, tuple(out_hw)


# %% conv2d_naive
def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Four nested loops: image, output channel, output row, output column."""
    xb, pads, (sh, sw), (dh, dw), (ho, wo) = conv2d_setup(
        x, weight, bias, stride, padding, dilation, groups
    )
    xp = np.pad(xb, ((0, 0), (0, 0)) + tuple(pads))
    n_img, c_out = xb.shape[0], weight.shape[0]
    cg, kh, kw = weight.shape[1:]
    per_group = c_out // groups
    y = np.zeros((n_img, c_out, ho, wo))
    for n in range(n_img):
        for o in range(c_out):
            c0 = (o // per_group) * cg
            for i in range(ho):
                for j in range(wo):
                    r, c = i * sh, j * sw
                    window = xp[
                        n,
                        c0 : c0 + cg,
                        r : r + dh * (kh - 1) + 1 : dh,
                        c : c + dw * (kw - 1) + 1 : dw,
                    ]
                    y[n, o, i, j] = np.sum(window * weight[o])
                    if bias is not None:
                        y[n, o, i, j] += bias[o]
    y = y.astype(x.dtype)
    return y if x.ndim == 4 else y[0]


# %% conv2d
def window_view(xp, kernel_hw, stride, dilation, out_hw):
    """(C, KH, KW, H_out, W_out) view of the windows, with as_strided."""
    c = xp.shape[0]
    s0, s1, s2 = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp,
        shape=(c, kernel_hw[0], kernel_hw[1], out_hw[0], out_hw[1]),
        strides=(
            s0,
            s1 * dilation[0],
            s2 * dilation[1],
            s1 * stride[0],
            s2 * stride[1],
        ),
        writeable=False,
    )


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """im2col per image, then one matmul with a leading group axis."""
    xb, pads, stride, dilation, (ho, wo) = conv2d_setup(
        x, weight, bias, stride, padding, dilation, groups
    )
    c_out, cg, kh, kw = weight.shape
    n = xb.shape[0]
    w_mat = weight.reshape(groups, c_out // groups, cg * kh * kw)
    y = np.empty((n, c_out, ho, wo), dtype=np.result_type(x, weight))
    for b in range(n):
        xp = np.pad(xb[b], ((0, 0),) + tuple(pads))
        win = window_view(xp, (kh, kw), stride, dilation, (ho, wo))
        patches = win.reshape(groups, cg * kh * kw, ho * wo)  # copies once
        y[b] = np.matmul(w_mat, patches).reshape(c_out, ho, wo)
    if bias is not None:
        y += bias[:, None, None]
    y = y.astype(x.dtype, copy=False)
    return y if x.ndim == 4 else y[0]
