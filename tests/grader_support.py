"""Build throwaway courses and submissions for the grading command's tests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from autograder.engine.batch import grade
from autograder.engine.course import CourseFolder
from autograder.engine.runner import OUT_OF_BUDGET, PART_TIMEOUT
from autograder.engine.sandbox.process import Limits
from helpers import EXERCISES, ROOT, grade_id, submission

A1, NB1 = "02-output-size", "output-size.ipynb"


def conv_output_size_source(first_lines="", before="", plus_one=True):
    """A student's conv_output_size: the reference, with `first_lines` (indented
    code) run first and `before` (module code) above it, or without the +1."""
    plus, least = (" + 1", 1) if plus_one else ("", 0)
    return f"""
{before}def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
{first_lines}    if padding == "valid":
        padding = 0
    if padding == "same":
        if stride != 1:
            raise ValueError("'same' needs stride 1")
        return input_size
    out = (input_size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride{plus}
    if out < {least}:
        raise ValueError("kernel does not fit")
    return out
"""


# conv_output_size without the +1: a student's most common mistake.
OFF_BY_ONE = conv_output_size_source(plus_one=False)

# Tight limits keep the adversarial cases quick; the correct solution of
# 02-output-size needs well under a second of CPU per part.
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
    return grade(
        CourseFolder(root), assignment, limits=limits, progress=False, **kwargs
    )


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
    with CourseFolder(root).gradebook() as gb:
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


def course_folder(tmp_path):
    """A CourseFolder for a fresh course made under `tmp_path`."""
    return CourseFolder(make_course(tmp_path / "course"))


def make_zip(path, files):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


# ----------------------------------------------------------------- slow students

# The reference conv_output_size, but it loops forever in the stride part.
SLOW = conv_output_size_source(
    "    while stride == 5:  # only the stride part's hidden tests use 5\n"
    "        pass\n"
)


# ----------------------------------------------------------------- budgets

BUDGET = Limits(
    part_cpu=2,
    part_wall=2,
    notebook_cpu=120,
    notebook_wall=600,
    submission_time=8,
    memory_mb=1024,
)


def sleepy_conv1d():
    """The reference conv1d, but each call sleeps first: a student's leftover."""
    code = solution_code("conv1d")
    first = "    x, weight = np.asarray(x), np.asarray(weight)\n"
    assert code.count(first) == 1
    return code.replace(first, "    import time\n    time.sleep(1.5)\n" + first)


def sleepy_class(root):
    """alice is right; sleepy's conv1d sleeps 1.5 s per call."""
    put(root, "alice", submission(A1, NB1))
    put(root, "sleepy", submission(A1, NB1, {"conv1d": sleepy_conv1d()}))


def check_sleepy(summary, root):
    """What a batch with the sleepy student must say and record."""
    text = summary.text()
    assert summary.ok, text
    assert "per submission 8 s of CPU and waiting time" in text
    got = scores(root)
    assert total(got["alice"]) == 10
    assert total(got["sleepy"], "conv_output_size") == 4  # before the budget ran out
    assert total(got["sleepy"], "conv1d") == 0
    stopped = {o.student: o.stopped for o in summary.outcomes}
    assert stopped["alice"] == {}
    assert stopped["sleepy"]["conv1d_basic"] == PART_TIMEOUT
    assert stopped["sleepy"]["conv1d_forms"] == OUT_OF_BUDGET  # the last part
    assert set(stopped["sleepy"]) == {g for g in got["sleepy"] if "conv1d" in g}
    unfinished = text.split("not finished within the submission's time budget:")[1]
    unfinished, timed_out = unfinished.split("stopped at the part's time limit:")
    for gid, key in stopped["sleepy"].items():
        section = timed_out if key == PART_TIMEOUT else unfinished
        assert gid in section and "sleepy: " in section
    assert "alice" not in unfinished + timed_out
    nb = autograded(root, "sleepy")
    assert "waited (sleeping or blocked) for more than 2 s" in outputs_text(
        nb, "conv1d_basic"
    )
    assert "the submission's time budget (8 s" in outputs_text(nb, "conv1d_forms")
