"""The course's options where an instructor writes them, and the batch summary.

`--course` and `--db-url` belong to every command: they are accepted before
the command's name (`python -m autograder --course C grade A`) and after it
(`python -m autograder grade A --course C`), through the real command line.
"""

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine.batch import Outcome, Summary
from autograder.engine.cli import parser
from autograder.engine.sandbox.process import Limits
from grader_support import (
    A1,
    BUDGET,
    NB1,
    check_sleepy,
    cli,
    make_course,
    put,
    run_batch,
    sleepy_class,
    submission,
)


def gradebook_total(url, student):
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return gb.find_submission(A1, student).score


@pytest.mark.parametrize("where", ["before", "after"])
def test_course_and_db_url_work_before_and_after_the_command(tmp_path, where):
    """Do `grade` and `export` take --course and --db-url on either side?"""
    root = make_course(tmp_path / "course")
    put(root, "alice", submission(A1, NB1))
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    options = ["--course", str(root), "--db-url", url]
    grade = ["grade", A1, "--part-timeout", "5", "--quiet"]
    export = ["export", "--to", str(tmp_path / "grades.csv")]
    if where == "before":
        graded = cli(tmp_path, *options, *grade)
        exported = cli(tmp_path, *options, *export)
    else:
        graded = cli(tmp_path, *grade, *options)
        exported = cli(tmp_path, *export, *options)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert gradebook_total(url, "alice") == 10
    assert not (root / "gradebook.db").exists()  # the URL given was used
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student_id"], float(r["score"])) for r in rows] == [("alice", 10)]


@pytest.mark.parametrize(
    "command", ["release", "collect", "grade", "feedback", "report"]
)
def test_every_command_lists_course_and_db_url(command):
    """Does every command's --help offer --course and --db-url?"""
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", command, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--course COURSE" in proc.stdout and "--db-url DB_URL" in proc.stdout


def test_an_option_after_the_command_wins_and_one_before_is_kept():
    """Is a value given before the command kept when the command does not repeat
    it, and replaced when it does?"""
    p = parser()
    args = p.parse_args(["--course", "a", "--db-url", "u", "report", "X"])
    assert (args.course, args.db_url) == ("a", "u")
    args = p.parse_args(["--course", "a", "report", "X", "--course", "b"])
    assert (args.course, args.db_url) == ("b", None)
    args = p.parse_args(["report", "X"])
    assert (args.course, args.db_url) == (".", None)


@pytest.mark.parametrize("workers, word", [(1, "1 worker;"), (2, "2 workers;")])
def test_the_summary_counts_workers_in_words(workers, word):
    """Does the summary say "1 worker" and "2 workers"?"""
    outcomes = [Outcome("alice", "graded", score=10, max_score=10)]
    text = Summary(A1, outcomes, 3.0, workers, "none", limits=Limits()).text()
    assert word in text and "1 submission in" in text
    assert "per submission 300 s of CPU and waiting time" in text


# ----------------------------------------------------------------- budgets


def test_a_sleeping_student_stops_at_the_submission_budget(tmp_path):
    """Does the local pool stop a student whose code sleeps at the submission's
    budget, grade the rest of the class, and name the unfinished parts?"""
    root = make_course(tmp_path)
    sleepy_class(root)
    summary = run_batch(root, limits=BUDGET, jobs=2)
    check_sleepy(summary, root)


# ----------------------------------------------------------------- the scheduler


def test_the_scheduler_keeps_its_scratch_space_private_and_removes_it():
    """Does `python -m autograder scheduler` keep its scratch space in a folder of
    its own (not the machine's shared /tmp/dask-scratch-space), and remove it when
    stopped with SIGTERM?"""
    from distributed import Client

    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder", "scheduler", "--host", "127.0.0.1"]
        + ["--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("scheduler at tcp://127.0.0.1:"), line
        address = line.split()[2].rstrip(";")
        scratch = Path(line.split("scratch space ")[1].strip())
        with Client(address, timeout=60, set_as_default=False) as client:
            where = client.run_on_scheduler(
                lambda dask_scheduler: dask_scheduler.local_directory
            )
        assert Path(where).is_relative_to(scratch)
        assert scratch.stat().st_mode & 0o077 == 0  # this user's alone
        assert scratch.stat().st_uid == os.getuid()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    assert not scratch.exists()
