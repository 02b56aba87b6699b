"""The numbers stated in the chapter on convolution versus linear layers.

Each quantity is recomputed here independently of the page: the matrix of a
convolution is built column by column from the responses to unit images, and
parameter counts come from torch.nn modules.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

CHAPTER = "conv-vs-linear"


def number(text):
    """A glued value's text ('1,792' or 9 or '2e-15') as a float."""
    return float(text.strip("'\"").replace(",", ""))


def matrix_from_impulses(w, H, W):
    """The matrix of conv2d(., w): column j is the response to the j-th unit image."""
    C_in = w.shape[1]
    eye = torch.eye(C_in * H * W, dtype=w.dtype).reshape(-1, C_in, H, W)
    return F.conv2d(eye, w).flatten(1).T


@pytest.fixture(scope="module")
def values(glued):
    return glued(CHAPTER)


def test_single_channel_matrix(values):
    """Is a 3x3 conv on 5x5 a 9x25 matrix with 81 non-zeros and 9 distinct values?"""
    w = torch.randn(1, 1, 3, 3, dtype=torch.float64)
    M = matrix_from_impulses(w, 5, 5)
    assert (number(values["m_rows"]), number(values["m_cols"])) == tuple(M.shape)
    assert number(values["m_entries"]) == M.numel()
    nnz = int((M != 0).sum())
    assert number(values["m_nonzero"]) == nnz
    assert number(values["m_nonzero_pct"]) == round(100 * nnz / M.numel())
    assert number(values["m_distinct"]) == len(torch.unique(M[M != 0]))
    assert number(values["m_maxdiff"]) < 1e-12


def test_multi_channel_matrix(values):
    """Is a 2->3 channel 3x3 conv on 5x5 a 27x50 matrix holding the 54 weights?"""
    w = torch.randn(3, 2, 3, 3, dtype=torch.float64)
    M = matrix_from_impulses(w, 5, 5)
    assert (number(values["m2_rows"]), number(values["m2_cols"])) == tuple(M.shape)
    assert number(values["m2_distinct"]) == len(torch.unique(M[M != 0])) == w.numel()
    assert number(values["m2_kernel_numel"]) == w.numel()


def test_parameter_counts(values):
    """Do the dense, locally connected and conv counts for 224x224x3 -> 64 hold?"""
    conv = torch.nn.Conv2d(3, 64, 3)
    out_shape = conv(torch.zeros(1, 3, 224, 224)).shape
    assert number(values["p_out_side"]) == out_shape[-1]
    n_out = math.prod(out_shape)
    dense = torch.nn.Linear(3 * 224 * 224, n_out, device="meta")
    n_dense = sum(p.numel() for p in dense.parameters())
    n_conv = sum(p.numel() for p in conv.parameters())
    n_local = n_out * (3 * 3 * 3 + 1)
    assert number(values["p_dense"]) == n_dense
    assert number(values["p_conv"]) == n_conv
    assert number(values["p_local"]) == n_local
    assert number(values["p_dense_tb"]) == round(n_dense * 4 / 1e12, 1)
    assert number(values["p_local_mb"]) == round(n_local * 4 / 1e6)
    positions = out_shape[-1] * out_shape[-2]
    assert number(values["p_ratio_sharing"]) == number(values["p_positions"])
    assert number(values["p_positions"]) == positions == n_local // n_conv
    assert number(values["step_local"]) == round(math.log10(n_dense / n_local), 1)
    assert number(values["step_share"]) == round(math.log10(n_local / n_conv), 1)


def test_multiply_accumulates(values):
    """Does PyTorch's flop counter give the stated multiply-accumulates?"""
    conv = torch.nn.Conv2d(3, 64, 3)
    with FlopCounterMode(display=False) as counter:
        out = conv(torch.zeros(1, 3, 224, 224))
    assert number(values["mac_conv"]) == counter.get_total_flops() // 2
    assert number(values["mac_dense"]) == float(f"{3 * 224 * 224 * out.numel():.1e}")


def test_check_your_understanding(values):
    """Are the answers' numbers (6x6 matrix, 32x32x3 -> 10 parameters) right?"""
    M = matrix_from_impulses(torch.randn(1, 1, 3, 3, dtype=torch.float64), 6, 6)
    assert (number(values["q1_rows"]), number(values["q1_cols"])) == tuple(M.shape)
    assert number(values["q1_nnz"]) == int((M != 0).sum())
    linear = torch.nn.Linear(32 * 32 * 3, 10)
    assert number(values["q2_params"]) == sum(p.numel() for p in linear.parameters())
    conv = torch.nn.Conv2d(3, 64, 3)
    assert number(values["q3_conv"]) == sum(p.numel() for p in conv.parameters())
