"""Every graded case traces to a sentence of the task that the student reads.

Each graded test cell of a solution notebook opens with a docstring: a one-line
summary, then one line per feature that the cell exercises,

    feature stride: "stride: int or pair of ints"

quoting (verbatim, up to white space) the words of the released notebook (its
Markdown, or the docstrings of the cells the student fills in) that ask for
that feature. A hidden case that no sentence asks for cannot be graded. (That a
mistake in one feature costs the cells naming that feature, and no others, is
tested by the grading tests of each assignment, one mistake per student.)
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from helpers import EXERCISES, SOLUTIONS

FEATURE = re.compile(r'^feature ([a-z][a-z0-9_]*): "(.+)"$')
NOTEBOOKS = sorted(SOLUTIONS.glob("*/*.ipynb"))


def _norm(text):
    return " ".join(text.split())


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def _is_test(cell):
    nbg = _nbgrader(cell)
    return cell.cell_type == "code" and nbg.get("grade") and not nbg.get("solution")


def _test_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if _is_test(c)]


def _released(path):
    return EXERCISES / path.parent.name / path.name


def student_text(path):
    """What the student reads: Markdown and the cells they fill in, not the tests."""
    nb = nbformat.read(_released(path), as_version=4)
    return " ".join(_norm(c.source) for c in nb.cells if not _is_test(c))


def features(cell):
    """[(name, quoted text)] from the docstring that opens a test cell."""
    docstring = ast.get_docstring(ast.parse(cell.source)) or ""
    found = []
    for line in docstring.splitlines()[1:]:
        match = FEATURE.match(line.strip())
        if match:
            found.append((match[1], _norm(match[2])))
    return found


CELLS = [
    pytest.param(path, cell, id=f"{path.parent.name}:{_nbgrader(cell)['grade_id']}")
    for path in NOTEBOOKS
    for cell in _test_cells(path)
]


@pytest.mark.parametrize(("path", "cell"), CELLS)
def test_graded_cell_names_its_features(path, cell):
    """Does every graded cell say which features it exercises, each once?"""
    names = [name for name, _ in features(cell)]
    assert names, "no 'feature <name>: \"<task text>\"' line in the cell's docstring"
    assert len(names) == len(set(names)), names


@pytest.mark.parametrize(("path", "cell"), CELLS)
def test_every_feature_is_asked_for_by_the_task(path, cell):
    """Is each feature a graded cell exercises asked for in the student's notebook?"""
    text = student_text(path)
    missing = [(name, quote) for name, quote in features(cell) if quote not in text]
    assert not missing, f"quoted text not in {_released(path)}: {missing}"


def test_the_convention_is_checked_somewhere():
    """Are there graded cells at all (a broken glob would make the tests vacuous)?"""
    assert len(NOTEBOOKS) >= 8
    assert len(CELLS) >= 40
