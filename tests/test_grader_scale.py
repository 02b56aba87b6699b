"""Grading beyond one machine: a PostgreSQL gradebook and a Dask cluster.

The gradebook tests run against a real PostgreSQL server that the tests
start for themselves (conftest.py's `postgres`); the cluster tests against
a real Dask LocalCluster whose workers are separate processes, one of which
is killed (SIGKILL) in the middle of a batch.
"""

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from autograder.engine import cluster as dask_grading
from autograder.engine.batch import Progress, grade
from autograder.engine.cli import feedback, main
from autograder.engine.course import CourseError, CourseFolder, gradebook_url
from autograder.engine.report import class_report
from grader_support import (
    A1,
    BUDGET,
    NB1,
    OFF_BY_ONE,
    SLOW,
    TEST_LIMITS,
    autograded,
    check_sleepy,
    cli,
    exercise,
    log_lines,
    make_course,
    outputs_text,
    put,
    run_batch,
    sleepy_class,
    sleepy_conv1d,
    submission,
    total,
)

TIMEOUTS = ("--part-timeout", "3", "--memory", "1024")


def small_class(root):
    """Four submissions: right, untouched, off by one, not a notebook."""
    put(root, "alice", submission(A1, NB1))
    put(root, "bob", exercise())
    put(root, "carol", submission(A1, NB1, {"conv_output_size": OFF_BY_ONE}))
    put(root, "ivan", "{ not json")
    return {"alice", "bob", "carol", "ivan"}


def gradebook_scores(url, assignment=A1):
    """{student: [per-cell scores of each submission]} read straight from a URL."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(url) as gb:
        for sub in gb.assignment_submissions(assignment):
            cells = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
            out.setdefault(sub.student.id, []).append(cells)
    return out


def submission_rows(url, assignment=A1):
    """How many submission rows each student has in the database itself."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT s.student_id, count(*) FROM submitted_assignment s "
                    "JOIN assignment a ON a.id = s.assignment_id "
                    "WHERE a.name = :a GROUP BY s.student_id"
                ),
                {"a": assignment},
            ).all()
    finally:
        engine.dispose()
    return dict(rows)


# ----------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def on_postgres(postgres, tmp_path_factory):
    """A class graded, regraded, exported and reported on a PostgreSQL gradebook."""
    root = make_course(tmp_path_factory.mktemp("pg"))
    everyone = small_class(root)
    url = postgres.new_database()
    db = ("--db-url", url.replace("postgresql+psycopg2://", "postgresql://"))
    seen = {"url": url, "everyone": everyone}

    def command(*args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["--course", str(root), *db, *args])
        return status, out.getvalue()

    seen["first"] = command("grade", A1, *TIMEOUTS, "--jobs", "2", "--quiet")
    seen["scores"] = gradebook_scores(url)
    seen["again"] = command("grade", A1, *TIMEOUTS, "--quiet")
    seen["forced"] = command("grade", A1, *TIMEOUTS, "--force", "--quiet")
    seen["rows"] = submission_rows(url)
    seen["forced_scores"] = gradebook_scores(url)
    seen["export"] = command("export", "--to", str(root / "grades.csv"))
    course = CourseFolder(root, db_url=url)
    seen["report"] = class_report(course, A1, root / "reports")[2]
    seen["feedback"] = feedback(course, A1)
    seen["sqlite_made"] = (root / "gradebook.db").exists()
    return root, seen


def test_a_class_graded_on_postgresql_gets_each_submissions_score(on_postgres):
    """Does grading with --db-url postgresql://... put the right scores there?"""
    root, seen = on_postgres
    status, text = seen["first"]
    assert status == 1, text  # ivan's is not a notebook
    assert "graded: 3" in text and "failed: 1" in text
    got = {s: cells for s, [cells] in seen["scores"].items()}
    assert set(got) == seen["everyone"]
    assert total(got["alice"]) == 10
    assert total(got["bob"]) == 0 and total(got["ivan"]) == 0
    assert total(got["carol"], "conv1d") == 6 and total(got["carol"]) < 10
    assert not seen["sqlite_made"], "a SQLite gradebook appeared beside PostgreSQL"


def test_postgresql_gradebook_keeps_one_submission_per_student(on_postgres):
    """Do a rerun and a forced regrade on PostgreSQL leave one row per student?"""
    _, seen = on_postgres
    assert "graded: 3 (3 unchanged since the last run" in seen["again"][1]
    assert "unchanged" not in seen["forced"][1] and "graded: 3" in seen["forced"][1]
    assert seen["rows"] == {s: 1 for s in seen["everyone"]}
    assert seen["forced_scores"] == seen["scores"]


def test_export_report_and_feedback_read_the_postgresql_gradebook(on_postgres):
    """Do export, report and feedback work from a PostgreSQL gradebook?"""
    import csv

    root, seen = on_postgres
    assert seen["export"][0] == 0
    assert all(r["success"] for r in seen["feedback"]), seen["feedback"]
    with open(root / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == seen["everyone"]
    assert float(rows["alice"]["score"]) == 10 and rows["ivan"]["status"] == "failed"
    assert "4 graded submissions" in seen["report"]
    pages = list((root / "feedback").glob(f"*/{A1}/*.html"))
    assert {p.parts[-3] for p in pages} == seen["everyone"]


def test_nbgrader_config_db_url_chooses_postgresql(postgres, tmp_path, monkeypatch):
    """Does a postgresql:// db_url in nbgrader_config.py put the gradebook there?"""
    from nbgrader.api import Gradebook

    monkeypatch.delenv("AUTOGRADER_DB_URL", raising=False)
    root = make_course(tmp_path / "course")
    url = postgres.new_database()
    plain = url.replace("postgresql+psycopg2://", "postgresql://")
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f"\nc.CourseDirectory.db_url = {plain!r}\n")
    course = CourseFolder(root)
    course.ensure_in_gradebook(A1)  # runs nbgrader generate_assignment
    with Gradebook(url) as gb:
        notebooks = gb.find_assignment(A1).notebooks
        cells = [c.name for nb in notebooks for c in nb.grade_cells]
    assert "conv1d_basic" in cells
    assert not (root / "gradebook.db").exists()
    other = postgres.new_database()
    monkeypatch.setenv("AUTOGRADER_DB_URL", other)
    assert CourseFolder(root).db_url == other  # the environment wins over the file


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, message",
    [
        (("--db-url", "mysql://u@127.0.0.1/db"), "unsupported gradebook URL"),
        (("--db-url", "not a url"), "not a database URL"),
        (
            ("--db-url", "postgresql://nobody:secret@127.0.0.1:1/db"),
            "cannot open the gradebook postgresql+psycopg2://nobody:***@127.0.0.1:1",
        ),
        (("--scheduler", "http://127.0.0.1:8786"), "not a Dask scheduler address"),
        (("--scheduler", "127.0.0.1:1"), "cannot reach the Dask scheduler"),
    ],
)
def test_bad_database_or_scheduler_gives_a_one_line_error(
    tmp_path, capsys, monkeypatch, args, message
):
    """Does a wrong URL or an unreachable server give one line and exit 2?"""
    monkeypatch.setattr(dask_grading, "CONNECT_TIMEOUT", 2)
    root = make_course(tmp_path)
    put(root, "alice", submission(A1, NB1))
    db = [a for a in args if args[0] == "--db-url"]
    rest = [a for a in args if args[0] == "--scheduler"]
    status = main(["--course", str(root), *db, "grade", A1, *rest, "--quiet"])
    out, err = capsys.readouterr()
    assert status == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0]
    assert "secret" not in err
    assert not (root / "autograded" / "alice").exists()


def test_plain_postgresql_urls_get_the_installed_driver():
    """Is postgresql:// (or postgres://) read as PostgreSQL through psycopg2?"""
    for given in ("postgresql://u:p@h:5/db", "postgres://u:p@h:5/db"):
        assert gradebook_url(given) == "postgresql+psycopg2://u:p@h:5/db"
    assert gradebook_url("sqlite:////tmp/g.db") == "sqlite:////tmp/g.db"
    with pytest.raises(CourseError):
        gradebook_url("postgresql+asyncpg://u@h/db")


# ----------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def dask_cluster():
    """A real LocalCluster: two worker processes of one thread, with nannies."""
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=50,
    ) as cluster:
        with Client(cluster.scheduler_address, set_as_default=False) as client:
            yield cluster, client


def executing(client):
    """{worker address: keys of the grading tasks it is running right now}."""

    def running(dask_worker):
        return [str(ts.key) for ts in dask_worker.state.executing]

    return {w: keys for w, keys in client.run(running).items() if keys}


def kill_a_busy_worker(client, log, seen, deadline=240):
    """Once one result is logged, SIGKILL a worker process that is grading."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if log.exists() and log.read_text(encoding="utf-8").count("\n") >= 1:
            busy = executing(client)
            if busy:
                address, keys = next(iter(busy.items()))
                pid = client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)
                seen.update(pid=pid, key=keys[0], logged=len(log_lines(log.parents[2])))
                return
        time.sleep(0.1)


def test_a_dask_worker_killed_mid_job_still_records_each_student_once(
    dask_cluster, postgres, tmp_path
):
    """If a Dask worker dies mid-job, is every student recorded exactly once?"""
    cluster, client = dask_cluster
    root = make_course(tmp_path)
    right = submission(A1, NB1)
    students = ["a", "b", "c", "d", "e", "slow"]
    for student in students[:-1]:
        put(root, student, right)
    put(root, "slow", submission(A1, NB1, {"conv_output_size": SLOW}))
    url = postgres.new_database()
    log = root / "autograded" / ".grader" / "log.jsonl"
    killed = {}
    killer = threading.Thread(target=kill_a_busy_worker, args=(client, log, killed))
    killer.start()
    stream = io.StringIO()
    summary = grade(
        CourseFolder(root, db_url=url),
        A1,
        limits=TEST_LIMITS,
        progress=Progress(len(students), stream=stream),
        scheduler=cluster.scheduler_address,
    )
    killer.join()
    assert killed, "no worker was busy grading after the first result"
    assert 1 <= killed["logged"] < len(students)
    assert summary.ok and summary.count("graded") == len(students), summary.text()
    logged = [e["student"] for e in log_lines(root)]
    assert sorted(logged) == students
    assert submission_rows(url) == {s: 1 for s in students}
    got = {s: cells for s, [cells] in gradebook_scores(url).items()}
    assert all(total(got[s]) == 10 for s in students[:-1])
    assert total(got["slow"]) == 9 and got["slow"]["conv_output_size_stride"] == 0
    # the loop was stopped by the sandbox's CPU limit, not by the Dask worker
    assert "CPU time limit" in outputs_text(autograded(root, "slow"))
    bar = stream.getvalue().splitlines()
    assert len(bar) == len(students) and bar[-1].startswith(f"[{len(students)}/")
    with pytest.raises(ProcessLookupError):
        os.kill(killed["pid"], 0)  # the worker really died


def test_dask_grading_prints_progress_and_summary(dask_cluster, tmp_path):
    """Does `grade --scheduler` show progress and a summary naming the cluster?"""
    cluster, client = dask_cluster
    client.wait_for_workers(2, timeout=120)  # the nanny replaces a killed one
    root = make_course(tmp_path)
    put(root, "alice", submission(A1, NB1))
    put(root, "ivan", "{ not json")
    address = cluster.scheduler_address
    proc = cli(root, "grade", A1, *TIMEOUTS, "--scheduler", address)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"2 workers on the Dask cluster at {address}" in proc.stdout
    assert "graded: 1" in proc.stdout
    assert "ivan: output-size.ipynb is not a notebook" in proc.stdout
    assert "alice: 10/10" in proc.stderr and "ivan: failed" in proc.stderr


def test_a_sleeping_student_stops_at_the_submission_budget_on_dask(
    dask_cluster, tmp_path
):
    """On Dask, is a student whose code sleeps stopped at the submission's budget,
    with the unfinished parts named, while the rest of the class is graded?"""
    cluster, client = dask_cluster
    client.wait_for_workers(2, timeout=120)
    root = make_course(tmp_path)
    sleepy_class(root)
    summary = run_batch(root, limits=BUDGET, scheduler=cluster.scheduler_address)
    check_sleepy(summary, root)
    assert f"on the Dask cluster at {cluster.scheduler_address}" in summary.text()


def test_a_dask_worker_stopped_with_sigterm_removes_its_folder(dask_cluster, tmp_path):
    """Does `dask worker`, stopped with SIGTERM while it grades, remove its own
    /tmp/autograder-dask-* folder?"""
    cluster, client = dask_cluster
    root = make_course(tmp_path)
    put(root, "alice", submission(A1, NB1, {"conv1d": sleepy_conv1d()}))
    dask = Path(sys.executable).with_name("dask")
    before = set(client.scheduler_info(n_workers=-1)["workers"])
    worker = subprocess.Popen(
        [str(dask), "worker", cluster.scheduler_address, "--nthreads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client.wait_for_workers(len(before) + 1, timeout=120)
        (address,) = set(client.scheduler_info(n_workers=-1)["workers"]) - before
        job = {
            "id": "sigterm",
            "student": "alice",
            "assignment": A1,
            "folder": str(root / "submitted" / "alice" / A1),
            "notebooks": [str(root / "solutions" / A1 / NB1)],
            "hash": "",
        }
        config = {
            "limits": TEST_LIMITS.as_dict(),
            "isolation": "none",
            "course_root": str(root),
            "tmp_root": None,
        }
        grading = client.submit(
            dask_grading.grade_job, config, job, workers=[address], pure=False
        )
        folders = []
        while not folders:  # until the worker has started grading
            assert grading.status == "pending", grading.status
            time.sleep(0.2)
            folders = client.run(
                # a lambda travels by value: the worker cannot import this module
                lambda: [
                    str(p)
                    for p in Path(tempfile.gettempdir()).glob(
                        f"autograder-dask-{os.getpid()}-*"
                    )
                ],
                workers=[address],
            )[address]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=120) == 0
    finally:
        worker.kill()
    assert folders and not any(Path(f).exists() for f in folders)


def test_a_killed_workers_temporary_folder_is_removed_by_the_next_worker():
    """Are the folders of dead Dask worker processes removed, and live ones kept?"""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs
    base = Path(tempfile.gettempdir())
    orphan = Path(tempfile.mkdtemp(prefix=f"autograder-dask-{gone.pid}-", dir=base))
    (orphan / "work").mkdir()
    alive = Path(tempfile.mkdtemp(prefix=f"autograder-dask-{os.getpid()}-", dir=base))
    try:
        dask_grading._remove_orphans()
        assert not orphan.exists()
        assert alive.is_dir()
    finally:
        shutil.rmtree(orphan, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)
