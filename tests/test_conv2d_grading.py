"""Assignment 03-conv2d through the real nbgrader CLI.

Every diagnosed mistake is made by one student, in both conv2d_naive and conv2d
(a mistake in the helpers that both use, or the same wrapper around each), and
nothing else: it must cost exactly the cells, of both parts, whose docstrings
name the feature it breaks, and the feedback must name it.
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
    solution_sources,
)

A, NB = "03-conv2d", "conv2d.ipynb"
SIGNATURE = "(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):"
SOURCES = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))
FEATURES = cell_features(A, NB)
ARGS = "x, weight, bias, stride, padding, dilation, groups"


def wrapped(body):
    """Both functions as the reference solution, renamed, with `body` around it.

    In `body`, `right` stands for the reference function.
    """
    cells = {}
    for name in ("conv2d_naive", "conv2d"):
        reference = SOURCES[name].replace(f"def {name}(", f"def right_{name}(")
        code = body.replace("right(", f"right_{name}(")
        cells[name] = f"{reference}\n\n\ndef {name}{SIGNATURE}\n{code}"
    return cells


def helpers_edited(*changes):
    """The helpers that both functions use, with a mistake."""
    return {"conv2d_helpers": edited(SOURCES["conv2d_helpers"], *changes)}


PADS = "pads = padding_2d(padding, (kh, kw), stride, dilation)\n"
INT_PADS = "return (ph, ph), (pw, pw)"
SAME = "return tuple((t // 2, t - t // 2) for t in totals)"
# student: (solution cells, features broken, diagnosis)
STUDENTS = {
    "flipped": (
        wrapped(
            "    weight = np.asarray(weight)[..., ::-1, ::-1]\n"
            f"    return right({ARGS})"
        ),
        {"basic"},
        "the kernel is flipped",
    ),
    "stride": (
        helpers_edited((PADS, PADS + "    stride = (1, 1)\n")),
        {"stride"},
        "the stride is ignored",
    ),
    "dilation": (
        helpers_edited((PADS, PADS + "    dilation = (1, 1)\n")),
        {"dilation"},
        "the dilation is ignored",
    ),
    "padding": (
        helpers_edited((INT_PADS, "return (0, 0), (0, 0)")),
        {"padding"},
        "the padding is ignored",
    ),
    "left": (
        helpers_edited((INT_PADS, "return (ph, 0), (pw, 0)")),
        {"padding"},
        "the padding is applied on the left side only",
    ),
    "right": (
        helpers_edited((INT_PADS, "return (0, ph), (0, pw)")),
        {"padding"},
        "the padding is applied on the right side only",
    ),
    "bias": (
        wrapped("    return right(x, weight, None, stride, padding, dilation, groups)"),
        {"bias"},
        "the bias is not added",
    ),
    "groups": (
        # The arguments are checked with groups, the output computed without.
        wrapped(
            "    x, weight = np.asarray(x), np.asarray(weight)\n"
            "    conv2d_setup(x, weight, bias, stride, padding, dilation, groups)\n"
            "    x = x[..., : weight.shape[1], :, :]\n"
            "    return right(x, weight, bias, stride, padding, dilation, 1)"
        ),
        {"groups"},
        "groups is ignored",
    ),
    "same_start": (
        helpers_edited((SAME, "return tuple((t - t // 2, t // 2) for t in totals)")),
        {"same_padding"},
        "padding='same' with an even kernel puts the extra zero at the start",
    ),
    "same_ceil": (
        helpers_edited((SAME, "return tuple((t - t // 2,) * 2 for t in totals)")),
        {"same_padding"},
        "padding='same' with an even kernel pads D(K-1)/2 rounded up on both sides",
    ),
    "channels_last": (
        wrapped(f"    return np.moveaxis(right({ARGS}), -3, -1)"),
        {"basic"},
        "the channel axis is in the wrong place",
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {student: cells for student, (cells, _, _) in STUDENTS.items()}
    return grade_class(tmp_path_factory.mktemp("course"), A, NB, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get all 14 points?"""
    assert graded.total("alice") == graded.max_total("alice") == 14


def test_points_per_part(graded):
    """Are the points 6 for the loop version and 8 for the vectorised one?"""
    scores = graded.scores["alice"]
    naive = sum(top for gid, (_, top) in scores.items() if "naive" in gid)
    assert (naive, graded.max_total("alice") - naive) == (6, 8)


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero without breaking the grader?"""
    assert graded.total("bob") == 0
    assert graded.max_total("bob") == 14


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_mistake_costs_exactly_its_features_cells(graded, student):
    """Does each mistake cost exactly the cells of the feature it breaks, named?"""
    _, broken, diagnosis = STUDENTS[student]
    assert lost(graded, student) == losing_cells(FEATURES, broken)
    assert f"likely mistake: {diagnosis}" in feedback_text(graded, student, NB)


def test_calling_pytorch_scores_zero_for_that_part(tmp_path):
    """Does a conv2d_naive that calls PyTorch score zero for its part only?"""
    torch_call = (
        "def conv2d_naive" + SIGNATURE + "\n"
        "    import torch\n"
        "    import torch.nn.functional as F\n"
        "    t = [None if a is None else torch.from_numpy(np.asarray(a))\n"
        "         for a in (x, weight, bias)]\n"
        "    return F.conv2d(*t, stride, padding, dilation, groups).numpy()\n"
    )
    students = {"grace": {"conv2d_naive": torch_call}}
    result = grade_class(tmp_path, A, NB, students)[1]
    naive = {gid for gid in FEATURES if gid.startswith("conv2d_naive_")}
    assert lost(result, "grace") == naive
    assert all(result.scores["grace"][gid][0] == 0 for gid in naive)
    text = feedback_text(result, "grace", NB)
    assert "must be written in NumPy, so this part scores zero" in text
