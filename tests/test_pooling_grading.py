"""Assignment 05-pooling through the real nbgrader CLI.

Every student but alice (the reference solution) and bob (the untouched
exercise) makes one diagnosed mistake, an edit of the reference solution's
own lines. Each loses exactly the graded cells, among those of the functions
that run the edited code, whose docstring lists the mistake's feature (see
test_features_quoted), and is told the mistake.
"""

import html
import re

import nbformat
import pytest
from test_features_quoted import features

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "05-pooling", "pooling.ipynb"
SOLUTIONS_BY_ID = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))

# The cells of each function; the 1-D functions call the 2-D ones, and the
# window helpers in max_pool2d's cell serve both max and average pooling.
MAX_2D = ("max_pool2d_",)
MAX = ("max_pool2d_", "max_pool1d_")
AVG = tuple(f"avg_pool2d_{p}" for p in ("basic", "padding", "ceil", "forms", "div"))
AVG += ("avg_pool1d_",)
# The call to the shared window helper in max_pool2d's solution.
CALL = "x, kernel_size, stride, padding, dilation, ceil_mode, fill=-np.inf"
INDEX = "return (rows * x.shape[-1] + cols).astype(np.int64)"

# student: (edited cell, its edits, feature, cells that run it, diagnosis)
MISTAKES = {
    "carol": (
        "max_pool2d",
        [(CALL, CALL.replace("-np.inf", "0"))],
        "padding",
        MAX,
        "the padding is filled with zeros",
    ),
    "dave": (
        "max_pool2d",
        [(CALL, CALL.replace(" stride,", " stride or 1,"))],
        "basic",
        MAX_2D,  # max_pool1d passes max_pool2d an explicit stride
        "stride=None means stride = kernel_size",
    ),
    "dora": (
        "max_pool2d",
        [(CALL, CALL.replace("dilation,", "1,"))],
        "dilation",
        MAX,
        "the dilation is ignored",
    ),
    "erin": (
        "max_pool2d",
        [("out -= 1", "pass")],
        "ceil_mode",
        MAX + AVG,
        "with ceil_mode, a last window that would start",
    ),
    "fay": (
        "max_pool2d",
        [(INDEX, "return taps.astype(np.int64)")],
        "return_indices",
        MAX,
        "the indices are positions in the window",
    ),
    "finn": (
        "max_pool2d",
        [
            (
                "rows * x.shape[-1] + cols",
                "(rows + p[0]) * (x.shape[-1] + 2 * p[1]) + cols + p[1]",
            )
        ],
        "return_indices",
        MAX,
        "the indices point into the padded input",
    ),
    "gail": (
        "avg_pool2d",
        [("pi, out, count_include_pad)", "pi, out, not count_include_pad)")],
        "count_include_pad",
        AVG,
        "count_include_pad is inverted",
    ),
    "gus": (
        "avg_pool2d",
        [("end = np.minimum(start + k, n + p)", "end = start + k")],
        "ceil_mode",
        AVG,
        "the divisor counts positions past the padded input",
    ),
    "hal": (
        "avg_pool2d",
        [
            (
                "    if divisor_override is not None:  # replaces every window's count",
                "    if False:",
            )
        ],
        "divisor_override",
        AVG,
        "divisor_override is ignored",
    ),
    "ivy": (
        "global_avg_pool2d",
        [("keepdims=True", "keepdims=False")],
        "basic",
        ("global_avg_pool2d_",),
        "the pooled axes are dropped",
    ),
    "jan": (
        "avg_pool2d_as_conv",
        [('"...chwij,cij->...chw"', '"...chwij,dij->...dhw"')],
        "basic",
        ("avg_pool2d_as_conv_",),
        "the convolution mixes the channels",
    ),
}

_TAG = re.compile(r"<[^>]+>")


def expected_loss(student):
    _, _, feature, cells, _ = MISTAKES[student]
    return {
        gid
        for gid, names in features(A).items()
        if feature in names and gid.startswith(cells)
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {
        name: {cell: edited(SOLUTIONS_BY_ID[cell], *changes)}
        for name, (cell, changes, _, _, _) in MISTAKES.items()
    }
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == 17


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_only_its_feature(graded, student):
    """Does one mistake lose exactly the cells of its feature, and get named?"""
    assert expected_loss(student)
    assert lost(graded, student) == expected_loss(student)
    text = html.unescape(_TAG.sub("", graded.feedback(student, NB)))
    assert f"likely mistake: {MISTAKES[student][-1]}" in text
