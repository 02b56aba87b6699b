"""Assignment 06-backward: the autograd references and diagnoses, through `check`.

The mistaken students are small loop implementations with one bug each, written
the way a student might, so that each diagnosis is tested against a real mistake
rather than against its own formula.
"""

import numpy as np
import pytest

from autograder import check
from autograder.checking.ops.backward import random_grad_out
from helpers import load_solutions

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 2, 7, 6))
W = RNG.normal(size=(4, 2, 3, 2))


@pytest.fixture(scope="module")
def solutions():
    return load_solutions("06-backward", "backward.ipynb")


def failure(student, op, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args, **kwargs)
    return str(info.value)


def loop_conv_backward(grad_out, x, weight, stride=1, padding=0, bug=None):
    """conv2d_backward with loops (no groups, no dilation), optionally with a bug."""
    n, c, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_xp, grad_w = np.zeros_like(xp), np.zeros_like(weight)
    s = 1 if bug == "stride" else stride
    for b in range(n):
        grad_w_b = np.zeros_like(weight)
        for o in range(c_out):
            for i in range(grad_out.shape[2]):
                for j in range(grad_out.shape[3]):
                    g = grad_out[b, o, i, j]
                    rows = slice(i * s, i * s + kh)
                    cols = slice(j * s, j * s + kw)
                    grad_xp[b, :, rows, cols] += g * weight[o]
                    grad_w_b[o] += g * xp[b, :, rows, cols]
        grad_w = grad_w_b if bug == "assign" else grad_w + grad_w_b
    if bug == "mean":
        grad_w = grad_w / n
    grad_x = grad_xp if bug == "no crop" else grad_xp[:, :, padding : padding + h]
    if bug != "no crop":
        grad_x = grad_x[..., padding : padding + w]
    return grad_x, grad_w, grad_out.sum(axis=(0, 2, 3))


def gather_grad_x(grad_out, x, weight, flip=True):
    """grad_x at stride 1, no padding, as a full correlation of grad_out."""
    kh, kw = weight.shape[2:]
    gp = np.pad(grad_out, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    k = weight[..., ::-1, ::-1] if flip else weight
    grad_x = np.zeros_like(x)
    for p in range(kh):
        for q in range(kw):
            window = gp[:, :, p : p + x.shape[2], q : q + x.shape[3]]
            grad_x += np.einsum("nohw,oc->nchw", window, k[:, :, p, q])
    return grad_x


def loop_pool_backward(grad_out, x, k, stride=None, bug=None):
    """max_pool2d_backward with loops (no padding, no dilation), optionally buggy."""
    s = k if stride is None else stride
    s = 1 if bug == "stride" else s
    grad_x = np.zeros_like(x)
    n, c, h_out, w_out = grad_out.shape
    for b in range(n):
        for ch in range(c):
            for i in range(h_out):
                for j in range(w_out):
                    window = x[b, ch, i * s : i * s + k, j * s : j * s + k]
                    g = grad_out[b, ch, i, j]
                    target = grad_x[b, ch, i * s : i * s + k, j * s : j * s + k]
                    if bug == "all maxima":
                        target += g * (window == window.max())
                        continue
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    if bug == "first element":
                        p, q = 0, 0
                    if bug == "overwrite":
                        target[p, q] = g
                    else:
                        target[p, q] += g
    return grad_x


# --- the reference solutions pass -----------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1},
        {"stride": (1, 3), "padding": (2, 0), "dilation": (2, 1)},
        {"padding": "same", "dilation": 2},
        {"padding": "valid", "stride": [2]},
    ],
)
def test_conv_solution_passes(solutions, kwargs):
    """Does the reference conv2d_backward match autograd on these forms?"""
    fn = solutions["conv2d_backward"]
    g = random_grad_out("conv2d", RNG, X, W, **kwargs)
    check(fn, "conv2d_backward", g, X, W, **kwargs)
    f32 = X.astype(np.float32), W.astype(np.float32)
    check(fn, "conv2d_backward", g.astype(np.float32), *f32, **kwargs)


def test_conv_solution_groups_and_edges(solutions):
    """Groups, no batch axis, an empty batch, and a refused grad_out shape."""
    fn = solutions["conv2d_backward"]
    x, w = RNG.normal(size=(2, 4, 6, 6)), RNG.normal(size=(6, 2, 3, 3))
    g = random_grad_out("conv2d", RNG, x, w, groups=2, stride=2)
    check(fn, "conv2d_backward", g, x, w, groups=2, stride=2)
    check(fn, "conv2d_backward", g[0], x[0], w, groups=2, stride=2)
    check(fn, "conv2d_backward", g[:0], x[:0], w, groups=2, stride=2)
    check(fn, "conv2d_backward", g, x, w, groups=2)  # grad_out of the wrong shape


@pytest.mark.parametrize(
    "args",
    [(2,), (3, 2), (3, 1, 1), ((2, 3), (1, 2), (1, 1), 2), (3, 2, 1, 1, True)],
)
def test_pool_solution_passes(solutions, args):
    """Does the reference max_pool2d_backward match autograd?"""
    fn = solutions["max_pool2d_backward"]
    x = RNG.normal(size=(2, 3, 9, 8))
    g = random_grad_out("max_pool2d", RNG, x, *args)
    check(fn, "max_pool2d_backward", g, x, *args)
    check(fn, "max_pool2d_backward", g[0], x[0], *args)


def test_pool_solution_follows_the_tie_rule(solutions):
    """With ties, does the reference send the gradient to the first maximum?"""
    fn = solutions["max_pool2d_backward"]
    x = np.ones((1, 1, 4, 4))
    check(fn, "max_pool2d_backward", np.ones((1, 1, 3, 3)), x, 2, 1)


# --- conv2d_backward diagnoses ---------------------------------------------------


def test_loop_student_without_bug_passes():
    """Is the loop implementation used below right when it has no bug?"""
    g = random_grad_out("conv2d", RNG, X, W, stride=2, padding=1)
    check(loop_conv_backward, "conv2d_backward", g, X, W, stride=2, padding=1)


@pytest.mark.parametrize(
    "bug, message",
    [
        ("assign", "grad_weight comes from one image only"),
        ("mean", "grad_weight is averaged over the batch"),
        ("stride", "the stride is ignored in the backward pass"),
        ("no crop", "grad_x keeps the padding"),
    ],
)
def test_conv_backward_mistakes(bug, message):
    """Is each mistake of a loop student named in the message?"""

    def student(grad_out, x, weight, stride=1, padding=0):
        return loop_conv_backward(grad_out, x, weight, stride, padding, bug=bug)

    g = random_grad_out("conv2d", RNG, X, W, stride=2, padding=1)
    msg = failure(student, "conv2d_backward", g, X, W, stride=2, padding=1)
    assert f"likely mistake: {message}" in msg


def test_grad_x_without_the_flip():
    """Is a gather-form grad_x that forgets to flip the kernel named?"""

    def student(grad_out, x, weight):
        right = loop_conv_backward(grad_out, x, weight)
        return gather_grad_x(grad_out, x, weight, flip=False), *right[1:]

    def flipped(grad_out, x, weight):
        right = loop_conv_backward(grad_out, x, weight)
        return gather_grad_x(grad_out, x, weight, flip=True), *right[1:]

    g = random_grad_out("conv2d", RNG, X, W)
    check(flipped, "conv2d_backward", g, X, W)
    msg = failure(student, "conv2d_backward", g, X, W)
    assert "output 0: shape (3, 2, 7, 6) is right" in msg
    assert "likely mistake: grad_x uses the kernel without flipping it" in msg


# --- max_pool2d_backward diagnoses ------------------------------------------------


def test_loop_pool_student_without_bug_passes():
    """Is the loop pooling student right when it has no bug?"""
    x = RNG.normal(size=(2, 3, 9, 8))
    check(loop_pool_backward, "max_pool2d_backward", np.ones((2, 3, 4, 3)), x, 3, 2)


@pytest.mark.parametrize(
    "bug, message",
    [
        ("overwrite", "where windows overlap, a later window's gradient overwrites"),
        ("first element", "the gradient goes to the first (top-left) element"),
        ("stride", "the stride is ignored"),
    ],
)
def test_pool_backward_mistakes(bug, message):
    """Is each mistake of a loop pooling student named in the message?"""

    def student(grad_out, x, k, stride=None):
        return loop_pool_backward(grad_out, x, k, stride, bug=bug)

    # A smooth bump: neighbouring windows share their maxima, so overlaps matter.
    rows, cols = np.meshgrid(np.arange(9.0), np.arange(8.0), indexing="ij")
    x = -((rows - 4.2) ** 2) - (cols - 3.7) ** 2 + 0.01 * RNG.normal(size=(2, 3, 9, 8))
    g = random_grad_out("max_pool2d", RNG, x, 3, 2)
    msg = failure(student, "max_pool2d_backward", g, x, 3, 2)
    assert f"likely mistake: {message}" in msg


def test_pool_backward_all_maxima():
    """With ties, is a gradient sent to every maximum named?"""

    def student(grad_out, x, k, stride=None):
        return loop_pool_backward(grad_out, x, k, stride, bug="all maxima")

    x = np.ones((1, 2, 4, 4))
    msg = failure(student, "max_pool2d_backward", np.ones((1, 2, 2, 2)), x, 2)
    assert "likely mistake: the gradient goes to every element equal to" in msg
