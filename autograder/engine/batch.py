"""Grade a whole class: collect, plan, run, record.

    grade(course, assignment)  ->  Summary

- collect: the course's submission folders for the assignment
  (CourseFolder.scan_submissions), the problems found on the way;
- plan: the jobs, one per submission that changed since it was last graded
  (or every one, with force), with the Batch's fixed settings;
- run: the jobs graded in worker processes (pool.Pool, one per core) or on a
  Dask cluster (cluster.DaskPool); both yield each answer, with the graded
  notebooks as text, as it comes;
- record: each answer written by this process alone (record.record: the
  gradebook, autograded/, the log), one at a time.

What is shown while it runs and after (summary.Progress, summary.Summary)
is apart from all four.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import unicodedata
import uuid
from dataclasses import dataclass

from nbgrader.api import MissingEntry

from .cluster import DaskPool
from .course import CourseError, CourseFolder, content_hash, grading_key
from .hidden import course_secret, student_key
from .pool import Pool, batch_folder
from .record import Outcome, record, unchanged
from .runner import submission_wall
from .sandbox.process import Limits, UnsafeIsolation, detect_isolation
from .summary import Progress, Summary, progress_score

__all__ = [
    "BatchRunning",
    "IsolationRefused",
    "Outcome",
    "Progress",
    "Summary",
    "grade",
]


@dataclass(frozen=True)
class Batch:
    """What every stage of one batch shares, fixed before any job runs."""

    course: CourseFolder
    assignment: str
    notebooks: list  # the source notebooks' paths
    limits: Limits
    level: str  # the isolation level
    key: str  # grading_key: what a recorded grade was computed with
    secret: bytes  # the course's secret, for each student's key
    cluster: DaskPool | None = None  # None: local worker processes


class BatchRunning(CourseError):
    """Another batch is grading this course right now."""


class IsolationRefused(CourseError):
    """The isolation level asked for (or the only one that works) is unsafe."""


def _lock(course):
    """Hold an exclusive lock on the course's grading state (released at exit)."""
    course.state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(course.state_dir / "lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BatchRunning("another grading batch is running on this course") from None
    return handle


def grade(
    course: CourseFolder,
    assignment,
    students=None,
    jobs=None,
    force=False,
    limits=None,
    isolation="auto",
    progress=None,
    scheduler=None,
    allow_unsafe=False,
):
    """Grade every (or the named) submission of an assignment; a Summary.

    With `scheduler` (a Dask scheduler's address) the submissions are graded
    on that Dask cluster instead of by local grading processes (`jobs`).
    An isolation level that cannot keep the sandbox's guarantees is refused
    unless `allow_unsafe` (the instructor's --unsafe-isolation).
    """
    lock = _lock(course)
    cluster = None
    try:
        if scheduler:
            cluster = DaskPool(scheduler).connect()
        try:
            level = detect_isolation(course.root, isolation, allow_unsafe)
        except (UnsafeIsolation, RuntimeError) as err:
            raise IsolationRefused(str(err)) from None
        t0 = time.monotonic()
        batch = _settle(course, assignment, limits or Limits(), level, cluster)
        found, problems = _collect(batch, students)
        outcomes, todo = _plan(batch, found, problems, force)
        size = cluster.size if cluster is not None else _pool_size(jobs, todo)
        if todo:
            outcomes += _run_and_record(batch, todo, size, progress)
        order = {s: i for i, s in enumerate([*found, *(p.student for p in problems)])}
        outcomes.sort(key=lambda o: order.get(o.student, 0))
        where = cluster.address if cluster is not None else None
        seconds = time.monotonic() - t0
        return Summary(assignment, outcomes, seconds, size, level, where, batch.limits)
    finally:
        if cluster is not None:
            cluster.close()
        lock.close()


def _settle(course, assignment, limits, level, cluster):
    """The Batch: its notebooks, in the gradebook, and the key of this grading."""
    notebooks = course.notebooks(assignment)
    course.ensure_in_gradebook(assignment)
    secret = course_secret(course.state_dir)
    key = grading_key(notebooks, limits, secret)
    return Batch(course, assignment, notebooks, limits, level, key, secret, cluster)


def _collect(batch, students):
    """{student: folder} of the submissions, and the problems found (only the
    named students', when `students` is given)."""
    found, problems = batch.course.scan_submissions(batch.assignment)
    if students:
        wanted = {unicodedata.normalize("NFC", s) for s in students}
        found = {s: f for s, f in found.items() if s in wanted}
        problems = [p for p in problems if p.student in wanted]
    return found, problems


def _plan(batch, found, problems, force):
    """(outcomes known without grading, jobs to grade)."""
    course, assignment = batch.course, batch.assignment
    log = course.log()
    outcomes = [Outcome(p.student, "error", p.reason) for p in problems]
    todo = []
    with course.gradebook() as gb:
        for student, folder in found.items():
            try:
                digest = content_hash(folder)
            except OSError as err:
                digest = f"unreadable: {err}"
            last = log.get((student, assignment))
            if not force and _up_to_date(
                course, gb, last, digest, batch.key, student, assignment
            ):
                outcomes.append(unchanged(student, last))
                continue
            todo.append(
                {
                    "id": uuid.uuid4().hex,
                    "student": student,
                    "assignment": assignment,
                    "folder": str(folder),
                    "notebooks": [str(p) for p in batch.notebooks],
                    "hash": digest,
                    "key": student_key(batch.secret, student),
                    "isolation": batch.level,
                }
            )
    return outcomes, todo


def _pool_size(jobs, todo):
    return max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))


def _up_to_date(course, gb, last, digest, key, student, assignment):
    if not last or last.get("hash") != digest or last.get("key") != key:
        return False
    if last.get("status") not in ("graded", "failed"):
        return False
    if not course.autograded_dir(student, assignment).is_dir():
        return False
    try:
        gb.find_submission(assignment, student)
    except MissingEntry:
        return False
    return True


def _run_and_record(batch, todo, size, progress):
    """Run the jobs (pool or cluster) and record each answer as it comes."""
    course = batch.course
    tmp_root, owner = batch_folder()
    config = {
        "limits": batch.limits.as_dict(),
        "isolation": batch.level,
        "course_root": str(course.root),
        "tmp_root": tmp_root,
    }
    if batch.cluster is not None:
        batch.cluster.config = {**config, "tmp_root": None}  # each makes its own
        pool = batch.cluster
    else:
        timeout = submission_wall(batch.limits, len(batch.notebooks)) + 120
        pool = Pool(size, config, course.state_dir, timeout)
    bar = Progress(len(todo)) if progress is None else progress
    outcomes = []
    try:
        with course.gradebook() as gb:
            for job, answer in pool.run(todo):
                outcome = record(course, gb, job, answer, batch.key)
                outcomes.append(outcome)
                if bar:
                    bar.update(job["student"], outcome.status, progress_score(outcome))
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
        owner.close()
    shutil.rmtree(course.state_dir / "staging", ignore_errors=True)
    return outcomes
