# %% layer_shape
def _read(layer):
    """(kind, settings) with PyTorch's defaults."""
    kind = layer["type"]
    get = layer.get
    if kind == "conv":
        return kind, dict(
            c_out=int(layer["out_channels"]),
            k=int(layer["kernel_size"]),
            s=int(get("stride", 1)),
            p=int(get("padding", 0)),
            d=int(get("dilation", 1)),
            g=int(get("groups", 1)),
            bias=bool(get("bias", True)),
            ceil=False,
        )
    if kind in ("maxpool", "avgpool"):
        k = int(layer["kernel_size"])
        return kind, dict(
            k=k,
            s=int(get("stride", k)),
            p=int(get("padding", 0)),
            d=int(get("dilation", 1)),
            ceil=bool(get("ceil_mode", False)),
        )
    if kind == "linear":
        return kind, dict(f=int(layer["out_features"]), bias=bool(get("bias", True)))
    return kind, {}


def _windows(n, k, s, p, d, ceil):
    # The last start index, by integer division (rounded up for ceil_mode).
    room = n + 2 * p - (d * (k - 1) + 1)
    last = -((-room) // s) if ceil else room // s
    if ceil and last * s >= n + p:
        last -= 1  # that window would start in the right padding
    return last + 1


def layer_shape(in_shape, layer):
    """Output shape by the index of the last window."""
    c, h, w = [int(x) for x in in_shape]
    kind, o = _read(layer)
    if kind == "linear":
        return (o["f"], 1, 1)
    if not o:
        return (c, h, w)
    if kind == "conv":
        if c % o["g"] or o["c_out"] % o["g"]:
            raise ValueError(f"groups={o['g']} does not divide {c} and {o['c_out']}")
        c = o["c_out"]
    elif o["p"] * 2 > o["k"]:
        raise ValueError("padding exceeds half the pooling window")
    args = (o["k"], o["s"], o["p"], o["d"], o["ceil"])
    h_out, w_out = _windows(h, *args), _windows(w, *args)
    if h_out <= 0 or w_out <= 0:
        raise ValueError("the window does not fit")
    return (c, h_out, w_out)


# %% layer_counts
def layer_counts(in_shape, layer):
    """Per layer type: weights, biases, and the MACs of all output values."""
    c, h, w = [int(x) for x in in_shape]
    c_out, h_out, w_out = layer_shape(in_shape, layer)
    kind, o = _read(layer)
    if kind == "conv":
        macs_per_value = (c // o["g"]) * o["k"] ** 2
        return (
            c_out * macs_per_value + o["bias"] * c_out,
            c_out * h_out * w_out * macs_per_value,
        )
    if kind == "linear":
        inputs = c * h * w
        return (inputs * o["f"] + o["bias"] * o["f"], inputs * o["f"])
    return ((2 * c if kind == "batchnorm" else 0), 0)


# %% layer_table
def _field(windows):
    """Walk back from one output unit: the span of input rows it reaches, and
    how far the next unit's span is shifted."""
    lo, hi, shift = 0, 0, 1
    for k, s, d in reversed(windows):
        lo, hi = lo * s, hi * s + d * (k - 1)
        shift *= s
    return hi - lo + 1, shift


def layer_table(in_shape, layers):
    """Each row's field measured by walking the windows backwards."""
    shape, windows, rows = tuple(int(x) for x in in_shape), [], []
    for layer in layers:
        kind, o = _read(layer)
        if kind == "linear":
            windows.append((shape[1], 1, 1))
        elif o:
            windows.append((o["k"], o["s"], o["d"]))
        else:
            windows.append((1, 1, 1))
        counts = layer_counts(shape, layer)
        shape = layer_shape(shape, layer)
        rows.append((*shape, *counts, *_field(windows)))
    params = sum(row[3] for row in rows)
    macs = sum(row[4] for row in rows)
    return tuple(rows), (params, macs)
