"""Assignment 08-receptive-field through the real nbgrader CLI.

Every diagnosed mistake is made by a student whose notebook has at most one
mistake per function (the three parts' cells call one function each): each
costs exactly the cells of its part whose docstrings name the feature it
breaks, and the feedback names it.
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
    part_features,
    solution_sources,
)

A, NB = "08-receptive-field", "receptive-field.ipynb"
SOURCES = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))
FEATURES = cell_features(A, NB)
PARTS = {
    part: part_features(FEATURES, part + "_")
    for part in ("receptive_field", "count_parameters", "count_macs")
}

RF_LINE = "rf += d * (k - 1) * jump"
KERNEL = "kh, kw = (int(k) for k in np.broadcast_to(kernel_size, 2))"
INT_KERNEL = "kh, kw = (kernel_size, 1) if np.ndim(kernel_size) == 0 else kernel_size"
OUTPUT = "oh, ow = (int(n) for n in np.broadcast_to(output_size, 2))"
INT_OUTPUT = "oh, ow = (output_size, 1) if np.ndim(output_size) == 0 else output_size"
GROUPS = ("(c_in // groups) * kh", "c_in * kh")
# Per part, (edits of the solution, features broken, diagnosis) per mistake.
MISTAKES = {
    "receptive_field": [
        ([(RF_LINE, "rf += d * (k - 1)")], {"stride"}, "the jump is forgotten"),
        (
            [(RF_LINE + "\n        jump *= s", "jump *= s\n        " + RF_LINE)],
            {"stride"},
            "the jump includes the layer's own stride",
        ),
        (
            [(RF_LINE, "rf += (k - 1) * jump")],
            {"dilation"},
            "the dilation is ignored",
        ),
    ],
    "count_parameters": [
        ([(" + (c_out if bias else 0)", "")], {"basic"}, "the bias is forgotten"),
        (
            [(" + (c_out if bias else 0)", " + c_out")],
            {"no_bias"},
            "the bias is counted although bias=False",
        ),
        ([GROUPS], {"groups"}, "groups is ignored"),
        (
            [(KERNEL, INT_KERNEL)],
            {"basic"},
            "an int kernel_size K means a K x K kernel",
        ),
    ],
    "count_macs": [
        ([GROUPS], {"groups"}, "groups is ignored"),
        ([("return c_out", "return 2 * c_out")], {"basic"}, "this counts FLOPs"),
        (
            [(KERNEL, INT_KERNEL), (OUTPUT, INT_OUTPUT)],
            {"basic"},
            "an int kernel_size K means a K x K kernel, and an int output_size S",
        ),
    ],
}
# Student i makes mistake i of each part that has one.
STUDENTS = {
    f"s{i}": {part: found[i] for part, found in MISTAKES.items() if i < len(found)}
    for i in range(max(map(len, MISTAKES.values())))
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {
        student: {
            part: edited(SOURCES[part], *edits)
            for part, (edits, _, _) in mistakes.items()
        }
        for student, mistakes in STUDENTS.items()
    }
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 10


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_mistake_costs_exactly_its_features_cells(graded, student):
    """Does each mistake cost exactly the cells of the feature it breaks, named?"""
    expected = set()
    for part, (_, broken, _) in STUDENTS[student].items():
        expected |= losing_cells(PARTS[part], broken)
    assert lost(graded, student) == expected
    text = feedback_text(graded, student, NB)
    for _, _, diagnosis in STUDENTS[student].values():
        assert f"likely mistake: {diagnosis}" in text
