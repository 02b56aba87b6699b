# %% conv_output_size
def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Closed form with Python ints."""
    if padding in ("valid", "same"):
        if padding == "same" and stride != 1:
            raise ValueError("same padding only with stride 1")
        pad_total = dilation * (kernel_size - 1) if padding == "same" else 0
    elif isinstance(padding, str):
        raise ValueError(f"bad padding {padding}")
    else:
        pad_total = 2 * padding
    n = input_size + pad_total - dilation * (kernel_size - 1) - 1
    if n < 0:
        raise ValueError("window larger than the padded input")
    return n // stride + 1


# %% conv1d
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """A loop over the K taps; each tap gathers with an index array.

    Computed in the input's own dtype (float32 stays float32 throughout).
    """
    stride = (
        stride[0] if isinstance(stride, (tuple, list)) and len(stride) == 1 else stride
    )
    dilation = (
        dilation[0]
        if isinstance(dilation, (tuple, list)) and len(dilation) == 1
        else dilation
    )
    if isinstance(padding, (tuple, list)) and len(padding) == 1:
        padding = padding[0]
    for v in (stride, dilation, padding):
        if isinstance(v, (tuple, list)):
            raise ValueError("expected an int or a 1-tuple")
    squeeze = x.ndim == 2
    x = x.reshape((1,) + x.shape) if squeeze else x
    if x.ndim != 3 or weight.ndim != 3:
        raise ValueError("wrong number of dimensions")
    if stride < 1 or dilation < 1 or groups < 1:
        raise ValueError("stride, dilation, groups must be >= 1")
    N, C, L = x.shape
    O, Cg, K = weight.shape
    if C % groups or O % groups or C // groups != Cg:
        raise ValueError("channels do not match groups")
    if bias is not None and tuple(bias.shape) != (O,):
        raise ValueError("bias shape")
    if padding == "same":
        if stride != 1:
            raise ValueError("same needs stride 1")
        tot = dilation * (K - 1)
        pl, pr = tot // 2, tot - tot // 2
    elif padding == "valid":
        pl = pr = 0
    elif isinstance(padding, str):
        raise ValueError("unknown padding")
    elif padding < 0:
        raise ValueError("negative padding")
    else:
        pl = pr = padding
    xp = np.concatenate(
        [np.zeros((N, C, pl), x.dtype), x, np.zeros((N, C, pr), x.dtype)], axis=2
    )
    L_out = (L + pl + pr - dilation * (K - 1) - 1) // stride + 1
    if L_out < 1:
        raise ValueError("kernel does not fit")
    starts = np.arange(L_out) * stride
    w = weight.astype(x.dtype)
    Og = O // groups
    xg = xp.reshape(N, groups, Cg, -1)
    wg = w.reshape(groups, Og, Cg, K)
    y = np.zeros((N, groups, Og, L_out), x.dtype)
    for k in range(K):
        cols = xg[:, :, :, starts + k * dilation]  # (N, G, Cg, L_out)
        y += np.matmul(wg[None, :, :, :, k], cols)
    y = y.reshape(N, O, L_out)
    if bias is not None:
        y += bias.astype(x.dtype)[:, None]
    return y[0] if squeeze else y
