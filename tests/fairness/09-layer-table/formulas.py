# %% layer_shape
import math

POOLS = ("maxpool", "avgpool")


def _get(layer, key, default):
    return int(layer[key]) if key in layer else default


def _out(n, k, s, p, d, ceil):
    """Windows along one axis: the output-size formula, PyTorch's ceil rule."""
    span = d * (k - 1) + 1
    if ceil:
        out = math.ceil((n + 2 * p - span) / s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
    else:
        out = math.floor((n + 2 * p - span) / s) + 1
    return out


def layer_shape(in_shape, layer):
    """Output shape from the formula, one axis at a time."""
    c, h, w = map(int, in_shape)
    kind = layer["type"]
    if kind in ("batchnorm", "relu"):
        return (c, h, w)
    if kind == "linear":
        return (int(layer["out_features"]), 1, 1)
    k = int(layer["kernel_size"])
    p = _get(layer, "padding", 0)
    d = _get(layer, "dilation", 1)
    if kind == "conv":
        s, g, ceil = _get(layer, "stride", 1), _get(layer, "groups", 1), False
        c_out = int(layer["out_channels"])
        if c % g != 0 or c_out % g != 0:
            raise ValueError("groups must divide both channel counts")
    else:
        s, c_out = _get(layer, "stride", k), c
        ceil = bool(layer.get("ceil_mode", False))
        if p > k / 2:
            raise ValueError("pad should be at most half of kernel size")
    oh, ow = _out(h, k, s, p, d, ceil), _out(w, k, s, p, d, ceil)
    if oh < 1 or ow < 1:
        raise ValueError("output size is too small")
    return (c_out, oh, ow)


# %% layer_counts
def layer_counts(in_shape, layer):
    """Parameters and MACs by the closed formulas."""
    c, h, w = map(int, in_shape)
    c_out, oh, ow = layer_shape(in_shape, layer)
    kind = layer["type"]
    if kind == "conv":
        k, g = int(layer["kernel_size"]), int(layer.get("groups", 1))
        per_output = (c // g) * k * k
        params = c_out * per_output + (c_out if layer.get("bias", True) else 0)
        return (params, c_out * oh * ow * per_output)
    if kind == "linear":
        f = int(layer["out_features"])
        return (c * h * w * f + (f if layer.get("bias", True) else 0), c * h * w * f)
    if kind == "batchnorm":
        return (2 * c, 0)
    return (0, 0)


# %% layer_table
def layer_table(in_shape, layers):
    """Forward recurrence rf += D(K-1)J, J *= S, rows as tuples."""
    shape = tuple(map(int, in_shape))
    rf, jump = 1, 1
    rows = []
    for layer in layers:
        kind = layer["type"]
        if kind == "linear":
            k, s, d = shape[1], 1, 1
        elif kind in ("batchnorm", "relu"):
            k, s, d = 1, 1, 1
        else:
            k = int(layer["kernel_size"])
            s = int(layer.get("stride", 1 if kind == "conv" else k))
            d = int(layer.get("dilation", 1))
        params, macs = layer_counts(shape, layer)
        shape = layer_shape(shape, layer)
        rf = rf + d * (k - 1) * jump
        jump = jump * s
        rows.append(shape + (params, macs, rf, jump))
    total = (sum(r[3] for r in rows), sum(r[4] for r in rows))
    return (rows, total)
