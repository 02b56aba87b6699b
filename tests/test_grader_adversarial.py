"""The grading command against a class of faulty and adversarial submissions.

One batch (module fixture) grades every submission below against the real
assignment 02-output-size, with tight limits; each test then asks about one
student. Scores are read from nbgrader's gradebook, messages from the
autograded notebooks that feedback is made from.
"""

import json
import os

import nbformat
import pytest

from grader_support import (
    A1,
    NB1,
    autograded,
    exercise,
    folder,
    make_course,
    outputs_text,
    put,
    run_batch,
    scores,
    solution_code,
    submission,
    total,
    with_cell,
)
from helpers import grade_id

WRONG_CONV1D = """
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return np.zeros((1, 1, 1))
"""

TORCH_CONV1D = """
import torch
import torch.nn.functional as F

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    t = lambda a: None if a is None else torch.from_numpy(a)
    y = F.conv1d(t(x), t(weight), t(bias), stride, padding, dilation, groups)
    return y.numpy()
"""

SCIPY_CONV1D = """
from scipy.signal import correlate

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    n, c, length = x.shape
    return np.stack([[sum(correlate(x[i, k], w[k], mode="valid") for k in range(c))
                      for w in weight] for i in range(n)])
"""

NP_CONVOLVE_CONV1D = """
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    n, c, length = x.shape
    return np.stack([[sum(np.convolve(x[i, k], w[k][::-1], mode="valid")
                          for k in range(c)) for w in weight] for i in range(n)])
"""

PATCH_NUMPY = """
import numpy as np
import numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
"""

PATCH_AUTOGRADER = """
import autograder
from autograder.checking import check, compare, reference
autograder.check = check.check = lambda *a, **k: None
compare.mismatch = lambda *a, **k: None
reference.REFERENCES["conv1d"] = lambda *a, **k: np.zeros((1, 1, 1))
import builtins
builtins.AssertionError = type("Nothing", (Exception,), {})
"""

IPYTHON_HOOKS = """
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
ip.events.register("pre_run_cell", lambda *a: None)
ip.set_custom_exc((Exception,), lambda *a, **k: None)
"""

FAKE_NUMPY = """
from numpy_real import *  # noqa: never found; the fake must not load at all
def allclose(*a, **k):
    return True
"""

INFINITE_LOOP = """
def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    while True:
        pass
"""

SLEEPER = """
import time

def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    time.sleep(10**6)
"""

MEMORY_HOG = """
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    hog = np.ones(10 * 2**30 // 8)  # 10 GB
    return hog[:1]
"""

EXITS = """
import os

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    os._exit(1)
"""

KILL_PARENT = """
import os, signal
attempts = []
for how in (lambda: os.kill(os.getppid(), signal.SIGKILL),
            lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
            lambda: os.kill(-1, signal.SIGKILL)):
    try:
        how()
        attempts.append("done")
    except Exception as err:
        attempts.append(type(err).__name__)
print("kill attempts:", attempts)
"""

BIG_PRINT = """
_right_conv1d = conv1d
_printed = []

def conv1d(*args, **kwargs):
    if not _printed:  # 50 MB, once
        print("x" * 50_000_000)
        _printed.append(True)
    return _right_conv1d(*args, **kwargs)
"""

SYNTAX_ERROR = """
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)
    return x
"""

SETUP_CRASH = """
import os
os._exit(0)
"""


def vandal(paths):
    """A cell that tries to overwrite the gradebook and another student's files."""
    return f"""
import os
results = {{}}
for path in {paths!r}:
    try:
        with open(path, "w") as f:
            f.write("garbage")
        results[path] = "written"
    except Exception as err:
        results[path] = type(err).__name__
    try:
        os.remove(path)
        results[path] += ", removed"
    except Exception as err:
        results[path] += ", " + type(err).__name__
print(results)
"""


def renamed_ids():
    nb = submission(A1, NB1)
    for cell in nb.cells:
        if grade_id(cell) in ("conv1d", "conv_output_size"):
            cell.metadata.nbgrader["grade_id"] = "my_" + grade_id(cell)
    return nb


def duplicated():
    """conv1d twice: a wrong copy, then the right one (a notebook runs both)."""
    nb = submission(A1, NB1, {"conv1d": WRONG_CONV1D})
    i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "conv1d")
    copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[i])))
    copy.source = solution_code("conv1d")
    copy["id"] = "conv1d-second-copy"
    nb.cells.insert(i + 1, copy)
    return nb


def changed_metadata():
    """Points raised, a test turned into a solution cell, a solution locked."""
    nb = submission(A1, NB1, {"conv1d": WRONG_CONV1D})
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
        if grade_id(cell) == "conv1d_basic":
            meta.update(grade=False, solution=True, locked=False)
            cell.source = "pass"
        if grade_id(cell) == "conv_output_size":
            meta.update(locked=True, solution=False)
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "evil"}
    return nb


def edited_tests():
    """Wrong conv1d; every test cell replaced by `pass`, one deleted."""
    nb = submission(A1, NB1, {"conv1d": WRONG_CONV1D})
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass"
    nb.cells = [c for c in nb.cells if grade_id(c) != "conv1d_forms"]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("adversarial"))
    gradebook = root / "gradebook.db"
    victim = root / "submitted" / "bob" / A1 / NB1
    victim_graded = root / "autograded" / "bob" / A1 / NB1
    right = submission(A1, NB1)
    cases = {
        "alice": right,
        "bob": exercise(),
        "patch_numpy": with_cell(
            submission(A1, NB1, {"conv1d": WRONG_CONV1D}), PATCH_NUMPY, "imports"
        ),
        "patch_autograder": with_cell(
            submission(A1, NB1, {"conv1d": WRONG_CONV1D}), PATCH_AUTOGRADER, "imports"
        ),
        "ipython_hooks": with_cell(
            submission(A1, NB1, {"conv1d": WRONG_CONV1D}), IPYTHON_HOOKS, "imports"
        ),
        "edited_tests": edited_tests(),
        "fake_numpy_folder": with_cell(
            submission(A1, NB1, {"conv1d": WRONG_CONV1D}),
            "import sys\nsys.path.insert(0, '.')\nimport numpy, torch",
            "imports",
        ),
        "calls_torch": submission(A1, NB1, {"conv1d": TORCH_CONV1D}),
        "calls_scipy": submission(A1, NB1, {"conv1d": SCIPY_CONV1D}),
        "calls_np_convolve": submission(A1, NB1, {"conv1d": NP_CONVOLVE_CONV1D}),
        "infinite_loop": submission(A1, NB1, {"conv_output_size": INFINITE_LOOP}),
        "sleeper": submission(A1, NB1, {"conv_output_size": SLEEPER}),
        "memory_hog": submission(A1, NB1, {"conv1d": MEMORY_HOG}),
        "exits": submission(A1, NB1, {"conv1d": EXITS}),
        "kills_parent": with_cell(right, KILL_PARENT, "imports"),
        "prints_50mb": with_cell(right, BIG_PRINT, "conv1d"),
        "vandal": with_cell(
            right, vandal([str(gradebook), str(victim), str(victim_graded)]), "imports"
        ),
        "syntax_error": submission(A1, NB1, {"conv1d": SYNTAX_ERROR}),
        "setup_crash": with_cell(right, SETUP_CRASH, "conv_output_size"),
        "renamed_ids": renamed_ids(),
        "duplicated": duplicated(),
        "changed_metadata": changed_metadata(),
        "José Ñúñez": right,
        "李雷": right,
    }
    for student, nb in cases.items():
        put(root, student, nb)
    for name in ("numpy", "torch"):  # shadowing packages beside the notebook
        pkg = folder(root, "fake_numpy_folder") / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text(FAKE_NUMPY)
    put(root, "bad_json", '{"cells": [')
    put(root, "not_a_notebook", b"\x89PNG\r\n\x1a\n binary")
    folder(root, "missing_notebook")
    (folder(root, "missing_notebook") / "notes.txt").write_text("forgot it")
    put(root, "wrong_name", right, name="Output Size.ipynb")
    os.symlink(root / "solutions" / A1 / NB1, folder(root, "symlinked") / NB1)
    victim_bytes = victim.read_bytes()
    summary = run_batch(root)
    return root, summary, scores(root), victim_bytes


def outcome(summary, student):
    return next(o for o in summary.outcomes if o.student == student)


def test_solution_full_marks_and_exercise_zero(graded):
    """Do the reference solution and the untouched exercise get 10 and 0?"""
    _, _, got, _ = graded
    assert total(got["alice"]) == 10
    assert total(got["bob"]) == 0


def test_replacing_numpy_comparisons_does_not_help(graded):
    """Does a wrong conv1d still score 0 after replacing np.allclose & co?"""
    _, _, got, _ = graded
    assert total(got["patch_numpy"], "conv1d") == 0
    assert total(got["patch_numpy"], "conv_output_size") == 4


def test_replacing_autograder_functions_does_not_help(graded):
    """Does replacing check, the comparison or the reference leave conv1d at 0?"""
    _, _, got, _ = graded
    assert total(got["patch_autograder"], "conv1d") == 0
    assert total(got["patch_autograder"], "conv_output_size") == 4


def test_ipython_input_transformers_do_not_help(graded):
    """Do IPython input transformers and hooks leave a wrong conv1d at 0?"""
    _, _, got, _ = graded
    assert total(got["ipython_hooks"], "conv1d") == 0


def test_edited_or_deleted_test_cells_run_anyway(graded):
    """Are edited and deleted test cells run from the course's notebook?"""
    root, summary, got, _ = graded
    assert total(got["edited_tests"], "conv1d") == 0
    assert total(got["edited_tests"], "conv_output_size") == 4
    warnings = " ".join(outcome(summary, "edited_tests").warnings)
    assert "'conv1d_forms' was deleted" in warnings
    assert "'conv1d_basic' was edited" in warnings


def test_numpy_or_torch_folder_beside_the_notebook_is_ignored(graded):
    """Does a numpy/ or torch/ package in the submission shadow nothing?"""
    _, _, got, _ = graded
    assert total(got["fake_numpy_folder"], "conv1d") == 0
    assert total(got["fake_numpy_folder"], "conv_output_size") == 4


@pytest.mark.parametrize(
    "student, library",
    [
        ("calls_torch", "uses torch"),
        ("calls_scipy", "uses scipy"),
        ("calls_np_convolve", "uses numpy.convolve"),
    ],
)
def test_library_convolution_scores_zero_with_reason(graded, student, library):
    """Does calling torch, scipy or np.convolve score zero, saying why?"""
    root, _, got, _ = graded
    assert total(got[student], "conv1d") == 0
    assert total(got[student], "conv_output_size") == 4
    text = outputs_text(autograded(root, student), "conv1d_basic")
    assert library in text and "so this part scores zero" in text


def test_infinite_loop_costs_its_parts_only(graded):
    """Does an infinite loop cost only the parts that call it, with a clear message?"""
    root, _, got, _ = graded
    assert total(got["infinite_loop"], "conv_output_size") == 0
    assert total(got["infinite_loop"], "conv1d") == 6
    text = outputs_text(autograded(root, "infinite_loop"), "conv_output_size_stride")
    # On a quiet machine the CPU limit stops the loop; on one whose cores are all
    # busy the child may not get its CPU seconds before the wall-clock backstop.
    assert "CPU time limit" in text or "did not finish in time" in text


def test_sleeping_function_is_stopped(graded):
    """Is a function that sleeps forever stopped by the wall-clock limit?"""
    root, _, got, _ = graded
    assert total(got["sleeper"], "conv_output_size") == 0
    assert total(got["sleeper"], "conv1d") == 6
    text = outputs_text(autograded(root, "sleeper"), "conv_output_size_padding")
    assert "did not finish in time" in text


def test_ten_gigabyte_allocation_fails_its_part(graded):
    """Does a 10 GB allocation fail only conv1d's parts, naming the memory limit?"""
    root, _, got, _ = graded
    assert total(got["memory_hog"], "conv1d") == 0
    assert total(got["memory_hog"], "conv_output_size") == 4
    text = outputs_text(autograded(root, "memory_hog"), "conv1d_basic")
    assert "MemoryError" in text and "memory limit" in text


def test_os_exit_costs_its_parts_only(graded):
    """Does os._exit in a function cost only its parts, saying the process ended?"""
    root, _, got, _ = graded
    assert total(got["exits"], "conv1d") == 0
    assert total(got["exits"], "conv_output_size") == 4
    text = outputs_text(autograded(root, "exits"), "conv1d_groups")
    assert "process ended" in text and "exited with status 1" in text


def test_killing_the_grader_fails(graded):
    """Do attempts to kill the grading process fail, with the batch intact?"""
    root, summary, got, _ = graded
    assert total(got["kills_parent"]) == 10
    out = "".join(
        o.get("text", "")
        for c in autograded(root, "kills_parent").cells
        for o in c.get("outputs", [])
    )
    assert "kill attempts:" in out and "done" not in out
    assert len(summary.outcomes) == len(got)
    assert summary.count("error") == 0


def test_fifty_megabyte_print_is_capped(graded):
    """Does a 50 MB print leave the score alone and the notebook small?"""
    root, _, got, _ = graded
    assert total(got["prints_50mb"]) == 10
    path = root / "autograded" / "prints_50mb" / A1 / NB1
    assert path.stat().st_size < 1_000_000
    # it printed in test cells with hidden tests: feedback says it is hidden
    assert "output from hidden tests is hidden" in outputs_text(
        autograded(root, "prints_50mb")
    )


def test_writing_the_gradebook_or_another_students_files_fails(graded):
    """Can a submission write the gradebook or another student's files? (No.)"""
    root, _, got, victim_bytes = graded
    assert total(got["vandal"]) == 10
    text = outputs_text(autograded(root, "vandal"))
    assert "written" not in text and "removed" not in text
    assert (root / "submitted" / "bob" / A1 / NB1).read_bytes() == victim_bytes
    assert total(got["bob"]) == 0 and total(got["alice"]) == 10
    assert autograded(root, "bob").cells  # bob's graded notebook still reads


def test_syntax_error_costs_its_parts(graded):
    """Does a syntax error in conv1d's cell cost conv1d's parts only?"""
    root, _, got, _ = graded
    assert total(got["syntax_error"], "conv1d") == 0
    assert total(got["syntax_error"], "conv_output_size") == 4
    text = outputs_text(autograded(root, "syntax_error"), "conv1d_basic")
    assert "SyntaxError" in text


def test_cell_that_kills_the_process_during_setup_is_skipped(graded):
    """Is a cell that ends the process skipped, the rest of the notebook graded?"""
    _, _, got, _ = graded
    assert total(got["setup_crash"]) == 10


def test_renamed_solution_cells_still_run(graded):
    """Do renamed solution cells still run (as the student's own), with a warning?"""
    _, summary, got, _ = graded
    assert total(got["renamed_ids"]) == 10
    warnings = " ".join(outcome(summary, "renamed_ids").warnings)
    assert "solution cell 'conv1d' is missing" in warnings


def test_duplicated_cells_run_in_order(graded):
    """Does a duplicated solution cell run both copies in order, with a warning?"""
    _, summary, got, _ = graded
    assert total(got["duplicated"]) == 10
    assert "appears 2 times" in " ".join(outcome(summary, "duplicated").warnings)


def test_changed_metadata_is_ignored(graded):
    """Do changed points, flags and kernelspec leave the course's rules in force?"""
    root, summary, got, _ = graded
    assert total(got["changed_metadata"], "conv_output_size") == 4
    assert total(got["changed_metadata"], "conv1d") == 0
    assert set(got["changed_metadata"]) == set(got["alice"])
    assert "metadata" in " ".join(outcome(summary, "changed_metadata").warnings)


@pytest.mark.parametrize(
    "student, reason",
    [
        ("bad_json", "invalid JSON"),
        ("not_a_notebook", "not a notebook"),
        ("missing_notebook", "missing notebook output-size.ipynb"),
        ("wrong_name", "(found: Output Size.ipynb)"),
        ("symlinked", "not a regular file"),
    ],
)
def test_malformed_submissions_are_reported_not_fatal(graded, student, reason):
    """Is each malformed submission reported with its reason, at zero points?"""
    _, summary, got, _ = graded
    o = outcome(summary, student)
    assert o.status == "failed" and reason in o.reason
    assert total(got[student]) == 0
    assert reason in summary.text()


def test_unicode_student_names(graded):
    """Are students with non-ASCII names graded like everyone else?"""
    _, _, got, _ = graded
    assert total(got["José Ñúñez"]) == 10
    assert total(got["李雷"]) == 10


def test_batch_reports_failure_in_its_status(graded):
    """Does a batch with unreadable submissions say it did not grade them all?"""
    _, summary, _, _ = graded
    assert not summary.ok
    assert summary.count("failed") == 5
    assert summary.count("error") == 0
