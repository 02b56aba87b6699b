"""Diagnosis of output-size mistakes in 2-D, with wrong kernels written out in full."""

import numpy as np
import pytest

from autograder import check

RNG = np.random.default_rng(7)
X = RNG.normal(size=(2, 3, 9, 8))
W = RNG.normal(size=(4, 3, 3, 3))
B = RNG.normal(size=4)

SHORT = "likely mistake: the output size misses its +1 along axes 2 and 3"
LONG = "likely mistake: the output size counts one window too many along axes 2 and 3"
LEFT = "likely mistake: the padding is applied on the left side only"


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def loop_conv2d(x, w, b, stride, padding, dilation, extra=0):
    """A direct loop over outputs; `extra` windows added to each spatial size."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = w.shape[2:]
    # Zeros past the end, so that windows that do not fit still have inputs.
    xp = np.pad(xp, ((0, 0), (0, 0), (0, dh * kh + sh), (0, dw * kw + sw)))
    height = (x.shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1 + extra
    width = (x.shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1 + extra
    out = np.zeros((x.shape[0], w.shape[0], height, width))
    for i in range(height):
        for j in range(width):
            patch = xp[
                :, :, i * sh : i * sh + dh * kh : dh, j * sw : j * sw + dw * kw : dw
            ]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out if b is None else out + b[None, :, None, None]


def missing_plus_one(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return loop_conv2d(x, w, b, stride, padding, dilation, extra=-1)


def one_too_many(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return loop_conv2d(x, w, b, stride, padding, dilation, extra=1)


def left_only(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    (ph, pw) = _pair(padding)
    x = np.pad(x, ((0, 0), (0, 0), (ph, 0), (pw, 0)))  # the top and left zeros only
    return loop_conv2d(x, w, b, stride, 0, dilation)


def failure(student, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, "conv2d", *args, **kwargs)
    return str(info.value)


def test_the_wrong_kernels_are_right_elsewhere():
    """Are the wrong kernels otherwise correct (the mistakes are only what they say)?"""
    right = loop_conv2d(X, W, B, 2, 1, 1)
    assert np.allclose(
        missing_plus_one(X, W, B, 2, 1)[:, :, :, :], right[:, :, :-1, :-1]
    )
    assert np.allclose(one_too_many(X, W, B, 2, 1)[:, :, :-1, :-1], right)


@pytest.mark.parametrize("stride", [1, 2])
def test_both_axes_one_short_is_named(stride):
    """Is a 2-D output one short on both spatial axes named as the missing +1?"""
    msg = failure(missing_plus_one, X, W, B, stride=stride, dilation=2)
    assert "one element too short along axes 2 and 3" in msg
    assert SHORT in msg
    assert LEFT not in msg


def test_both_axes_one_long_is_named():
    """Is a 2-D output with one window too many on both axes named?"""
    msg = failure(one_too_many, X, W, B, stride=2)
    assert "one element too long along axes 2 and 3" in msg
    assert LONG in msg


def test_coinciding_mistakes_are_both_named():
    """With padding 1, stride 1, are the missing +1 and left-only padding both named?"""
    short = failure(missing_plus_one, X, W, B, padding=1)
    left = failure(left_only, X, W, B, padding=1)
    for msg in (short, left):
        assert SHORT in msg and LEFT in msg
        assert "these mistakes give exactly this output here" in msg
    # The same output, so the same message, whichever mistake made it.
    assert short == left


def test_left_only_padding_alone_when_they_differ():
    """With padding 2, is left-only padding named without the missing +1?"""
    msg = failure(left_only, X, W, B, padding=2)
    assert LEFT in msg and SHORT not in msg


def test_wrong_values_are_not_called_off_by_one():
    """Is a one-short output whose values are wrong not called a missing +1?"""

    def short_and_wrong(x, w, b=None, **kwargs):
        return missing_plus_one(x, w, b, **kwargs) * 2

    assert SHORT not in failure(short_and_wrong, X, W, B, stride=2)
