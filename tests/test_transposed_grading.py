"""Assignment 07-transposed-conv through the real nbgrader CLI.

Every student but alice (the reference solution) and bob (the untouched
exercise) makes one diagnosed mistake, an edit of the reference solution's
own lines. Each loses exactly the graded cells whose docstring lists the
mistake's feature, and is told the mistake.
"""

import nbformat
import pytest

from course import grade_class
from helpers import (
    SOLUTIONS,
    cell_features,
    edited,
    feedback_text,
    lost,
    solution_sources,
)

A, NB = "07-transposed-conv", "transposed-conv.ipynb"
SOLUTION = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))[
    "conv_transpose2d"
]
FEATURES = cell_features(A, NB)

# The line that reads the kernel's shape (after the arguments are checked),
# and the crop of the uncropped output.
SHAPES = "cog, kh_n, kw_n = w.shape[1:]\n"
CROP = "y = big[:, :, ph : ph + hout, pw : pw + wout]"
# student: (feature the mistake breaks, the answer, the diagnosis it gets)
MISTAKES = {
    # the taps read the kernel back to front: w[..., ::-1, ::-1]
    "carol": (
        "scatter",
        edited(
            SOLUTION,
            (
                "np.tensordot(xs, ws[:, :, a, b],",
                "np.tensordot(xs, ws[:, :, kh_n - 1 - a, kw_n - 1 - b],",
            ),
        ),
        "the kernel is not flipped",
    ),
    # output_padding left out of the output size
    "dave": (
        "output_padding",
        edited(
            SOLUTION,
            ("dh * (kh_n - 1) + oh + 1", "dh * (kh_n - 1) + 1"),
            ("dw * (kw_n - 1) + ow + 1", "dw * (kw_n - 1) + 1"),
        ),
        "output_padding is ignored",
    ),
    # output channel o filled from group o % G
    "erin": (
        "groups",
        edited(
            SOLUTION,
            (
                "target = big[:, g * cog : (g + 1) * cog]",
                "target = big[:, g::G]",
            ),
        ),
        "the groups are mixed",
    ),
    "eve": (
        "bias",
        edited(
            SOLUTION,
            ("y = y + bias.reshape(1, cout, 1, 1)", "y = y"),
        ),
        "the bias is not added",
    ),
    # with a stride: stride 1 and no output_padding, then every S-th output kept
    "fred": (
        "stride",
        edited(
            SOLUTION,
            (
                SHAPES,
                SHAPES + "    keep, (sh, sw) = (sh, sw), (1, 1)\n"
                "    if keep != (1, 1):  # as in conv2d, no output_padding\n"
                "        oh = ow = 0\n",
            ),
            (CROP, CROP + "[:, :, :: keep[0], :: keep[1]]"),
        ),
        "the stride is applied as in conv2d",
    ),
    # the inputs' kernel copies added one output apart
    "gina": (
        "stride",
        edited(SOLUTION, (SHAPES, SHAPES + "    sh = sw = 1\n")),
        "the stride is ignored",
    ),
    # the full output with P zeros around it, instead of P cropped from it
    "hugo": (
        "padding",
        edited(
            SOLUTION, (CROP, "y = np.pad(big, ((0, 0), (0, 0), (ph, ph), (pw, pw)))")
        ),
        "the padding is added instead of cropped",
    ),
    # kernel taps one output apart
    "ivan": (
        "dilation",
        edited(SOLUTION, (SHAPES, SHAPES + "    dh = dw = 1\n")),
        "the dilation is ignored",
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {
        name: {"conv_transpose2d": answer} for name, (_, answer, _) in MISTAKES.items()
    }
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 11


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_only_its_feature(graded, student):
    """Does one mistake lose exactly the cells of its feature, and get named?"""
    feature, _, diagnosis = MISTAKES[student]
    cells = {gid for gid, names in FEATURES.items() if feature in names}
    assert cells
    assert lost(graded, student) == cells
    assert f"likely mistake: {diagnosis}" in feedback_text(graded, student, NB)
