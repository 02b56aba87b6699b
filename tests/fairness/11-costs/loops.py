# %% conv2d_bytes
SIZES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}


def _two(v):
    """(height, width) of an int or a pair."""
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _layer(x_shape, out_channels, kernel_size, stride, padding, groups, dtype):
    """Checked sizes: (N, C, H, W, KH, KW, H_out, W_out, item size)."""
    if type(dtype) is not str or dtype not in SIZES:
        raise ValueError("dtype must be float64, float32, float16 or bfloat16")
    n, c, h, w = (int(v) for v in x_shape)
    if groups <= 0 or c % groups != 0 or out_channels % groups != 0:
        raise ValueError("groups must divide the channels")
    kh, kw = _two(kernel_size)
    sh, sw = _two(stride)
    ph, pw = _two(padding)
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError("kernel larger than the padded input")
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    return n, c, h, w, kh, kw, ho, wo, SIZES[dtype]


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
    """Loops over the four tensors, adding their sizes."""
    n, c, h, w, kh, kw, ho, wo, size = _layer(
        x_shape, out_channels, kernel_size, stride, padding, groups, dtype
    )
    shapes = [
        (n, c, h, w),
        (out_channels, c // groups, kh, kw),
        (n, out_channels, ho, wo),
    ]
    if bias:
        shapes.append((out_channels,))
    total = 0
    for shape in shapes:
        count = 1
        for dim in shape:
            count *= dim
        total += count * size
    return total


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
    """FLOPs counted output by output: 2 per term of each dot product."""
    n, c, h, w, kh, kw, ho, wo, size = _layer(
        x_shape, out_channels, kernel_size, stride, padding, groups, dtype
    )
    terms = (c // groups) * kh * kw
    flops = 0
    for _ in range(n):
        flops += out_channels * ho * wo * 2 * terms
    return flops / conv2d_bytes(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype
    )


# %% roofline
def roofline(flops, nbytes, peak_flops, bandwidth):
    """if / else, no min or max."""
    if not peak_flops > 0 or not bandwidth > 0:
        raise ValueError("the device's rates must be positive")
    if flops < 0 or nbytes < 0:
        raise ValueError("a layer cannot do negative work")
    t_compute = flops / peak_flops
    t_memory = nbytes / bandwidth
    if t_memory > t_compute:
        return t_memory, "memory"
    return t_compute, "compute"


# %% training_memory
STATE = {"sgd": 0, "momentum": 1, "adam": 2}


def training_memory(param_shapes, optimizer, dtype="float32"):
    """Walks the parameters one by one, as optimizer.state holds them."""
    if optimizer not in STATE or type(optimizer) is not str:
        raise ValueError("optimizer must be sgd, momentum or adam")
    if type(dtype) is not str or dtype not in SIZES:
        raise ValueError("unknown dtype")
    total = 0
    for shape in param_shapes:
        count = 1
        for dim in shape:
            count *= int(dim)
        per_tensor = count * SIZES[dtype]
        total += per_tensor  # the parameter
        total += per_tensor  # its .grad
        total += STATE[optimizer] * per_tensor
        if optimizer == "adam":
            total += 4  # state["step"], a float32 scalar tensor
    return total
