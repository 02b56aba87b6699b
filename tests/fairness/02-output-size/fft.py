# %% conv_output_size
import math


def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Count the window positions one by one (a loop over the outputs)."""
    if padding == "valid":
        padding = 0
    elif padding == "same":
        if stride != 1:
            raise ValueError("padding='same' requires stride=1")
        return int(input_size)
    elif isinstance(padding, str):
        raise ValueError("padding string must be 'valid' or 'same'")
    extent = dilation * (kernel_size - 1) + 1
    padded = input_size + 2 * padding
    count, start = 0, 0
    while start + extent <= padded:
        count += 1
        start += stride
    if count == 0:
        raise ValueError("the kernel does not fit even once")
    return count


# %% conv1d
def _as_int(v):
    if isinstance(v, tuple):
        if len(v) != 1:
            raise ValueError("expected a 1-tuple")
        v = v[0]
    return v


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d through the FFT: a full correlation, then every stride-th value."""
    stride, dilation = _as_int(stride), _as_int(dilation)
    if x.ndim == 2:
        return conv1d(x[None], weight, bias, stride, padding, dilation, groups)[0]
    if x.ndim != 3 or weight.ndim != 3:
        raise ValueError("expected (N, C, L) and (C_out, C_in // groups, K)")
    if min(stride, dilation, groups) < 1:
        raise ValueError("stride, dilation and groups must be at least 1")
    N, C, L = x.shape
    O, Cg, K = weight.shape
    if Cg * groups != C or O % groups:
        raise ValueError("the weight does not match the channels and groups")
    if bias is not None and (bias.ndim != 1 or len(bias) != O):
        raise ValueError("bias must be (C_out,)")
    extra = dilation * (K - 1)
    if isinstance(padding, str):
        if padding == "same":
            if stride != 1:
                raise ValueError("'same' with stride > 1")
            left, right = extra // 2, extra - extra // 2
        elif padding == "valid":
            left = right = 0
        else:
            raise ValueError("bad padding")
    else:
        left = right = _as_int(padding)
        if left < 0:
            raise ValueError("negative padding")
    Lp = L + left + right
    L_out = math.floor((Lp - extra - 1) / stride) + 1
    if L_out <= 0:
        raise ValueError("kernel does not fit")
    # dilate the kernel: K taps spaced `dilation` apart
    kd = np.zeros((O, Cg, extra + 1))
    kd[:, :, ::dilation] = weight
    size = Lp + extra + 1
    xp = np.zeros((N, C, Lp))
    xp[:, :, left : left + L] = x
    X = np.fft.rfft(xp, n=size)  # (N, C, F)
    W = np.conj(np.fft.rfft(kd, n=size))  # correlation = product with the conjugate
    X = X.reshape(N, groups, Cg, -1)
    W = W.reshape(groups, O // groups, Cg, -1)
    Y = (X[:, :, None] * W[None]).sum(axis=3).reshape(N, O, -1)
    full = np.fft.irfft(Y, n=size)  # full[i] = sum_k xp[i + k] kd[k]
    y = full[:, :, : (L_out - 1) * stride + 1 : stride]
    if bias is not None:
        y = y + bias[:, None]
    return y.astype(x.dtype)
