# %% pad
def _edge_block(y, axis, side, amount, mode, value):
    """The `amount` values to add on one side of one axis, built in a loop."""
    n = y.shape[axis]
    pieces = []
    for t in range(1, amount + 1):  # t-th position away from the edge
        if mode == "constant":
            shape = list(y.shape)
            shape[axis] = 1
            piece = np.full(shape, value, dtype=y.dtype)
        else:
            if mode == "reflect":
                src = t
            elif mode == "replicate":
                src = 0
            else:  # circular: the left pad is the input's end
                src = n - t
            if side == "after":
                src = n - 1 - src
            piece = np.take(y, [src], axis=axis)
        pieces.append(piece)
    if side == "before":
        pieces.reverse()
    return pieces


def pad(x, pad, mode="constant", value=0.0):
    """Grow one axis at a time by concatenating slices, position by position."""
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(f"mode {mode!r} is not supported")
    if len(pad) % 2 == 1:
        raise ValueError("the pads come in pairs")
    pairs = len(pad) // 2
    if pairs > x.ndim:
        raise ValueError("more pairs of pads than axes")
    if mode != "constant":
        if value != 0:
            raise ValueError("value is for mode 'constant' only")
        if pairs > 3 or pairs < 1 or not (pairs + 1 <= x.ndim <= pairs + 2):
            raise ValueError("wrong rank for this padding mode")
        for size in x.shape[-pairs - 1 :]:
            if size == 0:
                raise ValueError("non-batch axes must be non-empty")
    y = x
    for i in range(pairs):
        axis = x.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        n = y.shape[axis]
        if -min(before, 0) - min(after, 0) > n:
            raise ValueError("cannot crop more than the axis holds")
        keep = [slice(None)] * y.ndim
        keep[axis] = slice(-min(before, 0), n + min(after, 0))
        y = y[tuple(keep)]
        n = y.shape[axis]
        before, after = max(before, 0), max(after, 0)
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError("reflect: pad must be < the axis size")
        if mode == "circular" and (before > n or after > n):
            raise ValueError("circular: pad must be <= the axis size")
        parts = _edge_block(y, axis, "before", before, mode, value)
        parts.append(y)
        parts += _edge_block(y, axis, "after", after, mode, value)
        y = np.concatenate(parts, axis=axis)
    return y
