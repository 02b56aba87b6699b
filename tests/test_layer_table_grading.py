"""Assignment 09-layer-table through the real nbgrader CLI.

Every diagnosed mistake of tests/layer_table_students.py is made by a student
whose notebook has that one mistake: each costs exactly the cells of its part
whose docstrings name the features it breaks (and, for a mistake in
layer_shape or layer_counts, the table's cell, whose rows are built from
them), and the feedback names it. One mistake costs a cell of another part too
(ALSO): the solution's layer_counts takes a convolution's output size, for its
MACs, from layer_shape.
"""

import pytest

from course import grade_class
from helpers import cell_features, feedback_text, losing_cells, lost, part_features
from layer_table_students import MISTAKES, NB, A, student_source

FEATURES = cell_features(A, NB)
PARTS = {part: part_features(FEATURES, part + "_") for part in MISTAKES}
ALSO = {"padding_ignored": {"layer_counts_conv"}}
STUDENTS = {
    f"{part}-{key}": (part, i)
    for part, found in MISTAKES.items()
    for i, (_, _, key, _) in enumerate(found)
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {
        name: {part: student_source(part, i)} for name, (part, i) in STUDENTS.items()
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
    part, i = STUDENTS[student]
    _, broken, key, words = MISTAKES[part][i]
    expected = losing_cells(PARTS[part], broken) | ALSO.get(key, set())
    if part != "layer_table":  # the table's rows come from this part
        expected |= set(PARTS["layer_table"])
    assert lost(graded, student) == expected
    assert f"likely mistake: {words}" in feedback_text(graded, student, NB)
