"""Assignment 04-pooling through the real nbgrader CLI."""

import nbformat
import pytest

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "04-pooling", "pooling.ipynb"
SOLUTIONS_BY_ID = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))


def mistake(grade_id, *changes):
    """A solution cell with some lines changed: a student's mistakes."""
    return edited(SOLUTIONS_BY_ID[grade_id], *changes)


# The call to the shared window helper in max_pool2d's solution.
CALL = "x, kernel_size, stride, padding, dilation, ceil_mode, fill=-np.inf"
STUDENTS = {
    # max pooling over zeros instead of -inf
    "carol": {
        "max_pool2d": mistake("max_pool2d", (CALL, CALL.replace("-np.inf", "0"))),
    },
    # stride None read as 1 in max_pool2d; count_include_pad inverted in avg_pool2d
    "dave": {
        "max_pool2d": mistake(
            "max_pool2d", (CALL, CALL.replace(" stride,", " stride or 1,"))
        ),
        "avg_pool2d": mistake(
            "avg_pool2d",
            ("pi, out, count_include_pad)", "pi, out, not count_include_pad)"),
        ),
    },
    # ceil_mode windows starting in the padding kept; global pool drops the axes;
    # the pooling conv sums instead of averaging
    "erin": {
        "max_pool2d": mistake("max_pool2d", ("out -= 1", "pass")),
        "global_avg_pool2d": mistake(
            "global_avg_pool2d", ("keepdims=True", "keepdims=False")
        ),
        "avg_pool2d_as_conv": mistake("avg_pool2d_as_conv", ("1 / (kh * kw)", "1.0")),
    },
    # dilation ignored in max pooling; the ceil_mode divisor counts past the
    # padding; the pooling conv mixes the channels
    "frank": {
        "max_pool2d": mistake("max_pool2d", (CALL, CALL.replace("dilation,", "1,"))),
        "avg_pool2d": mistake(
            "avg_pool2d", ("end = np.minimum(start + k, n + p)", "end = start + k")
        ),
        "avg_pool2d_as_conv": mistake(
            "avg_pool2d_as_conv", ('"...chwij,cij->...chw"', '"...chwij,dij->...dhw"')
        ),
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, STUDENTS)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 14


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


MAX_POOL_2D = {
    "max_pool2d_basic",
    "max_pool2d_padding",
    "max_pool2d_dilation",
    "max_pool2d_ceil_mode",
    "max_pool2d_forms",
}


def test_zero_padding_for_max_pooling(graded):
    """Does max pooling over zeros lose only max-pooling points, and say why?"""
    assert lost(graded, "carol") == MAX_POOL_2D - {"max_pool2d_basic"} | {
        "max_pool1d_all_options"
    }
    feedback = graded.feedback("carol", NB)
    assert "likely mistake: the padding is filled with zeros" in feedback


def test_stride_default_and_count_include_pad(graded):
    """Do stride=None read as 1 and an inverted count_include_pad lose only theirs?"""
    # max_pool1d passes an explicit stride, so the max_pool2d mistake spares it.
    assert lost(graded, "dave") == MAX_POOL_2D | {
        "avg_pool2d_padding",
        "avg_pool2d_ceil_mode",
        "avg_pool2d_forms",
        "avg_pool1d_all_options",
    }
    feedback = graded.feedback("dave", NB)
    assert "likely mistake: stride=None means stride = kernel_size" in feedback
    assert "likely mistake: count_include_pad is inverted" in feedback


def test_ceil_mode_windows_in_the_padding(graded):
    """Do kept ceil_mode windows, dropped axes and a sum kernel each cost their part?"""
    assert lost(graded, "erin") == {
        "max_pool2d_ceil_mode",
        "max_pool1d_all_options",
        "avg_pool2d_ceil_mode",
        "avg_pool1d_all_options",
        "global_avg_pool2d_shapes",
        "avg_pool2d_as_conv_values",
    }
    feedback = graded.feedback("erin", NB)
    assert "likely mistake: with ceil_mode, a last window that would start" in feedback
    assert "likely mistake: the pooled axes are dropped" in feedback
    assert "likely mistake: the kernel is not normalised" in feedback


def test_dilation_divisor_and_channel_mixing(graded):
    """Do ignored dilation, a full-kernel divisor and a dense conv cost their parts?"""
    assert lost(graded, "frank") == {
        "max_pool2d_dilation",
        "max_pool2d_ceil_mode",  # its hidden cases are dilated too
        "max_pool2d_forms",
        "max_pool1d_all_options",
        "avg_pool2d_ceil_mode",
        "avg_pool1d_all_options",
        "avg_pool2d_as_conv_values",
    }
    feedback = graded.feedback("frank", NB)
    assert "likely mistake: the dilation is ignored" in feedback
    assert (
        "likely mistake: the divisor counts positions past the padded input" in feedback
    )
    assert "likely mistake: the convolution mixes the channels" in feedback
