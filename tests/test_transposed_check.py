"""The conv_transpose2d reference and its diagnoses, called through `check`."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder import check
from helpers import load_solutions

RNG = np.random.default_rng(90)
X = RNG.normal(size=(2, 4, 3, 4))
W = RNG.normal(size=(4, 3, 3, 2))  # C_in=4, C_out/G=3
B = RNG.normal(size=6)  # C_out = 6 with groups=2
ARGS = dict(stride=(2, 3), padding=(1, 2), output_padding=(1, 0), groups=2)


@pytest.fixture(scope="module")
def solution():
    return load_solutions("07-transposed-conv", "transposed-conv.ipynb")[
        "conv_transpose2d"
    ]


def torch_ct(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """PyTorch's own result, computed here apart from the reference module."""

    def t(a):
        return None if a is None else torch.tensor(np.asarray(a), dtype=torch.float64)

    y = F.conv_transpose2d(
        t(x), t(w), t(b), stride, padding, output_padding, groups, dilation
    )
    return y.numpy()


# The students below compute with the reference solution (NumPy), since a
# student calling torch scores zero before any diagnosis.
SOL = load_solutions("07-transposed-conv", "transposed-conv.ipynb")["conv_transpose2d"]


def failure(student, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, "conv_transpose2d", *args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        ARGS,
        dict(stride=2, padding=1, output_padding=1, dilation=2),
        dict(stride=1, output_padding=(1, 0), dilation=(2, 1)),
        dict(groups=4, stride=3, padding=(0, 1)),
    ],
)
def test_solution_passes(solution, kwargs):
    """Does the reference solution match F.conv_transpose2d, batched or not?"""
    w = W if kwargs.get("groups", 1) != 4 else RNG.normal(size=(4, 1, 2, 3))
    check(solution, "conv_transpose2d", X, w, **kwargs)
    check(solution, "conv_transpose2d", X[0], w, **kwargs)
    check(solution, "conv_transpose2d", X.astype(np.float32), w, **kwargs)
    check(solution, "conv_transpose2d", X[:0], w, **kwargs)


def test_a_solution_written_from_the_gather_view():
    """Is an independent solution (zeros inserted, then conv2d) accepted?"""

    def gather(
        x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ):
        s = stride if isinstance(stride, tuple) else (stride, stride)
        p = padding if isinstance(padding, tuple) else (padding, padding)
        o = (
            output_padding
            if isinstance(output_padding, tuple)
            else (output_padding,) * 2
        )
        n, c, h, wd = x.shape
        z = np.zeros((n, c, (h - 1) * s[0] + 1, (wd - 1) * s[1] + 1))
        z[..., :: s[0], :: s[1]] = x
        k = np.asarray(w).shape[2:]
        e = [k[0] - 1, k[1] - 1]
        z = np.pad(z, ((0, 0), (0, 0), (e[0], e[0] + o[0]), (e[1], e[1] + o[1])))
        z = z[:, :, p[0] : z.shape[2] - p[0], p[1] : z.shape[3] - p[1]]
        cg = c // groups
        wt = np.concatenate(
            [
                np.asarray(w)[g * cg : (g + 1) * cg].transpose(1, 0, 2, 3)
                for g in range(groups)
            ]
        )[..., ::-1, ::-1]
        out = []
        for g in range(groups):
            zg = z[:, g * cg : (g + 1) * cg]
            wg = wt[g * (wt.shape[0] // groups) : (g + 1) * (wt.shape[0] // groups)]
            win = np.lib.stride_tricks.sliding_window_view(zg, k, axis=(2, 3))
            out.append(np.einsum("nchwij,ocij->nohw", win, wg))
        y = np.concatenate(out, axis=1)
        return y if bias is None else y + np.asarray(bias).reshape(1, -1, 1, 1)

    check(gather, "conv_transpose2d", X, W, B, **ARGS)
    check(gather, "conv_transpose2d", X, W[:, :2], None, stride=2)


def test_reference_is_pytorch():
    """Does the registered reference return what PyTorch returns?"""
    from autograder.checking.ops.transposed import conv_transpose2d

    got = conv_transpose2d(X, W, B, **ARGS)
    np.testing.assert_array_equal(got, torch_ct(X, W, B, **ARGS))


def _mistaken(**changes):
    """A student whose output is PyTorch's with some arguments changed."""

    def student(
        x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ):
        a = dict(
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            groups=groups,
            dilation=dilation,
            b=bias,
            w=w,
        )
        for k, f in changes.items():
            a[k] = f(a[k])
        return SOL(x, a.pop("w"), a.pop("b"), **a)

    return student


def test_kernel_not_flipped():
    """Is a kernel flipped the wrong way (the gather view without the flip) named?"""
    msg = failure(_mistaken(w=lambda w: w[..., ::-1, ::-1]), X, W, B, **ARGS)
    assert "likely mistake: the kernel is not flipped" in msg


def test_stride_as_in_conv2d():
    """Is a stride that keeps every S-th output of stride 1 named?"""

    def student(
        x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ):
        y = SOL(x, w, bias, 1, padding, 0, groups, dilation)
        return y[..., :: stride[0], :: stride[1]]

    msg = failure(student, X, W, B, stride=(2, 3), padding=1, groups=2)
    assert "likely mistake: the stride is applied as in conv2d" in msg


def test_stride_ignored():
    msg = failure(_mistaken(stride=lambda s: 1), X, W, B, stride=3, groups=2)
    assert "likely mistake: the stride is ignored" in msg


def test_padding_added_instead_of_cropped():
    """Is padding that adds P zeros around the output (not crops P) named?"""

    def student(
        x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ):
        y = SOL(x, w, None, stride, 0, output_padding, groups, dilation)
        y = np.pad(y, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
        return y + bias.reshape(1, -1, 1, 1)

    msg = failure(student, X, W, B, **ARGS)
    assert "likely mistake: the padding is added instead of cropped" in msg


def test_padding_ignored():
    msg = failure(_mistaken(padding=lambda p: 0), X, W, B, **ARGS)
    assert "likely mistake: the padding is ignored" in msg


def test_output_padding_ignored():
    msg = failure(_mistaken(output_padding=lambda o: 0), X, W, B, **ARGS)
    assert "likely mistake: output_padding is ignored" in msg


def test_dilation_ignored():
    msg = failure(_mistaken(dilation=lambda d: 1), X, W, B, dilation=2, groups=2)
    assert "likely mistake: the dilation is ignored" in msg


def test_groups_mixed():
    """Are output channels taken group-minor (o from group o % G) named?"""

    def student(
        x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ):
        y = SOL(x, w, None, stride, padding, output_padding, groups, dilation)
        n, c = y.shape[:2]
        y = y.reshape(n, groups, c // groups, *y.shape[2:]).swapaxes(1, 2)
        return y.reshape(n, c, *y.shape[3:]) + bias.reshape(1, -1, 1, 1)

    msg = failure(student, X, W, B, **ARGS)
    assert "likely mistake: the groups are mixed" in msg


def test_bias_not_added():
    msg = failure(_mistaken(b=lambda b: None), X, W, B, **ARGS)
    assert "likely mistake: the bias is not added" in msg


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=2, output_padding=2),  # not smaller than the stride
        dict(output_padding=1),  # stride 1, dilation 1
        dict(stride=2, dilation=3, output_padding=(0, 3)),
        dict(padding=5),  # a negative output size
        dict(groups=3),  # 4 input channels in 3 groups
    ],
)
def test_refusals_expect_value_error(solution, kwargs):
    """Must conv_transpose2d raise ValueError wherever PyTorch refuses?"""
    check(solution, "conv_transpose2d", X, W, **kwargs)
    msg = failure(lambda x, w, *a, **k: np.zeros(1), X, W, **kwargs)
    assert "so a ValueError is expected" in msg


def test_diagnoses_are_named_records():
    """Is each mistake a record with a unique key and a message of its own?"""
    from autograder.checking.ops.transposed import TRANSPOSED

    keys = [m.key for m in TRANSPOSED]
    assert len(set(keys)) == len(keys) == 9
    assert all(m.message and m.make for m in TRANSPOSED)
