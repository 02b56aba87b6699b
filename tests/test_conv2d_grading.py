"""Assignment 02-conv2d through the real nbgrader CLI.

Every student but alice (the reference solution) and bob (the untouched exercise)
makes one diagnosed mistake in conv2d_naive and another in conv2d; the two
functions are graded by independent cells, so each mistake costs only its own
points. The wrong functions wrap the reference solution, renamed, with the
mistake added around it.
"""

import html
import re

import nbformat
import pytest

from course import grade_class
from helpers import SOLUTIONS, solution_sources

A, NB = "02-conv2d", "conv2d.ipynb"
SIGNATURE = "(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):"
_SOURCES = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))


def wrong(name, body):
    """A cell defining `name` as the reference solution with a mistake (body)."""
    reference = _SOURCES[name].replace(f"def {name}(", f"def right_{name}(")
    return f"{reference}\n\n\ndef {name}{SIGNATURE}\n{body}"


def both(naive_body, conv2d_body):
    return {
        "conv2d_naive": wrong("conv2d_naive", naive_body),
        "conv2d": wrong("conv2d", conv2d_body),
    }


RIGHT_NAIVE = """\
    return right_conv2d_naive(x, weight, bias, stride, padding, dilation, groups)
"""
STUDENTS = {
    "carol": both(
        # dilation ignored / kernel flipped (a true convolution)
        "    return right_conv2d_naive(x, weight, bias, stride, padding, 1, groups)",
        "    w = weight[..., ::-1, ::-1]\n"
        "    return right_conv2d(x, w, bias, stride, padding, dilation, groups)",
    ),
    "dan": both(
        # padding ignored / stride ignored
        "    return right_conv2d_naive(x, weight, bias, stride, 0, dilation, groups)",
        "    return right_conv2d(x, weight, bias, 1, padding, dilation, groups)",
    ),
    "erin": both(
        # bias not added / padding added at the bottom and right only
        "    return right_conv2d_naive(x, weight, None, stride, padding, dilation, "
        "groups)",
        "    if not isinstance(padding, str):\n"
        "        ph, pw = (tuple(padding) * 2 if isinstance(padding, tuple) "
        "else (padding, padding))[:2]\n"
        "        x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, ph), (0, pw)])\n"
        "        padding = 0\n"
        "    return right_conv2d(x, weight, bias, stride, padding, dilation, groups)",
    ),
    "frank": both(
        # groups ignored / channels last
        "    x = x[..., : weight.shape[1], :, :]\n"
        "    return right_conv2d_naive(x, weight, bias, stride, padding, dilation, 1)",
        "    y = right_conv2d(x, weight, bias, stride, padding, dilation, groups)\n"
        "    return np.moveaxis(y, -3, -1)",
    ),
    "grace": both(
        # calls PyTorch / 'same' with the extra zero at the top and left
        "    import torch\n"
        "    import torch.nn.functional as F\n"
        "    t = [None if a is None else torch.from_numpy(np.asarray(a))\n"
        "         for a in (x, weight, bias)]\n"
        "    return F.conv2d(*t, stride, padding, dilation, groups).numpy()",
        "    if isinstance(padding, str) and padding == 'same':\n"
        "        kh, kw = weight.shape[2:]\n"
        "        dh, dw = (dilation, dilation) if isinstance(dilation, int) "
        "else (tuple(dilation) * 2)[:2]\n"
        "        th, tw = dh * (kh - 1), dw * (kw - 1)\n"
        "        widths = [(th - th // 2, th // 2), (tw - tw // 2, tw // 2)]\n"
        "        x = np.pad(x, [(0, 0)] * (x.ndim - 2) + widths)\n"
        "        padding = 0\n"
        "    return right_conv2d(x, weight, bias, stride, padding, dilation, groups)",
    ),
    "heidi": both(
        RIGHT_NAIVE,
        # groups ignored: only the first group's input channels
        "    x = x[..., : weight.shape[1], :, :]\n"
        "    return right_conv2d(x, weight, bias, stride, padding, dilation, 1)",
    ),
}

# For each student: cells that must keep full marks, cells that must score 0,
# and the diagnoses that the feedback must show.
EXPECT = {
    "carol": (
        ["conv2d_naive_basic", "conv2d_naive_stride", "conv2d_naive_padding"],
        ["conv2d_naive_dilation", "conv2d_basic", "conv2d_stride", "conv2d_forms"],
        ["the dilation is ignored", "the kernel is flipped"],
    ),
    "dan": (
        ["conv2d_naive_basic", "conv2d_naive_stride", "conv2d_basic"],
        ["conv2d_naive_padding", "conv2d_stride"],
        ["the padding is ignored", "the stride is ignored"],
    ),
    "erin": (
        ["conv2d_basic", "conv2d_stride"],
        ["conv2d_naive_basic", "conv2d_padding"],
        ["the bias is not added", "the padding is applied on the right side only"],
    ),
    "frank": (
        ["conv2d_naive_basic", "conv2d_naive_stride", "conv2d_naive_padding"],
        ["conv2d_naive_groups", "conv2d_basic", "conv2d_stride"],
        ["groups is ignored", "the channel axis is in the wrong place"],
    ),
    "grace": (
        ["conv2d_basic", "conv2d_stride", "conv2d_padding", "conv2d_groups"],
        ["conv2d_naive_basic", "conv2d_naive_stride", "conv2d_forms"],
        [
            "must be written in NumPy, so this part scores zero",
            "padding='same' with an even kernel puts the extra zero at the start",
        ],
    ),
    "heidi": (
        [
            "conv2d_naive_basic",
            "conv2d_naive_groups",
            "conv2d_basic",
            "conv2d_stride",
            "conv2d_padding",
            "conv2d_dilation",
        ],
        ["conv2d_groups", "conv2d_forms"],
        ["groups is ignored"],
    ),
}

_TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, STUDENTS)[1]


def feedback_text(result, student):
    """The feedback page as the student reads it: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", result.feedback(student, NB)))


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get all 14 points?"""
    assert graded.total("alice") == graded.max_total("alice") == 14


def test_points_per_part(graded):
    """Are the points 6 for the loop version and 8 for the vectorised one?"""
    scores = graded.scores["alice"]
    naive = sum(top for gid, (_, top) in scores.items() if "naive" in gid)
    assert (naive, graded.max_total("alice") - naive) == (6, 8)


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero without breaking the grader?"""
    assert graded.total("bob") == 0
    assert graded.max_total("bob") == 14


@pytest.mark.parametrize("student", sorted(EXPECT))
def test_mistake_costs_its_points_and_is_named(graded, student):
    """Does each mistake lose its own cells, keep the others, and get diagnosed?"""
    keep, lose, diagnoses = EXPECT[student]
    scores = graded.scores[student]
    assert {gid: scores[gid] for gid in keep} == {
        gid: (scores[gid][1], scores[gid][1]) for gid in keep
    }
    assert {gid: scores[gid][0] for gid in lose} == dict.fromkeys(lose, 0)
    text = feedback_text(graded, student)
    for message in diagnoses:
        assert message in text, message
