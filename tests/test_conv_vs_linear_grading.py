"""Assignment 01-conv-vs-linear through the real nbgrader CLI.

Every diagnosed mistake is made by one student, and nothing else: it must cost
exactly the cells whose docstrings name the feature it breaks, and the
feedback must name it.
"""

import nbformat
import pytest

from course import grade_class
from helpers import (
    SOLUTIONS,
    cell_features,
    edited,
    feedback_text,
    losing_cells,
    lost,
    solution_sources,
)

A, NB = "01-conv-vs-linear", "conv-vs-linear.ipynb"
SOLUTION = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))[
    "conv2d_as_matrix"
]
FEATURES = cell_features(A, NB)

PADS = "(top, bottom), (left, right) = _paddings(padding, (kh, kw), (sh, sw))\n"
COLUMNS = ("cols = (ci * h + r) * w + q", "cols = (r * w + q) * c + ci")
ROWS = ("rows = (o * h_out + i) * w_out + j", "rows = (i * w_out + j) * c_out + o")
# student: (edits of the solution, features broken, diagnosis)
STUDENTS = {
    "flipped": (
        [("weight[:, None, None]", "weight[:, None, None, :, ::-1, ::-1]")],
        {"basic"},
        "the kernel is flipped",
    ),
    "transposed": (
        [("    return m\n", "    return m.T\n")],
        {"basic"},
        "the matrix is transposed",
    ),
    "stride": (
        [(PADS, PADS + "    sh = sw = 1\n")],
        {"stride"},
        "the stride is ignored",
    ),
    "padding": (
        [("return (ph, ph), (pw, pw)", "return (0, 0), (0, 0)")],
        {"padding"},
        "the padding is ignored",
    ),
    "input_last": (
        [COLUMNS],
        {"channels"},
        "the input is flattened channels-last",
    ),
    "output_last": (
        [ROWS],
        {"channels"},
        "the output is flattened channels-last",
    ),
    "both_last": (
        [COLUMNS, ROWS],
        {"channels"},
        "inputs and outputs are both flattened channels-last",
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {
        student: {"conv2d_as_matrix": edited(SOLUTION, *edits)}
        for student, (edits, _, _) in STUDENTS.items()
    }
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 8


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_mistake_costs_exactly_its_features_cells(graded, student):
    """Does each mistake cost exactly the cells of the feature it breaks, named?"""
    _, broken, diagnosis = STUDENTS[student]
    assert lost(graded, student) == losing_cells(FEATURES, broken)
    assert f"likely mistake: {diagnosis}" in feedback_text(graded, student, NB)
