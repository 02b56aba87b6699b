# %% pad
MODES = ("constant", "reflect", "replicate", "circular")


def _check(x, pad, mode, value):
    if mode not in MODES:
        raise ValueError(f"unknown padding mode {mode!r}")
    if len(pad) % 2:
        raise ValueError("padding length must be divisible by 2")
    pairs = len(pad) // 2
    if pairs > x.ndim:
        raise ValueError("padding length too large for the input's rank")
    if mode == "constant":
        return
    if value != 0:
        raise ValueError(f"padding mode {mode!r} doesn't take a value")
    if not 1 <= pairs <= 3 or x.ndim not in (pairs + 1, pairs + 2):
        raise ValueError(f"{len(pad)} pads are not supported for a {x.ndim}-D input")
    first = 1 if x.ndim == pairs + 2 else 0
    if 0 in x.shape[first:]:
        raise ValueError("only the batch axis may be empty")


def pad(x, pad, mode="constant", value=0.0):
    """Crop, then gather every padded axis with np.take and an index map."""
    pad = tuple(int(p) for p in pad)
    _check(x, pad, mode, value)
    y = x
    # the pairs start at the last axis
    for k in range(len(pad) // 2):
        axis = x.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        n = y.shape[axis]
        lo, hi = max(-before, 0), n - max(-after, 0)
        if lo > hi:
            raise ValueError("the crop is larger than the axis")
        y = np.take(y, np.arange(lo, hi), axis=axis)
        m = hi - lo
        b, a = max(before, 0), max(after, 0)
        if b == 0 and a == 0:
            continue
        pos = np.arange(-b, m + a)
        if mode == "constant":
            shape = list(y.shape)
            shape[axis] = m + b + a
            out = np.full(shape, value, dtype=x.dtype)
            index = [slice(None)] * y.ndim
            index[axis] = slice(b, b + m)
            out[tuple(index)] = y
            y = out
            continue
        if mode == "reflect":
            if b >= m or a >= m:
                raise ValueError("reflect padding must be smaller than the axis")
            src = np.abs(pos)
            src = np.where(src > m - 1, 2 * (m - 1) - src, src)
        elif mode == "replicate":
            src = np.clip(pos, 0, m - 1)
        else:
            if b > m or a > m:
                raise ValueError("circular padding wraps around more than once")
            src = pos % m
        y = np.take(y, src, axis=axis)
    return y.astype(x.dtype, copy=False)
