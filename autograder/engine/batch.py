"""Grade a whole class: find the submissions, grade them in parallel, record.

The batch process is the only one that writes the gradebook, the autograded
folders and the log, one submission at a time and in that order, so a batch
killed at any moment leaves every submission either fully recorded or not
logged (and then graded again by the next run). Grading itself happens in
worker processes (worker.py), one per core; a worker that dies or hangs is
replaced and its submission graded again; if that fails too, the submission
gets an "error" (graded again by the next run), never the batch. With a
Dask scheduler's address the same jobs run on a Dask cluster instead
(cluster.py), and the batch process still records every result itself.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
import warnings
from dataclasses import dataclass, field

from .course import (
    CourseError,
    CourseFolder,
    content_hash,
    grading_key,
    now,
    replace_dir,
)
from .hidden import course_secret, student_key
from .notebook import clean
from .runner import OUT_OF_BUDGET, PART_TIMEOUT, RETRY_FACTOR, submission_wall
from .sandbox.process import (
    Limits,
    UnsafeIsolation,
    describe_isolation,
    detect_isolation,
    safe_levels,
)

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    import ctypes

    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# ----------------------------------------------------------------- the pool


class _Proc:
    def __init__(self, index, config, log_dir):
        self.index = index
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(log_dir / f"worker-{index}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.engine.worker", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            preexec_fn=_die_with_parent,
            env={**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"},
        )
        self.buffer = b""
        self.job = None
        self.started = None
        self.ready = False

    def send(self, job):
        """Hand a job to the worker; False if the worker is gone (nothing was sent)."""
        try:
            self.proc.stdin.write((json.dumps(job, ensure_ascii=False) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:  # BrokenPipeError: it died between two jobs
            return False
        self.job, self.started = job, time.monotonic()
        return True

    def lines(self):
        """Complete lines now readable (b"" at end of file: the worker died)."""
        chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        if not chunk:
            return None
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        return complete

    def stop(self, grace=5.0):
        """End the worker: politely (end of its input) if it is idle, else kill."""
        if self.job is None and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


class Pool:
    """N worker processes; `run(jobs)` yields (job, answer) as they finish."""

    def __init__(self, size, config, log_dir, job_timeout):
        self.size, self.config, self.log_dir = size, config, log_dir
        self.job_timeout = job_timeout
        self.procs = []
        self.spawned = 0

    def _spawn(self):
        self.spawned += 1
        return _Proc(self.spawned, self.config, self.log_dir)

    def run(self, jobs):
        self.pending = list(jobs)
        self.procs = [self._spawn() for _ in range(min(self.size, len(self.pending)))]
        try:
            while self.pending or any(p.job for p in self.procs):
                for p in list(self.procs):
                    if p.ready and p.job is None and self.pending:
                        job = self.pending.pop(0)
                        if not p.send(job):
                            self.pending.insert(0, job)
                            yield from self._replace(p, "the grading process died")
                yield from self._wait()
        finally:
            for p in self.procs:
                p.stop()

    def _wait(self):
        fds = {p.proc.stdout.fileno(): p for p in self.procs}
        ready, _, _ = select.select(list(fds), [], [], 1.0)
        for fd in ready:
            p = fds[fd]
            lines = p.lines()
            if lines is None:
                yield from self._replace(p, "the grading process died")
                continue
            for line in lines:
                answer = json.loads(line)
                if answer.get("ready"):
                    p.ready = True
                    continue
                job, p.job = p.job, None
                yield job, answer
        for p in list(self.procs):
            if p.job and time.monotonic() - p.started > self.job_timeout:
                yield from self._replace(p, "the grading process timed out")

    def _replace(self, p, why):
        """A fresh worker for a dead or stuck one; its job is retried once."""
        job = p.job
        p.stop()
        self.procs[self.procs.index(p)] = self._spawn()
        if job is not None and not job.get("retried"):
            job["retried"] = True
            self.pending.append(job)
        elif job is not None:
            yield job, {"status": "error", "reason": why, "notebooks": []}


# ----------------------------------------------------------------- progress


class Progress:
    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.start = time.monotonic()

    def update(self, student, status, score):
        self.done += 1
        self.failed += status != "graded"
        elapsed = time.monotonic() - self.start
        if self.tty:
            width = 30
            fill = int(width * self.done / max(self.total, 1))
            left = elapsed / self.done * (self.total - self.done)
            self.stream.write(
                f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} "
                f"graded, {self.failed} failed, {elapsed:.0f} s elapsed, "
                f"~{left:.0f} s left "
            )
            if self.done == self.total:
                self.stream.write("\n")
        else:
            what = f"{score}" if status == "graded" else status
            self.stream.write(f"[{self.done}/{self.total}] {student}: {what}\n")
        self.stream.flush()


# ----------------------------------------------------------------- a batch


@dataclass
class Outcome:
    student: str
    status: str  # graded, failed, error, unchanged
    reason: str | None = None
    score: float = 0.0
    max_score: float = 0.0
    warnings: list = field(default_factory=list)
    isolation: str | None = None  # the level that graded it (None: unknown)
    stopped: dict = field(default_factory=dict)  # grade_id -> PART_TIMEOUT, ...


@dataclass
class Summary:
    assignment: str
    outcomes: list
    seconds: float
    workers: int
    isolation: str
    cluster: str | None = None  # the Dask scheduler's address, if one graded
    limits: Limits | None = None

    @property
    def ok(self):
        return all(o.status in ("graded", "unchanged") for o in self.outcomes)

    def count(self, *statuses):
        return sum(o.status in statuses for o in self.outcomes)

    def text(self):
        graded = self.count("graded")
        fresh = graded + self.count("failed", "error")
        per = f" ({self.seconds / fresh:.2f} s per submission)" if fresh else ""
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        lines = [
            f"{self.assignment}: {_count(len(self.outcomes), 'submission')} in "
            f"{self.seconds:.1f} s{per}, {workers}"
            + (f" on the Dask cluster at {self.cluster}" if self.cluster else "")
            + "; "
            f"isolation: {self.isolation} "
            f"({describe_isolation(self.isolation)})",
            f"  graded: {graded + self.count('unchanged')}"
            + (
                f" ({self.count('unchanged')} unchanged since the last run, "
                "not regraded)"
                if self.count("unchanged")
                else ""
            ),
        ]
        if self.limits is not None:
            lines.insert(1, "  " + budget_text(self.limits))
        unsafe = [
            o
            for o in self.outcomes
            if o.isolation is not None and o.isolation not in safe_levels()
        ]
        if unsafe:
            lines.append(
                "  graded WITHOUT the sandbox's guarantees (unsafe isolation): "
                + ", ".join(f"{o.student} ({o.isolation})" for o in unsafe)
            )
        bad = [o for o in self.outcomes if o.status in ("failed", "error")]
        lines.append(f"  failed: {len(bad)}")
        for o in bad:
            lines.append(f"    {o.student}: {o.reason}")
        for key, what in (
            (OUT_OF_BUDGET, "not finished within the submission's time budget"),
            (PART_TIMEOUT, "stopped at the part's time limit"),
        ):
            hit = [
                (o, [g for g, k in o.stopped.items() if k == key])
                for o in self.outcomes
            ]
            hit = [(o, parts) for o, parts in hit if parts]
            if hit:
                lines.append(f"  {what}:")
                for o, parts in hit:
                    lines.append(
                        f"    {o.student}: {_count(len(parts), 'part')} "
                        f"({', '.join(parts)})"
                    )
        noted = [o for o in self.outcomes if o.warnings]
        if noted:
            lines.append("  warnings:")
            for o in noted:
                for w in o.warnings:
                    lines.append(f"    {o.student}: {w}")
        return "\n".join(lines)


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def budget_text(limits):
    """The time limits of a batch, as its summary states them."""
    return (
        f"time limits: per part {limits.part_cpu:g} s of CPU time (a part stopped "
        f"there runs once more with {RETRY_FACTOR * limits.part_cpu:g} s) and "
        f"{limits.part_wall:g} s of waiting; per submission "
        f"{limits.submission_time:g} s of CPU and waiting time"
    )


class BatchRunning(CourseError):
    """Another batch is grading this course right now."""


class IsolationRefused(CourseError):
    """The isolation level asked for (or the only one that works) is unsafe."""


def _lock(course):
    """Hold an exclusive lock on the course's grading state (released at exit)."""
    import fcntl

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
            from .cluster import DaskPool

            cluster = DaskPool(scheduler).connect()
        try:
            level = detect_isolation(course.root, isolation, allow_unsafe)
        except (UnsafeIsolation, RuntimeError) as err:
            raise IsolationRefused(str(err)) from None
        return _grade(
            course,
            assignment,
            students,
            jobs,
            force,
            limits,
            level,
            progress,
            cluster,
        )
    finally:
        if cluster is not None:
            cluster.close()
        lock.close()


def _grade(course, assignment, students, jobs, force, limits, level, progress, cluster):
    t0 = time.monotonic()
    limits = limits or Limits()
    notebooks = course.notebooks(assignment)
    course.ensure_in_gradebook(assignment)
    secret = course_secret(course.state_dir)
    key = grading_key(notebooks, limits, secret)
    found, problems = course.scan_submissions(assignment)
    if students:
        wanted = {unicodedata.normalize("NFC", s) for s in students}
        found = {s: f for s, f in found.items() if s in wanted}
        problems = [p for p in problems if p.student in wanted]
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
                course, gb, last, digest, key, student, assignment
            ):
                outcomes.append(
                    Outcome(
                        student,
                        "unchanged",
                        last.get("reason"),
                        last.get("score", 0),
                        last.get("max_score", 0),
                        last.get("warnings", []),
                        last.get("isolation"),
                    )
                )
                if last.get("status") == "failed":
                    outcomes[-1].status = "failed"
                continue
            todo.append(
                {
                    "id": uuid.uuid4().hex,
                    "student": student,
                    "folder": str(folder),
                    "notebooks": [str(p) for p in notebooks],
                    "hash": digest,
                    "key": student_key(secret, student),
                }
            )
    if cluster is not None:
        size = cluster.size
    else:
        size = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    if todo:
        outcomes += _run(
            course, assignment, todo, size, limits, level, key, progress, cluster
        )
    order = {s: i for i, s in enumerate([*found, *(p.student for p in problems)])}
    outcomes.sort(key=lambda o: order.get(o.student, 0))
    where = cluster.address if cluster is not None else None
    seconds = time.monotonic() - t0
    return Summary(assignment, outcomes, seconds, size, level, where, limits)


def _up_to_date(course, gb, last, digest, key, student, assignment):
    from nbgrader.api import MissingEntry

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


BATCH_PREFIX = "autograder-batch-"
OWNER_FILE = "owner.lock"
STALE_UNLOCKED = 24 * 3600  # a folder with no owner file (an older grader's)


def _batch_folder():
    """A private temporary folder for this batch, locked while it lives.

    The lock (an flock on OWNER_FILE, held until this process ends, however
    it ends) tells the next batch whether the folder's owner is gone.
    """
    import fcntl

    remove_stale_batch_folders()
    tmp_root = tempfile.mkdtemp(prefix=BATCH_PREFIX)
    os.chmod(tmp_root, 0o711)  # the sandbox user must reach its own folders
    # Locked under another name first, so that no other batch ever finds the
    # owner file unlocked while this one lives.
    claim = os.path.join(tmp_root, "claim.tmp")
    handle = open(claim, "w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    os.rename(claim, os.path.join(tmp_root, OWNER_FILE))
    return tmp_root, handle


def remove_stale_batch_folders(parent=None):
    """Remove the temporary folders of batches that were killed; their names.

    A folder is stale when nobody holds its owner lock (its batch process is
    gone), or, with no owner file, when it is a day old. Folders of running
    batches are left alone.
    """
    import fcntl

    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = [n for n in os.listdir(parent) if n.startswith(BATCH_PREFIX)]
    except OSError:
        return removed
    for name in names:
        path = os.path.join(parent, name)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        try:
            fd = os.open(os.path.join(path, OWNER_FILE), os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            try:
                old = time.time() - os.stat(path).st_mtime > STALE_UNLOCKED
            except OSError:
                continue
            if old:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its batch is running
        else:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


def _run(course, assignment, todo, size, limits, level, key, progress, cluster):
    stage_root = course.state_dir / "staging"
    stage_root.mkdir(parents=True, exist_ok=True)
    tmp_root, owner = _batch_folder()
    config = {
        "limits": limits.as_dict(),
        "isolation": level,
        "course_root": str(course.root),
        "tmp_root": tmp_root,
    }
    for job in todo:
        job["assignment"] = assignment
        job["stage"] = str(stage_root / job["id"])
        job["isolation"] = level
    timeout = submission_wall(limits, len(todo[0]["notebooks"])) + 120
    if cluster is not None:
        cluster.config = {**config, "tmp_root": None}  # each worker makes its own
        pool = cluster
    else:
        pool = Pool(size, config, course.state_dir, timeout)
    bar = Progress(len(todo)) if progress is None else progress
    outcomes = []
    try:
        with course.gradebook() as gb:
            for job, answer in pool.run(todo):
                outcome = _record(course, gb, job, answer, key)
                outcome.stopped = _stopped_parts(answer)
                outcomes.append(outcome)
                if bar:
                    score = f"{outcome.score:g}/{outcome.max_score:g}"
                    if outcome.stopped:
                        score += f" ({_count(len(outcome.stopped), 'part')} stopped)"
                    bar.update(job["student"], outcome.status, score)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
        owner.close()
    shutil.rmtree(stage_root, ignore_errors=True)
    return outcomes


def _stopped_parts(answer):
    """{grade_id: why} for the parts of an answer that did not finish."""
    return {
        grade_id: g["stopped"]
        for nb in answer.get("notebooks", [])
        for grade_id, g in nb.get("grades", {}).items()
        if g.get("stopped")
    }


def _record(course, gb, job, answer, key):
    """Write one answer: gradebook, then autograded folder, then the log.

    An error replaces what an earlier run recorded: the old score is not
    left standing as if this submission had been graded.
    """
    answer = clean(answer)  # text from a submission may hold lone surrogates
    student, assignment = job["student"], job["assignment"]
    status, reason = answer.get("status", "error"), answer.get("reason")
    notebooks = answer.get("notebooks", [])
    warnings = [w for nb in notebooks for w in nb.get("warnings", [])]
    level = job.get("isolation")
    if status == "error":
        reason = reason or "the grader failed on this submission"
        shutil.rmtree(job["stage"], ignore_errors=True)
        _save_grades(gb, course, student, assignment, [], flag=True)
        shutil.rmtree(course.autograded_dir(student, assignment), ignore_errors=True)
        score, max_score = 0.0, 0.0
    else:
        score, max_score = _save_grades(gb, course, student, assignment, notebooks)
        replace_dir(job["stage"], course.autograded_dir(student, assignment))
    course.append_log(
        {
            "student": student,
            "assignment": assignment,
            "hash": job["hash"],
            "key": key,
            "status": status,
            "reason": reason,
            "score": score,
            "max_score": max_score,
            "warnings": warnings,
            "isolation": level,
            "time": now(),
            "grades": {
                nb["notebook"]: {g: v["score"] for g, v in nb["grades"].items()}
                for nb in notebooks
            },
        }
    )
    return Outcome(student, status, reason, score, max_score, warnings, level)


def _save_grades(gb, course, student, assignment, notebooks, flag=False):
    """Replace the student's submission in the gradebook by this result."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's, on SQLAlchemy 2
        return _save(gb, course, student, assignment, notebooks, flag)


def _save(gb, course, student, assignment, notebooks, flag=False):
    """With `flag`, every part is zero and marked for a human (the grader
    could not grade it)."""
    from nbgrader.api import MissingEntry
    from nbgrader.utils import parse_utc

    gb.update_or_create_student(student)
    try:
        gb.remove_submission(assignment, student)
    except MissingEntry:
        pass
    seen = course.submission_times().get((student, assignment)) or {}
    extra = {"timestamp": parse_utc(seen["time"])} if seen.get("time") else {}
    submission = gb.add_submission(assignment, student, **extra)
    score = max_score = 0.0
    if flag:
        for nb in submission.notebooks:
            for grade in nb.grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = True
    for nb in notebooks:
        for grade_id, g in nb["grades"].items():
            grade = gb.find_grade(grade_id, nb["notebook"], assignment, student)
            grade.auto_score = g["score"]
            # A submission that could not be read is flagged for a human.
            # So is one whose code reaches past NumPy (review.py).
            grade.needs_manual_grade = nb["status"] == "failed" or bool(
                nb.get("review")
            )
            score += g["score"] or 0.0
            max_score += g["max"]
    gb.db.commit()
    return score, max_score
