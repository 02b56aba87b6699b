"""Depthwise, pointwise and separable references and diagnoses, through `check`."""

import numpy as np
import pytest

from autograder import check
from helpers import load_solutions

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 3, 7, 8))
DW = RNG.normal(size=(3, 1, 3, 3))
PW = RNG.normal(size=(3, 3, 1, 1))
DB, PB = RNG.normal(size=3), RNG.normal(size=3)


@pytest.fixture(scope="module")
def sol():
    return load_solutions("10-separable", "separable.ipynb")


def failure(student, op, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args, **kwargs)
    return str(info.value)


def test_solutions_pass(sol):
    """Do the reference solutions match PyTorch?"""
    check(sol["depthwise_conv2d"], "depthwise_conv2d", X, DW, DB, 2, "valid", (1, 2))
    check(sol["pointwise_conv2d"], "pointwise_conv2d", X[0], PW[:2], PB[:2])
    check(sol["separable_conv2d"], "separable_conv2d", X, DW, PW, DB, PB, 1, "same", 2)
    check(sol["separable_parameter_counts"], "separable_parameter_counts", 32, 64, 3)


def test_depthwise_mistakes(sol):
    """Are a channel-mixing depthwise conv, a flipped kernel, no stride named?"""
    dw = sol["depthwise_conv2d"]

    def mixed(x, w):
        summed = np.broadcast_to(x.sum(1, keepdims=True), x.shape).copy()
        return dw(summed, w)  # every channel sees the sum of all channels

    msg = failure(mixed, "depthwise_conv2d", X, DW)
    assert "likely mistake: the channels are mixed" in msg
    msg = failure(lambda x, w: dw(x, w[..., ::-1, ::-1]), "depthwise_conv2d", X, DW)
    assert "likely mistake: the kernel is flipped" in msg
    msg = failure(lambda x, w, b, s: dw(x, w, b), "depthwise_conv2d", X, DW, DB, 2)
    assert "likely mistake: the stride is ignored" in msg


def test_depthwise_needs_a_depthwise_weight(sol):
    """Must a weight that is not (C, 1, KH, KW) raise ValueError?"""
    check(sol["depthwise_conv2d"], "depthwise_conv2d", X, np.ones((3, 3, 3, 3)))
    msg = failure(lambda x, w: x, "depthwise_conv2d", X, np.ones((6, 1, 3, 3)))
    assert "so a ValueError is expected" in msg


def test_pointwise_transposed(sol):
    """Is a 1x1 weight read as (C_in, C_out) named?"""
    pw = sol["pointwise_conv2d"]
    student = lambda x, w: pw(x, w.transpose(1, 0, 2, 3))  # noqa: E731
    msg = failure(student, "pointwise_conv2d", X, PW)
    assert "likely mistake: the weight is read as (C_in, C_out)" in msg


def separable_students(sol):
    """{mistake: (student, extra keyword arguments)} for separable_conv2d."""
    dw, pw, sep = (
        sol[k] for k in ("depthwise_conv2d", "pointwise_conv2d", "separable_conv2d")
    )
    return {
        "the pointwise conv comes first": (
            lambda x, d, p, db, pb: dw(pw(x, p, pb), d, db),
            {},
        ),
        "the depthwise bias is not added": (
            lambda x, d, p, db, pb: sep(x, d, p, None, pb),
            {},
        ),
        "the pointwise bias is not added": (
            lambda x, d, p, db, pb: sep(x, d, p, db, None),
            {},
        ),
        "the padding is ignored": (
            lambda x, d, p, db, pb, padding: sep(x, d, p, db, pb),
            {"padding": 1},
        ),
        "the dilation is ignored": (
            lambda x, d, p, db, pb, dilation: sep(x, d, p, db, pb),
            {"dilation": 2},
        ),
    }


def test_separable_mistakes(sol):
    """Is each separable-conv mistake named?"""
    for message, (student, kwargs) in separable_students(sol).items():
        msg = failure(student, "separable_conv2d", X, DW, PW, DB, PB, **kwargs)
        assert f"likely mistake: {message}" in msg


STANDARD = 64 * 32 * 9 + 64  # Conv2d(32, 64, 3)
DEPTHWISE, POINTWISE = 32 * 9 + 32, 64 * 32 + 64


@pytest.mark.parametrize(
    "counts, message",
    [
        ((STANDARD, 32 * 32 * 9 + 32 + POINTWISE), "the depthwise conv is counted as"),
        ((STANDARD - 64, DEPTHWISE + POINTWISE - 96), "the biases are forgotten"),
        ((STANDARD, DEPTHWISE - 32 + POINTWISE), "the depthwise conv's bias"),
        ((STANDARD, DEPTHWISE + POINTWISE - 64), "the pointwise conv's bias"),
    ],
)
def test_count_mistakes(counts, message):
    """Is each parameter-count mistake named?"""
    msg = failure(lambda *args: counts, "separable_parameter_counts", 32, 64, 3)
    assert f"likely mistake: {message}" in msg
