"""Assignment 03-padding through the real nbgrader CLI."""

import nbformat
import pytest

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "03-padding", "padding.ipynb"
SOLUTION = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))["pad"]


def mistake(old, new):
    """The reference solution with one line changed: a student's mistake."""
    return edited(SOLUTION, (old, new))


# The pairs taken in the order given, so that the first pads the height.
FIRST_AXIS_FIRST = mistake(
    "for i in range(0, len(pad), 2)][::-1]", "for i in range(0, len(pad), 2)]"
)
# numpy's 'symmetric' instead of 'reflect', and circular copies from the wrong end.
SYMMETRIC_AND_WRONG_END = mistake(
    "        pos = np.abs(pos)  # mirror at 0 without repeating x[0]\n"
    "        return (n - 1) - np.abs((n - 1) - pos)  # mirror at n - 1\n",
    "        pos = np.where(pos < 0, -pos - 1, pos)\n"
    "        return np.where(pos >= n, 2 * n - 1 - pos, pos)\n",
).replace(
    "    return pos % max(n, 1)\n",
    "    wrapped = np.where(pos >= n, pos - after, pos)\n"
    "    return np.where(pos < 0, pos + before, wrapped)\n",
)
# Constant padding that forgets the right (and bottom) amounts.
CONSTANT_ONE_SIDED = mistake(
    "return _pad_constant(x, pairs, value)",
    "return _pad_constant(x, [(b, 0) for b, _ in pairs], value)",
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {
        "carol": {"pad": FIRST_AXIS_FIRST},
        "dave": {"pad": SYMMETRIC_AND_WRONG_END},
        "erin": {"pad": CONSTANT_ONE_SIDED},
    }
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 10


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


def test_pairs_from_the_first_axis(graded):
    """Does reading the pairs from the first axis lose the 2-D points, and say so?"""
    carol = graded.scores["carol"]
    assert carol["pad_constant_1d"] == (1, 1)
    assert carol["pad_constant_2d"] == (0, 2)
    assert "likely mistake: the pad tuple is read from the first spatial axis" in (
        graded.feedback("carol", NB)
    )


def test_symmetric_reflect_and_circular_from_the_wrong_end(graded):
    """Do numpy's 'symmetric' and a reversed wrap lose only reflect and circular?"""
    assert lost(graded, "dave") == {"pad_reflect", "pad_circular"}
    feedback = graded.feedback("dave", NB)
    assert "which repeats the edge value" in feedback
    assert "likely mistake: circular padding is taken from the wrong end" in feedback


def test_constant_padding_on_one_side(graded):
    """Does constant padding without the right pads lose only the constant points?"""
    assert lost(graded, "erin") == {
        "pad_constant_1d",
        "pad_constant_2d",
        "pad_constant_crop",
    }
    assert "likely mistake: the padding is applied before the data only" in (
        graded.feedback("erin", NB)
    )
