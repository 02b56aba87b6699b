"""Assignment 05-conv-vs-linear through the real nbgrader CLI."""

import nbformat
import pytest

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "05-conv-vs-linear", "conv-vs-linear.ipynb"
SOLUTION = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))[
    "conv2d_as_matrix"
]
ALL_CELLS = {
    "conv2d_as_matrix_single_channel",
    "conv2d_as_matrix_channels",
    "conv2d_as_matrix_stride_padding",
    "conv2d_as_matrix_forms",
    "conv2d_as_matrix_invalid",
}


def mistake(old, new):
    """The reference solution with one line changed: a student's mistake."""
    return edited(SOLUTION, (old, new))


STUDENTS = {
    # a true convolution: the kernel flipped
    "carol": mistake("weight[:, None, None]", "weight[:, None, None, :, ::-1, ::-1]"),
    # one row per input, one column per output
    "dave": mistake("    return m\n", "    return m.T\n"),
    # columns in (row, column, channel) order
    "erin": mistake("cols = (ci * h + r) * w + q", "cols = (r * w + q) * c + ci"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {s: {"conv2d_as_matrix": a} for s, a in STUDENTS.items()}
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 8


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


@pytest.mark.parametrize(
    "student, message",
    [
        ("carol", "likely mistake: the kernel is flipped"),
        ("dave", "likely mistake: the matrix is transposed"),
    ],
)
def test_wrong_matrix_keeps_only_the_refusals(graded, student, message):
    """Do a flipped kernel and a transposed matrix lose every value, and say why?"""
    assert lost(graded, student) == ALL_CELLS - {"conv2d_as_matrix_invalid"}
    assert message in graded.feedback(student, NB)


def test_channels_last_columns(graded):
    """Does a channels-last flattening keep the single-channel points, and say why?"""
    assert lost(graded, "erin") == ALL_CELLS - {
        "conv2d_as_matrix_single_channel",
        "conv2d_as_matrix_invalid",
    }
    assert "likely mistake: the input is flattened channels-last" in graded.feedback(
        "erin", NB
    )
