"""Whole numbers of any NumPy type through the real grading commands, and a fresh
course graded by plain nbgrader without configuration warnings."""

from __future__ import annotations

import pytest

from course import NbgraderCourse
from grader_support import A1, NB1, cli, make_course, put, scores
from helpers import submission

# conv_output_size written from the task text alone, computing in NumPy: its
# result is a NumPy integer (np.int64), or a 0-d array where asked.
NUMPY_SIZE = """
import numpy as np


def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif stride != 1:
            raise ValueError("padding='same' needs stride 1")
        else:
            return np.int64(input_size)
    reach = np.int64(dilation) * (kernel_size - 1) + 1
    n = np.floor_divide(np.int64(input_size) + 2 * padding - reach, stride) + 1
    if n < 1:
        raise ValueError("the kernel does not fit in the padded input")
    return {result}
"""


def test_numpy_integer_sizes_get_full_marks(tmp_path):
    """Does a correct conv_output_size returning np.int64 or a 0-d array get every
    point from `python -m autograder grade`?"""
    root = make_course(tmp_path / "course")
    for student, result in [("int64", "n"), ("zero_d", "np.asarray(n)")]:
        code = NUMPY_SIZE.format(result=result)
        put(root, student, submission(A1, NB1, {"conv_output_size": code}))
    proc = cli(root, "grade", A1, "--quiet")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    graded = scores(root)
    size_cells = [g for g in graded["int64"] if g.startswith("conv_output_size")]
    assert size_cells
    for student in ("int64", "zero_d"):
        lost = {g: s for g, s in graded[student].items() if s != _max(root, g)}
        assert not lost, (student, lost)


def _max(root, grade_id):
    from autograder.engine.course import CourseFolder

    with CourseFolder(root).gradebook() as gb:
        for cell in gb.find_assignment(A1).notebooks[0].grade_cells:
            if cell.name == grade_id:
                return cell.max_score
    raise KeyError(grade_id)


@pytest.fixture
def fresh(tmp_path):
    """A course as a fresh clone has it: configuration and sources, no gradebook."""
    course = NbgraderCourse(tmp_path)
    assert not (tmp_path / "gradebook.db").exists()
    return course


def test_fresh_course_plain_nbgrader_without_config_warnings(fresh):
    """Do generate_assignment then autograde work in a fresh course, and does no
    nbgrader command warn about an unknown configuration option?"""
    outputs = [fresh.nbgrader("generate_assignment", A1, "--force")]
    fresh.submit("alice", A1, NB1, submission(A1, NB1))
    outputs.append(fresh.nbgrader("autograde", A1, "--force"))
    path = fresh.root / "autograded" / "alice" / A1 / NB1
    outputs.append(fresh.nbgrader("validate", str(path)))
    outputs.append(fresh.nbgrader("db", "assignment", "list"))
    for proc in outputs:
        text = proc.stdout + proc.stderr
        assert "not recognized" not in text and "db_assignments" not in text, text
    result = fresh._scores(A1)["alice"]
    assert result and all(score == top for score, top in result.values()), result
