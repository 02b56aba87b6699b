"""The exercises in the browser: JupyterLite, and checks without PyTorch.

PyTorch does not run in Pyodide, so in the browser `autograder.check` answers
from PyTorch's results stored by `python -m autograder.offline.precompute`. These tests
check that the stored results are PyTorch's, that the checks give the same
verdicts and messages without PyTorch as with it, and that the built site
serves the student notebooks and the checker in a working JupyterLite.
"""

from __future__ import annotations

import ast
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import offline
from autograder.offline import precompute
from browser import chromium, serving
from helpers import EXERCISES, ROOT, SOLUTIONS, solution_sources, submission
from leaks import find_leaks, secret_lines

NOTEBOOKS = precompute.notebooks()
STALE = (
    "stale stored answers: run python -m autograder.offline.precompute and commit them"
)
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
    assert stored["ops"] == fresh["ops"], STALE
    assert stored["forward_shapes"] == fresh["forward_shapes"], STALE
    assert len(stored["calls"]) == len(fresh["calls"]) > 0, STALE
    for old, new in zip(stored["calls"], fresh["calls"]):
        assert old["op"] == new["op"], STALE
        assert old["args"] == new["args"], STALE  # the inputs, exactly
        assert old.keys() == new.keys(), STALE
        assert old.get("refuses") == new.get("refuses"), STALE
        for field in ("result", "variants"):
            if field in new:
                got = offline.decode(old[field]), offline.decode(new[field])
                assert _same(*got), (STALE, old["op"], field)


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


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_hidden_tests_are_not_stored(notebook):
    """Are the calls that only the hidden tests make (in solutions/) left out of
    the stored answers that the site ships?"""
    source = SOLUTIONS / notebook.relative_to(EXERCISES)
    every, _ = precompute.visible_calls(source)  # visible and hidden tests
    visible, _ = precompute.visible_calls(notebook)
    shown = {(op, offline.key(args)) for op, args in visible}
    hidden = {(op, offline.key(args)) for op, args in every} - shown
    assert hidden, "the hidden tests make calls of their own"
    stored = json.loads(precompute.target(notebook).read_text())["calls"]
    keys = {(c["op"], offline.key(offline.decode(c["args"]))) for c in stored}
    assert keys == shown
    assert keys.isdisjoint(hidden)


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
    out_size, padding = nb["02-output-size"], nb["04-padding"]
    pooling, backward = nb["05-pooling"], nb["06-backward"]
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
                    "    y = _right_max_pool2d(*args, **kwargs)\n"
                    "    return y if isinstance(y, tuple) else y.astype(np.float64)",
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
        assert all(msg.startswith("CheckFailed: ") for msg in failed), failed
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
            offline.PACKAGE / name
        ).read_text()
    answers = folder / "autograder" / offline.FOLDER.relative_to(offline.PACKAGE)
    answers = sorted(p.name for p in answers.iterdir())
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


# --- in the browser -------------------------------------------------------------
#
# The site loads Pyodide from its CDN, which the test machine cannot reach; the
# server below serves the copy that .ci/pyodide fetched from npm and PyPI instead
# (it tells JupyterLite where, in the jupyter-lite.json it serves). That copy has
# no NumPy: Pyodide's compiled packages are published on its CDN and in its
# release archives, not in npm's or PyPI's registry.

PYODIDE = Path(os.environ.get("CONV_PYODIDE", ROOT / "_build" / "pyodide"))
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"


def _site_handler(site):
    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".mjs": "text/javascript",
            ".wasm": "application/wasm",
        }

        def log_message(self, *args):
            pass

        def translate_path(self, path):
            route = urllib.parse.urlparse(path).path
            if route.startswith("/_pyodide/"):
                return str(PYODIDE / route.removeprefix("/_pyodide/"))
            return super().translate_path(path)

        def do_GET(self):
            if urllib.parse.urlparse(self.path).path != "/lite/jupyter-lite.json":
                return super().do_GET()
            config = json.loads((site / "lite" / "jupyter-lite.json").read_text())
            data = config["jupyter-config-data"]
            settings = data.setdefault("litePluginSettings", {})
            url = f"http://{self.headers['Host']}/_pyodide/pyodide.mjs"
            settings.setdefault(KERNEL_SETTINGS, {})["pyodideUrl"] = url
            body = json.dumps(config).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return functools.partial(Handler, directory=str(site))


@pytest.fixture(scope="module")
def lite_site(built_book):
    """The built site over HTTP, with JupyterLite told to load the local Pyodide."""
    if not (PYODIDE / "pyodide.mjs").exists():
        if os.environ.get("CI"):
            pytest.fail(f"no local Pyodide in {PYODIDE}: .ci/pyodide should fetch it")
        pytest.skip(f"no local Pyodide in {PYODIDE} (run bash .ci/pyodide)")
    with serving(_site_handler(built_book)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def lite_page(browser, lite_site):
    """A fresh page, recording uncaught errors and requests to other hosts."""
    context = browser.new_context()
    page = context.new_page()
    page.errors, page.external = [], []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    context.on(
        "request",
        lambda r: None if r.url.startswith(lite_site) else page.external.append(r.url),
    )
    yield page
    context.close()


def run_in_repl(page, site, code, timeout=240_000):
    """Run code in JupyterLite's REPL on a fresh Pyodide kernel; what it printed
    after RESULT= (the code must print that marker once, built at run time)."""
    query = urllib.parse.urlencode({"kernel": "python", "code": code})
    page.goto(f"{site}/lite/repl/index.html?{query}")
    page.wait_for_function(
        "() => /RESULT=|Error/.test([...document.querySelectorAll("
        "'.jp-OutputArea-output')].map(e => e.innerText).join('\\n'))",
        timeout=timeout,
    )
    out = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    match = re.search(r"RESULT=(.*)", out)
    assert match, out
    return json.loads(match.group(1))


def test_lite_notebook_opens_with_no_error(lite_page, lite_site):
    """Does an exercise open in JupyterLite's notebook app, showing the student
    notebook on the Pyodide kernel, with no uncaught JavaScript error and nothing
    fetched elsewhere?"""
    page = lite_page
    page.goto(f"{lite_site}/lite/notebooks/index.html?path={LITE_NOTEBOOKS[0]}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # Markdown cells render after the code cells appear: wait for both.
    page.wait_for_function(
        "() => ['from autograder import check', 'Assignment 1'].every("
        "t => document.querySelector('.jp-Notebook').innerText.includes(t))",
        timeout=60_000,
    )
    # The notebook's kernel (python3) is started as Pyodide's, with no dialog.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Toolbar-kernelName')]"
        ".some(e => e.innerText.includes('Pyodide'))",
        timeout=60_000,
    )
    assert page.locator(".jp-Dialog").count() == 0
    assert page.errors == []
    assert page.external == []


def test_pyodide_kernel_runs_offline_next_to_the_checker(lite_page, lite_site):
    """Does the Pyodide kernel start from the locally served files, run Python,
    find an exercise's checker and stored answers in its folder, and import the
    checker from there as far as NumPy (which this Pyodide lacks)?"""
    code = (
        "import importlib.util, json, os, sys\n"
        "os.chdir('02-output-size')\n"
        "stored = json.load(\n"
        "    open('autograder/offline/precomputed/02-output-size.json'))\n"
        "found = {'python': sys.version.split()[0], 'cwd': os.getcwd(),\n"
        "         'files': sorted(os.listdir('autograder')),\n"
        "         'calls': len(stored['calls']),\n"
        "         'origin': importlib.util.find_spec('autograder').origin}\n"
        "try:\n"
        "    import autograder\n"
        "except ModuleNotFoundError as err:\n"
        "    found['missing'] = err.name\n"
        "print('RESULT' + '=' + json.dumps(found))\n"
    )
    found = run_in_repl(lite_page, lite_site, code)
    stored = json.loads((offline.FOLDER / "02-output-size.json").read_text())
    assert found["python"].startswith("3.")
    assert found["cwd"] == "/drive/02-output-size"
    top = {name.split("/")[0] for name in offline.BROWSER_FILES}
    assert found["files"] == sorted(top)
    assert found["calls"] == len(stored["calls"]) > 0
    assert found["origin"] == "/drive/02-output-size/autograder/__init__.py"
    assert found.get("missing") in (None, "numpy")
    assert lite_page.errors == []
    assert lite_page.external == []


def test_exercise_visible_checks_run_in_the_browser(lite_page, lite_site):
    """Do an exercise's visible test cells pass in the browser, with the reference
    solution filled in, checked against the stored PyTorch answers?"""
    if not list(PYODIDE.glob("numpy-*.whl")):
        pytest.skip(
            "needs NumPy built for Pyodide, which is published on Pyodide's CDN "
            "and in its release archives, not in npm's or PyPI's registry (the "
            "only places this machine reaches); the same cells run without "
            "PyTorch in "
            "test_solutions_pass_every_visible_check_without_torch"
        )
    notebook = NOTEBOOKS[0]
    nb = submission(notebook.parent.name, notebook.name)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    code = (
        "import json, os, pyodide_js\n"
        "await pyodide_js.loadPackage('numpy')\n"
        f"os.chdir({notebook.parent.name!r})\n"
        "namespace = {}\n"
        f"for source in {cells!r}:\n"
        "    exec(source, namespace)\n"
        "from autograder.checking import reference\n"
        "print('RESULT' + '=' + json.dumps(reference.torch is None))\n"
    )
    assert run_in_repl(lite_page, lite_site, code) is True
    assert lite_page.errors == []
