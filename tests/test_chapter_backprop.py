"""The numbers of the backpropagation chapter, recomputed by finite differences
and by counting windows, independently of the page and of autograd."""

from __future__ import annotations

import numpy as np
import pytest

CHAPTER = "backprop"


@pytest.fixture(scope="module")
def values(glued):
    return {k: v.strip("'\"") for k, v in glued(CHAPTER).items()}


def vector(text):
    return np.array([float(v) for v in text.split(",")])


def numerical_gradient(f, v, eps=1e-6):
    """Central differences of a scalar function f at v, one coordinate at a time."""
    grad = np.zeros_like(v)
    for i in range(len(v)):
        up, down = v.copy(), v.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


def conv1d(x, w, b):
    """Valid cross-correlation written from its definition."""
    K = len(w)
    return np.array([x[i : i + K] @ w + b for i in range(len(x) - K + 1)])


def test_worked_conv_gradients(values):
    """Are the glued input, weight and bias gradients those of finite differences
    of L = g . y for the glued x, w and g?"""
    x, w, g = vector(values["h_x"]), vector(values["h_w"]), vector(values["h_g"])
    b = 0.5
    gx = numerical_gradient(lambda v: g @ conv1d(v, w, b), x)
    gw = numerical_gradient(lambda v: g @ conv1d(x, v, b), w)
    gb = numerical_gradient(lambda v: g @ conv1d(x, w, v[0]), np.array([b]))
    np.testing.assert_allclose(vector(values["h_gx"]), gx, atol=1e-6)
    np.testing.assert_allclose(vector(values["h_gw"]), gw, atol=1e-6)
    assert float(values["h_gb"]) == pytest.approx(gb[0])
    # The worked sums end in the value they claim.
    assert float(values["h_gx0"].split("=")[-1]) == pytest.approx(gx[0])
    assert float(values["h_gx2"].split("=")[-1]) == pytest.approx(gx[2])
    assert float(values["h_gw0"].split("=")[-1]) == pytest.approx(gw[0])


def pool(x, K, S, reduce):
    return np.array([reduce(x[i : i + K]) for i in range(0, len(x) - K + 1, S)])


def test_worked_pool_gradients(values):
    """Are the glued max- and average-pool gradients those of finite differences?"""
    x, g = vector(values["p_x"]), vector(values["p_g"])
    mp = numerical_gradient(lambda v: g @ pool(v, 2, 2, np.max), x)
    ap = numerical_gradient(lambda v: g @ pool(v, 2, 2, np.mean), x)
    mo = numerical_gradient(lambda v: pool(v, 3, 1, np.max).sum(), x)
    np.testing.assert_allclose(vector(values["p_max"]), mp, atol=1e-6)
    np.testing.assert_allclose(vector(values["p_avg"]), ap, atol=1e-6)
    np.testing.assert_allclose(vector(values["p_ovl"]), mo, atol=1e-6)
    top = np.flatnonzero(np.isclose(mo, mo.max()))
    assert values["p_ovl_arg"] == " and ".join(map(str, top))
    assert float(values["p_ovl_top"]) == pytest.approx(mo.max())


def test_answers(values):
    """Do the answers match windows counted by hand?"""
    W, K = 7, 3
    counts = [sum(i <= j < i + K for i in range(W - K + 1)) for j in range(W)]
    assert values["q1_terms"] == ", ".join(map(str, counts))
    assert int(values["q2_nonzero"]) == (4 // 2) ** 2
    assert int(values["q2_zero"]) == 16 - int(values["q2_nonzero"])
    centre = sum(
        1 for i in range(3) for j in range(3) if i <= 2 < i + 3 and j <= 2 < j + 3
    )
    assert float(values["q3_centre"]) == pytest.approx(centre / 9)
    assert values["q3_corner"] == "1/9"
