"""The transposed-convolution chapter and convbook.transposed, checked independently.

The reference for the NumPy module is PyTorch's F.conv_transpose2d in float64 and a
loop written here from the definition (every input adds a scaled kernel copy); the
glued numbers are recomputed from those definitions, not from the chapter's code.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convbook.transposed import (
    conv_transpose2d,
    conv_transpose2d_by_conv,
    conv_transpose_output_size,
)

CHAPTER = "transposed-conv"


def text(glued, name):
    return glued(CHAPTER)[name].strip("'\"")


def number(glued, name):
    return float(text(glued, name).replace(",", ""))


def scatter_loops(x, w, b, S, P, OP, G, D):
    """The definition, one multiply-add at a time: input (i, j) of channel c adds
    w[c, o] to output (i*S + kh*D - P, j*S + kw*D - P) of channel o of its group."""
    N, C_in, H, W = x.shape
    _, C_out_g, KH, KW = w.shape
    H_out = (H - 1) * S + D * (KH - 1) + OP + 1 - 2 * P
    W_out = (W - 1) * S + D * (KW - 1) + OP + 1 - 2 * P
    out = np.zeros((N, C_out_g * G, H_out, W_out))
    per_group = C_in // G
    for n, c, i, j, o, kh, kw in itertools.product(
        range(N), range(C_in), range(H), range(W), range(C_out_g), range(KH), range(KW)
    ):
        r, s = i * S + kh * D - P, j * S + kw * D - P
        if 0 <= r < H_out and 0 <= s < W_out:
            out[n, (c // per_group) * C_out_g + o, r, s] += (
                x[n, c, i, j] * w[c, o, kh, kw]
            )
    if b is not None:
        out += np.asarray(b)[None, :, None, None]
    return out


def torch_ref(x, w, b, S, P, OP, G, D):
    bias = None if b is None else torch.tensor(b, dtype=torch.float64)
    return F.conv_transpose2d(
        torch.tensor(x, dtype=torch.float64),
        torch.tensor(w, dtype=torch.float64),
        bias,
        S,
        P,
        OP,
        G,
        D,
    ).numpy()


GRID = [
    (S, P, OP, G, D, K)
    for S, P, OP, G, D, K in itertools.product(
        (1, 2, 3), (0, 1, 2), (0, 1, 2), (1, 2), (1, 2), (1, 2, 3)
    )
    if OP < max(S, D) and conv_transpose_output_size(3, K, S, P, OP, D) > 0
]


@pytest.mark.parametrize("S, P, OP, G, D, K", GRID)
def test_numpy_matches_torch_and_the_definition(S, P, OP, G, D, K):
    """Does conv_transpose2d agree with PyTorch and with the loops of the definition
    (batch, channels, groups, non-square kernel, bias)?"""
    rng = np.random.default_rng(S * 1000 + P * 100 + OP * 10 + G + D + K)
    x = rng.standard_normal((2, 4, 3, 4))
    w = rng.standard_normal((4, 6 // G, K, K + 1))
    b = rng.standard_normal(6)
    ref = torch_ref(x, w, b, S, P, OP, G, D)
    ours = conv_transpose2d(x, w, b, S, P, OP, G, D)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(scatter_loops(x, w, b, S, P, OP, G, D), ref, atol=1e-10)
    if G == 1:
        by_conv = conv_transpose2d_by_conv(x, w, S, P, OP, D) + b[:, None, None]
        np.testing.assert_allclose(by_conv, ref, atol=1e-10)


def test_rectangular_arguments():
    """Do (height, width) pairs for every argument give PyTorch's result?"""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 4, 5)), rng.standard_normal((2, 3, 2, 3))
    args = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2))
    ref = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **args).numpy()
    np.testing.assert_allclose(conv_transpose2d(x, w, **args), ref, atol=1e-12)
    by_conv = conv_transpose2d_by_conv(x, w, **args)
    np.testing.assert_allclose(by_conv, ref, atol=1e-12)


def test_odd_but_valid_inputs():
    """Do lists, integer arrays, NumPy integer arguments and an empty batch work?"""
    x = [[[[1, 2], [3, 4]]]]
    w = np.array([[[[1, 0, -1]]]])  # integers, kernel 1x3
    ref = F.conv_transpose2d(
        torch.tensor(x, dtype=torch.float64),
        torch.tensor(w, dtype=torch.float64),
        stride=2,
    ).numpy()
    out = conv_transpose2d(x, w, stride=np.int64(2), padding=np.int32(0))
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)
    empty = conv_transpose2d(np.zeros((0, 1, 3, 3)), np.ones((1, 2, 3, 3)), stride=2)
    ref_empty = F.conv_transpose2d(
        torch.zeros(0, 1, 3, 3), torch.ones(1, 2, 3, 3), stride=2
    )
    assert empty.shape == tuple(ref_empty.shape) == (0, 2, 7, 7)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=2, output_padding=2),  # output_padding >= stride
        dict(stride=1, output_padding=1),
        dict(padding=3),  # output size 1 + 2 - 6 <= 0
    ],
)
def test_refuses_what_torch_refuses(kwargs):
    """Does every setting that PyTorch refuses raise a ValueError here?"""
    x, w = np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    with pytest.raises(RuntimeError):
        F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kwargs)
    with pytest.raises(ValueError):
        conv_transpose2d(x, w, **kwargs)


def test_channels_must_fit():
    """Is a weight whose first axis is not C_in, or groups not dividing it, refused?"""
    with pytest.raises(ValueError):
        conv_transpose2d(np.ones((1, 3, 2, 2)), np.ones((2, 1, 2, 2)))
    with pytest.raises(ValueError):
        conv_transpose2d(np.ones((1, 3, 2, 2)), np.ones((3, 1, 2, 2)), groups=2)


@pytest.mark.parametrize(
    "S, P, D, G", list(itertools.product((1, 2, 3), (0, 1), (1, 2), (1, 2)))
)
def test_is_the_input_gradient_of_conv2d(S, P, D, G):
    """Is conv_transpose2d of dL/dy the gradient that autograd gives a conv2d's input,
    once output_padding makes up the rows the convolution rounded away?"""
    torch.manual_seed(S + 10 * P + 100 * D + G)
    x = torch.randn(2, 4, 9, 8, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 4 // G, 3, 3, dtype=torch.float64)
    y = F.conv2d(x, w, stride=S, padding=P, dilation=D, groups=G)
    g = torch.randn_like(y)
    (grad,) = torch.autograd.grad(y, x, g)
    ops = [
        size - conv_transpose_output_size(n, 3, S, P, 0, D)
        for size, n in zip(x.shape[2:], y.shape[2:])
    ]
    ours = conv_transpose2d(g.numpy(), w.numpy(), None, S, P, tuple(ops), G, D)
    np.testing.assert_allclose(ours, grad.numpy(), atol=1e-10)


def test_output_size_formula_by_counting():
    """Is the size formula the number of positions that kernel copies reach, minus
    the padding at both ends, plus output_padding?"""
    for W, K, S, P, D in itertools.product(
        range(1, 6), range(1, 5), (1, 2, 3), (0, 1), (1, 2)
    ):
        reached = max(i * S + k * D for i in range(W) for k in range(K)) + 1
        for OP in range(max(S, D)):
            size = reached + OP - 2 * P
            if size > 0:
                assert conv_transpose_output_size(W, K, S, P, OP, D) == size


def coverage(K, S, n=6):
    """How many kernel copies cover each output, for n inputs (one dimension)."""
    counts = np.zeros((n - 1) * S + K, dtype=int)
    for i in range(n):
        counts[i * S : i * S + K] += 1
    return counts


def test_scatter_example(glued):
    """Are the worked scatter numbers those of the definition?"""
    x, w = [1.0, 2.0, -1.0], [1.0, 2.0, 1.0]
    y = np.zeros(7)
    for i, xi in enumerate(x):
        for k, wk in enumerate(w):
            y[2 * i + k] += xi * wk
    assert number(glued, "s_len") == len(y)
    assert number(glued, "s_y2") == y[2]


def test_checkerboard_numbers(glued):
    """Do the glued interior values match copy counts: 1, 2, 4 for K=3 and only 4
    for K=4 at stride 2, 9 after nearest resize and a 3x3 box?"""
    c3, c4 = coverage(3, 2), coverage(4, 2)
    inner3 = sorted({int(a * b) for a in c3[2:-2] for b in c3[2:-2]})
    inner4 = {int(a * b) for a in c4[2:-2] for b in c4[2:-2]}
    assert text(glued, "cb_k3") == ", ".join(map(str, inner3)) == "1, 2, 4"
    assert inner4 == {4} and number(glued, "cb_k4") == 4
    assert number(glued, "cb_rc") == 9
    c5 = coverage(5, 2, n=8)
    assert text(glued, "q3_counts") == " and ".join(map(str, sorted(set(c5[4:-4]))))


def test_grid_sizes_and_answers(glued):
    """Are the answers' sizes those of PyTorch, and did the grids check many cases?"""
    assert number(glued, "grid_checked") > 100
    assert number(glued, "size_checked") > 1000
    up = F.conv_transpose2d(
        torch.zeros(1, 1, 112, 112), torch.zeros(1, 1, 4, 4), stride=2, padding=1
    )
    assert number(glued, "up_example") == up.shape[-1] == 224
    q1 = F.conv_transpose2d(
        torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 4, 4), stride=2, padding=1
    )
    assert text(glued, "q1_text").endswith(f"= {q1.shape[-1]}")
    q2 = F.conv_transpose2d(
        torch.zeros(1, 1, 112, 112), torch.zeros(1, 1, 3, 3), stride=2, padding=1
    )
    assert text(glued, "q2_text").endswith(f"= {q2.shape[-1]}")
    assert number(glued, "q2_op") == 224 - q2.shape[-1] == 1
    assert number(glued, "grad_short") == 7
