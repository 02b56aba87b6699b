"""Assignment 03-conv2d: the references and diagnoses, through `check` directly."""

import numpy as np
import pytest

from autograder import check
from helpers import load_solutions

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 4, 9, 8))
W = RNG.normal(size=(6, 4, 3, 2))
B = RNG.normal(size=6)
OPS = ["conv2d_naive", "conv2d"]


@pytest.fixture(scope="module")
def solutions():
    return load_solutions("03-conv2d", "conv2d.ipynb")


@pytest.fixture(params=OPS)
def op(request, solutions):
    """(name, reference solution) for the loop and the vectorised version."""
    return request.param, solutions[request.param]


def failure(student, op, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1},
        {"stride": (1, 3), "padding": (2, 0), "dilation": (2, 1)},
        {"padding": "same", "dilation": 2},
        {"padding": "valid"},
        {"stride": (2,), "padding": [1], "dilation": 1},
    ],
)
def test_solutions_pass(op, kwargs):
    """Do both reference solutions match PyTorch on these argument forms?"""
    name, fn = op
    check(fn, name, X, W, B, **kwargs)
    check(fn, name, X.astype(np.float32), W.astype(np.float32), **kwargs)


def test_solutions_pass_groups_and_edge_cases(op):
    """Groups, no batch axis, an empty batch, a kernel as large as the padded input."""
    name, fn = op
    check(fn, name, X, RNG.normal(size=(6, 2, 3, 3)), groups=2)
    check(fn, name, X, RNG.normal(size=(4, 1, 3, 3)), groups=4, padding=1)
    check(fn, name, X[0], W, B, stride=2)
    check(fn, name, X[:0], W)
    check(fn, name, X, RNG.normal(size=(3, 4, 11, 8)), padding=(1, 0))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stride": 2, "padding": "same"},
        {"padding": "full"},
        {"padding": -1},
        {"groups": 3},
        {"stride": 0},
    ],
)
def test_solutions_refuse_what_pytorch_refuses(op, kwargs):
    """Do both solutions raise ValueError where PyTorch raises?"""
    name, fn = op
    check(fn, name, X, W, **kwargs)
    check(fn, name, X, RNG.normal(size=(2, 4, 10, 3)))  # kernel taller than the input


def test_solutions_keep_float32(solutions):
    """Is a float32 input's output float32 in both versions?"""
    x, w, b = (a.astype(np.float32) for a in (X, W, B))
    for name in OPS:
        assert solutions[name](x, w, b, padding=1).dtype == np.float32


def test_flipped_kernel(op):
    """Is a true convolution (both kernel axes flipped) named as such?"""
    name, fn = op
    msg = failure(lambda x, w, b: fn(x, w[..., ::-1, ::-1], b), name, X, W, B)
    assert "likely mistake: the kernel is flipped" in msg


def test_stride_ignored(op):
    """Is an implementation that ignores a 2-D stride named as such?"""
    name, fn = op
    msg = failure(lambda x, w, stride=1: fn(x, w), name, X, W, stride=(2, 1))
    assert "expected shape (2, 6, 4, 7), got (2, 6, 7, 7)" in msg
    assert "likely mistake: the stride is ignored" in msg


def test_dilation_ignored(op):
    """Is an implementation that ignores the dilation named as such?"""
    name, fn = op
    msg = failure(lambda x, w, dilation=1: fn(x, w), name, X, W, dilation=2)
    assert "likely mistake: the dilation is ignored" in msg


def test_padding_ignored(op):
    """Is an implementation that ignores the padding named as such?"""
    name, fn = op
    msg = failure(lambda x, w, padding=0: fn(x, w), name, X, W, padding=(1, 2))
    assert "likely mistake: the padding is ignored" in msg


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("batched", [True, False])
def test_padding_on_one_side(op, side, batched):
    """Is padding added before (top/left) or after (bottom/right) only named?"""
    name, fn = op
    p = (2, 1)
    widths = [(q, 0) if side == "left" else (0, q) for q in p]

    def one_side(x, w, padding=0):
        return fn(np.pad(x, [(0, 0)] * (x.ndim - 2) + widths), w)

    x = X if batched else X[0]
    msg = failure(one_side, name, x, W, padding=p)
    assert f"likely mistake: the padding is applied on the {side} side only" in msg


def test_bias_not_added(op):
    """Is a forgotten bias named as such?"""
    name, fn = op
    msg = failure(lambda x, w, b: fn(x, w), name, X, W, B)
    assert "likely mistake: the bias is not added" in msg


def test_groups_ignored(op):
    """Is a grouped convolution that uses only the first group's inputs named?"""
    name, fn = op
    w = RNG.normal(size=(6, 2, 3, 3))

    def ignores_groups(x, w, groups=1):
        return fn(x[:, : w.shape[1]], w)

    msg = failure(ignores_groups, name, X, w, groups=2)
    assert "likely mistake: groups is ignored" in msg


def test_channels_last(op):
    """Is an (N, H, W, C_out) output named as a layout mistake?"""
    name, fn = op
    msg = failure(lambda x, w: fn(x, w).transpose(0, 2, 3, 1), name, X, W)
    assert "likely mistake: the channel axis is in the wrong place" in msg


def test_same_padding_extra_zero_first(op):
    """With 'same' and an even kernel, is the extra zero at the top/left named?"""
    name, fn = op
    w = RNG.normal(size=(6, 4, 4, 2))  # totals 3 and 1: odd along both axes

    def extra_first(x, w, padding=0):
        return fn(np.pad(x, ((0, 0), (0, 0), (2, 1), (1, 0))), w)

    msg = failure(extra_first, name, X, w, padding="same")
    assert "likely mistake: padding='same' with an even kernel puts the extra" in msg


def test_same_padding_rounded_up(op):
    """With 'same' and an even kernel, is padding ceil(D(K-1)/2) on both sides named?"""
    name, fn = op
    w = RNG.normal(size=(6, 4, 4, 3))

    def rounded_up(x, w, padding=0):
        return fn(x, w, padding=(2, 1))

    msg = failure(rounded_up, name, X, w, padding="same")
    assert "expected shape (2, 6, 9, 8), got (2, 6, 10, 8)" in msg
    assert "rounded up on both sides" in msg


def test_calling_torch_scores_zero(op):
    """Does a conv2d that calls PyTorch fail, even though its output is right?"""
    import torch
    import torch.nn.functional as F

    name, _ = op

    def via_torch(x, w):
        return F.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy()

    msg = failure(via_torch, name, X, W)
    assert "must be written in NumPy, so this part scores zero" in msg
