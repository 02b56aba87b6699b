"""`python -m autograder new`: a scaffolded assignment passes the course's tests.

The command runs in a copy of the repository (its files as git knows them, and
the book's execution cache, so that unchanged chapters are not run again); the
course's own tests, the real grading command and a strict book build then run
in that copy, as an author would run them after scaffolding.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.engine.scaffold import POINTS_PER_FUNCTION, ScaffoldError, plan
from autograder.manifest import ASSIGNMENTS
from conftest import BIN
from helpers import ROOT, solution_sources
from leaks import find_leaks, secret_lines

# A free number after the map's last one, and a chapter that the map names:
# nothing here depends on what the assignments are called.
NUMBER = max(int(a.name[:2]) for a in ASSIGNMENTS) + 1
NAME = f"{NUMBER:02d}-scaffold-probe"
WORDS = NAME[3:]
NOTEBOOK = f"{WORDS}.ipynb"
CHAPTER = ASSIGNMENTS[-1].chapter
FUNCTIONS = ("probe_relu", "probe_clamp")
OPS = WORDS.replace("-", "_")


def _env(root):
    env = {k: v for k, v in os.environ.items() if k != "CONV_BOOK_BUILD"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(root / "book")])
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    return env


def run(root, *cmd, timeout=900):
    return subprocess.run(
        cmd,
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def autograder(root, *args):
    return run(root, sys.executable, "-m", "autograder", *args)


def new(root, name=NAME, chapter=CHAPTER, functions=FUNCTIONS, *extra):
    flags = [f"--function={fn}" for fn in functions]
    return autograder(root, "new", name, f"--chapter={chapter}", *flags, *extra)


def copy_repository(target):
    """The repository's files that git tracks or would track, and the cache."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for rel in filter(None, listed):
        source = ROOT / os.fsdecode(rel)
        if source.is_file() and not source.is_symlink():
            (target / os.fsdecode(rel)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / os.fsdecode(rel))
    cache = ROOT / "_build" / ".jupyter_cache"
    if cache.is_dir():
        shutil.copytree(cache, target / "_build" / ".jupyter_cache")
    return target


def digest(root):
    """sha256 over the copy's files, the book's build aside."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] != "_build":
            h.update(str(rel).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """(root, dry run, real run, digest before): the copy, scaffolded."""
    root = copy_repository(tmp_path_factory.mktemp("repo"))
    before = digest(root)
    dry = new(root, NAME, CHAPTER, FUNCTIONS, "--dry-run")
    after_dry = digest(root)
    proc = new(root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root, dry, proc, before == after_dry


def test_dry_run_lists_the_files_and_writes_nothing(course):
    """Does --dry-run name every file that the command writes, and write none?"""
    root, dry, proc, unchanged = course
    assert dry.returncode == 0, dry.stderr
    assert unchanged
    listed = {line.split()[-1] for line in dry.stdout.splitlines() if line[:1] != "("}
    written = {line.split()[-1] for line in proc.stdout.splitlines()[: len(listed)]}
    assert listed == written
    expected = {
        f"solutions/{NAME}/{NOTEBOOK}",
        f"exercises/{NAME}/{NOTEBOOK}",
        f"autograder/checking/ops/{OPS}.py",
        f"autograder/offline/precomputed/{NAME}.json",
        f"tests/test_{OPS}_check.py",
        f"tests/test_{OPS}_grading.py",
        "autograder/manifest.py",
        "_toc.yml",
        "README.md",
    }
    assert expected <= listed
    assert all((root / rel).is_file() for rel in listed)


def test_the_next_steps_name_the_chapters_practise_section(course):
    """Does the command end with what is left by hand, the chapter's link first?"""
    out = course[2].stdout
    assert f"Practise section of\n     book/{CHAPTER}.md" in out
    assert f"{{doc}}`{NAME} <../exercises/{NAME}/{WORDS}>`" in out
    assert "Replace the placeholder task" in out


def test_the_course_tests_pass_with_the_new_assignment(course):
    """Do the map, release, task-text, README, leak, fairness, browser and
    author's-guide tests, and the new assignment's own, pass in the copy?"""
    root = course[0]
    files = [
        "tests/test_manifest.py",
        "tests/test_release.py",
        "tests/test_task_text.py",
        "tests/test_readme.py",
        "tests/test_leaks.py",
        "tests/test_authors_guide.py",
        "tests/test_fairness.py",
        "tests/test_jupyterlite.py",
        f"tests/test_{OPS}_check.py",
        f"tests/test_{OPS}_grading.py",
    ]
    # The new assignment's cases (their ids hold its name), and the tests that
    # look at every assignment at once; not those that need a built site.
    select = (
        "(probe or test_manifest or test_readme or every_assignment"
        " or every_exercise or no_secret_in_exercises or without_torch)"
        " and not site and not test_lite and not in_browser"
    )
    proc = run(
        root,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rA",
        "-p",
        "no:cacheprovider",
        "-k",
        select,
        *files,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    passed = {
        line.split()[1] for line in proc.stdout.splitlines() if line[:7] == "PASSED "
    }
    for test in (
        f"tests/test_release.py::test_exercises_match_a_fresh_release[{NAME}]",
        f"tests/test_fairness.py::test_every_corpus_style_gets_full_marks[{NAME}]",
        f"tests/test_jupyterlite.py::test_stored_answers_are_pytorchs[{NAME}]",
        "tests/test_jupyterlite.py::"
        "test_solutions_pass_every_visible_check_without_torch",
        "tests/test_manifest.py::test_the_practice_part_lists_the_map_in_order",
        "tests/test_readme.py::test_points_table_matches_the_notebooks",
        "tests/test_leaks.py::test_no_secret_in_exercises",
        f"tests/test_{OPS}_grading.py::test_solution_gets_full_marks",
        f"tests/test_task_text.py::test_every_feature_is_asked_for_by_the_task"
        f"[{NAME}:{FUNCTIONS[0]}_shapes]",
    ):
        assert test in passed, test


def test_ruff_accepts_the_generated_code(course):
    """Do the files written pass the project's lint and format checks?"""
    root = course[0]
    for cmd in (["check", "."], ["format", "--check", "autograder", "tests"]):
        proc = run(root, sys.executable, "-m", "ruff", *cmd)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_solved_release_gets_full_marks_from_the_grade_command(course):
    """Does the released notebook, solved by the source's solutions, get full
    marks from `python -m autograder grade` (the real nbgrader CLI)?"""
    root = course[0]
    source = nbformat.read(root / "solutions" / NAME / NOTEBOOK, as_version=4)
    answers = solution_sources(source)
    assert sorted(answers) == sorted(FUNCTIONS)
    nb = nbformat.read(root / "exercises" / NAME / NOTEBOOK, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert "NotImplementedError" in cell.source
            cell.source = answers[meta["grade_id"]]
    folder = root / "submitted" / "alice" / NAME
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK)
    proc = autograder(root, "grade", NAME, "--quiet", "--jobs", "1")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission(NAME, "alice")
        assert sub.max_score == POINTS_PER_FUNCTION * len(FUNCTIONS)
        assert sub.score == sub.max_score


def test_the_book_builds_with_the_new_exercise_page(course):
    """Does the strict book build pass, with the new exercise page in the site
    and no solution or hidden test on it?"""
    root = course[0]
    proc = run(root, "jupyter-book", "build", ".", "-W", "-n", "--keep-going")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    page = root / "_build" / "html" / "exercises" / NAME / f"{WORDS}.html"
    assert page.is_file()
    text = page.read_text(encoding="utf-8")
    assert all(fn in text for fn in FUNCTIONS) and "NotImplementedError" in text
    secrets = secret_lines(
        root / "solutions" / NAME / NOTEBOOK, root / "exercises" / NAME / NOTEBOOK
    )
    assert secrets
    assert find_leaks(root / "_build" / "html", secrets) == []
    intro = (root / "_build" / "html" / "book" / "intro.html").read_text("utf-8")
    assert f"exercises/{NAME}/{WORDS}.html" in intro


def _refused(course, *args, **kwargs):
    root = course[0]
    before = digest(root)
    proc = new(root, *args, **kwargs)
    assert digest(root) == before, "a refused command wrote something"
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    return proc.stderr


BAD_NAMES = [
    "10-LayerTable",
    "7-pool",
    "10_layer",
    "10-layer--table",
    "10-",
    "ab-layer",
    "10-layer-table-",
    "10-" + "x" * 60,
    "10-café",
    "../10-up",
    "10-a/b",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_name_is_refused(course, name):
    """Is a name that is not NN-lower-case-words refused, saying what to use?"""
    with pytest.raises(ScaffoldError, match="NN-lower-case-words"):
        plan(course[0], name, CHAPTER)


def test_the_command_refuses_a_bad_name_with_status_2(course):
    """Does `new` exit with status 2 and the reason, writing nothing?"""
    assert "bad assignment name '10-Layer'" in _refused(course, "10-Layer")


def test_an_existing_name_or_number_is_refused(course):
    """Is the scaffolded name refused a second time, and so is a number that an
    assignment of the map already has?"""
    assert f"{NAME} exists already" in _refused(course, NAME)
    taken = ASSIGNMENTS[0].name
    message = _refused(course, f"{taken[:2]}-another-one")
    assert f"number {taken[:2]} is taken by {taken}" in message


def test_an_unknown_chapter_is_refused(course):
    """Is a chapter that is not book/<chapter>.md refused, with the chapters?"""
    message = _refused(course, f"{NUMBER + 1:02d}-other", chapter="no-such-chapter")
    assert "unknown chapter 'no-such-chapter'" in message
    assert CHAPTER in message


def test_a_function_that_is_already_checked_is_refused(course):
    """Is a function name that an ops module registers already refused, and a
    name that is not a Python name?"""
    other = f"{NUMBER + 1:02d}-other"
    assert "already checked" in _refused(course, other, functions=FUNCTIONS[:1])
    for bad in ("class", "Relu", "two words", "x" * 60):
        with pytest.raises(ScaffoldError, match="bad function name"):
            plan(course[0], other, CHAPTER, (bad,))
