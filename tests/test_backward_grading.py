"""Assignment 06-backward through the real nbgrader CLI.

Every student but alice (the reference solution) and bob (the untouched exercise)
makes one diagnosed mistake in conv2d_backward and/or max_pool2d_backward. The
mistakes are edits of the reference solution's own lines (checked to exist, so
that the test notices when the solution changes), or wrappers around it.
"""

import html
import re

import nbformat
import pytest
from test_features_quoted import cells_with

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "06-backward", "backward.ipynb"
_SOURCES = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))


def changed(name, *replacements):
    """The reference solution of cell `name` with (old, new) lines replaced."""
    return edited(_SOURCES[name], *replacements)


def wrapped(name, signature, body):
    """The reference renamed right_<name>, and `name` defined around it."""
    reference = _SOURCES[name].replace(f"def {name}(", f"def right_{name}(")
    return f"{reference}\n\n\ndef {name}{signature}\n{body}"


CONV_SIGNATURE = "(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):"
CONV_ARGS = "stride, padding, dilation, groups"
POOL_SIGNATURE = (
    "(grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):"
)

# conv2d_backward mistakes
CONV_LAST_IMAGE = wrapped(  # grad_weight assigned per image instead of accumulated
    "conv2d_backward",
    CONV_SIGNATURE,
    f"    gx, _, gb = right_conv2d_backward(grad_out, x, weight, {CONV_ARGS})\n"
    "    last = right_conv2d_backward(grad_out[-1:], x[-1:], weight, "
    f"{CONV_ARGS})\n"
    "    return gx, last[1], gb",
)
CONV_STRIDE_IGNORED = changed(
    "conv2d_backward",
    (
        "strides=(s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw)",
        "strides=(s_c, s_h * dh, s_w * dw, s_h, s_w)",
    ),
    (
        "slice(p * dh, p * dh + sh * (h_out - 1) + 1, sh)",
        "slice(p * dh, p * dh + h_out)",
    ),
    (
        "slice(q * dw, q * dw + sw * (w_out - 1) + 1, sw)",
        "slice(q * dw, q * dw + w_out)",
    ),
    # The same in the blocks of output rows of the patch matrix's route.
    ("start = rows_pq.start + r0 * sh", "start = rows_pq.start + r0"),
    (
        "rows_b = slice(start, start + sh * (r - 1) + 1, sh)",
        "rows_b = slice(start, start + r)",
    ),
)
CONV_NOT_CROPPED = changed(
    "conv2d_backward",
    (
        "grad_x = grad_xp[:, :, top : top + h, left : left + w_in].astype(g.dtype)",
        "grad_x = grad_xp.astype(g.dtype)",
    ),
)
CONV_UNFLIPPED = wrapped(  # a gather-form grad_x that forgot to flip the kernel
    "conv2d_backward",
    CONV_SIGNATURE,
    "    flipped = np.asarray(weight)[..., ::-1, ::-1]\n"
    f"    gx = right_conv2d_backward(grad_out, x, flipped, {CONV_ARGS})[0]\n"
    f"    _, gw, gb = right_conv2d_backward(grad_out, x, weight, {CONV_ARGS})\n"
    "    return gx, gw, gb",
)

# max_pool2d_backward mistakes
POOL_OVERWRITE = changed(
    "max_pool2d_backward",
    (
        "grad_xp = np.bincount(flat.ravel(), weights=g.ravel(), "
        "minlength=n * c * hp * wp)",
        "grad_xp = np.zeros(n * c * hp * wp)\n    grad_xp[flat.ravel()] = g.ravel()",
    ),
)
POOL_FIRST_ELEMENT = changed(
    "max_pool2d_backward",
    (
        "first_max = windows.reshape(n, c, h_out, w_out, kh * kw).argmax(axis=-1)",
        "first_max = np.zeros((n, c, h_out, w_out), dtype=int)",
    ),
)
POOL_STRIDE_IGNORED = changed(
    "max_pool2d_backward",
    ("s[2] * sh, s[3] * sw,", "s[2], s[3],"),
    (
        "rows = np.arange(h_out)[:, None] * sh + p * dh",
        "rows = np.arange(h_out)[:, None] + p * dh",
    ),
    (
        "cols = np.arange(w_out)[None, :] * sw + q * dw",
        "cols = np.arange(w_out)[None, :] + q * dw",
    ),
)
POOL_TORCH = f"""
import torch
import torch.nn.functional as F


def max_pool2d_backward{POOL_SIGNATURE}
    xt = torch.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, kernel_size, stride, padding, dilation, ceil_mode)
    y.backward(torch.as_tensor(grad_out))
    return xt.grad.numpy()
"""

STUDENTS = {
    "carol": {
        "conv2d_backward": CONV_LAST_IMAGE,
        "max_pool2d_backward": POOL_OVERWRITE,
    },
    "dan": {
        "conv2d_backward": CONV_STRIDE_IGNORED,
        "max_pool2d_backward": POOL_FIRST_ELEMENT,
    },
    "erin": {
        "conv2d_backward": CONV_NOT_CROPPED,
        "max_pool2d_backward": POOL_STRIDE_IGNORED,
    },
    "frank": {"conv2d_backward": CONV_UNFLIPPED},
    "grace": {"max_pool2d_backward": POOL_TORCH},
}

CONV_CELLS = [
    f"conv2d_backward_{part}"
    for part in ("basic", "stride", "padding", "dilation", "groups", "forms")
]
POOL_CELLS = [
    f"max_pool2d_backward_{part}"
    for part in ("basic", "stride", "padding", "dilation", "ceil_mode", "forms")
]

# For each student: the features its mistakes break, as (feature, cells of the
# function that makes the mistake), and the diagnoses it gets. The student
# loses exactly the cells of those functions that list those features.
CONV, POOL = "conv2d_backward_", "max_pool2d_backward_"
EXPECT = {
    "carol": (
        [("basic", CONV), ("overlap", POOL)],
        [
            "grad_weight comes from one image only",
            "a later window's gradient overwrites an earlier one",
        ],
    ),
    "dan": (
        [("stride", CONV), ("basic", POOL)],
        [
            "the stride is ignored in the backward pass",
            "the gradient goes to the first (top-left) element of each window",
        ],
    ),
    "erin": (
        [("padding", CONV), ("basic", POOL)],  # pooling's default stride is K
        [
            "grad_x keeps the padding",
            "the stride is ignored: window (i, j) starts at input (i*S - P, j*S - P)",
        ],
    ),
    "frank": ([("basic", CONV)], ["grad_x uses the kernel without flipping it"]),
    "grace": (
        [("basic", POOL)],
        ["must be written in NumPy, so this part scores zero"],
    ),
}

_TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, STUDENTS)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get all 13 points?"""
    assert graded.total("alice") == graded.max_total("alice") == 13


def test_points_per_part(graded):
    """Are the points 7 for conv2d_backward and 6 for max_pool2d_backward?"""
    scores = graded.scores["alice"]
    conv = sum(scores[gid][1] for gid in CONV_CELLS)
    pool = sum(scores[gid][1] for gid in POOL_CELLS)
    assert (conv, pool) == (7, 6)


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero without breaking the grader?"""
    assert graded.total("bob") == 0
    assert graded.max_total("bob") == 13


@pytest.mark.parametrize("student", sorted(EXPECT))
def test_mistake_costs_its_points_and_is_named(graded, student):
    """Does each mistake lose exactly its feature's cells, and get diagnosed?"""
    broken, diagnoses = EXPECT[student]
    expected = set().union(*(cells_with(A, f, among=cells) for f, cells in broken))
    assert all(cells_with(A, f, among=cells) for f, cells in broken)
    assert lost(graded, student) == expected
    text = html.unescape(_TAG.sub("", graded.feedback(student, NB)))
    for message in diagnoses:
        assert message in text, message
