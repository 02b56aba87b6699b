# %% conv_output_size
def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a 1-D convolution's output, computed with NumPy integers."""
    if padding == "same":
        if stride != 1:
            raise ValueError("padding='same' is not supported for strided convolutions")
        return np.int64(input_size)
    if padding == "valid":
        padding = 0
    span = np.int64(dilation) * (np.int64(kernel_size) - 1) + 1
    room = np.int64(input_size) + 2 * np.int64(padding) - span
    if room < 0:
        raise ValueError("the kernel does not fit in the padded input")
    return np.floor_divide(room, np.int64(stride)) + 1


# %% conv1d
def _one(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple")
        (value,) = value
    return int(value)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d with sliding_window_view and one einsum over a group axis."""
    x, weight = np.asarray(x), np.asarray(weight)
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    if x.ndim != 3 or weight.ndim != 3:
        raise ValueError("x must be (N, C, L) or (C, L) and weight (O, C/G, K)")
    s, d = _one(stride, "stride"), _one(dilation, "dilation")
    if s < 1 or d < 1 or groups < 1:
        raise ValueError("stride, dilation and groups must be positive")
    n, c, length = x.shape
    o, cg, k = weight.shape
    if c != cg * groups or o % groups:
        raise ValueError("channels do not match groups")
    if bias is not None and np.shape(bias) != (o,):
        raise ValueError("bias must have shape (C_out,)")
    span = d * (k - 1)
    if isinstance(padding, str):
        if padding == "valid":
            left = right = 0
        elif padding == "same":
            if s != 1:
                raise ValueError("padding='same' needs stride 1")
            left, right = span // 2, span - span // 2
        else:
            raise ValueError(f"unknown padding {padding!r}")
    else:
        left = right = _one(padding, "padding")
        if left < 0:
            raise ValueError("negative padding")
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    if xp.shape[-1] < span + 1:
        raise ValueError("the kernel does not fit in the padded input")
    win = np.lib.stride_tricks.sliding_window_view(xp, span + 1, axis=2)
    win = win[:, :, ::s, ::d]  # (N, C, L_out, K)
    win = win.reshape(n, groups, cg, win.shape[2], k)
    wg = weight.reshape(groups, o // groups, cg, k)
    y = np.einsum("ngclk,gock->ngol", win, wg).reshape(n, o, -1)
    if bias is not None:
        y = y + np.asarray(bias)[None, :, None]
    y = y.astype(x.dtype, copy=False)
    return y[0] if unbatched else y
