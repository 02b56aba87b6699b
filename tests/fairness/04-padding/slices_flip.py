# %% pad
def pad(x, pad, mode="constant", value=0.0):
    """Slices, flips, np.repeat; computed in float64, cast to x's dtype at the end."""
    pad = list(pad)
    if mode not in ["constant", "reflect", "replicate", "circular"]:
        raise ValueError("unknown mode")
    if len(pad) % 2 or len(pad) > 2 * x.ndim:
        raise ValueError("bad number of pads")
    k = len(pad) // 2
    if mode != "constant" and value != 0:
        raise ValueError("value given with a non-constant mode")
    if mode != "constant" and (k == 0 or k > 3 or x.ndim not in (k + 1, k + 2)):
        raise ValueError("unsupported rank for this mode")
    if mode != "constant" and min(x.shape[x.ndim - k - 1 :]) == 0:
        raise ValueError("empty non-batch axis")
    y = x.astype(np.float64)
    for i in range(k):
        ax = y.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        y = np.moveaxis(y, ax, -1)  # work on the last axis
        n = y.shape[-1]
        a, b = max(-lo, 0), n - max(-hi, 0)
        if a > b:
            raise ValueError("crop larger than the axis")
        y = y[..., a:b]
        n = b - a
        lo, hi = max(lo, 0), max(hi, 0)
        if mode == "constant":
            z = np.full(y.shape[:-1] + (lo + n + hi,), float(value))
            z[..., lo : lo + n] = y
            y = z
        elif mode == "reflect":
            if lo >= n or hi >= n:
                raise ValueError("reflect pad too large")
            left = y[..., 1 : lo + 1][..., ::-1]
            right = y[..., n - 1 - hi : n - 1][..., ::-1]
            y = np.concatenate([left, y, right], axis=-1)
        elif mode == "replicate":
            left = np.repeat(y[..., :1], lo, axis=-1)
            right = np.repeat(y[..., -1:], hi, axis=-1)
            y = np.concatenate([left, y, right], axis=-1)
        else:
            if lo > n or hi > n:
                raise ValueError("circular pad too large")
            y = np.concatenate([y[..., n - lo :], y, y[..., :hi]], axis=-1)
        y = np.moveaxis(y, -1, ax)
    return y.astype(x.dtype)
