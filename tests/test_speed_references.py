"""The fast paths of the reference solutions agree with PyTorch.

The references of conv2d, conv2d_backward, max_pool2d and avg_pool2d take
different routes by shape (Winograd for 3x3 at stride 1, one matrix product
per image for 1x1 kernels, multiply-adds for depthwise layers, im2col and
GEMMs otherwise; pooling one tap at a time, padded or not). Each route is
checked here against PyTorch in float64 and float32, with the odd but valid
inputs a caller may pass. No timing is asserted: benchmarks/ measures speed.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.manifest import ASSIGNMENTS
from helpers import load_solutions

BY_OPS = {a.ops: a for a in ASSIGNMENTS}
TOL = {np.float64: 1e-9, np.float32: 2e-4}


@pytest.fixture(scope="module")
def refs():
    found = {}
    for ops in ("conv2d", "backward", "pooling"):
        found.update(load_solutions(BY_OPS[ops].name, BY_OPS[ops].notebook))
    return found


def close(got, expected, dtype):
    expected = np.asarray(expected)
    assert got.dtype == dtype and got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    np.testing.assert_allclose(got, expected, rtol=TOL[dtype], atol=TOL[dtype] * scale)


# x shape, weight shape, conv2d keyword arguments; the comment names the route.
CONVS = [
    ((2, 8, 9, 10), (8, 1, 3, 3), dict(padding=1, groups=8)),  # depthwise
    ((2, 8, 9, 10), (8, 1, 2, 3), dict(stride=(2, 1), padding=(1, 0), groups=8)),
    ((1, 6, 11, 9), (6, 1, 3, 3), dict(dilation=2, padding="same", groups=6)),
    ((1, 300, 5, 5), (300, 1, 3, 3), dict(groups=300)),  # more than one block
    ((1, 5, 8, 9), (5, 1, 2, 4), dict(padding="same", dilation=(1, 2), groups=5)),
    ((2, 70, 64, 66), (70, 1, 3, 3), dict(padding=1, groups=70)),  # two blocks
    ((3, 6, 7, 5), (5, 6, 1, 1), {}),  # 1x1
    ((3, 6, 7, 5), (5, 6, 1, 1), dict(padding=1)),  # 1x1 padded: im2col
    ((3, 6, 7, 5), (5, 6, 1, 1), dict(stride=2)),  # 1x1 strided: im2col
    ((3, 6, 7, 5), (4, 3, 1, 1), dict(groups=2)),  # 1x1 grouped: im2col
    ((2, 5, 9, 8), (7, 5, 3, 3), dict(padding=1)),  # Winograd
    ((1, 3, 4, 4), (2, 3, 3, 3), {}),  # Winograd, one tile, cropped to 2x2
    ((3, 8, 13, 11), (6, 8, 3, 3), dict(padding=2)),  # Winograd, ragged tiles
    ((1, 256, 270, 6), (8, 256, 3, 3), dict(padding=1)),  # Winograd, two blocks
    ((2, 6, 13, 12), (6, 2, 3, 3), dict(stride=2, padding=1, groups=3)),  # im2col
    ((2, 3, 27, 27), (8, 3, 11, 11), dict(stride=4, padding=2)),  # AlexNet-like
]


def conv_args(rng, x_shape, w_shape, dtype):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    return x, w, rng.standard_normal(w_shape[0]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONVS)
def test_conv2d_routes_match_torch(refs, x_shape, w_shape, kwargs, dtype):
    """Does every route of the reference conv2d give PyTorch's output?"""
    rng = np.random.default_rng(0)
    x, w, b = conv_args(rng, x_shape, w_shape, dtype)
    expected = F.conv2d(*map(torch.from_numpy, (x, w, b)), **kwargs).numpy()
    close(refs["conv2d"](x, w, b, **kwargs), expected, dtype)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), **kwargs).numpy()
    close(refs["conv2d"](x, w, None, **kwargs), expected, dtype)


@pytest.mark.parametrize("w_shape, groups", [((5, 6, 1, 1), 1), ((6, 1, 3, 3), 6)])
def test_conv2d_odd_inputs(refs, w_shape, groups):
    """Do the 1x1 and depthwise routes take a transposed view, an unbatched image,
    an empty batch, a list as bias and NumPy integers as arguments?"""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 8, 7, 3)).transpose(3, 0, 2, 1)  # not contiguous
    w, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    pad = np.int64(w_shape[-1] // 2)
    kwargs = dict(stride=np.int64(1), padding=pad, groups=np.int64(groups))
    conv = refs["conv2d"]
    ref = F.conv2d(
        torch.from_numpy(x.copy()),
        torch.from_numpy(w),
        torch.from_numpy(b),
        stride=1,
        padding=int(pad),
        groups=groups,
    ).numpy()
    close(conv(x, w, list(b), **kwargs), ref, np.float64)
    close(conv(x[0], w, b, **kwargs), ref[0], np.float64)
    empty = conv(x[:0], w, b, **kwargs)
    assert empty.shape == (0, *ref.shape[1:])


BACKWARDS = [
    ((2, 8, 9, 10), (8, 1, 3, 3), dict(padding=1, groups=8)),  # depthwise
    ((2, 8, 9, 10), (8, 1, 2, 3), dict(stride=(2, 1), padding=(1, 0), groups=8)),
    ((1, 6, 11, 9), (6, 1, 3, 3), dict(dilation=2, padding="same", groups=6)),
    ((2, 8, 9, 10), (16, 1, 3, 3), dict(padding=1, groups=8)),  # two per channel
    ((1, 5, 8, 9), (5, 1, 2, 4), dict(padding="same", dilation=(1, 2), groups=5)),
    ((2, 70, 64, 66), (70, 1, 3, 3), dict(padding=1, groups=70)),  # two blocks
    ((3, 6, 7, 5), (5, 6, 1, 1), {}),
    ((2, 5, 9, 8), (7, 5, 3, 3), dict(padding=1)),
    ((2, 6, 13, 12), (6, 2, 3, 3), dict(stride=2, padding=1, groups=3)),
    ((2, 3, 27, 27), (8, 3, 11, 11), dict(stride=4, padding=2)),
    ((1, 4, 10, 9), (6, 2, 2, 3), dict(stride=(2, 3), dilation=(2, 1), groups=2)),
    ((0, 4, 6, 6), (4, 2, 3, 3), dict(groups=2)),  # an empty batch
    ((0, 6, 7, 5), (5, 6, 1, 1), {}),  # 1x1, an empty batch
    ((3, 6, 7, 5), (4, 3, 1, 1), dict(groups=2)),  # 1x1 grouped: blocks of rows
    ((1, 512, 200, 8), (4, 512, 3, 3), dict(padding=1)),  # three blocks of rows
    ((1, 256, 700, 10), (2, 256, 3, 3), dict(stride=2, padding=1)),  # strided blocks
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, kwargs", BACKWARDS)
def test_conv2d_backward_routes_match_autograd(refs, x_shape, w_shape, kwargs, dtype):
    """Do the GEMM and depthwise routes of conv2d_backward give autograd's
    gradients of x, weight and bias?"""
    rng = np.random.default_rng(2)
    x, w, b = conv_args(rng, x_shape, w_shape, dtype)
    leaves = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    y = F.conv2d(*leaves, **kwargs)
    g = rng.standard_normal(tuple(y.shape)).astype(dtype)
    expected = torch.autograd.grad(y, leaves, torch.from_numpy(g))
    got = refs["conv2d_backward"](g, x, w, **kwargs)
    for ours, theirs in zip(got, expected):
        close(ours, theirs.numpy(), dtype)


def test_conv2d_backward_unbatched_view(refs):
    """Does conv2d_backward take an unbatched, non-contiguous depthwise input?"""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 8, 4)).transpose(2, 0, 1)  # (4, 9, 8), a view
    w = rng.standard_normal((4, 1, 3, 3))
    xt, wt = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w))
    y = F.conv2d(xt, wt, padding=1, groups=4)
    g = rng.standard_normal(tuple(y.shape))
    gx, gw = torch.autograd.grad(y, (xt, wt), torch.from_numpy(g))
    got = refs["conv2d_backward"](g, x, w, padding=1, groups=4)
    close(got[0], gx.numpy(), np.float64)
    close(got[1], gw.numpy(), np.float64)


# x shape, kernel, stride, padding, dilation, ceil_mode
POOLS = [
    ((2, 3, 8, 8), 2, 2, 0, 1, False),  # non-overlapping, no copy of x
    ((2, 3, 9, 7), 2, 2, 0, 1, False),  # a row and a column left over
    ((2, 3, 9, 7), 2, 2, 0, 1, True),  # ceil_mode: padded after
    ((1, 4, 12, 11), 3, 2, 1, 1, False),  # ResNet's 3x3 / 2, padded
    ((1, 4, 12, 11), 3, 1, 1, 1, True),
    ((1, 2, 11, 13), (3, 2), (2, 1), (1, 0), (2, 1), False),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, k, s, p, d, ceil", POOLS)
def test_max_pool2d_routes_match_torch(refs, shape, k, s, p, d, ceil, dtype):
    """Does max_pool2d, one tap at a time, give PyTorch's output?"""
    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    expected = F.max_pool2d(torch.from_numpy(x), k, s, p, d, ceil).numpy()
    close(refs["max_pool2d"](x, k, s, p, d, ceil), expected, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, k, s, p, d, ceil", [c for c in POOLS if c[4] == 1])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_routes_match_torch(
    refs, shape, k, s, p, d, ceil, count_include_pad, dtype
):
    """Does avg_pool2d, one tap at a time and divided in place, give PyTorch's?"""
    x = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    args = (k, s, p, ceil, count_include_pad)
    expected = F.avg_pool2d(torch.from_numpy(x), *args).numpy()
    close(refs["avg_pool2d"](x, *args), expected, dtype)


def test_max_pool2d_keeps_nan(refs):
    """Does a NaN in a window win the max, as in PyTorch, one tap at a time?"""
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    x[0, 1, 2, 3] = np.nan
    expected = F.max_pool2d(torch.from_numpy(x), 2).numpy()
    got = refs["max_pool2d"](x, 2)
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    close(np.nan_to_num(got), np.nan_to_num(expected), np.float64)


def test_pooling_does_not_write_into_x(refs):
    """Without padding the windows are a view of x: is x left as it was?"""
    x = np.random.default_rng(6).standard_normal((2, 3, 8, 8))
    before = x.copy()
    refs["max_pool2d"](x, 2)
    refs["avg_pool2d"](x, 2)
    assert np.array_equal(x, before)


def test_avg_pool2d_sums_small_integers_without_overflow(refs):
    """Does an int8 window sum as .sum() does (in int64), not wrap around at 127?"""
    x = np.full((1, 1, 4, 4), 100, dtype=np.int8)
    assert np.array_equal(refs["avg_pool2d"](x, 2), np.full((1, 1, 2, 2), 100))
