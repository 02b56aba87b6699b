# %% layer_shape
import numpy as np

DEFAULTS = {
    "conv": dict(stride=1, padding=0, dilation=1, groups=1, bias=True),
    "maxpool": dict(padding=0, dilation=1, ceil_mode=False),
    "avgpool": dict(padding=0, ceil_mode=False),
    "linear": dict(bias=True),
}


def _options(layer):
    opts = dict(DEFAULTS.get(layer["type"], {}))
    opts.update((k, v) for k, v in layer.items() if k != "type")
    if layer["type"] in ("maxpool", "avgpool"):
        opts.setdefault("stride", opts["kernel_size"])
    return opts


def layer_shape(in_shape, layer):
    """Both spatial axes at once, as a NumPy array of sizes."""
    size = np.asarray(in_shape, dtype=np.int64)
    o = _options(layer)
    kind = layer["type"]
    if kind == "linear":
        return (o["out_features"], 1, 1)
    if kind in ("batchnorm", "relu"):
        return tuple(size)
    k, s, p = (np.int64(o[n]) for n in ("kernel_size", "stride", "padding"))
    span = np.int64(o.get("dilation", 1)) * (k - 1) + 1
    if kind == "conv" and (size[0] % o["groups"] or o["out_channels"] % o["groups"]):
        raise ValueError("groups must divide in and out channels")
    if kind != "conv" and 2 * p > k:
        raise ValueError("pooling padding over half the kernel")
    room = size[1:] + 2 * p - span
    if o.get("ceil_mode", False):
        hw = -np.floor_divide(-room, s) + 1
        hw = hw - ((hw - 1) * s >= size[1:] + p)
    else:
        hw = np.floor_divide(room, s) + 1
    if (hw < 1).any():
        raise ValueError("output would be empty")
    channels = o["out_channels"] if kind == "conv" else size[0]
    return (channels, hw[0], hw[1])


# %% layer_counts
def layer_counts(in_shape, layer):
    """Weights as a product of the weight's shape, MACs as weights times positions."""
    out = np.asarray(layer_shape(in_shape, layer), dtype=np.int64)
    size = np.asarray(in_shape, dtype=np.int64)
    o = _options(layer)
    kind = layer["type"]
    if kind == "conv":
        k = o["kernel_size"]
        weight = np.prod([o["out_channels"], size[0] // o["groups"], k, k])
        return (weight + o["out_channels"] * bool(o["bias"]), weight * out[1] * out[2])
    if kind == "linear":
        weight = np.prod(size) * o["out_features"]
        return (weight + o["out_features"] * bool(o["bias"]), weight)
    return (2 * size[0] if kind == "batchnorm" else np.int64(0), np.int64(0))


# %% layer_table
def layer_table(in_shape, layers):
    """Shapes and counts per layer; fields from cumulative products of strides."""
    shapes, counts, windows = [], [], []
    shape = tuple(in_shape)
    for layer in layers:
        o = _options(layer)
        if layer["type"] == "linear":
            windows.append((shape[1], 1, 1))
        elif "kernel_size" in o:
            windows.append((o["kernel_size"], o["stride"], o.get("dilation", 1)))
        else:
            windows.append((1, 1, 1))
        counts.append(layer_counts(shape, layer))
        shape = layer_shape(shape, layer)
        shapes.append(shape)
    if not windows:
        return [], (0, 0)
    k, s, d = np.array(windows, dtype=np.int64).T
    jumps = np.cumprod(s)
    before = np.concatenate([[1], jumps[:-1]])
    rfs = 1 + np.cumsum(d * (k - 1) * before)
    rows = [(*sh, *ct, rf, j) for sh, ct, rf, j in zip(shapes, counts, rfs, jumps)]
    return rows, tuple(np.sum(np.array(counts, dtype=np.int64), axis=0))
