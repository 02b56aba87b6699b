"""Assignment 10-separable through the real nbgrader CLI."""

import html
import re

import nbformat
import pytest
from test_features_quoted import cells_with

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "10-separable", "separable.ipynb"
SOLUTIONS_BY_ID = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))


def mistake(grade_id, old, new):
    """A solution cell with one line changed: a student's mistake."""
    return edited(SOLUTIONS_BY_ID[grade_id], (old, new))


STUDENTS = {
    # the depthwise conv sums over the input channels
    "carol": {
        "depthwise_conv2d": mistake(
            "depthwise_conv2d",
            "* xp[:, :, rows, cols]",
            "* xp[:, :, rows, cols].sum(1, keepdims=True)",
        ),
    },
    # the pointwise weight read as (C_in, C_out); the depthwise conv counted as a
    # full convolution
    "dave": {
        "pointwise_conv2d": mistake(
            "pointwise_conv2d", "weight[:, :, 0, 0], x", "weight[:, :, 0, 0].T, x"
        ),
        "separable_parameter_counts": mistake(
            "separable_parameter_counts",
            "depthwise = c_in * kh",
            "depthwise = c_in * c_in * kh",
        ),
    },
    # pointwise first, then depthwise; the depthwise bias not counted
    "erin": {
        "separable_conv2d": mistake(
            "separable_conv2d",
            "    y = depthwise_conv2d(x, depthwise_weight, depthwise_bias, stride, "
            "padding, dilation)\n"
            "    return pointwise_conv2d(y, pointwise_weight, pointwise_bias)\n",
            "    y = pointwise_conv2d(x, pointwise_weight, pointwise_bias)\n"
            "    return depthwise_conv2d(y, depthwise_weight, depthwise_bias, stride, "
            "padding, dilation)\n",
        ),
        "separable_parameter_counts": mistake(
            "separable_parameter_counts", " + b * c_in\n", "\n"
        ),
    },
}


STRIDES = "(sh, sw), (dh, dw) = _pair(stride), _pair(dilation)"
# One diagnosed mistake each in depthwise_conv2d, which separable_conv2d calls:
# student: (feature, the edit, the diagnosis it gets)
ONE_MISTAKE = {
    "gil": (
        "stride",
        (STRIDES, "(sh, sw), (dh, dw) = (1, 1), _pair(dilation)"),
        "the stride is ignored",
    ),
    "hana": (
        "dilation",
        (STRIDES, "(sh, sw), (dh, dw) = _pair(stride), (1, 1)"),
        "the dilation is ignored",
    ),
    "ines": (
        "padding",
        (
            "return tuple((p, p) for p in _pair(padding))",
            "return tuple((p, 0) for p in _pair(padding))",
        ),
        "the padding is applied on the left side only",
    ),
    "jo": (
        "bias",
        ("    if bias is not None:\n        y += ", "    if False:\n        y += "),
        "the bias is not added",
    ),
    "kai": (
        "same",
        (
            "return tuple((t // 2, t - t // 2) for t in totals)",
            "return tuple((t - t // 2, t // 2) for t in totals)",
        ),
        "padding='same' with an even kernel puts the extra zero at the start",
    ),
}
STUDENTS |= {
    name: {"depthwise_conv2d": mistake("depthwise_conv2d", *change)}
    for name, (_, change, _) in ONE_MISTAKE.items()
}
_TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, STUDENTS)[1]


@pytest.mark.parametrize("student", sorted(ONE_MISTAKE))
def test_mistake_costs_only_its_feature(graded, student):
    """Does one depthwise mistake lose exactly its feature's cells, and get named?"""
    feature, _, diagnosis = ONE_MISTAKE[student]
    expected = cells_with(A, feature, among=("depthwise_", "separable_values"))
    assert expected
    assert lost(graded, student) == expected
    text = html.unescape(_TAG.sub("", graded.feedback(student, NB)))
    assert f"likely mistake: {diagnosis}" in text


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 11


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


def test_channels_mixed(graded):
    """Does a channel-mixing depthwise conv lose the depthwise and separable parts?"""
    assert lost(graded, "carol") == {
        "depthwise_basic",
        "depthwise_stride_padding",
        "depthwise_dilation",
        "depthwise_forms",
        "separable_values",
    }
    assert "likely mistake: the channels are mixed" in graded.feedback("carol", NB)


def test_pointwise_transposed_and_full_depthwise_count(graded):
    """Do a transposed 1x1 weight and a dense depthwise count cost only theirs?"""
    assert lost(graded, "dave") == {
        "pointwise_values",
        "pointwise_forms",
        "separable_values",
        "separable_counts_bias",
        "separable_counts_no_bias",
    }
    feedback = graded.feedback("dave", NB)
    assert "likely mistake: the weight is read as (C_in, C_out)" in feedback
    assert "likely mistake: the depthwise conv is counted as a full conv" in feedback


def test_pointwise_first_and_depthwise_bias(graded):
    """Do the convs in the wrong order and a missing bias cost only their parts?"""
    assert lost(graded, "erin") == {"separable_values", "separable_counts_bias"}
    feedback = graded.feedback("erin", NB)
    assert "likely mistake: the pointwise conv comes first" in feedback
    assert "bias (C_in values) is forgotten" in feedback
