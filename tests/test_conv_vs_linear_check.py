"""The conv2d_as_matrix reference and its diagnoses, through `check` directly."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder import check
from autograder.checking.reference import REFERENCES
from helpers import load_solutions

RNG = np.random.default_rng(0)
W = RNG.normal(size=(2, 3, 3, 3))
SHAPE = (3, 5, 6)


@pytest.fixture(scope="module")
def matrix():
    return load_solutions("01-conv-vs-linear", "conv-vs-linear.ipynb")[
        "conv2d_as_matrix"
    ]


def failure(student, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, "conv2d_as_matrix", *args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((1, 2), "valid")])
def test_reference_is_the_convolution(stride, padding):
    """Does the reference matrix times a flattened input equal F.conv2d?"""
    m = REFERENCES["conv2d_as_matrix"](W, SHAPE, stride, padding)
    x = RNG.normal(size=SHAPE)
    y = F.conv2d(torch.from_numpy(x[None]), torch.from_numpy(W), None, stride, padding)
    np.testing.assert_allclose(m @ x.reshape(-1), y.numpy().reshape(-1), atol=1e-12)


def test_solution_passes(matrix):
    """Does the reference solution pass with stride, padding and 'same'?"""
    check(matrix, "conv2d_as_matrix", W, SHAPE, 2, 1)
    check(matrix, "conv2d_as_matrix", W[..., :2], SHAPE, padding="same")


def test_flipped_kernel(matrix):
    """Is the matrix of a true convolution (flipped kernel) named?"""
    msg = failure(lambda w, s, **k: matrix(w[..., ::-1, ::-1], s, **k), W, SHAPE)
    assert "likely mistake: the kernel is flipped" in msg


def test_transposed(matrix):
    """Is the transposed matrix named?"""
    msg = failure(lambda w, s: matrix(w, s).T, W, SHAPE)
    assert "likely mistake: the matrix is transposed" in msg


def channels_last(m, w, shape, inputs, outputs):
    c, h, w_ = shape
    c_out = w.shape[0]
    m = m.reshape(c_out, -1, c, h, w_)
    if inputs:
        m = m.transpose(0, 1, 3, 4, 2)
    m = m.reshape(c_out, -1, c * h * w_)
    if outputs:
        m = m.transpose(1, 0, 2)
    return m.reshape(-1, c * h * w_)


@pytest.mark.parametrize(
    "inputs, outputs, message",
    [
        (True, False, "the input is flattened channels-last"),
        (False, True, "the output is flattened channels-last"),
        (True, True, "inputs and outputs are both flattened channels-last"),
    ],
)
def test_channels_last(matrix, inputs, outputs, message):
    """Are channels-last flattenings of the input, the output or both named?"""

    def student(w, s):
        return channels_last(matrix(w, s), w, s, inputs, outputs)

    assert f"likely mistake: {message}" in failure(student, W, SHAPE)


def test_stride_and_padding_ignored(matrix):
    """Are an ignored stride and an ignored padding named?"""
    msg = failure(
        lambda w, s, stride, padding: matrix(w, s, 1, padding), W, SHAPE, 2, 1
    )
    assert "likely mistake: the stride is ignored" in msg
    msg = failure(lambda w, s, stride, padding: matrix(w, s, stride), W, SHAPE, 2, 1)
    assert "likely mistake: the padding is ignored" in msg


def test_refusals_expect_value_error(matrix):
    """Must a channel mismatch and a strided 'same' raise ValueError?"""
    check(matrix, "conv2d_as_matrix", W, (2, 5, 6))
    check(matrix, "conv2d_as_matrix", W, SHAPE, 2, "same")
    msg = failure(lambda w, s: np.zeros((1, 1)), W, (2, 5, 6))
    assert "so a ValueError is expected" in msg
