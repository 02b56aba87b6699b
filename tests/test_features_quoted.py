"""Every graded cell of padding, pooling, separable and backward names its features,
quoting the task.

The docstring that opens a graded test cell has its one-line summary first,
then one line per feature that the cell (visible and hidden part) exercises:

    feature <name>: "<text quoted verbatim from the task>"

The quote, whitespace-normalised, must appear in a markdown cell of the
released notebook or in a docstring that the released solution cells keep:
the sentence of the task that asks for the feature. The grading tests use
`features` to say which cells a mistake may cost.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from helpers import EXERCISES, SOLUTIONS, grade_id

NOTEBOOKS = {
    "04-padding": "padding.ipynb",
    "05-pooling": "pooling.ipynb",
    "10-separable": "separable.ipynb",
    "06-backward": "backward.ipynb",
}
_FEATURE = re.compile(r'^feature (?P<name>[a-z0-9_]+): "(?P<quote>[^"]+)"$')


def _graded_cells(assignment):
    nb = nbformat.read(SOLUTIONS / assignment / NOTEBOOKS[assignment], as_version=4)
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _docstring(cell):
    return ast.get_docstring(ast.parse(cell.source), clean=True) or ""


def _parse(doc):
    """(summary, [(name, quote)]) of a test cell's docstring."""
    summary, *rest = doc.splitlines()
    return summary, [_FEATURE.match(line).groups() for line in rest if line.strip()]


def features(assignment):
    """{grade_id: {feature name, ...}} for every graded cell of an assignment."""
    return {
        grade_id(c): {name for name, _ in _parse(_docstring(c))[1]}
        for c in _graded_cells(assignment)
    }


def cells_with(assignment, feature, among=None):
    """The graded cells (of the `among` prefixes, if given) that list `feature`."""
    return {
        gid
        for gid, names in features(assignment).items()
        if feature in names and (among is None or gid.startswith(among))
    }


def _task_text(assignment):
    """What students read: the released markdown and function docstrings."""
    released = nbformat.read(EXERCISES / assignment / NOTEBOOKS[assignment], 4)
    parts = []
    for cell in released.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.metadata.get("nbgrader", {}).get("solution"):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.FunctionDef):
                    parts.append(ast.get_docstring(node) or "")
    return " ".join(" ".join(parts).split())


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_every_graded_cell_names_its_features(assignment):
    """Does every graded cell open with a summary, then well-formed feature lines?"""
    for cell in _graded_cells(assignment):
        summary, *lines = _docstring(cell).splitlines()
        assert summary and not summary.startswith("feature "), grade_id(cell)
        named = [line for line in lines if line.strip()]
        assert named, f"{grade_id(cell)} names no feature"
        for line in named:
            assert _FEATURE.match(line), f"{grade_id(cell)}: {line!r}"


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_every_feature_quotes_the_task(assignment):
    """Does every feature line quote a sentence that students can read?"""
    text = _task_text(assignment)
    missing = [
        (grade_id(cell), name, quote)
        for cell in _graded_cells(assignment)
        for name, quote in _parse(_docstring(cell))[1]
        if " ".join(quote.split()) not in text
    ]
    assert not missing


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_every_cell_builds_on_the_basic_case(assignment):
    """Does every graded cell list `basic` or name a mode of its own first?"""
    for cell in _graded_cells(assignment):
        names = [name for name, _ in _parse(_docstring(cell))[1]]
        assert names[0] in {"basic", "reflect", "replicate", "circular", "invalid"}, (
            grade_id(cell)
        )


def test_new_signature_features_have_their_own_cells():
    """Do return_indices, divisor_override and circular crops have graded cells?"""
    pooling = features("05-pooling")
    assert pooling["max_pool2d_return_indices"] >= {"return_indices"}
    assert pooling["max_pool1d_return_indices"] >= {"return_indices"}
    assert pooling["avg_pool2d_divisor_override"] == {"basic", "divisor_override"}
    assert "circular_crop" in features("04-padding")["pad_circular_crop"]
