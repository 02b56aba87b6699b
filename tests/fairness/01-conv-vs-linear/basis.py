# %% conv2d_as_matrix
def _as_two(v, what):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{what} must be an int or a pair")
        return [int(v[0]), int(v[1])]
    return [int(v), int(v)]


def _conv(x, weight, stride, pads):
    """A batch of (C, H, W) inputs through the convolution, vectorised."""
    xp = np.pad(x, ((0, 0), (0, 0), tuple(pads[0]), tuple(pads[1])))
    kh, kw = weight.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    win = win[:, :, :: stride[0], :: stride[1]]
    return np.einsum("ncijab,ocab->noij", win, weight)


def conv2d_as_matrix(weight, input_shape, stride=1, padding=0):
    """Column k is the convolution of the k-th vector of the identity basis."""
    if weight.ndim != 4:
        raise ValueError("weight must be (C_out, C_in, KH, KW)")
    c_in, h, w = input_shape
    if weight.shape[1] != c_in:
        raise ValueError("input_shape's channels do not match the weight")
    kh, kw = weight.shape[2:]
    stride = _as_two(stride, "stride")
    if min(stride) < 1:
        raise ValueError("stride must be positive")
    if padding == "same":
        if stride != [1, 1]:
            raise ValueError("'same' padding requires stride 1")
        pads = [[(k - 1) // 2, k - 1 - (k - 1) // 2] for k in (kh, kw)]
    elif padding == "valid":
        pads = [[0, 0], [0, 0]]
    elif isinstance(padding, str):
        raise ValueError(f"unknown padding {padding!r}")
    else:
        ph, pw = _as_two(padding, "padding")
        if ph < 0 or pw < 0:
            raise ValueError("padding must be non-negative")
        pads = [[ph, ph], [pw, pw]]
    if h + sum(pads[0]) < kh or w + sum(pads[1]) < kw:
        raise ValueError("the kernel does not fit")
    n = c_in * h * w
    basis = np.eye(n, dtype=np.float64).reshape(n, c_in, h, w)
    columns = _conv(basis, weight.astype(np.float64), stride, pads)  # (n, O, HO, WO)
    return columns.reshape(n, -1).T.astype(weight.dtype)
