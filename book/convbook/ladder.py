"""The ladder of the conv2d chapter: one layer computed four ways.

Stride 1, no padding, one group, so that every rung is short enough to read:

- ``conv_loops``: a loop over every output, as in the definition;
- ``conv_windows``: all windows as one view, contracted with ``np.einsum``;
- ``conv_im2col``: the patch matrix and one matrix product (GEMM);
- ``conv_winograd``: Winograd's F(2x2, 3x3) for 3x3 kernels, 16 products per
  2x2 block of outputs instead of 36.

The backward pass and max pooling get the same treatment, loops against the
vectorised form (``conv_backward_loops`` / ``conv_backward_gemm``,
``max_pool_loops`` / ``max_pool_taps``), and ``time_ladder`` times them all
on one shape. The course's reference solutions do the same with padding,
strides, dilation and groups; benchmarks/conv2d_numpy_vs_torch.py times those.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

# Winograd F(2x2, 3x3) (Lavin and Gray, 2016): y = A^T [(G w G^T) * (B^T d B)] A.
B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]])


def conv_loops(x, w):
    """y[n, o, i, j] = sum of x's window at (i, j) times w[o]: one output at a time.

    Inputs: x (N, C, H, W), w (C_out, C, KH, KW). Returns y (N, C_out, H_out, W_out).
    """
    (n, _, h, wd), (c_out, _, kh, kw) = x.shape, w.shape
    y = np.zeros((n, c_out, h - kh + 1, wd - kw + 1), dtype=x.dtype)
    for b in range(n):
        for o in range(c_out):
            for i in range(y.shape[2]):
                for j in range(y.shape[3]):
                    y[b, o, i, j] = np.sum(x[b, :, i : i + kh, j : j + kw] * w[o])
    return y


def windows_of(x, kh, kw):
    """View of shape (N, C, H_out, W_out, KH, KW): every window, nothing copied."""
    return np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))


def conv_windows(x, w):
    """All windows at once, contracted with the kernels by one np.einsum."""
    return np.einsum("ncijpq,ocpq->noij", windows_of(x, *w.shape[2:]), w)


def conv_im2col(x, w):
    """The patch matrix (C*KH*KW rows, one column per output) times the kernels."""
    (n, c, _, _), (c_out, _, kh, kw) = x.shape, w.shape
    win = windows_of(x, kh, kw)  # (N, C, H_out, W_out, KH, KW)
    h_out, w_out = win.shape[2:4]
    cols = win.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, -1)  # one copy
    y = w.reshape(c_out, -1) @ cols  # one GEMM: (C_out, C*KH*KW) @ (..., N*P)
    return y.reshape(c_out, n, h_out, w_out).transpose(1, 0, 2, 3)


def conv_winograd(x, w):
    """Winograd F(2x2, 3x3): 4x4 input tiles, 16 GEMMs of (C_out, C) @ (C, tiles)."""
    (n, c, h, wd), c_out = x.shape, w.shape[0]
    th, tw = (h - 1) // 2, (wd - 1) // 2  # 2x2 output tiles down and across
    xp = np.zeros((n, c, 2 * th + 2, 2 * tw + 2), dtype=x.dtype)  # >= x
    xp[:, :, :h, :wd] = x
    tiles = np.lib.stride_tricks.sliding_window_view(xp, (4, 4), axis=(2, 3))
    d = tiles[:, :, ::2, ::2]  # (N, C, th, tw, 4, 4), overlapping by 2
    # Each transform of all tiles is one product with a Kronecker matrix:
    # kron(B^T, B^T) @ vec(d) = vec(B^T d B), and so for G and A^T.
    b2, g2, a2 = (np.kron(m, m).astype(x.dtype) for m in (B_T, G, A_T))
    v = (b2 @ d.reshape(-1, 16).T).reshape(16, n, c, th * tw)
    v = v.transpose(0, 2, 1, 3).reshape(16, c, -1)  # (16, C, tiles)
    u = (g2 @ w.reshape(c_out * c, 9).T).reshape(16, c_out, c)
    m = u @ v  # the 16 GEMMs: (C_out, C) @ (C, tiles)
    y = (a2 @ m.reshape(16, -1)).reshape(2, 2, c_out, n, th, tw)
    y = y.transpose(3, 2, 4, 0, 5, 1).reshape(n, c_out, 2 * th, 2 * tw)
    return y[:, :, : h - 2, : wd - 2]


def conv_backward_loops(g, x, w):
    """Gradients of x and w, one output at a time: each sends g back to its window."""
    kh, kw = w.shape[2:]
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for b in range(g.shape[0]):
        for o in range(g.shape[1]):
            for i in range(g.shape[2]):
                for j in range(g.shape[3]):
                    gx[b, :, i : i + kh, j : j + kw] += g[b, o, i, j] * w[o]
                    gw[o] += g[b, o, i, j] * x[b, :, i : i + kh, j : j + kw]
    return gx, gw


def conv_backward_gemm(g, x, w):
    """Both gradients from the patch matrix: grad_w = G cols^T, and W^T G
    scattered back to the windows it came from (col2im), one tap at a time."""
    (n, c, _, _), (c_out, _, kh, kw) = x.shape, w.shape
    cols = windows_of(x, kh, kw).transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, -1)
    gm = g.transpose(1, 0, 2, 3).reshape(c_out, -1)  # (C_out, N*P)
    gw = (gm @ cols.T).reshape(w.shape)
    back = (w.reshape(c_out, -1).T @ gm).reshape(c, kh, kw, n, *g.shape[2:])
    gx = np.zeros((c, n, *x.shape[2:]), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            gx[:, :, p : p + g.shape[2], q : q + g.shape[3]] += back[:, p, q]
    return gx.transpose(1, 0, 2, 3), gw


def max_pool_loops(x, k):
    """k x k max pooling at stride k, one window at a time."""
    n, c, h, wd = x.shape
    y = np.empty((n, c, h // k, wd // k), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(h // k):
                for j in range(wd // k):
                    y[b, ch, i, j] = x[
                        b, ch, i * k : i * k + k, j * k : j * k + k
                    ].max()
    return y


def max_pool_taps(x, k):
    """The same, one tap at a time: k*k np.maximum passes over strided views."""
    y = x[:, :, : x.shape[2] // k * k : k, : x.shape[3] // k * k : k].copy()
    for p in range(k):
        for q in range(k):
            np.maximum(
                y, x[:, :, p : y.shape[2] * k : k, q : y.shape[3] * k : k], out=y
            )
    return y


def best_time(fn, *args, budget=1.0, repeat=5):
    """The fastest of up to `repeat` runs, stopping once `budget` seconds are spent.

    The fastest run is the one least disturbed by other work on the machine.
    """
    times, spent = [], 0.0
    while len(times) < repeat and (not times or spent < budget):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return min(times)


RUNGS = {
    "forward": [
        ("loops", conv_loops),
        ("sliding windows + einsum", conv_windows),
        ("im2col + one GEMM", conv_im2col),
        ("Winograd F(2x2, 3x3)", conv_winograd),
    ],
    "backward": [
        ("loops", conv_backward_loops),
        ("GEMMs + col2im", conv_backward_gemm),
    ],
    "max pooling": [("loops", max_pool_loops), ("one tap at a time", max_pool_taps)],
}


def time_ladder(x, w, g, pool=2):
    """Seconds per rung: {group: [(rung, seconds), ...]} on one layer's shapes.

    The BLAS library runs on one thread, as the loops do: a comparison of one
    core's work, and no threads left waiting when the machine is busy.
    """
    args = {"forward": (x, w), "backward": (g, x, w), "max pooling": (x, pool)}
    with threadpool_limits(limits=1):
        return {
            group: [(name, best_time(fn, *args[group])) for name, fn in rungs]
            for group, rungs in RUNGS.items()
        }
