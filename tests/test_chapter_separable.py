"""The numbers stated by the separable-convolution chapter, recomputed independently."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

CHAPTER = "separable"


def value(glued, name):
    """A glued value as text, without the quotes that strings carry."""
    return glued(CHAPTER)[name].strip("'")


def number(glued, name):
    return int(value(glued, name).replace(",", ""))


def n_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


def count_macs(x, *modules):
    with FlopCounterMode(display=False) as counter:
        for m in modules:
            x = m(x)
    return counter.get_total_flops() // 2


def test_notes_example(glued):
    """Are 3×3 16→32 counts 4,608 and 656 without biases, as nn.Conv2d says?"""
    regular = nn.Conv2d(16, 32, 3, bias=False)
    dw = nn.Conv2d(16, 16, 3, groups=16, bias=False)
    pw = nn.Conv2d(16, 32, 1, bias=False)
    assert number(glued, "np_regular") == n_params(regular) == 4608
    assert number(glued, "np_separable") == n_params(dw, pw) == 656
    assert number(glued, "np_depth") == n_params(dw)
    assert number(glued, "np_point") == n_params(pw)


def test_notes_example_with_biases(glued):
    """Do the counts with biases match nn.Conv2d's defaults?"""
    assert number(glued, "np_regular_b") == n_params(nn.Conv2d(16, 32, 3))
    separable = n_params(nn.Conv2d(16, 16, 3, groups=16), nn.Conv2d(16, 32, 1))
    assert number(glued, "np_separable_b") == separable


def test_macs_and_ratio(glued):
    """Do PyTorch's FLOP counts on 56×56 give the glued MACs and 1/C_out + 1/K²?"""
    x = torch.zeros(1, 16, 56, 56)
    regular = count_macs(x, nn.Conv2d(16, 32, 3, padding=1))
    separable = count_macs(
        x, nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.Conv2d(16, 32, 1)
    )
    assert int(value(glued, "mac_hw")) == 56
    assert number(glued, "mac_regular") == regular
    assert number(glued, "mac_separable") == separable
    assert value(glued, "mac_ratio") == f"{separable / regular:.3f}"
    assert abs(separable / regular - (1 / 32 + 1 / 9)) < 1e-12


def test_separable_is_a_regular_conv(glued):
    """Is depthwise-then-pointwise a regular conv with kernel p[o, c] * d[c]?"""
    x = torch.randn(1, 4, 7, 7, dtype=torch.float64)
    d = torch.randn(4, 1, 3, 3, dtype=torch.float64)
    p = torch.randn(6, 4, 1, 1, dtype=torch.float64)
    pair = F.conv2d(F.conv2d(x, d, groups=4), p)
    kernel = torch.einsum("oc,chw->ochw", p[:, :, 0, 0], d[:, 0])
    assert torch.allclose(pair, F.conv2d(x, kernel))
    assert float(value(glued, "sep_err")) < 1e-10
    assert float(value(glued, "fact_rank1")) < 1e-12


def test_random_kernel_is_far_from_separable(glued):
    """Is a random 3×3 16→32 kernel far from its best separable approximation?"""
    w = torch.randn(32, 16, 3, 3, dtype=torch.float64)
    slices = w.permute(1, 0, 2, 3).reshape(16, 32, 9)
    s = torch.linalg.svdvals(slices)
    error = float((s[:, 1:].square().sum() / s.square().sum()).sqrt())
    assert error > 0.5
    assert float(value(glued, "fact_random").rstrip("%")) > 50


def test_inception_block(glued):
    """Does the 3a Inception block have the glued weights, and full convs more?"""
    towers = [
        nn.Conv2d(192, 64, 1, bias=False),
        nn.Conv2d(192, 96, 1, bias=False),
        nn.Conv2d(96, 128, 3, bias=False),
        nn.Conv2d(192, 16, 1, bias=False),
        nn.Conv2d(16, 32, 5, bias=False),
        nn.Conv2d(192, 32, 1, bias=False),
    ]
    assert number(glued, "inc_params") == n_params(*towers)
    assert int(value(glued, "inc_out")) == 64 + 128 + 32 + 32
    assert number(glued, "inc_full3") == n_params(nn.Conv2d(192, 256, 3, bias=False))
    assert number(glued, "inc_full5") == n_params(nn.Conv2d(192, 256, 5, bias=False))


def test_spectrum(glued):
    """Do 1×1 + grouped 3×3 layers over 256 channels have the glued counts?"""
    for g, name in [(1, "seg_one"), (4, "seg_four"), (256, "seg_all")]:
        pair = (
            nn.Conv2d(256, 256, 1, bias=False),
            nn.Conv2d(256, 256, 3, groups=g, bias=False),
        )
        assert number(glued, name) == n_params(*pair)


def test_mobilenet_layer_table(glued):
    """Do the MobileNet layer costs (D_K=3, M=N=512, D_F=14) match the formulas?"""
    cases = {
        "reg": (14 * 14 * 9 * 512 * 512, 9 * 512 * 512),
        "sep": (14 * 14 * (9 * 512 + 512 * 512), 9 * 512 + 512 * 512),
        "alpha": (14 * 14 * (9 * 384 + 384 * 384), 9 * 384 + 384 * 384),
        "rho": (10 * 10 * (9 * 384 + 384 * 384), 9 * 384 + 384 * 384),
    }
    for label, (m, p) in cases.items():
        assert value(glued, f"mb_{label}_macs") == f"{m / 1e6:.1f}"
        assert value(glued, f"mb_{label}_params") == f"{p / 1e6:.2f}"


def test_mobilenet_totals(glued):
    """Is MobileNet 1.0-224 4,231,976 parameters and about 569 million MACs?"""
    assert number(glued, "mbn_params") == 4_231_976
    assert int(value(glued, "mbn_macs")) == 569
    assert abs(float(value(glued, "mbn_half_ratio")) - 0.25) < 0.03
    assert value(glued, "mbn_128_rho2") == f"{(128 / 224) ** 2:.2f}"
    assert 94 < float(value(glued, "mbn_1x1_share").rstrip("%")) < 96


def test_questions(glued):
    """Are the answers to the questions what torch.nn gives?"""
    assert number(glued, "q1_reg") == n_params(nn.Conv2d(64, 128, 3, bias=False))
    sep = n_params(
        nn.Conv2d(64, 64, 3, groups=64, bias=False), nn.Conv2d(64, 128, 1, bias=False)
    )
    assert number(glued, "q1_sep") == sep
    assert value(glued, "q2_ratio") == f"{1 / 256 + 1 / 25:.4f}"
    conv = nn.Conv2d(32, 32, 3, groups=32, bias=False)
    assert value(glued, "q3_shape") == str(tuple(conv.weight.shape))
    assert int(value(glued, "q3_params")) == conv.weight.numel()
