# %% conv2d_bytes
FLOATS = ("float64", "float32", "float16")


def itemsize(dtype):
    """NumPy's own item sizes, and bfloat16 (which NumPy lacks) by hand."""
    if not isinstance(dtype, str):
        raise ValueError("dtype is a string")
    if dtype == "bfloat16":
        return np.int64(2)
    if dtype not in FLOATS:
        raise ValueError(f"unsupported dtype {dtype}")
    return np.int64(np.dtype(dtype).itemsize)


def geometry(x_shape, out_channels, kernel_size, stride, padding, groups):
    """Arrays of sizes; the output's (H_out, W_out) as an int64 array."""
    x = np.asarray(x_shape, dtype=np.int64)
    k, s, p = (
        np.broadcast_to(np.asarray(v, dtype=np.int64), (2,))
        for v in (kernel_size, stride, padding)
    )
    if groups < 1 or x[1] % groups or out_channels % groups:
        raise ValueError("groups must divide in and out channels")
    padded = x[2:] + 2 * p
    if np.any(k > padded):
        raise ValueError("kernel larger than padded input")
    return x, k, (padded - k) // s + 1


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
    """np.prod of each shape, as NumPy integers."""
    x, k, out = geometry(x_shape, out_channels, kernel_size, stride, padding, groups)
    weight = np.prod(np.concatenate([[out_channels, x[1] // groups], k]))
    output = x[0] * out_channels * np.prod(out)
    values = np.prod(x) + weight + output + (out_channels if bias else 0)
    return np.int64(values) * itemsize(dtype)


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
    """A NumPy float64: FLOPs = 2 * outputs * terms per output."""
    x, k, out = geometry(x_shape, out_channels, kernel_size, stride, padding, groups)
    outputs = x[0] * out_channels * np.prod(out)
    flops = 2 * outputs * (x[1] // groups) * np.prod(k)
    nbytes = conv2d_bytes(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype
    )
    return np.float64(flops) / np.float64(nbytes)


# %% roofline
def roofline(flops, nbytes, peak_flops, bandwidth):
    """np.maximum over the two times; argmax picks the bound."""
    rates = np.array([peak_flops, bandwidth], dtype=np.float64)
    work = np.array([flops, nbytes], dtype=np.float64)
    if np.any(rates <= 0) or np.any(work < 0):
        raise ValueError("invalid roofline arguments")
    times = work / rates
    bound = "memory" if times[1] > times[0] else "compute"
    return np.max(times), bound


# %% training_memory
def training_memory(param_shapes, optimizer, dtype="float32"):
    """Copies of the weights per optimiser, as an int64 sum."""
    copies = {"sgd": 2, "momentum": 3, "adam": 4}  # weights, grads, state
    if not isinstance(optimizer, str) or optimizer not in copies:
        raise ValueError("unknown optimizer")
    values = np.sum([np.prod(s, dtype=np.int64) for s in param_shapes], dtype=np.int64)
    total = copies[optimizer] * values * itemsize(dtype)
    if optimizer == "adam":
        total += np.int64(4) * len(param_shapes)
    return total
