"""A class through the whole pipeline: killed, resumed, changed, regraded.

The module fixture runs the story once and records what it saw:

1. a batch started as its own process is killed (SIGKILL) once a few
   submissions are recorded, and run again;
2. one student then changes the submission, and the batch is run again;
3. the whole class is regraded twice with --force;
4. feedback, the grades CSV (with a roster) and the class report are made.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from autograder.engine.cli import feedback
from autograder.engine.course import CourseFolder
from autograder.engine.report import class_report, export
from grader_support import (
    A1,
    NB1,
    OFF_BY_ONE,
    SLOW,
    autograded,
    cli,
    exercise,
    log_lines,
    make_course,
    outputs_text,
    put,
    run_batch,
    scores,
    submission,
    total,
    tree_digest,
)
from helpers import ROOT, grade_id

HERE = Path(__file__).resolve().parent

DRIVER = """
import sys
sys.path[:0] = [{tests!r}]
from grader_support import run_batch
run_batch({root!r}, jobs=2)
"""


def class_of(root):
    right = submission(A1, NB1)
    students = {
        "alice": right,
        "bob": exercise(),
        "carol": submission(A1, NB1, {"conv_output_size": OFF_BY_ONE}),
        "dave": submission(A1, NB1, {"conv_output_size": SLOW}),
        "erin": right,
        "frank": submission(A1, NB1, {"conv_output_size": OFF_BY_ONE}),
        "grace": right,
        "heidi": exercise(),
        "Zoë": right,
    }
    for student, nb in students.items():
        put(root, student, nb)
    put(root, "ivan", "{ not json")
    return set(students) | {"ivan"}


def texts(root, students):
    return {s: outputs_text(autograded(root, s)) for s in students}


def kill_midway(root, everyone):
    """Start a batch as a process group; SIGKILL it once 2+ results are logged."""
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER.format(tests=str(HERE), root=str(root))],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while len(log_lines(root)) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return len(log_lines(root))


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("batch"))
    everyone = class_of(root)
    seen = {"everyone": everyone}
    before = tree_digest(root / "submitted")
    seen["logged_at_kill"] = kill_midway(root, everyone)
    seen["resumed"] = run_batch(root, jobs=2)
    seen["after_resume"] = scores(root)
    seen["log_after_resume"] = log_lines(root)
    seen["originals_kept"] = tree_digest(root / "submitted") == before
    # carol fixes her off-by-one
    put(root, "carol", submission(A1, NB1))
    changed = tree_digest(root / "submitted")
    seen["regraded"] = run_batch(root, jobs=2)
    seen["after_regrade"] = scores(root)
    seen["carol_notebook"] = autograded(root, "carol")
    seen["log_after_regrade"] = log_lines(root)
    # the whole class once more, from scratch
    runs = [(seen["after_regrade"], texts(root, everyone))]
    run_batch(root, jobs=2, force=True)
    runs.append((scores(root), texts(root, everyone)))
    seen["forced"] = runs
    seen["originals_kept"] &= tree_digest(root / "submitted") == changed
    course = CourseFolder(root)
    seen["feedback"] = feedback(course, A1)
    roster = root / "roster.csv"
    roster.write_text(
        "id,first_name,last_name,email\nalice,Alice,A,a@x\nZoë,Zoë,Z,z@x\nnobody,No,Body,n@x\n",
        encoding="utf-8",
    )
    seen["export_rows"] = export(course, root / "grades.csv", roster=roster)
    seen["report"] = class_report(course, A1, root / "reports")
    return root, seen


def test_killed_batch_rerun_grades_each_student_exactly_once(story):
    """After a batch is killed and rerun, is every student graded exactly once?"""
    root, seen = story
    everyone = seen["everyone"]
    assert 2 <= seen["logged_at_kill"] < len(everyone)
    per_student = {}
    for entry in seen["log_after_resume"]:
        per_student[entry["student"]] = per_student.get(entry["student"], 0) + 1
    assert per_student == {s: 1 for s in everyone}
    resumed = seen["resumed"]
    assert resumed.count("unchanged") >= seen["logged_at_kill"] - 1
    assert set(seen["after_resume"]) == everyone


def test_resumed_batch_has_the_right_scores(story):
    """Are the scores after the resumed batch those of each submission?"""
    _, seen = story
    got = seen["after_resume"]
    for s in ("alice", "erin", "grace", "Zoë"):
        assert total(got[s]) == 10
    for s in ("bob", "heidi", "ivan"):
        assert total(got[s]) == 0
    assert total(got["carol"], "conv1d") == 6 and total(got["carol"]) < 10
    assert total(got["dave"]) == 9
    assert got["dave"]["conv_output_size_stride"] == 0


def test_changed_submission_is_regraded_and_only_its_new_result_counts(story):
    """Is only the changed submission regraded, its new score replacing the old?"""
    _, seen = story
    regraded = seen["regraded"]
    fresh = [o.student for o in regraded.outcomes if o.status == "graded"]
    assert fresh == ["carol"]
    assert total(seen["after_regrade"]["carol"]) == 10
    carol_lines = [e for e in seen["log_after_regrade"] if e["student"] == "carol"]
    assert len(carol_lines) == 2 and carol_lines[-1]["score"] == 10
    assert "likely mistake" not in outputs_text(seen["carol_notebook"])
    others = {s: v for s, v in seen["after_regrade"].items() if s != "carol"}
    assert others == {s: v for s, v in seen["after_resume"].items() if s != "carol"}


def test_grading_is_deterministic(story):
    """Does regrading the class give the same scores and the same messages?"""
    _, seen = story
    (scores1, texts1), (scores2, texts2) = seen["forced"]
    assert scores1 == scores2
    assert texts1 == texts2


def test_original_submissions_are_never_modified(story):
    """Are the files in submitted/ byte for byte what the students handed in?"""
    _, seen = story
    assert seen["originals_kept"]


def hidden_lines():
    """Lines of the hidden tests in the source notebook (not also visible: a
    line such as `padding="same")` that the released cells hold too says nothing)."""
    import nbformat

    from autograder.engine.notebook import released_test_source

    nb = nbformat.read(ROOT / "solutions" / A1 / NB1, as_version=4)
    visible = "\n".join(released_test_source(cell.source) for cell in nb.cells)
    lines = []
    for cell in nb.cells:
        if not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        hidden = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                hidden = True
            elif "END HIDDEN TESTS" in line:
                hidden = False
            elif hidden and len(line.strip()) > 12 and line.strip() not in visible:
                lines.append(line.strip())
    return lines


def test_feedback_shows_results_but_never_hidden_test_code(story):
    """Does feedback show scores and diagnoses but no line of the hidden tests?"""
    root, seen = story
    assert all(r["success"] for r in seen["feedback"])
    pages = {
        p.parts[-3]: BeautifulSoup(
            p.read_text(encoding="utf-8"), "html.parser"
        ).get_text()
        for p in (root / "feedback").glob(f"*/{A1}/*.html")
    }
    assert set(pages) == seen["everyone"]
    secret = hidden_lines()
    assert len(secret) > 10
    for student, text in pages.items():
        leaked = [line for line in secret if line in text]
        assert not leaked, (student, leaked[:3])
    assert 'check(conv1d, "conv1d", x, w, stride=2)' in pages["alice"]  # visible
    assert "likely mistake" in pages["frank"]
    assert "CPU time limit" in pages["dave"]
    for nb_path in (root / "autograded").glob(f"*/{A1}/*.ipynb"):
        text = nb_path.read_text(encoding="utf-8")
        assert not [line for line in secret if line in text], nb_path


def test_grades_csv_has_a_row_for_every_roster_student(story):
    """Does the CSV list every roster student, submitted or not, with a status?"""
    import csv

    root, seen = story
    with open(root / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == seen["everyone"] | {"nobody"}
    assert seen["export_rows"] == len(rows)
    assert rows["nobody"]["status"] == "missing" and float(rows["nobody"]["score"]) == 0
    assert (
        rows["alice"]["first_name"] == "Alice" and float(rows["alice"]["score"]) == 10
    )
    assert rows["Zoë"]["email"] == "z@x"
    assert (
        rows["ivan"]["status"] == "failed" and "invalid JSON" in rows["ivan"]["reason"]
    )


def test_report_has_plot_and_table(story):
    """Does the report draw a PNG and list every part with its success rate?"""
    _, seen = story
    png, md, text = seen["report"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import nbformat

    src = nbformat.read(ROOT / "solutions" / A1 / NB1, as_version=4)
    parts = [
        grade_id(c) for c in src.cells if c.metadata.get("nbgrader", {}).get("grade")
    ]
    for part in parts:
        assert f"| {part} |" in text
    assert "10 graded submissions" in text
    assert md.read_text(encoding="utf-8") == text


def test_command_line_exit_status_says_whether_all_were_graded(tmp_path):
    """Does `grade` exit 0 when all submissions were graded and 1 when one failed?"""
    root = make_course(tmp_path)
    put(root, "alice", submission(A1, NB1))
    ok = cli(root, "grade", A1, "--part-timeout", "5", "--quiet")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "graded: 1" in ok.stdout and "failed: 0" in ok.stdout
    put(root, "bob", "not a notebook")
    bad = cli(root, "grade", A1, "--part-timeout", "5", "--quiet")
    assert bad.returncode == 1
    assert "1 unchanged since the last run" in bad.stdout
    assert "bob: output-size.ipynb is not a notebook" in bad.stdout


def test_grading_works_without_the_environment_activated(tmp_path):
    """Does `.venv/bin/python -m autograder grade` create a new gradebook when the
    environment's scripts (nbgrader needs its `alembic`) are not on PATH?"""
    root = make_course(tmp_path)
    put(root, "alice", submission(A1, NB1))
    scripts = str(Path(sys.executable).parent)
    path = [d for d in os.environ["PATH"].split(os.pathsep) if d != scripts]
    env = {**os.environ, "PATH": os.pathsep.join(path)}
    assert subprocess.run(["which", "alembic"], env=env).returncode != 0
    ok = cli(root, "grade", A1, "--part-timeout", "5", "--quiet", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert scores(root)["alice"]


KILLER = """
import sys, time, json, os, signal
import psutil
parent, log = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    if os.path.exists(log) and open(log).read().count("\\n") >= 1:
        break
    time.sleep(0.05)
for child in psutil.Process(parent).children():
    if child.cmdline()[1:3] == ["-m", "autograder.engine.worker"]:
        child.kill()
        print("killed", child.pid)
        break
"""


def test_a_dead_grading_process_is_replaced_and_its_work_redone(tmp_path):
    """If a grading process dies, is its submission graded again, the batch intact?"""
    root = make_course(tmp_path)
    right = submission(A1, NB1)
    for student in ("a", "b", "c", "d", "e", "f"):
        put(root, student, right)
    put(root, "slow", submission(A1, NB1, {"conv_output_size": SLOW}))
    log = root / "autograded" / ".grader" / "log.jsonl"
    killer = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(os.getpid()), str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    first = run_batch(root, jobs=2)
    killed = killer.communicate(timeout=60)[0]
    assert killed.startswith("killed")
    assert first.ok and first.count("graded") == 7
    second = run_batch(root, jobs=2)
    assert second.ok and second.count("unchanged") == 7
    logged = [e["student"] for e in log_lines(root)]
    assert (
        sorted(logged) == sorted(set(logged)) == ["a", "b", "c", "d", "e", "f", "slow"]
    )
