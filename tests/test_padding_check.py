"""The pad reference and its diagnoses, called through `check` directly."""

import numpy as np
import pytest

from autograder import check
from helpers import load_solutions

X = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
P = (1, 2, 0, 3)


@pytest.fixture(scope="module")
def pad():
    return load_solutions("04-padding", "padding.ipynb")["pad"]


def failure(student, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, "pad", *args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_solution_passes(pad, mode):
    """Does the reference solution match F.pad in every mode, 1-D and 2-D?"""
    check(pad, "pad", X, P, mode=mode)
    check(pad, "pad", X[0], P, mode=mode)
    check(pad, "pad", X[:, :, 0].astype(np.float32), (3, 1), mode=mode)


def with_pad(pad, transform):
    """A student's pad that reads the pad tuple as transform(pad)."""
    return lambda x, p, mode="constant", value=0.0: pad(x, transform(p), mode, value)


@pytest.mark.parametrize(
    "transform, message",
    [
        (
            lambda p: (p[2], p[3], p[0], p[1]),
            "the pad tuple is read from the first spatial axis",
        ),
        (lambda p: (p[1], p[0], p[3], p[2]), "the two amounts of a pair are swapped"),
        (lambda p: (p[0], 0, p[2], 0), "the padding is applied before the data only"),
        (lambda p: (0, p[1], 0, p[3]), "the padding is applied after the data only"),
        (
            lambda p: (p[0], p[0], p[2], p[2]),
            "the first amount of each pair is used on",
        ),
    ],
)
def test_pad_tuple_mistakes(pad, transform, message):
    """Is each wrong reading of the pad tuple named?"""
    msg = failure(with_pad(pad, transform), X, P, mode="replicate")
    assert f"likely mistake: {message}" in msg


def test_reflect_as_symmetric():
    """Is numpy's 'symmetric' mode, which repeats the edge, named for 'reflect'?"""

    def symmetric(x, p, mode="constant", value=0.0):
        return np.pad(x, [(0, 0), (0, 0), (p[2], p[3]), (p[0], p[1])], "symmetric")

    msg = failure(symmetric, X, P, mode="reflect")
    assert "likely mistake: reflect is implemented as numpy's 'symmetric'" in msg


def test_circular_from_the_wrong_end():
    """Is a circular pad that copies the first values on the left named?"""

    def wrong_end(x, p, mode="constant", value=0.0):
        return np.concatenate([x[..., : p[0]], x, x[..., x.shape[-1] - p[1] :]], -1)

    msg = failure(wrong_end, X[:, :, 0], (2, 1), mode="circular")
    assert "likely mistake: circular padding is taken from the wrong end" in msg


def test_numpy_wrap_is_right():
    """Is numpy's 'wrap' accepted as PyTorch's 'circular' (no false diagnosis)?"""

    def wrap(x, p, mode="constant", value=0.0):
        return np.pad(x, [(0, 0), (0, 0), (p[2], p[3]), (p[0], p[1])], "wrap")

    check(wrap, "pad", X, P, mode="circular")


def test_mode_and_value_ignored(pad):
    """Are a mode padded with zeros, and a constant pad without its value, named?"""
    zeros = with_pad(pad, lambda p: p)
    msg = failure(lambda x, p, mode, value=0.0: zeros(x, p), X, P, "circular")
    assert "likely mistake: the mode is ignored" in msg
    msg = failure(lambda x, p, value=0.0: zeros(x, p), X, P, value=3.0)
    assert "likely mistake: value is ignored" in msg


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((X, (1, 1)), {"mode": "reflect"}),  # NotImplementedError in PyTorch
        ((X, (5, 0, 0, 0)), {"mode": "reflect"}),
        ((X, (0, 0, 5, 0)), {"mode": "circular"}),
        ((X, (1, 1, 1, 1)), {"mode": "replicate", "value": 1.0}),
        ((X, (1, 1)), {"mode": "mirror"}),
        ((X, (-3, -3)), {}),
    ],
)
def test_refusals_expect_value_error(pad, args, kwargs):
    """Must pad raise ValueError wherever F.pad refuses, whatever its exception?"""
    check(pad, "pad", *args, **kwargs)
    msg = failure(lambda x, p, mode="constant", value=0.0: x, *args, **kwargs)
    assert "so a ValueError is expected" in msg


def test_circular_crops_first():
    """Does circular padding crop before it wraps, and is wrapping first named?"""
    sol = load_solutions("04-padding", "padding.ipynb")["pad"]
    x = np.arange(1.0, 6).reshape(1, 1, 5)
    assert sol(x, (-1, 2), "circular")[0, 0].tolist() == [2, 3, 4, 5, 2, 3]
    check(sol, "pad", x, (-1, 2), mode="circular")

    def wrap_first(x, pad, mode="constant", value=0.0):
        n = np.shape(x)[-1]
        return np.take(x, np.arange(-pad[0], n + pad[1]) % n, axis=-1)

    with pytest.raises(AssertionError, match="wraps around the uncropped input"):
        check(wrap_first, "pad", x, (-1, 2), mode="circular")


@pytest.mark.parametrize("pad", [(-3, 3), (2, -5), (-6, 2), (-3, -3)])
def test_circular_pads_beyond_the_cropped_axis_refused(pad):
    """Is a circular pad larger than what the crop leaves refused, as PyTorch's
    own check misses it (and then returns undefined values)?"""
    sol = load_solutions("04-padding", "padding.ipynb")["pad"]
    check(sol, "pad", np.ones((1, 1, 5)), pad, mode="circular")
    with pytest.raises(AssertionError, match="ValueError is expected"):
        check(
            lambda x, *a, **k: np.zeros((1, 1, 1)),
            "pad",
            np.ones((1, 1, 5)),
            pad,
            mode="circular",
        )
