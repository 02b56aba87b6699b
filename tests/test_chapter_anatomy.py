"""The numbers stated in the chapter on the anatomy of a convolutional layer.

Each quantity is recomputed here, independently of the page: output lengths and
unseen inputs from PyTorch's gradients, parameter counts from torch.nn modules,
and the PCA comparison from scikit-learn and NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA

CHAPTER = "anatomy"


def number(text):
    """A glued value's text ('73,856' or 9 or '0.64') as a float."""
    return float(text.strip("'\"").replace(",", ""))


@pytest.fixture(scope="module")
def values(glued):
    return glued(CHAPTER)


def unseen_inputs(W, K, S):
    """Inputs that no output depends on: those with zero gradient."""
    x = torch.ones(1, 1, W, requires_grad=True)
    F.conv1d(x, torch.ones(1, 1, K), stride=S).sum().backward()
    return int((x.grad == 0).sum())


def test_stride_outputs_and_unseen_inputs(values):
    """Do strides 1-4 of a size-3 kernel on 9 inputs give the stated counts?"""
    for S in (1, 2, 3, 4):
        out = F.conv1d(torch.zeros(1, 1, 9), torch.zeros(1, 1, 3), stride=S)
        assert number(values[f"st{S}_out"]) == out.shape[-1]
        assert number(values[f"st{S}_unseen"]) == unseen_inputs(9, 3, S)
    x = torch.ones(1, 1, 9, requires_grad=True)
    F.conv1d(x, torch.ones(1, 1, 3)).sum().backward()
    assert number(values["st1_maxcover"]) == x.grad.max()


def test_parameter_counts(values):
    """Are the 3->4 (3x3) and 16->8 (1x1) parameter counts right?"""

    def count(m):
        return sum(p.numel() for p in m.parameters())

    assert number(values["layer_params"]) == count(torch.nn.Conv2d(3, 4, 3))
    assert number(values["layer_per_kernel"]) == 3 * 3 * 3
    assert number(values["pw_params"]) == count(torch.nn.Conv2d(16, 8, 1))


def test_layouts(values):
    """Are the astronaut pixel and the two stride tuples the stated ones?"""
    assert number(values["astro_red"]) == skimage.data.astronaut()[100, 200, 0]
    x = torch.zeros(2, 8, 16, 16)
    assert values["stride_cf"].strip("'") == str(x.stride())
    x_cl = x.contiguous(memory_format=torch.channels_last)
    assert values["stride_cl"].strip("'") == str(x_cl.stride())


@pytest.fixture(scope="module")
def features():
    """The chapter's 16 ReLU feature maps (seed 0) as a (pixels, 16) array."""
    small = skimage.data.astronaut()[::4, ::4] / 255.0
    x = torch.tensor(small).permute(2, 0, 1)[None]
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(16, 3, 5, 5, dtype=torch.float64, generator=gen)
    return F.relu(F.conv2d(x, w))[0].flatten(1).T.numpy()


def test_pca_variance_and_error(values, features):
    """Do scikit-learn's PCA ratios match the stated variance and error figures?"""
    ratio = PCA().fit(features).explained_variance_ratio_
    assert number(values["pca_c1"]) == round(100 * ratio[0])
    assert number(values["pca_c4"]) == round(100 * ratio[:4].sum())
    k = int(number(values["k4"]))
    assert number(values["err_pca_k4"]) == round(100 * (1 - ratio[:k].sum()))
    # A random projection and PCA + ReLU must both lose more than PCA.
    assert number(values["err_rand_k4_min"]) >= number(values["err_pca_k4"])
    assert number(values["err_pcarelu_k4"]) > number(values["err_pca_k4"])
    assert (
        number(values["err_rand_k4_min"])
        <= number(values["err_rand_k4"])
        <= number(values["err_rand_k4_max"])
        <= 100
    )


def test_pca_versus_trained(values, features):
    """Does a least-squares 1x1 conv predict edges better than PCA's 2 channels?"""
    small = skimage.data.astronaut()[::4, ::4] / 255.0
    luma = small @ np.array([0.299, 0.587, 0.114])
    sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    targets = []
    for k in (sobel, sobel.T):
        t = F.conv2d(torch.tensor(luma)[None, None], torch.tensor(k)[None, None])
        targets.append(t[0, 0, 1:-1, 1:-1].flatten().numpy())
    T = np.stack(targets, axis=1)
    X = features - features.mean(0)
    T = T - T.mean(0)

    def r2(Z):
        coef, *_ = np.linalg.lstsq(Z, T, rcond=None)
        return 1 - ((T - Z @ coef) ** 2).sum(0) / (T**2).sum(0)

    def rec_err(Z):
        coef, *_ = np.linalg.lstsq(Z, X, rcond=None)
        return ((X - Z @ coef) ** 2).sum() / (X**2).sum()

    Z_pca = PCA(2).fit_transform(X)
    W_task, *_ = np.linalg.lstsq(X, T, rcond=None)  # (16, 2)
    Z_task = X @ W_task
    r2_pca, r2_task = r2(Z_pca), r2(Z_task)
    assert number(values["r2_pca_v"]) == pytest.approx(r2_pca[0], abs=0.006)
    assert number(values["r2_pca_h"]) == pytest.approx(r2_pca[1], abs=0.006)
    assert number(values["r2_task_v"]) == pytest.approx(r2_task[0], abs=0.006)
    assert number(values["r2_task_h"]) == pytest.approx(r2_task[1], abs=0.006)
    assert number(values["rec_pca2"]) == round(100 * rec_err(Z_pca))
    assert number(values["rec_task2"]) == round(100 * rec_err(Z_task))
    gram = W_task.T @ W_task
    assert number(values["gram_task_00"]) == pytest.approx(gram[0, 0], abs=0.006)
    assert number(values["gram_task_11"]) == pytest.approx(gram[1, 1], abs=0.006)
    assert number(values["gram_task_01"]) == pytest.approx(gram[0, 1], abs=0.006)
    # The average over seeds keeps the same ordering, with a clear gap.
    assert number(values["avg_r2_task"]) > number(values["avg_r2_pca"]) + 0.25
    assert number(values["avg_rec_task"]) > number(values["avg_rec_pca"])


def test_relu_counterexample(values):
    """Is f(x) + f(-x) = |z| for the ReLU'd first component, as stated?"""
    z, rhs = number(values["relu_z"]), number(values["relu_rhs"])
    assert rhs == pytest.approx(abs(z)) and rhs > 0


def test_check_your_understanding(values):
    """Are the answers' shapes and counts those of torch.nn.Conv2d and conv1d?"""
    conv = torch.nn.Conv2d(64, 128, 3)
    assert values["q1_shape"].strip("'") == str(tuple(conv.weight.shape))
    assert number(values["q1_params"]) == sum(p.numel() for p in conv.parameters())
    pw = torch.nn.Conv2d(256, 64, 1)
    assert number(values["q2_params"]) == sum(p.numel() for p in pw.parameters())
    out = F.conv1d(torch.zeros(1, 1, 10), torch.zeros(1, 1, 2), stride=3)
    assert number(values["q3_out"]) == out.shape[-1]
    assert number(values["q3_unseen"]) == unseen_inputs(10, 2, 3)
