# %% conv_transpose2d
def _two(value):
    if np.ndim(value) == 0:  # a Python or NumPy integer
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError("an int or a pair, please")
    return value


def conv_transpose2d(
    x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Insert stride-1 zeros between the inputs, pad, then correlate with the
    flipped kernel whose channel axes are swapped (a plain convolution)."""
    batched = np.ndim(x) == 4
    x = np.asarray(x) if batched else np.asarray(x)[None]
    w = np.asarray(weight)
    sh, sw = _two(stride)
    ph, pw = _two(padding)
    oh, ow = _two(output_padding)
    dh, dw = _two(dilation)
    n, cin, h, wid = x.shape
    if w.shape[0] != cin or cin % groups != 0:
        raise ValueError("weight does not fit the input's channels")
    if oh >= max(sh, dh) or ow >= max(sw, dw):
        raise ValueError("output_padding must be smaller than stride or dilation")
    cog, kh, kw = w.shape[1:]
    hout = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    wout = (wid - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    if min(hout, wout) <= 0:
        raise ValueError("the output would be empty")
    # zero insertion
    z = np.zeros((n, cin, (h - 1) * sh + 1, (wid - 1) * sw + 1))
    z[:, :, ::sh, ::sw] = x
    # full padding of the dilated kernel's reach, then the crop and output_padding
    eh, ew = dh * (kh - 1), dw * (kw - 1)
    big = np.zeros((n, cin, z.shape[2] + 2 * eh + oh, z.shape[3] + 2 * ew + ow))
    big[:, :, eh : eh + z.shape[2], ew : ew + z.shape[3]] = z
    big = big[:, :, ph : ph + hout + eh, pw : pw + wout + ew]
    # the equivalent convolution's kernel: (C_out, C_in/G, KH, KW), flipped
    cg = cin // groups
    y = np.zeros((n, cog * groups, hout, wout))
    for g in range(groups):
        kern = w[g * cg : (g + 1) * cg, :, ::-1, ::-1]  # (cg, cog, kh, kw)
        src = big[:, g * cg : (g + 1) * cg]
        for a in range(kh):
            for b in range(kw):
                window = src[:, :, a * dh : a * dh + hout, b * dw : b * dw + wout]
                y[:, g * cog : (g + 1) * cog] += np.einsum(
                    "nchw,co->nohw", window, kern[:, :, a, b]
                )
    if bias is not None:
        y += np.asarray(bias).reshape(1, -1, 1, 1)
    y = y.astype(x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64)
    return y if batched else y[0]
