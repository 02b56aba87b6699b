"""The numbers stated in the chapter on padding.

Each quantity is recomputed here, independently of the page: padding amounts
from PyTorch's own 'same' output and from TensorFlow's documented rule written
out afresh, padding modes from NumPy's np.pad, border effects from SciPy-free
NumPy/PyTorch code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import skimage.color
import skimage.data
import torch
import torch.nn.functional as F

CHAPTER = "padding"


def number(text):
    """A glued value's text ('1.00' or 9) as a float."""
    return float(text.strip("'\"").replace(",", ""))


@pytest.fixture(scope="module")
def values(glued):
    return glued(CHAPTER)


def same_split_from_torch(K, D=1, W=12):
    """(left, right) of PyTorch 'same', read off from where zeros were added.

    A kernel with a single 1 at tap t copies the input shifted by t; the output
    position of input 0 tells how many zeros were put on the left.
    """
    x = torch.arange(1.0, W + 1)[None, None]
    w = torch.zeros(1, 1, K)
    w[..., 0] = 1  # the first tap reads x[i - left]
    y = F.conv1d(x, w, padding="same", dilation=D).flatten()
    left = int((y == 0).sum())  # outputs that read padding with the first tap
    return left, D * (K - 1) - left


def tf_same(W, K, S, D=1):
    """TensorFlow's SAME rule as its documentation states it."""
    out = -(-W // S)
    need = max((out - 1) * S + (K - 1) * D + 1 - W, 0)
    return out, need // 2, need - need // 2


def test_why_pad(values):
    """Do corner and interior pixels enter 1 and 9 windows (4 with padding 1)?"""

    def windows(padding):
        x = np.zeros((6 + 2 * padding, 6 + 2 * padding))
        for i in range(x.shape[0] - 2):
            for j in range(x.shape[1] - 2):
                x[i : i + 3, j : j + 3] += 1
        return x[padding : padding + 6, padding : padding + 6]

    assert number(values["cover_corner"]) == windows(0)[0, 0] == 1
    assert number(values["cover_inner"]) == windows(0)[2, 2] == 9
    assert number(values["cover_corner_pad"]) == windows(1)[0, 0]
    n, size = 0, 224
    while size >= 3:
        size, n = size - 2, n + 1
    assert number(values["shrink_layers"]) == n
    assert number(values["shrink_left"]) == size


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_torch_same_split(values):
    """Does PyTorch put 1 zero left and 2 right for K=4, 5 and 5 for K=6, D=2?"""
    assert same_split_from_torch(4) == (
        number(values["k4_left"]),
        number(values["k4_right"]),
    )
    left, right = same_split_from_torch(6, D=2, W=20)
    assert (left, right) == (number(values["q1_left"]), number(values["q1_right"]))
    assert number(values["q1_total"]) == left + right
    assert number(values["same_cases"]) == 6 * 3 + 5 * 5


def test_keras_same(values):
    """Do TensorFlow's SAME amounts for W=224/225, K=3, S=2 and W=10, K=5, S=3 hold?"""
    for W in (224, 225):
        out, left, right = tf_same(W, 3, 2)
        assert number(values[f"kout{W}"]) == out
        assert (number(values[f"kp{W}_l"]), number(values[f"kp{W}_r"])) == (left, right)
    out, left, right = tf_same(10, 5, 3)
    assert number(values["q2_out"]) == out
    assert number(values["q2_total"]) == left + right
    assert (number(values["q2_left"]), number(values["q2_right"])) == (left, right)
    # The page's grid: W in 1..29, K in 1..6, S in 1..4, D in 1..3.
    assert number(values["keras_cases"]) == 29 * 6 * 4 * 3


def test_full_padding_and_notes_p(values):
    """Is full padding's output W + K - 1, and the notes' total P for K=3 two?"""
    y = F.conv1d(torch.zeros(1, 1, 7), torch.zeros(1, 1, 3), padding=2)
    assert number(values["full_len"]) == y.shape[-1] == 7 + 3 - 1
    assert number(values["notes_same_p"]) == 2


def test_padding_modes(values):
    """Are the four padded sequences those of np.pad?"""
    names = {
        "constant": "constant",
        "reflect": "reflect",
        "replicate": "edge",
        "circular": "wrap",
    }
    for mode, np_mode in names.items():
        expected = " ".join(map(str, np.pad(np.arange(1, 6), 2, mode=np_mode)))
        assert values[f"seq_{mode}"].strip("'") == expected


def test_pad_tuple_order(values):
    """Does F.pad(x, (1, 2, 3, 4)) on 32x40 give height 39 and width 43?"""
    shape = np.pad(np.zeros((1, 3, 32, 40)), ((0, 0), (0, 0), (3, 4), (1, 2))).shape
    assert values["q3_shape"].strip("'") == str(shape)


def test_border_effects(values):
    """Are the border brightness and edge ratios of each mode as stated?"""
    gray = skimage.color.rgb2gray(skimage.data.astronaut())
    box = np.ones((9, 9)) / 81
    sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    np_mode = {
        "constant": "constant",
        "reflect": "reflect",
        "replicate": "edge",
        "circular": "wrap",
    }

    def correlate(img, k):
        win = np.lib.stride_tricks.sliding_window_view(img, k.shape)
        return np.einsum("ijkl,kl->ij", win, k)

    band4 = np.ones(gray.shape, bool)
    band4[4:-4, 4:-4] = False
    band1 = np.ones(gray.shape, bool)
    band1[1:-1, 1:-1] = False
    for mode, name in np_mode.items():
        blurred = correlate(np.pad(gray, 4, mode=name), box)
        p1 = np.pad(gray, 1, mode=name)
        edges = np.hypot(correlate(p1, sobel), correlate(p1, sobel.T))
        bright = blurred[band4].mean() / gray[band4].mean()
        ratio = edges[band1].mean() / edges[~band1].mean()
        assert number(values[f"bright_{mode}"]) == pytest.approx(bright, abs=0.006)
        assert number(values[f"edge_{mode}"]) == pytest.approx(ratio, abs=0.06)
    # The sanity of the story: zeros darken, zeros and circular invent edges.
    assert number(values["bright_constant"]) < 0.8
    assert number(values["edge_constant"]) > 3 and number(values["edge_circular"]) > 3
    assert number(values["edge_reflect"]) < 1 and number(values["edge_replicate"]) < 1
    assert math.isclose(number(values["bright_reflect"]), 1, abs_tol=0.01)
