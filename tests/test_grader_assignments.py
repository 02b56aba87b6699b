"""Every assignment through the grading command's runner (the sandbox included).

For each assignment in solutions/: does its solution, submitted as a student,
get full marks, and its untouched exercise zero, with every test cell run?
"""

import pytest
import torch

from autograder.engine.notebook import SourceNotebook
from autograder.engine.runner import CompiledNotebook, grade_notebook
from autograder.engine.sandbox.process import Environment, Limits, detect_isolation
from grader_support import exercise, put
from helpers import ROOT, submission

NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb"))


@pytest.fixture(scope="module")
def env():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the grading workers
    limits = Limits(part_cpu=30, part_wall=60)
    environment = Environment(detect_isolation(ROOT), limits, ROOT)
    yield environment
    environment.close()
    torch.set_num_threads(threads)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.parent.name for p in NOTEBOOKS])
def test_solution_full_marks_exercise_zero(env, path, tmp_path):
    """Does the solution get full marks and the exercise zero, part by part?"""
    assignment, name = path.parent.name, path.name
    course = CompiledNotebook.prepare(SourceNotebook.load(path))
    for who, nb, expect_full in [
        ("solution", submission(assignment, name), True),
        ("exercise", exercise(assignment, name), False),
    ]:
        sub = put(tmp_path, who, nb, assignment, name)
        result, graded = grade_notebook(
            course, sub, env, env.limits, [(name, sub.read_bytes())]
        )
        assert result.status == "graded" and not result.warnings
        assert set(result.grades) == {t.grade_id for t in course.tests}
        for gid, g in result.grades.items():
            want = g["max"] if expect_full else 0
            assert g["score"] == want, (who, gid, g["message"])
