"""Does every correct solution get full marks, whatever its style?

tests/fairness/<assignment>/<style>.py holds correct solutions written
independently of the reference solutions, in deliberately different styles
(loops, FFT, as_strided, sliding_window_view, np.add.at, NumPy-integer and 0-d
results, lists for tuples, ...). Each file is split into sections by lines
`# %% <grade_id>`, one per solution cell of the released notebook.

Two checks per assignment:

1. the corpus itself is right: each solution agrees with PyTorch on a few
   random calls (torch called directly here, not through the grader);
2. the class of all styles, submitted as nbgrader submissions and graded by
   the real `python -m autograder grade`, gets full marks, student by student.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from fairness_cases import CASES, agree
from grader_support import autograded, cli, make_course, put, scores
from helpers import EXERCISES

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "fairness"
ASSIGNMENTS = sorted(p.name for p in EXERCISES.iterdir() if p.is_dir())
SECTION = re.compile(r"^# %% (\S+)[ \t]*$", re.MULTILINE)


def styles(assignment):
    return sorted(p.stem for p in (CORPUS / assignment).glob("*.py"))


def sections(path):
    """{grade_id: source} of a corpus file."""
    text = path.read_text(encoding="utf-8")
    parts = SECTION.split(text)
    assert not parts[0].strip(), f"{path}: code before the first section"
    return {gid: body.strip("\n") + "\n" for gid, body in zip(parts[1::2], parts[2::2])}


def exercise_notebook(assignment):
    (path,) = sorted((EXERCISES / assignment).glob("*.ipynb"))
    return path


def solution_ids(nb):
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    ]


def student_notebook(assignment, style):
    """The released notebook with each solution cell replaced by its section."""
    nb = nbformat.read(exercise_notebook(assignment), as_version=4)
    answer = sections(CORPUS / assignment / f"{style}.py")
    ids = solution_ids(nb)
    assert sorted(answer) == sorted(ids), (style, sorted(answer), ids)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answer[gid]
    return nb


def namespace(assignment, style):
    """The corpus solution's functions, defined as the notebook would."""
    ns = {"np": np, "__name__": f"fairness_{style}"}
    nb = nbformat.read(exercise_notebook(assignment), as_version=4)
    answer = sections(CORPUS / assignment / f"{style}.py")
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            exec(compile(answer[meta["grade_id"]], f"{style}.py", "exec"), ns)
    return ns


def test_every_assignment_has_four_styles():
    """Does the corpus hold at least four styles for every assignment?"""
    for assignment in ASSIGNMENTS:
        assert len(styles(assignment)) >= 4, assignment
        assert assignment in CASES, assignment


CORPUS_FILES = [(a, s) for a in ASSIGNMENTS for s in styles(a)]


@pytest.mark.parametrize(("assignment", "style"), CORPUS_FILES)
def test_corpus_sections_are_the_solution_cells(assignment, style):
    """Does each corpus file have one section per solution cell of the notebook?"""
    nb = nbformat.read(exercise_notebook(assignment), as_version=4)
    answer = sections(CORPUS / assignment / f"{style}.py")
    assert sorted(answer) == sorted(solution_ids(nb))


@pytest.mark.parametrize(("assignment", "style"), CORPUS_FILES)
def test_corpus_solution_agrees_with_pytorch(assignment, style):
    """Is each corpus solution right, checked against PyTorch directly?"""
    ns = namespace(assignment, style)
    failures = []
    for name, reference, args, kwargs in CASES[assignment](np.random.default_rng(0)):
        problem = agree(ns[name], reference, args, kwargs)
        if problem:
            failures.append(f"{name}{_show(args, kwargs)}: {problem}")
    assert not failures, "\n".join(failures)


def _show(args, kwargs):
    def one(v):
        return f"array{v.shape}:{v.dtype}" if isinstance(v, np.ndarray) else repr(v)

    shown = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(shown) + ")"


def lost_cells(root, assignment, notebook, student, per_cell):
    """[(grade_id, score, max, message)] of the cells that lost points."""
    nb = autograded(root, student, assignment, notebook)
    top = {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"].get("points", 0)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    lost = []
    for gid, score in sorted(per_cell.items()):
        if score is not None and score < top.get(gid, 0):
            lost.append((gid, score, top[gid], _message(nb, gid)))
    return lost


def _message(nb, gid):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") != gid:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
            if out.get("name") == "stderr":
                return out.get("text", "")
    return "(no message)"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_corpus_style_gets_full_marks(tmp_path, assignment):
    """Does every correct style get full marks from `python -m autograder grade`?"""
    root = make_course(tmp_path / "course", assignments=(assignment,))
    notebook = exercise_notebook(assignment).name
    class_ = styles(assignment)
    for style in class_:
        put(root, style, student_notebook(assignment, style), assignment, notebook)
    proc = cli(root, "grade", assignment, "--quiet", "--jobs", "2")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    graded = scores(root, assignment)
    assert sorted(graded) == class_
    report = {}
    for style in class_:
        lost = lost_cells(root, assignment, notebook, style, graded[style])
        if lost:
            report[style] = lost
    assert not report, json.dumps(report, indent=1)
