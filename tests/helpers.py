"""Build student submissions from the course's own notebooks."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.MULTILINE)


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solution_sources(source_nb):
    """{grade_id: code} for every solution cell, with the markers removed."""
    return {
        grade_id(c): _MARKERS.sub("", c.source)
        for c in source_nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def load_solutions(assignment, notebook):
    """Namespace holding the reference solution's functions for one notebook."""
    nb = nbformat.read(SOLUTIONS / assignment / notebook, as_version=4)
    namespace = {}
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not nbg.get("grade"):
            exec(_MARKERS.sub("", cell.source), namespace)
    return namespace


def submission(assignment, notebook, replace=None):
    """The released notebook with its solution cells filled in.

    `replace` maps grade_ids to code that stands in for the reference solution
    (a student's own, possibly wrong, answer).
    """
    source = nbformat.read(SOLUTIONS / assignment / notebook, as_version=4)
    answers = {**solution_sources(source), **(replace or {})}
    nb = nbformat.read(EXERCISES / assignment / notebook, as_version=4)
    for cell in nb.cells:
        if grade_id(cell) in answers and cell.metadata["nbgrader"].get("solution"):
            cell.source = answers[grade_id(cell)]
    return nb


def edited(source, *changes):
    """`source` with each (old, new) replacement made: a student's mistake.

    Each old text must occur exactly once, so that a change to the reference
    solution cannot silently leave the mistake out.
    """
    for old, new in changes:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def lost(result, student):
    """The graded cells where a student scored less than the maximum."""
    return {k for k, (got, top) in result.scores[student].items() if got < top}
