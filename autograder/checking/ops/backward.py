"""Assignment 06-backward: conv2d_backward and max_pool2d_backward, via autograd.

The references run PyTorch's forward pass on float64 tensors that require
gradients and back-propagate the given grad_out. The diagnoses return directly
the tuple (or array) that a function making the mistake would return.
"""

from __future__ import annotations

import numpy as np

from ... import offline
from ..registry import Mistake, active_recorder, call_torch, register, tensor, torch

if torch is not None:  # without PyTorch (Pyodide), only random_grad_out works
    import torch.nn.functional as F

# --- conv2d_backward ---------------------------------------------------------


def _conv_grads(grad_out, x, weight, stride, padding, dilation, groups):
    xt = tensor(x).requires_grad_()
    wt = tensor(weight).requires_grad_()
    bt = torch.zeros(np.shape(weight)[0], dtype=torch.float64, requires_grad=True)
    y = call_torch(F.conv2d, xt, wt, bt, stride, padding, dilation, groups)
    call_torch(y.backward, tensor(grad_out))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def _batched(args):
    return np.ndim(args["x"]) == 4 and np.shape(args["x"])[0] > 1


def _grad_weight_last_image(args):
    if not _batched(args):
        return None
    gx, _, gb = _conv_grads(**args)
    last = {**args, "grad_out": args["grad_out"][-1:], "x": args["x"][-1:]}
    return gx, _conv_grads(**last)[1], gb


def _grad_weight_mean(args):
    if not _batched(args):
        return None
    gx, gw, gb = _conv_grads(**args)
    return gx, gw / np.shape(args["x"])[0], gb


def _grad_x_unflipped(args):
    w = np.asarray(args["weight"])
    flipped = w[..., ::-1, ::-1]
    if np.array_equal(flipped, w):
        return None
    _, gw, gb = _conv_grads(**args)
    return _conv_grads(**{**args, "weight": flipped})[0], gw, gb


def _stride_one_grads(args):
    """The gradients with grad_out's values placed as if the stride were 1."""
    s = args["stride"]
    if all(v == 1 for v in (s if isinstance(s, (tuple, list)) else (s,))):
        return None
    g = np.asarray(args["grad_out"])
    ones = {**args, "stride": 1}
    out_shape = call_torch(
        F.conv2d,
        tensor(args["x"]),
        tensor(args["weight"]),
        None,
        1,
        args["padding"],
        args["dilation"],
        args["groups"],
    ).shape
    g1 = np.zeros(tuple(out_shape))
    g1[..., : g.shape[-2], : g.shape[-1]] = g
    return _conv_grads(**{**ones, "grad_out": g1})


def _stride_ignored(which):
    def variant(args):
        wrong = _stride_one_grads(args)
        if wrong is None:
            return None
        right = _conv_grads(**args)
        return tuple(
            w if i in which else r for i, (w, r) in enumerate(zip(wrong, right))
        )

    return variant


def _grad_x_not_cropped(args):
    p = args["padding"]
    if p == "valid" or p == 0 or p == (0, 0) or p == [0, 0]:
        return None
    if isinstance(p, str):  # 'same': the padded input the forward pass saw
        return None
    ph, pw = (p, p) if isinstance(p, int) else (tuple(p) * 2)[:2]
    x = np.asarray(args["x"])
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    gx, gw, gb = _conv_grads(**{**args, "x": np.pad(x, widths), "padding": 0})
    return gx, gw, gb


CONV2D_BACKWARD = [
    Mistake(
        "grad_weight_one_image",
        "grad_weight comes from one image only: the weights are shared by the "
        "whole batch, so their gradient is a sum over the batch (+=, not =)",
        _grad_weight_last_image,
    ),
    Mistake(
        "grad_weight_averaged_over_batch",
        "grad_weight is averaged over the batch: PyTorch's gradient of a sum "
        "is summed over the batch, not divided by N",
        _grad_weight_mean,
    ),
    Mistake(
        "grad_x_kernel_unflipped",
        "grad_x uses the kernel without flipping it: as a convolution of grad_out, "
        "the input gradient is a transposed convolution, w[o, c, K-1-p, K-1-q]",
        _grad_x_unflipped,
    ),
    Mistake(
        "stride_ignored_grad_x",
        "the stride is ignored in the backward scatter: output (i, j) read input "
        "(i*S + p*D, j*S + q*D), so that is where its gradient goes",
        _stride_ignored({0}),
    ),
    Mistake(
        "stride_ignored_grad_weight",
        "the stride is ignored in grad_weight: tap (p, q) of output (i, j) met "
        "input (i*S + p*D, j*S + q*D)",
        _stride_ignored({1}),
    ),
    Mistake(
        "stride_ignored_backward",
        "the stride is ignored in the backward pass: output (i, j) read input "
        "(i*S + p*D, j*S + q*D)",
        _stride_ignored({0, 1}),
    ),
    Mistake(
        "grad_x_keeps_padding",
        "grad_x keeps the padding: it has the padded input's shape; crop the "
        "padding off to return the gradient of the unpadded x",
        _grad_x_not_cropped,
    ),
]


@register("conv2d_backward", diagnoses=CONV2D_BACKWARD)
def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """(grad_x, grad_weight, grad_bias) of conv2d with a bias, from autograd."""
    return _conv_grads(grad_out, x, weight, stride, padding, dilation, groups)


# --- max_pool2d_backward -----------------------------------------------------


def _pool_grad(grad_out, x, kernel_size, stride, padding, dilation, ceil_mode):
    xt = tensor(x).requires_grad_()
    y = call_torch(F.max_pool2d, xt, kernel_size, stride, padding, dilation, ceil_mode)
    call_torch(y.backward, tensor(grad_out))
    return xt.grad.numpy()


def _pool_args(args):
    """Batched float64 x and grad_out, and whether the input had a batch axis."""
    x, g = np.asarray(args["x"], float), np.asarray(args["grad_out"], float)
    batched = x.ndim == 4
    return (x, g, batched) if batched else (x[None], g[None], batched)


def _pair(v):
    return (v, v) if isinstance(v, int) else (tuple(v) * 2)[:2]


def _route(args, indices, g, accumulate=True):
    """grad_x with g[n, c, i, j] sent to input indices[n, c, i, j] (flat over H*W)."""
    x, _, batched = _pool_args(args)
    n, c, h, w = x.shape
    grad = np.zeros((n * c, h * w))
    rows = np.repeat(np.arange(n * c), indices[0, 0].size)
    idx, vals = indices.reshape(-1), g.reshape(-1)
    keep = (idx >= 0) & (idx < h * w)
    if accumulate:
        np.add.at(grad, (rows[keep], idx[keep]), vals[keep])
    else:
        grad[rows[keep], idx[keep]] = vals[keep]
    grad = grad.reshape(n, c, h, w)
    return grad if batched else grad[0]


def _argmax_indices(args, **changes):
    a = {**args, **changes}
    x, _, _ = _pool_args(a)
    _, idx = call_torch(
        F.max_pool2d,
        tensor(x),
        a["kernel_size"],
        a["stride"],
        a["padding"],
        a["dilation"],
        a["ceil_mode"],
        return_indices=True,
    )
    return idx.numpy()


def _pool_overwrite(args):
    _, g, _ = _pool_args(args)
    return _route(args, _argmax_indices(args), g, accumulate=False)


def _pool_first_element(args):
    """Each window's gradient sent to its first (top-left) element."""
    x, g, _ = _pool_args(args)
    s, p = _pool_stride(args), _pair(args["padding"])
    i = np.arange(g.shape[2])[:, None] * s[0] - p[0]
    j = np.arange(g.shape[3])[None, :] * s[1] - p[1]
    inside = (i >= 0) & (j >= 0)
    idx = np.where(inside, i * x.shape[3] + j, -1)
    return _route(args, np.broadcast_to(idx, g.shape), g)


def _pool_stride(args):
    """The stride pair, which defaults to the kernel size."""
    return _pair(args["kernel_size"] if args["stride"] is None else args["stride"])


def _pool_stride_ignored(args):
    if _pool_stride(args) == (1, 1):
        return None
    _, g, _ = _pool_args(args)
    idx = _argmax_indices(args, stride=1)
    return _route(args, idx[..., : g.shape[2], : g.shape[3]], g)


def _pool_all_maxima(args):
    """Each window's gradient sent to every element equal to the window's max."""
    x, g, batched = _pool_args(args)
    (kh, kw), (ph, pw) = _pair(args["kernel_size"]), _pair(args["padding"])
    sh, sw = _pool_stride(args)
    dh, dw = _pair(args["dilation"])
    ho, wo = g.shape[2:]
    hp = max(x.shape[2] + 2 * ph, (ho - 1) * sh + dh * (kh - 1) + 1)
    wp = max(x.shape[3] + 2 * pw, (wo - 1) * sw + dw * (kw - 1) + 1)
    xp = np.full(x.shape[:2] + (hp, wp), -np.inf)
    xp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]] = x
    taps = [
        (
            slice(p * dh, p * dh + (ho - 1) * sh + 1, sh),
            slice(q * dw, q * dw + (wo - 1) * sw + 1, sw),
        )
        for p in range(kh)
        for q in range(kw)
    ]
    top = np.max([xp[:, :, r, c] for r, c in taps], axis=0)
    grad = np.zeros_like(xp)
    for r, c in taps:
        grad[:, :, r, c] += np.where(xp[:, :, r, c] == top, g, 0.0)
    grad = grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return grad if batched else grad[0]


MAX_POOL2D_BACKWARD = [
    Mistake(
        "overlap_overwrites",
        "where windows overlap, a later window's gradient overwrites an earlier "
        "one: an input that is the maximum of several windows gets the sum (+=)",
        _pool_overwrite,
    ),
    Mistake(
        "gradient_to_first_element",
        "the gradient goes to the first (top-left) element of each window, not "
        "to the window's maximum",
        _pool_first_element,
    ),
    Mistake(
        "stride_ignored",
        "the stride is ignored: window (i, j) starts at input (i*S - P, j*S - P)",
        _pool_stride_ignored,
    ),
    Mistake(
        "gradient_to_every_maximum",
        "the gradient goes to every element equal to the window's maximum: "
        "PyTorch sends it to one maximal element (the first, in row-major order)",
        _pool_all_maxima,
    ),
]


@register("max_pool2d_backward", diagnoses=MAX_POOL2D_BACKWARD)
def max_pool2d_backward(
    grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """grad_x of F.max_pool2d, from autograd."""
    return _pool_grad(grad_out, x, kernel_size, stride, padding, dilation, ceil_mode)


# --- for the tests -------------------------------------------------------------


def forward_shape(forward, x, *args, **kwargs):
    """The shape of F.<forward>(x, *args, **kwargs)'s output."""
    recorder = active_recorder()
    if recorder is not None:
        recorder.forwards.append((forward, x, args, kwargs))
    if torch is None:
        return offline.forward_shape(forward, x, args, kwargs)
    fn = {"conv2d": F.conv2d, "max_pool2d": F.max_pool2d}[forward]
    tensors = [tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    return tuple(call_torch(fn, tensor(x), *tensors, **kwargs).shape)


def random_grad_out(forward, rng, x, *args, **kwargs):
    """A random grad_out shaped like F.<forward>(x, *args, **kwargs)'s output.

    Its dtype is x's; `forward` is "conv2d" or "max_pool2d". The tests use it to
    make upstream gradients of the right shape.
    """
    x = np.asarray(x)
    shape = forward_shape(forward, x, *args, **kwargs)
    return rng.normal(size=shape).astype(x.dtype)
