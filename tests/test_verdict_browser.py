"""The browser's check (no PyTorch, only the files JupyterLite serves) gives the
verdicts and messages of the notebook's check with PyTorch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_verdict_grading import NUMPY_SIZE

from autograder import offline
from grader_support import A1, NB1
from helpers import ROOT

RUNNER = Path(__file__).parent / "lite_runner.py"

ANSWERS = {
    "int64": NUMPY_SIZE.format(result="n"),
    "zero_d": NUMPY_SIZE.format(result="np.asarray(n)"),
    "float": NUMPY_SIZE.format(result="float(n)"),
    "one_element": NUMPY_SIZE.format(result="np.array([n])"),
    "bool": NUMPY_SIZE.format(result="bool(n)"),
}


def browser_copy(folder):
    """The package as JupyterLite serves it: BROWSER_FILES and 01's answers."""
    offline.stage(folder / "autograder", A1)
    return folder


def run(jobs, pythonpath, torch):
    cmd = [sys.executable, str(RUNNER)] + ([] if torch else ["--no-torch"])
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    proc = subprocess.run(
        cmd, input=json.dumps(jobs), capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_browser_and_notebook_agree_on_numpy_sizes(tmp_path):
    """Do NumPy integers, 0-d arrays, floats, bools and 1-element arrays get the
    same verdict, word for word, in the browser and with PyTorch?"""
    jobs = [
        {"assignment": A1, "notebook": NB1, "replace": {"conv_output_size": code}}
        for code in ANSWERS.values()
    ]
    browser = run(jobs, browser_copy(tmp_path), torch=False)
    notebook = run(jobs, ROOT, torch=True)
    assert not browser["torch_loaded"]
    assert browser["results"] == notebook["results"]
    by_answer = dict(zip(ANSWERS, browser["results"]))
    size_cells = [g for g in by_answer["int64"] if g.startswith("conv_output_size")]
    assert size_cells
    for name in ("int64", "zero_d"):
        assert all(by_answer[name][g] is None for g in size_cells), by_answer[name]
    for name in ("float", "one_element", "bool"):
        assert any(by_answer[name][g] for g in size_cells), name
