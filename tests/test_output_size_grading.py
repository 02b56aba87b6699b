"""Assignment 01-output-size through the real nbgrader CLI."""

import pytest

from course import grade_class

A, NB = "01-output-size", "output-size.ipynb"

OFF_BY_ONE = """
def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    if padding == "valid":
        padding = 0
    if padding == "same":
        if stride != 1:
            raise ValueError("'same' needs stride 1")
        return input_size
    span = dilation * (kernel_size - 1) + 1
    out = (input_size + 2 * padding - span) // stride
    if out < 0:
        raise ValueError("kernel does not fit")
    return out
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {"carol": {"conv_output_size": OFF_BY_ONE}}
    course, result = grade_class(tmp_path_factory.mktemp("course"), A, NB, students)
    course.add_student("dave")  # on the roster, submitted nothing
    return course, result


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    _, result = graded
    assert result.total("alice") == result.max_total("alice") == 10


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    _, result = graded
    assert result.total("bob") == 0


def test_off_by_one_gets_partial_marks_and_diagnosis(graded):
    """Does an off-by-one output size lose those points, keep conv1d's, and say why?"""
    _, result = graded
    carol = result.scores["carol"]
    output_size_cells = [k for k in carol if k.startswith("conv_output_size_")]
    assert all(carol[k][0] == 0 for k in output_size_cells if "invalid" not in k)
    assert all(carol[k][0] == carol[k][1] for k in carol if k.startswith("conv1d"))
    assert 0 < result.total("carol") < 10
    feedback = result.feedback("carol", NB)
    assert "likely mistake: the +1 is missing" in feedback


def test_export_has_a_row_per_student(graded):
    """Does `nbgrader export` write a CSV row for every student, submitted or not?"""
    course, _ = graded
    rows = {row["student_id"]: row for row in course.export()}
    assert set(rows) == {"alice", "bob", "carol", "dave"}
    assert float(rows["alice"]["score"]) == 10
    assert float(rows["dave"]["score"]) == 0
