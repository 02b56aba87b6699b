"""The pooling references and their diagnoses, called through `check` directly."""

import numpy as np
import pytest

from autograder import check
from helpers import load_solutions

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 3, 7, 7)) - 5  # all negative: padding must never win
ONES = np.ones((1, 1, 6, 6))


@pytest.fixture(scope="module")
def sol():
    return load_solutions("05-pooling", "pooling.ipynb")


def failure(student, op, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args, **kwargs)
    return str(info.value)


def test_solutions_pass(sol):
    """Do the reference solutions match PyTorch on a mixed set of arguments?"""
    check(sol["max_pool2d"], "max_pool2d", X, (3, 2), None, 1, (1, 2), True)
    check(sol["max_pool1d"], "max_pool1d", X[0], 3, 2, 1, 2, True)
    check(sol["avg_pool2d"], "avg_pool2d", X, 3, 2, 1, True, False, None)
    check(sol["avg_pool1d"], "avg_pool1d", X[0], 3, 2, 1, True, True)
    check(sol["global_avg_pool2d"], "global_avg_pool2d", X.astype(np.float32))
    check(sol["avg_pool2d_as_conv"], "avg_pool2d_as_conv", X, (2, 3))


def test_window_of_padding_only_is_minus_inf(sol):
    """Is a -inf output (a window of padding only) compared exactly, not skipped?"""
    x = np.ones((1, 1, 1, 1))
    check(sol["max_pool2d"], "max_pool2d", x, 2, 1, 1, 2)
    msg = failure(lambda *a: np.zeros((1, 1, 1, 1)), "max_pool2d", x, 2, 1, 1, 2)
    assert "expected -inf, got 0" in msg


def test_stride_defaults_to_one(sol):
    """Is stride=None taken as 1 (not kernel_size) named?"""
    mp = sol["max_pool2d"]
    msg = failure(lambda x, k: mp(x, k, 1), "max_pool2d", X, 3)
    assert "likely mistake: stride=None means stride = kernel_size" in msg


def test_zero_padding_for_max(sol):
    """Is max pooling over zero padding named, on all-negative inputs?"""

    def zero_padded(x, k, stride=None, padding=0):
        p = [(0, 0), (0, 0), (padding, padding), (padding, padding)]
        return sol["max_pool2d"](np.pad(x, p), k, stride)

    msg = failure(zero_padded, "max_pool2d", X, 3, 2, 1)
    assert "likely mistake: the padding is filled with zeros" in msg


def test_dilation_ignored(sol):
    """Is max pooling that ignores the dilation named?"""
    mp = sol["max_pool2d"]
    msg = failure(lambda x, k, s, p, d: mp(x, k, s, p), "max_pool2d", X, 3, 1, 1, 2)
    assert "likely mistake: the dilation is ignored" in msg


@pytest.mark.parametrize("op, fill", [("max_pool2d", -np.inf), ("avg_pool2d", 0.0)])
def test_ceil_mode_window_in_the_padding_kept(sol, op, fill):
    """Is a ceil_mode window starting in the right padding, kept, named?"""
    x = RNG.normal(size=(1, 2, 5, 5))

    def keeps_it(x, k, s, p, ceil_mode):
        y = sol[op](x, k, s, p, ceil_mode=ceil_mode)  # 3 x 3
        return np.pad(y, [(0, 0), (0, 0), (0, 1), (0, 1)], constant_values=fill)

    msg = failure(keeps_it, op, x, 2, 2, 1, ceil_mode=True)
    assert "one element too long along axes 2 and 3" in msg
    assert "likely mistake: with ceil_mode, a last window that would start" in msg


def test_count_include_pad_inverted(sol):
    """Is count_include_pad read the wrong way round named?"""
    ap = sol["avg_pool2d"]

    def inverted(x, k, s, p, ceil_mode=False, count_include_pad=True):
        return ap(x, k, s, p, ceil_mode, not count_include_pad)

    msg = failure(inverted, "avg_pool2d", X, 3, 1, 1)
    assert "likely mistake: count_include_pad is inverted" in msg


def test_divisor_past_the_padded_input(sol):
    """Is a ceil_mode divisor that counts positions past the padding named?"""
    ap = sol["avg_pool2d"]

    def full_area(x, k, s, p, ceil_mode):
        return ap(x, k, s, p, ceil_mode, True, k * k)

    msg = failure(full_area, "avg_pool2d", ONES, 3, 2, 1, ceil_mode=True)
    assert "likely mistake: the divisor counts positions past the padded input" in msg

    # avg_pool1d has no divisor_override: the diagnosis goes through avg_pool2d.
    def full_width(x, k, s, p, ceil_mode):
        y = sol["avg_pool1d"](x, k, s, p, ceil_mode)  # last window: 2 of 3 inside
        y[..., -1] *= 2 / 3
        return y

    msg = failure(full_width, "avg_pool1d", ONES[0], 3, 2, 1, ceil_mode=True)
    assert "likely mistake: the divisor counts positions past" in msg


def test_tuple_arguments_swapped(sol):
    """Is (width, height) read for PyTorch's (height, width) named?"""
    mp = sol["max_pool2d"]
    msg = failure(lambda x, k: mp(x, k[::-1]), "max_pool2d", X, (2, 3))
    assert "likely mistake: the tuple arguments are read as (width, height)" in msg


def test_global_pool_mistakes():
    """Are dropped axes and a mean over the channels named?"""
    msg = failure(lambda x: x.mean(axis=(2, 3)), "global_avg_pool2d", X)
    assert "likely mistake: the pooled axes are dropped" in msg

    def over_channels(x):
        return np.broadcast_to(x.mean(axis=(1, 2, 3), keepdims=True), (2, 3, 1, 1))

    msg = failure(over_channels, "global_avg_pool2d", X)
    assert "likely mistake: the mean runs over the channels too" in msg


def test_pooling_as_conv_mistakes(sol):
    """Are a sum kernel, a dense (channel-mixing) conv and stride 1 named?"""
    conv = sol["avg_pool2d_as_conv"]
    msg = failure(lambda x, k: conv(x, k) * 4, "avg_pool2d_as_conv", X, 2)
    assert "likely mistake: the kernel is not normalised" in msg

    def dense(x, k):
        return np.broadcast_to(conv(x, k).sum(1, keepdims=True), conv(x, k).shape)

    msg = failure(dense, "avg_pool2d_as_conv", X, 2)
    assert "likely mistake: the convolution mixes the channels" in msg
    ap = sol["avg_pool2d"]
    msg = failure(lambda x, k: ap(x, k, 1), "avg_pool2d_as_conv", X, 2)
    assert "likely mistake: the stride is 1" in msg


@pytest.mark.parametrize(
    "op, args",
    [
        ("max_pool2d", (X, 3, None, 2)),  # padding above half the kernel
        ("max_pool1d", (X[0], 8)),  # window larger than the input
        ("avg_pool2d", (X, 2, 0)),  # stride 0
        ("avg_pool2d_as_conv", (X, 8)),
    ],
)
def test_refusals_expect_value_error(sol, op, args):
    """Must a pooling function raise ValueError where PyTorch refuses?"""
    check(sol[op], op, *args)
    msg = failure(lambda *a: a[0], op, *args)
    assert "so a ValueError is expected" in msg


def test_one_dimensional_ops_know_their_rank(sol):
    """Are the 1-D ops' mistakes found on (C, L) inputs (one spatial axis)?"""
    x = X[0, :, 0]  # (C, L) = (3, 7), all negative

    def zero_padded(x, k, stride=None, padding=0):
        return sol["max_pool1d"](np.pad(x, [(0, 0), (padding, padding)]), k, stride)

    msg = failure(zero_padded, "max_pool1d", x, 3, 2, 1)
    assert "likely mistake: the padding is filled with zeros" in msg

    def keeps_it(x, k, s, p, ceil_mode):
        y = sol["max_pool1d"](x, k, s, p, ceil_mode=ceil_mode)
        return np.pad(y, [(0, 0), (0, 1)], constant_values=-np.inf)

    msg = failure(keeps_it, "max_pool1d", x[:, :5], 2, 2, 1, ceil_mode=True)
    assert "likely mistake: with ceil_mode, a last window that would start" in msg


def _indices_as(max_pool2d, transform):
    """A max_pool2d whose return_indices are the solution's, transformed."""

    def student(x, *args, **kwargs):
        y, idx = max_pool2d(x, *args, **kwargs)
        return y, transform(idx, np.shape(x))

    return student


@pytest.mark.parametrize(
    "transform, message",
    [
        (lambda i, s: i + 1, "indices differ from PyTorch's"),
        (lambda i, s: i.astype(np.float64), "expected an integer array (indices)"),
        (lambda i, s: i.astype(np.int32), None),  # any integer dtype is fine
        (
            lambda i, s: (i // s[-1] + 1) * (s[-1] + 2) + i % s[-1] + 1,
            "likely mistake: the indices point into the padded input",
        ),
        (
            lambda i, s: (
                np.arange(i[..., :1, :1].size).reshape(i[..., :1, :1].shape)
                * s[-1]
                * s[-2]
                + i
            ),
            "likely mistake: the indices count over the whole array",
        ),
    ],
)
def test_return_indices_compared_exactly(sol, transform, message):
    """Are max_pool2d's indices compared exactly, with their mistakes named?"""
    args = (X, 3, None, 1)
    student = _indices_as(sol["max_pool2d"], transform)
    if message is None:
        check(student, "max_pool2d", *args, return_indices=True)
        return
    assert message in failure(student, "max_pool2d", *args, return_indices=True)


def test_window_local_indices_named(sol):
    """Is an index into the window (p * KW + q) named as such?"""

    def student(x, *args, **kwargs):
        y, _ = sol["max_pool2d"](x, *args, **kwargs)
        windows = sol["_pool_windows"](x, 3, None, 0, 1, False, fill=-np.inf)
        return y, windows.reshape(windows.shape[:-2] + (-1,)).argmax(-1)

    msg = failure(student, "max_pool2d", X, 3, return_indices=True)
    assert "likely mistake: the indices are positions in the window" in msg


def test_divisor_override_negative_and_ignored(sol):
    """Does a negative divisor_override work, and is ignoring it named?"""
    check(sol["avg_pool2d"], "avg_pool2d", X, 2, divisor_override=-3)
    msg = failure(
        lambda x, k, **kw: sol["avg_pool2d"](x, k),
        "avg_pool2d",
        X,
        2,
        divisor_override=3,
    )
    assert "likely mistake: divisor_override is ignored" in msg
