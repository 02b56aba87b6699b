"""Drive the real nbgrader CLI on a temporary copy of the course.

course = NbgraderCourse(tmp_path)                       # copies config + solutions
course.submit("alice", "02-output-size", nb)    # nbformat notebook
result = course.autograde("02-output-size")
result.scores["alice"]          # {grade_id: (score, max_score)}
result.feedback("alice", "output-size.ipynb")   # the feedback HTML, as text
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from conftest import run
from helpers import EXERCISES, ROOT, submission


@dataclass
class Result:
    root: Path
    assignment: str
    scores: dict

    def total(self, student):
        return sum(score for score, _ in self.scores[student].values())

    def max_total(self, student):
        return sum(top for _, top in self.scores[student].values())

    def feedback(self, student, notebook):
        name = Path(notebook).with_suffix(".html").name
        path = self.root / "feedback" / student / self.assignment / name
        return path.read_text(encoding="utf-8")


class NbgraderCourse:
    """A throwaway nbgrader course made from this repository's sources."""

    def __init__(self, root: Path):
        self.root = Path(root)
        shutil.copy(ROOT / "nbgrader_config.py", self.root)
        shutil.copytree(ROOT / "solutions", self.root / "solutions")

    def nbgrader(self, *args):
        proc = run(["nbgrader", *args], cwd=self.root, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        return proc

    def release(self, assignment):
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.root / "exercises" / assignment

    def submit(self, student, assignment, notebook_name, nb):
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / notebook_name)

    def add_student(self, student):
        self.nbgrader("db", "student", "add", student)

    def autograde(self, assignment, feedback=True):
        """Release, autograde every submission, and (optionally) make feedback."""
        if not (self.root / "exercises" / assignment).exists():
            self.release(assignment)
        self.nbgrader("autograde", assignment, "--force")
        if feedback:
            self.nbgrader("generate_feedback", assignment, "--force")
        return Result(self.root, assignment, self._scores(assignment))

    def _scores(self, assignment):
        scores = {}
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            for sub in gb.assignment_submissions(assignment):
                per_cell = {}
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        per_cell[grade.name] = (grade.score, grade.max_score)
                scores[sub.student.id] = per_cell
        return scores

    def export(self):
        """The rows of `nbgrader export`'s CSV."""
        self.nbgrader("export", "--to", "grades.csv")
        with open(self.root / "grades.csv", newline="") as f:
            return list(csv.DictReader(f))


def grade_class(base, assignment, notebook, students=None):
    """A class graded by the real nbgrader CLI in a new course under `base`.

    "alice" submits the reference solution and "bob" the untouched exercise;
    each of `students` (name -> {grade_id: source}) submits the solution with
    those cells replaced. Returns (course, result of ``nbgrader autograde``).
    """
    course = NbgraderCourse(base)
    course.release(assignment)
    course.submit("alice", assignment, notebook, submission(assignment, notebook))
    exercise = nbformat.read(EXERCISES / assignment / notebook, as_version=4)
    course.submit("bob", assignment, notebook, exercise)
    for student, cells in (students or {}).items():
        answer = submission(assignment, notebook, cells)
        course.submit(student, assignment, notebook, answer)
    return course, course.autograde(assignment)
