"""A student's side: readable failed checks, `nbgrader validate`, and
`python -m autograder check NOTEBOOK`, through the real commands.

The student here writes conv_output_size without the +1 (the most common
mistake) and is otherwise right; another student's conv1d raises inside
check, from a helper of its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from autograder.checking import registry as reference
from autograder.checking.check import VALIDATE_WIDTH, CheckFailed, check
from autograder.offline import FOLDER
from grader_support import OFF_BY_ONE
from helpers import ROOT, submission

A1, NB1 = "02-output-size", "output-size.ipynb"
SIZE_MESSAGE = next(
    d.message
    for d in reference.DIAGNOSES["conv_output_size"]
    if d.key == "plus_one_missing"
)
RAISING_CONV1D = """
def _helper(x):
    raise IndexError("student helper broke")


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _helper(x)
"""
RIGHT = submission(A1, NB1)


def off_by_one_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    span = dilation * (kernel_size - 1) + 1
    return (input_size + 2 * padding - span) // stride


def words(text):
    return " ".join(text.split())


def write(tmp_path, name, replace=None):
    path = tmp_path / name
    nbformat.write(submission(A1, NB1, replace), path)
    return path


def run(*args, cwd, env=None):
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=600, env=environment
    )


# ---------------------------------------------------------------- keys


def test_every_diagnosis_has_its_own_key():
    """Has every known mistake of every op a key, unique within its op?"""
    for op, diagnoses in reference.DIAGNOSES.items():
        keys = [d.key for d in diagnoses]
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in keys), op
        assert len(set(keys)) == len(keys), op


def test_browser_answers_carry_the_same_keys():
    """Do the stored answers for the browser name each op's mistakes by the
    same keys, in the same order, as the PyTorch registry?"""
    for path in sorted(FOLDER.glob("*.json")):
        for op, info in json.loads(path.read_text())["ops"].items():
            stored = [d["key"] for d in info["diagnoses"]]
            assert stored == [d.key for d in reference.DIAGNOSES[op]], op


def test_failed_check_names_its_mistakes_by_key():
    """Does a failed check raise CheckFailed carrying the diagnosis's key, with
    the diagnosis before the expected and got values?"""
    with pytest.raises(CheckFailed) as info:
        check(off_by_one_size, "conv_output_size", 7, 3)
    assert info.value.mistake_keys == ("plus_one_missing",)
    message = str(info.value)
    assert message.index("likely mistake") < message.index("expected 5, got 4")


def test_under_validate_no_line_is_cut(monkeypatch):
    """Under nbgrader validate, does every line of a failure message fit the
    validator's width (90 - 3, with its 4-space indent and the exception's
    name), the diagnosis still whole?"""
    monkeypatch.setenv("NBGRADER_VALIDATING", "1")
    with pytest.raises(CheckFailed) as info:
        check(off_by_one_size, "conv_output_size", 7, 3, padding=1, dilation=2)
    lines = f"CheckFailed: {info.value}".split("\n")
    assert max(len(line) for line in lines) + 4 <= 87
    assert words(SIZE_MESSAGE) in words(str(info.value))
    assert VALIDATE_WIDTH + 4 + len("CheckFailed: ") <= 87


# ---------------------------------------------------------------- validate


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """`nbgrader validate` on a notebook with the off-by-one and a conv1d that
    raises from its own helper, run in the course folder (its config)."""
    folder = tmp_path_factory.mktemp("validate")
    path = write(
        folder, NB1, {"conv_output_size": OFF_BY_ONE, "conv1d": RAISING_CONV1D}
    )
    nbgrader = os.path.join(os.path.dirname(sys.executable), "nbgrader")
    proc = run(nbgrader, "validate", str(path), cwd=ROOT)
    return proc.stdout + proc.stderr


def test_validate_shows_the_diagnosis_whole(validated):
    """Does nbgrader validate show the diagnosis in full (not cut at the right
    edge), for every failed conv_output_size part?"""
    failures = validated.count("The following cell failed")
    assert failures >= 4
    assert "likely mistake" in validated
    assert words(SIZE_MESSAGE) in words(validated)
    assert not re.search(r"likely mistake: .*\.\.\.$", validated, re.M)


def test_validate_shows_no_autograder_frames(validated):
    """Is there no frame of the autograder's own code in the tracebacks, while
    the student's own helper that raised is still shown?"""
    assert "autograder/check.py" not in validated
    assert "autograder/guard.py" not in validated
    assert "student helper broke" in validated
    assert "_helper" in validated


def test_validate_first_failure_fits_a_screen(validated):
    """Does the first failed part's diagnosis come within the first 40 lines?"""
    lines = validated.split("\n")
    first = next(i for i, x in enumerate(lines) if "likely mistake" in x)
    assert first < 40, "\n".join(lines[:60])


# ---------------------------------------------------------------- check CLI


def test_check_command_one_line_per_part(tmp_path):
    """Does `python -m autograder check` print one entry per part, the failed
    ones with their diagnosis, and exit non-zero?"""
    path = write(tmp_path, "mine.ipynb", {"conv_output_size": OFF_BY_ONE})
    proc = run(sys.executable, "-m", "autograder", "check", path.name, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    ids = [
        c.metadata["nbgrader"]["grade_id"]
        for c in RIGHT.cells
        if c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    ]
    starts = [line for line in out.split("\n") if line[:4] in ("ok  ", "FAIL")]
    assert [line.split()[1] for line in starts] == ids
    failed = [line.split()[1] for line in starts if line.startswith("FAIL")]
    assert failed and all(gid.startswith("conv_output_size") for gid in failed)
    assert words(SIZE_MESSAGE) in words(out)


def test_check_command_passes_a_right_notebook(tmp_path):
    """Does the reference solution pass, with exit status 0?"""
    path = tmp_path / "right.ipynb"
    nbformat.write(RIGHT, path)
    proc = run(sys.executable, "-m", "autograder", "check", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout


def test_check_command_refuses_what_is_not_a_notebook(tmp_path):
    """Does a file that is not a notebook (invalid UTF-8 bytes) exit 2, with
    one line saying so?"""
    path = tmp_path / "broken.ipynb"
    path.write_bytes(b"\xff\xfe{not json")
    proc = run(sys.executable, "-m", "autograder", "check", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "cannot run" in proc.stderr and "Traceback" not in proc.stderr
