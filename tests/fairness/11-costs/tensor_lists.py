# %% conv2d_bytes
import math

BYTES = dict(float64=8, float32=4, float16=2, bfloat16=2)


def _as_pair(v):
    return [int(v)] * 2 if not hasattr(v, "__len__") else [int(v[0]), int(v[1])]


def kept_tensors(x_shape, out_channels, kernel_size, stride, padding, groups, bias):
    """The shapes of the tensors a forward pass touches: x, weight, [bias], y."""
    n, c, h, w = map(int, x_shape)
    g = int(groups)
    if g < 1 or c % g or out_channels % g:
        raise ValueError("in_channels and out_channels must be divisible by groups")
    (kh, kw), (sh, sw), (ph, pw) = map(_as_pair, (kernel_size, stride, padding))
    hp, wp = h + 2 * ph, w + 2 * pw
    if hp < kh or wp < kw:
        raise ValueError("Kernel size can't be greater than actual input size")
    y = [n, out_channels, (hp - kh) // sh + 1, (wp - kw) // sw + 1]
    tensors = [[n, c, h, w], [out_channels, c // g, kh, kw]]
    if bias:
        tensors.append([out_channels])
    return tensors + [y]


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
    """Sum of math.prod over the tensor list, times the item size."""
    if not isinstance(dtype, str) or dtype not in BYTES:
        raise ValueError(dtype)
    tensors = kept_tensors(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias
    )
    return BYTES[dtype] * sum(math.prod(t) for t in tensors)


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
    """FLOPs from the weight's and output's shapes: 2 * |y| * |w| / C_out."""
    tensors = kept_tensors(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias
    )
    weight, y = tensors[1], tensors[-1]
    flops = 2 * math.prod(y) * math.prod(weight[1:])
    return flops / conv2d_bytes(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype
    )


# %% roofline
def roofline(flops, nbytes, peak_flops, bandwidth):
    """A list, not a tuple; the slower resource found with max over pairs."""
    for rate in (peak_flops, bandwidth):
        if rate <= 0:
            raise ValueError("rates must be > 0")
    for amount in (flops, nbytes):
        if amount < 0:
            raise ValueError("amounts must be >= 0")
    seconds, name = max(
        (flops / peak_flops, "compute"),
        (nbytes / bandwidth, "memory"),
        key=lambda pair: pair[0],
    )
    return [float(seconds), name]


# %% training_memory
def training_memory(param_shapes, optimizer, dtype="float32"):
    """Lists every tensor kept after one step, as (values, bytes per value)."""
    if not isinstance(dtype, str) or dtype not in BYTES:
        raise ValueError(dtype)
    if optimizer not in ("sgd", "momentum", "adam"):
        raise ValueError(optimizer)
    kept = []
    for shape in param_shapes:
        numel = math.prod(int(d) for d in shape)
        kept += [(numel, BYTES[dtype]), (numel, BYTES[dtype])]  # param, grad
        if optimizer == "momentum":
            kept.append((numel, BYTES[dtype]))  # momentum_buffer
        elif optimizer == "adam":
            kept += [(numel, BYTES[dtype])] * 2  # exp_avg, exp_avg_sq
            kept.append((1, 4))  # step: a float32 scalar
    return sum(values * size for values, size in kept)
