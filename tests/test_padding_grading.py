"""Assignment 04-padding through the real nbgrader CLI.

Every student but alice (the reference solution) and bob (the untouched
exercise) makes one diagnosed mistake, an edit of the reference solution's
own lines. Each loses exactly the graded cells whose docstring lists the
mistake's feature (see test_features_quoted), and is told the mistake.
"""

import html
import re

import nbformat
import pytest
from test_features_quoted import cells_with

from course import grade_class
from helpers import SOLUTIONS, edited, lost, solution_sources

A, NB = "04-padding", "padding.ipynb"
SOLUTION = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))["pad"]


def mistake(*changes):
    """The reference solution with some lines changed: a student's mistake."""
    return edited(SOLUTION, *changes)


PAIRS = "pairs = [(pad[i], pad[i + 1])"
# student: (feature the mistake breaks, the answer, the diagnosis it gets)
MISTAKES = {
    # the pairs taken in the order given, so that the first pads the height
    "carol": (
        "two_pairs",
        mistake(
            (
                "for i in range(0, len(pad), 2)][::-1]",
                "for i in range(0, len(pad), 2)]",
            )
        ),
        "the pad tuple is read from the first spatial axis",
    ),
    "chris": (
        "before_after",
        mistake((PAIRS, "pairs = [(pad[i + 1], pad[i])")),
        "the two amounts of a pair are swapped",
    ),
    "cleo": (
        "before_after",
        mistake((PAIRS, "pairs = [(pad[i], 0)")),
        "the padding is applied before the data only",
    ),
    # numpy's 'symmetric' instead of 'reflect'
    "dave": (
        "reflect",
        mistake(
            (
                "        pos = np.abs(pos)  # mirror at 0 without repeating x[0]\n"
                "        return (n - 1) - np.abs((n - 1) - pos)  # mirror at n - 1\n",
                "        pos = np.where(pos < 0, -pos - 1, pos)\n"
                "        return np.where(pos >= n, 2 * n - 1 - pos, pos)\n",
            )
        ),
        "reflect is implemented as numpy's 'symmetric'",
    ),
    # circular copies from the wrong end
    "dora": (
        "circular",
        mistake(
            (
                "    return pos % max(n, 1)\n",
                "    wrapped = np.where(pos >= n, pos - after, pos)\n"
                "    return np.where(pos < 0, pos + before, wrapped)\n",
            )
        ),
        "circular padding is taken from the wrong end",
    ),
    # circular wraps before it crops
    "dina": (
        "circular_crop",
        mistake(
            ('        if mode == "circular":  # crop first', "        if False:  #")
        ),
        "circular padding wraps around the uncropped input",
    ),
    # every mode padded as 'constant'
    "erin": (
        "modes",
        mistake(
            (
                '    if mode == "constant":\n'
                "        return _pad_constant(x, pairs, value)\n",
                '    if mode in ("constant", "reflect", "replicate", "circular"):\n'
                "        return _pad_constant(x, pairs, value)\n",
            )
        ),
        "the mode is ignored",
    ),
    "eve": (
        "basic",
        mistake(
            (
                "return _pad_constant(x, pairs, value)",
                "return _pad_constant(x, pairs, 0.0)",
            )
        ),
        "value is ignored",
    ),
}

_TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {name: {"pad": answer} for name, (_, answer, _) in MISTAKES.items()}
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
    assert cells_with(A, feature)
    assert lost(graded, student) == cells_with(A, feature)
    text = html.unescape(_TAG.sub("", graded.feedback(student, NB)))
    assert f"likely mistake: {diagnosis}" in text
