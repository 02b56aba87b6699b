# %% conv_output_size
def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a 1-D convolution's output, as a 0-d NumPy array."""
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError("padding must be an int, 'same' or 'valid'")
        if padding == "same" and stride > 1:
            raise ValueError("'same' padding needs stride 1")
        if padding == "same":
            return np.array(input_size)
        padding = 0
    padded = np.array(input_size + 2 * padding)
    reach = dilation * (kernel_size - 1) + 1
    if padded < reach:
        raise ValueError("kernel larger than the padded input")
    return np.array((padded - reach) // stride + 1)


# %% conv1d
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d with as_strided windows, zero-array padding, a loop over groups."""
    (stride,) = np.atleast_1d(stride)
    (dilation,) = np.atleast_1d(dilation)
    if x.ndim not in (2, 3) or weight.ndim != 3:
        raise ValueError("bad ranks")
    xb = x if x.ndim == 3 else x[np.newaxis]
    if stride <= 0 or dilation <= 0 or groups <= 0:
        raise ValueError("non-positive stride, dilation or groups")
    c_out, c_per, k = weight.shape
    n, c_in, length = xb.shape
    if c_per * groups != c_in or c_out % groups != 0:
        raise ValueError(
            "groups must divide C_in and C_out, C_in // groups = w.shape[1]"
        )
    if bias is not None and bias.shape != (c_out,):
        raise ValueError("bias shape")
    total = dilation * (k - 1)
    if padding == "valid":
        lo = hi = 0
    elif padding == "same":
        if stride != 1:
            raise ValueError("'same' needs stride 1")
        lo = total // 2
        hi = total - lo
    elif isinstance(padding, str):
        raise ValueError("unknown padding string")
    else:
        (lo,) = np.atleast_1d(padding)
        hi = lo
        if lo < 0:
            raise ValueError("negative padding")
    padded = np.zeros((n, c_in, length + lo + hi), dtype=np.float64)
    padded[:, :, lo : lo + length] = xb
    l_out = (length + lo + hi - total - 1) // stride + 1
    if l_out < 1:
        raise ValueError("kernel does not fit")
    st = padded.strides
    win = np.lib.stride_tricks.as_strided(
        padded,
        shape=(n, c_in, l_out, k),
        strides=(st[0], st[1], st[2] * stride, st[2] * dilation),
        writeable=False,
    )
    per = c_out // groups
    out = np.empty((n, c_out, l_out))
    for g in range(groups):
        block = win[:, g * c_per : (g + 1) * c_per]  # (N, c_per, L_out, K)
        wg = weight[g * per : (g + 1) * per]  # (per, c_per, K)
        out[:, g * per : (g + 1) * per] = np.tensordot(
            block, wg, axes=([1, 3], [1, 2])
        ).transpose(0, 2, 1)
    if bias is not None:
        out += bias.reshape(1, -1, 1)
    out = out.astype(x.dtype)
    return out if x.ndim == 3 else out[0]
