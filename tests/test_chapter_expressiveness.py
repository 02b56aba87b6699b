"""The numbers stated by the expressiveness chapter, recomputed independently."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

CHAPTER = "expressiveness"


def value(glued, name):
    """A glued value as text, without the quotes that strings carry."""
    return glued(CHAPTER)[name].strip("'")


def number(glued, name):
    return int(value(glued, name).replace(",", ""))


def n_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


def test_parameter_counts(glued):
    """Do the glued counts match torch.nn.Conv2d for C = 1 and C = 256?"""
    for C, suffix in [(1, "c1"), (256, "c256")]:
        assert number(glued, f"p5_{suffix}") == n_params(nn.Conv2d(C, C, 5))
        pair = n_params(nn.Conv2d(C, C, 3), nn.Conv2d(C, C, 3))
        assert number(glued, f"p3_{suffix}") == pair
    assert value(glued, "ratio_c1") == f"{20 / 26:.2f}"
    assert value(glued, "ratio_limit") == "0.72"


def test_macs_per_output(glued):
    """Does PyTorch's FLOP counter give the glued MACs per output position?"""
    C = int(value(glued, "mac_c"))
    x = torch.zeros(1, C, 8, 8)
    counts = []
    for layers in (
        [nn.Conv2d(C, C, 5, padding=2)],
        [nn.Conv2d(C, C, 3, padding=1), nn.Conv2d(C, C, 3, padding=1)],
    ):
        with FlopCounterMode(display=False) as counter:
            nn.Sequential(*layers)(x)
        counts.append(counter.get_total_flops() // 2 // 64)
    assert [number(glued, "mac5"), number(glued, "mac3")] == counts


def test_jacobian_rank(glued):
    """Is the set of products a * b of dimension 17 (the glued rank)?"""

    def product(ab):
        a, b = ab[:9].view(1, 1, 3, 3), ab[9:].view(1, 1, 3, 3)
        return F.conv2d(F.pad(a, (2, 2, 2, 2)), b.flip(2, 3)).flatten()

    jac = torch.autograd.functional.jacobian(
        product, torch.randn(18, dtype=torch.float64)
    )
    assert int(value(glued, "jac_rank")) == int(torch.linalg.matrix_rank(jac)) == 17


def test_fit_results(glued):
    """Are the fit errors glued consistent: random far, product at rounding error?"""
    assert float(value(glued, "fit_random_min")) > 0.1
    assert float(value(glued, "fit_product_min")) < 1e-12
    assert 0 < int(value(glued, "fit_product_stuck")) < int(value(glued, "fit_starts"))


def test_wide_middle_reaches_any_kernel(glued):
    """Do two 3×3 layers with 9 middle channels reproduce a random 5×5 kernel?"""
    K = torch.randn(5, 5, dtype=torch.float64)
    first = torch.eye(9, dtype=torch.float64).view(9, 1, 3, 3)
    second = torch.zeros(1, 9, 3, 3, dtype=torch.float64)
    for tx in range(5):
        for ty in range(5):
            i, j = min(tx, 2), min(ty, 2)
            second[0, 3 * i + j, tx - i, ty - j] = K[tx, ty]
    x = torch.randn(1, 1, 9, 9, dtype=torch.float64)
    out = F.conv2d(F.conv2d(x, first), second)
    assert torch.allclose(out, F.conv2d(x, K.view(1, 1, 5, 5)))
    assert int(value(glued, "wide_mid")) == 9


def test_relu_pair_is_not_additive(glued):
    """Do the glued f(u + v) and f(u) + f(v) differ, as a ReLU pair allows?"""
    assert abs(float(value(glued, "f_uv")) - float(value(glued, "f_u_plus_f_v"))) > 0.1


def test_relu_pair_not_linear_fit():
    """Does the best affine 5×5 map miss a random 3×3-ReLU-3×3 pair by > 5%?"""
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 1, 1, 3, 3, generator=gen, dtype=torch.float64)
    X = torch.randn(2000, 1, 5, 5, generator=gen, dtype=torch.float64)
    y = F.conv2d(torch.relu(F.conv2d(X, a)), b).flatten()
    A = torch.cat([X.flatten(1), torch.ones(2000, 1, dtype=torch.float64)], 1)
    w = torch.linalg.lstsq(A, y[:, None]).solution
    fvu = ((A @ w).flatten() - y).square().sum() / (y - y.mean()).square().sum()
    assert fvu > 0.05


def test_glued_fit_shares(glued):
    """Are the glued unexplained shares large for ReLU pairs and tiny for products?"""
    assert float(value(glued, "fvu_relu").rstrip("%")) > 5
    assert float(value(glued, "fvu_lin")) < 1e-20
    assert float(value(glued, "pair_random").rstrip("%")) > 5
    assert float(value(glued, "pair_product")) < 1e-3


def test_questions(glued):
    """Are the answers for C = 128 and the binomial kernel right?"""
    p5 = n_params(nn.Conv2d(128, 128, 5))
    p3 = n_params(nn.Conv2d(128, 128, 3), nn.Conv2d(128, 128, 3))
    assert (number(glued, "q1_p5"), number(glued, "q1_p3")) == (p5, p3)
    assert number(glued, "q1_saved") == p5 - p3
    b3 = torch.tensor([1.0, 2, 1])
    k3 = torch.outer(b3, b3).view(1, 1, 3, 3)
    k5 = F.conv2d(F.pad(k3, (2, 2, 2, 2)), k3.flip(2, 3))
    assert int(value(glued, "q2_centre")) == int(k5[0, 0, 2, 2]) == 36
