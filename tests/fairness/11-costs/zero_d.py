# %% conv2d_bytes
def bytes_of(dtype):
    """Bits per value // 8, from the name's digits (bfloat16: 16 bits)."""
    if not isinstance(dtype, str) or dtype not in (
        "float64",
        "float32",
        "float16",
        "bfloat16",
    ):
        raise ValueError("unsupported dtype")
    return int(dtype[-2:]) // 8


def out_size(size, k, s, p):
    span = size + 2 * p - k
    if span < 0:
        raise ValueError("kernel larger than the padded input")
    return span // s + 1


def conv2d_bytes(
    x_shape,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    groups=1,
    bias=True,
    dtype="float32",
):
    """A 0-d int64 array: the input and output scale with N, the rest does not."""
    n, c, h, w = x_shape
    if groups < 1 or c % groups or out_channels % groups:
        raise ValueError("bad groups")
    kh, kw = np.resize(np.asarray(kernel_size), 2)
    sh, sw = np.resize(np.asarray(stride), 2)
    ph, pw = np.resize(np.asarray(padding), 2)
    ho, wo = out_size(h, kh, sh, ph), out_size(w, kw, sw, pw)
    per_image = c * h * w + out_channels * ho * wo
    fixed = out_channels * (c // groups) * kh * kw + out_channels * int(bool(bias))
    return np.array((n * per_image + fixed) * bytes_of(dtype), dtype=np.int64)


# %% arithmetic_intensity
def arithmetic_intensity(
    x_shape,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    groups=1,
    bias=True,
    dtype="float32",
):
    """MACs of one image times N, doubled; a 0-d float64 array."""
    n, c, h, w = x_shape
    nbytes = conv2d_bytes(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype
    )
    kh, kw = np.resize(np.asarray(kernel_size), 2)
    sh, sw = np.resize(np.asarray(stride), 2)
    ph, pw = np.resize(np.asarray(padding), 2)
    macs_one = (
        out_channels
        * out_size(h, kh, sh, ph)
        * out_size(w, kw, sw, pw)
        * (c // groups)
        * kh
        * kw
    )
    return np.array(2 * n * int(macs_one) / int(nbytes))


# %% roofline
def roofline(flops, nbytes, peak_flops, bandwidth):
    """Compares intensity with the ridge point by cross-multiplying."""
    if peak_flops <= 0 or bandwidth <= 0 or flops < 0 or nbytes < 0:
        raise ValueError("peak_flops, bandwidth > 0 and flops, nbytes >= 0")
    memory_bound = nbytes * peak_flops > flops * bandwidth
    seconds = nbytes / bandwidth if memory_bound else flops / peak_flops
    return np.array(float(seconds)), "memory" if memory_bound else "compute"


# %% training_memory
def training_memory(param_shapes, optimizer, dtype="float32"):
    """Bytes per value times a multiplier, plus Adam's steps; a 0-d array."""
    per_value = (
        {"sgd": 2, "momentum": 3, "adam": 4}.get(optimizer)
        if isinstance(optimizer, str)
        else None
    )
    if per_value is None:
        raise ValueError("optimizer")
    values = 0
    for shape in param_shapes:
        values += int(np.prod(np.asarray(shape, dtype=np.int64)))
    steps = 4 * len(param_shapes) if optimizer == "adam" else 0
    return np.array(per_value * values * bytes_of(dtype) + steps)
