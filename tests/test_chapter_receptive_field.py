"""The numbers stated by the receptive-field chapter, recomputed independently."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

CHAPTER = "receptive-field"


def value(glued, name):
    """A glued value as text, without the quotes that strings carry."""
    return glued(CHAPTER)[name].strip("'")


def extent_1d(layers):
    """Extent of the non-zero input gradient of the middle output (ones weights)."""
    n = 4096
    x = torch.ones(1, 1, n, dtype=torch.float64, requires_grad=True)
    y = x
    for K, S, D in layers:
        w = torch.ones(1, 1, K, dtype=torch.float64)
        y = F.conv1d(y, w, stride=S, dilation=D)
    y[0, 0, y.shape[-1] // 2].backward()
    hit = torch.nonzero(x.grad[0, 0]).flatten()
    return int(hit.max() - hit.min() + 1)


def gradient_2d(modules, size=64):
    """Gradient of the centre output with respect to a ones input."""
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = nn.Sequential(*modules)(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    return x.grad[0, 0]


def ones_conv(K, S=1, D=1):
    conv = nn.Conv2d(1, 1, K, stride=S, dilation=D, bias=False)
    nn.init.ones_(conv.weight)
    return conv


def out_len(n, K, S=1, P=0, D=1):
    return F.conv1d(
        torch.zeros(1, 1, n), torch.zeros(1, 1, K), stride=S, padding=P, dilation=D
    ).shape[-1]


def test_notes_counterexample(glued):
    """Does the true input size for O=5, K=3, S=1 make the notes' inversion give 1?"""
    n_in = int(value(glued, "notes_I"))
    assert out_len(n_in, 3) == 5 and out_len(n_in - 1, 3) == 4
    assert float(value(glued, "notes_value")) == (5 - 1) * 1 / (n_in - 3) == 1


def test_dilated_kernel_span(glued):
    """Does a dilated 3-tap kernel give one output on an input of the glued span?"""
    r = int(value(glued, "r_k3d2"))
    assert out_len(r, 3, D=2) == 1 and r == 5


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_cone_fields(glued, level):
    """Does each layer of the drawn 1-D stack see as many inputs as the page says?"""
    layers = [(3, 1, 1), (3, 2, 1), (2, 2, 1), (3, 1, 1)]
    assert int(value(glued, f"cone_r{level}")) == extent_1d(layers[:level])
    jump = 1
    for _, S, _ in layers[:level]:
        jump *= S
    assert int(value(glued, f"cone_j{level}")) == jump
    added = extent_1d(layers[:level]) - (
        extent_1d(layers[: level - 1]) if level > 1 else 1
    )
    assert int(value(glued, f"cone_add{level}")) == added


def test_growth_after_ten_layers(glued):
    """Do ten 3×3 layers see 21, and with strides or doubling dilations the glued?"""
    plain = [(3, 1, 1)] * 10
    strided = [(3, 1 + i % 2, 1) for i in range(10)]
    dilated = [(3, 1, 2**i) for i in range(10)]
    assert int(value(glued, "grow_depth")) == 10
    assert int(value(glued, "grow_plain")) == extent_1d(plain)
    assert int(value(glued, "grow_stride")) == extent_1d(strided)
    assert int(value(glued, "grow_dil")) == extent_1d(dilated)


def test_seven_layer_stack(glued):
    """Does the 2-D stack's centre neuron get gradient from a full r×r square?"""
    modules = [
        ones_conv(3),
        ones_conv(3),
        ones_conv(3, S=2),
        nn.AvgPool2d(2),
        ones_conv(3, D=2),
        ones_conv(3),
        ones_conv(3),
    ]
    g = gradient_2d(modules)
    rows, cols = torch.nonzero(g, as_tuple=True)
    side = int(rows.max() - rows.min() + 1)
    assert side == int(cols.max() - cols.min() + 1)
    assert int(value(glued, "stack_r")) == side
    assert int(value(glued, "stack_nonzero").replace(",", "")) == side**2
    assert int((g != 0).sum()) == side**2


def test_dilated_stack_has_holes(glued):
    """Do two 3×3 convs of dilation 2 read the glued number of pixels out of r×r?"""
    g = gradient_2d([ones_conv(3, D=2), ones_conv(3, D=2)], size=16)
    rows, _ = torch.nonzero(g, as_tuple=True)
    r = int(rows.max() - rows.min() + 1)
    assert int(value(glued, "holes_r")) == r
    assert int(value(glued, "holes_sq")) == r * r
    assert int(value(glued, "holes_n")) == int((g != 0).sum()) < r * r


def test_max_union_is_full_field(glued):
    """Is the union of max-pooling gradients the full field, more than one pass?"""
    assert int(value(glued, "max_union").replace(",", "")) == 41**2
    assert int(value(glued, "max_single").replace(",", "")) < 41**2


def test_questions(glued):
    """Are the answers to the three questions what PyTorch and autograd give?"""
    assert int(value(glued, "q1")) == extent_1d([(3, 1, 1)] * 3)
    q2 = [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1)]
    assert int(value(glued, "q2")) == extent_1d(q2)
    assert int(value(glued, "q2_jump")) == 4
    fields = [extent_1d(q2[:n]) for n in range(1, 5)]
    assert value(glued, "q2_fields") == ", ".join(map(str, fields))
    q3 = int(value(glued, "q3"))
    assert out_len(q3, 3, 2, 1) == 5 and out_len(q3 - 1, 3, 2, 1) == 4
    assert out_len(int(value(glued, "q3_next")), 3, 2, 1) == 5


def test_effective_field_spread(glued):
    """Does the gradient's spread double when a plain stack gets four times deeper?"""
    stds = [float(v) for v in value(glued, "spread_stds").split(", ")]
    for depth, std in zip([4, 16, 64], stds, strict=True):
        assert abs(std - (2 * depth / 3) ** 0.5) < 0.05  # sum of uniform {-1, 0, 1}


def test_effective_field_centre_share(glued):
    """Does the middle half (per side) of the field carry the glued gradient share?"""
    modules = [
        ones_conv(3),
        ones_conv(3),
        ones_conv(3, S=2),
        nn.AvgPool2d(2),
        ones_conv(3, D=2),
        ones_conv(3),
        ones_conv(3),
    ]
    g = gradient_2d(modules)
    rows, cols = torch.nonzero(g, as_tuple=True)
    r, lo_r, lo_c = 41, int(rows.min()), int(cols.min())
    q = r // 4
    inner = g[lo_r + q : lo_r + r - q, lo_c + q : lo_c + r - q]
    assert int(value(glued, "erf_inner_side")) == r - 2 * q
    share = 100 * float(inner.sum() / g.sum())
    assert value(glued, "erf_inner_mass") == f"{share:.0f}%"
    assert value(glued, "erf_inner_area") == f"{100 * (r - 2 * q) ** 2 / r**2:.0f}%"
    assert share > 1.5 * 100 * (r - 2 * q) ** 2 / r**2
