# %% layer_shape
def _positions(n, k, s, p, d, ceil):
    """Slide the window along the padded line and count where it may start:
    a whole window must fit; with ceil_mode, a window may overhang the end if
    part of it is past the last whole one, but not start in the right padding."""
    span = d * (k - 1) + 1
    count, start = 0, -p
    while True:
        fits = start + span <= n + p
        overhangs = ceil and start + span - s < n + p and start < n
        if not (fits or overhangs):
            return count
        count += 1
        start += s


def layer_shape(in_shape, layer):
    """Output shape by sliding windows along each axis."""
    c, h, w = (int(v) for v in in_shape)
    opts = {k: v for k, v in layer.items() if k != "type"}
    kind = layer["type"]
    if kind == "relu" or kind == "batchnorm":
        return c, h, w
    if kind == "linear":
        return int(opts["out_features"]), 1, 1
    k = int(opts["kernel_size"])
    p = int(opts.get("padding", 0))
    d = int(opts.get("dilation", 1))
    if kind == "conv":
        g = int(opts.get("groups", 1))
        if c % g or int(opts["out_channels"]) % g:
            raise ValueError("groups does not divide the channels")
        s, ceil, c_out = int(opts.get("stride", 1)), False, int(opts["out_channels"])
    else:
        if 2 * p > k:
            raise ValueError("pooling padding larger than half the kernel")
        s, ceil, c_out = int(opts.get("stride", k)), bool(opts.get("ceil_mode")), c
    oh, ow = _positions(h, k, s, p, d, ceil), _positions(w, k, s, p, d, ceil)
    if not (oh and ow):
        raise ValueError("no window fits")
    return c_out, oh, ow


# %% layer_counts
import numpy as np  # noqa: E402 - a cell of its own in the notebook


def layer_counts(in_shape, layer):
    """Parameters by the shapes of the module's tensors; MACs as outputs times
    the length of each output's dot product."""
    c, h, w = (int(v) for v in in_shape)
    out = layer_shape(in_shape, layer)
    kind = layer["type"]
    tensors, dot = [], 0
    if kind == "conv":
        k, g = int(layer["kernel_size"]), int(layer.get("groups", 1))
        tensors.append((out[0], c // g, k, k))
        if layer.get("bias", True):
            tensors.append((out[0],))
        dot = (c // g) * k * k
    elif kind == "linear":
        tensors.append((out[0], c * h * w))
        if layer.get("bias", True):
            tensors.append((out[0],))
        dot = c * h * w
    elif kind == "batchnorm":
        tensors += [(c,), (c,)]  # weight and bias; running stats are buffers
    params = sum(int(np.prod(t)) for t in tensors)
    return [np.int64(params), np.int64(int(np.prod(out)) * dot)]


# %% layer_table
def layer_table(in_shape, layers):
    """Rows as lists of NumPy ints; the field by the forward recurrence."""
    shape = [int(v) for v in in_shape]
    rf = jump = 1
    rows = []
    for layer in list(layers):
        kind = layer["type"]
        if kind == "linear":
            window = (shape[1], 1, 1)
        elif kind in ("relu", "batchnorm"):
            window = (1, 1, 1)
        else:
            k = int(layer["kernel_size"])
            default = 1 if kind == "conv" else k
            stride = int(layer.get("stride", default))
            window = (k, stride, int(layer.get("dilation", 1)))
        k, s, d = window
        params, macs = layer_counts(shape, layer)
        shape = list(layer_shape(shape, layer))
        rf += d * (k - 1) * jump
        jump *= s
        rows.append([np.int64(v) for v in (*shape, params, macs, rf, jump)])
    return rows, [sum(int(r[3]) for r in rows), sum(int(r[4]) for r in rows)]
