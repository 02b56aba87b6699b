"""Build student submissions from the course's own notebooks."""

from __future__ import annotations

import ast
import html
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


_FEATURE = re.compile(r'^feature (\w+): "(.+)"$')


def cell_docstring(cell):
    """(summary, {feature: quoted task text}, other lines) of a graded test cell.

    The docstring that opens a graded test cell is its one-line summary, then
    one line per feature that the cell exercises, of the form
    ``feature <name>: "<text quoted verbatim from the task>"``.
    """
    doc = ast.get_docstring(ast.parse(cell.source)) or ""
    summary, *rest = doc.splitlines() or [""]
    features, other = {}, []
    for line in rest:
        match = _FEATURE.match(line.strip())
        if match:
            features[match[1]] = match[2]
        elif line.strip():
            other.append(line)
    return summary, features, other


def cell_features(assignment, notebook):
    """{grade_id: set of feature names} of a solution notebook's graded cells."""
    nb = nbformat.read(SOLUTIONS / assignment / notebook, as_version=4)
    return {
        grade_id(c): set(cell_docstring(c)[1])
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def losing_cells(features, broken):
    """The cells that a mistake breaking the features `broken` must cost.

    A cell loses points when it exercises a broken feature; a mistake in the
    basic case (a flipped kernel, a missing +1) breaks every cell that checks
    a value, that is every cell but those that only check refusals.
    """
    return {
        gid
        for gid, names in features.items()
        if names & set(broken) or ("basic" in broken and names != {"invalid_args"})
    }


def part_features(features, prefix):
    """The cells (and their features) of one part: grade_ids starting with prefix."""
    return {gid: names for gid, names in features.items() if gid.startswith(prefix)}


def feedback_text(result, student, notebook):
    """A feedback page as the student reads it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", result.feedback(student, notebook)))
