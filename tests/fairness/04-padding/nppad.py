# %% pad
def pad(x, pad, mode="constant", value=0.0):
    """np.pad does the work (its 'edge' is 'replicate', its 'wrap' 'circular');
    negative pads are crops done first, by slicing."""
    numpy_mode = {
        "constant": "constant",
        "reflect": "reflect",
        "replicate": "edge",
        "circular": "wrap",
    }.get(mode)
    if numpy_mode is None:
        raise ValueError("mode must be constant, reflect, replicate or circular")
    if len(pad) % 2 != 0 or len(pad) // 2 > x.ndim:
        raise ValueError("pad must hold pairs, at most one per axis")
    n_pairs = len(pad) // 2
    if mode != "constant":
        if value:
            raise ValueError("only mode 'constant' takes a value")
        if n_pairs not in (1, 2, 3) or x.ndim - n_pairs not in (1, 2):
            raise ValueError("this mode pads 1-3 trailing axes of a batched input")
        if any(s == 0 for s in x.shape[x.ndim - n_pairs - 1 :]):
            raise ValueError("empty axes cannot be padded in this mode")
    widths = [(0, 0)] * x.ndim
    crop = [slice(None)] * x.ndim
    for i in range(n_pairs):
        axis = -1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        size = x.shape[axis]
        start, stop = -min(before, 0), size + min(after, 0)
        if stop < start:
            raise ValueError("negative padding removes more than the axis")
        crop[axis] = slice(start, stop)
        kept = stop - start
        before, after = max(before, 0), max(after, 0)
        if mode == "reflect" and max(before, after) >= kept:
            raise ValueError("reflect pads must be smaller than the axis")
        if mode == "circular" and max(before, after) > kept:
            raise ValueError("circular pads may be at most the axis size")
        widths[axis] = (before, after)
    cropped = x[tuple(crop)]
    if numpy_mode == "constant":
        return np.pad(cropped, widths, mode="constant", constant_values=value)
    return np.pad(cropped, widths, mode=numpy_mode)
