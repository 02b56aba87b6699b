"""The exercises in the browser: JupyterLite, and checks without PyTorch.

PyTorch does not run in Pyodide, so in the browser `autograder.check` answers
from PyTorch's results stored by `python -m autograder.precompute`. These tests
check that the stored results are PyTorch's, that the checks give the same
verdicts and messages without PyTorch as with it, and that the built site
serves the student notebooks and the checker in a working JupyterLite.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import offline, precompute
from helpers import EXERCISES, ROOT, SOLUTIONS, solution_sources
from leaks import find_leaks, secret_lines

NOTEBOOKS = precompute.notebooks()
IDS = [nb.parent.name for nb in NOTEBOOKS]
RUNNER = Path(__file__).parent / "lite_runner.py"


def run_notebooks(jobs, torch=True):
    """Run filled-in notebooks in a fresh Python, with or without PyTorch."""
    cmd = [sys.executable, str(RUNNER)] + ([] if torch else ["--no-torch"])
    proc = subprocess.run(
        cmd, input=json.dumps(jobs), capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def job(notebook, replace=None):
    return {
        "assignment": notebook.parent.name,
        "notebook": notebook.name,
        "replace": replace or {},
    }


# --- the stored answers ---------------------------------------------------------


def _same(a, b):
    """Equal values; floats of results within what another CPU may round."""
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)
        )
    if isinstance(a, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(u, v) for u, v in zip(a, b))
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_stored_answers_are_pytorchs(notebook):
    """Are the stored answers of a notebook what PyTorch computes now, for the
    same calls (same inputs, bit for bit), the same known mistakes and shapes?"""
    stored = json.loads(precompute.target(notebook).read_text())
    fresh = json.loads(precompute.dumps(precompute.precompute(notebook)))
    assert stored["notebook"] == fresh["notebook"]
    assert stored["ops"] == fresh["ops"]
    assert stored["forward_shapes"] == fresh["forward_shapes"]
    assert len(stored["calls"]) == len(fresh["calls"]) > 0
    for old, new in zip(stored["calls"], fresh["calls"]):
        assert old["op"] == new["op"]
        assert old["args"] == new["args"]  # the inputs, exactly
        assert old.keys() == new.keys()
        assert old.get("refuses") == new.get("refuses")
        for field in ("result", "variants"):
            if field in new:
                assert _same(offline.decode(old[field]), offline.decode(new[field]))


def _checked_ops(notebook):
    """The ops named by check(...) calls in a notebook's cells, read statically."""
    ops = set()
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "check"
                and isinstance(node.args[1], ast.Constant)
            ):
                ops.add(node.args[1].value)
    return ops


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_stored_answers_cover_every_checked_function(notebook):
    """Does every function that a visible test checks have stored answers, and
    are the answers of one notebook stored from that student notebook only?"""
    stored = json.loads(precompute.target(notebook).read_text())
    assert stored["notebook"] == f"exercises/{notebook.parent.name}/{notebook.name}"
    assert set(stored["ops"]) == _checked_ops(notebook) != set()


def test_every_exercise_has_stored_answers():
    """Is there one file of stored answers per exercise notebook, and no other?"""
    stored = sorted(p.stem for p in offline.FOLDER.glob("*.json"))
    assert stored == IDS == sorted(p.name for p in EXERCISES.iterdir() if p.is_dir())


# --- checks without PyTorch -----------------------------------------------------


def test_solutions_pass_every_visible_check_without_torch():
    """Do the reference solutions pass every visible test cell of every exercise
    in a Python where PyTorch cannot be imported (every call found, none missing)?"""
    out = run_notebooks([job(nb) for nb in NOTEBOOKS], torch=False)
    assert out["torch_loaded"] is False
    for notebook, cells in zip(NOTEBOOKS, out["results"]):
        assert cells, notebook
        assert {k: v for k, v in cells.items() if v} == {}, notebook


def _wrapped(notebook, grade_id, name, body):
    """The reference solution of a cell, with `name` redefined around it."""
    source = nbformat.read(SOLUTIONS / notebook.relative_to(EXERCISES), as_version=4)
    code = solution_sources(source)[grade_id]
    return f"{code}\n\n_right_{name} = {name}\n\n{body}\n"


def _mistakes():
    nb = {p.parent.name: p for p in NOTEBOOKS}
    out_size, padding = nb["01-output-size"], nb["03-padding"]
    pooling, backward = nb["04-pooling"], nb["08-backward"]
    return [
        (
            out_size,
            {
                "conv1d": _wrapped(
                    out_size,
                    "conv1d",
                    "conv1d",
                    "def conv1d(x, weight, *args, **kwargs):\n"
                    "    return _right_conv1d(x, weight[..., ::-1], *args, **kwargs)",
                ),
                "conv_output_size": _wrapped(
                    out_size,
                    "conv_output_size",
                    "conv_output_size",
                    "def conv_output_size(*args, **kwargs):\n"
                    "    return _right_conv_output_size(*args, **kwargs) - 1",
                ),
            },
            ["likely mistake: the kernel is flipped", "the +1 is missing"],
        ),
        (
            padding,
            {
                "pad": _wrapped(
                    padding,
                    "pad",
                    "pad",
                    "def pad(x, pad, mode='constant', value=0.0):\n"
                    "    if mode in ('reflect', 'replicate', 'circular'):\n"
                    "        mode = 'constant'\n"
                    "    return _right_pad(x, pad, mode, value)",
                ),
            },
            ["values differ from PyTorch's"],
        ),
        (
            pooling,
            {
                "max_pool2d": _wrapped(
                    pooling,
                    "max_pool2d",
                    "max_pool2d",
                    "def max_pool2d(*args, **kwargs):\n"
                    "    return _right_max_pool2d(*args, **kwargs).astype(np.float64)",
                ),
            },
            ["expected dtype float32 (the input's), got float64"],
        ),
        (
            backward,
            {
                "conv2d_backward": _wrapped(
                    backward,
                    "conv2d_backward",
                    "conv2d_backward",
                    "def conv2d_backward(grad_out, x, *args, **kwargs):\n"
                    "    grads = _right_conv2d_backward(grad_out, x, *args, **kwargs)\n"
                    "    n = x.shape[0] if x.ndim == 4 else 1\n"
                    "    return grads[0], grads[1] / n, grads[2]",
                ),
            },
            ["grad_weight is averaged over the batch"],
        ),
    ]


def test_wrong_answers_get_the_same_messages_without_torch():
    """Does a wrong answer fail the same visible test cells with the same message,
    word for word (likely mistake included), with PyTorch and without it?"""
    mistakes = _mistakes()
    jobs = [job(notebook, replace) for notebook, replace, _ in mistakes]
    with_torch = run_notebooks(jobs, torch=True)
    without = run_notebooks(jobs, torch=False)
    assert with_torch["torch_loaded"] and not without["torch_loaded"]
    for (notebook, _, phrases), a, b in zip(
        mistakes, with_torch["results"], without["results"]
    ):
        assert a == b, notebook
        failed = [msg for msg in b.values() if msg]
        assert failed, notebook
        assert all(msg.startswith("AssertionError: ") for msg in failed), failed
        for phrase in phrases:
            assert any(phrase in msg for msg in failed), (phrase, failed)


def test_a_check_with_new_arguments_says_it_cannot_compare():
    """Without PyTorch, does a check whose arguments no test cell uses say that
    it has no stored result, rather than pass or blame the student?"""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np\n"
        "from autograder import check\n"
        "from autograder.offline import NoPrecomputedResult\n"
        "try:\n"
        "    check(lambda *a, **k: 5, 'conv_output_size', 7, 3, stride=1)\n"
        "    check(lambda *a, **k: 5, 'conv_output_size', 8, 3, stride=1)\n"
        "except NoPrecomputedResult as err:\n"
        "    print('refused:', err)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "refused: no stored PyTorch result for conv_output_size"
    )
    assert "only the calls of the notebook's own test cells" in proc.stdout


# --- the built site -------------------------------------------------------------

LITE_NOTEBOOKS = [f"{nb.parent.name}/{nb.name}" for nb in NOTEBOOKS]


@pytest.fixture(scope="module")
def lite(built_book):
    return built_book / "lite"


def test_site_has_a_jupyterlite_with_the_pyodide_kernel(lite):
    """Does the site hold a JupyterLite app whose kernel is Pyodide's?"""
    assert (lite / "index.html").is_file()
    assert (lite / "notebooks" / "index.html").is_file()
    config = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    names = {e["name"] for e in config["federated_extensions"]}
    assert "@jupyterlite/pyodide-kernel-extension" in names
    for ext in config["federated_extensions"]:
        assert (lite / "extensions" / ext["name"] / ext["load"]).is_file()
    pypi = lite / "extensions/@jupyterlite/pyodide-kernel-extension/static/pypi"
    assert list(pypi.glob("pyodide_kernel-*.whl"))


@pytest.mark.parametrize("path", LITE_NOTEBOOKS)
def test_lite_serves_the_student_notebook_and_its_checker(lite, path):
    """Does JupyterLite serve each exercise as the student notebook (not the
    solution), next to the PyTorch-free checker and that exercise's answers only?"""
    folder = lite / "files" / Path(path).parent
    served = nbformat.read(lite / "files" / path, as_version=4)
    assert served == nbformat.read(EXERCISES / path, as_version=4)
    assert served != nbformat.read(SOLUTIONS / path, as_version=4)
    for name in offline.BROWSER_FILES:
        assert (folder / "autograder" / name).read_text() == (
            Path(offline.__file__).parent / name
        ).read_text()
    answers = sorted(p.name for p in (folder / "autograder/precomputed").iterdir())
    assert answers == [f"{Path(path).parent}.json"]
    listing = json.loads(
        (lite / "api/contents" / Path(path).parent / "all.json").read_text()
    )
    assert {c["name"] for c in listing["content"]} >= {"autograder", Path(path).name}


def test_lite_holds_no_solution_or_hidden_test(lite):
    """Is any solution or hidden-test text in the files and contents listings that
    JupyterLite serves? (test_leaks searches the whole site, lite/ included.)"""
    secrets = set()
    for source in sorted(SOLUTIONS.glob("*/*.ipynb")):
        secrets |= secret_lines(source, EXERCISES / source.relative_to(SOLUTIONS))
    assert secrets
    assert find_leaks(lite / "files", secrets) == []
    assert find_leaks(lite / "api", secrets) == []
    served = {p.relative_to(lite / "files") for p in (lite / "files").rglob("*.ipynb")}
    assert served == {Path(p) for p in LITE_NOTEBOOKS}


def test_in_browser_page_links_every_exercise(built_book):
    """Does the in-browser page link each exercise to a notebook the site serves?"""
    html = (built_book / "book" / "in-browser.html").read_text()
    links = re.findall(r'href="\.\./lite/notebooks/index\.html\?path=([^"]+)"', html)
    assert sorted(links) == sorted(LITE_NOTEBOOKS)
    for path in links:
        assert (built_book / "lite" / "files" / path).is_file()
