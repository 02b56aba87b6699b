"""Build throwaway courses and submissions for the grading command's tests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder.engine.batch import grade
from autograder.engine.course import Course
from autograder.engine.sandbox.process import Limits
from helpers import EXERCISES, ROOT, grade_id, submission

A1, NB1 = "01-output-size", "output-size.ipynb"

# conv_output_size without the +1: a student's most common mistake.
OFF_BY_ONE = """
def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    if padding == "valid":
        padding = 0
    if padding == "same":
        if stride != 1:
            raise ValueError("'same' needs stride 1")
        return input_size
    out = (input_size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride
    if out < 0:
        raise ValueError("kernel does not fit")
    return out
"""

# Tight limits keep the adversarial cases quick; the correct solution of
# 01-output-size needs well under a second of CPU per part.
TEST_LIMITS = Limits(
    part_cpu=3, part_wall=8, notebook_cpu=120, notebook_wall=600, memory_mb=1024
)

RIGHT_CONV1D = None  # filled lazily from the solution notebook


def make_course(root, assignments=(A1,)):
    """A course folder with the repository's config and some assignments."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for a in assignments:
        shutil.copytree(ROOT / "solutions" / a, root / "solutions" / a)
    return root


def folder(root, student, assignment=A1):
    path = Path(root) / "submitted" / student / assignment
    path.mkdir(parents=True, exist_ok=True)
    return path


def put(root, student, nb, assignment=A1, name=NB1):
    """Submit a notebook (nbformat object, or raw text/bytes) for a student."""
    path = folder(root, student, assignment) / name
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    elif isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    return path


def exercise(assignment=A1, name=NB1):
    return nbformat.read(EXERCISES / assignment / name, as_version=4)


def with_cell(nb, code, after=None):
    """A copy of nb with an extra (unlabelled) code cell after grade_id `after`."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    cell = nbformat.v4.new_code_cell(code)
    index = 0
    for i, c in enumerate(nb.cells):
        if grade_id(c) == after:
            index = i + 1
    nb.cells.insert(index, cell)
    return nb


def solution_code(grade, assignment=A1, name=NB1):
    """The solution cell's code (markers removed) for a grade_id."""
    from helpers import solution_sources

    src = nbformat.read(ROOT / "solutions" / assignment / name, as_version=4)
    return solution_sources(src)[grade]


def run_batch(root, assignment=A1, limits=TEST_LIMITS, **kwargs):
    """Grade in-process (workers are child processes); the Summary."""
    return grade(Course(root), assignment, limits=limits, progress=False, **kwargs)


def cli(root, *args, timeout=900, env=None):
    """Run `python -m autograder ...` in a course folder."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def scores(root, assignment=A1):
    """{student: {grade_id: score}} from the course's gradebook."""
    out = {}
    with Course(root).gradebook() as gb:
        for sub in gb.assignment_submissions(assignment):
            out[sub.student.id] = {
                g.name: g.score for nb in sub.notebooks for g in nb.grades
            }
    return out


def total(per_cell, prefix=""):
    return sum(v for k, v in per_cell.items() if k.startswith(prefix))


def autograded(root, student, assignment=A1, name=NB1):
    path = Path(root) / "autograded" / student / assignment / name
    return nbformat.read(path, as_version=4)


def outputs_text(nb, gid=None):
    """All output text of the cells (of one grade_id) of a notebook."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code" or (gid and grade_id(cell) != gid):
            continue
        for out in cell.get("outputs", []):
            parts += [out.get("text", ""), out.get("evalue", "")]
            parts += out.get("traceback", [])
    return "\n".join(parts)


def tree_digest(path):
    """sha256 over every file under path (names and bytes)."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath) / name
            digest.update(str(p.relative_to(path)).encode())
            digest.update(p.read_bytes() if not p.is_symlink() else b"->link")
    return digest.hexdigest()


def log_lines(root):
    path = Path(root) / "autograded" / ".grader" / "log.jsonl"
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


__all__ = ["submission", "grade_id"]
