"""Shared fixtures: the reference solutions, the built book and its glued values."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, load_solutions

BIN = Path(sys.executable).parent
# Where the book is built; a developer may point this at a private build.
BUILD = Path(os.environ.get("CONV_BOOK_BUILD", ROOT / "_build"))


def run(cmd, cwd=ROOT, check=True, **kwargs):
    """Run a command with the virtual environment's tools first on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        cmd, cwd=cwd, env=env, check=check, capture_output=True, text=True, **kwargs
    )


@pytest.fixture(scope="session")
def output_size_solutions():
    """The reference solutions of assignment 02-output-size."""
    return load_solutions("02-output-size", "output-size.ipynb")


@pytest.fixture(scope="session")
def built_book():
    """Build the book strictly (warnings are errors); the path to its HTML.

    The execution cache makes this quick when the README's build command has
    already run. Under pytest-xdist the first worker to get here builds, under
    a file lock, and the others use that build (one build per test run).
    """
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:
        _build_book()
        return BUILD / "html"
    BUILD.mkdir(parents=True, exist_ok=True)
    stamp = BUILD / ".built-by-test-run"
    with open(BUILD / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != run_id:
            _build_book()
            stamp.write_text(run_id)
    return BUILD / "html"


def _build_book():
    cmd = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]
    if BUILD != ROOT / "_build":
        cmd += ["--path-output", str(BUILD.parent)]
    proc = run(cmd, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]


@pytest.fixture(scope="session")
def glued(built_book):
    """glued(chapter) -> {name: text} of the values a chapter glued into its text."""

    def read(chapter):
        path = BUILD / "jupyter_execute" / "book" / f"{chapter}.glue.json"
        data = json.loads(path.read_text())
        return {name: out["data"]["text/plain"] for name, out in data.items()}

    return read


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server of the tests' own (tests/pg_server.py).

    Skips when Debian's postgresql is not installed; under CI (CI set) that is
    a failure, since .ci/postgres installs it.
    """
    from pg_server import Server, binaries

    bindir = binaries()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing: .ci/postgres should have installed it")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = Server(bindir).start()
    try:
        yield server
    finally:
        server.stop()


# The order of the test files, for two workers taking whole files
# (--dist loadfile hands files out in collection order when, as in .ci/test,
# --no-loadscope-reorder stops xdist from sorting them by size). The book's first
# build takes minutes: the file that starts it comes first, so that one worker
# builds while the other grades; the files that grade whole classes come next,
# longest first, so that no long file is left for the end; the other files
# that read the built book come last, when the build is done, so that no
# worker waits on the build's lock.
BOOK_BUILDER = "test_site.py"
HEAVY_FIRST = (
    "test_class_report.py",
    "test_scaffold.py",
    "test_determinism.py",
    "test_grader_adversarial.py",
    "test_grader_batch.py",
    "test_fairness.py",
)


def _reads_the_book(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return "built_book" in text or "glued" in text


def pytest_collection_modifyitems(session, config, items):
    ranks = {}

    def rank(item):
        path = Path(str(item.fspath))
        if path not in ranks:
            if path.name == BOOK_BUILDER:
                ranks[path] = (0, 0)
            elif path.name in HEAVY_FIRST:
                ranks[path] = (1, HEAVY_FIRST.index(path.name))
            elif path.name.endswith("_grading.py"):
                ranks[path] = (2, 0)
            elif _reads_the_book(path):
                ranks[path] = (4, 0)
            else:
                ranks[path] = (3, 0)
        return ranks[path]

    items.sort(key=rank)  # stable: the order within each rank is kept
