"""The static review: code that reaches past NumPy is flagged, honest code is not."""

from pathlib import Path

import nbformat
import pytest

from autograder.engine.notebook import python_source
from autograder.engine.sandbox.review import FINDINGS, scan
from helpers import EXERCISES, SOLUTIONS, solution_sources

# The technique of the issue: raw memory through __array_interface__.
RAW_MEMORY = """
import numpy as np
hook_code = np.frombuffer(b"", dtype=np.uint8)
address = np.zeros(1).__array_interface__["data"][0]
view = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), (64,), (1,))
"""

ATTACKS = {
    "raw_memory": RAW_MEMORY,
    "native_code": "import ctypes\nctypes.memmove(0, 0, 0)",
    "numpy_internals": "from numpy._core import _multiarray_umath as m\nf = m.x",
    "library_convolution": "f = getattr(np, 'correlate2')",
    "interpreter_internals": "import gc\nfns = gc.get_objects()",
    "dynamic_code": "name = 'corr' + 'elate'\nf = getattr(np, name)",
}


@pytest.mark.parametrize("key, code", ATTACKS.items())
def test_each_way_past_numpy_is_flagged_with_its_reason(key, code):
    """Is each construct flagged under its own key, with a message?"""
    found = scan(code, "<cell conv1d>")
    assert key in {f.key for f in found}
    assert all(f.message().startswith("<cell conv1d> line ") for f in found)
    assert all(f.key in FINDINGS for f in found)


def test_code_kept_in_a_string_or_imported_from_the_folder_is_flagged():
    """Is code written to a file and imported from the working folder flagged?"""
    code = (
        "import sys\nopen('k.py', 'w').write('import ctypes')\n"
        "sys.path.insert(0, '.')\nimport k\n"
    )
    assert {f.key for f in scan(code)} >= {"dynamic_code", "interpreter_internals"}


def _honest_cells():
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")) + sorted(
        EXERCISES.glob("*/*.ipynb")
    ):
        nb = nbformat.read(path, as_version=4)
        answers = solution_sources(nb) if path.is_relative_to(SOLUTIONS) else {}
        for gid, code in answers.items():
            yield f"{Path(path).name}:{gid}", code
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get(
                "grade"
            ):
                yield f"{Path(path).name}:{i}", cell.source


def test_reference_solutions_and_exercises_are_not_flagged():
    """Are the course's own solutions and student cells clean (no false alarm)?"""
    flagged = {
        label: [f.message() for f in scan(python_source(code), label)]
        for label, code in _honest_cells()
    }
    assert {k: v for k, v in flagged.items() if v} == {}
    assert len(flagged) > 20


def test_docstrings_and_sliding_windows_are_fine():
    """May a student describe convolution in a docstring and use sliding windows?"""
    code = '''
def conv1d(x, w):
    """We convolve x (N, C, L) with w, a cross-correlation, as torch does."""
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[-1], axis=-1)
    return np.einsum("nclk,ock->nol", windows, w)
'''
    assert scan(code) == []


def test_unreadable_code_is_not_silently_clean():
    """Does code too deeply nested to read get a finding instead of a pass?"""
    found = scan("x = a" + ".b" * 100_000)
    assert [f.key for f in found] == ["unparsable"]
