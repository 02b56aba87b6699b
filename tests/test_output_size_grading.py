"""Assignment 02-output-size through the real nbgrader CLI.

Every diagnosed mistake is made by a student whose notebook has only that
mistake in conv1d and, at most, one more in conv_output_size (a separate part,
whose cells never call conv1d): each costs exactly the cells whose docstrings
name the feature it breaks, and the feedback names it.
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

A, NB = "02-output-size", "output-size.ipynb"
SOURCES = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))
FEATURES = cell_features(A, NB)
PARTS = {
    "conv_output_size": part_features(FEATURES, "conv_output_size_"),
    "conv1d": part_features(FEATURES, "conv1d_"),
}

SIZE_LINE = "out = (input_size + 2 * padding - span) // stride + 1"
# (edits of the solution, broken features, diagnosis) per known mistake.
SIZE_MISTAKES = [
    (
        [(SIZE_LINE, SIZE_LINE[:-4]), ("if out < 1:", "if out < 0:")],
        {"basic"},
        "the +1 is missing",
    ),
    ([("2 * padding", "padding")], {"padding"}, "the padding is counted once"),
    (
        [("span = dilation * (kernel_size - 1) + 1", "span = kernel_size")],
        {"dilation"},
        "the dilation is ignored",
    ),
    (
        [(SIZE_LINE, "out = -(-(input_size + 2 * padding - span) // stride) + 1")],
        {"stride"},
        "the division rounds up",
    ),
]
PADS = "(left,) = (right,) = np.atleast_1d(padding)"
SPLIT = "left, right = total // 2, total - total // 2"
CONV1D_MISTAKES = [
    (
        [("w = weight.reshape(", "w = weight[..., ::-1].reshape(")],
        {"basic"},
        "the kernel is flipped",
    ),
    (
        [
            ("// stride + 1", "+ 1"),
            (
                "idx = np.arange(l_out)[:, None] * stride",
                "idx = np.arange(l_out)[:, None]",
            ),
        ],
        {"stride"},
        "the stride is ignored",
    ),
    (
        [
            ("span = dilation * (k - 1) + 1", "span = k"),
            ("np.arange(k) * dilation", "np.arange(k)"),
        ],
        {"dilation"},
        "the dilation is ignored",
    ),
    ([(PADS, "left = right = 0")], {"padding"}, "the padding is ignored"),
    (
        [(PADS, "(left,) = np.atleast_1d(padding)\n        right = 0")],
        {"padding"},
        "the padding is applied on the left side only",
    ),
    (
        [(PADS, "(right,) = np.atleast_1d(padding)\n        left = 0")],
        {"padding"},
        "the padding is applied on the right side only",
    ),
    (
        [("y = y + np.asarray(bias)[:, None]", "y = y")],
        {"bias"},
        "the bias is not added",
    ),
    (
        [
            (
                "windows = xp[:, :, idx].reshape(n, groups, c_group, l_out, k)",
                "windows = np.broadcast_to(xp[:, None, :c_group][:, :, :, idx], "
                "(n, groups, c_group, l_out, k))",
            )
        ],
        {"groups"},
        "groups is ignored",
    ),
    (
        [(SPLIT, "left, right = total - total // 2, total // 2")],
        {"same_padding"},
        "padding='same' with an even kernel puts the extra zero at the start",
    ),
    (
        [(SPLIT, "left = right = total - total // 2")],
        {"same_padding"},
        "padding='same' with an even kernel pads D(K-1)/2 rounded up on both sides",
    ),
    (
        [
            (
                "    return y[0] if unbatched",
                "    y = np.moveaxis(y, 1, -1)\n    return y[0] if unbatched",
            )
        ],
        {"basic"},
        "the channel axis is in the wrong place",
    ),
]
# Student i makes conv1d mistake i and conv_output_size mistake i (if any).
STUDENTS = {
    f"s{i:02d}": {
        "conv1d": CONV1D_MISTAKES[i],
        **({"conv_output_size": SIZE_MISTAKES[i]} if i < len(SIZE_MISTAKES) else {}),
    }
    for i in range(len(CONV1D_MISTAKES))
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


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_mistake_costs_exactly_its_features_cells(graded, student):
    """Does each mistake cost exactly the cells of the feature it breaks, named?"""
    _, result = graded
    expected = set()
    for part, (_, broken, _) in STUDENTS[student].items():
        expected |= losing_cells(PARTS[part], broken)
    assert lost(result, student) == expected
    text = feedback_text(result, student, NB)
    for _, _, diagnosis in STUDENTS[student].values():
        assert f"likely mistake: {diagnosis}" in text


def test_export_has_a_row_per_student(graded):
    """Does `nbgrader export` write a CSV row for every student, submitted or not?"""
    course, _ = graded
    rows = {row["student_id"]: row for row in course.export()}
    assert set(rows) == {"alice", "bob", "dave", *STUDENTS}
    assert float(rows["alice"]["score"]) == 10
    assert float(rows["dave"]["score"]) == 0
