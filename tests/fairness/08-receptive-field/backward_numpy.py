# %% receptive_field
def receptive_field(layers):
    """Backward: from one unit of the last layer down to the input (np.int64)."""
    ks, ss, ds = [], [], []
    for layer in layers:
        if isinstance(layer, dict):
            ks.append(layer["kernel_size"])
            ss.append(layer.get("stride", 1))
            ds.append(layer.get("dilation", 1))
        else:
            ks.append(layer[0])
            ss.append(layer[1] if len(layer) > 1 else 1)
            ds.append(layer[2] if len(layer) > 2 else 1)
    ks, ss, ds = (np.asarray(v, dtype=np.int64) for v in (ks, ss, ds))
    rf = np.int64(1)
    for k, s, d in zip(ks[::-1], ss[::-1], ds[::-1]):
        # rf units of this layer's output need (rf - 1) strides plus one window
        rf = (rf - 1) * s + d * (k - 1) + 1
    return rf, np.prod(ss, dtype=np.int64)


# %% count_parameters
def count_parameters(c_in, c_out, kernel_size, groups=1, bias=True):
    """np.prod of the weight's shape (a NumPy integer), plus the bias."""
    if groups <= 0 or c_in % groups or c_out % groups:
        raise ValueError("groups must divide in_channels and out_channels")
    shape = np.array([c_out, c_in // groups, *np.broadcast_to(kernel_size, (2,))])
    return np.prod(shape) + (np.int64(c_out) if bias else np.int64(0))


# %% count_macs
def count_macs(c_in, c_out, kernel_size, output_size, groups=1):
    """Outputs times terms per output, as NumPy integers."""
    if groups <= 0 or c_in % groups or c_out % groups:
        raise ValueError("groups must divide in_channels and out_channels")
    kernel = np.broadcast_to(np.asarray(kernel_size, dtype=np.int64), (2,))
    out = np.broadcast_to(np.asarray(output_size, dtype=np.int64), (2,))
    return np.int64(c_out) * out.prod() * (c_in // groups) * kernel.prod()
