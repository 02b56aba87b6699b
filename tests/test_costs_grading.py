"""Assignment 11-costs through the real nbgrader CLI.

Every diagnosed mistake is made by a student whose notebook has at most one
mistake per function. arithmetic_intensity calls the student's conv2d_bytes, as
the reference solution does, so a mistake in conv2d_bytes also costs the
intensity cells that it changes; a student with a conv2d_bytes mistake has none
in arithmetic_intensity. Each mistake costs exactly the cells whose docstrings
name the features it breaks, and the feedback names it.
"""

import nbformat
import pytest

from autograder.manifest import ASSIGNMENTS
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

# The assignment whose ops module is costs.py, whatever its folder is called.
COSTS = next(a for a in ASSIGNMENTS if a.ops == "costs")
A, NB = COSTS.name, COSTS.notebook
SOURCES = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))
FEATURES = cell_features(A, NB)
PARTS = {
    part: part_features(FEATURES, part + "_")
    for part in ("conv2d_bytes", "arithmetic_intensity", "roofline", "training_memory")
}
BASIC = {"basic"}
INTENSITY_RETURN = "return 2 * macs / nbytes"
INTENSITY_MACS = "* (c_in // groups) * kh * kw\n    return"
ROOF_RETURN = "return max(compute, memory), bound"
STEP = "4 * len(param_shapes)"
# Per part, (edits of its solution cell, {part: features broken}, diagnosis).
MISTAKES = {
    "conv2d_bytes": [
        (
            [
                (
                    "return values * bytes_per_value",
                    "return 8 * values * bytes_per_value",
                )
            ],
            {"conv2d_bytes": BASIC, "arithmetic_intensity": BASIC},
            "this counts bits, not bytes",
        ),
        (
            [("values += out_channels if bias else 0", "values += 0")],
            {"conv2d_bytes": BASIC, "arithmetic_intensity": BASIC},
            "the bias is forgotten",
        ),
        (
            [("(c_in // groups) * kh * kw  # the weight", "c_in * kh * kw")],
            {"conv2d_bytes": {"groups"}, "arithmetic_intensity": {"groups"}},
            "groups is ignored",
        ),
        (
            [("values += n * out_channels * h_out * w_out", "values += 0")],
            {"conv2d_bytes": BASIC, "arithmetic_intensity": BASIC},
            "the output is forgotten",
        ),
        (
            [
                (
                    "n, c_in, h, w = x_shape\n    h_out",
                    "_, c_in, h, w = x_shape\n    n = 1\n    h_out",
                )
            ],
            {"conv2d_bytes": BASIC, "arithmetic_intensity": BASIC},
            "the batch is forgotten",
        ),
    ],
    "arithmetic_intensity": [
        (
            [(INTENSITY_RETURN, "return macs / nbytes")],
            {"arithmetic_intensity": BASIC},
            "this counts MACs, not FLOPs",
        ),
        (
            [(INTENSITY_RETURN, "return 2 * macs / (8 * nbytes)")],
            {"arithmetic_intensity": BASIC},
            "this divides by bits, not bytes",
        ),
        (
            [("groups, bias, dtype)", "groups, False, dtype)")],
            {"arithmetic_intensity": BASIC},
            "the bias is forgotten in the bytes",
        ),
        (
            [
                ("groups, bias, dtype)", "1, bias, dtype)"),
                (INTENSITY_MACS, "* c_in * kh * kw\n    return"),
            ],
            {"arithmetic_intensity": {"groups"}},
            "groups is ignored",
        ),
    ],
    "roofline": [
        (
            [(ROOF_RETURN, "return min(compute, memory), bound")],
            {"roofline": BASIC},
            "min and max are swapped",
        ),
        (
            [(ROOF_RETURN, "return compute + memory, bound")],
            {"roofline": BASIC},
            "the two times are added",
        ),
        (
            [
                (
                    '"memory" if memory > compute else "compute"',
                    '"compute" if memory > compute else "memory"',
                )
            ],
            {"roofline": BASIC},
            "the bound is named the wrong way round",
        ),
    ],
    "training_memory": [
        (
            [("    return total", "    return 8 * total")],
            {"training_memory": BASIC},
            "this counts bits, not bytes",
        ),
        (
            [("total = 2 * nbytes", "total = nbytes")],
            {"training_memory": BASIC},
            "the gradients are forgotten",
        ),
        (
            [('"momentum": 1', '"momentum": 0')],
            {"training_memory": {"momentum"}},
            "the momentum buffer is forgotten",
        ),
        (
            [('"sgd": 0', '"sgd": 1')],
            {"training_memory": {"sgd"}},
            "plain SGD (no momentum) keeps no state",
        ),
        (
            [('"adam": 2', '"adam": 1')],
            {"training_memory": {"adam"}},
            "Adam's two moments are counted once",
        ),
        (
            [(STEP, "0")],
            {"training_memory": {"adam"}},
            "Adam's step counter is forgotten",
        ),
        (
            [(STEP, "4 * values")],
            {"training_memory": {"adam"}},
            "Adam's step counter is one float32 (4 bytes) per parameter TENSOR",
        ),
    ],
}
# Student i makes mistake i of conv2d_bytes, roofline and training_memory, and
# mistake i - 5 of arithmetic_intensity (after the conv2d_bytes mistakes).
OFFSET = {"arithmetic_intensity": len(MISTAKES["conv2d_bytes"])}
STUDENTS = {}
for i in range(OFFSET["arithmetic_intensity"] + len(MISTAKES["arithmetic_intensity"])):
    made = {}
    for part, found in MISTAKES.items():
        j = i - OFFSET.get(part, 0)
        if 0 <= j < len(found):
            made[part] = found[j]
    STUDENTS[f"s{i}"] = made


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {
        student: {
            part: edited(SOURCES[part], *edits) for part, (edits, _, _) in made.items()
        }
        for student, made in STUDENTS.items()
    }
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_one_intensity_or_bytes_mistake_per_student():
    """Does no student make mistakes in both conv2d_bytes and arithmetic_intensity?"""
    for made in STUDENTS.values():
        assert not {"conv2d_bytes", "arithmetic_intensity"} <= set(made)


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 10


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_mistake_costs_exactly_its_features_cells(graded, student):
    """Does each mistake cost exactly the cells of the features it breaks, named?"""
    expected = set()
    for _, broken, _ in STUDENTS[student].values():
        for part, features in broken.items():
            expected |= losing_cells(PARTS[part], features)
    assert lost(graded, student) == expected
    text = feedback_text(graded, student, NB)
    for _, _, diagnosis in STUDENTS[student].values():
        assert f"likely mistake: {diagnosis}" in text
