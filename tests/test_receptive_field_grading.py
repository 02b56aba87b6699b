"""Assignment 06-receptive-field through the real nbgrader CLI."""

import nbformat
import pytest

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "06-receptive-field", "receptive-field.ipynb"
SOLUTIONS_BY_ID = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))
RF_CELLS = {
    "receptive_field_stride1",
    "receptive_field_strides",
    "receptive_field_dilation",
    "receptive_field_forms",
}


def mistake(grade_id, old, new):
    """A solution cell with one line changed: a student's mistake."""
    return edited(SOLUTIONS_BY_ID[grade_id], (old, new))


RF_LINE = "rf += d * (k - 1) * jump"
STUDENTS = {
    # the jump forgotten
    "carol": {
        "receptive_field": mistake("receptive_field", RF_LINE, "rf += d * (k - 1)")
    },
    # dilation ignored; the bias forgotten; groups ignored in the MACs
    "dave": {
        "receptive_field": mistake("receptive_field", RF_LINE, "rf += (k - 1) * jump"),
        "count_parameters": mistake(
            "count_parameters", " + (c_out if bias else 0)", ""
        ),
        "count_macs": mistake("count_macs", "(c_in // groups) * kh", "c_in * kh"),
    },
    # the layer's own stride in its jump; groups ignored in the parameters; FLOPs
    "erin": {
        "receptive_field": mistake(
            "receptive_field",
            RF_LINE + "\n        jump *= s",
            "jump *= s\n        " + RF_LINE,
        ),
        "count_parameters": mistake(
            "count_parameters", "(c_in // groups) * kh", "c_in * kh"
        ),
        "count_macs": mistake("count_macs", "return c_out", "return 2 * c_out"),
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, STUDENTS)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 10


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


def test_jump_forgotten(graded):
    """Does forgetting the jump lose the strided stacks only, and say why?"""
    assert lost(graded, "carol") == RF_CELLS - {"receptive_field_stride1"}
    assert "likely mistake: the jump is forgotten" in graded.feedback("carol", NB)


def test_dilation_bias_and_groups(graded):
    """Do ignored dilation, a forgotten bias and ignored groups cost their parts?"""
    assert lost(graded, "dave") == {
        "receptive_field_dilation",
        "receptive_field_forms",
        "count_parameters_basic",
        "count_parameters_groups",
        "count_macs_groups",
    }
    feedback = graded.feedback("dave", NB)
    assert "likely mistake: the dilation is ignored" in feedback
    assert "likely mistake: the bias is forgotten" in feedback
    assert "likely mistake: groups is ignored" in feedback


def test_own_stride_groups_and_flops(graded):
    """Do the own stride in the jump, ignored groups and FLOPs cost their parts?"""
    assert lost(graded, "erin") == RF_CELLS - {"receptive_field_stride1"} | {
        "count_parameters_groups",
        "count_macs_basic",
        "count_macs_groups",
    }
    feedback = graded.feedback("erin", NB)
    assert "likely mistake: the jump includes the layer" in feedback
    assert "likely mistake: groups is ignored" in feedback
    assert "likely mistake: this counts FLOPs, not MACs" in feedback
