# %% conv2d_as_matrix
def conv2d_as_matrix(weight, input_shape, stride=1, padding=0):
    """Six nested loops: every output (o, i, j), every tap (c, a, b)."""
    if weight.ndim != 4 or len(input_shape) != 3:
        raise ValueError("weight must be 4-D and input_shape (C_in, H, W)")
    c_out, c_in, kh, kw = weight.shape
    C, H, W = input_shape
    if C != c_in:
        raise ValueError("input_shape has another channel count than weight")
    sh, sw = (stride, stride) if isinstance(stride, int) else tuple(stride)
    if sh < 1 or sw < 1:
        raise ValueError("stride must be positive")
    if padding == "valid":
        top = bottom = left = right = 0
    elif padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("padding='same' needs stride 1")
        top, left = (kh - 1) // 2, (kw - 1) // 2
        bottom, right = kh - 1 - top, kw - 1 - left
    elif isinstance(padding, str):
        raise ValueError("unknown padding")
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else tuple(padding)
        if ph < 0 or pw < 0:
            raise ValueError("negative padding")
        top = bottom = ph
        left = right = pw
    h_out = (H + top + bottom - kh) // sh + 1
    w_out = (W + left + right - kw) // sw + 1
    if H + top + bottom < kh or W + left + right < kw:
        raise ValueError("the kernel does not fit in the padded input")
    M = np.zeros((c_out * h_out * w_out, C * H * W), dtype=weight.dtype)
    for o in range(c_out):
        for i in range(h_out):
            for j in range(w_out):
                row = o * h_out * w_out + i * w_out + j
                for c in range(C):
                    for a in range(kh):
                        r = i * sh - top + a
                        if r < 0 or r >= H:
                            continue  # a zero of the padding: no column
                        for b in range(kw):
                            q = j * sw - left + b
                            if 0 <= q < W:
                                M[row, c * H * W + r * W + q] = weight[o, c, a, b]
    return M
