"""The student release: generated from solutions/, and equal to a fresh release."""

import json
import shutil

import pytest

from autograder.manifest import ASSIGNMENTS as COURSE
from conftest import run
from helpers import EXERCISES, ROOT, SOLUTIONS

ASSIGNMENTS = [a.name for a in COURSE]


def _comparable(path):
    """A notebook's JSON with the fields that vary between runs left out."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell.pop("id", None)
        cell.get("metadata", {}).pop("execution", None)
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_match_a_fresh_release(assignment, tmp_path):
    """Does the committed exercises/ equal what generate_assignment makes now?"""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(SOLUTIONS / assignment, tmp_path / "solutions" / assignment)
    proc = run(
        ["nbgrader", "generate_assignment", assignment, "--force"],
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh = tmp_path / "exercises" / assignment
    committed = EXERCISES / assignment
    fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(
        p.relative_to(committed) for p in committed.rglob("*") if p.is_file()
    )
    assert committed_files == fresh_files
    for rel in fresh_files:
        if rel.suffix == ".ipynb":
            assert _comparable(committed / rel) == _comparable(fresh / rel), rel
        else:
            assert (committed / rel).read_bytes() == (fresh / rel).read_bytes(), rel


def test_every_assignment_is_released():
    """Has every assignment of the course's map, and no other, a source in
    solutions/ and a released version in exercises/?"""
    sources = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
    released = sorted(p.name for p in EXERCISES.iterdir() if p.is_dir())
    assert sources == released == sorted(ASSIGNMENTS)
